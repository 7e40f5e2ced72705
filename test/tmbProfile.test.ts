/**
 * glmmTMB 1.1.5's profile(fit) and confint(fit, method = "profile") (src/zeroinfl/profile.ts, profileConfint.ts)
 * against test/oracle/tmb_profile.R (test/fixtures/tmb_profile/profile.json): the profiles at glmmTMB's optimum
 * and SEs, point for point (test/helpers/tmbProfileCases.ts states the tolerances: .focal 1e-8, values 1e-6,
 * the spline's ends 1e-6); confint(fit, method = "profile") of our own fit; progress, Cancel, bad input, the
 * CLI. zinb2_mined's profile: test/tmbProfileZinb.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';
import type { ZeroInflatedFit } from '../src/zeroinfl/zeroInflatedFit.js';
import { confintOfProfile, profileIntervals, type TmbConfintOptions } from '../src/zeroinfl/confint.js';
import { evalAlongLine } from '../src/zeroinfl/profile.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import { runZeroinfl } from '../src/cli/zeroinflCommand.js';
import { DATA, caseTable, closeEnd, expectProfileAsGlmmTmb, profileCase, profileOracle, rowOf } from './helpers/tmbProfileCases.js';
import { arr } from './helpers/tmbChecks.js';

const fits = new Map<string, Promise<ZeroInflatedFit>>();
const fitOf = (name: string) => {
  const c = profileCase(name);
  if (!fits.has(name)) fits.set(name, zeroInflated(c.formula, caseTable(c), { family: c.family, ziformula: c.ziformula, dispformula: c.dispformula, factors: DATA[c.data].factors }));
  return fits.get(name)!;
};

describe("glmmTMB's profile at glmmTMB's optimum: TMB's grid, the values, confint(profile)", () => {
  it('the fixture is glmmTMB 1.1.5', () => expect(profileOracle.glmmTMB).toBe('1.1.5'));
  it('sleep_gauss: every parameter (level_max 0.99, npts 8)', async () => {
    const c = profileCase('sleep_gauss');
    // theta_Days|Subject.3 (the correlation parameter): the profile flattens towards 4.4330002 as the
    // correlation → 1 and the steps double to 3e7; glmmTMB's values leave that limit beyond 1e4 (4.43299 at
    // 4e4, 4.04 at 2e7: its −log L at a correlation 1 − 1e-15), ours keep it, so the walks part there
    const pr = await expectProfileAsGlmmTmb(c, 0, { within: { 6: [-Infinity, 1e4] } });
    // glmmTMB's confint(profile) of it fails (its spline's system is singular); ours names the upper half,
    // not monotone (the profile's values fall again beyond 2e4 in glmmTMB's too)
    expect(c.profiles[0].confint[5].error).toMatch(/singular/);
    expect(() => confintOfProfile({ ...pr, parameters: [pr.parameters[5]] })).toThrow(/upper half of theta_Days\|Subject.3's profile is not monotone/);
    // the data frame as CSV
    const csv = pr.toCsv().split('\n');
    expect(csv[0]).toBe('".par",".focal","value"');
    expect(csv.length).toBe(pr.rows.length + 2);
    expect(csv[1]).toMatch(/^"\(Intercept\)",[\d.]+,[\d.]+$/);
  }, 120_000);
  it('sleep_gauss: Days and theta_Days|Subject.1 with level_max 0.95 and npts 5', async () => {
    await expectProfileAsGlmmTmb(profileCase('sleep_gauss'), 1);
  }, 60_000);
  it('gauss_disp_f: the fixed effects and the dispersion model', async () => {
    await expectProfileAsGlmmTmb(profileCase('gauss_disp_f'), 0);
  }, 60_000);
  it("zip_zi_site: the conditional model's theta_1|site.1 (position 5; the zero model's has the same name)", async () => {
    const pr = await expectProfileAsGlmmTmb(profileCase('zip_zi_site'), 0);
    expect(pr.rows.every((r) => r.position === 5)).toBe(true);
  }, 60_000);
});

describe("confint(fit, method = 'profile') of our fit", () => {
  // our optimum is within 3e-5 of glmmTMB's (test/tmbConfint.test.ts), and so is each grid (it starts at x̂
  // with steps of SE/4): the spline through shifted points moves its ends by up to 1e-4 relative
  for (const name of ['sleep_gauss', 'gauss_disp_f', 'zip_zi_site']) {
    it(`${name}: glmmTMB's calls`, async () => {
      const c = profileCase(name);
      const fit = await fitOf(name);
      for (const call of c.calls) {
        const o = call.options as TmbConfintOptions;
        // glmmTMB 1.1.5's confint(fit, method = "profile", level) profiles with level_max = level but calls
        // confint(profile) without its level: the ends are 95 % ones whatever level is (its columns say so).
        // Ours gives the level's; glmmTMB's is confint(profile(fit, level_max = level), level = 0.95)
        const ci = o.level === undefined ? await fit.confint(o)
          : confintOfProfile(await fit.profile({ ...(o.parm !== undefined ? { parm: o.parm } : {}), levelMax: o.level }), 0.95);
        expect(ci.method).toBe('profile');
        expect(ci.columns).toEqual(call.result.columns);
        expect(ci.rows.map((r) => r.name)).toEqual(arr(call.result.names));
        ci.rows.forEach((r, i) => {
          const [, lo, hi] = rowOf(call.result, i);
          closeEnd(r.lower, lo, `${r.name} lower`, 1e-4);
          closeEnd(r.upper, hi, `${r.name} upper`, 1e-4);
        });
        expect(ci.print().split('\n')[0].trim().split(/\s+/).join(' ')).toBe(call.result.columns.join(' '));
        // the guard (profileGuard.ts) found no end on a worse local minimum here
        expect(ci.notes).toEqual([]);
      }
    }, 120_000);
  }
  it("sleep_gauss: the guard against a walk's worse local minimum leaves well-behaved ends exactly as the spline's", async () => {
    const fit = await fitOf('sleep_gauss');
    const pr = await fit.profile({ parm: [2, 4], levelMax: 0.95 });
    const unguarded = profileIntervals(pr, 0.95);
    const ci = await fit.confint({ method: 'profile', parm: [2, 4] });
    expect(ci.notes).toEqual([]);
    ci.rows.forEach((r, i) => {
      expect(r.lower).toBe(unguarded[i].lower);
      expect(r.upper).toBe(unguarded[i].upper);
    });
    // the same walk, then two optimizations (warm and fresh start) per finite end
    const finite = unguarded.flatMap((r) => [r.lower, r.upper]).filter((v) => !Number.isNaN(v)).length;
    expect(finite).toBe(4);
    expect(ci.profileEvaluations).toBe(pr.evaluations + 2 * finite);
  }, 60_000);
});

describe("confint(fit, method = 'profile', level): the level's ends", () => {
  it("sleep_gauss, level 0.9: the 5 % and 95 % columns, the ends within 1e-3 relative of uniroot's (the spline's interpolation error)", async () => {
    const fit = await fitOf('sleep_gauss');
    const ci = await fit.confint({ method: 'profile', level: 0.9, parm: [2, 4] });
    expect(ci.columns).toEqual(['5 %', '95 %']);
    const u = await fit.confint({ method: 'uniroot', level: 0.9, parm: [2, 4] });
    ci.rows.forEach((r, i) => {
      closeEnd(r.lower, u.rows[i].lower, `${r.name} lower`, 1e-3);
      closeEnd(r.upper, u.rows[i].upper, `${r.name} upper`, 1e-3);
    });
    // and not the 95 % ones
    const ci95 = await fit.confint({ method: 'profile', parm: [2] });
    expect(ci95.rows[0].lower).toBeLessThan(ci.rows[0].lower - 0.1);
  }, 60_000);
});

describe("tmbprofile's walk (evalAlongLine)", () => {
  it('halves the step where y moves more than ystep, doubles it where less than ystep/4, stops past ytol or at NA', async () => {
    // y = t² from 0 with h = 1, ytol 10, ystep 2: y 1 (Δ 1: h kept), 4 (Δ 3 > 2: h 1/2), 6.25 (Δ 2.25: h 1/4),
    // 7.5625, 9, 10.5625 (> 10: the last point)
    const w = await evalAlongLine(async (t) => t * t, 1, 10, 2);
    expect(w.t).toEqual([0, 1, 2, 2.5, 2.75, 3, 3.25]);
    const flat = await evalAlongLine(async (t) => (t > 5 ? NaN : 0.01 * t), 1, 10, 2);
    // Δy 0.01 < ystep/4: the step doubles each time; NA ends the walk, kept as its last point
    expect(flat.t).toEqual([0, 1, 3, 7]);
    expect(flat.y[3]).toBeNaN();
  });
});

describe("the profile's progress (onProgress), Cancel (signal) and bad input", () => {
  it('reports each parameter before its profile and once at the end', async () => {
    const fit = await fitOf('gauss_disp_f');
    const reports: string[] = [];
    const pr = await fit.profile({ parm: [4, 5], onProgress: (p) => reports.push(`${p.done}/${p.total} ${p.name}`) });
    expect(reports).toEqual(['0/2 d~fb', '1/2 d~fc', '2/2 ']);
    expect(pr.parameters.map((p) => p.position)).toEqual([4, 5]);
    expect(pr.evaluations).toBe(pr.rows.length);
  }, 60_000);
  it('an abort during the first profile stops it (AbortError)', async () => {
    const fit = await fitOf('sleep_gauss');
    const ac = new AbortController();
    const reports: number[] = [];
    const run = fit.confint({ method: 'profile', parm: 'theta_', signal: ac.signal, onProgress: (p) => { reports.push(p.done); if (p.done === 0) setTimeout(() => ac.abort(), 0); } });
    await expect(run).rejects.toThrow(expect.objectContaining({ name: 'AbortError' }));
    expect(reports).toEqual([0]);
  }, 60_000);
  it('names the option', async () => {
    const fit = await fitOf('sleep_gauss');
    await expect(fit.profile({ levelMax: 1 })).rejects.toThrow(OptionError);
    await expect(fit.profile({ levelMax: 1 })).rejects.toThrow(/levelMax must be a number between 0 and 1/);
    await expect(fit.profile({ npts: 0 })).rejects.toThrow(/npts must be a positive number/);
    await expect(fit.profile({ stepfac: -1 })).rejects.toThrow(/stepfac must be a positive number/);
    await expect(fit.profile({ parm: [1, 2], stderr: [1, 2, 3] })).rejects.toThrow(/length\(stderr\) should equal 1 or number of parameters \(2\)/);
    await expect(fit.profile({ parm: 'Dayz' })).rejects.toThrow(/unrecognized parameter name "Dayz"/);
    await expect(fit.profile({ npt: 3 } as object)).rejects.toThrow(/unknown option 'npt'/);
    await expect(fit.confint({ method: 'spline' as 'profile' })).rejects.toThrow(/method "spline" is not one of 'wald', 'uniroot', 'profile'/);
  }, 60_000);
  it("REML fits: no profiles (glmmTMB's refusal)", async () => {
    const c = profileCase('sleep_gauss');
    const fit = await zeroInflated(c.formula, caseTable(c), { family: 'gaussian', ziformula: '~ 0', factors: ['Subject'], REML: true });
    await expect(fit.profile()).rejects.toThrow(ModelError);
    await expect(fit.confint({ method: 'profile' })).rejects.toThrow(/REML/);
  }, 60_000);
});

describe('mixedgpu zeroinfl --confint profile, --profile OUT.csv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tmbprofile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(import.meta.dirname, 'fixtures', 'data', 'tmbfamilies.csv');
  const run = async (args: Record<string, unknown>) => {
    const out: string[] = [], err: string[] = [];
    const code = await runZeroinfl({ file, formula: 'yg ~ x + (1 | g)', family: 'gaussian', disp: '~ f', ...args }, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
    return { code, stdout: out.join(''), stderr: err.join('') };
  };
  it("prints glmmTMB's matrix; JSON; the profile's data frame as CSV", async () => {
    const c = profileCase('gauss_disp_f');
    const ref = c.calls[0].result;
    const r = await run({ confint: 'profile', parm: 'disp_' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0].trim().split(/\s+/).join(' ')).toBe('2.5 % 97.5 %');
    expect(lines.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(arr(ref.names));
    const j = JSON.parse((await run({ confint: 'profile', parm: '4', json: true })).stdout);
    expect(j.method).toBe('profile');
    closeEnd(j.rows[0].upper, rowOf(ref, 1)[2], 'd~fb upper', 1e-4);
    const csv = join(dir, 'p.csv');
    const p = await run({ profile: csv, parm: '4,5', npts: '4' });
    expect(p.stderr).toMatch(/^mixedgpu: wrote \d+ profile points of 2 parameters to .*p\.csv\n$/);
    expect(p.code).toBe(0);
    const rows = readFileSync(csv, 'utf8').trimEnd().split('\n');
    expect(rows[0]).toBe('".par",".focal","value"');
    expect(new Set(rows.slice(1).map((l) => l.split(',')[0]))).toEqual(new Set(['"d~fb"', '"d~fc"']));
    expect(rows.slice(1).some((l) => l.endsWith(',0'))).toBe(true);
  }, 120_000);
  it('refusals name the option', async () => {
    expect((await run({ confint: 'spline' })).stderr).toMatch(/--confint takes wald \(the default\), uniroot or profile, got 'spline'/);
    expect((await run({ npts: '4' })).stderr).toMatch(/--npts and --level-max are options of --profile/);
    expect((await run({ profile: join(dir, 'x.csv'), confint: true })).stderr).toMatch(/give one of --confint, --profile/);
  }, 60_000);
});
