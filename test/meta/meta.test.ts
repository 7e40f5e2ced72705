/**
 * meta(): the whole pipeline from a table (escalc'd dat.bcg) against metafor, and bad input.
 * Tolerances of issue #12: τ² 1e-5 relative, β 1e-6, SE 1e-5, I²/H²/Q 1e-6 relative (metafor run with
 * threshold 1e-12); the printout line for line.
 */
import { describe, expect, it } from 'vitest';
import { escalcTable } from '../../src/meta/escalcTable.js';
import { type MetaOptions, meta } from '../../src/meta/meta.js';
import { loadMetaData, loadMetaJson, loadRma } from '../helpers/metaReference.js';

const bcg = escalcTable('RR', loadMetaData('bcg'), { ai: 'tpos', bi: 'tneg', ci: 'cpos', di: 'cneg' }).table;

function rel(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
}

async function check(name: string, options: Partial<MetaOptions>): Promise<void> {
  const ref = loadRma(name);
  const fit = await meta(bcg, { yi: 'yi', vi: 'vi', ...options });
  const j = fit.toJSON() as Record<string, any>;
  expect(rel(j.tau2, ref.tau2!), `${name} tau2 ${j.tau2} vs ${ref.tau2}`).toBeLessThan(1e-5);
  for (const nm of Object.keys(ref.beta)) {
    expect(Math.abs(j.beta[nm] - ref.beta[nm]), `${name} beta ${nm}`).toBeLessThan(1e-6);
    expect(rel(j.se[nm], ref.se[nm]), `${name} se ${nm}`).toBeLessThan(1e-5);
  }
  for (const key of ['I2', 'H2', 'QE'] as const) expect(rel(j[key], ref[key]!), `${name} ${key}`).toBeLessThan(1e-6);
  expect(fit.summary().split('\n').slice(0, ref.print.length)).toEqual(ref.print);
}

describe('meta() by REML and ML: the mixed model with weights 1/v and σ fixed at 1', () => {
  it('REML and ML, intercept only (with the shared bcg_meta_reml anchor)', async () => {
    await check('bcg_reml', { method: 'REML' });
    await check('bcg_ml', { method: 'ML' });
    const anchor = loadMetaJson<{ tau2: number; se_tau2: number; mu: number; se: number; I2: number; H2: number; QE: number; loglik_reml: number }>('../reference/bcg_meta_reml');
    const j = (await meta(bcg, { yi: 'yi', vi: 'vi' })).toJSON() as Record<string, any>;
    // the anchor is metafor at its default threshold (1e-5): τ² agrees to 1e-5 relative
    expect(rel(j.tau2, anchor.tau2)).toBeLessThan(1e-5);
    expect(Math.abs(j.beta.intrcpt - anchor.mu)).toBeLessThan(1e-6);
    expect(rel(j.se.intrcpt, anchor.se)).toBeLessThan(1e-5);
    expect(rel(j.se_tau2, anchor.se_tau2)).toBeLessThan(1e-5);
    expect(rel(j.loglik, anchor.loglik_reml)).toBeLessThan(1e-6);
  });
  it('Knapp–Hartung, meta-regression (QM), a factor moderator, two moderators with Knapp–Hartung', async () => {
    await check('bcg_reml_knha', { test: 'knha' });
    await check('bcg_reml_ablat', { mods: '~ ablat' });
    await check('bcg_ml_ablat', { method: 'ML', mods: 'ablat' });
    await check('bcg_reml_alloc', { mods: '~ alloc' });
    await check('bcg_reml_ablat_year_knha', { mods: ['ablat', 'year'], test: 'knha' });
  });
});

describe('meta() multilevel (rma.mv, ~ 1 | district/school)', () => {
  const ko = loadMetaData('konstantopoulos2011');
  for (const [name, o] of [
    ['konstantopoulos_reml', {}], ['konstantopoulos_ml', { method: 'ML' }],
    ['konstantopoulos_reml_year', { mods: '~ I(year - 1990)' }], ['konstantopoulos_reml_t', { test: 't' }],
  ] as const) {
    it(name, async () => {
      const ref = loadRma(name);
      const fit = await meta(ko, { yi: 'yi', vi: 'vi', random: '~ 1 | district/school', ...(o as Partial<MetaOptions>) });
      const j = fit.toJSON() as Record<string, any>;
      ref.sigma2!.forEach((s2, l) => expect(rel(j.sigma2[l], s2), `${name} sigma2[${l}]: ${j.sigma2[l]} vs ${s2}`).toBeLessThan(1e-5));
      for (const nm of Object.keys(ref.beta)) {
        expect(Math.abs(j.beta[nm] - ref.beta[nm]), `${name} beta ${nm}`).toBeLessThan(1e-6);
        expect(rel(j.se[nm], ref.se[nm]), `${name} se ${nm}`).toBeLessThan(1e-5);
      }
      expect(rel(j.QE, ref.QE)).toBeLessThan(1e-6);
      expect(rel(j.loglik, ref.method === 'REML' ? ref.fit_stats.REML.ll : ref.fit_stats.ML.ll)).toBeLessThan(1e-8);
      expect(j.sigma2_nlevels).toEqual(ref.s_nlevels);
      // metafor's weights.rma.mv: diag(V⁻¹) in %
      fit.studies().forEach((st, i) => expect(rel(st.weight!, ref.weights![i]), `weight ${i}`).toBeLessThan(1e-5));
      expect(fit.summary().split('\n').slice(0, ref.print.length)).toEqual(ref.print);
    });
  }
  it('the same fit as blme with σ fixed at 1 (lme4 parametrization)', async () => {
    const b = loadMetaJson<{ sigma2: number[]; remlcrit: number; log_det_XtX: number }>('konstantopoulos_blme');
    const fit = await meta(ko, { yi: 'yi', vi: 'vi', random: '~ 1 | district/school' });
    // lme4's REML criterion = −2 × metafor's restricted log-likelihood + log|X'X|
    expect(Math.abs(-2 * fit.logLik + b.log_det_XtX - b.remlcrit)).toBeLessThan(1e-7);
  });
});

describe('meta() with the closed-form estimators', () => {
  it('DL, PM, HE, SJ, EB, EE (intercept only)', async () => {
    for (const m of ['DL', 'PM', 'HE', 'SJ', 'EB', 'EE'] as const) await check(`bcg_${m.toLowerCase()}`, { method: m });
  });
  it('meta-regression on ablat (DL, PM, HE), Knapp–Hartung', async () => {
    for (const m of ['DL', 'PM', 'HE'] as const) await check(`bcg_${m.toLowerCase()}_ablat`, { method: m, mods: '~ ablat' });
    await check('bcg_dl_knha', { method: 'DL', test: 'knha' });
    await check('bcg_pm_ablat', { method: 'PM', mods: ['ablat'] });
  });
  it('per-study data for forest and funnel plots', async () => {
    const fit = await meta(bcg, { yi: 'yi', vi: 'vi', method: 'DL', slab: 'author' });
    const s = fit.studies();
    const ref = loadRma('bcg_dl');
    expect(s.length).toBe(13);
    expect(s[0].label).toBe('Aronson');
    s.forEach((row, i) => {
      expect(rel(row.weight!, ref.weights![i])).toBeLessThan(1e-9);
      expect(row.ci_ub - row.yi).toBeCloseTo(1.959963984540054 * Math.sqrt(row.vi), 12);
    });
    // the pooled diamond and the prediction interval: metafor's predict()
    const pr = fit.predict;
    expect(pr.pred.length).toBe(1);
    for (const [got, want] of [[pr.pred, ref.predict.pred], [pr.se, ref.predict.se], [pr.ciLb, ref.predict.ci_lb], [pr.ciUb, ref.predict.ci_ub], [pr.piLb, ref.predict.pi_lb], [pr.piUb, ref.predict.pi_ub]] as const) {
      expect(rel(got[0], [want].flat()[0])).toBeLessThan(1e-9);
    }
  });
});

describe('meta() input errors', () => {
  const bad = async (o: Partial<MetaOptions>, table = bcg) => meta(table, { yi: 'yi', vi: 'vi', ...o });
  it('names the problem', async () => {
    await expect(bad({ method: 'XX' as never })).rejects.toThrow(/method 'XX' is not one of REML, ML, DL, PM, HE, SJ, EB, EE/);
    await expect(bad({ test: 't' })).rejects.toThrow(/test 't' is for multilevel models/);
    await expect(bad({ random: '~ 1 | trial', method: 'DL' })).rejects.toThrow(/is fitted by REML or ML/);
    await expect(bad({ random: '~ 1 | trial', test: 'knha' })).rejects.toThrow(/Knapp–Hartung\) is for univariate models/);
    await expect(bad({ mods: '~ ablat + (1 | trial)' })).rejects.toThrow(/random-effects terms go in random/);
    await expect(bad({ vi: undefined })).rejects.toThrow(/name the column of sampling variances/);
    await expect(bad({ vi: 'nope' })).rejects.toThrow(/no column 'nope' in the data/);
    await expect(bad({ vi: 'author' })).rejects.toThrow(/column 'author' must be numeric, but it holds text values/);
    await expect(bad({ random: '~ x + 1 | trial' })).rejects.toThrow(/write nested random intercepts as/);
  });
  it('vi ≤ 0 or missing: an error with the row', async () => {
    const t = escalcTable('RR', loadMetaData('bcg'), { ai: 'tpos', bi: 'tneg', ci: 'cpos', di: 'cneg' }).table;
    const vi = Float64Array.from({ length: 13 }, (_, i) => (t.getChild('vi')!.get(i) as number));
    const withVi = (v: Float64Array) => escalcTable('RR', loadMetaData('bcg').assign(tableOf('w', v)), { ai: 'tpos', bi: 'tneg', ci: 'cpos', di: 'cneg' }).table;
    const zero = Float64Array.from(vi); zero[4] = 0;
    await expect(bad({ vi: 'w', method: 'DL', slab: 'author' }, withVi(zero))).rejects.toThrow(/sampling variance 'w' is 0 in row 5 \(Frimodt-Moller et al\); it must be > 0/);
    const neg = Float64Array.from(vi); neg[2] = -0.1;
    await expect(bad({ vi: 'w', method: 'DL' }, withVi(neg))).rejects.toThrow(/'w' is -0.1 in row 3/);
    const miss = Float64Array.from(vi); miss[7] = NaN;
    await expect(bad({ vi: 'w', method: 'DL' }, withVi(miss))).rejects.toThrow(/'w' is missing in row 8; every study with an effect size needs one/);
  });
  it('fewer than two studies, constant moderators, too many parameters', async () => {
    const one = escalcTable('RR', loadMetaData('bcg').slice(0, 1), { ai: 'tpos', bi: 'tneg', ci: 'cpos', di: 'cneg' }).table;
    await expect(bad({ method: 'DL' }, one)).rejects.toThrow(/1 study with complete data; a meta-analysis needs at least 2/);
    const two = escalcTable('RR', loadMetaData('bcg').slice(0, 2), { ai: 'tpos', bi: 'tneg', ci: 'cpos', di: 'cneg' }).table;
    await expect(bad({ method: 'DL', mods: '~ ablat' }, two)).rejects.toThrow(/2 coefficients and a heterogeneity variance for 2 studies/);
    const constant = loadMetaData('bcg').assign(tableOf('c', new Float64Array(13).fill(3)));
    const tc = escalcTable('RR', constant, { ai: 'tpos', bi: 'tneg', ci: 'cpos', di: 'cneg' }).table;
    await expect(bad({ method: 'DL', mods: '~ ablat + c' }, tc)).rejects.toThrow(/moderator 'c' does not vary in the 13 studies used/);
    await expect(bad({ method: 'DL', mods: '~ ablat - 1' })).rejects.toThrow(/the model needs an intercept/);
  });
});

import * as arrow from 'apache-arrow';
function tableOf(name: string, v: Float64Array): arrow.Table {
  const validity = new Uint8Array(Math.ceil(v.length / 8));
  let nulls = 0;
  v.forEach((x, i) => { if (Number.isNaN(x)) nulls++; else validity[i >> 3] |= 1 << (i & 7); });
  const data = arrow.makeData({ type: new arrow.Float64(), length: v.length, nullCount: nulls, data: v, ...(nulls ? { nullBitmap: validity } : {}) });
  return new arrow.Table({ [name]: arrow.makeVector(data) });
}
