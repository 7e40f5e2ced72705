/**
 * Standard errors of predictions for new observations (confidence and prediction intervals), from
 * the blocked factor at θ̂ (Henderson's mixed-model equations, solved with the blocked Cholesky).
 *
 * The fit's conditional covariance of (u, β) given y is σ² (L Lᵀ)⁻¹, where L L ᵀ is the augmented
 * system [[ΛᵀZᵀZΛ + I, ΛᵀZᵀX], [XᵀZΛ, XᵀX]] (Bates et al. 2015, eq. 18, without the y row). For a
 * new row with fixed-effects row x and, per grouping factor seen in the fit, the random-effects row
 * z at its level g, the predictor xβ + Σ z b_g = wᵀ(u, β) with w = [Λᵀz at g; x], so
 *   Var(x β̂ + z b̂ − x β − z b) = σ² ‖L⁻¹ w‖²        (fixed-effect uncertainty + conditional variance,
 *                                                  and their covariance)
 * A factor whose level is new (or a population-level prediction) contributes nothing to w: its
 * effect is unknown, with variance zᵀ Σ_b z, which the prediction interval adds with σ²:
 *   confidence: ŷ ± z_{1−α/2} √Var,   prediction: ŷ ± z_{1−α/2} √(Var + Σ_new zᵀΣ_b z + σ²).
 * All in the backends' coordinates: x_c = x C (centred columns), z_int = z M for a transformed block
 * (reparam.ts), with the internal θ's templates.
 */
import { OptionError } from '../errors/errors.js';
import type { BlockedCholesky } from '../linalg/blockedCholesky.js';
import type { FixedTransform } from '../model/fixedTransform.js';
import type { RandomBlock } from '../model/lambda.js';
import type { BlockTransform } from '../model/reparam.js';
import { qnorm } from '../stats/distributions.js';

/** One new row: x in the model's coordinates; per block, the level (−1: new or unused) and z. */
export interface PredictionRow {
  x: ArrayLike<number>;
  groups: { level: number; z: ArrayLike<number> }[];
}

export interface PredictionVariance {
  /** Var of the estimated predictor (confidence) */
  confidence: number;
  /** plus the new levels' random-effect variance and σ² (prediction) */
  prediction: number;
}

/**
 * Variances for each row, with `chol` factored at the fit's internal θ_c; `templates` the blocks'
 * T_c there (q × q lower, row-major) and `covariance` each block's Σ_b = σ² T Tᵀ in the model's
 * coordinates (for new levels).
 */
export function predictionVariances(
  chol: BlockedCholesky, fixed: FixedTransform, blocks: RandomBlock[], transforms: (BlockTransform | null)[], templates: Float64Array[], covariance: Float64Array[],
  sigma: number, rows: PredictionRow[],
): PredictionVariance[] {
  const { K, p1 } = chol;
  const p = p1 - 1;
  const y = blocks.map((_, k) => new Float64Array(chol.m[k]));
  const touched = blocks.map(() => new Set<number>());
  return rows.map((row) => {
    let newVar = 0;
    // w_Z: Λ_cᵀ z_c at the row's level of each block
    blocks.forEach((blk, k) => {
      const { level, z } = row.groups[k];
      const q = blk.q;
      if (level < 0) {
        const S = covariance[k];
        for (let s = 0; s < q; s++) for (let t = 0; t < q; t++) newVar += z[s] * S[s * q + t] * z[t];
        return;
      }
      const M = transforms[k];
      const zc = Float64Array.from({ length: q }, (_, c) => {
        if (!M) return z[c];
        let acc = 0;
        for (let s = 0; s < q; s++) acc += z[s] * M.M[s * q + c];
        return acc;
      });
      const T = templates[k];
      for (let t = 0; t < q; t++) {
        let acc = 0;
        for (let s = t; s < q; s++) acc += T[s * q + t] * zc[s];
        y[k][level * q + t] = acc;
        touched[k].add(level * q + t);
      }
    });
    // forward substitution L_Z y = w_Z, block by block
    for (let k = 0; k < K; k++) {
      const qk = blocks[k].q;
      for (let i = 0; i < k; i++) subtractBelow(chol, k, i, y, touched);
      if (chol.isBlockDiagonal(k)) {
        const levels = new Set([...touched[k]].map((e) => Math.floor(e / qk)));
        for (const g of levels) solveLowerBlock(chol.Lkk[k], g * qk * qk, qk, y[k], g * qk);
      } else {
        const m = chol.m[k];
        for (let e = 0; e < m; e++) touched[k].add(e);
        solveLowerBlock(chol.Lkk[k], 0, m, y[k], 0);
      }
    }
    // y_X = R_XXᵀ⁻¹ (x_c − Σ_k L_Xk y_k)
    const xc = Float64Array.from({ length: p }, (_, j) => row.x[j] - (fixed.intercept >= 0 && j !== fixed.intercept ? fixed.means[j] * row.x[fixed.intercept] : 0));
    for (let k = 0; k < K; k++) {
      const L = chol.LXk[k], m = chol.m[k];
      for (const e of touched[k]) {
        const v = y[k][e];
        if (v === 0) continue;
        for (let r = 0; r < p; r++) xc[r] -= L[r * m + e] * v;
      }
    }
    for (let r = 0; r < p; r++) {
      let v = xc[r];
      for (let c = 0; c < r; c++) v -= chol.LXX[r * p1 + c] * xc[c];
      xc[r] = v / chol.LXX[r * p1 + r];
    }
    let ss = 0;
    for (let r = 0; r < p; r++) ss += xc[r] * xc[r];
    for (let k = 0; k < K; k++) {
      for (const e of touched[k]) { ss += y[k][e] * y[k][e]; y[k][e] = 0; }
      touched[k].clear();
    }
    const s2 = sigma * sigma;
    return { confidence: s2 * ss, prediction: s2 * ss + newVar + s2 };
  });
}

/** y_k −= L_ki y_i over the nonzeros of y_i (sparse or dense L_ki). */
function subtractBelow(chol: BlockedCholesky, k: number, i: number, y: Float64Array[], touched: Set<number>[]): void {
  const blocks = chol.gram.blocks;
  const qk = blocks[k].q, qi = blocks[i].q;
  const V = chol.Ljk[k][i];
  const yi = y[i], yk = y[k];
  if (chol.isBlockDiagonal(i)) {
    const P = chol.patterns[k][i];
    const cols = new Set([...touched[i]].map((e) => Math.floor(e / qi)));
    for (const c of cols) {
      for (let e = P.colPtr[c]; e < P.colPtr[c + 1]; e++) {
        const a = P.rowIdx[e];
        for (let s = 0; s < qk; s++) {
          let acc = 0;
          for (let t = 0; t < qi; t++) acc += V[e * qk * qi + s * qi + t] * yi[c * qi + t];
          if (acc === 0) continue;
          yk[a * qk + s] -= acc;
          touched[k].add(a * qk + s);
        }
      }
    }
  } else {
    const mi = chol.m[i], mk = chol.m[k];
    for (let r = 0; r < mk; r++) {
      let acc = 0;
      for (const t of touched[i]) acc += V[r * mi + t] * yi[t];
      if (acc === 0) continue;
      yk[r] -= acc;
      touched[k].add(r);
    }
  }
}

/** forward substitution with the n × n lower block at l[lo] (row stride n), in place on b[bo…] */
function solveLowerBlock(l: Float64Array, lo: number, n: number, b: Float64Array, bo: number): void {
  for (let i = 0; i < n; i++) {
    let s = b[bo + i];
    for (let k = 0; k < i; k++) s -= l[lo + i * n + k] * b[bo + k];
    b[bo + i] = s / l[lo + i * n + i];
  }
}

/** ŷ ± z √v for the level's two-sided normal quantile */
export function normalInterval(fit: number, variance: number, level: number): [number, number] {
  if (!(level > 0 && level < 1)) throw new OptionError('level', `level must be between 0 and 1, got ${level}`);
  const h = qnorm(1 - (1 - level) / 2) * Math.sqrt(variance);
  return [fit - h, fit + h];
}
