/**
 * Seeded generator of small random generalized linear mixed models (data + formula + family + link +
 * nAGQ) for the randomized comparison of our glmer with lme4's (test/randomGlmms.test.ts), after
 * the LMM one (./randomModels.ts).
 *
 * Each case draws
 *  - a response kind: binomial 0/1, binomial `cbind(s, f)`, binomial proportions `p` with `weights`
 *    (the trials `n`), Poisson counts, Poisson counts with `offset(log(t))`; binomial links logit
 *    mostly, probit and cloglog sometimes;
 *  - a random-effects shape: random intercepts, slopes (correlated and `||`), two slopes, nested
 *    `g/h`, crossed `(1 | g) + (1 | h)` with and without a slope; nAGQ > 1 (2 … 25 nodes) for about
 *    half of the single scalar-term models;
 *  - a fixed part (x, sometimes z and a two- or three-level factor a), with x sometimes far from 0;
 *  - variance components with zeros, tiny SDs and correlations near ±1 sometimes, so that a share
 *    of the fits are singular or nearly so.
 * Sizes are small (100–600 rows, 5–30 groups) so that glmer's four fits of each case take about a
 * second and ours a few milliseconds; the data satisfy glmer's checks (more observations than random
 * effects and than levels of any grouping factor; every level of a present).
 *
 * Values are rounded to 6 significant digits (proportions written exactly, as the shortest text that
 * reads back to s/n) and written as CSV text; R and our tests read the same text. Deterministic: the
 * same seed and count give byte-identical files (test/randomGlmms.test.ts checks the committed
 * fixtures against a fresh generation).
 *
 *   npx vite-node test/oracle/exportRandomGlmms.ts   # writes test/fixtures/random-glmm/
 *   Rscript test/oracle/random_glmms.R               # glmer's fits → test/fixtures/random-glmm/glmer.json
 */
import { Rng } from '../../bench/synth.js';
import { type CovDraw, drawEffects, randomCovFactor } from './randomModels.js';

export type ResponseKind = 'bernoulli' | 'cbind' | 'proportion' | 'count' | 'count-offset';

export interface RandomGlmmCase {
  /** `g001` … */
  name: string;
  formula: string;
  family: 'binomial' | 'poisson';
  link: 'logit' | 'probit' | 'cloglog' | 'log';
  nAGQ: number;
  /** the prior weights' column (proportions: the trials), or null */
  weights: string | null;
  /** the random-effects shape the formula came from */
  shape: string;
  response: ResponseKind;
  /** CSV text: the response's columns, then x, z, a, g, h */
  csv: string;
  nobs: number;
}

/** Default seed and number of cases of the committed fixtures. */
export const RANDOM_GLMMS_SEED = 20260611;
export const RANDOM_GLMMS_COUNT = 90;

/** A random-effects shape of the random GLMMs (and of the random NB GLMMs, ./randomNegbin.ts). */
export interface Shape {
  name: string;
  /** the random-effects part of the formula */
  re: string;
  h?: 'nested' | 'crossed';
  /** one scalar random-effects term (nAGQ > 1 allowed) */
  scalar?: boolean;
  /** the covariates the terms use (they are in the fixed part too) */
  uses: ('x' | 'z')[];
  /** number of random effects */
  reCount: (G: number, H: number) => number;
  /** relative frequency */
  weight: number;
}

const SHAPES: Shape[] = [
  { name: 'intercept', re: '(1 | g)', scalar: true, uses: [], reCount: (G) => G, weight: 5 },
  { name: 'slope', re: '(x | g)', uses: ['x'], reCount: (G) => 2 * G, weight: 3 },
  { name: 'slope-uncorrelated', re: '(x || g)', uses: ['x'], reCount: (G) => 2 * G, weight: 2 },
  { name: 'two-slopes', re: '(x + z | g)', uses: ['x', 'z'], reCount: (G) => 3 * G, weight: 1 },
  { name: 'nested', re: '(1 | g/h)', h: 'nested', uses: [], reCount: (G, H) => G + G * H, weight: 2 },
  { name: 'crossed', re: '(1 | g) + (1 | h)', h: 'crossed', uses: [], reCount: (G, H) => G + H, weight: 2 },
  { name: 'crossed-slope', re: '(x | g) + (1 | h)', h: 'crossed', uses: ['x'], reCount: (G, H) => 2 * G + H, weight: 1 },
];

const AGQ_NODES = [2, 3, 5, 7, 9, 12, 15, 20, 25];

/** `v` rounded to 6 significant digits, as the shortest decimal text that reads back to it. */
export function num(v: number): string {
  return String(Number(v.toPrecision(6)));
}

export function pad(k: number, width: number): string {
  return String(k).padStart(width, '0');
}

export function pick<T extends { weight: number }>(rng: Rng, list: T[]): T {
  const total = list.reduce((s, e) => s + e.weight, 0);
  let u = rng.uniform() * total;
  for (const e of list) {
    u -= e.weight;
    if (u < 0) return e;
  }
  return list[list.length - 1];
}

/** The SDs of this generator's covariance factors: zeros and tiny ones; slopes' smaller than intercepts' (x has unit scale). */
const GLMM_COV: CovDraw = { tiny: 0.03, logMean: -0.4, logSd: 0.6, slopeScale: 0.7 };

/** Binomial(size, p) by its Bernoulli trials. */
function binomial(rng: Rng, size: number, p: number): number {
  let s = 0;
  for (let k = 0; k < size; k++) if (rng.uniform() < p) s++;
  return s;
}

/** Poisson(mu) by inversion (mu ≤ ~400 here). */
function poisson(rng: Rng, mu: number): number {
  const u = rng.uniform();
  let k = 0;
  let pk = Math.exp(-mu);
  let cdf = pk;
  while (u > cdf && k < 10000) {
    k++;
    pk *= mu / k;
    cdf += pk;
    if (pk === 0 && cdf < u) break;
  }
  return k;
}

const RESPONSES: { kind: ResponseKind; weight: number }[] = [
  { kind: 'bernoulli', weight: 3 }, { kind: 'cbind', weight: 2 }, { kind: 'proportion', weight: 1.5 },
  { kind: 'count', weight: 2 }, { kind: 'count-offset', weight: 1.5 },
];

function linkinv(link: RandomGlmmCase['link'], eta: number): number {
  switch (link) {
    case 'logit': return 1 / (1 + Math.exp(-eta));
    case 'probit': {
      // Φ by erfc's rational approximation is enough for drawing data
      const t = 1 / (1 + 0.2316419 * Math.abs(eta));
      const d = 0.3989422804014327 * Math.exp(-eta * eta / 2);
      const tail = d * t * (0.319381530 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))));
      return eta >= 0 ? 1 - tail : tail;
    }
    case 'cloglog': return 1 - Math.exp(-Math.exp(eta));
    case 'log': return Math.exp(eta);
  }
}

/** A case's rows: groups, covariates and the factor a (null when the draw is rejected). */
export interface GlmmDesign {
  G: number; H: number; n: number;
  x: Float64Array; z: Float64Array; g: Int32Array; h: Int32Array; a: Int32Array;
  /** x centred and scaled to about unit SD, for the effects */
  xc: Float64Array;
}

/**
 * The rows of a random GLMM case (also test/oracle/randomNegbin.ts's): G groups (nested: G·H cells)
 * of unbalanced sizes, about 100 + [0, targetSpan) rows, 100–600 in all; x a standard normal, a
 * count 0..9 within the group (days) or a value near 8 (centring matters); z normal; a with A levels.
 * null where the draw fails the checks (too few rows for the random effects, a level of a or h absent).
 */
export function drawDesign(rng: Rng, shape: { h?: 'nested' | 'crossed'; reCount: (G: number, H: number) => number }, A: number, targetSpan = 500): GlmmDesign | null {
  const G = 5 + rng.int(26);
  const H = shape.h === 'nested' ? 2 + rng.int(3) : shape.h === 'crossed' ? 4 + rng.int(12) : 1;
  const cells = shape.h === 'nested' ? G * H : G;
  const target = 100 + rng.int(targetSpan);
  const perCell = Math.max(2, Math.round(target / cells));
  const sizes = Array.from({ length: cells }, () => Math.max(1, perCell + Math.round((rng.uniform() - 0.5) * perCell)));
  const n = sizes.reduce((s, k) => s + k, 0);
  if (n < 100 || n > 600 || n <= shape.reCount(G, H) + 10) return null;
  const xKind = rng.int(3);
  const x = new Float64Array(n);
  const z = new Float64Array(n);
  const g = new Int32Array(n);
  const h = new Int32Array(n);
  const a = new Int32Array(n);
  let row = 0;
  for (let c = 0; c < cells; c++) {
    for (let k = 0; k < sizes[c]; k++, row++) {
      g[row] = shape.h === 'nested' ? Math.floor(c / H) : c;
      h[row] = shape.h === 'nested' ? c % H : shape.h === 'crossed' ? rng.int(H) : 0;
      a[row] = rng.int(A);
      x[row] = Number((xKind === 0 ? rng.normal() : xKind === 1 ? k % 10 : 8 + rng.normal()).toPrecision(6));
      z[row] = Number(rng.normal().toPrecision(6));
    }
  }
  if (new Set(a).size < A || new Set(h).size < H) return null;
  const xc = Float64Array.from(x, (v) => (xKind === 1 ? (v - 4.5) / 3 : xKind === 2 ? v - 8 : v));
  return { G, H, n, x, z, g, h, a, xc };
}

/** One random case. */
function randomCase(rng: Rng, index: number): RandomGlmmCase {
  for (;;) {
    const shape = pick(rng, SHAPES);
    const response = pick(rng, RESPONSES).kind;
    const family = response === 'count' || response === 'count-offset' ? 'poisson' : 'binomial';
    const lu = rng.uniform();
    const link: RandomGlmmCase['link'] = family === 'poisson' ? 'log' : lu < 0.7 ? 'logit' : lu < 0.85 ? 'probit' : 'cloglog';
    const nAGQ = shape.scalar && rng.uniform() < 0.5 ? AGQ_NODES[rng.int(AGQ_NODES.length)] : 1;
    // fixed part: x always for slopes, else sometimes; z; a factor a
    const useX = shape.uses.includes('x') || rng.uniform() < 0.8;
    const useZ = shape.uses.includes('z') || rng.uniform() < 0.25;
    const A = rng.uniform() < 0.25 ? 2 + rng.int(2) : 1;

    const design = drawDesign(rng, shape, A);
    if (!design) continue;
    const { G, H, n, x, z, g, h, a, xc } = design;

    // the linear predictor
    const singularity = 0.05 + 0.2 * rng.uniform();
    const b0 = family === 'poisson' ? 0.5 + rng.normal() * 0.6 : link === 'cloglog' ? -0.8 + rng.normal() * 0.5 : rng.normal() * 0.7;
    const bx = useX ? rng.normal() * 0.4 : 0;
    const bz = useZ ? rng.normal() * 0.4 : 0;
    const ba = Float64Array.from({ length: A }, (_, k) => (k === 0 ? 0 : rng.normal() * 0.5));
    const eta = new Float64Array(n);
    for (let i = 0; i < n; i++) eta[i] = b0 + bx * xc[i] + bz * z[i] + ba[a[i]];
    // g: (1, x, z); h (crossed) or g:h (nested): an intercept
    const LG = randomCovFactor(rng, 3, singularity, GLMM_COV);
    for (let lev = 0; lev < G; lev++) {
      const b = drawEffects(rng, LG, 3);
      const bxs = shape.uses.includes('x') ? b[1] : 0;
      const bzs = shape.uses.includes('z') ? b[2] : 0;
      for (let i = 0; i < n; i++) if (g[i] === lev) eta[i] += b[0] + bxs * xc[i] + bzs * z[i];
    }
    if (shape.h) {
      const sdH = rng.uniform() < singularity ? 0 : Math.exp(rng.normal() * 0.6 - 0.5);
      const bh = Float64Array.from({ length: shape.h === 'nested' ? G * H : H }, () => sdH * rng.normal());
      for (let i = 0; i < n; i++) eta[i] += bh[shape.h === 'nested' ? g[i] * H + h[i] : h[i]];
    }

    // the response
    const t = new Float64Array(n);
    const trials = new Int32Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (family === 'poisson') {
        if (response === 'count-offset') t[i] = Number((0.5 + 4.5 * rng.uniform()).toPrecision(4));
        const e = Math.min(eta[i] + (response === 'count-offset' ? Math.log(t[i]) : 0), 5.5);
        y[i] = poisson(rng, Math.exp(e));
      } else {
        trials[i] = response === 'bernoulli' ? 1 : 1 + rng.int(15);
        y[i] = binomial(rng, trials[i], linkinv(link, eta[i]));
      }
    }
    // degenerate responses (all 0 or all successes, or no counts) are redrawn
    const total = y.reduce((s, v) => s + v, 0);
    const max = trials.reduce((s, v) => s + v, 0);
    if (total < 10 || (family === 'binomial' && max - total < 10)) continue;

    const respCols = response === 'bernoulli' || response === 'count' ? ['y'] : response === 'cbind' ? ['s', 'f'] : response === 'proportion' ? ['p', 'n'] : ['y', 't'];
    const lines = [[...respCols, 'x', 'z', 'a', 'g', 'h'].join(',')];
    const hLabel = (i: number): string => (shape.h === 'nested' ? `H${h[i]}` : `H${pad(h[i], 2)}`);
    for (let i = 0; i < n; i++) {
      const resp = response === 'bernoulli' || response === 'count' ? [String(y[i])]
        : response === 'cbind' ? [String(y[i]), String(trials[i] - y[i])]
          : response === 'proportion' ? [String(y[i] / trials[i]), String(trials[i])]
            : [String(y[i]), String(t[i])];
      lines.push([...resp, num(x[i]), num(z[i]), `A${a[i]}`, `G${pad(g[i], 2)}`, hLabel(i)].join(','));
    }
    const lhs = response === 'cbind' ? 'cbind(s, f)' : response === 'proportion' ? 'p' : 'y';
    const fixed = ['1', ...(useX ? ['x'] : []), ...(useZ ? ['z'] : []), ...(A > 1 ? ['a'] : []), ...(response === 'count-offset' ? ['offset(log(t))'] : [])];
    const rhs = fixed.length > 1 ? fixed.slice(1).join(' + ') : '1';
    return {
      name: `g${pad(index + 1, 3)}`,
      formula: `${lhs} ~ ${rhs} + ${shape.re}`,
      family, link, nAGQ,
      weights: response === 'proportion' ? 'n' : null,
      shape: shape.name, response, csv: lines.join('\n') + '\n', nobs: n,
    };
  }
}

/** `count` random cases from `seed` (deterministic). */
export function generateRandomGlmms(seed = RANDOM_GLMMS_SEED, count = RANDOM_GLMMS_COUNT): RandomGlmmCase[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, k) => randomCase(rng, k));
}
