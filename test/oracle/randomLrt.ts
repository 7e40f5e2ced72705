/**
 * Seeded generator of small random nested lmer model sets (data + 2 or 3 formulas + REML/ML) for
 * the randomized comparison of our likelihood-ratio anova with lme4's anova(m0, m1, …)
 * (test/inference/randomLrt.test.ts).
 *
 * Each case draws a chain of nested models from CHAINS — a random slope added, a correlated slope
 * vs `||`, a fixed covariate or a factor term (`a`, `x * a`) added, a crossed (1 | h) added, the
 * intercept-only fixed part — and data from the largest model with random variance components,
 * each zero with probability 0.35 (then the bigger model's ML fit often sits on the boundary and its
 * deviance equals the smaller's: χ² = 0) and fixed effects zero with probability 0.3. Half of the
 * cases are REML fits, which anova refits by ML. The formulas are listed in a shuffled order (anova
 * sorts by npar). Sizes: 50 to ~400 rows, unbalanced groups.
 *
 * Values are rounded to 6 significant digits and written as CSV text (header y,x,z,a,g,h), which R
 * and the test read.
 *
 *   npx vite-node test/oracle/exportRandomLrt.ts   # writes test/fixtures/random-lrt/
 *   Rscript test/oracle/random_lrt.R               # → test/fixtures/random-lrt/lme4.json
 */
import { Rng } from '../../bench/synth.js';

export interface LrtRandomCase {
  /** `l001` … */
  name: string;
  /** the chain the formulas came from */
  chain: string;
  /** the formulas, in the order given to anova (not sorted by npar) */
  formulas: string[];
  reml: boolean;
  csv: string;
  nobs: number;
}

export const RANDOM_LRT_SEED = 20261205;
export const RANDOM_LRT_COUNT = 40;

const CHAINS: { name: string; formulas: string[]; h: boolean }[] = [
  { name: 'slope-then-fixed', formulas: ['y ~ x + (1 | g)', 'y ~ x + (x | g)', 'y ~ x + z + (x | g)'], h: false },
  { name: 'fixed-covariate', formulas: ['y ~ x + (1 | g)', 'y ~ x + z + (1 | g)'], h: false },
  { name: 'factor-term', formulas: ['y ~ x + (1 | g)', 'y ~ x + a + (1 | g)', 'y ~ x * a + (1 | g)'], h: false },
  { name: 'crossed-added', formulas: ['y ~ x + (1 | g)', 'y ~ x + (1 | g) + (1 | h)'], h: true },
  { name: 'uncorrelated-vs-correlated', formulas: ['y ~ x + (x || g)', 'y ~ x + (x | g)'], h: false },
  { name: 'intercept-only-up', formulas: ['y ~ 1 + (1 | g)', 'y ~ x + (1 | g)', 'y ~ x + (x || g)'], h: false },
  { name: 'crossed-slope', formulas: ['y ~ x + (x | g)', 'y ~ x + (x | g) + (1 | h)', 'y ~ x + z + (x | g) + (1 | h)'], h: true },
  { name: 'split-terms', formulas: ['y ~ x + (1 | g)', 'y ~ x + (1 | g) + (0 + x | g)', 'y ~ x + (x | g)'], h: false },
];

function num(v: number): string {
  return String(Number(v.toPrecision(6)));
}
const pad = (k: number, w: number) => String(k).padStart(w, '0');

function randomCase(rng: Rng, index: number): LrtRandomCase {
  const chain = CHAINS[index % CHAINS.length];
  for (;;) {
    const reml = rng.uniform() < 0.5;
    const G = 5 + rng.int(16);
    const H = 3 + rng.int(6);
    const A = 2 + rng.int(2);
    const perG = 3 + rng.int(16);
    const sizes = Array.from({ length: G }, () => Math.max(1, perG + rng.int(7) - 3));
    const n = sizes.reduce((s, k) => s + k, 0);
    if (n < 50 || n > 400 || n <= 2 * G + H + 2) continue;
    const xKind = rng.int(3);
    const sd = () => (rng.uniform() < 0.35 ? 0 : Math.exp(rng.normal() * 0.7 - 0.5));
    const sdG0 = sd(), sdG1 = sd() * 0.5, rho = rng.uniform() * 1.8 - 0.9, sdH = sd();
    const sigma = 0.3 + rng.uniform();
    const scaleY = 10 ** (rng.uniform() * 3 - 1);
    const beta = Array.from({ length: 6 }, () => (rng.uniform() < 0.3 ? 0 : rng.normal() * 0.4));
    const hEff = Array.from({ length: H }, () => sdH * rng.normal());
    const aEff = Array.from({ length: A }, () => beta[3] * rng.normal());
    const axEff = Array.from({ length: A }, () => beta[4] * rng.normal());
    const lines = ['y,x,z,a,g,h'];
    const seenA = new Set<number>(), seenH = new Set<number>();
    for (let g = 0; g < G; g++) {
      const u0 = rng.normal(), u1 = rng.normal();
      const b0 = sdG0 * u0, b1 = sdG1 * (rho * u0 + Math.sqrt(1 - rho * rho) * u1);
      for (let k = 0; k < sizes[g]; k++) {
        const a = rng.int(A), h = rng.int(H);
        seenA.add(a); seenH.add(h);
        const xv = xKind === 0 ? k : xKind === 1 ? rng.normal() : 2000 + k + rng.int(3);
        const xs = xKind === 2 ? xv - 2000 : xv;
        const z = rng.normal();
        const eta = beta[0] + beta[1] * xs + beta[2] * z + aEff[a] + axEff[a] * xs + b0 + b1 * xs + (chain.h ? hEff[h] : 0);
        const y = scaleY * (eta + sigma * rng.normal());
        lines.push([num(y), num(xv), num(z), `A${a}`, `G${pad(g, 2)}`, `H${pad(h, 2)}`].join(','));
      }
    }
    if (seenA.size < A || seenH.size < H) continue;
    // shuffled order: anova sorts by npar (a stable sort)
    const formulas = [...chain.formulas];
    for (let i = formulas.length - 1; i > 0; i--) { const j = rng.int(i + 1); [formulas[i], formulas[j]] = [formulas[j], formulas[i]]; }
    return { name: `l${pad(index + 1, 3)}`, chain: chain.name, formulas, reml, csv: lines.join('\n') + '\n', nobs: n };
  }
}

export function generateLrtCases(seed = RANDOM_LRT_SEED, count = RANDOM_LRT_COUNT): LrtRandomCase[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, k) => randomCase(rng, k));
}
