/** Kenward–Roger at lme4's θ and σ against pbkrtest's vcovAdj (Φ_A, W, P). */
import { describe, expect, it } from 'vitest';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { BlockedCholesky } from '../../src/linalg/blockedCholesky.js';
import { kenwardRoger } from '../../src/inference/kenwardRoger.js';
import { loadDataFile, loadInference, rel } from '../helpers/inference.js';

const CASES = ['sleepstudy', 'sleepstudy_unbalanced', 'sleepstudy_uncorrelated', 'penicillin', 'pastes', 'design_covariate', 'design_factors'];

describe('Kenward–Roger parts at lme4\'s θ', () => {
  for (const name of CASES) {
    it(name, () => {
      const ref = loadInference(name);
      const kr = ref.kenward_roger!;
      const model = buildLmm(ref.formula, loadDataFile(ref.data), { REML: ref.reml, factors: ref.factors });
      const chol = new BlockedCholesky(formGram(model), model.theta.length);
      const parts = kenwardRoger({ chol, model, theta: ref.theta, sigma: ref.sigma });
      const p = model.frame.p;
      // Φ_A: 1e-5 relative on the diagonal (the SEs' squares), off-diagonal relative to √(Φ_aa Φ_bb)
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
        const scale = Math.sqrt(kr.vcov_adj[a][a] * kr.vcov_adj[b][b]);
        expect(rel(parts.PhiA[a * p + b], kr.vcov_adj[a][b], scale)).toBeLessThan(1e-6);
        expect(rel(parts.Phi[a * p + b], ref.vcov[a][b], scale)).toBeLessThan(1e-8);
      }
      const ng = parts.gamma.length;
      expect(kr.W.length).toBe(ng);
      for (let i = 0; i < ng; i++) for (let j = 0; j < ng; j++) {
        expect(rel(parts.W[i * ng + j], kr.W[i][j], Math.sqrt(kr.W[i][i] * kr.W[j][j]))).toBeLessThan(1e-6);
      }
      kr.P.forEach((Pr, i) => {
        let scale = 0;
        for (let a = 0; a < p; a++) scale = Math.max(scale, Math.abs(Pr[a][a]));
        for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) expect(Math.abs(parts.P[i][a * p + b] - Pr[a][b]) / scale).toBeLessThan(1e-7);
      });
    });
  }
});
