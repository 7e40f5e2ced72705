/**
 * Seeded data for models of any size (issue 15: the WebGPU backend without size limits):
 *   y ~ f * (x + z) + (x1 + … + x_{q−1} | g) (+ (1 | h))
 * with f a factor of `levels` levels (p = 3 · levels fixed effects; levels = 1: y ~ x + z, p = 3), g
 * `groups` levels (row i in group i mod groups), q random-effects columns (intercept and q − 1
 * covariates x1 …, each N(0, 1)), and optionally a crossed factor h of `crossed` levels. Each row:
 *   y = 1 + a_f + 0.5 x − 0.2 z + b_g · (1, x1, …) + c_h + ε,   z = 3 + N(0, 1),
 * a_f ~ N(0, 1), b_g,k ~ N(0, 0.5²), c_h ~ N(0, 0.7²), ε ~ N(0, 1).
 * test/gpu/sizes.test.ts fits these on WebGPU; bench/common.ts's `wide` case (p = 21, q = 9) is one.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type * as arrow from 'apache-arrow';
import { makeFactorVector, makeFloat64Vector, tableFromColumns } from '../src/io/arrow.js';
import { Rng } from './synth.js';

export interface SizedOptions {
  n: number;
  groups: number;
  levels: number;
  q: number;
  crossed?: number;
  /** the random-effects columns uncorrelated, `(x1 + … || g)`: q θ instead of q (q + 1)/2 */
  diagonal?: boolean;
  /** a factor s of this many levels nested in g, `+ (1 | g:s)` (effects N(0, 0.6²)) */
  nested?: number;
  seed: number;
}

export interface SizedData {
  formula: string;
  /** numeric columns, then factor columns as codes with their level labels */
  numeric: [string, Float64Array][];
  factors: [string, Int32Array, string[]][];
}

const labels = (prefix: string, k: number, width: number) => Array.from({ length: k }, (_, j) => `${prefix}${String(j).padStart(width, '0')}`);

/** The data set's columns and formula. */
export function sizedLmmData(o: SizedOptions): SizedData {
  const { n, groups, levels, q, crossed = 0, seed } = o;
  const rng = new Rng(seed);
  const g = Int32Array.from({ length: n }, (_, i) => i % groups);
  const f = Int32Array.from({ length: n }, () => rng.int(levels));
  const x = Float64Array.from({ length: n }, () => rng.normal());
  const z = Float64Array.from({ length: n }, () => 3 + rng.normal());
  const zs = Array.from({ length: q - 1 }, () => Float64Array.from({ length: n }, () => rng.normal()));
  const bg = Array.from({ length: groups }, () => Array.from({ length: q }, () => 0.5 * rng.normal()));
  const h = Int32Array.from({ length: n }, () => rng.int(Math.max(1, crossed)));
  const bh = Array.from({ length: Math.max(1, crossed) }, () => 0.7 * rng.normal());
  const fe = Array.from({ length: levels }, () => rng.normal());
  const nested = o.nested ?? 0;
  // drawn after the others so that the data without nesting are unchanged
  const sn = Int32Array.from({ length: nested ? n : 0 }, () => rng.int(nested));
  const bs = Array.from({ length: groups * nested }, () => 0.6 * rng.normal());
  const y = Float64Array.from({ length: n }, (_, i) => {
    let v = 1 + fe[f[i]] + 0.5 * x[i] - 0.2 * z[i] + bg[g[i]][0];
    for (let s = 1; s < q; s++) v += bg[g[i]][s] * zs[s - 1][i];
    if (crossed) v += bh[h[i]];
    if (nested) v += bs[g[i] * nested + sn[i]];
    return v + rng.normal();
  });
  const numeric: [string, Float64Array][] = [['y', y], ['x', x], ['z', z], ...zs.map((c, s): [string, Float64Array] => [`x${s + 1}`, c])];
  const factors: [string, Int32Array, string[]][] = [['f', f, labels('f', levels, 3)], ['g', g, labels('g', groups, 5)]];
  if (crossed) factors.push(['h', h, labels('h', crossed, 4)]);
  if (nested) factors.push(['s', sn, labels('s', nested, 3)]);
  const re = q === 1 ? '1' : Array.from({ length: q - 1 }, (_, s) => `x${s + 1}`).join(' + ');
  const fixed = levels > 1 ? 'f * (x + z)' : 'x + z';
  return { numeric, factors, formula: `y ~ ${fixed} + (${re} ${o.diagonal ? '||' : '|'} g)${crossed ? ' + (1 | h)' : ''}${nested ? ' + (1 | g:s)' : ''}` };
}

/** The data set as an Arrow table, with its formula. */
export function sizedLmmTable(o: SizedOptions): { table: arrow.Table; formula: string } {
  const d = sizedLmmData(o);
  const cols: [string, arrow.Vector][] = [
    ...d.numeric.map(([name, v]): [string, arrow.Vector] => [name, makeFloat64Vector(v)]),
    ...d.factors.map(([name, codes, levels]): [string, arrow.Vector] => [name, makeFactorVector(codes, levels)]),
  ];
  return { table: tableFromColumns(cols), formula: d.formula };
}

/**
 * A GLMM's data of the same design: the LMM's y (its signal and noise) centred and scaled into a
 * linear predictor η = s (y − ȳ), then y ~ Bernoulli(logit⁻¹ η) (s = 0.5) or Poisson(exp η)
 * (s = 0.3), drawn with the seed + 1.
 */
export function sizedGlmmTable(o: SizedOptions & { family: 'binomial' | 'poisson' }): { table: arrow.Table; formula: string } {
  const d = sizedLmmData(o);
  const y = d.numeric[0][1];
  let mean = 0;
  for (const v of y) mean += v / y.length;
  const rng = new Rng(o.seed + 1);
  const out = Float64Array.from(y, (v) => {
    if (o.family === 'binomial') return rng.uniform() < 1 / (1 + Math.exp(-0.5 * (v - mean))) ? 1 : 0;
    // Poisson by inversion of its distribution function
    const mu = Math.exp(0.3 * (v - mean));
    let k = 0, pk = Math.exp(-mu), cdf = pk;
    const u = rng.uniform();
    while (u > cdf && k < 1000) { k++; pk *= mu / k; cdf += pk; }
    return k;
  });
  const cols: [string, arrow.Vector][] = [
    ['y', makeFloat64Vector(out)],
    ...d.numeric.slice(1).map(([name, v]): [string, arrow.Vector] => [name, makeFloat64Vector(v)]),
    ...d.factors.map(([name, codes, levels]): [string, arrow.Vector] => [name, makeFactorVector(codes, levels)]),
  ];
  return { table: tableFromColumns(cols), formula: d.formula };
}

/** Writes the data set as CSV (shortest round-trip digits) to `path` unless it is there; returns its formula. */
export function ensureSizedCsv(path: string, o: SizedOptions): string {
  const d = sizedLmmData(o);
  if (!existsSync(path)) {
    const names = [...d.numeric.map(([name]) => name), ...d.factors.map(([name]) => name)];
    const lines = [names.join(',')];
    for (let i = 0; i < o.n; i++) {
      lines.push([...d.numeric.map(([, v]) => String(v[i])), ...d.factors.map(([, codes, levels]) => levels[codes[i]])].join(','));
    }
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, lines.join('\n') + '\n');
  }
  return d.formula;
}
