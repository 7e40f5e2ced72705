/**
 * Seeded generator of small random linear mixed models (data + formula + REML/ML) for the randomized
 * comparison of our optimum against lme4's (issue 9, item 16; test/randomModels.test.ts).
 *
 * Each case draws a formula from a list of lme4 model shapes — random intercepts, slopes, correlated
 * and uncorrelated (`||`) terms, several terms on one factor, nested (`g/h`, `g:h`) and crossed
 * factors, factors as random-effects terms (`0 + a | g`, `a | g`) — and data from that model with
 * random variance components, some of them zero or tiny and some correlations near ±1, so that a
 * good share of the fits are singular or nearly so; covariates sometimes carry a large mean (years)
 * and responses a large or small scale. Sizes are small (a few dozen to ~150 rows) so that ≥ 200
 * fits stay within seconds, and satisfy lme4's checks (more observations than random effects and
 * than levels of any grouping factor; every level of a fixed-effects factor present).
 *
 * Values are rounded to 6 significant digits and written as CSV text; R and our tests read the
 * same text. The generator is deterministic: the same seed and count give byte-identical files
 * (test/randomModels.test.ts checks the committed fixtures against a fresh generation).
 *
 *   npx vite-node test/oracle/exportRandomModels.ts   # writes test/fixtures/random-lmm/
 *   Rscript test/oracle/random_models.R               # lme4's objectives → test/fixtures/random-lmm/lme4.json
 */
import { Rng } from '../../bench/synth.js';

export interface RandomCase {
  /** `r001` … */
  name: string;
  formula: string;
  reml: boolean;
  /** the model shape the formula came from */
  shape: string;
  /** CSV text: header y,x,z,a,g,h (the columns a formula does not use are still there) */
  csv: string;
  nobs: number;
}

/** Default seed and number of cases of the committed fixtures. */
export const RANDOM_MODELS_SEED = 20261204;
export const RANDOM_MODELS_COUNT = 240;

interface Shape {
  name: string;
  formula: string;
  /** what the data must have */
  needs: { h?: 'nested' | 'crossed'; a?: boolean };
  /** number of random effects per level of each grouping factor (g, h, g:h, g:a …), for lme4's checks */
  reCount: (d: Dims) => number;
}

interface Dims {
  G: number;
  /** levels of h (crossed) or per g (nested) */
  H: number;
  /** levels of a */
  A: number;
  /** number of distinct g:h cells (nested: G·H) */
  GH: number;
}

const SHAPES: Shape[] = [
  { name: 'intercept', formula: 'y ~ x + (1 | g)', needs: {}, reCount: (d) => d.G },
  { name: 'slope', formula: 'y ~ x + (x | g)', needs: {}, reCount: (d) => 2 * d.G },
  { name: 'slope-uncorrelated', formula: 'y ~ x + (x || g)', needs: {}, reCount: (d) => 2 * d.G },
  { name: 'two-slopes', formula: 'y ~ x + z + (x + z | g)', needs: {}, reCount: (d) => 3 * d.G },
  { name: 'two-slopes-diag', formula: 'y ~ x + z + (1 | g) + (0 + x | g) + (0 + z | g)', needs: {}, reCount: (d) => 3 * d.G },
  { name: 'intercept-and-slope-terms', formula: 'y ~ x + (1 | g) + (0 + x | g)', needs: {}, reCount: (d) => 2 * d.G },
  { name: 'crossed', formula: 'y ~ x + (1 | g) + (1 | h)', needs: { h: 'crossed' }, reCount: (d) => d.G + d.H },
  { name: 'crossed-slope', formula: 'y ~ x + (x | g) + (1 | h)', needs: { h: 'crossed' }, reCount: (d) => 2 * d.G + d.H },
  { name: 'crossed-two-slopes', formula: 'y ~ x + (x | g) + (x | h)', needs: { h: 'crossed' }, reCount: (d) => 2 * d.G + 2 * d.H },
  { name: 'nested', formula: 'y ~ x + (1 | g/h)', needs: { h: 'nested' }, reCount: (d) => d.G + d.GH },
  { name: 'nested-slope', formula: 'y ~ x + (x | g) + (1 | g:h)', needs: { h: 'nested' }, reCount: (d) => 2 * d.G + d.GH },
  { name: 'factor-term', formula: 'y ~ x + (0 + a | g)', needs: { a: true }, reCount: (d) => d.A * d.G },
  { name: 'factor-slope', formula: 'y ~ a + (a | g)', needs: { a: true }, reCount: (d) => d.A * d.G },
  { name: 'factor-interaction', formula: 'y ~ a + (1 | g) + (1 | g:a)', needs: { a: true }, reCount: (d) => d.G + d.G * d.A },
  { name: 'factor-nested-cells', formula: 'y ~ 1 + (0 + a | g:h)', needs: { a: true, h: 'nested' }, reCount: (d) => d.A * d.GH },
  { name: 'factor-crossed', formula: 'y ~ a + x + (0 + a | g) + (1 | h)', needs: { a: true, h: 'crossed' }, reCount: (d) => d.A * d.G + d.H },
];

/** `x` rounded to 6 significant digits, as the shortest decimal text that reads back to it. */
function num(v: number): string {
  return String(Number(v.toPrecision(6)));
}

function pad(k: number, width: number): string {
  return String(k).padStart(width, '0');
}

/**
 * How randomCovFactor draws the standard deviations: a zero with probability `singularity`, a tiny
 * one (uniform below `tiny`) with probability 0.1, else exp(N(logMean, logSd²)); the slopes' (rows
 * after the first) then times `slopeScale`.
 */
export interface CovDraw { tiny: number; logMean: number; logSd: number; slopeScale: number }

/** This generator's draws: SDs with zeros and extremes. */
const LMM_COV: CovDraw = { tiny: 0.02, logMean: -0.3, logSd: 0.8, slopeScale: 1 };

/** A random lower-triangular Cholesky factor of a q×q covariance: SDs as `draw` says, correlations near ±1 sometimes. */
export function randomCovFactor(rng: Rng, q: number, singularity: number, draw: CovDraw = LMM_COV): Float64Array {
  const sd = new Float64Array(q);
  for (let i = 0; i < q; i++) {
    const u = rng.uniform();
    sd[i] = u < singularity ? 0 : u < singularity + 0.1 ? draw.tiny * rng.uniform() : Math.exp(rng.normal() * draw.logSd + draw.logMean);
  }
  if (draw.slopeScale !== 1) for (let i = 1; i < q; i++) sd[i] *= draw.slopeScale;
  // correlation factor: random unit rows (Cholesky of a correlation matrix), sometimes nearly rank one
  const R = new Float64Array(q * q);
  const rankOne = rng.uniform() < 0.2;
  for (let i = 0; i < q; i++) {
    let norm = 0;
    for (let j = 0; j <= i; j++) {
      const v = j === 0 ? 1 + (rankOne ? 30 : 0) * rng.uniform() : rng.normal();
      R[i * q + j] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    for (let j = 0; j <= i; j++) R[i * q + j] /= norm;
  }
  const L = new Float64Array(q * q);
  for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) L[i * q + j] = sd[i] * R[i * q + j];
  return L;
}

/** Draws b = L u for one level. */
export function drawEffects(rng: Rng, L: Float64Array, q: number): Float64Array {
  const u = Float64Array.from({ length: q }, () => rng.normal());
  const b = new Float64Array(q);
  for (let i = 0; i < q; i++) for (let j = 0; j <= i; j++) b[i] += L[i * q + j] * u[j];
  return b;
}

/** One random case. */
function randomCase(rng: Rng, index: number): RandomCase {
  for (;;) {
    const shape = SHAPES[rng.int(SHAPES.length)];
    const reml = rng.uniform() < 0.5;
    const G = 3 + rng.int(10);
    const A = shape.needs.a ? 2 + rng.int(3) : 1;
    const H = shape.needs.h === 'nested' ? 2 + rng.int(2) : shape.needs.h === 'crossed' ? 3 + rng.int(6) : 1;
    // rows: per g (nested: per g:h cell), unbalanced
    const cells = shape.needs.h === 'nested' ? G * H : G;
    const perCell = 2 + rng.int(7);
    const sizes = Array.from({ length: cells }, () => Math.max(1, perCell + rng.int(5) - 2));
    const n = sizes.reduce((s, k) => s + k, 0);
    const dims: Dims = { G, H, A, GH: shape.needs.h === 'nested' ? G * H : G * H };
    // lme4's checks (nobs > number of random effects, > levels of each factor) with a margin
    if (n <= shape.reCount(dims) + 2 || n < A + 3) continue;

    // covariates: x as days, a standard normal or a year with a large mean; z normal
    const xKind = rng.int(3);
    const x = new Float64Array(n);
    const z = new Float64Array(n);
    const g = new Int32Array(n);
    const h = new Int32Array(n);
    const a = new Int32Array(n);
    let row = 0;
    for (let c = 0; c < cells; c++) {
      for (let k = 0; k < sizes[c]; k++, row++) {
        g[row] = shape.needs.h === 'nested' ? Math.floor(c / H) : c;
        h[row] = shape.needs.h === 'nested' ? c % H : shape.needs.h === 'crossed' ? rng.int(H) : 0;
        a[row] = (row + rng.int(A)) % A;
        x[row] = xKind === 0 ? k : xKind === 1 ? rng.normal() : 2000 + k + rng.int(3);
        z[row] = rng.normal();
      }
    }
    // every level of a, h present
    const seenA = new Set(a);
    const seenH = new Set(h);
    if (seenA.size < A || seenH.size < H) continue;

    // effects: a block per grouping factor of the shape
    const scaleY = 10 ** (rng.uniform() * 4 - 2);
    const sigma = 0.2 + rng.uniform();
    const singularity = 0.15 + 0.3 * rng.uniform();
    const beta = [rng.normal(), rng.normal() * 0.5, rng.normal() * 0.5];
    const xs = Float64Array.from(x, (v) => (xKind === 2 ? v - 2000 : v));
    const eta = new Float64Array(n);
    for (let i = 0; i < n; i++) eta[i] = beta[0] + beta[1] * xs[i] + beta[2] * z[i] + 0.3 * a[i];
    // g: (1, x, z, a-indicators) with a random factor; h, g:h and g:a: an intercept and a slope on x
    const qG = 3 + A;
    const LG = randomCovFactor(rng, qG, singularity);
    for (let lev = 0; lev < G; lev++) {
      const b = drawEffects(rng, LG, qG);
      for (let i = 0; i < n; i++) if (g[i] === lev) eta[i] += b[0] + b[1] * xs[i] + b[2] * z[i] + b[3 + a[i]];
    }
    const LH = randomCovFactor(rng, 2, singularity);
    for (let lev = 0; lev < H; lev++) {
      const b = drawEffects(rng, LH, 2);
      for (let i = 0; i < n; i++) if (h[i] === lev) eta[i] += b[0] + b[1] * xs[i];
    }
    const LC = randomCovFactor(rng, 1 + A, singularity);
    for (let lev = 0; lev < G * H; lev++) {
      const b = drawEffects(rng, LC, 1 + A);
      for (let i = 0; i < n; i++) if (g[i] * H + h[i] === lev) eta[i] += b[0] + b[1 + a[i]];
    }
    const sdGA = rng.uniform() < singularity ? 0 : rng.uniform();
    const ga = Float64Array.from({ length: G * A }, () => sdGA * rng.normal());
    for (let i = 0; i < n; i++) eta[i] += ga[g[i] * A + a[i]];

    const lines = ['y,x,z,a,g,h'];
    const hLabel = (i: number): string => (shape.needs.h === 'nested' ? `H${pad(h[i], 1)}` : `H${pad(h[i], 2)}`);
    for (let i = 0; i < n; i++) {
      const y = scaleY * (eta[i] + sigma * rng.normal());
      lines.push([num(y), num(x[i]), num(z[i]), `A${a[i]}`, `G${pad(g[i], 2)}`, hLabel(i)].join(','));
    }
    return { name: `r${pad(index + 1, 3)}`, formula: shape.formula, reml, shape: shape.name, csv: lines.join('\n') + '\n', nobs: n };
  }
}

/** `count` random cases from `seed` (deterministic). */
export function generateRandomCases(seed = RANDOM_MODELS_SEED, count = RANDOM_MODELS_COUNT): RandomCase[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, k) => randomCase(rng, k));
}
