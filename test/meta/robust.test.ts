/**
 * Robust variance estimation for meta-analyses (src/meta/robustMeta.ts) against clubSandwich 0.5.8's
 * vcovCR.rma.mv / vcovCR.rma.uni with coef_test, conf_int and Wald_test
 * (test/oracle/club_sandwich_meta.R → test/fixtures/club-sandwich/meta.json): dat.konstantopoulos2011 as
 * rma.mv(~ 1 | district/school) by REML without and with I(year - 1990) (clusters: district, the default),
 * and as rma.uni (REML, DL) with I(year - 1990) clustered by district; every type and test:
 *  - at metafor's σ̂² (or τ̂²) and β̂ (metafor run to a tight tolerance): 1e-8 relative (the saddlepoint
 *    test 1e-6: R's uniroot, see there);
 *  - at our own fit (meta()): 1e-6 (REML: σ̂² from our optimizer, seen below it; DL: closed form);
 *  - clubSandwich's printout of coef_test (CR2), and its refusal of an rma.uni without clusters.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { meta as fitMeta } from '../../src/meta/meta.js';
import { type MetaRobustDesign, metaVcovCR } from '../../src/meta/robustMeta.js';
import { coefTest, confIntOfVcov } from '../../src/inference/robust/coefTest.js';
import { waldTestCR } from '../../src/inference/robust/waldTest.js';
import { printCoefTest } from '../../src/inference/robust/print.js';
import type { CrType, VcovCR } from '../../src/inference/robust/vcovCR.js';
import { OptionError } from '../../src/errors/errors.js';
import { loadMetaData, metaDataPath, numericColumn } from '../helpers/metaReference.js';
import { runMain } from '../helpers/cliEngines.js';

interface TypeRes { J: number; vcov: number[]; coef_test: Record<string, number[]>; conf_int: Record<string, number[]>; wald: { test: string[]; Fstat: number[]; delta: number[]; df_denom: (number | null)[]; p_val: number[] }; printed?: string[] }
interface Case { kind: 'rma.uni' | 'rma.mv'; method: string; mods: string | null; random: string | null; cluster: string | null; beta: number[]; names: string[]; tau2?: number; sigma2?: number[]; types: Record<CrType, TypeRes> }
const fx = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'club-sandwich', 'meta.json'), 'utf8')) as { cases: Record<string, Case>; refusal_no_cluster: string };
const ko = loadMetaData('konstantopoulos2011');
const y = numericColumn(ko, 'yi'), v = numericColumn(ko, 'vi'), district = numericColumn(ko, 'district'), school = numericColumn(ko, 'school'), year = numericColumn(ko, 'year');
const k = y.length;
const SADDLE_TOL = 1e-6;
const relErr = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.abs(b));

/** metafor's model at its own estimates */
function designAt(c: Case): MetaRobustDesign {
  const p = c.mods ? 2 : 1;
  const X = new Float64Array(k * p);
  for (let i = 0; i < k; i++) { X[i] = 1; if (p === 2) X[k + i] = year[i] - 1990; }
  const codesOf = (keys: string[]) => {
    const labels = [...new Set(keys)];
    return { labels, codes: Int32Array.from(keys, (s) => labels.indexOf(s)) };
  };
  const d1 = codesOf(Array.from(district, String)), d2 = codesOf(Array.from(district, (d, i) => `${d}/${school[i]}`));
  return {
    X, k, p, names: c.names, y, v, beta: Float64Array.from(c.beta), tau2: c.kind === 'rma.uni' ? c.tau2! : null,
    levels: c.kind === 'rma.mv' ? [{ name: 'district', sigma2: c.sigma2![0], ...d1 }, { name: 'district/school', sigma2: c.sigma2![1], ...d2 }] : null,
    rows: Int32Array.from({ length: k }, (_, i) => i), nInput: k,
    column: (name) => (name === 'district' ? Array.from(district) : null),
  };
}

function expectAll(vc: (type: CrType) => VcovCR, c: Case, tol: number) {
  for (const [type, r] of Object.entries(c.types) as [CrType, TypeRes][]) {
    const V = vc(type);
    expect(V.J).toBe(r.J);
    const big = Math.max(...r.vcov.map(Math.abs));
    V.V.forEach((x, i) => expect(Math.abs(x - r.vcov[i]) / big, `${type} vcov`).toBeLessThan(tol));
    const cols: [Parameters<typeof coefTest>[1], string | null, string][] = [['z', null, 'p_z'], ['naive-t', 'df_t', 'p_t'], ['naive-tp', 'df_tp', 'p_tp'], ['Satterthwaite', 'df_Satt', 'p_Satt'], ['saddlepoint', null, 'p_saddle']];
    for (const [test, df, pv] of cols) {
      const ct = coefTest(V, test);
      ct.rows.forEach((row, i) => {
        expect(relErr(row.se, r.coef_test.SE[i]), `${type} SE`).toBeLessThan(tol);
        if (df) expect(relErr(row.df, r.coef_test[df][i]), `${type} ${df}`).toBeLessThan(tol);
        // the saddlepoint's root: R's uniroot stops at a tolerance of 1.2e-4 in s, and where f differs at
        // rounding level (P_i's null eigenvalue, ±1e-20) Brent's last step can differ (a step of the
        // tolerance against an interpolated one): uni_year's CR0 s 1.3e-7 apart, p 2.1e-7; so 1e-6 there
        const t = test === 'saddlepoint' ? Math.max(tol, SADDLE_TOL) : tol;
        expect(relErr(row.p, r.coef_test[pv][i]), `${type} ${pv}`).toBeLessThan(t);
        if (test === 'saddlepoint') expect(relErr(row.saddlepoint!, r.coef_test.saddlepoint[i]), `${type} s`).toBeLessThan(t);
      });
    }
    const ci = confIntOfVcov(V, 0.95, 'Satterthwaite');
    ci.rows.forEach((row, i) => {
      expect(relErr(row.lower, r.conf_int.lower[i]), `${type} lower`).toBeLessThan(tol);
      expect(relErr(row.upper, r.conf_int.upper[i]), `${type} upper`).toBeLessThan(tol);
    });
    const w = waldTestCR(V, { zero: c.names }, r.wald.test as never);
    expect(w.rows.map((x) => x.test)).toEqual(r.wald.test);
    w.rows.forEach((x, i) => {
      expect(relErr(x.Fstat, r.wald.Fstat[i]), `${type} ${x.test} F`).toBeLessThan(tol);
      if (r.wald.df_denom[i] === null) expect(x.dfDenom).toBe(Infinity);
      else expect(relErr(x.dfDenom, r.wald.df_denom[i]!), `${type} ${x.test} df`).toBeLessThan(tol);
      expect(relErr(x.p, r.wald.p_val[i]), `${type} ${x.test} p`).toBeLessThan(tol);
    });
  }
}

describe("clubSandwich's vcovCR, coef_test, conf_int and Wald_test of metafor fits at metafor's estimates", () => {
  for (const [name, c] of Object.entries(fx.cases)) {
    it(name, () => {
      const d = designAt(c);
      expectAll((type) => metaVcovCR(d, { type, ...(c.cluster ? { cluster: c.cluster } : {}) }), c, 1e-8);
    });
  }
});

describe('the same at our fit (meta())', () => {
  for (const [name, c] of Object.entries(fx.cases)) {
    it(name, async () => {
      const fit = await fitMeta(ko, { yi: 'yi', vi: 'vi', method: c.method as 'REML', ...(c.mods ? { mods: c.mods } : {}), ...(c.random ? { random: c.random } : {}) });
      const cluster = c.cluster ? { cluster: c.cluster } : {};
      expectAll((type) => fit.vcovCR({ type, ...cluster }), c, 1e-6);
      const v2 = fit.vcovCR(cluster);
      expect(printCoefTest(fit.coefTest({ vcov: v2 }))).toEqual(c.types.CR2.printed);
      expect(fit.confIntCR({ vcov: v2 }).rows.length).toBe(c.names.length);
      expect(fit.waldTest({ zero: c.names }, { vcov: v2 }).rows[0].test).toBe('HTZ');
      // the type instead of a variance computed before, as the lmer fits' methods take it
      const v1 = fit.vcovCR({ type: 'CR1', ...cluster });
      expect(fit.coefTest({ type: 'CR1', ...cluster }).rows).toEqual(fit.coefTest({ vcov: v1 }).rows);
      expect(fit.confIntCR({ type: 'CR1', ...cluster }).rows).toEqual(fit.confIntCR({ vcov: v1 }).rows);
      expect(fit.waldTest({ zero: c.names }, { type: 'CR1', ...cluster }).rows).toEqual(fit.waldTest({ zero: c.names }, { vcov: v1 }).rows);
    });
  }
});

describe('refusals', () => {
  it('rma.uni without clusters, a non-nested cluster, bad options', async () => {
    expect(fx.refusal_no_cluster).toBe('You must specify a clustering variable.');
    const uni = await fitMeta(ko, { yi: 'yi', vi: 'vi' });
    expect(() => uni.vcovCR()).toThrow(OptionError);
    expect(() => uni.vcovCR()).toThrow(/needs the clusters.*You must specify a clustering variable/);
    expect(() => uni.vcovCR({ cluster: 'nope' })).toThrow(/'nope' is not a column of the data/);
    const mv = await fitMeta(ko, { yi: 'yi', vi: 'vi', random: '~ 1 | district/school' });
    expect(() => mv.vcovCR({ cluster: 'year' })).toThrow(/level 'district' is not nested in the clusters of 'year'/);
    expect(() => mv.coefTest({ vcov: uni.vcovCR({ cluster: 'district' }) })).toThrow(/not a cluster-robust variance of this meta-analysis/);
    expect(() => mv.vcovCR({ type: 'CR9' as never })).toThrow(/'CR9' is not a cluster-robust variance type/);
    expect(() => mv.coefTest({ vcov: 'CR2', type: 'CR1' })).toThrow(/give vcov or type, not both/);
  });
});

describe('mixedgpu meta --robust', () => {
  it("rma.mv with a moderator (clusters: district) and rma.uni clustered by district: clubSandwich's coef_test printout", async () => {
    for (const [name, extra] of [['mv_year', ['--random', '~ 1 | district/school']], ['uni_year', ['--cluster', 'district']]] as const) {
      const c = fx.cases[name];
      const out = await runMain(['meta', metaDataPath('konstantopoulos2011'), '--yi', 'yi', '--vi', 'vi', '--mods', '~ I(year - 1990)', '--robust', 'CR2', ...extra]);
      expect(out.code, out.stderr).toBe(0);
      const lines = out.stdout.split('\n');
      const at = lines.findIndex((l) => l.startsWith('Robust variance estimation (clubSandwich): CR2, clustered by district (11 clusters)'));
      expect(at).toBeGreaterThan(0);
      expect(lines.slice(at + 1, at + 1 + c.types.CR2.printed!.length)).toEqual(c.types.CR2.printed);
    }
    const json = await runMain(['meta', metaDataPath('konstantopoulos2011'), '--yi', 'yi', '--vi', 'vi', '--robust', 'CR1', '--cluster', 'district', '--mods', '~ I(year - 1990)', '--json']);
    const j = JSON.parse(json.stdout);
    expect(j.robust.type).toBe('CR1');
    j.robust.coef_test.forEach((r: { se: number }, i: number) => expect(relErr(r.se, fx.cases.uni_year.types.CR1.coef_test.SE[i])).toBeLessThan(1e-6));
    const bad = await runMain(['meta', metaDataPath('konstantopoulos2011'), '--yi', 'yi', '--vi', 'vi', '--robust']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/needs the clusters/);
  });
});
