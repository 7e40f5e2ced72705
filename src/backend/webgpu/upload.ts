/**
 * The data as the WebGPU backend uploads it (see shaders/gram.wgsl): rows sorted by the level of the
 * first grouping factor (a counting sort: CSR offsets by group), row-major f32 with the columns
 * z_0..z_{q-1} of the first block, then the centred X and y − Xβ₀ of the model's fixed-effects
 * transform (src/model/fixedTransform.ts: the profiled deviance does not change, and the f32 sums
 * lose far less to cancellation). Long groups are split into segments of at most SEGMENT rows.
 */
import type { LmmModel } from '../../lmm/model.js';
import { groupShaderLimit } from './limits.js';

/** Most rows one thread accumulates in the data pass. */
export const SEGMENT = 256;

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
}

/** Why a model cannot run on the WebGPU backend, or null when it can. */
export function gpuUnsupported(model: LmmModel): string | null {
  if (model.source) return `A came from ${model.source.engine}, and the WebGPU backend forms A from rows it holds`;
  // a first block with a known covariance is dense: no per-group shaders (see WebGpuBackend)
  if (model.known[0]) return null;
  return groupShaderLimit(model.blocks[0].q, model.frame.p);
}

export function buildGpuLayout(model: LmmModel): GpuDataLayout {
  const { n, p, X: Xc, y: yc, blocks } = model.rows;
  const b = blocks[0];
  const q = b.q;
  const G = b.nl;
  const w = q + p + 1;
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
  return { n, G, q, p, w, E: (w * (w + 1)) / 2, rows, segStart, groupSeg };
}
