/**
 * The LMM objective with the residual σ fixed (lmm/deviance.ts fixedSigmaCriterion) at fixed
 * variance components, against metafor's log-likelihoods at fixed τ² and σ² (rma(..., tau2 = t),
 * rma.mv(..., sigma2 = s)): ML −2ℓ = the ML deviance; metafor's restricted log-likelihood
 * = −½ (lme4's REML criterion − log|XᵀX|). 1e-10 relative, on the float64 CPU backend.
 */
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/backend/cpu/cpuBackend.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { fixedSigmaCriterion } from '../../src/lmm/deviance.js';
import { buildLmm } from '../../src/lmm/model.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import { escalcTable } from '../../src/meta/escalcTable.js';
import { lmer } from '../../src/fit/lmer.js';
import { loadMetaData, loadRma, numericColumn, relDiff } from '../helpers/metaReference.js';

function logDetXtX(X: number[][]): number {
  // small p: determinant of XᵀX by Gaussian elimination
  const p = X[0].length;
  const A = Array.from({ length: p }, (_, a) => Array.from({ length: p }, (_, b) => X.reduce((s, r) => s + r[a] * r[b], 0)));
  let ld = 0;
  for (let j = 0; j < p; j++) {
    for (let i = j + 1; i < p; i++) {
      const f = A[i][j] / A[j][j];
      for (let c = j; c < p; c++) A[i][c] -= f * A[j][c];
    }
    ld += Math.log(A[j][j]);
  }
  return ld;
}

describe('the objective with σ fixed at 1, at fixed τ² (univariate)', () => {
  const t0 = escalcTable('RR', loadMetaData('bcg'), { ai: 'tpos', bi: 'tneg', ci: 'cpos', di: 'cneg' }).table;
  const table = t0.assign(new arrow.Table({ study: arrow.makeVector(Float64Array.from({ length: t0.numRows }, (_, i) => i + 1)) }));
  const w = Float64Array.from(numericColumn(table, 'vi'), (v) => 1 / v);
  for (const [name, mods] of [['bcg_reml', '1'], ['bcg_reml_ablat', 'ablat']] as const) {
    for (const reml of [true, false]) {
      it(`${name}, ${reml ? 'REML' : 'ML'}`, () => {
        const model = buildLmm(`yi ~ ${mods} + (1 | study)`, table, { REML: reml, weights: w, factors: ['study'], observationLevel: true });
        const backend = new CpuBackend(formGram(model), model.theta.length);
        const criterion = fixedSigmaCriterion(model, 1);
        const ablat = numericColumn(table, 'ablat');
        const ldXtX = logDetXtX(Array.from({ length: table.numRows }, (_, i) => (mods === '1' ? [1] : [1, ablat[i]])));
        for (const a of loadRma(name).at_tau2!) {
          const dev = criterion(backend.evaluate(thetaToInternal(model, [Math.sqrt(a.tau2)])));
          const want = reml ? -2 * a.ll_REML + ldXtX : -2 * a.ll_ML;
          expect(relDiff(dev, want), `τ² = ${a.tau2}: ${dev} vs ${want}`).toBeLessThan(1e-10);
        }
      });
    }
  }
});

describe('the objective with σ fixed at 1, at fixed σ² (three levels)', () => {
  const ko = loadMetaData('konstantopoulos2011');
  const w = Float64Array.from(numericColumn(ko, 'vi'), (v) => 1 / v);
  for (const reml of [true, false]) {
    it(reml ? 'REML' : 'ML', () => {
      const model = buildLmm('yi ~ 1 + (1 | district/school)', ko, { REML: reml, weights: w, factors: ['district', 'school'], observationLevel: true });
      const backend = new CpuBackend(formGram(model), model.theta.length);
      const criterion = fixedSigmaCriterion(model, 1);
      // lme4's θ order: the inner level (56 levels) first, then district (11)
      expect(model.frame.reTerms.map((t) => t.levels.length)).toEqual([56, 11]);
      for (const a of loadRma('konstantopoulos_reml').at_sigma2!) {
        const theta = [Math.sqrt(a.sigma2[1]), Math.sqrt(a.sigma2[0])];
        const dev = criterion(backend.evaluate(thetaToInternal(model, theta)));
        const want = reml ? -2 * a.ll_REML + Math.log(ko.numRows) : -2 * a.ll_ML;
        expect(relDiff(dev, want), `σ² = ${a.sigma2}: ${dev} vs ${want}`).toBeLessThan(1e-10);
      }
    });
  }
});

describe("lmer's sigma option", () => {
  it('is checked', async () => {
    const ko = loadMetaData('konstantopoulos2011');
    await expect(lmer('yi ~ 1 + (1 | district)', ko, { sigma: 0, factors: ['district'] })).rejects.toThrow(/lmer: sigma must be a positive finite number, not the number 0/);
    await expect(lmer('yi ~ 1 + (1 | district)', ko, { sigma: 1, prior: 'blme', factors: ['district'] })).rejects.toThrow(/give sigma or prior, not both/);
  });
  it('reports σ as fixed: the likelihood counts no residual parameter', async () => {
    const ko = loadMetaData('konstantopoulos2011');
    const w = Float64Array.from(numericColumn(ko, 'vi'), (v) => 1 / v);
    const fit = await lmer('yi ~ 1 + (1 | district/school)', ko, { sigma: 1, weights: w, factors: ['district', 'school'] });
    expect(fit.sigma).toBe(1);
    expect(fit.df).toBe(3);
    expect((fit.toJSON() as Record<string, unknown>).sigma_fixed).toBe(true);
  });
});
