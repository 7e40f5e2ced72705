/**
 * Seeded generator of small random negative binomial GLMMs (NB2, log link) for the randomized
 * comparison of our glmer(family 'negative.binomial') with lme4's glmer.nb and
 * glmer(family = negative.binomial(θ)) (test/randomNegbin.test.ts), after ./randomGlmms.ts.
 *
 * Each case draws
 *  - the NB size: log-uniform on [0.3, 20] mostly, near-Poisson (size 300 … 1e4) sometimes, where
 *    glmer.nb's estimate runs to the end of its search interval;
 *  - whether the size is given (glmer with negative.binomial(θ): a value near the truth, rounded to
 *    3 digits) or estimated (glmer.nb), about half each;
 *  - a random-effects shape: random intercepts, slopes (correlated and `||`), nested `g/h`, crossed
 *    `(1 | g) + (1 | h)`, and with the size given crossed with a slope `(x | g) + (1 | h)`;
 *  - a fixed part (x, sometimes z and a two- or three-level factor a; x sometimes far from 0) and
 *    sometimes offset(log(t)) with an exposure t in [0.5, 5];
 *  - variance components with zeros and tiny SDs sometimes (some fits singular).
 * Counts are Poisson(μ·G/s) with G ~ Gamma(s, 1) (the NB2 mixture), μ = exp(η) with η ≤ 5.
 * Sizes are small (100–600 rows with the size given, 100–300 estimated; 5–30 groups) so that the
 * ~12–30 fits of each size search take a second or two, in R and ours.
 *
 * Values are rounded to 6 significant digits and written as CSV text; R and our tests read the same
 * text. Deterministic: the same seed and count give byte-identical files (test/randomNegbin.test.ts
 * checks the committed fixtures against a fresh generation).
 *
 *   npx vite-node test/oracle/exportRandomNegbin.ts   # writes test/fixtures/random-negbin/
 *   Rscript test/oracle/random_negbin.R               # lme4's fits → test/fixtures/random-negbin/glmer.json
 */
import { Rng } from '../../bench/synth.js';
import { type CovDraw, drawEffects, randomCovFactor } from './randomModels.js';
import { type Shape, drawDesign, num, pad, pick } from './randomGlmms.js';

export interface RandomNegbinCase {
  /** `nb01` … */
  name: string;
  formula: string;
  /** the given NB size (glmer with negative.binomial(theta)), or null: estimated (glmer.nb) */
  theta: number | null;
  /** the size the counts were drawn with */
  trueSize: number;
  /** the random-effects shape the formula came from */
  shape: string;
  offset: boolean;
  /** CSV text: y, t (with an offset), x, z, a, g, h */
  csv: string;
  nobs: number;
}

/** Default seed and number of cases of the committed fixtures. */
export const RANDOM_NEGBIN_SEED = 20261205;
export const RANDOM_NEGBIN_COUNT = 48;


const SHAPES: Shape[] = [
  { name: 'intercept', re: '(1 | g)', uses: [], reCount: (G) => G, weight: 5 },
  { name: 'slope', re: '(x | g)', uses: ['x'], reCount: (G) => 2 * G, weight: 2.5 },
  { name: 'slope-uncorrelated', re: '(x || g)', uses: ['x'], reCount: (G) => 2 * G, weight: 1.5 },
  { name: 'nested', re: '(1 | g/h)', h: 'nested', uses: [], reCount: (G, H) => G + G * H, weight: 2 },
  { name: 'crossed', re: '(1 | g) + (1 | h)', h: 'crossed', uses: [], reCount: (G, H) => G + H, weight: 2 },
  { name: 'crossed-slope', re: '(x | g) + (1 | h)', h: 'crossed', uses: ['x'], reCount: (G, H) => 2 * G + H, weight: 1 },
];

const NB_COV: CovDraw = { tiny: 0.03, logMean: -0.5, logSd: 0.5, slopeScale: 0.6 };

/** Gamma(shape, 1): Marsaglia and Tsang's squeeze for shape ≥ 1; G(a) = G(a + 1)·U^(1/a) below. */
function gamma(rng: Rng, shape: number): number {
  if (shape < 1) return gamma(rng, shape + 1) * Math.pow(rng.uniform(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number, v: number;
    do { x = rng.normal(); v = 1 + c * x; } while (v <= 0);
    v = v * v * v;
    const u = rng.uniform();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Poisson(mu) by inversion, as a sum of Poisson(≤ 30) pieces for a large mean. */
function poisson(rng: Rng, mu: number): number {
  if (mu > 30) {
    const pieces = Math.ceil(mu / 30);
    let s = 0;
    for (let k = 0; k < pieces; k++) s += poisson(rng, mu / pieces);
    return s;
  }
  const u = rng.uniform();
  let k = 0;
  let pk = Math.exp(-mu);
  let cdf = pk;
  while (u > cdf && k < 10000) {
    k++;
    pk *= mu / k;
    cdf += pk;
  }
  return k;
}

function randomCase(rng: Rng, index: number): RandomNegbinCase {
  for (;;) {
    // an estimated size costs ~12–30 fits (glmer.nb's search): those cases are smaller, without crossed slopes
    const given = rng.uniform() < 0.5;
    const shape = pick(rng, given ? SHAPES : SHAPES.filter((s) => s.name !== 'crossed-slope'));
    const nearPoisson = rng.uniform() < 0.15;
    const size = nearPoisson ? Math.exp(Math.log(300) + rng.uniform() * Math.log(1e4 / 300)) : Math.exp(Math.log(0.3) + rng.uniform() * Math.log(20 / 0.3));
    const theta = given ? Number((size * Math.exp(0.3 * rng.normal())).toPrecision(3)) : null;
    const offset = rng.uniform() < 0.3;
    const useX = shape.uses.includes('x') || rng.uniform() < 0.8;
    const useZ = rng.uniform() < 0.25;
    const A = rng.uniform() < 0.3 ? 2 + rng.int(2) : 1;

    const design = drawDesign(rng, shape, A, given ? 500 : 200);
    if (!design) continue;
    const { G, H, n, x, z, g, h, a, xc } = design;

    const singularity = 0.05 + 0.15 * rng.uniform();
    const b0 = 0.8 + rng.normal() * 0.7;
    const bx = useX ? rng.normal() * 0.4 : 0;
    const bz = useZ ? rng.normal() * 0.4 : 0;
    const ba = Float64Array.from({ length: A }, (_, k) => (k === 0 ? 0 : rng.normal() * 0.5));
    const eta = new Float64Array(n);
    for (let i = 0; i < n; i++) eta[i] = b0 + bx * xc[i] + bz * z[i] + ba[a[i]];
    const LG = randomCovFactor(rng, 2, singularity, NB_COV);
    for (let lev = 0; lev < G; lev++) {
      const b = drawEffects(rng, LG, 2);
      const bxs = shape.uses.includes('x') ? b[1] : 0;
      for (let i = 0; i < n; i++) if (g[i] === lev) eta[i] += b[0] + bxs * xc[i];
    }
    if (shape.h) {
      const sdH = rng.uniform() < singularity ? 0 : Math.exp(rng.normal() * 0.5 - 0.7);
      const bh = Float64Array.from({ length: shape.h === 'nested' ? G * H : H }, () => sdH * rng.normal());
      for (let i = 0; i < n; i++) eta[i] += bh[shape.h === 'nested' ? g[i] * H + h[i] : h[i]];
    }

    // the counts: NB2(μ, size) as Poisson(μ·G/size), G ~ Gamma(size, 1)
    const t = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      if (offset) t[i] = Number((0.5 + 4.5 * rng.uniform()).toPrecision(4));
      const mu = Math.exp(Math.min(eta[i] + (offset ? Math.log(t[i]) : 0), 5));
      y[i] = poisson(rng, mu * gamma(rng, size) / size);
    }
    const total = y.reduce((s, v) => s + v, 0);
    const zeros = y.reduce((s, v) => s + (v === 0 ? 1 : 0), 0);
    if (total < 20 || zeros === n) continue;

    const cols = ['y', ...(offset ? ['t'] : []), 'x', 'z', 'a', 'g', 'h'];
    const lines = [cols.join(',')];
    const hLabel = (i: number): string => (shape.h === 'nested' ? `H${h[i]}` : `H${pad(h[i], 2)}`);
    for (let i = 0; i < n; i++) {
      lines.push([String(y[i]), ...(offset ? [String(t[i])] : []), num(x[i]), num(z[i]), `A${a[i]}`, `G${pad(g[i], 2)}`, hLabel(i)].join(','));
    }
    const fixed = [...(useX ? ['x'] : []), ...(useZ ? ['z'] : []), ...(A > 1 ? ['a'] : []), ...(offset ? ['offset(log(t))'] : [])];
    const rhs = fixed.length ? fixed.join(' + ') : '1';
    return {
      name: `nb${pad(index + 1, 2)}`,
      formula: `y ~ ${rhs} + ${shape.re}`,
      theta, trueSize: Number(size.toPrecision(6)), shape: shape.name, offset,
      csv: lines.join('\n') + '\n', nobs: n,
    };
  }
}

/** `count` random cases from `seed` (deterministic). */
export function generateRandomNegbin(seed = RANDOM_NEGBIN_SEED, count = RANDOM_NEGBIN_COUNT): RandomNegbinCase[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, k) => randomCase(rng, k));
}
