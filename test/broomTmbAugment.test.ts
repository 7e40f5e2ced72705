/**
 * broom.mixed 0.2.9.4's augment() of glmmTMB 1.1.5 fits (src/broom/augmentTmb.ts, src/zeroinfl/
 * etaVariance.ts) against test/oracle/broom_tmb_augment.R (test/fixtures/broom/broom_tmb_augment.json):
 * Salamanders zero-inflated Poisson and NB2 and a hurdle Poisson, a beta GLMM, a gaussian with
 * dispformula ~ f, Gamma (log), sleepstudy's gaussian (Days | Subject) and a ZIP with crossed (1 | site) +
 * (1 | spp) (the forward solve through both grouping factors' blocks) and one with (1 | site) in its zero
 * model too (η's z holds the conditional columns of the shared block) — the columns (the data's,
 * or the model frame's without data, then .fitted, .se.fit, .resid) exactly, and every number against
 * glmmTMB's fit moved to its tight optimum (the one ours reaches), at the tolerances of
 * test/ggeffectsTmb.test.ts: .fitted within 1e-5 of max(1, |η|) (an estimate), .resid within 1e-5 of
 * max(1, |y|) (the fitted mean's error), .se.fit within 1e-4 relative (the fit's vcov: central
 * differences of the Laplace objective here, TMB's exact Hessian there; the modes' derivatives by
 * central differences here, TMB's automatic ones there). Worst seen: .fitted 8.5e-7, .resid 7.2e-7, .se.fit 4.2e-6
 * (zinb2; crossed 1.6e-6). Set AUG_WORST=1 to print the largest errors.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';
import type { ZiFamily } from '../src/zeroinfl/model.js';
import { augment } from '../src/broom/augment.js';
import { ModelError } from '../src/errors/errors.js';

const fixtures = join(import.meta.dirname, 'fixtures');
interface Case {
  name: string; data: string; formula: string; ziformula: string; dispformula: string; family: ZiFamily;
  columns: string[]; columns_frame: string[]; '.fitted': number[]; '.se.fit': number[]; '.resid': number[];
}
const CASES = JSON.parse(readFileSync(join(fixtures, 'broom', 'broom_tmb_augment.json'), 'utf8')) as Case[];
const FILES: Record<string, { file: string; factors: string[] }> = {
  salamanders: { file: 'salamanders.csv', factors: [] }, tmbfamilies: { file: 'tmbfamilies.csv', factors: [] },
  tmbfamilies2: { file: 'tmbfamilies2.csv', factors: [] }, sleepstudy: { file: 'sleepstudy.csv', factors: ['Subject'] },
};
const table = (name: string) => readCsv(readFileSync(join(fixtures, 'data', FILES[name].file), 'utf8'), { factors: FILES[name].factors }).table;
const worst = new Map<string, number>();
afterAll(() => { if (process.env.AUG_WORST) for (const [k, v] of worst) console.log(k, v.toExponential(2)); });

describe('augment of glmmTMB fits against broom.mixed 0.2.9.4', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.family} ${c.formula}${c.ziformula !== '~ 0' ? `, zi ${c.ziformula}` : ''}${c.dispformula !== '~ 1' ? `, disp ${c.dispformula}` : ''}`, async () => {
      const data = table(c.data);
      const fit = await zeroInflated(c.formula, data, { family: c.family, ziformula: c.ziformula, dispformula: c.dispformula, factors: FILES[c.data].factors });
      const a = augment(fit, { data });
      expect(a.columns).toEqual(c.columns);
      expect(augment(fit).columns).toEqual(c.columns_frame);
      const y = a.rows.map((r) => Number(r[c.formula.split(' ~')[0]]));
      expect(a.rows.length).toBe(c['.fitted'].length);
      const err = { fitted: 0, resid: 0, se: 0 };
      a.rows.forEach((r, i) => {
        err.fitted = Math.max(err.fitted, Math.abs((r['.fitted'] as number) - c['.fitted'][i]) / Math.max(1, Math.abs(c['.fitted'][i])));
        err.resid = Math.max(err.resid, Math.abs((r['.resid'] as number) - c['.resid'][i]) / Math.max(1, Math.abs(y[i])));
        err.se = Math.max(err.se, Math.abs((r['.se.fit'] as number) - c['.se.fit'][i]) / c['.se.fit'][i]);
      });
      for (const [k, v] of Object.entries(err)) worst.set(`${c.name} ${k}`, v);
      expect(err.fitted).toBeLessThan(1e-5);
      expect(err.resid).toBeLessThan(1e-5);
      expect(err.se).toBeLessThan(1e-4);
    }, 120_000);
  }

  it('refuses what it does not cover, by name', async () => {
    const sal = table('salamanders');
    const bin = await zeroInflated('prop ~ x + (1 | g)', table('tmbfamilies2'), { family: 'binomial', weights: 'ntr', ziformula: '~ 0' });
    expect(() => augment(bin)).toThrow(ModelError);
    expect(() => augment(bin)).toThrow(/binomial fit with trials/);
    const reml = await zeroInflated('count ~ mined + (1 | site)', sal, { family: 'nbinom2', ziformula: '~ 0', REML: true });
    expect(() => augment(reml)).toThrow(/REML/);
  }, 120_000);
});
