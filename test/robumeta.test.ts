/**
 * robumeta 2.0's robu(), print.robu and sensitivity() (src/meta/robu*.ts) against the fixtures of
 * test/oracle/robumeta.R: hierdat, corrdat and oswald2013 (Fisher's z) as robumeta ships them;
 * intercept-only models and meta-regressions, CORR and HIER, small = TRUE and FALSE, ρ 0.8 and 0.2,
 * user weights, rows with missing values, homogeneous data (τ², ω², I² truncated at 0); everything a closed form at the data, so 1e-8 relative.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readTableFile } from '../src/io/node.js';
import { robu, type RobuOptions } from '../src/meta/robu.js';
import { DataError, ModelError, OptionError } from '../src/errors/errors.js';

const dir = join(import.meta.dirname, 'fixtures', 'robumeta');
interface Fixture {
  case: string; data: string; formula: string; studynum: string; var: string; modelweights: 'CORR' | 'HIER';
  rho: number; small: boolean; userweights: string | null; N: number; M: number; p: number; k: number[]; labels: string[];
  b: number[]; SE: number[]; t: number[]; dfs: number[]; prob: number[]; CI_L: number[]; CI_U: number[]; sig: string[];
  VR: number[]; tau_sq: number | null; omega_sq: number | null; I2: number | null; term1: number | null; term2: number | null;
  printed: string;
  sensitivity?: { rows: { rho: number; b: number[]; SE: number[]; tau_sq: number }[]; printed: string };
}
const load = (name: string): Fixture => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Fixture;
const table = (name: string) => readTableFile(join(dir, 'data', `${name}.csv`)).table;
const CASES = ['corr_int', 'corr_reg', 'corr_reg_large', 'corr_reg_rho2', 'corr_reg_rho2_large', 'corr_na', 'corr_user', 'corr_user_large',
  'hier_int', 'hier_int_large', 'hier_reg', 'hier_reg_large', 'osw_corr', 'osw_corr_rho2', 'osw_hier', 'corr_homog', 'hier_homog'];

function optionsOf(f: Fixture): RobuOptions {
  return {
    formula: f.formula, studynum: f.studynum, var: f.var, modelweights: f.modelweights, rho: f.rho, smallSample: f.small,
    ...(f.userweights ? { userweights: f.userweights } : {}),
  };
}
function expectClose(got: ArrayLike<number>, want: number[], tol: number, what: string) {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const scale = Math.max(Math.abs(want[i]), 1e-300);
    expect(Math.abs(got[i] - want[i]) / scale, `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThan(tol);
  }
}

describe('robu (robumeta 2.0)', () => {
  for (const name of CASES) {
    it(`${name}: estimates, SEs, dfs, p, CIs and the variance components to 1e-8`, () => {
      const f = load(name);
      const fit = robu(table(f.data), optionsOf(f));
      expect(fit.N).toBe(f.N);
      expect(fit.M).toBe(f.M);
      expect(fit.P).toBe(f.p + 1);
      expect([...fit.k].sort((a, b) => a - b)).toEqual([...f.k].sort((a, b) => a - b));
      expect(fit.labels).toEqual(f.labels);
      expectClose(fit.beta, f.b, 1e-8, 'b');
      expectClose(fit.SE, f.SE, 1e-8, 'SE');
      expectClose(fit.t, f.t, 1e-8, 't');
      expectClose(fit.dfs, f.dfs.length === 1 ? Array(fit.P).fill(f.dfs[0]) : f.dfs, 1e-8, 'dfs');
      expectClose(fit.prob, f.prob, 1e-8, 'prob');
      expectClose(fit.ciL, f.CI_L, 1e-8, 'CI.L');
      expectClose(fit.ciU, f.CI_U, 1e-8, 'CI.U');
      expect(fit.sig).toEqual(f.sig);
      // the variance matrix: entries relative to the diagonal's scale
      const P = fit.P;
      for (let a = 0; a < P; a++) for (let b = 0; b < P; b++) {
        const scale = Math.sqrt(f.VR[a * P + a] * f.VR[b * P + b]);
        expect(Math.abs(fit.vcov[a * P + b] - f.VR[a * P + b]) / scale, `VR[${a},${b}]`).toBeLessThan(1e-8);
      }
      if (f.tau_sq === null) expect(fit.tau2).toBeNull(); else expectClose([fit.tau2!], [f.tau_sq], 1e-8, 'tau.sq');
      if (f.omega_sq === null) expect(fit.omega2).toBeNull(); else expectClose([fit.omega2!], [f.omega_sq], 1e-8, 'omega.sq');
      if (f.I2 === null) expect(fit.I2).toBeNull(); else expectClose([fit.I2!], [f.I2], 1e-8, 'I.2');
      if (f.term1 !== null) expectClose([fit.term1!, fit.term2!], [f.term1, f.term2!], 1e-8, 'term1, term2');
    });
    it(`${name}: print(robu) line for line`, () => {
      const f = load(name);
      const fit = robu(table(f.data), optionsOf(f));
      expect(fit.summary().replace(/\n$/, '')).toBe(f.printed);
    });
  }
  for (const name of CASES.filter((c) => load(c).sensitivity)) {
    it(`${name}: sensitivity() over rho = 0, 0.2, …, 1 and its printout`, () => {
      const f = load(name);
      const s = robu(table(f.data), optionsOf(f)).sensitivity();
      const ref = f.sensitivity!;
      expect(s.rows.map((r) => r.rho)).toEqual(ref.rows.map((r) => r.rho));
      s.rows.forEach((r, i) => {
        expectClose(r.beta, ref.rows[i].b, 1e-8, `b at rho ${r.rho}`);
        expectClose(r.SE, ref.rows[i].SE, 1e-8, `SE at rho ${r.rho}`);
        expectClose([r.tau2], [ref.rows[i].tau_sq], 1e-8, `tau.sq at rho ${r.rho}`);
      });
      expect(s.text.replace(/\n$/, '')).toBe(ref.printed);
    });
  }
});

describe('robu: bad input', () => {
  const small = () => arrow.tableFromArrays({
    study: Float64Array.from([1, 1, 2, 3, 3, 3, 4, 5, 5, 6]),
    y: Float64Array.from([0.1, 0.3, -0.2, 0.5, 0.4, 0.1, 0.0, 0.2, 0.6, 0.3]),
    v: Float64Array.from([0.02, 0.03, 0.05, 0.01, 0.02, 0.02, 0.04, 0.03, 0.03, 0.02]),
    x: Float64Array.from([1, 2, 3, 1, 4, 2, 5, 3, 1, 2]),
  });
  it('rows with a missing effect size, moderator or variance are dropped and counted (na.omit)', () => {
    const f = load('corr_na');
    const fit = robu(table(f.data), optionsOf(f));
    expect(fit.nDropped).toBe(3);
    expect(fit.M).toBe(f.M);
    expect(fit.messages).toEqual(['3 of 172 rows dropped for missing values (na.omit)']);
  });
  it('a study with one effect size is fine (hierdat has them)', () => {
    const f = load('hier_reg');
    const fit = robu(table(f.data), optionsOf(f));
    expect(Math.min(...fit.k)).toBe(1);
    expect(fit.dfs.every((d) => d > 0 && Number.isFinite(d))).toBe(true);
  });
  it('missing columns are named', () => {
    const t = small();
    expect(() => robu(t, { formula: 'y ~ x', studynum: 'studyid', var: 'v' })).toThrow(DataError);
    expect(() => robu(t, { formula: 'y ~ x', studynum: 'studyid', var: 'v' })).toThrow(/studynum: column 'studyid' not found/);
    expect(() => robu(t, { formula: 'y ~ x', studynum: 'study', var: 'vi' })).toThrow(/var: column 'vi' not found/);
    expect(() => robu(t, { formula: 'y ~ x', studynum: 'study', var: 'v', userweights: 'w' })).toThrow(/userweights: column 'w' not found/);
    expect(() => robu(t, { formula: 'y ~ z', studynum: 'study', var: 'v' })).toThrow(/'z'/);
  });
  it('a non-positive variance or user weight is refused naming the row', () => {
    const t = small();
    const v = Float64Array.from(t.getChild('v')!.toArray() as Float64Array);
    v[4] = 0;
    const bad = arrow.tableFromArrays({ study: t.getChild('study')!.toArray() as Float64Array, y: t.getChild('y')!.toArray() as Float64Array, v, x: t.getChild('x')!.toArray() as Float64Array });
    let err: unknown;
    try { robu(bad, { formula: 'y ~ x', studynum: 'study', var: 'v' }); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).row).toBe(5);
    expect((err as DataError).column).toBe('v');
    expect((err as Error).message).toMatch(/sampling variance 'v' is 0 in row 5/);
    const w = Float64Array.from({ length: 10 }, (_, i) => (i === 2 ? -1 : 1));
    const withW = arrow.tableFromArrays({ study: t.getChild('study')!.toArray() as Float64Array, y: t.getChild('y')!.toArray() as Float64Array, v: t.getChild('v')!.toArray() as Float64Array, w });
    expect(() => robu(withW, { formula: 'y ~ 1', studynum: 'study', var: 'v', userweights: 'w' })).toThrow(/user weight 'w' is -1 in row 3/);
  });
  it('fewer studies than coefficients is refused', () => {
    const t = arrow.tableFromArrays({
      study: Float64Array.from([1, 1, 2, 2]), y: Float64Array.from([0.1, 0.2, 0.3, 0.1]),
      v: Float64Array.from([0.1, 0.1, 0.1, 0.1]), x: Float64Array.from([1, 2, 3, 5]),
    });
    expect(() => robu(t, { formula: 'y ~ x', studynum: 'study', var: 'v' })).toThrow(ModelError);
    expect(() => robu(t, { formula: 'y ~ x', studynum: 'study', var: 'v' })).toThrow(/2 studies \('study'\) for 2 coefficients/);
  });
  it('options are checked', () => {
    const t = small();
    expect(() => robu(t, { formula: 'y ~ x', studynum: 'study', var: 'v', rho: 1.5 })).toThrow(OptionError);
    expect(() => robu(t, { formula: 'y ~ x', studynum: 'study', var: 'v', modelweights: 'corr' as 'CORR' })).toThrow(/modelweights must be 'CORR' or 'HIER'/);
    expect(() => robu(t, { formula: 'y ~ x', studynum: 'study', var: 'v', small: true } as unknown as RobuOptions)).toThrow(/unknown option 'small'/);
    expect(() => robu(t, { formula: 'y ~ x + (1 | study)', studynum: 'study', var: 'v' })).toThrow(/random-effects terms/);
  });
  it('sensitivity() is refused for hierarchical effects and user weights, as robumeta', () => {
    const h = load('hier_int');
    expect(() => robu(table(h.data), optionsOf(h)).sensitivity()).toThrow(/not available for hierarchical effects/);
    const u = load('corr_user');
    expect(() => robu(table(u.data), optionsOf(u)).sensitivity()).toThrow(/not available for user specified weights/);
  });
});
