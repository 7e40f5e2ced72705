/**
 * A seeded synthetic table that exercises every model-frame feature an out-of-core engine has to
 * reproduce: missing values of every kind (null, NaN, log(0) = −∞), text, boolean and numeric-coded
 * factors, numeric-looking text levels, a value seen only in dropped rows, large means, offsets,
 * weights, collinear columns. Written as Parquet (hyparquet-writer) and CSV for the engines.
 */
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { Contrasts } from '../../src/frame/contrasts.js';

export interface FeatureColumns {
  n: number;
  y: (number | null)[];
  x: (number | null)[];
  x2: (number | null)[];
  z: (number | null)[];
  o: number[];
  w: number[];
  g: string[];
  g2: number[];
  f: (string | null)[];
  f2: (string | null)[];
  h: string[];
  b: (boolean | null)[];
  /** a boolean column that is TRUE wherever present: R's logical keeps the level FALSE all the same */
  bt: (boolean | null)[];
}

/** Park–Miller generator: deterministic across platforms. */
function rng(seed: number): () => number {
  let s = seed % 2147483647;
  if (s <= 0) s += 2147483646;
  return () => (s = (s * 16807) % 2147483647) / 2147483647;
}

export function featureColumns(n = 3000, seed = 7): FeatureColumns {
  const u = rng(seed);
  const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const c: FeatureColumns = { n, y: [], x: [], x2: [], z: [], o: [], w: [], g: [], g2: [], f: [], f2: [], h: [], b: [], bt: [] };
  const gEff = Array.from({ length: 40 }, () => normal());
  const hLevels = ['1', '2', '10', '3'];
  for (let i = 0; i < n; i++) {
    const gi = Math.floor(u() * 40);
    const fi = Math.floor(u() * 3);
    const x = 100 + normal();
    // log(0) = −∞ only in rows already dropped (missing response): lme4 stops on an infinite value in
    // a row it keeps (src/frame/checks.ts), so −∞ must be dropped with its row, never fitted or kept
    const z = i % 106 === 64 ? 0 : Math.exp(normal() / 2);
    const o = 1000 + u();
    const y = 5e3 + 0.5 * x + 2 * fi + gEff[gi] + normal() + o;
    c.g.push(`g${gi + 1}`);
    c.g2.push(1 + Math.floor(u() * 25));
    c.f.push(i % 97 === 3 ? null : ['lo', 'mid', 'hi'][fi]);
    c.f2.push(i % 97 === 3 ? null : ['lo', 'mid', 'hi'][fi]);
    c.h.push(hLevels[Math.floor(u() * 4)]);
    c.b.push(i % 89 === 7 ? null : u() < 0.4);
    c.bt.push(i % 83 === 5 ? null : true);
    c.x.push(i % 101 === 9 ? null : x);
    c.x2.push(i % 101 === 9 ? null : 2 * x);
    c.z.push(z);
    c.o.push(o);
    c.w.push(0.5 + 1.5 * u());
    c.y.push(i % 53 === 11 ? null : i % 59 === 13 ? NaN : y);
  }
  // a text level seen only in rows dropped for a missing response: h's levels then sort as text
  for (const i of [11, 11 + 53]) c.h[i] = 'x';
  return c;
}

/** The columns as Parquet (nullable DOUBLE, STRING, BOOLEAN), one file or rows [from, to). */
export function featureParquet(c: FeatureColumns, from = 0, to = c.n): ArrayBuffer {
  const sl = <T>(a: T[]) => a.slice(from, to);
  return parquetWriteBuffer({
    columnData: [
      { name: 'y', data: sl(c.y), type: 'DOUBLE' },
      { name: 'x', data: sl(c.x), type: 'DOUBLE' },
      { name: 'x2', data: sl(c.x2), type: 'DOUBLE' },
      { name: 'z', data: sl(c.z), type: 'DOUBLE' },
      { name: 'o', data: sl(c.o), type: 'DOUBLE' },
      { name: 'w', data: sl(c.w), type: 'DOUBLE' },
      { name: 'g', data: sl(c.g), type: 'STRING' },
      { name: 'g2', data: sl(c.g2), type: 'DOUBLE' },
      { name: 'f', data: sl(c.f), type: 'STRING' },
      { name: 'f2', data: sl(c.f2), type: 'STRING' },
      { name: 'h', data: sl(c.h), type: 'STRING' },
      { name: 'b', data: sl(c.b), type: 'BOOLEAN' },
      { name: 'bt', data: sl(c.bt), type: 'BOOLEAN' },
    ],
    rowGroupSize: 1000,
  });
}

/** The columns as CSV (empty field: missing; numbers in round-trip form; TRUE/FALSE). */
export function featureCsv(c: FeatureColumns): string {
  const names = ['y', 'x', 'x2', 'z', 'o', 'w', 'g', 'g2', 'f', 'f2', 'h', 'b', 'bt'] as const;
  const cell = (v: unknown) => (v === null ? '' : typeof v === 'boolean' ? (v ? 'TRUE' : 'FALSE') : String(v));
  const lines = [names.join(',')];
  for (let i = 0; i < c.n; i++) lines.push(names.map((k) => cell((c[k] as unknown[])[i])).join(','));
  return `${lines.join('\n')}\n`;
}

/** Models over the feature table, with their options. */
export const FEATURE_MODELS: { name: string; formula: string; weights?: string; factors?: string[]; contrasts?: Contrasts }[] = [
  { name: 'interactions, I(), log(), boolean, offset, weights, centred slope, numeric-coded factor', formula: 'y ~ f * x + I(x^2) + log(z) + b + offset(o) + (x | g) + (1 | g2)', weights: 'w', factors: ['g2'] },
  { name: 'indicator coding, x:z, a factor in a random term, numeric-looking text levels with a dropped-only value', formula: 'y ~ 0 + f + x:z + (0 + f | g) + (1 | h)' },
  { name: 'nested grouping factor of text components', formula: 'y ~ x + (1 | g/f)' },
  { name: 'collinear columns dropped', formula: 'y ~ x + x2 + f + f2 + (1 | g)' },
  { name: 'functions of the response and of covariates', formula: 'log(y - 1000) ~ sqrt(z) + exp(x / 100) + abs(x - 100) + (1 | g)' },
  { name: 'variables only in removed terms (- x, - b): in na.omit only', formula: 'y ~ z + f - x - b + (1 | g)' },
  { name: 'scale() of a column and of an expression, over the whole column before na.omit, in a random term too', formula: 'y ~ scale(x) + scale(sqrt(z)) + f + (scale(x) | g)' },
  // R's logical values (frameSpec.ts: a factor FALSE, TRUE; NA where an operand is missing, the row dropped)
  { name: 'comparisons: I(x > 100) * f, a factor with a level, a whole comparison, in a random term', formula: 'y ~ I(x > 100) * f + I(f2 == "lo") + (z > 1) + (0 + I(z > 1) | g)' },
  { name: 'comparisons: !, &, != of a numeric-coded factor, a logical in arithmetic, a logical without an intercept', formula: 'y ~ 0 + I(!(x > 100) & g2 != 3) + I((z > 1) * x) + b + (1 | g)', factors: ['g2'] },
  { name: 'relevel() by name and by position, of factor(num), as.factor(), a relevel()d factor in a random term', formula: 'y ~ relevel(f, ref = "mid") * x + relevel(factor(g2), ref = 3) + as.factor(h) + (0 + relevel(f2, "lo") | g)' },
  { name: 'a boolean column TRUE wherever present and a constant comparison: levels FALSE, TRUE all the same (0 + bt: btFALSE and btTRUE), aliased columns dropped; a boolean grouping factor', formula: 'y ~ 0 + bt + I(x > 0) + x + (1 | g) + (1 | b)' },
  { name: "contrasts: contr.sum, contr.helmert, contr.poly, contr.SAS, in interactions with a covariate and each other", formula: 'y ~ f * x + h + b + relevel(f2, ref = "mid"):h + (1 | g)', contrasts: { f: 'contr.sum', h: 'contr.helmert', b: 'contr.poly', 'relevel(f2, ref = "mid")': 'contr.SAS' } },
];
