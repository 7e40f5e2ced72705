/**
 * Seeded generator of small random mixed models with prior weights or a known relatedness matrix
 * (relmat), for the randomized comparison against lme4 (test/randomWeighted.test.ts).
 *
 * Two families of cases:
 *  - `w…`: lmer with prior weights (REML and ML): random intercepts, correlated and `||` slopes,
 *    nested and crossed factors, sometimes `offset(o)` in the formula; the weights drawn
 *    log-uniformly over up to 10^±3 (six orders of magnitude), or small integers, and the residuals
 *    drawn with variance σ²/w (sometimes not: weights unrelated to the noise); variance components
 *    as test/oracle/randomModels.ts draws them (zeros and tiny ones: many fits singular); `v…` the
 *    same with x a calendar year (2000 + …: slopes far from the intercept's origin).
 *  - `k…`: a known covariance K on the grouping factor g (b ~ N(0, σ_b² K)): K a random
 *    correlation-like SPD matrix (the correlation matrix of A Aᵀ + δ I, A with a random number of
 *    columns), a near-singular one (A of low rank and δ = 1e-6 … 1e-4: condition numbers up to ~1e6),
 *    or a block-diagonal sparse one (families) given as triplets; K's levels in another order than
 *    the data's; lmer REML/ML with (1 | g), (x | g), (x || g), and (1 | g) or (x | g) crossed with
 *    (1 | h) (K on g only), a few with prior weights too; and glmer Poisson (with an offset
 *    sometimes) and binomial with (1 | g), crossed with (1 | h) sometimes.
 *
 * Values are rounded to 6 significant digits (data) and 12 (K) and written as CSV text (a sparse K
 * as JSON triplets); R and our tests read the same text. The same seed and count give
 * byte-identical files (the test checks the committed fixtures against a fresh generation).
 *
 *   npx vite-node test/oracle/exportRandomWeighted.ts   # writes test/fixtures/random-weighted/
 *   Rscript test/oracle/random_weighted.R               # lme4's fits → test/fixtures/random-weighted/lme4.json
 */
import { Rng } from '../../bench/synth.js';
import { drawEffects, randomCovFactor } from './randomModels.js';

export interface RandomWeightedCase {
  /** `w01` … (weights), `k01` … (relmat) */
  name: string;
  formula: string;
  /** 'lmer' | 'poisson' | 'binomial' */
  family: 'gaussian' | 'poisson' | 'binomial';
  reml: boolean;
  shape: string;
  /** the weights column, or null */
  weights: string | null;
  /** the relmat factors' K: file and kind of each (empty: none) */
  relmat: { group: string; kind: KKind; file: string }[];
  csv: string;
  /** each K's file text (CSV for a dense K, JSON triplets for a sparse one), as `relmat` */
  kText: string[];
  nobs: number;
}

export const RANDOM_WEIGHTED_SEED = 20261205;
export const RANDOM_WEIGHTED_COUNTS = { weighted: 48, relmat: 48, year: 6 };

/** how K is drawn: condition numbers from ~10 (dense) to ~1e6 (near-singular) and ~1e10 (ill-conditioned) */
export type KKind = 'dense' | 'near-singular' | 'ill-conditioned' | 'sparse';
const K_KINDS: KKind[] = ['dense', 'near-singular', 'sparse', 'ill-conditioned'];

interface WShape { name: string; re: string; h?: 'nested' | 'crossed'; slopeG: boolean }
const W_SHAPES: WShape[] = [
  { name: 'intercept', re: '(1 | g)', slopeG: false },
  { name: 'slope', re: '(x | g)', slopeG: true },
  { name: 'slope-uncorrelated', re: '(x || g)', slopeG: true },
  { name: 'nested', re: '(1 | g/h)', h: 'nested', slopeG: false },
  { name: 'crossed', re: '(1 | g) + (1 | h)', h: 'crossed', slopeG: false },
  { name: 'crossed-slope', re: '(x | g) + (1 | h)', h: 'crossed', slopeG: true },
  { name: 'crossed-two-slopes', re: '(x | g) + (x | h)', h: 'crossed', slopeG: true },
  { name: 'nested-slope', re: '(x | g) + (1 | g:h)', h: 'nested', slopeG: true },
];

interface KShape {
  name: string; re: string; crossed: boolean; slope: boolean; family: RandomWeightedCase['family'];
  /** h nested in g (g/h) instead of crossed; a K on h too; a binomial cbind(s, f) response */
  nested?: boolean; kOnH?: boolean; cbind?: boolean;
}
const K_SHAPES: KShape[] = [
  { name: 'k-intercept', re: '(1 | g)', crossed: false, slope: false, family: 'gaussian' },
  { name: 'k-slope', re: '(x | g)', crossed: false, slope: true, family: 'gaussian' },
  { name: 'k-slope-uncorrelated', re: '(x || g)', crossed: false, slope: true, family: 'gaussian' },
  { name: 'k-crossed', re: '(1 | g) + (1 | h)', crossed: true, slope: false, family: 'gaussian' },
  { name: 'k-crossed-slope', re: '(x | g) + (1 | h)', crossed: true, slope: true, family: 'gaussian' },
  { name: 'k-poisson', re: '(1 | g)', crossed: false, slope: false, family: 'poisson' },
  { name: 'k-poisson-crossed', re: '(1 | g) + (1 | h)', crossed: true, slope: false, family: 'poisson' },
  { name: 'k-binomial', re: '(1 | g)', crossed: false, slope: false, family: 'binomial' },
  { name: 'k-nested', re: '(1 | g/h)', crossed: true, nested: true, slope: false, family: 'gaussian' },
  { name: 'k-both-crossed', re: '(1 | g) + (1 | h)', crossed: true, kOnH: true, slope: false, family: 'gaussian' },
  { name: 'k-binomial-cbind', re: '(1 | g)', crossed: false, slope: false, family: 'binomial', cbind: true },
  { name: 'k-slope-weighted', re: '(x | g)', crossed: false, slope: true, family: 'gaussian' },
];

/** `v` rounded to `digits` significant digits, as the shortest decimal text that reads back to it. */
function num(v: number, digits = 6): string {
  return String(Number(v.toPrecision(digits)));
}
const pad = (k: number, width: number) => String(k).padStart(width, '0');

/** a random permutation of 0..n-1 */
function permutation(rng: Rng, n: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** the weights: log-uniform over 10^±spread (spread 0.5, 1.5, 3 or 5: up to ten orders of magnitude), or integers 1..5 */
function drawWeights(rng: Rng, n: number): Float64Array {
  const kind = rng.int(5);
  const spread = [0.5, 1.5, 3, 5][Math.min(kind, 3)];
  return Float64Array.from({ length: n }, () => (kind === 4 ? 1 + rng.int(5) : Number(num(10 ** (spread * (2 * rng.uniform() - 1))))));
}

/** random effects per grouping factor of a weighted shape (lme4's nobs > nRE check) */
function reCount(shape: WShape, G: number, H: number): number {
  return (shape.slopeG ? 2 : 1) * G + (shape.h === 'nested' ? G * H : shape.h === 'crossed' ? (shape.name === 'crossed-two-slopes' ? 2 : 1) * H : 0);
}

/** the shapes of the `v…` cases (x a calendar year): the slope shapes, then an intercept */
const YEAR_SHAPES = [1, 2, 5, 6, 7, 0];

function weightedCase(rng: Rng, index: number, year = false): RandomWeightedCase {
  for (;;) {
    const c = tryWeightedCase(rng, index, year);
    if (c) return c;
  }
}

function tryWeightedCase(rng: Rng, index: number, year: boolean): RandomWeightedCase | null {
  const shape = W_SHAPES[year ? YEAR_SHAPES[index % YEAR_SHAPES.length] : index % W_SHAPES.length];
  const reml = rng.uniform() < 0.5;
  const withOffset = rng.uniform() < 0.4;
  const G = 4 + rng.int(9);
  const H = shape.h === 'nested' ? 2 + rng.int(2) : shape.h === 'crossed' ? 3 + rng.int(5) : 1;
  const cells = shape.h === 'nested' ? G * H : G;
  const perCell = 2 + rng.int(6);
  const sizes = Array.from({ length: cells }, () => Math.max(1, perCell + rng.int(5) - 2));
  const n = sizes.reduce((s, k) => s + k, 0);
  if (n <= reCount(shape, G, H) + 2) return null;
  const x = new Float64Array(n);
  const g = new Int32Array(n);
  const h = new Int32Array(n);
  let row = 0;
  const xKind = rng.int(2);
  for (let c = 0; c < cells; c++) {
    for (let k = 0; k < sizes[c]; k++, row++) {
      g[row] = shape.h === 'nested' ? Math.floor(c / H) : c;
      h[row] = shape.h === 'nested' ? c % H : shape.h === 'crossed' ? (row * 7 + rng.int(H)) % H : 0;
      x[row] = year ? 2000 + k + rng.int(3) : xKind === 0 ? k : rng.normal();
    }
  }
  if (new Set(h).size < H) return null;
  const w = drawWeights(rng, n);
  const noiseFollowsWeights = rng.uniform() < 0.8;
  const scaleY = 10 ** (rng.uniform() * 4 - 2);
  const sigma = 0.2 + rng.uniform();
  const singularity = 0.15 + 0.3 * rng.uniform();
  const o = Float64Array.from({ length: n }, () => (withOffset ? Number(num(rng.normal() * 2)) : 0));
  // a year's effects as of 2000 (the model's intercept is at year 0: lme4's β₀ far from the data)
  const xs = Float64Array.from(x, (v) => (year ? v - 2000 : v));
  const eta = Float64Array.from(xs, (v) => 1 + 0.5 * v);
  const LG = randomCovFactor(rng, 2, singularity);
  for (let lev = 0; lev < G; lev++) {
    const b = drawEffects(rng, LG, 2);
    for (let i = 0; i < n; i++) if (g[i] === lev) eta[i] += b[0] + (shape.slopeG ? b[1] * xs[i] : 0);
  }
  const LH = randomCovFactor(rng, 2, singularity);
  const slopeH = shape.name === 'crossed-two-slopes';
  for (let lev = 0; lev < (shape.h === 'nested' ? G * H : H); lev++) {
    const b = drawEffects(rng, LH, 2);
    for (let i = 0; i < n; i++) if ((shape.h === 'nested' ? g[i] * H + h[i] : h[i]) === lev && shape.h) eta[i] += b[0] + (slopeH ? b[1] * xs[i] : 0);
  }
  const lines = ['y,x,o,w,g,h'];
  for (let i = 0; i < n; i++) {
    const e = sigma * rng.normal() / (noiseFollowsWeights ? Math.sqrt(w[i]) : 1);
    const y = o[i] + scaleY * (eta[i] + e);
    lines.push([num(y), num(x[i]), num(o[i]), num(w[i]), `G${pad(g[i], 2)}`, `H${pad(h[i], 1)}`].join(','));
  }
  const formula = `y ~ x + ${withOffset ? 'offset(o) + ' : ''}${shape.re}`;
  return {
    name: `${year ? 'v' : 'w'}${pad(index + 1, 2)}`, formula, family: 'gaussian', reml, shape: shape.name + (year ? '+year' : '') + (withOffset ? '+offset' : ''),
    weights: 'w', relmat: [], csv: lines.join('\n') + '\n', kText: [], nobs: n,
  };
}

/** K (G × G row-major, rounded to 12 digits): a random correlation-like SPD matrix of `kind` */
function drawK(rng: Rng, G: number, kind: KKind): Float64Array {
  const K = new Float64Array(G * G);
  if (kind === 'sparse') {
    // families of 1–5 levels: within a family K = corr(A Aᵀ + δ I), 0 between families
    for (let start = 0; start < G;) {
      const size = Math.min(G - start, 1 + rng.int(5));
      const sub = correlationOf(rng, size, 1 + rng.int(size), 0.05 + 0.5 * rng.uniform());
      for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) K[(start + i) * G + start + j] = sub[i * size + j];
      start += size;
    }
  } else {
    const low = kind !== 'dense';
    const r = low ? 1 + rng.int(Math.max(1, Math.floor(G / 2))) : 1 + rng.int(G + 3);
    const delta = kind === 'near-singular' ? 10 ** (-6 + 2 * rng.uniform()) : kind === 'ill-conditioned' ? 10 ** (-10 + 2 * rng.uniform()) : 0.02 + 0.5 * rng.uniform();
    K.set(correlationOf(rng, G, r, delta));
  }
  for (let e = 0; e < K.length; e++) K[e] = Number(K[e].toPrecision(12));
  return K;
}

/** the correlation matrix of A Aᵀ + δ I (A: n × r standard normal, plus a shared column sometimes) */
function correlationOf(rng: Rng, n: number, r: number, delta: number): Float64Array {
  const shared = rng.uniform() < 0.5 ? rng.uniform() * 2 : 0;
  const A = Float64Array.from({ length: n * r }, () => rng.normal());
  const S = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = shared * shared + (i === j ? delta : 0);
      for (let k = 0; k < r; k++) s += A[i * r + k] * A[j * r + k];
      S[i * n + j] = S[j * n + i] = s;
    }
  }
  const d = Float64Array.from({ length: n }, (_, i) => Math.sqrt(S[i * n + i]));
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) S[i * n + j] = i === j ? 1 : S[i * n + j] / (d[i] * d[j]);
  return S;
}

/** lower Cholesky factor of K (G × G), or null where a pivot is not positive (K rounded to 12 digits may not be) */
function cholesky(K: Float64Array, G: number): Float64Array | null {
  const L = new Float64Array(G * G);
  for (let j = 0; j < G; j++) {
    let s = K[j * G + j];
    for (let k = 0; k < j; k++) s -= L[j * G + k] ** 2;
    if (!(s > 1e-13)) return null;
    const d = Math.sqrt(s);
    L[j * G + j] = d;
    for (let i = j + 1; i < G; i++) {
      let t = K[i * G + j];
      for (let k = 0; k < j; k++) t -= L[i * G + k] * L[j * G + k];
      L[i * G + j] = t / d;
    }
  }
  return L;
}

/** K with its levels (`prefix` + index) in a random order: CSV text (dense) or JSON triplets (sparse) */
function kFileText(rng: Rng, K: Float64Array, G: number, prefix: string, sparse: boolean): string {
  const perm = permutation(rng, G);
  const names = perm.map((i) => `${prefix}${pad(i, 2)}`);
  if (sparse) {
    const ti: number[] = [], tj: number[] = [], tx: string[] = [];
    for (let a = 0; a < G; a++) for (let c = 0; c <= a; c++) {
      const v = K[perm[a] * G + perm[c]];
      if (v !== 0) { ti.push(a); tj.push(c); tx.push(num(v, 12)); }
    }
    return `{"levels":${JSON.stringify(names)},"i":[${ti.join(',')}],"j":[${tj.join(',')}],"x":[${tx.join(',')}]}\n`;
  }
  const lines = ['level,' + names.join(',')];
  for (let a = 0; a < G; a++) lines.push([names[a], ...perm.map((c) => num(K[perm[a] * G + c], 12))].join(','));
  return lines.join('\n') + '\n';
}

/** a K of `kind` that is positive definite as written (12 digits), and its Cholesky factor */
function drawPositiveK(rng: Rng, G: number, kind: KKind): { K: Float64Array; L: Float64Array } {
  for (;;) {
    const K = drawK(rng, G, kind);
    const L = cholesky(K, G);
    if (L) return { K, L };
  }
}

function relmatCase(rng: Rng, index: number): RandomWeightedCase {
  const shape = K_SHAPES[index % K_SHAPES.length];
  const kind = K_KINDS[Math.floor(index / K_SHAPES.length) % K_KINDS.length];
  const gaussian = shape.family === 'gaussian';
  const reml = gaussian && rng.uniform() < 0.5;
  const withWeights = shape.name === 'k-slope-weighted' || (gaussian && !shape.slope && rng.uniform() < 0.3);
  const withOffset = shape.family === 'poisson' && rng.uniform() < 0.5;
  const G = 8 + rng.int(gaussian ? 23 : 18);
  // 1–6 rows per level of g (a relmat factor may have one row per level); nested: 2–6
  const sizes = Array.from({ length: G }, () => 1 + rng.int(gaussian ? 6 : 5) + (shape.family === 'binomial' && !shape.cbind ? 2 : 0) + (shape.nested ? 1 : 0));
  const n = sizes.reduce((s, k) => s + k, 0);
  // h: 2–3 levels nested in g; 3–6 crossed; 3–10 with a K (every level of K must have rows: h cycles)
  const H = shape.nested ? 2 + rng.int(2) : shape.crossed ? 3 + rng.int(shape.kOnH ? Math.min(8, n - 3) : 4) : 1;
  const { K, L: LK } = drawPositiveK(rng, G, kind);
  // b = (L_K ⊗ L_Σ) u: K across levels, Σ (2 × 2) within
  const LS = randomCovFactor(rng, 2, 0.15);
  const sdScale = gaussian ? 1 : 0.6;
  const U = Float64Array.from({ length: 2 * G }, () => rng.normal());
  const b = new Float64Array(2 * G);
  for (let i = 0; i < G; i++) {
    for (let c = 0; c < 2; c++) {
      let s = 0;
      for (let j = 0; j <= i; j++) for (let d = 0; d <= c; d++) s += LK[i * G + j] * LS[c * 2 + d] * U[j * 2 + d];
      b[i * 2 + c] = sdScale * s;
    }
  }
  // h's effects: independent, or with their own K (k-both-crossed); nested: one per g:h cell
  const nh = shape.nested ? G * H : H;
  const sdH = rng.uniform() < 0.2 ? 0 : Math.exp(rng.normal() * 0.6 - 0.5);
  const KH = shape.kOnH ? drawPositiveK(rng, H, kind === 'sparse' ? 'sparse' : 'dense') : null;
  const z = Float64Array.from({ length: nh }, () => rng.normal());
  const bh = Float64Array.from({ length: nh }, (_, i) => {
    if (!KH) return sdH * z[i];
    let s = 0;
    for (let j = 0; j <= i; j++) s += KH.L[i * H + j] * z[j];
    return sdH * s;
  });
  const sigma = 0.3 + rng.uniform();
  const w = withWeights ? drawWeights(rng, n) : null;
  const resp = shape.cbind ? 's,f' : 'y';
  const lines = [`${resp},x,o,${withWeights ? 'w,' : ''}g,h`];
  let row = 0;
  const scaleY = gaussian ? 10 ** (rng.uniform() * 2 - 1) : 1;
  for (let lev = 0; lev < G; lev++) {
    for (let k = 0; k < sizes[lev]; k++, row++) {
      const x = Number(num(rng.normal()));
      const o = withOffset ? Number(num(Math.log(0.5 + 2 * rng.uniform()))) : 0;
      const hh = shape.nested ? k % H : shape.kOnH ? row % H : shape.crossed ? (row + rng.int(2)) % H : 0;
      const eta = (gaussian ? 1 : 0.2) + 0.4 * x + b[lev * 2] + (shape.slope ? b[lev * 2 + 1] * x : 0) + bh[shape.nested ? lev * H + hh : hh] + o;
      let y: string;
      if (gaussian) y = num(scaleY * (eta + sigma * rng.normal() / (w ? Math.sqrt(w[row]) : 1)));
      else if (shape.family === 'poisson') y = String(poisson(rng, Math.exp(eta)));
      else if (shape.cbind) {
        const size = 1 + rng.int(12);
        let succ = 0;
        for (let t = 0; t < size; t++) if (rng.uniform() < 1 / (1 + Math.exp(-eta))) succ++;
        y = `${succ},${size - succ}`;
      } else y = rng.uniform() < 1 / (1 + Math.exp(-eta)) ? '1' : '0';
      lines.push([y, num(x), num(o), ...(w ? [num(w[row])] : []), `L${pad(lev, 2)}`, `H${pad(hh, 2)}`].join(','));
    }
  }
  const name = `k${pad(index + 1, 2)}`;
  const relmat = [{ group: 'g', kind, file: `${name}_K.${kind === 'sparse' ? 'json' : 'csv'}` }];
  const kText = [kFileText(rng, K, G, 'L', kind === 'sparse')];
  if (KH) {
    relmat.push({ group: 'h', kind: kind === 'sparse' ? 'sparse' : 'dense', file: `${name}_Kh.${kind === 'sparse' ? 'json' : 'csv'}` });
    kText.push(kFileText(rng, KH.K, H, 'H', kind === 'sparse'));
  }
  const lhs = shape.cbind ? 'cbind(s, f)' : 'y';
  const formula = `${lhs} ~ x + ${withOffset ? 'offset(o) + ' : ''}${shape.re}`;
  return {
    name, formula, family: shape.family, reml, shape: `${shape.name}/${kind}${withWeights ? '+weights' : ''}${withOffset ? '+offset' : ''}`,
    weights: withWeights ? 'w' : null, relmat, csv: lines.join('\n') + '\n', kText, nobs: n,
  };
}

/** a Poisson draw (inversion; small means here) */
function poisson(rng: Rng, mu: number): number {
  const m = Math.min(mu, 200);
  let k = 0;
  let p = Math.exp(-m);
  let s = p;
  const u = rng.uniform();
  while (u > s && k < 1000) { k++; p *= m / k; s += p; }
  return k;
}

/** the cases from `seed` (deterministic): the weighted ones, the relmat ones, then weighted ones with x a year (`v…`) */
export function generateRandomWeighted(seed = RANDOM_WEIGHTED_SEED, counts = RANDOM_WEIGHTED_COUNTS): RandomWeightedCase[] {
  const rng = new Rng(seed);
  const out: RandomWeightedCase[] = [];
  for (let k = 0; k < counts.weighted; k++) out.push(weightedCase(rng, k));
  for (let k = 0; k < counts.relmat; k++) out.push(relmatCase(rng, k));
  for (let k = 0; k < counts.year; k++) out.push(weightedCase(rng, k, true));
  return out;
}
