/**
 * A GLMM's PIRLS passes over record batches (../glmm.ts GlmmPassRunner): per evaluation one pass
 * over the source, each batch's model frame evaluated as the LMM's passes evaluate it
 * (./evaluate.ts), and per complete row, in float64 with the family's own functions (src/glmm/family.ts):
 *   η = offset + Xβ + Σ_k z_kᵀ b_k[g_k],  μ = g⁻¹(η),  w = wt (dμ/dη)²/V(μ),  r = (y − μ)/(dμ/dη)
 * (at R's mustart: z = η − offset + r whole), Σ wt·d(y, μ), and the weighted cross-products of
 * [Z̃ X r] (Z̃ = Z M, src/model/reparam.ts) added into A(w) by level and by pair of levels, in row
 * order. A cbind(s, f) response is y = s/(s + f) with wt = s + f (f: the response of the same frame
 * with the failures as its response); 0/1 and count responses wt = 1. Browser-safe.
 */
import { DataError } from '../../errors/errors.js';
import type { Expr } from '../../formula/types.js';
import type { GramMatrix } from '../../linalg/gram.js';
import type { GlmFamily } from '../../glmm/family.js';
import { lgamma } from '../../glmm/rmath.js';
import { OBSERVED_FLOOR } from '../../glmm/rowPass.js';
import type { BlockTransform } from '../../model/reparam.js';
import { type GroupSpec, groupSpecs } from '../assemble.js';
import { type GlmmPassRunner, muRangeError, pairEntries, type GlmmPassState, type GlmmRowSummary, RESPONSE_CHECKS } from '../glmm.js';
import type { GramSourceResult } from '../source.js';
import { type LevelId, levelIdOf } from './accumulate.js';
import type { Batch, BatchSource } from './batch.js';
import { type BatchFrame, designColumns, evaluateBatch } from './evaluate.js';
import type { FrameBatches } from './streamSource.js';
import { BatchCache, type BatchCodec, DEFAULT_CACHE_BYTES, PassRows, batchesFrom, owned } from './batchCache.js';

/** y log(y/m), lme4's 0 at y = 0 */
const ylogy = (y: number, m: number) => (y !== 0 ? y * Math.log(y / m) : 0);

/** A batch's rows as the GLMM reads them: y, wt, offset, X's and Z's columns, each block's level codes. */
export interface GlmmBatch {
  n: number;
  ok: Uint8Array;
  y: Float64Array;
  wt: Float64Array;
  /** cbind: successes and failures */
  s: Float64Array | null;
  f: Float64Array | null;
  off: Float64Array | null;
  x: Float64Array[];
  z: Float64Array[][];
  codes: Int32Array[];
}

/**
 * What the passes after the first keep of a batch (./batchCache.ts): its GlmmBatch less the counts
 * s, f (read by rowSummary alone, the first pass) and less wt where it is 1 (not cbind), each
 * array owning its buffer.
 */
const glmmCodec: BatchCodec<GlmmBatch, GlmmBatch> = {
  rows: (b) => b.n,
  keep: (b) => ({
    n: b.n, ok: owned(b.ok), y: owned(b.y), wt: b.s ? owned(b.wt) : new Float64Array(0), s: null, f: null, off: b.off && owned(b.off),
    x: b.x.map(owned), z: b.z.map((zk) => zk.map(owned)), codes: b.codes.map(owned),
  }),
  bytes: (b) => b.ok.byteLength + b.y.byteLength + b.wt.byteLength + (b.off?.byteLength ?? 0)
    + b.x.reduce((t, a) => t + a.byteLength, 0) + b.z.reduce((t, zk) => zk.reduce((u, a) => u + a.byteLength, t), 0) + b.codes.reduce((t, a) => t + a.byteLength, 0),
  // wt = 1 again where it was not kept
  load: (b) => (b.wt.length === b.n ? b : { ...b, wt: new Float64Array(b.n).fill(1) }),
};

export class StreamGlmmPasses implements GlmmPassRunner {
  /** rowsRead, rowsReplayed: the PIRLS passes' rows from the source and from the cache (../glmm.ts EngineRowCounts) */
  readonly stats = { passes: 0, queries: 0, ms: 0, rowsRead: 0, rowsReplayed: 0 };
  private readonly byBlock: GroupSpec[];
  private readonly index: Map<LevelId, number>[];
  private readonly entries: Map<number, number>[][];
  /** the batches kept between passes (cacheBytes: ./batchCache.ts) */
  readonly cache: BatchCache<GlmmBatch>;
  /** the rows every pass here read from the source and replayed (shared with the Gram passes' frames where given) */
  readonly rows: PassRows;

  constructor(private readonly source: BatchSource, private readonly res: GramSourceResult, private readonly failures: Expr | null, private readonly family: GlmFamily, private readonly batchSize = 65_536, cacheBytes = DEFAULT_CACHE_BYTES, private frames: FrameBatches | null = null) {
    this.rows = frames?.rows ?? new PassRows();
    this.cache = new BatchCache(cacheBytes, glmmCodec, this.rows);
    const byLabel = new Map(groupSpecs(res.spec, res.summary).map((g) => [g.label, g] as const));
    this.byBlock = res.blocks.map((b) => byLabel.get(b.group)!);
    this.index = res.blocks.map((b) => {
      const cols = res.levelKeys.get(b.group)! as (string | number | null)[][];
      const m = new Map<LevelId, number>();
      for (let l = 0; l < b.nl; l++) m.set(levelIdOf(cols, l), l);
      return m;
    });
    this.entries = pairEntries(res.gram);
  }

  private read(batch: Batch): GlmmBatch {
    return this.fromFrame(evaluateBatch(this.res.spec, batch), batch);
  }

  /** a batch's model frame as the GLMM reads it (cbind: the failures from the batch's columns) */
  private fromFrame(frame: BatchFrame, batch: Batch | null): GlmmBatch {
    const { spec, summary, blocks } = this.res;
    const { n, ok } = frame;
    const column = designColumns(frame, summary);
    const x = summary.xcols.map(column);
    const z = blocks.map((_, k) => this.byBlock[k].zcols.map(column));
    const codes = blocks.map((blk, k) => {
      const cols = this.byBlock[k].components.map((c) => frame.keys.get(c.column)!);
      const out = new Int32Array(n).fill(-1);
      for (let i = 0; i < n; i++) if (ok[i]) out[i] = this.index[k].get(levelIdOf(cols, i)) ?? -1;
      return out;
    });
    if (!this.failures) return { n, ok, y: frame.y, wt: new Float64Array(n).fill(1), s: null, f: null, off: frame.off, x, z, codes };
    // the failures: the same frame's rows (they are in its na.omit marks) with them as the response
    if (!batch) throw new Error('internal: a cbind response\'s failures need the batch\'s columns');
    const f = evaluateBatch({ ...spec, response: this.failures }, batch).y;
    const s = frame.y;
    const y = new Float64Array(n), wt = new Float64Array(n);
    for (let i = 0; i < n; i++) { const m = s[i] + f[i]; wt[i] = m; y[i] = m === 0 ? 0 : s[i] / m; }
    return { n, ok, y, wt, s, f, off: frame.off, x, z, codes };
  }

  /** the source's rows from row `from` on, as the GLMM reads them */
  private async *readFrom(from: number): AsyncIterable<GlmmBatch> {
    const frames = this.frames;
    if (frames && from === 0 && !this.failures) {
      // the Gram passes' kept frames (their last use: each let go once read), then the source's rows after them
      this.frames = null;
      for await (const frame of frames.pass(async function* (this: StreamGlmmPasses, at: number) {
        for await (const batch of batchesFrom(this.source, this.res.spec.columns, this.batchSize, at, this.rows)) yield evaluateBatch(this.res.spec, batch);
      }.bind(this), true)) yield this.fromFrame(frame, null);
      return;
    }
    this.frames?.clear();
    this.frames = null;
    for await (const batch of batchesFrom(this.source, this.res.spec.columns, this.batchSize, from, this.rows)) yield this.read(batch);
  }

  /**
   * one pass, each batch's rows as the GLMM reads them (also adaptive quadrature's pass, ./agqPass.ts):
   * the batches kept by the first pass from memory, the rest from the source; `counts`: with a
   * cbind response's s and f (not kept: such a pass reads the source)
   */
  async each(f: (b: GlmmBatch) => void, counts = false): Promise<{ read: number; replayed: number }> {
    const [read0, replayed0] = [this.rows.read, this.rows.replayed];
    const batches = counts && this.cache.batches > 0 ? this.readFrom(0) : this.cache.pass((from) => this.readFrom(from));
    for await (const b of batches) f(b);
    return { read: this.rows.read - read0, replayed: this.rows.replayed - replayed0 };
  }

  /** The response checked and PIRLS's row summaries, in one pass (the SQL engines' first GLMM query). */
  async rowSummary(label: string): Promise<GlmmRowSummary> {
    const t0 = performance.now();
    const { res, family } = this;
    const S = res.summary;
    const binary = family.family === 'binomial' && !this.failures;
    const bad = [0, 0];
    let lo = Infinity, hi = -Infinity, aicConst = 0;
    const colMaxX = new Float64Array(S.p);
    const colMaxZ = res.blocks.map((b) => new Float64Array(b.q)), zSum = res.blocks.map((b) => new Float64Array(b.q)), zSq = res.blocks.map((b) => new Float64Array(b.q));
    const rows = await this.each((b) => {
      for (let i = 0; i < b.n; i++) {
        if (!b.ok[i]) continue;
        const y = b.s ? b.s[i] : b.y[i];
        if (y < lo) lo = y;
        if (y > hi) hi = y;
        if (binary) { if (y !== 0 && y !== 1) bad[0]++; } else if (b.s) {
          const s = b.s[i], f = b.f![i], m = s + f;
          if (s < 0 || f < 0) bad[0]++;
          if (s !== Math.round(s) || f !== Math.round(f)) bad[1]++;
          // −2 [log C(m, s) + s log(s/m) + f log(f/m)]
          if (m > 0) aicConst += -2 * (lgamma(m + 1) - lgamma(s + 1) - lgamma(f + 1) + ylogy(s, m) + ylogy(f, m));
        } else {
          if (y < 0) bad[0]++;
          if (y !== Math.round(y)) bad[1]++;
          aicConst += 2 * b.wt[i] * (lgamma(y + 1) - ylogy(y, 1) + y);
        }
        for (let j = 0; j < S.p; j++) colMaxX[j] = Math.max(colMaxX[j], Math.abs(b.x[j][i]));
        b.z.forEach((zk, k) => zk.forEach((col, s) => { const v = col[i]; colMaxZ[k][s] = Math.max(colMaxZ[k][s], Math.abs(v)); zSum[k][s] += v; zSq[k][s] += v * v; }));
      }
    }, true);
    const fail = (c: number, message: string) => { if (c > 0) throw new DataError(`stream: ${message}`); };
    if (binary) fail(bad[0], RESPONSE_CHECKS.binary(label, bad[0], lo, hi));
    else if (this.failures) { fail(bad[0], RESPONSE_CHECKS.negativeCounts(label, bad[0])); fail(bad[1], RESPONSE_CHECKS.wholeCounts(label, bad[1])); }
    else { fail(bad[0], RESPONSE_CHECKS.poissonNegative(label, bad[0], lo)); fail(bad[1], RESPONSE_CHECKS.poissonWhole(label, bad[1])); }
    res.queries.push({ stage: 'glmer: the response and column summaries', ms: performance.now() - t0, rows: S.n });
    // the rows this pass read from the source (its first: the Gram passes' kept frames replayed, the rest read)
    res.rowsScanned += rows.read;
    res.rowsReplayed = (res.rowsReplayed ?? 0) + rows.replayed;
    return { aicConst, colMaxX, colMaxZ, zSum, zSq };
  }

  async pass(state: GlmmPassState | null, gram: GramMatrix, transforms: readonly (BlockTransform | null)[], observed = false): Promise<number> {
    const t0 = performance.now();
    const { res, family } = this;
    const blocks = res.blocks;
    const K = blocks.length;
    const p = gram.p, p1 = p + 1, P = res.summary.p;
    for (const a of gram.Akk) a.fill(0);
    for (const a of gram.AXk) a.fill(0);
    gram.AXX.fill(0);
    for (const row of gram.Ajk) for (const a of row) a?.values.fill(0);
    const v = new Float64Array(p1);
    const zt = blocks.map((b) => new Float64Array(b.q));
    let dev = 0;
    // Newton's weights w·f where PIRLS asks for them (a non-canonical link's observed information)
    const newton = observed ? family.observedFactor : undefined;
    // rows whose μ left the family's range (poisson's identity link), and the smallest μ
    let bad = 0, lowest = Infinity;
    const rows = await this.each((b) => {
      for (let i = 0; i < b.n; i++) {
        if (!b.ok[i]) continue;
        const y = b.y[i], wt = b.wt[i], off = b.off ? b.off[i] : 0;
        // z̃ = z M per block (M = C S)
        for (let k = 0; k < K; k++) {
          const q = blocks[k].q, M = transforms[k]?.M, out = zt[k];
          for (let jj = 0; jj < q; jj++) {
            let acc = 0;
            for (let s = 0; s < q; s++) acc += b.z[k][s][i] * (M ? M[s * q + jj] : s === jj ? 1 : 0);
            out[jj] = acc;
          }
        }
        let eta: number;
        if (state) {
          eta = off;
          for (let j = 0; j < P; j++) eta += b.x[j][i] * state.beta[j];
          for (let k = 0; k < K; k++) {
            const q = blocks[k].q, c = b.codes[k][i], bk = state.b[k];
            for (let s = 0; s < q; s++) eta += b.z[k][s][i] * bk[c * q + s];
          }
        } else eta = family.linkfun(family.mustart(y, wt));
        const mu = family.linkinv(eta), me = family.muEta(eta);
        if (family.muRange && !family.validmu(mu)) { bad++; lowest = Math.min(lowest, mu); }
        // Newton's row (src/glmm/rowPass.ts observedRows): w f and r/f, f floored at OBSERVED_FLOOR (1 where NaN)
        const f0 = newton ? newton(y, eta, mu, me) : 1;
        const f = f0 >= OBSERVED_FLOOR ? f0 : f0 === f0 ? OBSERVED_FLOOR : 1;
        const w = newton ? (wt * me * me * f) / family.variance(mu) : (wt * me * me) / family.variance(mu);
        const r = newton ? (y - mu) / (me * f) : (y - mu) / me;
        dev += family.devResid(y, mu, wt);
        for (let j = 0; j < p; j++) v[j] = b.x[j][i];
        v[p] = state ? r : eta - off + r;
        for (let k = 0; k < K; k++) {
          const q = blocks[k].q, m = blocks[k].nl * q, c = b.codes[k][i], zk = zt[k];
          const Akk = gram.Akk[k], AXk = gram.AXk[k];
          for (let s = 0; s < q; s++) {
            const wz = w * zk[s];
            for (let t = 0; t < q; t++) Akk[c * q * q + s * q + t] += wz * zk[t];
            for (let rr = 0; rr < p1; rr++) AXk[rr * m + c * q + s] += wz * v[rr];
          }
        }
        for (let rr = 0; rr < p1; rr++) { const wv = w * v[rr]; for (let s = 0; s < p1; s++) gram.AXX[rr * p1 + s] += wv * v[s]; }
        for (let j = 1; j < K; j++) {
          for (let k = 0; k < j; k++) {
            const a = gram.Ajk[j][k], qr = blocks[j].q, qc = blocks[k].q;
            const e = this.entries[j][k].get(b.codes[k][i] * blocks[j].nl + b.codes[j][i])!;
            for (let s = 0; s < qr; s++) for (let t = 0; t < qc; t++) a.values[e * qr * qc + s * qc + t] += w * zt[j][s] * zt[k][t];
          }
        }
      }
    });
    if (bad > 0) throw muRangeError(family, `stream (${this.source.name})`, bad, lowest);
    gram.yty = gram.AXX[p * p1 + p];
    this.stats.passes++;
    this.stats.queries++;
    this.stats.rowsRead += rows.read;
    this.stats.rowsReplayed += rows.replayed;
    this.stats.ms += performance.now() - t0;
    return dev;
  }
}
