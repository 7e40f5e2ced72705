/**
 * Cox's log partial likelihood PL(η), its gradient and its negative Hessian in the coefficients c of a
 * linear predictor η = o + M c (M given by sparse rows), for Efron's or Breslow's handling of ties.
 *
 * At each event time t with deaths D (d of them) and risk set R (riskSets.ts), r_i = exp(η_i):
 *   Efron:   f_k = k/d, k = 0 … d − 1;   Breslow: f_k = 0
 *   den_k = Σ_R r_i − f_k Σ_D r_i
 *   PL   += Σ_D η_i − Σ_k log den_k                                                        (1)
 *   m_k   = (Σ_R r_i x_i − f_k Σ_D r_i x_i) / den_k = a_k S1 − b_k D1,  a_k = 1/den_k, b_k = f_k/den_k
 *   ∇PL  += Σ_D x_i − Σ_k m_k                                                             (2)
 *   H    += Σ_k [(Σ_R r x xᵀ − f_k Σ_D r x xᵀ)/den_k − m_k m_kᵀ]                            (3)
 * (3)'s first part summed over the event times is Σ_i r_i w_i x_i x_iᵀ with
 *   w_i = Σ_{t: i ∈ R(t)} Σ_k a_k(t) − [i dies at t_i] Σ_k b_k(t_i)                           (4)
 * (a running sum A of Σ_k a_k, read when i enters and when it leaves), and its second part per event time is
 *   Σ_k m_k m_kᵀ = (Σ a_k²) S1S1ᵀ − (Σ a_k b_k)(S1D1ᵀ + D1S1ᵀ) + (Σ b_k²) D1D1ᵀ               (5)
 * a dense rank-one update (S1 is dense: every random effect's level is in the risk set) plus sparse ones.
 * r_i is computed as exp(η_i − max η) (every ratio above is unchanged; (1) adds the shift back).
 */
import type { CoxTies } from './model.js';
import type { RiskSchedule } from './riskSets.js';

/** A design by sparse rows: row i's entries are cols/vals[i·w … (i+1)·w), w per row. */
export interface SparseRows {
  n: number;
  /** number of columns */
  P: number;
  /** entries per row */
  w: number;
  cols: Int32Array;
  vals: Float64Array;
}

/** Σ_k over one tie group: Σ a_k, Σ b_k, Σ log den_k, Σ a_k², Σ a_k b_k, Σ b_k². */
function tieSums(S0: number, D0: number, d: number, ties: CoxTies) {
  let A = 0, B = 0, logden = 0, AA = 0, AB = 0, BB = 0;
  for (let k = 0; k < d; k++) {
    const f = ties === 'efron' ? k / d : 0;
    const den = S0 - f * D0;
    const a = 1 / den, b = f / den;
    A += a; B += b; logden += Math.log(den); AA += a * a; AB += a * b; BB += b * b;
  }
  return { A, B, logden, AA, AB, BB };
}

function scaledRisk(eta: Float64Array): { r: Float64Array; shift: number } {
  let shift = -Infinity;
  for (let i = 0; i < eta.length; i++) if (eta[i] > shift) shift = eta[i];
  const r = new Float64Array(eta.length);
  for (let i = 0; i < eta.length; i++) r[i] = Math.exp(eta[i] - shift);
  return { r, shift };
}

/** PL(η), equation (1). */
export function coxLogLik(eta: Float64Array, rs: RiskSchedule, ties: CoxTies): number {
  const { r, shift } = scaledRisk(eta);
  let S0 = 0;
  let ll = 0;
  for (let s = 0; s < rs.nsteps; s++) {
    if (rs.firstOfStratum[s]) S0 = 0;
    for (let j = rs.enterStart[s]; j < rs.enterStart[s + 1]; j++) S0 += r[rs.enterRows[j]];
    for (let j = rs.leaveStart[s]; j < rs.leaveStart[s + 1]; j++) S0 -= r[rs.leaveRows[j]];
    let D0 = 0;
    const d = rs.deathStart[s + 1] - rs.deathStart[s];
    for (let j = rs.deathStart[s]; j < rs.deathStart[s + 1]; j++) {
      const i = rs.deathRows[j];
      D0 += r[i];
      ll += eta[i] - shift;
    }
    ll -= tieSums(S0, D0, d, ties).logden;
  }
  return ll;
}

export interface CoxDerivatives {
  loglik: number;
  /** ∇PL, length P */
  gradient: Float64Array;
  /** −∇²PL, P × P row-major, symmetric */
  hessian: Float64Array;
}

/** PL, ∇PL and −∇²PL in c for η = o + M c, equations (1)–(5). */
export function coxDerivatives(eta: Float64Array, M: SparseRows, rs: RiskSchedule, ties: CoxTies): CoxDerivatives {
  const { P, w, cols, vals, n } = M;
  const { r, shift } = scaledRisk(eta);
  const S1 = new Float64Array(P);
  const D1 = new Float64Array(P);
  const touched = new Int32Array(P).fill(-1);
  const list: number[] = [];
  const g = new Float64Array(P);
  const H = new Float64Array(P * P);
  const wRow = new Float64Array(n);
  const enteredAt = new Float64Array(n);
  let A = 0; // running Σ_k a_k over the event times so far (4)
  let S0 = 0;
  let ll = 0;
  const inRisk = new Uint8Array(n);
  const stratumRows: number[] = [];
  const closeStratum = () => {
    for (const i of stratumRows) if (inRisk[i]) { wRow[i] += A - enteredAt[i]; inRisk[i] = 0; }
    stratumRows.length = 0;
  };
  for (let s = 0; s < rs.nsteps; s++) {
    if (rs.firstOfStratum[s]) { closeStratum(); S0 = 0; S1.fill(0); }
    for (let j = rs.enterStart[s]; j < rs.enterStart[s + 1]; j++) {
      const i = rs.enterRows[j];
      S0 += r[i];
      for (let e = i * w; e < (i + 1) * w; e++) S1[cols[e]] += r[i] * vals[e];
      enteredAt[i] = A; inRisk[i] = 1; stratumRows.push(i);
    }
    for (let j = rs.leaveStart[s]; j < rs.leaveStart[s + 1]; j++) {
      const i = rs.leaveRows[j];
      S0 -= r[i];
      for (let e = i * w; e < (i + 1) * w; e++) S1[cols[e]] -= r[i] * vals[e];
      wRow[i] += A - enteredAt[i]; inRisk[i] = 0;
    }
    // the deaths' sums D0, D1 (sparse) and Σ_D η, Σ_D x
    let D0 = 0;
    const d = rs.deathStart[s + 1] - rs.deathStart[s];
    for (let j = rs.deathStart[s]; j < rs.deathStart[s + 1]; j++) {
      const i = rs.deathRows[j];
      D0 += r[i];
      ll += eta[i] - shift;
      for (let e = i * w; e < (i + 1) * w; e++) {
        const c = cols[e];
        if (touched[c] < 0) { touched[c] = list.length; list.push(c); }
        D1[c] += r[i] * vals[e];
        g[c] += vals[e];
      }
    }
    const ts = tieSums(S0, D0, d, ties);
    ll -= ts.logden;
    A += ts.A;
    // deaths: w_i −= Σ_k b_k (4)
    for (let j = rs.deathStart[s]; j < rs.deathStart[s + 1]; j++) wRow[rs.deathRows[j]] -= ts.B;
    // gradient (2): − Σ_k m_k = −(Σa_k) S1 + (Σb_k) D1
    for (let c = 0; c < P; c++) g[c] -= ts.A * S1[c];
    for (const c of list) g[c] += ts.B * D1[c];
    // (5): H −= (Σa²) S1S1ᵀ (lower triangle)
    for (let i = 0; i < P; i++) {
      const si = ts.AA * S1[i];
      if (si === 0) continue;
      const row = i * P;
      for (let j = 0; j <= i; j++) H[row + j] -= si * S1[j];
    }
    if (ts.AB !== 0) {
      // H += (Σab)(S1D1ᵀ + D1S1ᵀ): lower-triangle entries (i ≥ j)
      for (const j of list) {
        const dj = ts.AB * D1[j];
        for (let i = j; i < P; i++) H[i * P + j] += S1[i] * dj;
      }
      for (const i of list) {
        const di = ts.AB * D1[i];
        const row = i * P;
        for (let j = 0; j <= i; j++) H[row + j] += di * S1[j];
      }
      // H −= (Σb²) D1D1ᵀ
      for (const i of list) for (const j of list) if (i >= j) H[i * P + j] -= ts.BB * D1[i] * D1[j];
    }
    for (const c of list) { D1[c] = 0; touched[c] = -1; }
    list.length = 0;
  }
  closeStratum();
  // (3)'s first part: Σ_i r_i w_i x_i x_iᵀ (sparse rows)
  for (let i = 0; i < n; i++) {
    const c = r[i] * wRow[i];
    if (c === 0) continue;
    for (let e = i * w; e < (i + 1) * w; e++) {
      const a = cols[e], va = c * vals[e];
      for (let f = i * w; f < (i + 1) * w; f++) {
        const b = cols[f];
        if (b <= a) H[a * P + b] += va * vals[f];
      }
    }
  }
  for (let i = 0; i < P; i++) for (let j = 0; j < i; j++) H[j * P + i] = H[i * P + j];
  return { loglik: ll, gradient: g, hessian: H };
}
