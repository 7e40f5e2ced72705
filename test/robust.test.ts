/**
 * Cluster-robust (sandwich) inference for lmer fits (src/inference/robust/) against clubSandwich 0.5.8
 * (test/oracle/club_sandwich.R → test/fixtures/club-sandwich/club_sandwich.json).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type * as arrow from 'apache-arrow';
import { readCsv } from '../src/io/csv.js';
import { buildLmm } from '../src/lmm/model.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import { type CrType, vcovCR } from '../src/inference/robust/vcovCR.js';
import { type CoefTestName, coefTest, confIntCR } from '../src/inference/robust/coefTest.js';
import { type WaldTestName, waldTestCR } from '../src/inference/robust/waldTest.js';
import { fitAtTheta } from './helpers/atTheta.js';

interface Cols { [k: string]: number[] }
interface WaldResult { kind: 'zero' | 'equal'; coefs: string[]; test: string[]; Fstat: number[]; delta: number[]; df_num: number[]; df_denom: (number | null)[]; p_val: (number | null)[] }
interface TypeResult {
  type: CrType; vcov: number[]; cluster_levels: number; coef_test: Cols; conf_int: Cols; conf_int90_naive_t: Cols; wald: WaldResult[];
  printed?: { coef_test: string[]; coef_test_all: string[]; conf_int: string[]; wald: string[] };
}
interface Case {
  data: string; formula: string; reml: boolean; weights?: string; cluster: string; clusterGiven: boolean;
  theta: number[]; beta: number[]; xnames: string[]; sigma: number; types: Record<CrType, TypeResult>;
}
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'club-sandwich', 'club_sandwich.json'), 'utf8')) as { cases: Record<string, Case> };
const dataDir = join(import.meta.dirname, 'fixtures', 'data');
const factors: Record<string, string[]> = { 'sleepstudy.csv': ['Subject'], 'sleepstudy_weighted.csv': ['Subject'] };
const tables = new Map<string, arrow.Table>();
const table = (d: string) => {
  if (!tables.has(d)) tables.set(d, readCsv(readFileSync(join(dataDir, d), 'utf8'), { factors: factors[d] }).table);
  return tables.get(d)!;
};
const relErr = (a: number, b: number, scale = Math.abs(b)) => (a === b ? 0 : Math.abs(a - b) / Math.max(scale, 1e-300));
const EDT_TOL = 1e-7;
let worst = 0; const seen = (e: number) => { worst = Math.max(worst, e); return e; };
const atTheta = (c: Case): LmmFit => fitAtTheta(buildLmm(c.formula, table(c.data), { REML: c.reml, factors: factors[c.data], ...(c.weights ? { weights: c.weights } : {}) }), c.theta);

describe("clubSandwich's vcovCR at lme4's θ", () => {
  for (const [name, c] of Object.entries(fixture.cases)) {
    it(name, () => {
      const fit = atTheta(c);
      for (const [type, r] of Object.entries(c.types)) {
        const v = vcovCR(fit, { type: type as CrType, ...(c.clusterGiven ? { cluster: c.cluster } : {}) });
        expect(v.cluster).toBe(c.cluster);
        expect(v.J).toBe(r.cluster_levels);
        const big = Math.max(...r.vcov.map(Math.abs));
        v.vcov.forEach((x, k) => expect(relErr(x, r.vcov[k], big), `${type} vcov[${k}]`).toBeLessThan(1e-8));
      }
    });
  }
});

/** every number of clubSandwich's coef_test, conf_int and Wald_test for one vcovCR, to `tol` relative */
function expectTests(fit: LmmFit, c: Case, type: CrType, r: TypeResult, tol: number) {
  const v = vcovCR(fit, { type, ...(c.clusterGiven ? { cluster: c.cluster } : {}) });
  const ct = r.coef_test;
  const check = (got: number[], want: number[], what: string, t = tol) => {
    expect(got.length, what).toBe(want.length);
    got.forEach((g, i) => expect(seen(relErr(g, want[i])), `${type} ${what}[${i}]: ${g} vs ${want[i]}`).toBeLessThan(t));
  };
  const tests: [CoefTestName, string | null, string][] = [['z', null, 'p_z'], ['naive-t', 'df_t', 'p_t'], ['naive-tp', 'df_tp', 'p_tp'], ['Satterthwaite', 'df_Satt', 'p_Satt'], ['saddlepoint', null, 'p_saddle']];
  for (const [test, dfName, pName] of tests) {
    const res = coefTest(v, test);
    check(res.rows.map((x) => x.beta), ct.beta, 'beta');
    check(res.rows.map((x) => x.se), ct.SE, 'SE');
    check(res.rows.map((x) => x.t), ct.tstat, 't');
    if (dfName) check(res.rows.map((x) => x.df), ct[dfName], dfName);
    check(res.rows.map((x) => x.p), ct[pName], pName);
    if (test === 'saddlepoint') check(res.rows.map((x) => x.saddlepoint!), ct.saddlepoint, 'saddlepoint');
  }
  const ci = confIntCR(v, 0.95, 'Satterthwaite');
  check(ci.rows.map((x) => x.df), r.conf_int.df, 'conf_int df');
  check(ci.rows.map((x) => x.lower), r.conf_int.lower, 'conf_int lower');
  check(ci.rows.map((x) => x.upper), r.conf_int.upper, 'conf_int upper');
  const ci90 = confIntCR(v, 0.9, 'naive-t');
  check(ci90.rows.map((x) => x.lower), r.conf_int90_naive_t.lower, 'conf_int 90% naive-t lower');
  check(ci90.rows.map((x) => x.upper), r.conf_int90_naive_t.upper, 'conf_int 90% naive-t upper');
  for (const w of r.wald) {
    const res = waldTestCR(v, w.kind === 'zero' ? { zero: w.coefs } : { equal: w.coefs }, w.test as WaldTestName[]);
    expect(res.rows.map((x) => x.test)).toEqual(w.test);
    const what = `Wald ${w.kind}(${w.coefs.join(',')})`;
    check(res.rows.map((x) => x.delta), w.delta, `${what} delta`);
    check(res.rows.map((x) => x.dfDenom), w.df_denom.map((d) => d ?? Infinity), `${what} df_denom`);
    res.rows.forEach((x, i) => {
      // EDT: its statistic Σ z(t_k)² is not invariant to a rotation of the eigenvectors of
      // Ω^{-1/2} C V Cᵀ Ω^{-1/2}, which sleepstudy's CR0 has two eigenvalues 2.7e-7 apart (relative):
      // any eigensolver's vectors (LAPACK's in R, Jacobi's here) are determined to ~ε‖A‖/gap there,
      // 1.2e-8 seen in F; so EDT to EDT_TOL, and its p-values (down to 1e-23) as −log p, to the same
      const tolF = x.test === 'EDT' ? EDT_TOL : tol;
      expect(seen(relErr(x.Fstat, w.Fstat[i])), `${type} ${what} Fstat ${x.test}: ${x.Fstat} vs ${w.Fstat[i]}`).toBeLessThan(tolF);
      if (w.p_val[i] === null) expect(x.p, `${what} p ${x.test}`).toBeNaN();
      else if (x.test === 'EDT') expect(relErr(Math.log(x.p), Math.log(w.p_val[i]!)), `${type} ${what} log p EDT: ${x.p} vs ${w.p_val[i]}`).toBeLessThan(EDT_TOL);
      else expect(seen(relErr(x.p, w.p_val[i]!)), `${type} ${what} p ${x.test}: ${x.p} vs ${w.p_val[i]}`).toBeLessThan(tol);
    });
  }
}

describe("clubSandwich's coef_test, conf_int and Wald_test at lme4's θ", () => {
  for (const [name, c] of Object.entries(fixture.cases)) {
    it(name, async () => {
      const fit = atTheta(c);
      for (const [type, r] of Object.entries(c.types)) {
        expectTests(fit, c, type as CrType, r, 1e-8);
        await new Promise((res) => setTimeout(res, 0));
      }
    });
  }
});
