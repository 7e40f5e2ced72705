/**
 * Seeded generator of small random models with blme priors (data + formula + REML/ML or family +
 * cov.prior / fixef.prior / resid.prior) for the randomized comparison of our blmer/bglmer with
 * blme's (test/prior/randomBlme.test.ts), after the LMM and GLMM ones (./randomModels.ts,
 * ./randomGlmms.ts).
 *
 * Each case draws
 *  - blmer (Gaussian, REML or ML) or bglmer (binomial `cbind(s, f)` or 0/1, Poisson counts);
 *  - a random-effects shape: random intercepts, correlated slopes, `||`, nested `g/h`, crossed
 *    `(1 | g) + (1 | h)` and crossed with a slope; the fixed part is always `~ x` (p = 2);
 *  - a covariance prior from blme's families with random hyperparameters: the default (wishart,
 *    scale = Inf), wishart(df, scale), invwishart(df, scale) (diagonal scales, full 2 × 2 ones on
 *    the slope shape; posterior.scale 'sqrt' sometimes on 2 × 2 terms), gamma(shape, rate) and invgamma(shape,
 *    scale) on the SD or the variance (scalar-term shapes; a gamma on a vector term sometimes, which
 *    blme ignores), a bare family name (blme's defaults, bglmer's differ), on the common scale or not
 *    (blmer: common.scale = FALSE sometimes), sometimes per factor (`list(g ~ …, …)`), sometimes
 *    none (`NULL`);
 *  - sometimes a fixed-effects prior: normal(sd = c(a, b)) or normal(cov = …) (diagonal or full;
 *    common.scale FALSE sometimes), or t(df, mean = 0, scale = c(a, b)) (a flat intercept, scale
 *    Inf, sometimes; blmer: ML only, as blme; common.scale FALSE sometimes);
 *  - blmer sometimes a residual prior: gamma(shape, rate), invgamma(shape, scale) on the variance or
 *    SD, or point(value).
 * Hyperparameters keep the posterior proper and bounded at the boundary (wishart df > q + 1,
 * gamma shape > 1, invgamma scale > 0: our evaluatePriors refuses the others, see
 * distributions.ts unboundedAtZero). Sizes are small (blmer 25–120 rows, bglmer 60–240) so blme's
 * three fits of each case take well under a second.
 *
 * Values are rounded to 6 significant digits and written as CSV text; R and our tests read the same
 * text. Deterministic: the same seed and count give byte-identical files.
 *
 *   npx vite-node test/oracle/exportRandomBlme.ts   # writes test/fixtures/random-blme/
 *   Rscript test/oracle/random_blme.R               # blme's fits → test/fixtures/random-blme/blme.json
 */
import { Rng } from '../../bench/synth.js';
import { type CovDraw, drawEffects, randomCovFactor } from './randomModels.js';

export interface RandomBlmeCase {
  /** `b001` … */
  name: string;
  formula: string;
  /** blmer: REML; bglmer: false */
  reml: boolean;
  /** null: blmer */
  family: 'binomial' | 'poisson' | null;
  /** blme's cov.prior (null: blme's default, wishart) */
  cov: string | null;
  fixef: string | null;
  resid: string | null;
  shape: string;
  csv: string;
  nobs: number;
}

export const RANDOM_BLME_SEED = 20261205;
export const RANDOM_BLME_COUNT = 100;

interface Shape { name: string; re: string; h?: 'nested' | 'crossed'; scalar: boolean; groups: string[] }
const SHAPES: Shape[] = [
  { name: 'intercept', re: '(1 | g)', scalar: true, groups: ['g'] },
  { name: 'slope', re: '(x | g)', scalar: false, groups: ['g'] },
  { name: 'slope-uncorrelated', re: '(x || g)', scalar: true, groups: ['g'] },
  { name: 'nested', re: '(1 | g/h)', h: 'nested', scalar: true, groups: ['g'] },
  { name: 'crossed', re: '(1 | g) + (1 | h)', h: 'crossed', scalar: true, groups: ['g', 'h'] },
  { name: 'crossed-slope', re: '(x | g) + (1 | h)', h: 'crossed', scalar: false, groups: ['g', 'h'] },
];

const COV: CovDraw = { tiny: 0.03, logMean: -0.3, logSd: 0.6, slopeScale: 0.6 };

/** `v` to 3 significant digits, as R and we read it. */
function r3(v: number): string {
  return String(Number(v.toPrecision(3)));
}
function num(v: number): string {
  return String(Number(v.toPrecision(6)));
}
function pad(k: number, width: number): string {
  return String(k).padStart(width, '0');
}

/** A 2 × 2 covariance matrix in R's syntax (column-major), correlation in ±0.8. */
function matrix2(rng: Rng, scale: number): string {
  const a = scale * (0.3 + rng.uniform()), b = scale * (0.3 + rng.uniform()), r = (1.6 * rng.uniform() - 0.8) * Math.sqrt(a * b);
  return `matrix(c(${r3(a)}, ${r3(r)}, ${r3(r)}, ${r3(b)}), 2)`;
}

/**
 * One covariance prior (no per-factor list) of a family; scalar: every term it meets has q = 1;
 * pair: every term it meets has q = 2 (a full scale matrix possible).
 */
function covDistribution(rng: Rng, scalar: boolean, glmm: boolean, pair = false): string {
  const families = scalar ? ['wishart', 'invwishart', 'gamma', 'invgamma'] : ['wishart', 'invwishart'];
  const fam = families[rng.int(families.length)];
  // the family with blme's defaults (bglmer's differ: invwishart(df = q − 0.5), invgamma(0.5, 100, 'sd'))
  if (rng.uniform() < 0.08 && fam !== 'gamma') return fam;
  const args: string[] = [];
  const common = !glmm && rng.uniform() < 0.3 ? ', common.scale = FALSE' : '';
  switch (fam) {
    case 'wishart':
      // df > level.dim + 1 (bounded at 0); scale finite sometimes (then an exponential term)
      args.push(`df = level.dim + ${r3(1.2 + 3 * rng.uniform())}`);
      if (rng.uniform() < 0.6) args.push(`scale = ${pair && rng.uniform() < 0.5 ? matrix2(rng, 3) : `diag(${r3(0.2 + 5 * rng.uniform())}, level.dim)`}`);
      break;
    case 'invwishart':
      args.push(`df = level.dim + ${r3(-0.9 + 4 * rng.uniform())}`);
      args.push(`scale = ${pair && rng.uniform() < 0.5 ? matrix2(rng, 2) : `diag(${r3(0.05 + 3 * rng.uniform())}, level.dim)`}`);
      break;
    case 'gamma':
      args.push(`shape = ${r3(1.1 + 3 * rng.uniform())}`, `rate = ${r3(rng.uniform() < 0.2 ? 0 : 0.05 + 2 * rng.uniform())}`);
      args.push(`posterior.scale = '${rng.uniform() < 0.5 ? 'sd' : 'var'}'`);
      break;
    case 'invgamma':
      args.push(`shape = ${r3(0.05 + 3 * rng.uniform())}`, `scale = ${r3(0.05 + 3 * rng.uniform())}`);
      args.push(`posterior.scale = '${rng.uniform() < 0.5 ? 'sd' : 'var'}'`);
      break;
  }
  // the matrix families' posterior.scale: the covariance (default) or its square root — on 2 × 2
  // terms only: blme 1.0-5 fails on q = 1 terms ("non-conformable arguments": R's diag(1/sqrt(v))
  // of a single eigenvalue v makes a floor(1/sqrt(v))-square identity in getExponentialTerm)
  if ((fam === 'wishart' || fam === 'invwishart') && pair && rng.uniform() < 0.4) args.push("posterior.scale = 'sqrt'");
  return `${fam}(${args.join(', ')}${fam === 'wishart' || fam === 'invwishart' ? (rng.uniform() < 0.5 ? common : '') : common})`;
}

function covPrior(rng: Rng, shape: Shape, glmm: boolean): string | null {
  const u = rng.uniform();
  if (u < 0.1) return null;
  if (u < 0.15) return 'NULL';
  if (u < 0.18 && !shape.scalar) {
    // a gamma on a vector-valued term: ignored with a warning (blme and ours), the scalar terms keep it
    return `gamma(shape = ${r3(1.1 + 2 * rng.uniform())}, rate = ${r3(0.1 + rng.uniform())})`;
  }
  if (u < 0.3) {
    // per factor: the first group its own prior, the rest a default (for vector terms: a matrix family)
    const g = shape.groups[rng.int(shape.groups.length)];
    const gScalar = shape.scalar || (shape.name === 'crossed-slope' && g === 'h');
    const own = covDistribution(rng, gScalar, glmm, !gScalar);
    const rest = rng.uniform() < 0.5 ? covDistribution(rng, shape.scalar, glmm, shape.name === 'slope') : 'wishart';
    return `list(${g} ~ ${own}, ${rest})`;
  }
  return covDistribution(rng, shape.scalar, glmm, shape.name === 'slope');
}

function fixefPrior(rng: Rng, reml: boolean, glmm: boolean): string | null {
  const u = rng.uniform();
  if (u < 0.55) return null;
  if (u < 0.82 || (reml && !glmm)) {
    const common = !glmm && rng.uniform() < 0.3 ? ', common.scale = FALSE' : '';
    // sd = c(intercept, the rest), or a covariance matrix (diagonal or full)
    const v = rng.uniform();
    const spec = v < 0.7 ? `sd = c(${r3(0.5 + 10 * rng.uniform())}, ${r3(0.2 + 3 * rng.uniform())})`
      : v < 0.85 ? `cov = diag(c(${r3(1 + 50 * rng.uniform())}, ${r3(0.1 + 5 * rng.uniform())}))` : `cov = ${matrix2(rng, 10)}`;
    return `normal(${spec}${common})`;
  }
  // t: a flat intercept (scale Inf) sometimes; off the common scale sometimes (blmer)
  const common = !glmm && rng.uniform() < 0.3 ? ', common.scale = FALSE' : '';
  const sInt = rng.uniform() < 0.2 ? 'Inf' : r3(1 + 10 * rng.uniform());
  return `t(df = ${r3(1 + 5 * rng.uniform())}, mean = 0, scale = c(${sInt}, ${r3(0.5 + 3 * rng.uniform())})${common})`;
}

function residPrior(rng: Rng): string | null {
  const u = rng.uniform();
  if (u < 0.7) return null;
  if (u < 0.8) return `gamma(shape = ${r3(1.1 + 3 * rng.uniform())}, rate = ${r3(0.1 + 2 * rng.uniform())}${rng.uniform() < 0.5 ? ", posterior.scale = 'sd'" : ''})`;
  if (u < 0.92) return `invgamma(shape = ${r3(0.5 + 3 * rng.uniform())}, scale = ${r3(0.1 + 2 * rng.uniform())}${rng.uniform() < 0.5 ? ", posterior.scale = 'sd'" : ''})`;
  return `point(value = ${r3(0.2 + 1.5 * rng.uniform())})`;
}

function bern(rng: Rng, size: number, p: number): number {
  let s = 0;
  for (let k = 0; k < size; k++) if (rng.uniform() < p) s++;
  return s;
}
function pois(rng: Rng, mu: number): number {
  const u = rng.uniform();
  let k = 0, pk = Math.exp(-mu), cdf = pk;
  while (u > cdf && k < 10000) { k++; pk *= mu / k; cdf += pk; }
  return k;
}

function randomCase(rng: Rng, index: number): RandomBlmeCase {
  for (;;) {
    const shape = SHAPES[rng.int(SHAPES.length)];
    const kind = rng.uniform();
    const family: RandomBlmeCase['family'] = kind < 0.6 ? null : kind < 0.82 ? 'binomial' : 'poisson';
    const glmm = family !== null;
    const reml = !glmm && rng.uniform() < 0.5;
    const G = 4 + rng.int(glmm ? 14 : 9);
    const H = shape.h === 'nested' ? 2 + rng.int(2) : shape.h === 'crossed' ? 3 + rng.int(5) : 1;
    const cells = shape.h === 'nested' ? G * H : G;
    const perCell = (glmm ? 5 : 2) + rng.int(glmm ? 10 : 6);
    const sizes = Array.from({ length: cells }, () => Math.max(1, perCell + rng.int(5) - 2));
    const n = sizes.reduce((s, k) => s + k, 0);
    const reCount = (shape.name.includes('slope') ? 2 * G : G) + (shape.h === 'nested' ? G * H : shape.h === 'crossed' ? H : 0);
    if (n <= reCount + 3) continue;
    const x = new Float64Array(n), g = new Int32Array(n), h = new Int32Array(n);
    let row = 0;
    for (let c = 0; c < cells; c++) {
      for (let k = 0; k < sizes[c]; k++, row++) {
        g[row] = shape.h === 'nested' ? Math.floor(c / H) : c;
        h[row] = shape.h === 'nested' ? c % H : shape.h === 'crossed' ? rng.int(H) : 0;
        x[row] = rng.normal();
      }
    }
    if (new Set(h).size < H) continue;
    const eta = new Float64Array(n);
    const b0 = glmm ? (family === 'poisson' ? 0.8 + 0.5 * rng.normal() : 0.6 * rng.normal()) : rng.normal();
    const b1 = 0.5 * rng.normal();
    for (let i = 0; i < n; i++) eta[i] = b0 + b1 * x[i];
    const singularity = 0.1 + 0.2 * rng.uniform();
    const LG = randomCovFactor(rng, 2, singularity, COV);
    for (let lev = 0; lev < G; lev++) {
      const b = drawEffects(rng, LG, 2);
      for (let i = 0; i < n; i++) if (g[i] === lev) eta[i] += b[0] + b[1] * x[i];
    }
    const sdH = rng.uniform() < singularity ? 0 : Math.exp(-0.5 + 0.6 * rng.normal());
    const bh = Float64Array.from({ length: G * H }, () => sdH * rng.normal());
    for (let i = 0; i < n; i++) eta[i] += bh[shape.h === 'nested' ? g[i] * H + h[i] : h[i]];

    const hLabel = (i: number) => `H${pad(h[i], 2)}`;
    const lines: string[] = [];
    let lhs = 'y';
    if (!glmm) {
      const sigma = 0.3 + rng.uniform();
      lines.push('y,x,g,h');
      for (let i = 0; i < n; i++) lines.push([num(eta[i] + sigma * rng.normal()), num(x[i]), `G${pad(g[i], 2)}`, hLabel(i)].join(','));
    } else if (family === 'poisson') {
      lines.push('y,x,g,h');
      let total = 0;
      for (let i = 0; i < n; i++) {
        const yi = pois(rng, Math.exp(Math.min(eta[i], 5)));
        total += yi;
        lines.push([String(yi), num(x[i]), `G${pad(g[i], 2)}`, hLabel(i)].join(','));
      }
      if (total < 10) continue;
    } else {
      const cb = rng.uniform() < 0.6;
      lhs = cb ? 'cbind(s, f)' : 'y';
      lines.push(cb ? 's,f,x,g,h' : 'y,x,g,h');
      let total = 0, max = 0;
      for (let i = 0; i < n; i++) {
        const size = cb ? 1 + rng.int(12) : 1;
        const s = bern(rng, size, 1 / (1 + Math.exp(-eta[i])));
        total += s; max += size;
        lines.push([...(cb ? [String(s), String(size - s)] : [String(s)]), num(x[i]), `G${pad(g[i], 2)}`, hLabel(i)].join(','));
      }
      if (total < 8 || max - total < 8) continue;
    }
    const cov = covPrior(rng, shape, glmm);
    const fixef = fixefPrior(rng, reml, glmm);
    const resid = glmm ? null : residPrior(rng);
    return {
      name: `b${pad(index + 1, 3)}`, formula: `${lhs} ~ x + ${shape.re}`, reml, family, cov, fixef, resid,
      shape: shape.name, csv: lines.join('\n') + '\n', nobs: n,
    };
  }
}

/** `count` random cases from `seed` (deterministic). */
export function generateRandomBlmeCases(seed = RANDOM_BLME_SEED, count = RANDOM_BLME_COUNT): RandomBlmeCase[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, k) => randomCase(rng, k));
}
