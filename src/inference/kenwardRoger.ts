/**
 * Kenward–Roger's adjusted covariance of β̂ and its parts, as pbkrtest's vcovAdj computes them
 * (Kenward & Roger 1997; Halekoh & Højsgaard 2014), without any n × n matrix.
 *
 * pbkrtest parametrizes V by the variance components γ (per random-effects term the lower triangle
 * of its covariance matrix, then σ²), in which V(γ) = Σ_i γ_i G_i is linear, and defines
 *   Φ = (XᵀV⁻¹X)⁻¹,  P_i = −XᵀV⁻¹G_iV⁻¹X,  Q_ij = XᵀV⁻¹G_iV⁻¹G_jV⁻¹X,  K_ij = tr(V⁻¹G_iV⁻¹G_j),
 *   IE2_ij = K_ij − 2 tr(Φ Q_ij) + tr(Φ P_i Φ P_j)        (the REML expected information, ×2),
 *   W = 2 IE2⁻¹,  U = Σ_ij W_ij (Q_ij − P_i Φ P_j),  Φ_A = Φ + 2 Φ U Φ.
 * Because V is linear in γ these are derivatives (G_ij = 0):
 *   P_i = ∂(XᵀV⁻¹X)/∂γ_i,  Q_ij + Q_ji = ∂²(XᵀV⁻¹X)/∂γ_i∂γ_j,  K_ij = −∂² log|V| / ∂γ_i∂γ_j,
 * and only the symmetric part Q_ij + Q_ji enters (Φ is symmetric and U is symmetrized). With
 * V = σ²(I + ZΛΛᵀZᵀ): log|V| = n log σ² + log|L_Z|², XᵀV⁻¹X = S_XX / σ², both taken as jets in γ
 * from one jet factorization through the blocked Cholesky (jetFactor.ts, templates.ts).
 */
import { ModelError } from '../errors/errors.js';
import type { BlockedCholesky } from '../linalg/blockedCholesky.js';
import { type FixedTransform, mapVcov } from '../model/fixedTransform.js';
import type { LmmModel } from '../lmm/model.js';
import { inverse, matmul, pseudoInverse, symmetricEigen, transpose } from './eigen.js';
import { fillTemplate } from '../linalg/template.js';
import { JetSpace } from './jet.js';
import { jetFactor } from './jetFactor.js';
import { gammaFromTheta, gammaTemplates } from './templates.js';
import { KR_DENSE_MAX_Q, type KrDerivatives, krDenseDerivatives } from './krDense.js';

export interface KenwardRogerParts {
  /** the variance components γ (pbkrtest's ggamma) */
  gamma: Float64Array;
  /** Φ = Var(β̂), p × p */
  Phi: Float64Array;
  /** Φ_A, the adjusted covariance (pbkrtest's vcovAdj), p × p */
  PhiA: Float64Array;
  /** P_i, p × p each (model β coordinates) */
  P: Float64Array[];
  /** W = 2 IE2⁻¹, nγ × nγ */
  W: Float64Array;
  /** the reciprocal 1-norm condition number of the information matrix IE2 (R's rcond) */
  rcond: number;
  /** the smallest |eigenvalue| of IE2 (pbkrtest's condi: ≤ 1e-10 takes the generalized inverse) */
  condi: number;
}

export interface KenwardRogerInput {
  chol: BlockedCholesky;
  model: Pick<LmmModel, 'blocks' | 'transforms' | 'fixed' | 'frame' | 'weights'>;
  /** lme4's θ and σ of a REML fit */
  theta: ArrayLike<number>;
  sigma: number;
}

export function kenwardRoger({ chol, model, theta, sigma }: KenwardRogerInput, options: { path?: KrPath } = {}): KenwardRogerParts {
  const { fixed } = model;
  const { p, reTerms: terms } = model.frame;
  // prior weights: pbkrtest ignores them (its residual G is the identity), so they are refused (an
  // engine's model holds no weights, only their name: its A is weighted already)
  if (model.weights || model.frame.weightsName !== undefined) throw new ModelError('Kenward–Roger: the model has prior weights, which pbkrtest\'s method does not take into account (its residual covariance is σ² I); use Satterthwaite');
  const gamma = gammaFromTheta(terms, theta, sigma);
  const ng = gamma.length;
  const { M, P, D2, K } = krDerivatives(chol, model, theta, sigma, gamma, options.path ?? 'auto');
  const Phi = inverse(M, p, 'X\'V⁻¹X');
  const PhiP = P.map((Pi) => matmul(Phi, Pi, p, p, p));
  const IE2 = new Float64Array(ng * ng);
  for (let i = 0; i < ng; i++) {
    for (let j = i; j < ng; j++) {
      // tr(Φ (Q_ij + Q_ji)) = tr(Φ ∂²M/∂γ_i∂γ_j); tr(Φ P_i Φ P_j)
      const trPhiM = trace(matmul(Phi, D2(i, j), p, p, p), p);
      const trPP = trace(matmul(PhiP[i], PhiP[j], p, p, p), p);
      IE2[i * ng + j] = IE2[j * ng + i] = K[i * ng + j] - trPhiM + trPP;
    }
  }
  // pbkrtest: solve() unless the smallest |eigenvalue| is ≤ 1e-10, then the generalized inverse
  // (MASS::ginv drops singular values below √ε times the largest)
  const eig = symmetricEigen(IE2, ng).values;
  const condi = Math.min(...Array.from(eig, Math.abs));
  const rcond = reciprocalCondition(IE2, ng);
  // pbkrtest solves IE2 when condi > 1e-10, and R's solve() stops where rcond < ε (lmerTest then
  // uses Satterthwaite): W would be all rounding error
  if (condi > 1e-10 && rcond < Number.EPSILON) {
    throw new ModelError(`the information matrix of the variance components is computationally singular (reciprocal condition number ${rcond.toExponential(2)})`);
  }
  const W = (condi > 1e-10
    ? inverse(IE2, ng, 'the information matrix of the variance components')
    : pseudoInverse(IE2, ng, Math.sqrt(Number.EPSILON) * Math.max(...Array.from(eig, Math.abs))).inverse).map((v) => 2 * v);
  // U = Σ_{i<j} W_ij (M_ij − P_iΦP_j − P_jΦP_i) + Σ_i W_ii (½ M_ii − P_iΦP_i)
  const U = new Float64Array(p * p);
  for (let i = 0; i < ng; i++) {
    for (let j = i; j < ng; j++) {
      const w = W[i * ng + j];
      if (w === 0) continue;
      const Mij = D2(i, j);
      const PiPhiPj = matmul(P[i], PhiP[j], p, p, p);
      for (let e = 0; e < p * p; e++) {
        const a = Math.floor(e / p), b = e % p;
        const sym = PiPhiPj[e] + PiPhiPj[b * p + a];
        U[e] += i === j ? w * (0.5 * Mij[e] - 0.5 * sym) : w * (Mij[e] - sym);
      }
    }
  }
  const PhiUPhi = matmul(matmul(Phi, U, p, p, p), Phi, p, p, p);
  const PhiA = Phi.map((v, e) => v + 2 * PhiUPhi[e]);
  return {
    gamma, Phi: mapVcov(fixed, Phi), PhiA: mapVcov(fixed, PhiA), P: P.map((Pi) => mapPrecision(fixed, Pi)), W, rcond, condi,
  };
}

/**
 * Which way the derivatives in γ are taken: 'jets' through T = chol(Σ_t/σ²) (the blocked factor,
 * any size), 'dense' without a square root (krDense.ts: dense in the Q random effects, Q ≤
 * KR_DENSE_MAX_Q), 'auto' the jets unless some Σ_t is singular or nearly so.
 */
export type KrPath = 'auto' | 'jets' | 'dense';

/**
 * The jets' derivatives lose accuracy near a boundary: with T = chol(Σ_t/σ²), T's derivatives in γ
 * grow as λ^(−1/2) and λ^(−3/2) (λ an eigenvalue of Σ_t/σ²) while M and log|V| stay smooth in γ, so
 * their second derivatives come out of a cancellation whose relative error is about ε / c, c the
 * smallest eigenvalue of a level's ΛᵀZ_gᵀZ_gΛ (on the term's average level). In the random models
 * of test/inference/randomInference.test.ts, fits with θ ≈ 1e-8 gave SEs wrong by 100% and NaN.
 * Below c = KR_JET_MIN_CONDITION, 'auto' takes the dense path (exact at any Σ, O(Q³)) up to
 * KR_DENSE_MAX_Q random effects and refuses above it (lmerTest's fallback to Satterthwaite follows);
 * above that c the jets agree with the dense path and pbkrtest to the references' precision.
 */
export const KR_JET_MIN_CONDITION = 1e-6;

function krDerivatives(
  chol: BlockedCholesky, model: KenwardRogerInput['model'], theta: ArrayLike<number>, sigma: number, gamma: Float64Array, path: KrPath,
): KrDerivatives {
  const terms = model.frame.reTerms;
  const Q = model.blocks.reduce((s, b) => s + b.nl * b.q, 0);
  const knownCov = chol.gram.AkkDense?.some((b) => b) ?? false;
  if (path === 'dense') return krDenseDerivatives(chol, model, theta, sigma);
  if (path === 'auto') {
    const c = jetCondition(chol, model, theta);
    if (c < KR_JET_MIN_CONDITION) {
      if (Q <= KR_DENSE_MAX_Q && !knownCov) return krDenseDerivatives(chol, model, theta, sigma);
      throw new ModelError(`a random-effects covariance matrix is singular or nearly so (smallest eigenvalue of a level's ΛᵀZᵀZΛ ${c.toExponential(1)}), and the model's ${Q} random effects are more than the ${KR_DENSE_MAX_Q} of the exact dense computation`);
    }
  }
  const { n, p } = model.frame;
  const ng = gamma.length;
  const J = new JetSpace(ng);
  const nc = J.nc;
  const { ldL2, S } = jetFactor(J, chol, gammaTemplates(J, model.blocks, model.transforms, terms, gamma));
  // log|V| = n log σ² + log|L_Z|²
  const logV = J.alloc(1);
  const s2 = J.alloc(1);
  J.variable(s2, 0, gamma[ng - 1], ng - 1);
  J.addLog(s2, 0, n, logV, 0);
  J.axpy(1, ldL2, 0, logV, 0);
  const K = J.unpack(logV).hessian.map((v) => -v);
  // M = XᵀV⁻¹X = S_XX / σ² (symmetric, p × p jets)
  const p1 = p + 1;
  const Mj: { value: number; gradient: Float64Array; hessian: Float64Array }[] = [];
  const cell = J.alloc(1);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) {
    const r = Math.max(a, b), c = Math.min(a, b);
    J.copy(S, (r * p1 + c) * nc, cell, 0);
    J.divInPlace(cell, 0, s2, 0);
    Mj.push(J.unpack(cell));
  }
  return {
    M: Float64Array.from(Mj, (x) => x.value),
    P: Array.from({ length: ng }, (_, i) => Float64Array.from(Mj, (x) => x.gradient[i])),
    D2: (i, j) => Float64Array.from(Mj, (x) => x.hessian[i * ng + j]),
    K,
  };
}

/**
 * min over blocks of the smallest eigenvalue of T'ᵀ Ā T' (T' the block's template at θ in the Gram
 * matrix's coordinates, Ā the mean of its levels' Z_gᵀZ_g blocks): how far from singular each
 * block's Σ is, in the units in which the data see it (invariant to rescaling Z's columns).
 */
export function jetCondition(chol: BlockedCholesky, model: KenwardRogerInput['model'], theta: ArrayLike<number>): number {
  let worst = Infinity;
  model.blocks.forEach((b, k) => {
    // a block mixed by a known covariance (relmat) is not judged here
    if (chol.gram.AkkDense?.[k]) return;
    const q = b.q, A = chol.gram.Akk[k];
    const T = new Float64Array(q * q);
    fillTemplate(b, theta, T);
    const t = model.transforms[k];
    const Tp = t ? matmul(t.Minv, T, q, q, q) : T;
    const Abar = new Float64Array(q * q);
    for (let l = 0; l < b.nl; l++) for (let e = 0; e < q * q; e++) Abar[e] += A[l * q * q + e] / b.nl;
    const C = matmul(matmul(transpose(Tp, q, q), Abar, q, q, q), Tp, q, q, q);
    worst = Math.min(worst, symmetricEigen(C, q).values[q - 1]);
  });
  return worst;
}

/** 1 / (‖A‖₁ ‖A⁻¹‖₁) (0 where A cannot be inverted): what R's solve() compares with ε. */
export function reciprocalCondition(A: Float64Array, n: number): number {
  const norm1 = (B: ArrayLike<number>) => {
    let m = 0;
    for (let c = 0; c < n; c++) { let s = 0; for (let r = 0; r < n; r++) s += Math.abs(B[r * n + c]); m = Math.max(m, s); }
    return m;
  };
  let inv: Float64Array;
  try { inv = inverse(A, n); } catch { return 0; }
  const r = 1 / (norm1(A) * norm1(inv));
  return Number.isFinite(r) ? r : 0;
}

function trace(A: Float64Array, p: number): number {
  let s = 0;
  for (let i = 0; i < p; i++) s += A[i * p + i];
  return s;
}

/**
 * A matrix that transforms as XᵀV⁻¹X (a precision) from the Gram matrix's coordinates β_c to the
 * model's β = C β_c: C⁻ᵀ P C⁻¹, with C⁻¹ = I + e_k mᵀ (k the intercept, m the column means).
 */
export function mapPrecision(t: FixedTransform, P: Float64Array): Float64Array {
  const p = t.means.length;
  const k = t.intercept;
  if (k < 0) return P;
  const out = Float64Array.from(P);
  // P C⁻¹: column j += P[:, k] m_j
  for (let r = 0; r < p; r++) for (let j = 0; j < p; j++) out[r * p + j] += P[r * p + k] * t.means[j];
  // C⁻ᵀ (·): row j += m_j row k
  const rowK = out.slice(k * p, k * p + p);
  for (let j = 0; j < p; j++) for (let c = 0; c < p; c++) out[j * p + c] += t.means[j] * rowK[c];
  return out;
}
