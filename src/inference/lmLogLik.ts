/**
 * The log-likelihood of the linear model y = Xβ + ε, ε ~ N(0, σ² W⁻¹) (R's logLik.lm, REML or ML),
 * which lmerTest's ranova compares a mixed model with when its last random-effects term is removed:
 * with √W X = Q R (R's QR without pivoting; X has full column rank p, lme4 having dropped
 * rank-deficient columns) and RSS_w = Σ w_i (y_i − x_iᵀβ̂)²,
 *   ML:   ℓ = ½ (Σ log w_i − n (log 2π + 1 − log n + log RSS_w))
 *   REML: ℓ = ½ (Σ log w_i − N (log 2π + 1 − log N + log RSS_w)) − Σ log |R_jj|,  N = n − p,
 * on p + 1 parameters (lme4's REML criterion at θ = 0 is −2ℓ_REML: log|L|² = 0, log|R_X|² = 2 Σ log|R_jj|).
 */
export interface LmLogLik { logLik: number; df: number }

/**
 * X: n × p column-major, y the working response (y minus any offset), w the prior weights (null: 1).
 * The QR is modified Gram–Schmidt applied twice (columns of √W X and √W y orthogonalized in turn).
 */
export function lmLogLik(X: Float64Array, n: number, p: number, y: Float64Array, w: Float64Array | null, reml: boolean): LmLogLik {
  const sw = (i: number) => (w ? Math.sqrt(w[i]) : 1);
  const Q: Float64Array[] = [];
  let sumLogR = 0;
  for (let j = 0; j < p; j++) {
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = X[j * n + i] * sw(i);
    // R_jj = ‖v − Σ_k q_k q_kᵀ v‖ (its sign does not enter |R_jj|)
    for (let pass = 0; pass < 2; pass++) for (const q of Q) { const s = dot(q, v); for (let i = 0; i < n; i++) v[i] -= s * q[i]; }
    const r = Math.sqrt(dot(v, v));
    sumLogR += Math.log(r);
    for (let i = 0; i < n; i++) v[i] /= r;
    Q.push(v);
  }
  // the weighted residual √W (y − Xβ̂) = (I − QQᵀ) √W y
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) e[i] = y[i] * sw(i);
  for (let pass = 0; pass < 2; pass++) for (const q of Q) { const s = dot(q, e); for (let i = 0; i < n; i++) e[i] -= s * q[i]; }
  const rss = dot(e, e);
  let sumLogW = 0;
  if (w) for (let i = 0; i < n; i++) sumLogW += Math.log(w[i]);
  const N = reml ? n - p : n;
  let logLik = 0.5 * (sumLogW - N * (Math.log(2 * Math.PI) + 1 - Math.log(N) + Math.log(rss)));
  if (reml) logLik -= sumLogR;
  return { logLik, df: p + 1 };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
