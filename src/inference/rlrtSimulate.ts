/**
 * The simulated null distribution of the (restricted) likelihood-ratio statistic for one variance
 * component (Crainiceanu & Ruppert 2004, Theorem 1 with λ0 = 0; RLRsim's RLRTSim/LRTSim and the
 * per-simulation grid search of its C code). With μ_s, ξ_s (rlrtDesign.ts; ξ = μ for REML), independent
 * w_s² ~ χ²_1 (s = 1..K), W ~ χ²_{max(0, n − p − K)} and, for the LRT, U ~ χ²_q (q: the fixed effects
 * the null model drops):
 *   N(λ) = Σ_s λμ_s/(1 + λμ_s) w_s²,   D(λ) = Σ_s w_s²/(1 + λμ_s) + W,
 *   f(λ) = n₀ log(1 + N(λ)/D(λ)) − Σ_s log(1 + λξ_s),   n₀ = n − p (REML) or n (ML),
 *   RLRT = sup_λ f(λ),   LRT = sup_λ f(λ) + n log(1 + U / (Σ_s w_s² + W)),
 * the supremum over RLRsim's grid λ ∈ {0} ∪ exp(seq(log.grid.lo, log.grid.hi, length = gridlength − 1)),
 * walked upwards from λ = 0 (f(0) = 0) while f does not decrease (RLRsim's search stops at the first
 * decrease), so every value is ≥ 0.
 *
 * Draws are counter-based (src/model/random.ts): simulation r's w_s from stream 0 (index s), W from
 * streams 1 (normals) and 2 (uniforms), U from streams 3 and 4, so a value is a pure function of
 * (seed, r). χ²_ν = 2 Gamma(ν/2) by Marsaglia & Tsang (2000) for ν ≥ 2, Z² for ν = 1, 0 for ν = 0.
 */
import { CounterNormal, gammaDraw } from '../model/random.js';

export interface RlrtSimSettings {
  n: number;
  p: number;
  /** the number of fixed effects the null model drops (LRT only; 0 for the RLRT) */
  q: number;
  /** the scaled eigenvalues (rlrtDesign.ts) */
  mu: Float64Array;
  /** LRT: the scaled ξ; REML: absent (ξ = μ) */
  xi?: Float64Array;
  reml: boolean;
  nsim: number;
  seed: number;
  logGridHi: number;
  logGridLo: number;
  gridLength: number;
}

export interface RlrtSample {
  /** the simulated statistics */
  sample: Float64Array;
  /** the grid's λ at each simulation's supremum (RLRsim's attr(, "lambda")) */
  lambda: Float64Array;
}

/** RLRsim's grid: 0 and gridlength − 1 points equally spaced in log λ from log.grid.lo to log.grid.hi (R's seq). */
export function lambdaGrid(logGridLo: number, logGridHi: number, gridLength: number): Float64Array {
  const g = new Float64Array(gridLength);
  const m = gridLength - 1;
  const by = m > 1 ? (logGridHi - logGridLo) / (m - 1) : 0;
  // R's seq(lo, hi, length.out = m): lo + i·by, the last point hi (one point: lo)
  for (let i = 0; i < m; i++) g[i + 1] = Math.exp(m > 1 && i === m - 1 ? logGridHi : logGridLo + i * by);
  return g;
}

const STREAM_W = 0, STREAM_REST_N = 1, STREAM_REST_U = 2, STREAM_Q_N = 3, STREAM_Q_U = 4;

/** A χ²_ν draw of simulation r from a normal stream and a uniform stream (see the header). */
export function chisqDraw(rng: CounterNormal, r: number, streamN: number, streamU: number, nu: number): number {
  if (nu <= 0) return 0;
  if (nu === 1) { const z = rng.normal(r, streamN, 0); return z * z; }
  // Marsaglia–Tsang for the shape ν/2 ≥ 1
  return 2 * gammaDraw(rng, r, nu / 2, streamN, streamU);
}

/** The simulated null distribution (see the header); yields to the event loop every 1,000 simulations. */
export async function simulateRlrtNull(s: RlrtSimSettings): Promise<RlrtSample> {
  const { n, p, q, mu, reml, nsim } = s;
  const xi = reml ? mu : s.xi!;
  const K = mu.length;
  const grid = lambdaGrid(s.logGridLo, s.logGridHi, s.gridLength);
  const g = grid.length;
  // per grid point: fN = λμ/(1 + λμ), fD = 1/(1 + λμ), Σ log1p(λξ)
  const fN = new Float64Array(g * K), fD = new Float64Array(g * K), logTerm = new Float64Array(g);
  for (let ig = 0; ig < g; ig++) {
    const lam = grid[ig];
    let t = 0;
    for (let k = 0; k < K; k++) {
      const lm1 = lam * mu[k] + 1;
      fN[ig * K + k] = (lam * mu[k]) / lm1;
      fD[ig * K + k] = 1 / lm1;
      t += Math.log1p(lam * xi[k]);
    }
    logTerm[ig] = t;
  }
  const n0 = reml ? n - p : n;
  const dfRest = Math.max(0, n - p - K);
  const rng = new CounterNormal(s.seed);
  const sample = new Float64Array(nsim), lambda = new Float64Array(nsim);
  const w2 = new Float64Array(K);
  for (let r = 0; r < nsim; r++) {
    if (r > 0 && r % 1000 === 0) await new Promise((res) => setTimeout(res, 0));
    let wsum = 0;
    for (let k = 0; k < K; k++) { const z = rng.normal(r, STREAM_W, k); w2[k] = z * z; wsum += w2[k]; }
    const rest = chisqDraw(rng, r, STREAM_REST_N, STREAM_REST_U, dfRest);
    let best = 0, at = 0;
    for (let ig = 0; ig < g; ig++) {
      let N = 0, D = 0;
      for (let k = 0; k < K; k++) { N += fN[ig * K + k] * w2[k]; D += fD[ig * K + k] * w2[k]; }
      D += rest;
      const f = n0 * Math.log1p(N / D) - logTerm[ig];
      if (f >= best) { best = f; at = ig; } else break;
    }
    if (!reml) best += n * Math.log1p(chisqDraw(rng, r, STREAM_Q_N, STREAM_Q_U, q) / (wsum + rest));
    sample[r] = best;
    lambda[r] = grid[at];
  }
  return { sample, lambda };
}
