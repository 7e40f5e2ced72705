/**
 * A batch's model frame (./evaluate.ts BatchFrame) as the LMM's passes after the first read it, kept
 * between passes (./batchCache.ts): the complete-row marks, the numeric variables, y, y', the offset,
 * the weights, and each factor's keys as level codes into the batch's own list of keys (Int32Array:
 * not one string per row). The passes after the first (./exact.ts's sums, the Gram pass, the
 * residuals) read these alone; the raw columns (frame.column), the ±∞ checks and the level tests
 * are the first pass's. Browser-safe.
 */
import type { LevelKey } from '../levels.js';
import { type BatchCodec, owned } from './batchCache.js';
import type { BatchFrame } from './evaluate.js';

export interface KeptFrame {
  n: number;
  ok: Uint8Array;
  vars: Map<string, Float64Array>;
  y: Float64Array;
  /** y' where it differs from y (offsets) */
  yp: Float64Array | null;
  off: Float64Array | null;
  w: Float64Array | null;
  /** per factor column: each row's index into `levels` (−1: missing) */
  keys: Map<string, { codes: Int32Array; levels: LevelKey[] }>;
}

function keepKeys(k: (LevelKey | null)[]): { codes: Int32Array; levels: LevelKey[] } {
  const index = new Map<LevelKey, number>();
  const levels: LevelKey[] = [];
  const codes = new Int32Array(k.length);
  for (let i = 0; i < k.length; i++) {
    const v = k[i];
    if (v === null) { codes[i] = -1; continue; }
    let c = index.get(v);
    if (c === undefined) { c = levels.length; index.set(v, c); levels.push(v); }
    codes[i] = c;
  }
  return { codes, levels };
}

/** bytes of a list of keys: a conservative 64 per key (a string's header and characters, its slot) */
const keyBytes = (levels: LevelKey[]) => levels.reduce<number>((t, l) => t + 64 + (typeof l === 'string' ? 2 * l.length : 0), 0);

export const frameCodec: BatchCodec<BatchFrame, KeptFrame> = {
  rows: (f) => f.n,
  keep: (f) => ({
    n: f.n, ok: owned(f.ok), y: owned(f.y), yp: f.yp === f.y ? null : owned(f.yp), off: f.off && owned(f.off), w: f.w && owned(f.w),
    vars: new Map([...f.vars].map(([k, v]) => [k, owned(v)] as const)),
    keys: new Map([...f.keys].map(([k, v]) => [k, keepKeys(v)] as const)),
  }),
  bytes: (k) => {
    let b = k.ok.byteLength + k.y.byteLength + (k.yp?.byteLength ?? 0) + (k.off?.byteLength ?? 0) + (k.w?.byteLength ?? 0);
    for (const v of k.vars.values()) b += v.byteLength;
    for (const { codes, levels } of k.keys.values()) b += codes.byteLength + keyBytes(levels);
    return b;
  },
  load: (k) => ({
    n: k.n, ok: k.ok, vars: k.vars, y: k.y, yp: k.yp ?? k.y, off: k.off, w: k.w,
    keys: new Map([...k.keys].map(([c, { codes, levels }]) => [c, Array.from(codes, (j) => (j < 0 ? null : levels[j]))] as const)),
    column: (name) => { throw new Error(`internal: the raw column '${name}' is not kept between passes`); },
    infinite: [],
    levelSeen: new Uint8Array(0),
  }),
};
