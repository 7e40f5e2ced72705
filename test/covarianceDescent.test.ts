/**
 * The θ optimizer's restart from a singular Σ (src/model/covarianceDescent.ts; check 4. of
 * src/optim/thetaOptimizer.ts): the measured Nᵀ G N on functions of Σ whose gradient is known, and
 * the random model-frame case that found it.
 *
 * f155 of the random frames' generator at seed 4242 (600 cases), `y ~ 0 + b:a + c + (0 + a | g)`
 * (REML, 73 rows, 7 groups, a with 3 levels in the data): BOBYQA, the restarts from the boundary and
 * lme4's minqa bobyqa all stop at a rank-one Σ with REML criterion 621.519862859 (minqa: 621.519985),
 * where Σ + h w wᵀ along a null direction w lowers it at −1.14 per unit of Σ; lme4's default fit
 * (621.507302158) and nloptwrap run tight (621.507302142468, R 4.2.2, lme4 1.1-31) reach a rank-two Σ.
 */
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { lmer } from '../src/fit/lmer.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { CpuBackend } from '../src/backend/cpu/cpuBackend.js';
import { lmmObjective } from '../src/lmm/deviance.js';
import { type CovarianceFactor, type ThetaProblem, optimizeTheta } from '../src/optim/thetaOptimizer.js';
import { SIGMA_STEP, covarianceDescent } from '../src/model/covarianceDescent.js';
import { generateRandomFrames } from './oracle/randomFrames.js';

/** One 3 × 3 term, θ = its lower triangle row by row, no scaling. */
const q = 3;
const index = Int32Array.from([0, -1, -1, 1, 2, -1, 3, 4, 5]);
const fac: CovarianceFactor = { q, index };
const problem: ThetaProblem = { lower: Float64Array.from([0, -Infinity, 0, -Infinity, -Infinity, 0]), factors: [fac], scales: new Float64Array(6).fill(1) };

function sigmaOf(theta: Float64Array): Float64Array {
  const T = new Float64Array(q * q);
  for (let e = 0; e < q * q; e++) if (index[e] >= 0) T[e] = theta[index[e]];
  const S = new Float64Array(q * q);
  for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) for (let k = 0; k < q; k++) S[i * q + j] += T[i * q + k] * T[j * q + k];
  return S;
}

/** f(Σ) = tr(C Σ) + ½‖Σ − Σ₀‖²_F: gradient C + Σ − Σ₀ (Σ₀ the point itself, so G = C there). */
function linearPlusQuadratic(C: number[][], theta0: Float64Array) {
  const S0 = sigmaOf(theta0);
  return async (theta: Float64Array) => {
    const S = sigmaOf(theta);
    let f = 0;
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) f += C[i][j] * S[i * q + j] + 0.5 * (S[i * q + j] - S0[i * q + j]) ** 2;
    return f;
  };
}

describe('covarianceDescent: Σ + h w wᵀ along the null space', () => {
  // Σ = v vᵀ with v = (0, 1, 1): a factor with T₁₁ = 1, T₂₁ = 1, the rest 0; null space e₀ and n = (0, 1, −1)/√2
  const theta0 = Float64Array.from([0, 0, 1, 0, 1, 0]);
  const s = Math.SQRT1_2;
  const nullBasis = [[1, 0, 0], [0, s, -s]];
  /** C with Nᵀ C N = M in the basis above (and C v = 0: no gradient along Σ's range) */
  const withNullBlock = (M: number[][]) => {
    const C = [[0, 0, 0], [0, 0, 0], [0, 0, 0]];
    for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) C[i][j] += M[a][b] * nullBasis[a][i] * nullBasis[b][j];
    return C;
  };

  it('finds the negative eigenvalue of Nᵀ G N when its diagonal is positive, and starts from a lower point along it', async () => {
    const f = linearPlusQuadratic(withNullBlock([[1, -2], [-2, 1]]), theta0);
    const f0 = await f(theta0);
    const step = await covarianceDescent()(f, problem, theta0, f0, () => false);
    expect(step).not.toBeNull();
    // the least eigenvalue −1 along (e₀ + n)/√2, measured by a forward difference of step h (curvature ½h)
    expect(step!.derivative).toBeCloseTo(-1, 3);
    expect(await f(step!.theta)).toBeLessThan(f0 - 0.9 * SIGMA_STEP);
    const dS = sigmaOf(step!.theta).map((v, k) => (v - sigmaOf(theta0)[k]) / SIGMA_STEP);
    const w = [s, 0.5, -0.5];
    for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) expect(dS[i * q + j]).toBeCloseTo(w[i] * w[j], 8);
  });

  it('returns null where Nᵀ G N is positive semi-definite, or has only a negligible negative eigenvalue', async () => {
    for (const M of [[[1, 0.5], [0.5, 1]], [[1, 1], [1, 1]], [[2e-5, 0], [0, 1]], [[0, 0], [0, 0]]]) {
      const f = linearPlusQuadratic(withNullBlock(M), theta0);
      expect(await covarianceDescent()(f, problem, theta0, await f(theta0), () => false)).toBeNull();
    }
  });

  it('leaves a factor of full rank alone (no evaluation)', async () => {
    let count = 0;
    const f = async (theta: Float64Array) => { count++; return sigmaOf(theta)[0]; };
    const full = Float64Array.from([1, 0.3, 0.8, -0.2, 0.1, 0.5]);
    expect(await covarianceDescent()(f, problem, full, await f(full), () => false)).toBeNull();
    expect(count).toBe(1);
  });

  it('lets the θ optimizer leave a rank-one Σ it would stop at (the random frames\' f155)', async () => {
    const c = generateRandomFrames(4242, 600).find((k) => k.name === 'f155')!;
    expect(c.formula).toBe('y ~ 0 + b:a + c + (0 + a | g)');
    const table = readCsv(c.csv, { levelOrder: c.levelOrder }).table;
    const model = buildLmm(c.formula, table, { REML: c.reml, factors: c.factors });
    const backend = new CpuBackend(formGram(model), model.theta.length);
    const objective = lmmObjective(model, backend, backend);
    const f = (x: Float64Array) => objective.evaluate(x) as number;
    const options = { start: objective.start, candidates: objective.startCandidates, candidateRhobeg: objective.candidateRhobeg };
    const without = await optimizeTheta(f, objective.thetaProblem!, options);
    expect(without.fval).toBeGreaterThan(621.5198);
    const withDescent = await optimizeTheta(f, objective.thetaProblem!, { ...options, sigmaDescent: covarianceDescent() });
    expect(withDescent.notes.some((n) => n.startsWith('restarted from a singular covariance'))).toBe(true);
    // lme4 with nloptwrap run tight: 621.507302142468
    expect(withDescent.fval).toBeLessThan(621.507302142468 + 1e-8);
    const fit = await lmer(c.formula, table, { REML: c.reml, factors: c.factors });
    expect(fit.objective).toBeLessThan(621.507302142468 + 1e-8);
  });
});
