/**
 * glmmTMB 1.1.5's profile of zinb2_mined (a zero-inflated NB2: count ~ mined + (1 | site), zi ~ mined) against
 * test/oracle/tmb_profile.R at glmmTMB's optimum and SEs (test/helpers/tmbProfileCases.ts: .focal 1e-8, values
 * 1e-6, the spline's ends 1e-6), with these parts where the two walks differ, each observed:
 *   zi~minedyes    the profile has two plateaus: from −0.48 down (value 4.4554) our values are up to 2.7e-6 above
 *                  glmmTMB's (the same points; the inner optimum is flat there); beyond .focal 60 the inner
 *                  optimum jumps between two local minima (value 0.522 and 4.455) at different points in
 *                  glmmTMB and ours; compared from −0.4 to 60
 *   theta_1|site.1 glmmTMB's nlminb fails (NA) at a log SD of −211.7 and its walk ends; ours evaluates there
 *                  (2.6857573, its value from −107 down) and walks on; compared from −150
 *   (Intercept), d~(Intercept): at some points our values are up to 2.1e-6 above glmmTMB's (the same points;
 *                  ours the less minimized over the other parameters: (Intercept) on its lower side, .focal 0.17
 *                  to 0.62), compared within 2.5e-6; their spline ends still agree within 1e-6
 * confint(fit, method = "profile") of our own fit: glmmTMB's fails for every parameter at once ("spline must be
 * monotone": zi~minedyes's profile); one by one, zi~(Intercept)'s lower end is glmmTMB's inverse spline extrapolated far outside the points, 8e11 (above its
 * upper end), where ours is NA; the upper end within 1e-4 (our optimum's distance from glmmTMB's).
 * The guard against the walk's worse local minima (src/zeroinfl/profileGuard.ts), on our own fit: zi~minedyes's
 * walk crosses q at 70.8 on the upper side where the profile (minimized afresh there) stays at 0.522 < q, and
 * method 'uniroot' gives NA: that end NA with its note; the other ends (zi~minedyes's lower, zi~(Intercept)'s
 * upper above) are the spline's, untouched (their two starts' minima agree within 1e-4).
 */
import { describe, expect, it } from 'vitest';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';
import { profileIntervals } from '../src/zeroinfl/confint.js';
import { caseTable, closeEnd, expectProfileAsGlmmTmb, profileCase, rowOf } from './helpers/tmbProfileCases.js';

describe("glmmTMB's profile of zinb2_mined", () => {
  it('every parameter at glmmTMB\'s optimum', async () => {
    await expectProfileAsGlmmTmb(profileCase('zinb2_mined'), 0, { within: { 4: [-0.4, 60], 6: [-150, Infinity] }, valueTol: { 1: 2.5e-6, 5: 2.5e-6 } });
  }, 180_000);
  it("confint(fit, method = 'profile'): glmmTMB's failure, its extrapolated end NA", async () => {
    const c = profileCase('zinb2_mined');
    expect(c.calls[0].result.error).toMatch(/spline must be monotone/);
    const fit = await zeroInflated(c.formula, caseTable(c), { family: c.family, ziformula: c.ziformula });
    const ci = await fit.confint({ method: 'profile', parm: 3 });
    const [name, lo, hi] = rowOf(c.calls[1].result);
    expect(ci.rows[0].name).toBe(name);
    expect(lo).toBeGreaterThan(1e11);
    expect(ci.rows[0].lower).toBeNaN();
    closeEnd(ci.rows[0].upper, hi, 'zi~(Intercept) upper', 1e-4);
    expect(ci.notes).toEqual([]);
  }, 180_000);
  it("confint(fit, method = 'profile'): the walk's end on a worse local minimum NA, with its note; uniroot's NA there too", async () => {
    const c = profileCase('zinb2_mined');
    const fit = await zeroInflated(c.formula, caseTable(c), { family: c.family, ziformula: c.ziformula });
    // the spline of the walk's own points crosses q at 70.8 (the unguarded end)
    const pr = await fit.profile({ parm: 4, levelMax: 0.95 });
    const [unguarded] = profileIntervals(pr, 0.95);
    expect(unguarded.upper).toBeGreaterThan(60);
    expect(unguarded.upper).toBeLessThan(80);
    const ci = await fit.confint({ method: 'profile', parm: 4 });
    expect(ci.rows[0].name).toBe('zi~minedyes');
    expect(ci.rows[0].upper).toBeNaN();
    // the lower end is the spline's, unchanged by the guard
    expect(ci.rows[0].lower).toBe(unguarded.lower);
    expect(ci.notes).toHaveLength(1);
    expect(ci.notes[0]).toMatch(/^zi~minedyes: the upper end 70\.\d+ is NA: the profile walk reached a worse local minimum .* use method 'uniroot'$/);
    expect(ci.print()).toContain("Note: zi~minedyes: the upper end");
    // two more optimizations per finite end checked
    expect(ci.profileEvaluations).toBe(pr.evaluations + 4);
    const ur = await fit.confint({ method: 'uniroot', parm: 4 });
    expect(ur.rows[0].upper).toBeNaN();
    expect(ur.notes).toEqual([]);
  }, 180_000);
});
