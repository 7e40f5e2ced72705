/**
 * Seeded synthetic meta-analyses for bench/meta.ts (xoshiro128** from ./synth.ts):
 *
 *   meta-regression (k studies, 3 moderators):
 *     y_i = 0.2 + 0.1 x1_i − 0.3 x2_i + 0.25 x3_i + u_i + e_i,  u_i ~ N(0, τ² = 0.05),  e_i ~ N(0, v_i)
 *     x1 ~ N(0, 1), x2 ~ U(0, 1), x3 ~ Bernoulli(0.4), v_i = 4/n_i with n_i uniform on 20..400;
 *   three-level (clusters × schools per cluster effect sizes, metafor's ~ 1 | district/school):
 *     y_ij = 0.15 + 0.05 x_ij + u_i + w_ij + e_ij,  u_i ~ N(0, 0.06),  w_ij ~ N(0, 0.03),
 *     x_ij ~ N(0, 1), v_ij = 4/n_ij with n_ij uniform on 20..400.
 */
import { Rng } from './synth.js';

export interface MetaRegressionData { yi: Float64Array; vi: Float64Array; x1: Float64Array; x2: Float64Array; x3: Float64Array }
export interface ThreeLevelData { yi: Float64Array; vi: Float64Array; x: Float64Array; district: Int32Array; school: Int32Array }

function sampleVariance(rng: Rng): number {
  return 4 / (20 + rng.int(381));
}

export function metaRegressionData(k: number, seed: number): MetaRegressionData {
  const rng = new Rng(seed);
  const d: MetaRegressionData = { yi: new Float64Array(k), vi: new Float64Array(k), x1: new Float64Array(k), x2: new Float64Array(k), x3: new Float64Array(k) };
  for (let i = 0; i < k; i++) {
    const x1 = rng.normal(), x2 = rng.uniform(), x3 = rng.uniform() < 0.4 ? 1 : 0;
    const v = sampleVariance(rng);
    d.x1[i] = x1; d.x2[i] = x2; d.x3[i] = x3; d.vi[i] = v;
    d.yi[i] = 0.2 + 0.1 * x1 - 0.3 * x2 + 0.25 * x3 + Math.sqrt(0.05) * rng.normal() + Math.sqrt(v) * rng.normal();
  }
  return d;
}

export function threeLevelData(clusters: number, perCluster: number, seed: number): ThreeLevelData {
  const rng = new Rng(seed);
  const k = clusters * perCluster;
  const d: ThreeLevelData = { yi: new Float64Array(k), vi: new Float64Array(k), x: new Float64Array(k), district: new Int32Array(k), school: new Int32Array(k) };
  let i = 0;
  for (let c = 0; c < clusters; c++) {
    const u = Math.sqrt(0.06) * rng.normal();
    for (let s = 0; s < perCluster; s++, i++) {
      const v = sampleVariance(rng);
      const x = rng.normal();
      d.district[i] = c + 1; d.school[i] = s + 1; d.vi[i] = v; d.x[i] = x;
      d.yi[i] = 0.15 + 0.05 * x + u + Math.sqrt(0.03) * rng.normal() + Math.sqrt(v) * rng.normal();
    }
  }
  return d;
}

/** CSV text of the columns (shortest round-trip numbers), for R. */
export function columnsCsv(cols: Record<string, Float64Array | Int32Array>): string {
  const names = Object.keys(cols);
  const n = cols[names[0]].length;
  const lines = [names.join(',')];
  for (let i = 0; i < n; i++) lines.push(names.map((nm) => String(cols[nm][i])).join(','));
  return `${lines.join('\n')}\n`;
}
