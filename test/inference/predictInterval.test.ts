/** Confidence and prediction intervals for new rows against a dense Henderson-equations computation in R. */
import { describe, expect, it } from 'vitest';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { lmer } from '../../src/fit/lmer.js';
import { BlockedCholesky } from '../../src/linalg/blockedCholesky.js';
import { fillTemplate } from '../../src/linalg/template.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import { normalInterval, predictionVariances } from '../../src/inference/predictInterval.js';
import { loadDataFile, loadInference } from '../helpers/inference.js';

interface PredictCase {
  formula: string; data: string; factors: string[];
  newdata: { Days: number; Subject: string | null }[];
  rows: { fit: number; confidence: number[]; prediction: number[] }[];
}

describe('prediction intervals', () => {
  it('sleepstudy: seen subjects and a new subject', async () => {
    const ref = loadInference<PredictCase>('predict_sleepstudy');
    const data = loadDataFile(ref.data);
    const fit = await lmer(ref.formula, data, { factors: ref.factors });
    const model = buildLmm(ref.formula, data, { factors: ref.factors });
    const chol = new BlockedCholesky(formGram(model), model.theta.length);
    const thetaC = thetaToInternal(model, fit.theta);
    chol.factor(thetaC);
    const templates = model.internalBlocks.map((b) => { const T = new Float64Array(b.q * b.q); fillTemplate(b, thetaC, T); return T; });
    const blk = model.blocks[0];
    const rows = ref.newdata.map((r) => ({ x: [1, r.Days], groups: [{ level: r.Subject === null ? -1 : blk.levels.indexOf(r.Subject), z: [1, r.Days] }] }));
    const v = predictionVariances(chol, model.fixed, model.blocks, model.transforms, templates, [fit.termCovariance(0)], fit.sigma, rows);
    const b = fit.conditionalModes(0);
    rows.forEach((row, i) => {
      const g = row.groups[0].level;
      const yhat = fit.beta[0] + fit.beta[1] * row.x[1] + (g >= 0 ? b[g * 2] + b[g * 2 + 1] * row.x[1] : 0);
      const want = ref.rows[i];
      expect(Math.abs(yhat - want.fit) / Math.abs(want.fit)).toBeLessThan(1e-6);
      const ci = normalInterval(yhat, v[i].confidence, 0.95);
      const pi = normalInterval(yhat, v[i].prediction, 0.95);
      const w = want.confidence[1] - want.confidence[0];
      const wp = want.prediction[1] - want.prediction[0];
      expect(Math.abs(ci[1] - ci[0] - w) / w).toBeLessThan(1e-5);
      expect(Math.abs(pi[1] - pi[0] - wp) / wp).toBeLessThan(1e-5);
    });
  });
});
