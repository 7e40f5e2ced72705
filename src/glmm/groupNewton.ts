/**
 * PIRLS with β fixed for one scalar random-effects term, (1 | g) or (0 + x | g), binomial(logit): the
 * conditional modes group by group.
 *
 * With β fixed and one scalar term, the penalized deviance separates by level g of the factor:
 *   f_g(u) = Σ_{i∈g} wt_i d(y_i, μ_i) + u²,   η_i = base_i + t Z_i u   (t = Λ's entry, base = offset + Xβ),
 * and PIRLS's system (Λᵀ Zᵀ W Z Λ + I) is diagonal. Its step on level g is Newton's on f_g (the logit
 * link is canonical, so the working weights are the observed information):
 *   u ← u + (t Σ_i wt_i (y_i − μ_i) Z_i − u) / (t² Σ_i w_i Z_i² + 1),   w_i = wt_i μ_i (1 − μ_i),
 * the same step as the general iteration (src/glmm/pirls.ts) takes on that level. Here each level
 * iterates on its own rows, held in cache, until its own η has converged, with the general
 * iteration's rules applied per level: step halving while f_g increases (beyond its rounding), and
 * convergence when the remaining error of η on the level (the last step's max |Δη|, or its geometric
 * tail, or Newton's next step C·step²) is below the tolerance. The general iteration applies them to
 * the whole of η at once, so every level iterates as often as the slowest; here a level stops when it
 * is done, and each iteration reads its level's rows once instead of making full passes over η, μ,
 * w, z and A(w).
 *
 * At the levels' modes the pieces of the Laplace deviance (lme4's glmerLaplace) are
 *   log|L|² = Σ_g log(t² Σ_i w_i Z_i² + 1)  (L at the final weights),   ‖u‖² = Σ_g u_g²,
 *   Σ wt d(y, μ) summed over the levels,
 * from the level's last evaluation. The fixed point is the general iteration's; the two agree to the
 * convergence tolerance (test/groupNewton.test.ts).
 *
 * The rows are taken in level order: a copy of y, Z and the prior weights sorted by level once (a
 * stable counting sort; none when the rows are sorted by level already), and base gathered into that
 * order at each run. The levels are cut into chunks of whole levels of about ROW_CHUNK rows, fixed by
 * the data, run on the row threads (src/linalg/rowThreads.ts); each chunk keeps its own sums, which
 * are added in chunk order: the result is the same whatever the threads.
 */
import { type RowArrays, RowJobs, registerRowKernel, sharedFloat64, sharedInt32 } from '../linalg/rowThreads.js';
import { EXP_NEG_SOURCE, expNeg } from './expNeg.js';
import { LOGIT_FAST_MAX, ROW_CHUNK, logitClampedRow } from './rowPass.js';

/**
 * The names groupNewtonChunk's text calls, under names no other module uses: module constants (not
 * imports, which a loader may rewrite in the function's text), left as they are by a bundler, and
 * defined by GROUP_PRELUDE for the row threads, which evaluate the text.
 */
const groupExpNeg = expNeg;
const groupClampedRow = logitClampedRow;
const GROUP_FAST_MAX = LOGIT_FAST_MAX;
const GROUP_PRELUDE = [`const groupExpNeg = ${EXP_NEG_SOURCE};`, `const groupClampedRow = ${logitClampedRow.toString()};`, `const GROUP_FAST_MAX = ${LOGIT_FAST_MAX};`].join('\n');

/** per chunk: Σ dev, Σ log|L_g|², Σ u², max iterations, halvings, failed (0/1), max C seen */
const OUT = 7;

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
}

/** The settings of a run (the general iteration's, src/glmm/pirls.ts). */
export interface GroupNewtonSettings {
  /** Λ's entry: η = base + t Z u */
  t: number;
  maxIter: number;
  etaTol: number;
  halvingNoise: number;
  /** Newton's C seen on earlier runs (∞ when none): a level stops when 4 C step² is below etaTol */
  newtonC: number;
}

/**
 * Levels [gChunk[c], gChunk[c + 1]) of a run: each level's Newton iterations on its rows (the
 * header), its u into gU, the chunk's sums into gOut[OUT·c …]. gParams: [t, maxIter, etaTol,
 * halvingNoise, newtonC, unit weights, has ent, sorted copy (perm)]. Self-contained but for the names
 * GROUP_PRELUDE defines: the row threads evaluate its text.
 */
export function groupNewtonChunk(A: RowArrays, c: number): void {
  const P = A.gParams as Float64Array;
  const t = P[0], maxIter = P[1], etaTol = P[2], halvingNoise = P[3], C0 = P[4];
  const unit = P[5] === 1, hasEnt = P[6] === 1, sorted = P[7] === 1;
  const start = A.gStart as Int32Array, chunk = A.gChunk as Int32Array, perm = A.gPerm as Int32Array;
  const y = A.gY as Float64Array, Z = A.gZ as Float64Array, wt = A.gWt as Float64Array, ent = A.gEnt as Float64Array;
  const base = A.base as Float64Array, sb = A.gBase as Float64Array, U = A.gU as Float64Array;
  const R = new Float64Array(4);
  let devSum = 0, ldSum = 0, uSum = 0, itMax = 0, halvings = 0, failed = 0, cMax = 0;
  for (let g = chunk[c]; g < chunk[c + 1]; g++) {
    const i0 = start[g], i1 = start[g + 1];
    // base in level order, and max |Z| on the level (|Δη| = |t Δu| max |Z|)
    let zmax = 0;
    for (let k = i0; k < i1; k++) {
      if (sorted) sb[k] = base[perm[k]];
      const a = Math.abs(Z[k]);
      if (a > zmax) zmax = a;
    }
    const eb = sorted ? sb : base;
    let u = U[g], uOld = u, fOld = Infinity, stepPrev = NaN, C = C0;
    let dev = 0, sw = 0, done = false, it = 0, k2 = 0;
    for (; it <= maxIter; it++) {
      // the level's state at u: Σ wt d(y, μ), Σ w Z², Σ wt (y − μ) Z (the logit kernel's formulas, rowPass.ts)
      const b = t * u;
      let dv = 0, lg = 0, prod = 1, cnt = 0, sr = 0;
      sw = 0;
      for (let k = i0; k < i1; k++) {
        const zk = Z[k];
        const h = eb[k] + b * zk;
        const a = Math.abs(h);
        const yk = y[k];
        const wk = unit ? 1 : wt[k];
        if (!(a <= GROUP_FAST_MAX)) {
          groupClampedRow(h, yk, wk, R);
          sw += R[1] * zk * zk;
          sr += R[1] * R[2] * zk;
          dv += R[3];
          continue;
        }
        const e = groupExpNeg(a);
        const d = 1 + e;
        const me = e / (d * d);
        let ymu: number, wrong: number;
        if (h >= 0) { ymu = yk - 1 + e / d; wrong = 1 - yk; } else { ymu = yk - e / d; wrong = yk; }
        sw += wk * me * zk * zk;
        sr += wk * ymu * zk;
        if (unit) {
          prod *= d;
          if (++cnt === 256) { lg += Math.log(prod); prod = 1; cnt = 0; }
          dv += (hasEnt ? ent[k] : 0) + a * wrong;
        } else {
          dv += wk * ((hasEnt ? ent[k] : 0) + Math.log1p(e) + a * wrong);
        }
      }
      dev = 2 * (dv + lg + Math.log(prod));
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
        // the error of η left after this step (pirls.ts runOnce: the step, its geometric tail, Newton's next)
        const step = Math.abs(t * (u - uOld)) * zmax;
        const ratio = k2 === 0 && stepPrev > 0 ? step / stepPrev : NaN;
        const tail = ratio < 0.5 ? (step * ratio) / (1 - ratio) : Infinity;
        if (ratio < 0.5 && step > 1e-13) {
          const cg = step / (stepPrev * stepPrev);
          if (cg > cMax) cMax = cg;
          C = Number.isFinite(C) ? Math.max(cg, 0.9 * C) : cg;
        }
        const next = k2 === 0 && step < 1e-4 ? 4 * C * step * step : Infinity;
        if (step < etaTol || tail < etaTol || next < etaTol) { done = true; break; }
        stepPrev = k2 === 0 ? step : NaN;
      }
      k2 = 0;
      // Newton's step on f_g (the header)
      fOld = f;
      uOld = u;
      u += (t * sr - u) / (t * t * sw + 1);
    }
    if (!done) { failed = 1; break; }
    U[g] = u;
    devSum += dev;
    ldSum += Math.log(t * t * sw + 1);
    uSum += u * u;
    if (it > itMax) itMax = it;
  }
  const out = (A.gOut as Float64Array).subarray(7 * c, 7 * c + 7); // OUT
  out[0] = devSum; out[1] = ldSum; out[2] = uSum; out[3] = itMax; out[4] = halvings; out[5] = failed; out[6] = cMax;
}

const GROUP_NEWTON = registerRowKernel('groupNewton', groupNewtonChunk, GROUP_PRELUDE);

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

/** The data of one scalar term's levels for the runs: its rows in level order, on the row jobs. */
export class GroupNewton {
  private readonly jobs: RowJobs;
  private readonly chunks: number;
  private readonly params: Float64Array;
  private readonly out: Float64Array;
  /** u per level, shared with the kernels */
  private readonly U: Float64Array;

  /**
   * `base`: the engine's array of offset + Xβ (original row order), which each run gathers; `ent`:
   * the logit kernel's y log y + (1 − y) log(1 − y) per row, or null; `shared`: make the arrays on
   * SharedArrayBuffers for the helpers (the data given must be on them then).
   */
  constructor(data: { codes: Int32Array; nl: number; Z: Float64Array; y: Float64Array; weights: Float64Array; unit: boolean; ent: Float64Array | null; base: Float64Array }, shared: boolean) {
    const { codes, nl, Z, y, weights, unit, ent, base } = data;
    const f64 = shared ? sharedFloat64 : (m: number) => new Float64Array(m);
    const i32 = shared ? sharedInt32 : (m: number) => new Int32Array(m);
    const { start, perm } = levelOrder(codes, nl);
    const n = codes.length;
    // the rows in level order (the arrays themselves when they are in it already: on shared memory
    // when `shared`, as the engine's)
    const inOrder = (a: Float64Array): Float64Array => {
      if (!perm) return a;
      const out = f64(n);
      for (let k = 0; k < n; k++) out[k] = a[perm[k]];
      return out;
    };
    const gChunk = levelChunks(start, ROW_CHUNK);
    this.chunks = gChunk.length - 1;
    const toShared = (a: Int32Array): Int32Array => { const s = i32(a.length); s.set(a); return s; };
    this.params = f64(8);
    this.out = f64(OUT * this.chunks);
    this.U = f64(nl);
    const arrays: RowArrays = {
      gStart: toShared(start), gChunk: toShared(gChunk), gPerm: perm ? toShared(perm) : i32(0),
      gY: inOrder(y), gZ: inOrder(Z), gWt: unit ? f64(0) : inOrder(weights), gEnt: ent ? inOrder(ent) : f64(0),
      base, gBase: perm ? f64(n) : f64(0), gU: this.U, gParams: this.params, gOut: this.out,
    };
    this.params.set([0, 0, 0, 0, 0, unit ? 1 : 0, ent ? 1 : 0, perm ? 1 : 0]);
    this.jobs = new RowJobs(arrays, this, shared);
  }

  /**
   * The modes from `u` (the warm start, replaced by the modes) at the engine's current base; null when
   * a level did not converge in maxIter iterations or its step halving failed (then `u` is unchanged).
   */
  run(u: Float64Array, s: GroupNewtonSettings): GroupNewtonResult | null {
    this.U.set(u);
    this.params.set([s.t, s.maxIter, s.etaTol, s.halvingNoise, s.newtonC]);
    this.jobs.run(GROUP_NEWTON, this.chunks);
    let devResid = 0, ldL2 = 0, sqrU = 0, iterations = 0, halvings = 0, newtonC = 0;
    for (let c = 0; c < this.chunks; c++) {
      const o = OUT * c;
      if (this.out[o + 5] !== 0) return null;
      devResid += this.out[o];
      ldL2 += this.out[o + 1];
      sqrU += this.out[o + 2];
      iterations = Math.max(iterations, this.out[o + 3]);
      halvings += this.out[o + 4];
      newtonC = Math.max(newtonC, this.out[o + 6]);
    }
    u.set(this.U);
    return { devResid, ldL2, sqrU, iterations, halvings, newtonC };
  }
}
