/**
 * nlme's corARMA(form = ~ t | g, p, q): within a group, the correlation of a stationary ARMA(p, q)
 * process  e_t = Σ_{j=1}^p φ_j e_{t−j} + a_t + Σ_{j=1}^q θ_j a_{t−j}  at the integer lags |t_i − t_j|
 * (rows' positions with form = ~ 1 | g). Parameters in nlme's unconstrained parametrization: the
 * φ (and, with the sign flipped, the θ) are mapped to partial autocorrelations r_k by the
 * Durbin–Levinson recursion run backwards and each r_k to log((1 + r_k)/(1 − r_k)); the inverse map
 * (constCoef) keeps the AR part stationary and the MA part invertible. Each group's C_g is dense; its
 * Cholesky factor whitens the group (corSpatial.ts's denseFactor).
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { type CorContext, type CorStructure, corGroups, refuseTies } from './correlation.js';
import { denseFactor } from './corSpatial.js';
import { markovFactor } from './markov.js';
import { checkArgs, type StructCall } from './structSpec.js';
import { formText } from './varFunction.js';

/**
 * Unconstrained → constrained for one block of n coefficients (sgn −1 for the AR part, +1 for the
 * MA part, as nlme's ARMA_untransPar): r_i = tanh(x_i / 2), then the Durbin–Levinson step
 *   a_j^{(i)} = a_j^{(i−1)} + sgn r_i a_{i−j}^{(i−1)},  j < i;  a_i^{(i)} = r_i.
 */
function untransform(x: Float64Array, sgn: number): Float64Array {
  const n = x.length;
  const a = new Float64Array(n);
  const prev = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a[i] = Math.tanh(x[i] / 2);
    for (let j = 0; j < i; j++) a[j] = prev[j] + sgn * a[i] * prev[i - j - 1];
    for (let j = 0; j <= i; j++) prev[j] = a[j];
  }
  return a;
}

/** Constrained → unconstrained (the inverse of untransform, run from the last coefficient back). */
function transform(a0: Float64Array, sgn: number): Float64Array {
  const a = Float64Array.from(a0);
  const n = a.length;
  for (let k = n - 1; k >= 0; k--) {
    const r = a[k];
    if (!(Math.abs(r) < 1)) throw new OptionError('correlation', `correlation: corARMA's initial values give a partial autocorrelation ${r} outside (−1, 1)`);
    // a_j^{(k−1)} from a^{(k)}: solve the 2 × 2 system of a_j and a_{k−1−j}
    const D = 1 - r * r;
    const b = new Float64Array(k);
    for (let j = 0; j < k; j++) b[j] = (a[j] - sgn * r * a[k - 1 - j]) / D;
    for (let j = 0; j < k; j++) a[j] = b[j];
    a[k] = Math.log((1 + r) / (1 - r));
  }
  return a;
}

/** (φ, θ) from nlme's unconstrained x = (AR part, MA part). */
export function armaCoefficients(x: Float64Array, p: number, q: number): { phi: Float64Array; theta: Float64Array } {
  return { phi: untransform(x.subarray(0, p), -1), theta: untransform(x.subarray(p, p + q), 1) };
}

/** nlme's unconstrained x from (φ, θ). */
export function armaUnconstrained(phi: Float64Array, theta: Float64Array): Float64Array {
  const out = new Float64Array(phi.length + theta.length);
  out.set(transform(phi, -1), 0);
  out.set(transform(theta, 1), phi.length);
  return out;
}

/**
 * The autocorrelations ρ_0..ρ_maxLag of the ARMA(p, q) process. With ψ the MA(∞) weights
 * (ψ_0 = 1, ψ_i = θ_i + Σ_{j=1}^{min(p,i)} φ_j ψ_{i−j}) and θ_0 = 1, the autocovariances (σ_a² = 1) solve
 *   γ_k − Σ_{j=1}^p φ_j γ_{|k−j|} = Σ_{j=k}^q θ_j ψ_{j−k},   k = 0..p   (a (p+1) × (p+1) system),
 * and beyond p the recursion γ_k = Σ_j φ_j γ_{k−j} + Σ_{j=k}^q θ_j ψ_{j−k}; ρ_k = γ_k / γ_0.
 * Returns null when the system is singular (a unit root).
 */
export function armaCorrelation(phi: Float64Array, theta: Float64Array, maxLag: number): Float64Array | null {
  const p = phi.length, q = theta.length;
  const th = (j: number) => (j === 0 ? 1 : j <= q ? theta[j - 1] : 0);
  const M = Math.max(p, q) + 1;
  const psi = new Float64Array(M);
  psi[0] = 1;
  for (let i = 1; i < M; i++) {
    psi[i] = i <= q ? theta[i - 1] : 0;
    for (let j = 1; j <= Math.min(p, i); j++) psi[i] += phi[j - 1] * psi[i - j];
  }
  const rhs = (k: number) => { let s = 0; for (let j = k; j <= q; j++) s += th(j) * psi[j - k]; return s; };
  const L = Math.max(maxLag, p, q) + 1;
  const g = new Float64Array(L);
  // the (p+1) × (p+1) system, Gaussian elimination with partial pivoting
  const P = p + 1;
  const A = new Float64Array(P * P);
  const b = new Float64Array(P);
  for (let k = 0; k < P; k++) {
    A[k * P + k] += 1;
    for (let j = 1; j <= p; j++) A[k * P + Math.abs(k - j)] -= phi[j - 1];
    b[k] = rhs(k);
  }
  for (let c = 0; c < P; c++) {
    let piv = c;
    for (let r = c + 1; r < P; r++) if (Math.abs(A[r * P + c]) > Math.abs(A[piv * P + c])) piv = r;
    if (!(Math.abs(A[piv * P + c]) > 1e-14)) return null;
    if (piv !== c) {
      for (let k = 0; k < P; k++) { const t = A[c * P + k]; A[c * P + k] = A[piv * P + k]; A[piv * P + k] = t; }
      const t = b[c]; b[c] = b[piv]; b[piv] = t;
    }
    for (let r = c + 1; r < P; r++) {
      const f = A[r * P + c] / A[c * P + c];
      for (let k = c; k < P; k++) A[r * P + k] -= f * A[c * P + k];
      b[r] -= f * b[c];
    }
  }
  for (let c = P - 1; c >= 0; c--) {
    let s = b[c];
    for (let k = c + 1; k < P; k++) s -= A[c * P + k] * g[k];
    g[c] = s / A[c * P + c];
  }
  for (let k = P; k < L; k++) {
    let s = rhs(k);
    for (let j = 1; j <= p; j++) s += phi[j - 1] * g[k - j];
    g[k] = s;
  }
  if (!(g[0] > 0)) return null;
  const rho = new Float64Array(L);
  for (let k = 0; k < L; k++) rho[k] = g[k] / g[0];
  return rho;
}

function integerArg(call: StructCall, key: string): number {
  const v = call.args[key];
  if (v === undefined) return 0;
  const x = Number(v.replace(/L$/, ''));
  if (!(Number.isInteger(x) && x >= 0)) throw new OptionError('correlation', `correlation: '${call.text}': ${key} = ${v} must be a non-negative integer`);
  return x;
}

export function corARMA(call: StructCall, ctx: CorContext): CorStructure {
  checkArgs(call, ['p', 'q', 'value'], 'correlation');
  const p = integerArg(call, 'p'), q = integerArg(call, 'q');
  if (p + q === 0) throw new OptionError('correlation', `correlation: '${call.text}': at least one of p and q must be > 0`);
  let value = new Float64Array(p + q);
  if (call.args.value !== undefined) {
    const m = /^c\(([\s\S]*)\)$/.exec(call.args.value.trim());
    const parts = (m ? m[1] : call.args.value).split(',').map((s) => Number(s.trim()));
    if (parts.length !== p + q || parts.some((v) => !Number.isFinite(v))) throw new OptionError('correlation', `correlation: '${call.text}': value must give ${p + q} numbers`);
    if (parts.some((v) => Math.abs(v) >= 1)) throw new OptionError('correlation', `correlation: '${call.text}': the values must be < 1 in absolute value`);
    value = Float64Array.from(parts);
  }
  const start = armaUnconstrained(value.subarray(0, p), value.subarray(p));
  const { groups, group, time } = corGroups(call, ctx);
  if (time) {
    for (let i = 0; i < time.length; i++) {
      if (!Number.isInteger(time[i])) throw new ModelError(`correlation ${call.text}: corARMA's covariate '${call.covariate}' must be integer valued, got ${time[i]}`);
    }
    refuseTies(call, groups, time, ctx.frame.rows);
  }
  const pos = groups.map((g) => Int32Array.from(g, (i, a) => (time ? time[i] : a)));
  let maxLag = 0;
  let consecutive = true;
  for (const t of pos) {
    if (t.length) maxLag = Math.max(maxLag, t[t.length - 1] - t[0]);
    for (let j = 1; j < t.length; j++) if (t[j] - t[j - 1] !== 1) consecutive = false;
  }
  // nlme: an ARMA(1, 0) at consecutive times is corAR1 (its print too)
  const ar1 = p === 1 && q === 0 && consecutive;
  if (!ar1 && (p > maxLag || q > maxLag)) throw new ModelError(`correlation ${call.text}: corARMA order (${p}, ${q}) exceeds the maximum lag in the data (${maxLag})`);
  const names = [...Array.from({ length: p }, (_, j) => `Phi${j + 1}`), ...Array.from({ length: q }, (_, j) => `Theta${j + 1}`)];
  return {
    text: call.text,
    structure: ar1 ? 'AR(1)' : `ARMA(${p},${q})`,
    formula: formText(call.covariate, group),
    nPar: p + q,
    start,
    groups,
    group,
    factor(x) {
      const { phi, theta } = armaCoefficients(x, p, q);
      if (ar1) return markovFactor(groups, () => phi[0]);
      const rho = armaCorrelation(phi, theta, maxLag);
      if (!rho) return { logDet: NaN, whiten() { /* not reached: the criterion is NaN */ } };
      // C_jk = ρ_{|t_j − t_k|}
      return denseFactor(groups, (gi, a, b) => rho[Math.abs(pos[gi][a] - pos[gi][b])]);
    },
    estimates(x) {
      const { phi, theta } = armaCoefficients(x, p, q);
      return { names: ar1 ? ['Phi'] : names, values: [...phi, ...theta] };
    },
  };
}
