/**
 * test/oracle/tmb_profile.R's cases (test/fixtures/tmb_profile/profile.json) and the comparison of our profile
 * (src/zeroinfl/profile.ts) with glmmTMB's, shared by test/tmbProfile.test.ts and test/tmbProfileZinb.test.ts.
 *
 * Each profile runs at glmmTMB's optimum x̂ (fit$fit$par) with glmmTMB's SEs as steps (profile's stderr), so the
 * grid is TMB's own: the same .par rows, .focal within 1e-8 of max(1, |.focal|) (the same step halvings and
 * doublings: each decision compares a −log L difference with ystep/8 … ystep), the values within `valueTol`
 * (default 1e-6: TMB's inner nlminb stops at rel.tol 1e-10 of −log L ≈ 900, 1e-7; ours, BOBYQA to a trust
 * radius of 1e-7, is as close), and each parameter's confint(profile) end within 1e-6 of max(1, |end|) (the
 * spline's inverse moves by a value error over the profile's slope there), or glmmTMB's error where it has one
 * (ours: a ModelError naming the parameter), or NA where glmmTMB's end lies outside its side's points (its inverse
 * spline extrapolated: zinb2_mined's d~(Intercept) lower end −0.931, the profile's −0.547). `within`: the .focal range compared, where glmmTMB's walk and ours
 * part beyond it (the reason given per case).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import type { ZiFamily } from '../../src/zeroinfl/model.js';
import { profileGlmmTmb } from '../../src/zeroinfl/profile.js';
import { confintOfProfile } from '../../src/zeroinfl/confint.js';
import { ModelError } from '../../src/errors/errors.js';
import { zeroInflatedAt } from './zeroinflAt.js';
import { arr } from './tmbChecks.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
export interface RMatrix { names: string | string[]; columns: string[]; values: (number | null | (number | null)[])[]; error?: string }
export interface ProfileCase {
  name: string; formula: string; ziformula: string; dispformula: string; family: ZiFamily; data: string;
  par: number[]; objective: number; fullNames: string[]; sds: number[];
  profiles: { parm: number | number[]; level_max: number; npts: number; data: { par: string[]; focal: number[]; value: (number | null)[]; raw: (number | null)[] }; confint: RMatrix[] }[];
  calls: { options: Record<string, unknown>; result: RMatrix }[];
}
export const profileOracle = JSON.parse(readFileSync(join(fixtures, 'tmb_profile', 'profile.json'), 'utf8')) as { glmmTMB: string; cases: ProfileCase[] };
export const profileCase = (name: string) => profileOracle.cases.find((c) => c.name === name)!;
export const DATA: Record<string, { file: string; factors: string[] }> = {
  salamanders: { file: 'salamanders.csv', factors: [] },
  sleepstudy: { file: 'sleepstudy.csv', factors: ['Subject'] },
  tmbfamilies: { file: 'tmbfamilies.csv', factors: [] },
};
export const caseTable = (c: ProfileCase) => readCsv(readFileSync(join(fixtures, 'data', DATA[c.data].file), 'utf8'), { factors: DATA[c.data].factors }).table;

/** a matrix's one row: [name, lower, upper] */
export const rowOf = (m: RMatrix, i = 0): [string, number | null, number | null] => [arr(m.names)[i], arr(m.values[0])[i] as number | null, arr(m.values[1])[i] as number | null];
export const closeEnd = (mine: number, ref: number | null, what: string, tol = 1e-6) => {
  if (ref === null) { expect(mine, what).toBeNaN(); return; }
  expect(Math.abs(mine - ref) / Math.max(1, Math.abs(ref)), `${what}: ${mine} vs ${ref}`).toBeLessThan(tol);
};

/**
 * profile `which` of case `c` at glmmTMB's optimum and SEs against glmmTMB's; `within[position]`: the .focal
 * range compared for that parameter; `valueTol[position]`: its values' tolerance (default 1e-6)
 */
export async function expectProfileAsGlmmTmb(c: ProfileCase, which: number, opts: { within?: Record<number, [number, number]>; valueTol?: Record<number, number> } = {}) {
  const p = c.profiles[which];
  const parm = arr(p.parm);
  const fit = zeroInflatedAt(caseTable(c), c);
  const pr = await profileGlmmTmb(fit, { parm, levelMax: p.level_max, npts: p.npts, stderr: parm.map((k) => c.sds[k - 1]) });
  expect(pr.parameters.map((q) => q.name)).toEqual(parm.map((k) => c.fullNames[k - 1]));
  const d = p.data;
  for (const [i, k] of parm.entries()) {
    const name = c.fullNames[k - 1];
    const [lo, hi] = opts.within?.[k] ?? [-Infinity, Infinity];
    const inRange = (f: number) => f >= lo && f <= hi;
    const ours = pr.rows.filter((r) => r.position === k && inRange(r.focal));
    const ref = d.par.map((_, j) => j).filter((j) => d.par[j] === name && inRange(d.focal[j]));
    expect(ours.length, `${name}: the number of points`).toBe(ref.length);
    expect(ours.length).toBeGreaterThanOrEqual(15);
    ref.forEach((j, a) => {
      expect(Math.abs(ours[a].focal - d.focal[j]) / Math.max(1, Math.abs(d.focal[j])), `${name} .focal ${a}`).toBeLessThan(1e-8);
      const v = d.value[j];
      if (v === null) expect(ours[a].value).toBeNaN();
      else expect(Math.abs(ours[a].value - v), `${name} value at ${d.focal[j]}`).toBeLessThan(opts.valueTol?.[k] ?? 1e-6);
    });
    if (opts.within?.[k]) continue;
    // confint(profile, parm = i)
    const one = { ...pr, parameters: [pr.parameters[i]] };
    const rc = p.confint[i];
    if (rc.error) {
      expect(() => confintOfProfile(one), `${name}: glmmTMB's ${rc.error}`).toThrow(ModelError);
      continue;
    }
    const row = confintOfProfile(one).rows[0];
    const [rn, rl, ru] = rowOf(rc);
    expect(row.name).toBe(rn);
    // glmmTMB's end outside its side's points (the inverse spline extrapolated) is NA in ours
    const pts = pr.rows.filter((r) => r.position === k);
    const least = pts.reduce((m, r) => (r.value < m.value ? r : m));
    const lowerSide = pts.filter((r) => r.focal <= least.focal).map((r) => r.focal);
    const upperSide = pts.filter((r) => r.focal > least.focal).map((r) => r.focal);
    const outside = (v: number | null, side: number[]) => v !== null && (side.length === 0 || v < Math.min(...side) || v > Math.max(...side));
    closeEnd(row.lower, outside(rl, lowerSide) ? null : rl, `${name} lower`);
    closeEnd(row.upper, outside(ru, upperSide) ? null : ru, `${name} upper`);
  }
  return pr;
}
