/**
 * Seeded generator of small random linear mixed models with factor covariates, for the randomized
 * comparison of our inference with lmerTest / pbkrtest / lme4's confint
 * (test/inference/randomInference.test.ts).
 *
 * Unlike test/oracle/randomModels.ts (whose fixed part is `x` or one factor: it tests the
 * optimizer), the fixed parts here are what type III anova and ddf are about: a between-group factor
 * B (constant within a level of g), a within-group factor W, a within-group covariate x and a
 * between-group covariate c, with interactions (B * x, B * W, W * x, B * W * x, B + B:x, 0 + B + x).
 * The random parts: (1 | g), (x | g), (x || g), crossed (1 | g) + (1 | h), (x | g) + (1 | h), and
 * (1 | g) + (1 | g:W). Groups are unbalanced (1 to 11 rows), W's levels are drawn per row (so a
 * B × W cell is sometimes empty: a rank-deficient X that lme4 and lmerTest reduce), variance
 * components are sometimes zero (singular fits), x is sometimes a year (a large mean).
 *
 * Values are rounded to 6 significant digits and written as CSV text, which R and the tests read.
 *
 *   npx vite-node test/oracle/exportRandomInference.ts   # writes test/fixtures/random-inference/
 *   Rscript test/oracle/random_inference.R               # → test/fixtures/random-inference/r.json
 */
import { Rng } from '../../bench/synth.js';

export interface InferenceRandomCase {
  /** `i001` … */
  name: string;
  formula: string;
  reml: boolean;
  /** also compare profile intervals (slower: a subset of the cases) */
  profile: boolean;
  /** CSV text: header y,x,c,B,W,g,h */
  csv: string;
  nobs: number;
}

export const RANDOM_INFERENCE_SEED = 20260711;
export const RANDOM_INFERENCE_COUNT = 160;

const FIXED = ['B * x', 'B * W', 'B + W + x', 'W * x', 'B * W + x', 'x + c', 'B * W * x', '0 + B + x', 'B + B:x', 'c * W'];
const RANDOM: { re: string; h: boolean; perG: (kw: number) => number }[] = [
  { re: '(1 | g)', h: false, perG: () => 1 },
  { re: '(x | g)', h: false, perG: () => 2 },
  { re: '(x || g)', h: false, perG: () => 2 },
  { re: '(1 | g) + (1 | h)', h: true, perG: () => 1 },
  { re: '(x | g) + (1 | h)', h: true, perG: () => 2 },
  { re: '(1 | g) + (1 | g:W)', h: false, perG: (kw) => 1 + kw },
];

function num(v: number): string {
  return String(Number(v.toPrecision(6)));
}
const pad2 = (k: number) => String(k).padStart(2, '0');

function randomCase(rng: Rng, index: number): InferenceRandomCase {
  for (;;) {
    const fixed = FIXED[rng.int(FIXED.length)];
    const rand = RANDOM[rng.int(RANDOM.length)];
    const reml = rng.uniform() < 0.7;
    const KB = 2 + rng.int(2);
    const KW = 2 + rng.int(2);
    const G = 2 * KB + rng.int(9);
    const H = 3 + rng.int(5);
    const base = 2 + rng.int(7);
    const sizes = Array.from({ length: G }, () => Math.max(1, base + rng.int(7) - 3));
    const n = sizes.reduce((s, k) => s + k, 0);
    if (n <= G * rand.perG(KW) + (rand.h ? H : 0) + 2) continue;
    const xKind = rng.int(3);
    // per-group: B level (balanced over groups, in a random order), c, random effects
    const bOf = Array.from({ length: G }, (_, g) => g % KB);
    for (let i = G - 1; i > 0; i--) { const j = rng.int(i + 1); [bOf[i], bOf[j]] = [bOf[j], bOf[i]]; }
    const cOf = Array.from({ length: G }, () => rng.normal());
    const sd = () => (rng.uniform() < 0.18 ? 0 : Math.exp(rng.normal() * 0.7 - 0.3));
    const sdG0 = sd(), sdG1 = sd() * 0.5, rho = rng.uniform() * 1.6 - 0.8, sdH = sd(), sdGW = sd();
    const sigma = 0.3 + rng.uniform();
    const scaleY = 10 ** (rng.uniform() * 3 - 1);
    const beta = Array.from({ length: 12 }, () => rng.normal() * (rng.uniform() < 0.3 ? 0 : 0.6));
    const hEff = Array.from({ length: H }, () => sdH * rng.normal());
    const lines = ['y,x,c,B,W,g,h'];
    const seenW = new Set<number>(), seenH = new Set<number>();
    for (let g = 0; g < G; g++) {
      const u0 = rng.normal(), u1 = rng.normal();
      const b0 = sdG0 * u0, b1 = sdG1 * (rho * u0 + Math.sqrt(1 - rho * rho) * u1);
      const gw = Array.from({ length: KW }, () => sdGW * rng.normal());
      for (let k = 0; k < sizes[g]; k++) {
        const w = rng.int(KW), h = rng.int(H);
        seenW.add(w); seenH.add(h);
        const xv = xKind === 0 ? k : xKind === 1 ? rng.normal() : 2000 + k + rng.int(3);
        const xs = xKind === 2 ? xv - 2000 : xv;
        const b = bOf[g];
        let eta = beta[0] + beta[1] * xs + 0.8 * beta[2] * b + 0.8 * beta[3] * w + beta[4] * b * xs + beta[5] * w * xs
          + 0.5 * beta[6] * b * w + beta[7] * cOf[g] + beta[8] * cOf[g] * w;
        eta += b0 + b1 * xs + (rand.h ? hEff[h] : 0) + (rand.re.includes('g:W') ? gw[w] : 0);
        const y = scaleY * (eta + sigma * rng.normal());
        lines.push([num(y), num(xv), num(cOf[g]), `b${b + 1}`, `w${w + 1}`, `G${pad2(g + 1)}`, `H${pad2(h + 1)}`].join(','));
      }
    }
    if (seenW.size < KW || seenH.size < H) continue;
    return {
      name: `i${String(index + 1).padStart(3, '0')}`,
      formula: `y ~ ${fixed} + ${rand.re}`,
      reml,
      profile: index % 8 === 3,
      csv: lines.join('\n') + '\n',
      nobs: n,
    };
  }
}

export function generateInferenceCases(seed = RANDOM_INFERENCE_SEED, count = RANDOM_INFERENCE_COUNT): InferenceRandomCase[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, k) => randomCase(rng, k));
}
