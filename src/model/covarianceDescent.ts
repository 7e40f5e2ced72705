/**
 * A descent off a singular covariance matrix that the Cholesky parametrization hides (the θ
 * optimizer's check 4., src/optim/thetaOptimizer.ts).
 *
 * For a term with factor T (in the optimizer's scaled units x), Σ = T Tᵀ. The deviance depends on θ
 * only through the Σ of each term, so its value at any factor of Σ + h w wᵀ is the same. Where Σ has
 * a null space N (eigenvalues at most NULL_RELATIVE · max(λ_max, 1)), the moves that keep Σ
 * semi-definite and leave it are Σ + h w wᵀ, w ∈ N; to first order they change the deviance by
 *   h wᵀ G w,   G = ∂f/∂Σ,
 * so the point is a minimum in Σ only if G_N = Nᵀ G N is positive semi-definite (the optimality
 * condition on the cone of semi-definite matrices). G_N is measured by forward differences of step h:
 *   (G_N)_ii = (f(Σ + h n_i n_iᵀ) − f₀) / h,
 *   (G_N)_ij = (f(Σ + h u uᵀ) − f₀) / h − ((G_N)_ii + (G_N)_jj) / 2,   u = (n_i + n_j) / √2,
 * (m(m + 1)/2 evaluations for m null directions; its diagonal alone above FULL_MATRIX_MAX), and
 * along the eigenvector c of its least eigenvalue, w = N c, once more. Where the least measured
 * derivative is clearly negative, the restart point is the factor of Σ + h w wᵀ (a semi-definite
 * Cholesky: the deviance there is the one measured, below f₀).
 *
 * Scalar terms are left to the boundary check (their Σ is singular only at T = 0, on the bound).
 */
import { semidefiniteCholesky } from '../linalg/dense.js';
import { symmetricEigen } from '../linalg/symmetricEigen.js';
import { type EdgeStep, FLOAT32_NOISE, FLOAT64_NOISE, type SigmaDescent, factorOf, storeFactor } from '../optim/thetaOptimizer.js';

/** Step h of Σ + h w wᵀ in the scaled units (an LMM's: a variance 1e-4 times the residual's). */
export const SIGMA_STEP = 1e-4;
/** A derivative per unit of Σ below −SIGMA_DESCENT (and below the objective's noise, ε |f₀| / h) is a descent. */
export const SIGMA_DESCENT = 1e-4;
/** ε, the relative noise of a float64 objective's differences and of a float32 device's (the boundary check's too). */
export { FLOAT32_NOISE, FLOAT64_NOISE };
/** Eigenvalues of Σ at most NULL_RELATIVE · max(λ_max, 1) span its null space. */
export const NULL_RELATIVE = 1e-6;
/** Up to this many null directions the whole G_N is measured; above, its diagonal. */
export const FULL_MATRIX_MAX = 6;

/** The check for an objective whose differences carry relative noise `noise` (FLOAT64_NOISE, FLOAT32_NOISE). */
export const covarianceDescent = (noise = FLOAT64_NOISE): SigmaDescent => async (evaluate, problem, theta, f0, stopped) => {
  const h = SIGMA_STEP;
  const threshold = Math.max(SIGMA_DESCENT, (noise * Math.abs(f0)) / h);
  let best: EdgeStep | null = null;
  for (let t = 0; t < problem.factors.length; t++) {
    const fac = problem.factors[t];
    const q = fac.q;
    if (q < 2) continue;
    // T and Σ = T Tᵀ in the scaled units: T[i][j] is θ's entry times its scale
    const T = factorOf(fac, theta);
    for (let e = 0; e < q * q; e++) if (fac.index[e] >= 0) T[e] *= problem.scales[fac.index[e]];
    const S = new Float64Array(q * q);
    for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = 0; k <= j; k++) s += T[i * q + k] * T[j * q + k];
      S[i * q + j] = s;
      S[j * q + i] = s;
    }
    const { values, vectors } = symmetricEigen(S, q);
    const cut = NULL_RELATIVE * Math.max(values[0], 1);
    const N: Float64Array[] = [];
    for (let k = 0; k < q; k++) if (values[k] <= cut) N.push(Float64Array.from({ length: q }, (_, i) => vectors[i * q + k]));
    const m = N.length;
    if (m === 0) continue;
    // θ with this term's factor replaced by the semi-definite Cholesky factor of Σ + h w wᵀ
    const thetaAt = (w: ArrayLike<number>): Float64Array => {
      const Sw = Float64Array.from(S);
      for (let i = 0; i < q; i++) for (let j = 0; j < q; j++) Sw[i * q + j] += h * w[i] * w[j];
      const L = semidefiniteCholesky(Sw, q);
      for (let e = 0; e < q * q; e++) if (fac.index[e] >= 0) L[e] /= problem.scales[fac.index[e]];
      const th = Float64Array.from(theta);
      storeFactor(fac, L, th);
      return th;
    };
    const tried: { d: number; theta: Float64Array }[] = [];
    const derivativeAt = async (w: ArrayLike<number>): Promise<number | null> => {
      if (stopped()) return null;
      const th = thetaAt(w);
      const d = ((await evaluate(th)) - f0) / h;
      tried.push({ d, theta: th });
      return d;
    };
    const GN = new Float64Array(m * m);
    for (let i = 0; i < m; i++) {
      const d = await derivativeAt(N[i]);
      if (d === null) return best;
      GN[i * m + i] = d;
    }
    if (m > 1) {
      if (m <= FULL_MATRIX_MAX) {
        for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) {
          const d = await derivativeAt(N[i].map((v, k) => (v + N[j][k]) / Math.SQRT2));
          if (d === null) return best;
          GN[i * m + j] = GN[j * m + i] = d - (GN[i * m + i] + GN[j * m + j]) / 2;
        }
      }
      // the least eigenvalue's direction of the measured G_N (of its diagonal above FULL_MATRIX_MAX)
      const E = symmetricEigen(GN, m);
      if (E.values[m - 1] < -threshold) {
        const w = new Float64Array(q);
        for (let k = 0; k < m; k++) for (let i = 0; i < q; i++) w[i] += E.vectors[k * m + m - 1] * N[k][i];
        if ((await derivativeAt(w)) === null) return best;
      }
    }
    for (const r of tried) {
      if (r.d < -threshold && (!best || r.d < best.derivative)) {
        best = { theta: r.theta, derivative: r.d, where: `term ${t + 1}, ${m} of its ${q} dimensions with no variance` };
      }
    }
  }
  return best;
};
