/**
 * The data as the WebGPU backend uploads it (see shaders/gram.wgsl): rows sorted by the level of the
 * first grouping factor (a counting sort: CSR offsets by group), row-major f32 with the columns
 * z_0..z_{q-1} of the first block, then X and y, X's non-intercept columns and y centred when X has
 * an intercept (a change of β's parametrization that leaves the profiled deviance unchanged: the
 * centring matrix is unit triangular). Long groups are split into segments of at most SEGMENT rows.
 */
import type { LmmModel } from '../../model/fitLmm.js';
import { workingResponse } from '../../model/fitLmm.js';

/** Most rows one thread accumulates in the data pass. */
export const SEGMENT = 256;
/** Widest [Z X y] row the shaders take (q + p + 1), and the largest q. */
export const MAX_W = 16;
export const MAX_Q = 8;

export interface GpuDataLayout {
  n: number;
  /** number of groups (levels of the first factor) */
  G: number;
  q: number;
  p: number;
  /** row width q + p + 1 */
  w: number;
  /** packed lower-triangle size w (w + 1) / 2 */
  E: number;
  /** rows sorted by group, n × w row-major */
  rows: Float32Array;
  /** first row of each segment, nseg + 1 */
  segStart: Uint32Array;
  /** first segment of each group, G + 1 */
  groupSeg: Uint32Array;
  /** centred X (column-major n × p, original row order) and y − offset, centred, in float64 */
  Xc: Float64Array;
  yc: Float64Array;
}

/** Why a model cannot run on the WebGPU backend, or null when it can. */
export function gpuUnsupported(model: LmmModel): string | null {
  const b = model.blocks[0];
  if (b.q > MAX_Q) return `the first random-effects block has ${b.q} columns; the WebGPU shaders take at most ${MAX_Q}`;
  const w = b.q + model.frame.p + 1;
  if (w > MAX_W) return `q + p + 1 = ${w} columns; the WebGPU shaders take at most ${MAX_W}`;
  return null;
}

export function buildGpuLayout(model: LmmModel): GpuDataLayout {
  const { frame, blocks } = model;
  const { n, p } = frame;
  const b = blocks[0];
  const q = b.q;
  const G = b.nl;
  const w = q + p + 1;
  // centre X's non-intercept columns and y when X has an intercept column
  const y0 = workingResponse(frame);
  const interceptCol = frame.xnames.indexOf('(Intercept)');
  const Xc = Float64Array.from(frame.X);
  const yc = Float64Array.from(y0);
  if (interceptCol >= 0) {
    for (let r = 0; r < p; r++) {
      if (r === interceptCol) continue;
      centre(Xc.subarray(r * n, r * n + n));
    }
    centre(yc);
  }
  // counting sort of the rows by level
  const counts = new Uint32Array(G + 1);
  for (let i = 0; i < n; i++) counts[b.codes[i] + 1]++;
  for (let g = 0; g < G; g++) counts[g + 1] += counts[g];
  const groupStart = counts.slice();
  const next = counts.slice(0, G);
  const rows = new Float32Array(n * w);
  for (let i = 0; i < n; i++) {
    const pos = next[b.codes[i]]++;
    const o = pos * w;
    for (let s = 0; s < q; s++) rows[o + s] = b.Z[i * q + s];
    for (let r = 0; r < p; r++) rows[o + q + r] = Xc[r * n + i];
    rows[o + q + p] = yc[i];
  }
  // segments of at most SEGMENT rows within each group (every level has rows: the frame drops unused ones)
  const groupSeg = new Uint32Array(G + 1);
  let nseg = 0;
  for (let g = 0; g < G; g++) {
    groupSeg[g] = nseg;
    nseg += Math.ceil((groupStart[g + 1] - groupStart[g]) / SEGMENT);
  }
  groupSeg[G] = nseg;
  const segStart = new Uint32Array(nseg + 1);
  let s = 0;
  for (let g = 0; g < G; g++) for (let r = groupStart[g]; r < groupStart[g + 1]; r += SEGMENT) segStart[s++] = r;
  segStart[nseg] = n;
  return { n, G, q, p, w, E: (w * (w + 1)) / 2, rows, segStart, groupSeg, Xc, yc };
}

function centre(v: Float64Array): void {
  let m = 0;
  for (let i = 0; i < v.length; i++) m += v[i];
  m /= v.length;
  for (let i = 0; i < v.length; i++) v[i] -= m;
}
