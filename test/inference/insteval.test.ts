/**
 * Satterthwaite on InstEval (crossed s × d × dept:service, 73k rows; pbkrtest cannot run it): the
 * coefficient table and anova at lme4's θ against lmerTest, df and p within 1e-3. The dense 1,128-level
 * block is differentiated in planes (jetFactor.ts planarCholesky).
 */
import { describe, expect, it } from 'vitest';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { BlockedCholesky } from '../../src/linalg/blockedCholesky.js';
import { varparCovariance } from '../../src/inference/satterthwaite.js';
import { contest1D, contestMD } from '../../src/inference/contest.js';
import { typeIIIContrasts } from '../../src/inference/typeIII.js';
import { expectF, expectT, loadDataFile, loadInference } from '../helpers/inference.js';

describe('Satterthwaite on InstEval', () => {
  it('coefficients and anova at lme4\'s θ', () => {
    const ref = loadInference('insteval');
    const model = buildLmm(ref.formula, loadDataFile(ref.data), { REML: ref.reml, factors: ref.factors });
    const chol = new BlockedCholesky(formGram(model), model.theta.length);
    const sat = varparCovariance({ chol, model, theta: ref.theta });
    const ctx = { method: 'satterthwaite' as const, sat };
    const xn = model.frame.xnames;
    xn.forEach((x, j) => expectT(contest1D(ctx, xn.map((_, c) => (c === j ? 1 : 0))), ref.satterthwaite.coefficients[x]));
    for (const h of typeIIIContrasts(model.frame)) if (h.L.length) expectF(contestMD(ctx, h.L), ref.satterthwaite.anova[h.term]);
    const np = ref.theta.length + 1;
    const H = ref.satterthwaite.hessian;
    for (let i = 0; i < np; i++) for (let j = 0; j < np; j++) {
      expect(Math.abs(sat.hessian[i * np + j] - H[i][j]) / Math.sqrt(Math.abs(H[i][i] * H[j][j]))).toBeLessThan(1e-5);
    }
  }, 300_000);
});
