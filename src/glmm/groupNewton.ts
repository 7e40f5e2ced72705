/**
 * PIRLS by levels for one random-effects term, (1 | g), (0 + x | g) or a vector term of up to
 * MAX_LEVEL_Q columns (src/glmm/pirls.ts), with binomial(logit), poisson(log), binomial(probit),
 * binomial(cloglog) or the negative binomial NB2(θ) with the log link: the conditional modes level by
 * level (β fixed), and the joint Newton step for (u, β) through β's Schur complement (β free).
 *
 * With β fixed and one scalar term, the penalized deviance separates by level g of the factor:
 *   f_g(u) = Σ_{i∈g} wt_i d(y_i, μ_i) + u²,   η_i = base_i + t Z_i u   (t = Λ's entry, base = offset + Xβ),
 * and PIRLS's system (Λᵀ Zᵀ W Z Λ + I) is diagonal. Its step on level g is Newton's on f_g:
 *   u ← u + (t Σ_i s_i Z_i − u) / (t² Σ_i w_i Z_i² + 1),
 * with the score s_i = wt_i (y_i − μ_i)(dμ/dη)_i / V(μ_i) and w_i the observed information −∂²(wt ℓ)/∂η²:
 * for the canonical links s_i = wt_i (y_i − μ_i) and w_i = wt_i V(μ_i), the working weights; for the
 * others w_i is the working weight times the family's observedFactor (src/glmm/familyRow.ts), as the
 * general iteration's Newton rows (src/glmm/rowPass.ts observedRows), and log|L|² at the modes is
 * taken at the working (expected) weights, lme4's Laplace approximation. It is the same step as the
 * general iteration (src/glmm/pirls.ts) takes on that level. Here each level
 * iterates on its own rows, held in cache, until its own η has converged, with the general
 * iteration's rules applied per level: step halving while f_g increases (beyond its rounding), and
 * convergence when the remaining error of η on the level (the last step's max |Δη|, or its geometric
 * tail, or Newton's next step C·step²) is below the tolerance. The general iteration applies them to
 * the whole of η at once, so every level iterates as often as the slowest; here a level stops when it
 * is done, and each iteration reads its level's rows once instead of making full passes over η, μ,
 * w, z and A(w).
 *
 * At the levels' modes the pieces of the Laplace deviance (lme4's glmerLaplace) are
 *   log|L|² = Σ_g log(t² Σ_i w_i Z_i² + 1)  (L at the final working weights),   ‖u‖² = Σ_g u_g²,
 *   Σ wt d(y, μ) summed over the levels,
 * from the level's last evaluation. The fixed point is the general iteration's; the two agree to the
 * convergence tolerance (test/groupNewton.test.ts).
 *
 * The rows are taken in level order: a copy of y, Z, the prior weights, X and the offset sorted by
 * level once (a stable counting sort; none when the rows are sorted by level already), and base =
 * offset + Xβ formed in that order at each run (with more than MAX_SORTED_X columns of X, base is
 * formed in the rows' order and gathered into level order at each run, and β free takes the general
 * iteration). The levels are cut into chunks of whole levels of about ROW_CHUNK rows, fixed by
 * the data, run on the row threads (src/linalg/rowThreads.ts); each chunk keeps its own sums, which
 * are added in chunk order: the result is the same whatever the threads.
 */
import { type RowArrays, RowJobs, onSharedMemory, registerRowKernel, shareArray, sharedFloat64, sharedInt32 } from '../linalg/rowThreads.js';
import { EXP_NEG_SOURCE, expNeg } from './expNeg.js';
import { FAMILY_ROW_NAMES, familyRow } from './familyRow.js';
import { LOGIT_FAST_MAX, ROW_CHUNK, logitClampedRow } from './rowPass.js';

/**
 * The names groupNewtonChunk's text calls, under names no other module uses: module constants (not
 * imports, which a loader may rewrite in the function's text), left as they are by a bundler, and
 * defined by GROUP_PRELUDE_NAMES for the row threads, which evaluate the text.
 */
const groupExpNeg = expNeg;
const groupClampedRow = logitClampedRow;
const GROUP_FAST_MAX = LOGIT_FAST_MAX;
const groupFamilyRow = familyRow;
/**
 * The kernels' scratch of one chunk's rows (base, X dβ or wt (y − μ), w), per thread: each row thread
 * has its own, from GROUP_PRELUDE_NAMES. `groupScratch(m)` gives it with at least m rows.
 */
function makeGroupScratch(): (m: number) => { B: Float64Array; D: Float64Array; W: Float64Array } {
  const s = { B: new Float64Array(0), D: new Float64Array(0), W: new Float64Array(0) };
  return (m) => {
    if (s.B.length < m) { s.B = new Float64Array(m); s.D = new Float64Array(m); s.W = new Float64Array(m); }
    return s;
  };
}
const groupScratch = makeGroupScratch();
const GROUP_PRELUDE_NAMES = [`const groupScratch = (${makeGroupScratch.toString()})();`, `const groupExpNeg = ${EXP_NEG_SOURCE};`, `const groupClampedRow = ${logitClampedRow.toString()};`, `const GROUP_FAST_MAX = ${LOGIT_FAST_MAX};`,
  ...FAMILY_ROW_NAMES, `const groupFamilyRow = ${familyRow.toString()};`];

/** per chunk: Σ dev, Σ log|L_g|², Σ u², max iterations, halvings, failed (0/1), max C seen, evaluations */
const OUT = 8;

/** What a run gives: the Laplace deviance's pieces at the modes, or null when a level failed. */
export interface GroupNewtonResult {
  /** Σ wt·d(y, μ̃) */
  devResid: number;
  ldL2: number;
  sqrU: number;
  /** the most iterations (evaluations after the first) a level took */
  iterations: number;
  halvings: number;
  /** the largest Newton constant C (next step ≈ C·step²) seen on a level, or 0 */
  newtonC: number;
  /** evaluations of a level's state per level, on average */
  evaluations: number;
}

/** The settings of a run (the general iteration's, src/glmm/pirls.ts). */
export interface GroupNewtonSettings {
  /** Λ's template T (q × q, row-major, lower triangular): η = base + zᵀ T u; for q = 1 its entry t */
  T: Float64Array;
  maxIter: number;
  etaTol: number;
  halvingNoise: number;
  /** Newton's C seen on earlier runs (∞ when none): a level stops when 4 C step² is below etaTol */
  newtonC: number;
  /** adaptive Gauss–Hermite's nodes: its rows term at the modes too (scalar terms; `agqRows`) */
  agqNodes?: Float64Array;
}


/**
 * A level's stopping rule after an accepted step that moved its η by max |Δη| = `step` (k halvings in
 * it), PIRLS's (src/glmm/pirls.ts stopAfter) applied per level: the step, its geometric tail with the
 * ratio to the step before, or Newton's next step 4 C step² (C seen on the level, from earlier runs at
 * its start) below etaTol. `state`: [C, the step before (NaN: none), the largest C seen], updated.
 * Self-contained (the row threads evaluate its text).
 */
export function groupConverged(step: number, k: number, etaTol: number, state: Float64Array): boolean {
  const stepPrev = state[1];
  const ratio = k === 0 && stepPrev > 0 ? step / stepPrev : NaN;
  const tail = ratio < 0.5 ? (step * ratio) / (1 - ratio) : Infinity;
  if (ratio < 0.5 && step > 1e-13) {
    const cg = step / (stepPrev * stepPrev);
    if (cg > state[2]) state[2] = cg;
    state[0] = Number.isFinite(state[0]) ? Math.max(cg, 0.9 * state[0]) : cg;
  }
  const next = k === 0 && step < 1e-4 ? 4 * state[0] * step * step : Infinity;
  state[1] = k === 0 ? step : NaN;
  return step < etaTol || tail < etaTol || next < etaTol;
}

/** out = T v for a q × q lower-triangular T (row-major). Self-contained. */
export function groupTimesT(q: number, T: Float64Array, v: Float64Array, out: Float64Array): void {
  for (let i = 0; i < q; i++) {
    let acc = 0;
    for (let j = 0; j <= i; j++) acc += T[i * q + j] * v[j];
    out[i] = acc;
  }
}

/** r ← (L Lᵀ)⁻¹ r for a q × q lower-triangular L (row-major): forward, then back substitution. Self-contained. */
export function groupCholSolve(q: number, L: Float64Array, r: Float64Array): void {
  for (let i = 0; i < q; i++) {
    let acc = r[i];
    for (let m = 0; m < i; m++) acc -= L[i * q + m] * r[m];
    r[i] = acc / L[i * q + i];
  }
  for (let i = q - 1; i >= 0; i--) {
    let acc = r[i];
    for (let m = i + 1; m < q; m++) acc -= L[m * q + i] * r[m];
    r[i] = acc / L[i * q + i];
  }
}

/**
 * base = offset + Xβ on rows [k0, k1) into B (row k at k − k0), and X (β − βprev) into D where `prev`
 * is given: X's columns (n rows each, padded to a multiple of four) four at a time, in tight loops.
 * Self-contained (the row threads evaluate its text).
 */
export function groupBaseRows(k0: number, k1: number, X: Float64Array, n: number, p: number, off: Float64Array, hasOffset: boolean,
  beta: Float64Array, prev: Float64Array | null, B: Float64Array, D: Float64Array): void {
  const coef = (v: Float64Array, j: number) => (j < p ? v[j] : 0);
  for (let k = k0; k < k1; k++) B[k - k0] = hasOffset ? off[k] : 0;
  if (prev) for (let k = k0; k < k1; k++) D[k - k0] = 0;
  for (let bi = 0; bi < Math.ceil(p / 4); bi++) {
    const j = 4 * bi, o0 = j * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
    const b0 = coef(beta, j), b1 = coef(beta, j + 1), b2 = coef(beta, j + 2), b3 = coef(beta, j + 3);
    if (!prev) {
      for (let k = k0; k < k1; k++) B[k - k0] += X[o0 + k] * b0 + X[o1 + k] * b1 + X[o2 + k] * b2 + X[o3 + k] * b3;
      continue;
    }
    const d0 = b0 - coef(prev, j), d1 = b1 - coef(prev, j + 1), d2 = b2 - coef(prev, j + 2), d3 = b3 - coef(prev, j + 3);
    for (let k = k0; k < k1; k++) {
      const x0 = X[o0 + k], x1 = X[o1 + k], x2 = X[o2 + k], x3 = X[o3 + k];
      B[k - k0] += x0 * b0 + x1 * b1 + x2 * b2 + x3 * b3;
      D[k - k0] += x0 * d0 + x1 * d1 + x2 * d2 + x3 * d3;
    }
  }
}

/**
 * Levels [gChunk[c], gChunk[c + 1]) of a run: each level's Newton iterations on its rows (the
 * header), its u into gU, the chunk's sums into gOut[OUT·c …]. gParams: [t, maxIter, etaTol,
 * halvingNoise, newtonC, unit weights, has ent, rows permuted (perm), predict, t of the last run,
 * base from X (1) or gathered (0), n, p, has an offset, the family's code, q, AGQ's nodes, NB2's size].
 * With `predict` each level starts from the first-order prediction of its new mode from the last
 * run's (at t_0, base_0, with its Newton weights w_0 per row and a_0 = t_0² Σ w_0 Z² + 1), by the
 * implicit function theorem on the mode's equation G(u) = t Σ s(η) Z − u = 0 (s the score, ∂s/∂η = −w):
 *   Δu = −t_0 Σ_i w_0i Z_i Δbase_i / a_0 + (u / t_0)(2 − a_0)/a_0 · Δt,
 * which saves the Newton step that would make the same correction. Each evaluation leaves its
 * weights in gW and the mode's a in gA for the next run; the mode's a at the expected weights (the
 * Laplace deviance's log|L|², AGQ's scale) goes to gAe (the same a for the canonical links). Self-contained but for the names
 * GROUP_PRELUDE_NAMES defines and the functions its registration lists (GROUP_NEWTON): the row threads
 * evaluate its text.
 */
export function groupNewtonChunk(A: RowArrays, c: number): void {
  const P = A.gParams as Float64Array;
  const t = P[0], maxIter = P[1], etaTol = P[2], halvingNoise = P[3], C0 = P[4];
  const unit = P[5] === 1, hasEnt = P[6] === 1, sorted = P[7] === 1, predict = P[8] === 1, t0 = P[9];
  const fromX = P[10] === 1, n = P[11], p = P[12], hasOffset = P[13] === 1, fam = P[14], nbTheta = P[17];
  const X = A.gX as Float64Array, off = A.gOff as Float64Array, beta = A.gBeta as Float64Array;
  const start = A.gStart as Int32Array, chunk = A.gChunk as Int32Array, perm = A.gPerm as Int32Array;
  const y = A.gY as Float64Array, Z = A.gZ as Float64Array, wt = A.gWt as Float64Array, ent = A.gEnt as Float64Array;
  const base = A.base as Float64Array, sb = A.gBase as Float64Array, U = A.gU as Float64Array;
  const W = A.gW as Float64Array, Ag = A.gA as Float64Array, Ae = A.gAe as Float64Array, Zmax = A.gZmax as Float64Array;
  // AGQ's nodes (none: K = 0) and its rows term per level and node (level-major)
  const nodes = A.gNodes as Float64Array, K = P[16], agqRows = A.gAgq as Float64Array;
  const S = new Float64Array(5);
  // groupConverged's state: Newton's C and the last step on the level, the largest C seen on the chunk
  const stop = Float64Array.of(C0, NaN, 0);
  let devSum = 0, ldSum = 0, uSum = 0, itMax = 0, halvings = 0, failed = 0, evals = 0;
  const k0 = start[chunk[c]], k1 = start[chunk[c + 1]];
  // base = offset + Xβ over the chunk's rows into the thread's scratch (row k at k − k0)
  const scratch = groupScratch(k1 - k0);
  const Bs = scratch.B;
  if (fromX) groupBaseRows(k0, k1, X, n, p, off, hasOffset, beta, null, Bs, scratch.D);
  for (let g = chunk[c]; g < chunk[c + 1]; g++) {
    const i0 = start[g], i1 = start[g + 1];
    // base in level order and its change's Σ w_0 Z Δbase; max |Z| on the level (|Δη| = |t Δu| max |Z|)
    const zmax = Zmax[g];
    let wzd = 0;
    for (let k = i0; k < i1; k++) {
      const nb = fromX ? Bs[k - k0] : sorted ? base[perm[k]] : base[k];
      if (predict) wzd += W[k] * Z[k] * (nb - sb[k]);
      sb[k] = nb;
    }
    let u = U[g];
    if (predict) {
      // the prediction of the new mode (the header)
      const a0 = Ag[g];
      u += (-t0 * wzd) / a0 + (t0 !== 0 ? ((u / t0) * (2 - a0) * (t - t0)) / a0 : 0);
    }
    let uOld = u, fOld = Infinity;
    let dev = 0, sw = 0, swe = 0, done = false, it = 0, k2 = 0;
    stop[0] = C0;
    stop[1] = NaN;
    for (; it <= maxIter; it++) {
      // the level's state at u (groupLevelRows)
      evals++;
      groupLevelRows(i0, i1, t * u, NaN, sb, sb, null, W, 0, Z, y, wt, ent, unit, hasEnt, S, fam, nbTheta);
      dev = 2 * S[0];
      sw = S[1];
      swe = S[4];
      const sr = S[2];
      const f = dev + u * u;
      if (!Number.isFinite(f)) break;
      if (it > 0) {
        // step halving: back towards the previous iterate while f_g increases beyond its rounding
        if (!(f <= fOld + halvingNoise * (Math.abs(fOld) + 1))) {
          if (k2 >= 10) break;
          u = 0.5 * (u + uOld);
          k2++;
          halvings++;
          it--;
          continue;
        }
        if (groupConverged(Math.abs(t * (u - uOld)) * zmax, k2, etaTol, stop)) { done = true; break; }
      }
      k2 = 0;
      // Newton's step on f_g (the header)
      fOld = f;
      uOld = u;
      u += (t * sr - u) / (t * t * sw + 1);
    }
    if (!done) { failed = 1; break; }
    U[g] = u;
    Ag[g] = t * t * sw + 1;
    Ae[g] = t * t * swe + 1;
    devSum += dev;
    ldSum += Math.log(Ae[g]);
    uSum += u * u;
    if (it > itMax) itMax = it;
    // adaptive Gauss–Hermite's rows term at the mode (src/glmm/agq.ts): for each node z_k ≠ 0, the
    // level's Σ d(y, μ) at u + z_k/L_gg (L_gg = √a, a at the expected weights) less that at u, by the
    // same formulas (the weights go to the thread's scratch: gW keeps the mode's for the next run's prediction)
    const sbl = K > 0 ? sb.subarray(i0, i1) : sb;
    for (let kn = 0; kn < K; kn++) {
      const zk = nodes[kn];
      if (zk === 0) continue;
      groupLevelRows(i0, i1, t * (u + zk / Math.sqrt(Ae[g])), NaN, sbl, sbl, null, scratch.W, i0, Z, y, wt, ent, unit, hasEnt, S, fam, nbTheta);
      agqRows[g * K + kn] = 2 * S[0] - dev;
    }
  }
  const out = (A.gOut as Float64Array).subarray(8 * c, 8 * c + 8); // OUT
  out[0] = devSum; out[1] = ldSum; out[2] = uSum; out[3] = itMax; out[4] = halvings; out[5] = failed; out[6] = stop[2]; out[7] = evals;
}

/**
 * One level's state for a vector term (q > 1): rows [i0, i1) in level order, η = base + zᵀb (z: the
 * row's q entries of Z, row-major; b = T u), by the same formulas as groupLevelRows (written out in
 * both: one function per row called from each loop made the runs 1.2–1.4× slower in V8); into G
 * (q(q + 1)/2, lower triangle by rows) Σ w z zᵀ with Newton's weights w, into Ge (where given: the
 * non-canonical families) the same with the expected weights, into g the score's Σ · z, and into S: Σ
 * wt d(y, μ)/2 and max |D + zᵀ db| (the change of η from the previous iterate: D the fixed part's,
 * where given, and b − b_old = db; 0 where db is null); each row's w into W and score into `score`
 * where given. Row k at k − o in base, D, W and `score`.
 * Self-contained but for GROUP_PRELUDE_NAMES's names.
 */
export function groupLevelRowsVec(i0: number, i1: number, q: number, b: Float64Array, db: Float64Array | null, base: Float64Array, o: number,
  D: Float64Array | null, W: Float64Array | null, score: Float64Array | null,
  Z: Float64Array, y: Float64Array, wt: Float64Array, ent: Float64Array, unit: boolean, hasEnt: boolean, fam: number, nbTheta: number,
  G: Float64Array, Ge: Float64Array | null, g: Float64Array, S: Float64Array): void {
  const R = new Float64Array(4);
  const EPS = Number.EPSILON;
  G.fill(0);
  if (Ge) Ge.fill(0);
  g.fill(0);
  let dv = 0, lg = 0, prod = 1, cnt = 0, step = 0;
  for (let k = i0; k < i1; k++) {
    const zo = k * q;
    let eta = base[k - o];
    for (let s = 0; s < q; s++) eta += Z[zo + s] * b[s];
    if (db) {
      let d0 = D ? D[k - o] : 0;
      for (let s = 0; s < q; s++) d0 += Z[zo + s] * db[s];
      if (Math.abs(d0) > step) step = Math.abs(d0);
    }
    const a = Math.abs(eta);
    const yk = y[k];
    const wk = unit ? 1 : wt[k];
    let wm: number, sc: number, we = 0;
    if (fam === 1) {
      const m = Math.exp(eta);
      if (m > EPS) {
        wm = wk * m;
        sc = wk * (yk - m);
        dv += wk * ((hasEnt ? ent[k] : 0) - yk * eta - (yk - m));
      } else {
        wm = wk * EPS;
        sc = wk * (yk - EPS);
        dv += wk * ((yk !== 0 ? yk * Math.log(yk / EPS) : 0) - (yk - EPS));
      }
    } else if (fam > 1) {
      groupFamilyRow(fam, eta, yk, wk, nbTheta, R);
      dv += R[0];
      we = R[1];
      wm = R[2];
      sc = R[3];
    } else if (!(a <= GROUP_FAST_MAX)) {
      groupClampedRow(eta, yk, wk, R);
      wm = R[1];
      sc = R[1] * R[2];
      dv += R[3];
    } else {
      const e = groupExpNeg(a);
      const d = 1 + e;
      const me = e / (d * d);
      let ymu: number, wrong: number;
      if (eta >= 0) { ymu = yk - 1 + e / d; wrong = 1 - yk; } else { ymu = yk - e / d; wrong = yk; }
      wm = wk * me;
      sc = wk * ymu;
      if (unit) {
        prod *= d;
        if (++cnt === 256) { lg += Math.log(prod); prod = 1; cnt = 0; }
        dv += (hasEnt ? ent[k] : 0) + a * wrong;
      } else {
        dv += wk * ((hasEnt ? ent[k] : 0) + Math.log1p(e) + a * wrong);
      }
    }
    if (W) W[k - o] = wm;
    if (score) score[k - o] = sc;
    for (let s = 0, e = 0; s < q; s++) {
      const zs = Z[zo + s];
      g[s] += sc * zs;
      const wz = wm * zs;
      for (let t = 0; t <= s; t++, e++) G[e] += wz * Z[zo + t];
    }
    if (Ge) {
      for (let s = 0, e = 0; s < q; s++) {
        const wz = we * Z[zo + s];
        for (let t = 0; t <= s; t++, e++) Ge[e] += wz * Z[zo + t];
      }
    }
  }
  S[0] = dv + lg + Math.log(prod);
  S[3] = step;
}

/**
 * A vector term's per-level matrix A = Tᵀ G T + I (G: q(q + 1)/2, lower triangle by rows; T: q × q,
 * row-major, lower triangular) and its Cholesky factor L (lower, row-major) into L (TG: scratch q × q);
 * returns log det A, or NaN when A is not positive definite. Self-contained.
 */
export function groupLevelFactor(q: number, T: Float64Array, G: Float64Array, TG: Float64Array, L: Float64Array): number {
  for (let s = 0; s < q; s++) for (let j = 0; j < q; j++) {
    let acc = 0;
    for (let t = 0; t < q; t++) acc += G[s >= t ? (s * (s + 1)) / 2 + t : (t * (t + 1)) / 2 + s] * T[t * q + j];
    TG[s * q + j] = acc;
  }
  let ld = 0;
  for (let i = 0; i < q; i++) {
    for (let j = 0; j <= i; j++) {
      let acc = i === j ? 1 : 0;
      for (let t = 0; t < q; t++) acc += T[t * q + i] * TG[t * q + j];
      for (let m = 0; m < j; m++) acc -= L[i * q + m] * L[j * q + m];
      if (i === j) {
        if (!(acc > 0)) return NaN;
        L[i * q + i] = Math.sqrt(acc);
        ld += Math.log(acc);
      } else L[i * q + j] = acc / L[j * q + j];
    }
  }
  return ld;
}

/**
 * Levels [gChunk[c], gChunk[c + 1]) of a run with β fixed for a vector term (q > 1, template T in gT,
 * q × q lower triangular): per level Newton's step on f(u) = Σ wt d(y, μ) + ‖u‖², η = base + zᵀT u,
 *   u ← u + A⁻¹ (Tᵀ Σ wt (y − μ) z − u),   A = Tᵀ (Σ w z zᵀ) T + I   (L_g L_gᵀ = A, log|L_g|² = log det A),
 * PIRLS's step on the level (w Newton's weights), with the same halving and stopping rules as
 * groupNewtonChunk (max |Δη| exact over the level's rows); log|L_g|² at the mode with the expected
 * weights (for a non-canonical family, from Σ w_e z zᵀ). No prediction of the mode. gParams as
 * groupNewtonChunk's, gParams[15] = q. Self-contained but for GROUP_PRELUDE_NAMES's names and the functions its registration lists (GROUP_NEWTON_VEC).
 */
export function groupNewtonVecChunk(A: RowArrays, c: number): void {
  const P = A.gParams as Float64Array;
  const maxIter = P[1], etaTol = P[2], halvingNoise = P[3], C0 = P[4];
  const unit = P[5] === 1, hasEnt = P[6] === 1, sorted = P[7] === 1;
  const fromX = P[10] === 1, n = P[11], p = P[12], hasOffset = P[13] === 1, fam = P[14], q = P[15], nbTheta = P[17];
  const X = A.gX as Float64Array, off = A.gOff as Float64Array, beta = A.gBeta as Float64Array, T = A.gT as Float64Array;
  const start = A.gStart as Int32Array, chunk = A.gChunk as Int32Array, perm = A.gPerm as Int32Array;
  const y = A.gY as Float64Array, Z = A.gZ as Float64Array, wt = A.gWt as Float64Array, ent = A.gEnt as Float64Array;
  const base = A.base as Float64Array, sb = A.gBase as Float64Array, U = A.gU as Float64Array;
  const nq = (q * (q + 1)) / 2;
  const S = new Float64Array(5), G = new Float64Array(nq), gr = new Float64Array(q), b = new Float64Array(q), db = new Float64Array(q), du = new Float64Array(q);
  const u = new Float64Array(q), uOld = new Float64Array(q), L = new Float64Array(q * q), TG = new Float64Array(q * q);
  // the expected weights' Σ w_e z zᵀ and factor (non-canonical families only)
  const Ge = fam > 1 ? new Float64Array(nq) : null, Le = new Float64Array(q * q);
  const stop = Float64Array.of(C0, NaN, 0);
  let devSum = 0, ldSum = 0, uSum = 0, itMax = 0, halvings = 0, failed = 0, evals = 0;
  const k0 = start[chunk[c]], k1 = start[chunk[c + 1]];
  const scratch = groupScratch(k1 - k0);
  if (fromX) groupBaseRows(k0, k1, X, n, p, off, hasOffset, beta, null, scratch.B, scratch.D);
  for (let k = k0; k < k1; k++) sb[k] = fromX ? scratch.B[k - k0] : sorted ? base[perm[k]] : base[k];
  for (let grp = chunk[c]; grp < chunk[c + 1]; grp++) {
    const i0 = start[grp], i1 = start[grp + 1];
    for (let s = 0; s < q; s++) u[s] = U[grp * q + s];
    let fOld = Infinity, dev = 0, done = false, it = 0, k2 = 0, ld = 0;
    stop[0] = C0;
    stop[1] = NaN;
    for (; it <= maxIter; it++) {
      evals++;
      groupTimesT(q, T, u, b);
      if (it > 0) { for (let s = 0; s < q; s++) du[s] = u[s] - uOld[s]; groupTimesT(q, T, du, db); }
      groupLevelRowsVec(i0, i1, q, b, it > 0 ? db : null, sb, 0, null, null, null, Z, y, wt, ent, unit, hasEnt, fam, nbTheta, G, Ge, gr, S);
      dev = 2 * S[0];
      let uu = 0;
      for (let s = 0; s < q; s++) uu += u[s] * u[s];
      const f = dev + uu;
      if (!Number.isFinite(f)) break;
      if (it > 0) {
        if (!(f <= fOld + halvingNoise * (Math.abs(fOld) + 1))) {
          if (k2 >= 10) break;
          for (let s = 0; s < q; s++) u[s] = 0.5 * (u[s] + uOld[s]);
          k2++;
          halvings++;
          it--;
          continue;
        }
        done = groupConverged(S[3], k2, etaTol, stop);
      }
      // A = Tᵀ G T + I and its Cholesky factor L
      ld = groupLevelFactor(q, T, G, TG, L);
      if (!(ld === ld)) break;
      if (done) {
        if (Ge) ld = groupLevelFactor(q, T, Ge, TG, Le);
        if (!(ld === ld)) done = false;
        break;
      }
      k2 = 0;
      // Newton's step: Δu = A⁻¹ (Tᵀ g − u), by L
      fOld = f;
      uOld.set(u);
      const r = new Float64Array(q);
      for (let j = 0; j < q; j++) { let acc = -u[j]; for (let t = 0; t < q; t++) acc += T[t * q + j] * gr[t]; r[j] = acc; }
      groupCholSolve(q, L, r);
      for (let s = 0; s < q; s++) u[s] += r[s];
    }
    if (!done) { failed = 1; break; }
    for (let s = 0; s < q; s++) { U[grp * q + s] = u[s]; uSum += u[s] * u[s]; }
    devSum += dev;
    ldSum += ld;
    if (it > itMax) itMax = it;
  }
  const out = (A.gOut as Float64Array).subarray(8 * c, 8 * c + 8); // OUT
  out[0] = devSum; out[1] = ldSum; out[2] = uSum; out[3] = itMax; out[4] = halvings; out[5] = failed; out[6] = stop[2]; out[7] = evals;
}

const GROUP_NEWTON = registerRowKernel('groupNewton', groupNewtonChunk,
  [...GROUP_PRELUDE_NAMES, groupLevelRows.toString(), groupBaseRows.toString(), groupConverged.toString()].join('\n'));
const GROUP_JOINT = registerRowKernel('groupJoint', groupJointChunk,
  [...GROUP_PRELUDE_NAMES, groupLevelRows.toString(), groupLevelRowsVec.toString(), groupLevelFactor.toString(), groupBaseRows.toString(), groupTimesT.toString()].join('\n'));
const GROUP_NEWTON_VEC = registerRowKernel('groupNewtonVec', groupNewtonVecChunk,
  [...GROUP_PRELUDE_NAMES, groupLevelRowsVec.toString(), groupLevelFactor.toString(), groupBaseRows.toString(), groupConverged.toString(), groupTimesT.toString(), groupCholSolve.toString()].join('\n'));

/**
 * One level's state: rows [i0, i1) in level order, η = B + b Z (b = t u; row k at k − o in B, D, W and
 * `score`), by the logit kernel's formulas (src/glmm/rowPass.ts logitRange), poisson(log)'s, or the
 * non-canonical families' (src/glmm/familyRow.ts; `fam`: the family's code, FAMILY_CODE, and `nbTheta`
 * NB2's size): each row's Newton weight w (the observed information; the working weight of the
 * canonical links) into W, and the score wt (y − μ)(dμ/dη)/V (wt (y − μ) for the canonical links)
 * into `score` where given; into S: Σ wt d(y, μ)/2, Σ w Z², the score's Σ · Z, max |Δη| = max |D +
 * tdu Z| (the change of η from a previous state: D the fixed part's, tdu = t Δu; tdu NaN: none, 0)
 * and Σ w_e Z² with the expected weights w_e (lme4's Laplace: those of w for the canonical links). A
 * function of its own, which V8 optimizes better than the same loop inlined in a kernel (twice as
 * fast). Self-contained but for GROUP_PRELUDE_NAMES's names.
 */
export function groupLevelRows(i0: number, i1: number, b: number, tdu: number, B: Float64Array, D: Float64Array, score: Float64Array | null,
  W: Float64Array, o: number, Z: Float64Array, y: Float64Array, wt: Float64Array, ent: Float64Array, unit: boolean, hasEnt: boolean, S: Float64Array,
  fam: number, nbTheta: number): void {
  const R = new Float64Array(4);
  const EPS = Number.EPSILON;
  const prev = tdu === tdu;
  let dv = 0, lg = 0, prod = 1, cnt = 0, sr = 0, sw = 0, swe = 0, step = 0;
  for (let k = i0; k < i1; k++) {
    const zk = Z[k];
    if (prev) {
      const ad = Math.abs(D[k - o] + tdu * zk);
      if (ad > step) step = ad;
    }
    const eta = B[k - o] + b * zk;
    const a = Math.abs(eta);
    const yk = y[k];
    const wk = unit ? 1 : wt[k];
    let wm: number, sc: number, we: number;
    if (fam === 1) {
      // poisson(log), lme4's clamps: μ = dμ/dη = max(ε, e^η), V = μ, so w = wt μ and wt (y − μ) the score
      // where e^η > ε; d(y, μ)/2 = y log(y/μ) − (y − μ) with y log y in ent (y log(y/μ) = y log y − y η)
      const m = Math.exp(eta);
      if (m > EPS) {
        wm = wk * m;
        sc = wk * (yk - m);
        dv += wk * ((hasEnt ? ent[k] : 0) - yk * eta - (yk - m));
      } else {
        wm = wk * EPS;
        sc = wk * (yk - EPS);
        dv += wk * ((yk !== 0 ? yk * Math.log(yk / EPS) : 0) - (yk - EPS));
      }
      we = wm;
    } else if (fam > 1) {
      groupFamilyRow(fam, eta, yk, wk, nbTheta, R);
      dv += R[0];
      we = R[1];
      wm = R[2];
      sc = R[3];
    } else if (!(a <= GROUP_FAST_MAX)) {
      groupClampedRow(eta, yk, wk, R);
      wm = R[1];
      we = wm;
      sc = R[1] * R[2];
      dv += R[3];
    } else {
      const e = groupExpNeg(a);
      const d = 1 + e;
      const me = e / (d * d);
      let ymu: number, wrong: number;
      if (eta >= 0) { ymu = yk - 1 + e / d; wrong = 1 - yk; } else { ymu = yk - e / d; wrong = yk; }
      wm = wk * me;
      we = wm;
      sc = wk * ymu;
      if (unit) {
        prod *= d;
        if (++cnt === 256) { lg += Math.log(prod); prod = 1; cnt = 0; }
        dv += (hasEnt ? ent[k] : 0) + a * wrong;
      } else {
        dv += wk * ((hasEnt ? ent[k] : 0) + Math.log1p(e) + a * wrong);
      }
    }
    W[k - o] = wm;
    if (score) score[k - o] = sc;
    sw += wm * zk * zk;
    swe += we * zk * zk;
    sr += sc * zk;
  }
  S[0] = dv + lg + Math.log(prod);
  S[1] = sw;
  S[2] = sr;
  S[3] = step;
  S[4] = swe;
}

/**
 * Levels [gChunk[c], gChunk[c + 1]) of the joint step's pass (β free) at the state (β = gBeta, u = gU),
 * the previous state (gBetaPrev, gUprev) where gJParams[6] = 1. PIRLS's system for (u, β) is
 * block-diagonal in u: per level a = t² Σ w Z² + 1, s = t Σ wt (y − μ) Z − u and c = t Σ w Z x, and
 * for β the Schur complement S = Σ w x xᵀ − Σ_g c cᵀ/a and right side r = Σ wt (y − μ) x − Σ_g c s/a.
 * Each level's a, s and c go to gA, gS, gC; the chunk's parts of S (lower triangle by rows), r,
 * Σ wt d(y, μ)/2, ‖u‖², Σ log a and max |Δη| to gJOut[c …]. With a non-canonical family w is
 * Newton's weight and wt (y − μ) the score (groupLevelRows), so the solve is Newton's step, and log a
 * is taken at the expected weights (lme4's Laplace). The chunk's rows in three phases, each a
 * set of loops that V8 keeps tight, on the thread's scratch of the chunk's rows (in cache): base =
 * offset + Xβ and X dβ over the chunk (X's columns four at a time), the levels' rows (groupLevelRows:
 * w, and wt (y − μ) in place of X dβ) and c, then Σ w x xᵀ and Σ wt (y − μ) x over the chunk.
 * gJParams: [t, p, n, has offset, unit weights, has ent, has a previous state, the family's code, q,
 * NB2's size]. Self-contained
 * but for GROUP_PRELUDE_NAMES's names and the functions its registration lists (GROUP_JOINT).
 */
export function groupJointChunk(A: RowArrays, c: number): void {
  const P = A.gJParams as Float64Array;
  const t = P[0], p = P[1], n = P[2], hasOffset = P[3] === 1, unit = P[4] === 1, hasEnt = P[5] === 1, hasPrev = P[6] === 1, fam = P[7], q = P[8], nbTheta = P[9];
  const start = A.gStart as Int32Array, chunk = A.gChunk as Int32Array, T = A.gT as Float64Array;
  const X = A.gX as Float64Array, off = A.gOff as Float64Array, y = A.gY as Float64Array, Z = A.gZ as Float64Array;
  const wt = A.gWt as Float64Array, ent = A.gEnt as Float64Array;
  const beta = A.gBeta as Float64Array, betaPrev = A.gBetaPrev as Float64Array, U = A.gU as Float64Array, Uprev = A.gUprev as Float64Array;
  const Ag = A.gA as Float64Array, Sg = A.gS as Float64Array, Cg = A.gC as Float64Array;
  // X's copy has its columns in blocks of four (the last padded with zero columns)
  const nb = Math.ceil(p / 4);
  const np = (p * (p + 1)) / 2, len = np + p + 4;
  const out = (A.gJOut as Float64Array).subarray(len * c, len * c + len);
  const g0 = chunk[c], g1 = chunk[c + 1], k0 = start[g0], k1 = start[g1];
  // the chunk's base, X dβ (then wt (y − μ)) and w: this thread's scratch, in cache (row k at k − k0)
  const { B, D, W } = groupScratch(k1 - k0);
  // base = offset + Xβ and X dβ over the chunk's rows
  groupBaseRows(k0, k1, X, n, p, off, hasOffset, beta, hasPrev ? betaPrev : null, B, D);
  // the levels: their rows' state, a, s and c; the Schur complement's corrections
  const S = new Float64Array(5), corrG = new Float64Array(np), corrH = new Float64Array(p), cg = new Float64Array(4 * nb);
  let dev = 0, uu = 0, ld = 0, step = 0;
  if (q > 1) {
    // a vector term: per level A = Tᵀ (Σ w z zᵀ) T + I (its Cholesky factor L into gA), s = Tᵀ Σ wt (y − μ) z − u,
    // c = Tᵀ Σ w z xᵀ (q × p); the corrections c ᵀA⁻¹c and cᵀA⁻¹s through V = L⁻¹c and L⁻¹s
    const nq = (q * (q + 1)) / 2;
    const uq = new Float64Array(q), bq = new Float64Array(q), du = new Float64Array(q), db = new Float64Array(q);
    const Gz = new Float64Array(nq), gz = new Float64Array(q), Cz = new Float64Array(q * p), L = new Float64Array(q * q);
    const sv = new Float64Array(q), V = new Float64Array(q * p), TG = new Float64Array(q * q);
    // the expected weights' Σ w_e z zᵀ and factor (non-canonical families only: log|L|²)
    const Ge = fam > 1 ? new Float64Array(nq) : null, Le = new Float64Array(q * q);
    for (let g = g0; g < g1; g++) {
      const i0 = start[g], i1 = start[g + 1];
      for (let i = 0; i < q; i++) { uq[i] = U[g * q + i]; du[i] = hasPrev ? uq[i] - Uprev[g * q + i] : 0; }
      groupTimesT(q, T, uq, bq);
      groupTimesT(q, T, du, db);
      groupLevelRowsVec(i0, i1, q, bq, hasPrev ? db : null, B, k0, hasPrev ? D : null, W, D, Z, y, wt, ent, unit, hasEnt, fam, nbTheta, Gz, Ge, gz, S);
      Cz.fill(0);
      for (let k = i0; k < i1; k++) {
        const w = W[k - k0];
        for (let i = 0; i < q; i++) {
          const wz = w * Z[k * q + i];
          for (let r = 0; r < p; r++) Cz[i * p + r] += wz * X[r * n + k];
        }
      }
      // L Lᵀ = Tᵀ Gz T + I
      const ldg = groupLevelFactor(q, T, Gz, TG, L);
      ld += Ge && ldg === ldg ? groupLevelFactor(q, T, Ge, TG, Le) : ldg;
      // s = Tᵀ gz − u, c = Tᵀ Cz; then sv = L⁻¹ s and V = L⁻¹ c
      for (let i = 0; i < q; i++) {
        let acc = -uq[i];
        for (let e = 0; e < q; e++) acc += T[e * q + i] * gz[e];
        Sg[g * q + i] = acc;
        sv[i] = acc;
        for (let r = 0; r < p; r++) {
          let cc = 0;
          for (let e = 0; e < q; e++) cc += T[e * q + i] * Cz[e * p + r];
          Cg[(g * q + i) * p + r] = cc;
          V[i * p + r] = cc;
        }
      }
      for (let i = 0; i < q; i++) {
        for (let m2 = 0; m2 < i; m2++) {
          sv[i] -= L[i * q + m2] * sv[m2];
          for (let r = 0; r < p; r++) V[i * p + r] -= L[i * q + m2] * V[m2 * p + r];
        }
        sv[i] /= L[i * q + i];
        for (let r = 0; r < p; r++) V[i * p + r] /= L[i * q + i];
      }
      for (let e = 0; e < q * q; e++) Ag[g * q * q + e] = L[e];
      for (let r = 0, o = 0; r < p; r++) {
        for (let i = 0; i < q; i++) corrH[r] += V[i * p + r] * sv[i];
        for (let r2 = 0; r2 <= r; r2++, o++) for (let i = 0; i < q; i++) corrG[o] += V[i * p + r] * V[i * p + r2];
      }
      dev += S[0];
      for (let i = 0; i < q; i++) uu += uq[i] * uq[i];
      if (S[3] > step) step = S[3];
    }
  }
  for (let g = g0; q === 1 && g < g1; g++) {
    const i0 = start[g], i1 = start[g + 1];
    const u = U[g];
    groupLevelRows(i0, i1, t * u, hasPrev ? t * (u - Uprev[g]) : NaN, B, D, D, W, k0, Z, y, wt, ent, unit, hasEnt, S, fam, nbTheta);
    const a = t * t * S[1] + 1;
    const sg = t * S[2] - u;
    Ag[g] = a;
    Sg[g] = sg;
    for (let bi = 0; bi < nb; bi++) {
      const o0 = 4 * bi * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
      let v0 = 0, v1 = 0, v2 = 0, v3 = 0;
      for (let k = i0; k < i1; k++) {
        const wz = W[k - k0] * Z[k];
        v0 += wz * X[o0 + k]; v1 += wz * X[o1 + k]; v2 += wz * X[o2 + k]; v3 += wz * X[o3 + k];
      }
      cg[4 * bi] = t * v0; cg[4 * bi + 1] = t * v1; cg[4 * bi + 2] = t * v2; cg[4 * bi + 3] = t * v3;
    }
    for (let r = 0, o = 0; r < p; r++) {
      Cg[g * p + r] = cg[r];
      corrH[r] += (cg[r] * sg) / a;
      for (let q = 0; q <= r; q++, o++) corrG[o] += (cg[r] * cg[q]) / a;
    }
    dev += S[0];
    uu += u * u;
    ld += fam > 1 ? Math.log(t * t * S[4] + 1) : Math.log(a);
    if (S[3] > step) step = S[3];
  }
  // Σ w x xᵀ and Σ wt (y − μ) x over the chunk's rows (blocks of four columns), less the corrections
  const put = (r: number, q: number, v: number) => { if (r < p && q < p) out[(r * (r + 1)) / 2 + q] = v - corrG[(r * (r + 1)) / 2 + q]; };
  for (let bi = 0; bi < nb; bi++) {
    const r0 = 4 * bi, o0 = r0 * n, o1 = o0 + n, o2 = o1 + n, o3 = o2 + n;
    let h0 = 0, h1 = 0, h2 = 0, h3 = 0;
    let a00 = 0, a10 = 0, a11 = 0, a20 = 0, a21 = 0, a22 = 0, a30 = 0, a31 = 0, a32 = 0, a33 = 0;
    for (let k = k0; k < k1; k++) {
      const x0 = X[o0 + k], x1 = X[o1 + k], x2 = X[o2 + k], x3 = X[o3 + k], w = W[k - k0], sc = D[k - k0];
      h0 += sc * x0; h1 += sc * x1; h2 += sc * x2; h3 += sc * x3;
      const w0 = w * x0, w1 = w * x1, w2 = w * x2, w3 = w * x3;
      a00 += w0 * x0;
      a10 += w1 * x0; a11 += w1 * x1;
      a20 += w2 * x0; a21 += w2 * x1; a22 += w2 * x2;
      a30 += w3 * x0; a31 += w3 * x1; a32 += w3 * x2; a33 += w3 * x3;
    }
    const hs = [h0, h1, h2, h3];
    for (let s = 0; s < 4; s++) if (r0 + s < p) out[np + r0 + s] = hs[s] - corrH[r0 + s];
    put(r0, r0, a00);
    put(r0 + 1, r0, a10); put(r0 + 1, r0 + 1, a11);
    put(r0 + 2, r0, a20); put(r0 + 2, r0 + 1, a21); put(r0 + 2, r0 + 2, a22);
    put(r0 + 3, r0, a30); put(r0 + 3, r0 + 1, a31); put(r0 + 3, r0 + 2, a32); put(r0 + 3, r0 + 3, a33);
    for (let bj = 0; bj < bi; bj++) {
      const q0 = 4 * bj, e0 = q0 * n, e1 = e0 + n, e2 = e1 + n, e3 = e2 + n;
      const m = new Float64Array(16);
      for (let k = k0; k < k1; k++) {
        const w = W[k - k0], f0 = X[e0 + k], f1 = X[e1 + k], f2 = X[e2 + k], f3 = X[e3 + k];
        let x = w * X[o0 + k];
        m[0] += x * f0; m[1] += x * f1; m[2] += x * f2; m[3] += x * f3;
        x = w * X[o1 + k];
        m[4] += x * f0; m[5] += x * f1; m[6] += x * f2; m[7] += x * f3;
        x = w * X[o2 + k];
        m[8] += x * f0; m[9] += x * f1; m[10] += x * f2; m[11] += x * f3;
        x = w * X[o3 + k];
        m[12] += x * f0; m[13] += x * f1; m[14] += x * f2; m[15] += x * f3;
      }
      for (let a = 0; a < 4; a++) for (let b = 0; b < 4; b++) put(r0 + a, q0 + b, m[4 * a + b]);
    }
  }
  out[np + p] = dev;
  out[np + p + 1] = uu;
  out[np + p + 2] = ld;
  out[np + p + 3] = step;
}

/**
 * Chunk c of a copy of the rows into level order (a row job over the output's rows, ROW_CHUNK at a
 * time): out[k] = src[perm[k]]; rows of `width` entries, out[k w + s] = src[perm[k] w + s]; or, for
 * `cols` > 0, column-major columns of n rows, out[r n + k] = src[r n + perm[k]] (r < cols).
 * gaParams = [n, width, rows per chunk, cols].
 */
export function levelGatherChunk(A: RowArrays, c: number): void {
  const P = A.gaParams as Float64Array;
  const n = P[0], w = P[1], k0 = c * P[2], k1 = Math.min(n, k0 + P[2]), cols = P[3];
  const perm = A.gaPerm as Int32Array, src = A.gaSrc as Float64Array, out = A.gaOut as Float64Array;
  if (cols > 0) {
    for (let r = 0; r < cols; r++) { const o = r * n; for (let k = k0; k < k1; k++) out[o + k] = src[o + perm[k]]; }
  } else if (w === 1) {
    for (let k = k0; k < k1; k++) out[k] = src[perm[k]];
  } else {
    for (let k = k0; k < k1; k++) { const a = perm[k] * w, b = k * w; for (let t = 0; t < w; t++) out[b + t] = src[a + t]; }
  }
}

const LEVEL_GATHER = registerRowKernel('levelGather', levelGatherChunk);

/** max |Z| over each level's rows (level order) into `out` */
function levelMaxAbs(Z: Float64Array, start: Int32Array, out: Float64Array): Float64Array {
  for (let g = 0; g + 1 < start.length; g++) {
    let m = 0;
    for (let k = start[g]; k < start[g + 1]; k++) m = Math.max(m, Math.abs(Z[k]));
    out[g] = m;
  }
  return out;
}

/** The rows' order by level: level starts and, unless the rows are sorted by level already, the permutation. */
export function levelOrder(codes: Int32Array, nl: number): { start: Int32Array; perm: Int32Array | null } {
  const n = codes.length;
  const start = new Int32Array(nl + 1);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    start[codes[i] + 1]++;
    if (i > 0 && codes[i] < codes[i - 1]) sorted = false;
  }
  for (let g = 0; g < nl; g++) start[g + 1] += start[g];
  if (sorted) return { start, perm: null };
  // a stable counting sort: within a level the rows keep their order
  const next = start.slice(0, nl);
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[next[codes[i]]++] = i;
  return { start, perm };
}

/** The levels cut into chunks of whole levels of at least `rows` rows (the last may have fewer). */
export function levelChunks(start: Int32Array, rows: number): Int32Array {
  const nl = start.length - 1;
  const bounds = [0];
  for (let g = 0; g < nl; g++) if (start[g + 1] - start[bounds[bounds.length - 1]] >= rows) bounds.push(g + 1);
  if (bounds[bounds.length - 1] !== nl) bounds.push(nl);
  return Int32Array.from(bounds);
}

/**
 * Columns of X up to which a run forms base = offset + Xβ itself from a copy of X in level order (more
 * columns: the engine forms base in the rows' order and each run gathers it, which costs a random
 * read per row but no copy of X).
 */
export const MAX_SORTED_X = 16;

/** adaptive Gauss–Hermite's nodes at most (glmer's nAGQ ≤ 25) */
const MAX_AGQ_NODES = 25;

/** The data of one scalar term's levels for the runs: its rows in level order, on the row jobs. */
export class GroupNewton {
  /**
   * whether a run forms base = offset + Xβ itself (else the caller forms it in `base` first); the
   * joint step (β free) runs only then
   */
  readonly formsBase: boolean;
  private readonly p: number;
  /** the term's columns per level (q > 1: no prediction of the modes) */
  readonly q: number;
  private readonly beta: Float64Array;
  private readonly jobs: RowJobs;
  private readonly chunks: number;
  private readonly params: Float64Array;
  private readonly out: Float64Array;
  /** u per level, shared with the kernels: the modes of the last run */
  private readonly U: Float64Array;
  private readonly nl: number;
  /** whether the last run succeeded (its modes in U, their weights and a in gW, gA), and its t */
  private valid = false;
  /** the nodes of AGQ's rows term the last run computed (0: none) */
  private agqK = 0;
  private tLast = 0;

  /**
   * `X` (n × p, column-major) and `offset`: the fixed part's data; `base`: the engine's array of
   * offset + Xβ (the rows' order), which a run gathers where it does not form base itself; `fam`: the
   * family's code (src/glmm/familyRow.ts FAMILY_CODE: binomial(logit), poisson(log), binomial(probit),
   * binomial(cloglog), NB2 of size `nbTheta`); `ent`: per row y log y + (1 − y) log(1 − y) (logit) or
   * y log y (poisson), or null where all are 0 (or the family computes its deviance itself); `shared`:
   * the kernels' arrays on SharedArrayBuffers for the helpers (data the kernels read as given is copied
   * there unless it is there already).
   */
  constructor(data: {
    codes: Int32Array; nl: number; Z: Float64Array; y: Float64Array; weights: Float64Array; unit: boolean; ent: Float64Array | null;
    X: Float64Array; p: number; offset: Float64Array; base: Float64Array; fam: number; nbTheta: number; q: number;
  }, shared: boolean) {
    const { codes, nl, Z, y, weights, unit, ent, X, p, offset, base, fam, nbTheta, q } = data;
    const f64 = shared ? sharedFloat64 : (m: number) => new Float64Array(m);
    const i32 = shared ? sharedInt32 : (m: number) => new Int32Array(m);
    const { start, perm } = levelOrder(codes, nl);
    const n = codes.length;
    const toShared = (a: Int32Array): Int32Array => { const s = i32(a.length); s.set(a); return s; };
    const gPerm = perm ? toShared(perm) : i32(0);
    // a copy into level order as row jobs (on the helpers where the source is on shared memory)
    const gather = (src: Float64Array, out: Float64Array, width: number, cols: number): Float64Array => {
      const gaParams = f64(4);
      gaParams.set([n, width, ROW_CHUNK, cols]);
      const job: RowArrays = { gaPerm: gPerm, gaSrc: src, gaOut: out, gaParams };
      new RowJobs(job, job, shared && onSharedMemory(src)).run(LEVEL_GATHER, Math.max(1, Math.ceil(n / ROW_CHUNK)));
      return out;
    };
    // the rows (`width` entries each) in level order: a copy, or the array itself when the rows are in
    // that order already (on shared memory when `shared`: the caller's, or a copy)
    const inOrder = (a: Float64Array, width = 1): Float64Array => {
      if (!perm) return shared ? shareArray(a) : a;
      return gather(a, f64(n * width), width, 0);
    };
    const gChunk = levelChunks(start, ROW_CHUNK);
    this.chunks = gChunk.length - 1;
    const inOrderZ = inOrder(Z, q);
    this.q = q;
    this.params = f64(18);
    this.out = f64(OUT * this.chunks);
    this.U = f64(nl * q);
    this.nl = nl;
    this.formsBase = p <= MAX_SORTED_X;
    this.beta = f64(p);
    const hasOffset = offset.some((v) => v !== 0);
    // X in level order, its columns padded with zero columns to a multiple of four (the joint pass's blocks)
    let gX = f64(0);
    if (this.formsBase) {
      gX = f64(n * 4 * Math.ceil(p / 4));
      if (perm) gather(X, gX, 1, p);
      else gX.set(X.subarray(0, n * p));
    }
    const arrays: RowArrays = {
      gStart: toShared(start), gChunk: toShared(gChunk), gPerm,
      gY: inOrder(y), gZ: inOrderZ, gWt: unit ? f64(0) : inOrder(weights), gEnt: ent ? inOrder(ent) : f64(0),
      gX, gOff: this.formsBase && hasOffset ? inOrder(offset) : f64(0), gBeta: this.beta,
      base, gBase: f64(n), gW: f64(q === 1 ? n : 0), gA: f64(nl * q * q), gAe: f64(q === 1 ? nl : 0), gZmax: q === 1 ? levelMaxAbs(inOrderZ, start, f64(nl)) : f64(0),
      gT: f64(q * q), gU: this.U, gParams: this.params, gOut: this.out, gNodes: f64(MAX_AGQ_NODES), gAgq: f64(q === 1 ? nl * MAX_AGQ_NODES : 0),
      // the joint step's (β free): the previous state, the per-level pieces of the system, the chunks' sums
      gJParams: f64(10), gBetaPrev: f64(p), gUprev: f64(nl * q), gS: f64(nl * q), gC: f64(this.formsBase ? nl * q * p : 0),
      gJOut: f64(this.formsBase ? (((p * (p + 1)) / 2 + p + 4) * this.chunks) : 0),
    };
    this.p = p;
    this.params.set([0, 0, 0, 0, 0, unit ? 1 : 0, ent ? 1 : 0, perm ? 1 : 0, 0, 0, this.formsBase ? 1 : 0, n, p, hasOffset ? 1 : 0, fam, q, 0, nbTheta]);
    this.jobs = new RowJobs(arrays, this, shared);
  }

  /**
   * The modes from `u` (the warm start, replaced by the modes) at base = offset + Xβ (formed here, or
   * the caller's `base` when !formsBase); null when a level did not converge in maxIter iterations or
   * its step halving failed (then `u` is unchanged). When `u` holds the last run's modes, each level
   * starts from their prediction (groupNewtonChunk).
   */
  run(u: Float64Array, beta: ArrayLike<number>, s: GroupNewtonSettings): GroupNewtonResult | null {
    this.beta.set(Array.from(beta));
    // AGQ's rows term at the modes, for a scalar term, when its nodes are given
    const K = this.q === 1 && s.agqNodes ? s.agqNodes.length : 0;
    if (K > MAX_AGQ_NODES) throw new Error(`internal: ${K} quadrature nodes (at most ${MAX_AGQ_NODES})`);
    if (K) (this.jobs.arrays.gNodes as Float64Array).set(s.agqNodes!);
    this.params[16] = K;
    let predict = this.valid && this.q === 1;
    for (let g = 0; predict && g < this.nl; g++) if (!Object.is(u[g], this.U[g])) predict = false;
    this.U.set(u);
    this.params.set([s.T[0], s.maxIter, s.etaTol, s.halvingNoise, s.newtonC]);
    this.params[8] = predict ? 1 : 0;
    this.params[9] = this.tLast;
    this.valid = false;
    (this.jobs.arrays.gT as Float64Array).set(s.T);
    this.jobs.run(this.q === 1 ? GROUP_NEWTON : GROUP_NEWTON_VEC, this.chunks);
    let devResid = 0, ldL2 = 0, sqrU = 0, iterations = 0, halvings = 0, newtonC = 0, evaluations = 0;
    for (let c = 0; c < this.chunks; c++) {
      const o = OUT * c;
      if (this.out[o + 5] !== 0) return null;
      evaluations += this.out[o + 7];
      devResid += this.out[o];
      ldL2 += this.out[o + 1];
      sqrU += this.out[o + 2];
      iterations = Math.max(iterations, this.out[o + 3]);
      halvings += this.out[o + 4];
      newtonC = Math.max(newtonC, this.out[o + 6]);
    }
    u.set(this.U);
    this.valid = true;
    this.tLast = s.T[0];
    this.agqK = K;
    return { devResid, ldL2, sqrU, iterations, halvings, newtonC, evaluations: evaluations / this.nl };
  }

  /**
   * AGQ's rows term of the last run (level-major, per node: agq.ts agqRowSums's layout) and each level's
   * L_gg = √a (a at the expected weights), when the last run succeeded with `agqNodes` of `K` nodes; else null.
   */
  agqRows(K: number): { rows: Float64Array; L: Float64Array } | null {
    if (!this.valid || this.agqK !== K || K === 0) return null;
    const A = this.jobs.arrays;
    return { rows: (A.gAgq as Float64Array).subarray(0, this.nl * K), L: Float64Array.from((A.gAe as Float64Array).subarray(0, this.nl), Math.sqrt) };
  }

  /**
   * The joint step's pass (β free, groupJointChunk) at (u, β) with Λ's entry t, `prev` the state
   * before it (for max |Δη|) or null: PIRLS's system's Schur complement S (p × p, full) and right side
   * r for Δβ, Σ wt d(y, μ), ‖u‖², log|L|² (L of the random effects at these weights) and max |Δη|; the
   * per-level pieces stay for `jointUpdate`.
   */
  jointPass(u: Float64Array, beta: Float64Array, T: Float64Array, prev: { u: Float64Array; beta: Float64Array } | null): JointPass {
    const A = this.jobs.arrays;
    const p = this.p;
    this.valid = false;
    this.U.set(u);
    (A.gBeta as Float64Array).set(beta);
    if (prev) {
      (A.gUprev as Float64Array).set(prev.u);
      (A.gBetaPrev as Float64Array).set(prev.beta);
    }
    const P = A.gJParams as Float64Array;
    P.set([T[0], p, this.params[11], this.params[13], this.params[5], this.params[6], prev ? 1 : 0, this.params[14], this.q, this.params[17]]);
    (A.gT as Float64Array).set(T);
    this.jobs.run(GROUP_JOINT, this.chunks);
    const np = (p * (p + 1)) / 2, len = np + p + 4;
    const out = A.gJOut as Float64Array;
    const Sl = new Float64Array(np), r = new Float64Array(p);
    let dev = 0, sqrU = 0, ldL2 = 0, step = 0;
    for (let c = 0; c < this.chunks; c++) {
      const o = c * len;
      for (let k = 0; k < np; k++) Sl[k] += out[o + k];
      for (let k = 0; k < p; k++) r[k] += out[o + np + k];
      dev += out[o + np + p];
      sqrU += out[o + np + p + 1];
      ldL2 += out[o + np + p + 2];
      step = Math.max(step, out[o + np + p + 3]);
    }
    const S = new Float64Array(p * p);
    for (let i = 0, o = 0; i < p; i++) for (let j = 0; j <= i; j++, o++) { S[i * p + j] = Sl[o]; S[j * p + i] = Sl[o]; }
    return { S, r, devResid: 2 * dev, sqrU, ldL2, step };
  }

  /**
   * The Newton step's u from the last jointPass, given its Δβ: u_g + (s_g − c_gᵀ Δβ)/a_g, into `u` (a
   * vector term: u_g + A_g⁻¹ (s_g − c_g Δβ), by A_g's Cholesky factor).
   */
  jointUpdate(u: Float64Array, dbeta: Float64Array): void {
    const A = this.jobs.arrays;
    const a = A.gA as Float64Array, sg = A.gS as Float64Array, C = A.gC as Float64Array;
    const p = this.p, q = this.q;
    if (q > 1) {
      const r = new Float64Array(q);
      for (let g = 0; g < this.nl; g++) {
        const L = a.subarray(g * q * q, (g + 1) * q * q);
        for (let i = 0; i < q; i++) {
          let acc = sg[g * q + i];
          for (let e = 0; e < p; e++) acc -= C[(g * q + i) * p + e] * dbeta[e];
          r[i] = acc;
        }
        groupCholSolve(q, L, r);
        for (let i = 0; i < q; i++) u[g * q + i] += r[i];
      }
      return;
    }
    for (let g = 0; g < this.nl; g++) {
      let cd = 0;
      for (let r = 0; r < p; r++) cd += C[g * p + r] * dbeta[r];
      u[g] += (sg[g] - cd) / a[g];
    }
  }
}

/** What a joint pass gives (GroupNewton.jointPass). */
export interface JointPass {
  /** the Schur complement of β (p × p, row-major) and the right side of S Δβ = r */
  S: Float64Array;
  r: Float64Array;
  devResid: number;
  sqrU: number;
  ldL2: number;
  /** max |Δη| from the previous state (0 without one) */
  step: number;
}
