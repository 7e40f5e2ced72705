/** Kenward–Roger at lme4's θ and σ against pbkrtest's vcovAdj (Φ_A, W, P). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import { varparCovariance } from '../../src/inference/satterthwaite.js';
import { contest1D, type DdfContext } from '../../src/inference/contest.js';
import { lmer } from '../../src/fit/lmer.js';
import { coefficientTable } from '../../src/inference/fitInference.js';
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

describe('Kenward–Roger at boundary fits (random models of test/fixtures/random-inference)', () => {
  const dir = join(import.meta.dirname, '..', 'fixtures', 'random-inference');
  const refs = (JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { cases: RandomRef[] }).cases;
  const setup = (name: string) => {
    const ref = refs.find((c) => c.name === name)!;
    const model = buildLmm(ref.formula, readCsv(readFileSync(join(dir, `${name}.csv`), 'utf8')).table, { REML: true });
    const chol = new BlockedCholesky(formGram(model), model.theta.length);
    return { ref, model, chol, input: { chol, model, theta: ref.theta, sigma: ref.sigma } };
  };
  // i022: (x | g) with θ = (0.73, 0.013, 0): Σ singular, the jets' chol(Σ/σ²) has no derivative
  // (before: refused, Satterthwaite used); i068: (1 | h) with θ = 2.8e-9 and i035: (x | g) with
  // θ₃ = 1.5e-8: the jets' derivatives grow as θ⁻¹ and θ⁻³ and cancel (before: SEs 200% and 12%
  // off pbkrtest's). The dense path has no square root of Σ.
  it.each(['i022', 'i068', 'i035', 'i134'])('%s: pbkrtest\'s SEs and ddf', (name) => {
    const { ref, model, input } = setup(name);
    const kr = kenwardRoger(input);
    const sat = varparCovariance(input);
    const ctx: DdfContext = { method: 'kenward-roger', kr, beta: sat.beta, sigma: sat.sigma };
    model.frame.xnames.forEach((x, j) => {
      const t = contest1D(ctx, model.frame.xnames.map((_, k) => (k === j ? 1 : 0)));
      const want = ref.kenward_roger.coefficients[x];
      expect(rel(t.se, want.se)).toBeLessThan(1e-9);
      expect(rel(t.df, want.df)).toBeLessThan(1e-9);
    });
  });
  it('the jets and the dense path agree where Σ is well conditioned (i081: smallest eigenvalue of ΛᵀZ_gᵀZ_gΛ 2e-3)', () => {
    const { input } = setup('i081');
    const jets = kenwardRoger(input, { path: 'jets' });
    const dense = kenwardRoger(input, { path: 'dense' });
    const p = Math.sqrt(jets.PhiA.length);
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
      expect(rel(jets.PhiA[a * p + b], dense.PhiA[a * p + b], Math.sqrt(dense.PhiA[a * p + a] * dense.PhiA[b * p + b]))).toBeLessThan(1e-9);
    }
  });
  it('refuses where IE2 is computationally singular, as pbkrtest (lmerTest then uses Satterthwaite)', () => {
    // i016: rcond(IE2) 3e-23 with its smallest |eigenvalue| 1.6e-5 > 1e-10, where pbkrtest calls solve()
    const { ref, input } = setup('i016');
    expect(ref.kenward_roger.messages.some((m) => /Unable to compute Kenward-Roger/.test(m))).toBe(true);
    expect(() => kenwardRoger(input)).toThrow(/computationally singular/);
  });
  it('a fit\'s Kenward–Roger table falls back to Satterthwaite\'s with lmerTest\'s message there (i094)', async () => {
    const ref = refs.find((c) => c.name === 'i094')!;
    const fit = await lmer(ref.formula, readCsv(readFileSync(join(dir, 'i094.csv'), 'utf8')).table, { REML: true });
    const kr = coefficientTable(fit, { ddf: 'kenward-roger' });
    expect(kr.ddf).toBe('satterthwaite');
    expect(kr.messages).toEqual([expect.stringMatching(/^Unable to compute Kenward-Roger's method \(the information matrix of the variance components is computationally singular \(reciprocal condition number [0-9.e+-]+\)\): using Satterthwaite instead$/)]);
    expect(kr.rows).toEqual(coefficientTable(fit, { ddf: 'satterthwaite' }).rows);
  });
});

interface RandomRef {
  name: string;
  formula: string;
  theta: number[];
  sigma: number;
  kenward_roger: { coefficients: Record<string, { se: number; df: number }>; messages: string[] };
}
