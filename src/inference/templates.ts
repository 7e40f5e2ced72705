/**
 * Jet templates T_k for the jet factorization (jetFactor.ts), in two parametrizations:
 *
 * - lme4's θ (lmerTest's Satterthwaite works in varpar = (θ, σ)): T_k(θ) is θ's entries in the
 *   lower triangle, linear in θ;
 * - the variance components γ (pbkrtest's Kenward–Roger): per lme4 term t, the lower triangle of
 *   its covariance matrix Σ_t column by column (VarCorr order), then the residual variance σ² last;
 *   V(γ) = σ² I + Σ_t Z_t (I ⊗ Σ_t) Z_tᵀ is linear in γ. The template is T = chol(Σ_t / σ²) per
 *   term (a jet Cholesky), so that Λ Λᵀ = Σ_b / σ².
 *
 * A transformed block (reparam.ts: the backends see Z M) is given T' = M⁻¹ T, so that Z M T' = Z T:
 * the factor then sees exactly the model's Λ Λᵀ (the quantities of jetFactor depend on Λ Λᵀ only).
 */
import { ModelError } from '../errors/errors.js';
import type { RandomBlock } from '../model/lambda.js';
import type { TemplateBlock } from '../linalg/template.js';
import type { BlockTransform } from '../model/reparam.js';
import type { ReTerm } from '../frame/modelFrame.js';
import type { JetSpace } from './jet.js';

/** M⁻¹ T for a transformed block (the backends see Z M: Z M M⁻¹ T = Z T); T itself without a transform. */
function untransformTemplate(J: JetSpace, q: number, t: BlockTransform | null, T: Float64Array): Float64Array {
  if (!t) return T;
  const nc = J.nc;
  const out = J.alloc(q * q);
  for (let r = 0; r < q; r++) for (let c = 0; c < q; c++) for (let s = 0; s < q; s++) J.axpy(t.Minv[r * q + s], T, (s * q + c) * nc, out, (r * q + c) * nc);
  return out;
}

/**
 * Templates with jets in θ (θ_k is variable k): lme4's θ with the model's block transforms (M⁻¹ T,
 * reparam.ts), or, with `transforms` null, the internal θ whose factor the backends use as it is.
 */
export function thetaTemplates(J: JetSpace, blocks: TemplateBlock[], transforms: (BlockTransform | null)[] | null, theta: ArrayLike<number>): Float64Array[] {
  return blocks.map((b, bi) => {
    const q = b.q;
    const T = J.alloc(q * q);
    for (let e = 0; e < q * q; e++) {
      const k = b.thetaIndex[e];
      if (k >= 0) J.variable(T, e * J.nc, theta[k], k);
    }
    return transforms ? untransformTemplate(J, q, transforms[bi], T) : T;
  });
}

/** Per lme4 term: the offset of its γ entries (lower triangle of Σ_t, column by column). */
export function gammaLayout(terms: ReTerm[]): { offsets: number[]; length: number } {
  const offsets: number[] = [];
  let n = 0;
  for (const t of terms) {
    offsets.push(n);
    n += (t.q * (t.q + 1)) / 2;
  }
  return { offsets, length: n + 1 };
}

/**
 * γ at θ and σ: Σ_t = σ² T_t T_tᵀ's lower triangle per term, then σ². `terms` in lme4's order (the
 * model frame's reTerms), θ in lme4's order.
 */
export function gammaFromTheta(terms: ReTerm[], theta: ArrayLike<number>, sigma: number): Float64Array {
  const { length } = gammaLayout(terms);
  const g = new Float64Array(length);
  let th = 0, k = 0;
  const s2 = sigma * sigma;
  for (const t of terms) {
    const q = t.q;
    const T = new Float64Array(q * q);
    for (let j = 0; j < q; j++) for (let i = j; i < q; i++) T[i * q + j] = theta[th++];
    for (let j = 0; j < q; j++) {
      for (let i = j; i < q; i++) {
        let acc = 0;
        for (let u = 0; u <= j; u++) acc += T[i * q + u] * T[j * q + u];
        g[k++] = s2 * acc;
      }
    }
  }
  g[k] = s2;
  return g;
}

/**
 * Templates with jets in γ: T_t = chol(Σ_t(γ) / γ_last) per term, placed in its block at the
 * term's columns. Throws when a Σ_t is singular (a boundary fit), where no smooth square root exists.
 */
export function gammaTemplates(J: JetSpace, blocks: RandomBlock[], transforms: (BlockTransform | null)[], terms: ReTerm[], gamma: ArrayLike<number>): Float64Array[] {
  const nc = J.nc;
  const { offsets, length } = gammaLayout(terms);
  const res = length - 1;
  const s2 = J.alloc(1);
  J.variable(s2, 0, gamma[res], res);
  const Ts = blocks.map((b) => J.alloc(b.q * b.q));
  const scratch = J.alloc(1);
  blocks.forEach((b, bi) => {
    const q = b.q;
    for (const member of b.terms) {
      const t = terms[member.term];
      const qt = t.q;
      // Σ_t / σ² as jets (lower triangle, row-major qt × qt)
      const M = J.alloc(qt * qt);
      let g = offsets[member.term];
      for (let j = 0; j < qt; j++) {
        for (let i = j; i < qt; i++) {
          J.variable(M, (i * qt + j) * nc, gamma[g], g);
          J.divInPlace(M, (i * qt + j) * nc, s2, 0);
          g++;
        }
      }
      // Cholesky in jets (Crout, lower triangle)
      for (let j = 0; j < qt; j++) {
        const jj = (j * qt + j) * nc;
        for (let u = 0; u < j; u++) J.fms(M, (j * qt + u) * nc, M, (j * qt + u) * nc, M, jj);
        if (!(M[jj] > 0)) {
          throw new ModelError(`the covariance matrix of the random-effects term ${t.text} is singular at the estimates (a boundary fit): its variance components have no smooth parametrization there`);
        }
        J.sqrtInPlace(M, jj);
        for (let i = j + 1; i < qt; i++) {
          const ij = (i * qt + j) * nc;
          for (let u = 0; u < j; u++) J.fms(M, (i * qt + u) * nc, M, (j * qt + u) * nc, M, ij);
          J.divInPlace(M, ij, M, jj);
        }
      }
      const T = Ts[bi];
      for (let i = 0; i < qt; i++) for (let j = 0; j <= i; j++) J.copy(M, (i * qt + j) * nc, T, ((member.col + i) * q + member.col + j) * nc);
    }
  });
  void scratch;
  return Ts.map((T, bi) => untransformTemplate(J, blocks[bi].q, transforms[bi], T));
}
