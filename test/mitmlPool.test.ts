/**
 * The pooling stages alone (src/inference/miPool.ts, miTests.ts) on R's per-imputation estimates
 * (lme4 1.1-31's fixef, vcov and ML logLik of each of the 5 imputed data sets, test/oracle/mitml.R):
 * mitml 0.4-4's testEstimates, testModels (D1, D2) and testConstraints and mice 3.15's pool to 1e-10
 * relative — the same arithmetic on the same numbers. testConstraints to 1e-7: mitml differentiates
 * the constraint numerically (numericDeriv's forward difference, exact here only to ~1e-8).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { poolEstimates, poolMice } from '../src/inference/miPool.js';
import { constrainEstimates, miD1, miD2, parseLinearConstraint, waldStatistics } from '../src/inference/miTests.js';

const ref = JSON.parse(readFileSync(new URL('./fixtures/mitml/references.json', import.meta.url), 'utf8'));

type Per = { beta: number[]; names: string[]; vcov: number[][]; logLikML: number; df: number };
const perOf = (key: string): Per[] => ref.perImputation[key];
const estOf = (key: string) => {
  const per = perOf(key);
  return { names: per[0].names, Q: per.map((p) => p.beta), U: per.map((p) => p.vcov) };
};

function close(a: number, b: number, rel: number, abs = 0): void {
  expect(Math.abs(a - b)).toBeLessThanOrEqual(rel * Math.abs(b) + abs);
}
const cols = ['Estimate', 'Std.Error', 't.value', 'df', 'P(>|t|)', 'RIV', 'FMI'] as const;

describe.each([['lmer', 'lmer_slope', 'lmer_null'], ['glmer', 'glmer_bin', 'glmer_null']])('pooling R\'s %s estimates', (kind, full, nul) => {
  const R = ref[kind];
  it('testEstimates (Rubin 1987) and with df.com (Barnard & Rubin 1999)', () => {
    const cases: [unknown, number | null][] = [[R.testEstimates, null]];
    if (R.testEstimatesDfCom) cases.push([R.testEstimatesDfCom, 100]);
    for (const [t, dfCom] of cases) {
      const e = (t as { estimates: Record<string, number[]> & { names: string[] } }).estimates;
      const got = poolEstimates(estOf(full), { dfCom });
      expect(got.rows.map((r) => r.term)).toEqual(e.names);
      got.rows.forEach((r, j) => {
        const v = [r.estimate, r.se, r.t, r.df, r.p, r.riv, r.fmi];
        // p to 1e-15 absolute besides: mitml's 2(1 − pt(|t|)) carries 1 − pt's rounding (~1e-16)
        cols.forEach((c, i) => close(v[i], e[c][j], 1e-10, c === 'P(>|t|)' ? 1e-15 : 0));
      });
    }
  });
  it('mice::pool', () => {
    const s = R.pool.pooled;
    const got = poolMice(estOf(full), R.pool.dfcom);
    expect(got.map((r) => r.term)).toEqual(s.term);
    got.forEach((r, j) => {
      for (const c of ['estimate', 'ubar', 'b', 't', 'df', 'riv', 'lambda', 'fmi'] as const) close(r[c], s[c][j], 1e-10);
      close(r.std_error, R.pool.summary['std.error'][j], 1e-10);
      close(r.statistic, R.pool.summary.statistic[j], 1e-10);
      close(r.p_value, R.pool.summary['p.value'][j], 1e-9);
    });
  });
  it('testModels D1 and D2 (wald, likelihood)', () => {
    const e = estOf(full), e0 = estOf(nul);
    const idx = e.names.map((n: string, j: number) => (e0.names.includes(n) ? -1 : j)).filter((j: number) => j >= 0);
    const Q = e.Q.map((q: number[]) => idx.map((j: number) => q[j]));
    const U = e.U.map((u: number[][]) => idx.map((i: number) => idx.map((j: number) => u[i][j])));
    const check = (t: { F: number; df1: number; df2: number; p: number; riv: number }, r: Record<string, number>) => {
      close(t.F, r['F.value'], 1e-10); expect(t.df1).toBe(r.df1); close(t.df2, r.df2, 1e-10); close(t.p, r['P(>F)'], 1e-9); close(t.riv, r.RIV, 1e-10);
    };
    check(miD1(Q, U), R.D1.test);
    if (R.D1DfCom) check(miD1(Q, U, 100), R.D1DfCom.test);
    check(miD2(waldStatistics(Q, U), idx.length), R.D2wald.test);
    const per = perOf(full), per0 = perOf(nul);
    const d = per.map((p, l) => -2 * (per0[l].logLikML - p.logLikML));
    check(miD2(d, per[0].df - per0[0].df), R.D2likelihood.test);
  });
  it('testConstraints (linear constraints on β)', () => {
    const e = estOf(full);
    const cases: [string, number | null, 'D1' | 'D2'][] = kind === 'lmer' ? [['constraintsD1', null, 'D1'], ['constraintsD1DfCom', 100, 'D1'], ['constraintsD2', null, 'D2']] : [['constraintsD1', null, 'D1']];
    for (const [key, dfCom, method] of cases) {
      const r = R[key];
      const cons = ([] as string[]).concat(r.constraints).map((c) => parseLinearConstraint(c, e.names));
      const { Q, U } = constrainEstimates(e.Q, e.U, cons);
      const t = method === 'D1' ? miD1(Q, U, dfCom) : miD2(waldStatistics(Q, U), cons.length);
      close(t.F, r.test['F.value'], 1e-7); close(t.df2, r.test.df2, 1e-7); close(t.p, r.test['P(>F)'], 1e-6); close(t.riv, r.test.RIV, 1e-7);
    }
  });
});

describe('linear constraints', () => {
  const names = ['(Intercept)', 'ReadDis', 'SES', 'SexGirl'];
  it('parses sums of multiples of the coefficients', () => {
    expect(parseLinearConstraint('SexGirl - ReadDis', names)).toMatchObject({ constant: 0, coefficients: [0, -1, 0, 1] });
    expect(parseLinearConstraint('2*SES + (Intercept)/4 - 1', names)).toMatchObject({ constant: -1, coefficients: [0.25, 0, 2, 0] });
    expect(parseLinearConstraint('Intercept - 500', names)).toMatchObject({ constant: -500, coefficients: [1, 0, 0, 0] });
  });
  it('refuses what is not a linear constraint, naming the token', () => {
    expect(() => parseLinearConstraint('SES*ReadDis', names)).toThrow(/product of coefficients/);
    expect(() => parseLinearConstraint('exp(SES)', names)).toThrow(/function exp\(\)/);
    expect(() => parseLinearConstraint('SESx', names)).toThrow(/"SESx" is not a coefficient/);
    expect(() => parseLinearConstraint('3', names)).toThrow(/names no coefficient/);
  });
});

describe('bad input to the pooling stages', () => {
  it('needs at least two imputations and equal lengths', () => {
    expect(() => poolEstimates({ names: ['a'], Q: [[1]], U: [[[1]]] })).toThrow(/at least 2 imputed data sets/);
    expect(() => poolEstimates({ names: ['a', 'b'], Q: [[1, 2], [1]], U: null })).toThrow(/imputation 2's estimates have 1 entries/);
    expect(() => poolEstimates({ names: ['a'], Q: [[1], [2]], U: [[[1]], [[1]]] }, { dfCom: -3 })).toThrow(/dfCom/);
  });
});
