/**
 * Seeded generator of small random datasets and formulas that stress the fixed-effects side of the
 * model frame (R's model.frame / model.matrix as lme4's lFormula calls them) and `predict`, for the
 * differential audit against lme4 (test/randomFrames.test.ts; lme4's answers from
 * test/oracle/random_frames.R).
 *
 * What varies:
 *  - formulas: hand-picked templates (`a*b`, `a:b` without main effects, `a + a:b`, `a:b + b:c`,
 *    `(a+b+x)^2`, `0 +` / `-1` with one or several factors, `I(x^2)`, `log(z)`, `offset()`, a
 *    numeric code given as a factor through `factors`, collinear covariates, `a*b - a`, `a/b`, …)
 *    and random "term soups" that mix main effects, interactions, powers, removals and the intercept
 *    flag, each with a simple random part ((1 | g), (x | g), (1 | g) + (1 | h));
 *  - factors: character columns whose levels appear in non-alphabetical order in the data
 *    (`a10` before `a9`, `a_b`, `é`, upper and lower case; numeric codes 3, 10, 7 sorted
 *    numerically), a level present only in rows dropped for a missing response (so absent from the
 *    fit), some cases in R's C locale (`B` before `a`: read with `levelOrder: 'C'`), and some passed
 *    as Arrow dictionaries with unused entries in a shuffled dictionary;
 *  - rank deficiency: an empty a × b cell, b aliased with a (a function of it), an exactly
 *    collinear integer covariate (d2 = 3 − 2d);
 *  - missing values (`NA`) in the response, covariates, the offset, factors and the grouping
 *    factor; z ≤ 0 in a few rows (log(z) is NaN there: missing); a variable only in a removed term
 *    (`- w`: R's model frame still drops its missing rows); b left with one level (an error);
 *  - random parts with factors: (0 + a | g), (1 | g) + (0 + b | g), (1 | g) + (1 | g:b);
 *  - the intercept set twice (`0 + … + 1`, `… - 0`), and the integer covariate d read as a factor.
 * Each case carries a small new-data table for predict: levels seen in the fit, one or two rows of
 * a new group level, sometimes a missing covariate.
 *
 * The generator is deterministic (same seed and count → byte-identical text). The data are not
 * committed: test/fixtures/random-frame/cases.json keeps each case's formula, options and the
 * SHA-256 of its CSV texts, and the test regenerates them.
 *
 *   npx vite-node test/oracle/exportRandomFrames.ts /tmp/random-frame  # cases.json + the CSVs for R
 *   Rscript test/oracle/random_frames.R /tmp/random-frame             # → test/fixtures/random-frame/lme4.json
 */
import { Rng } from '../../bench/synth.js';

export interface FrameCase {
  /** `f001` … */
  name: string;
  formula: string;
  reml: boolean;
  /** numeric columns read as factors (R: `factor()` before the fit) */
  factors: string[];
  /** 'C': levels in code-point order (R in the C locale); 'locale': R's ICU collation (readCsv's default) */
  levelOrder: 'locale' | 'C';
  /** the test passes a and b as Arrow dictionaries with unused entries, in a shuffled dictionary order */
  dictionary: boolean;
  /** which template (or 'soup') the formula came from */
  shape: string;
  /** CSV text: y,x,z,w,d,d2,a,b,c,k,g,h; `NA` for a missing value */
  csv: string;
  /** new data for predict (the same columns without y) */
  newdata: string;
}

export const RANDOM_FRAMES_SEED = 20270311;
export const RANDOM_FRAMES_COUNT = 200;

interface Template {
  shape: string;
  fixed: string;
  /** data features the template wants */
  wants?: { aliased?: boolean; emptyCell?: boolean };
}

const TEMPLATES: Template[] = [
  { shape: 'a', fixed: 'a' },
  { shape: 'a*b', fixed: 'a * b' },
  { shape: 'a*b-empty', fixed: 'a * b', wants: { emptyCell: true } },
  { shape: 'a:b', fixed: 'a:b' },
  { shape: 'a:b-empty', fixed: 'a:b', wants: { emptyCell: true } },
  { shape: 'a*x', fixed: 'a * x' },
  { shape: 'x*a', fixed: 'x * a' },
  { shape: '(a+b+x)^2', fixed: '(a + b + x)^2' },
  { shape: 'a+a:b', fixed: 'a + a:b' },
  { shape: 'a/b', fixed: 'a/b' },
  { shape: 'a:b+b:c', fixed: 'a:b + b:c' },
  { shape: 'a:b+a:c', fixed: 'a:b + a:c' },
  { shape: 'x+a:b', fixed: 'x + a:b' },
  { shape: 'a+b:x', fixed: 'a + b:x' },
  { shape: '0+a', fixed: '0 + a' },
  { shape: '0+a+b', fixed: '0 + a + b' },
  { shape: '-1+a*b', fixed: 'a * b - 1' },
  { shape: '0+x+a', fixed: '0 + x + a' },
  { shape: '0+x:a+b', fixed: '0 + x:a + b' },
  { shape: '0+a:b', fixed: '0 + a:b' },
  { shape: '0+b:a+c', fixed: '0 + b:a + c' },
  { shape: 'I(x^2)', fixed: 'x + I(x^2)' },
  { shape: 'log(z)', fixed: 'log(z) + a' },
  { shape: 'offset(w)', fixed: 'x + offset(w)' },
  { shape: 'offset(log(z))', fixed: 'a + offset(log(z))' },
  { shape: 'k', fixed: 'k + x' },
  { shape: 'k*a', fixed: 'k * a' },
  { shape: 'collinear', fixed: 'a + d + d2' },
  { shape: 'aliased', fixed: 'a + b', wants: { aliased: true } },
  { shape: 'aliased*', fixed: 'a * b + x', wants: { aliased: true } },
  { shape: 'a*b-a', fixed: 'a * b - a' },
  { shape: '(a+b)^2-a:b', fixed: '(a + b)^2 - a:b' },
  { shape: 'x:z', fixed: 'x:z + a' },
  { shape: 'I(x*z)', fixed: 'I(x * z) + x' },
  { shape: 'a*b+c', fixed: 'a * b + c' },
  { shape: 'intercept', fixed: '1' },
  { shape: 'scale(x)', fixed: 'scale(x) + a' },
];

/** the pieces of a random term soup */
const SOUP = ['a', 'b', 'c', 'x', 'k', 'd', 'a:b', 'b:a', 'b:c', 'a:c', 'a:x', 'x:b', 'c:x', 'a*b', 'a*x', 'b*c', 'x*c', '(a+b)^2', '(a+x+c)^2', 'I(x^2)', 'log(z)', 'a/b', 'a:b:c', 'k:x'];

const RANDOM_PARTS = ['(1 | g)', '(1 | g)', '(1 | g)', '(x | g)', '(1 | g) + (1 | h)', '(d | g)', '(0 + a | g)', '(1 | g) + (1 | g:b)', '(1 | g) + (0 + b | g)'];

/** level names: R's sort() with ICU (a < A < b < B, `a_b` < `a10` < `a9`, `e` < `é`) or in the C locale (B < a) */
const LOCALE = { a: ['q', 'p', 'B', 'a10', 'a9', 'a_b', 'é', 'r'], b: ['v', 'U', 'u', 'w', 't'], c: ['n', 'K', 'k', 'm'] };
const C_ORDER = { a: ['q', 'B', 'a', 'Ab', 'c', 'a-c'], b: ['v', 'U', 'u', 'W'], c: ['n', 'K', 'k'] };
/**
 * numeric codes read as factors (`factors`): integers (R reads an integer column) or, in some
 * cases, decimals and integers past 2³¹ (a double column). Not values that R's as.character writes
 * in scientific notation (1e5, 3e9, 1e-4 in a double column: levels `1e+05`, `3e+09`, `1e-04`,
 * which we label 100000, 3000000000, 0.0001 — a known difference in the labels only)
 */
const CODES = [3, 10, 7, 1, 25, 100];
const DECIMAL_CODES = [0.5, 2.25, 10, 123456, 3000000001, 0.001, -1.5];

/** `v` rounded to 6 significant digits, as the shortest decimal text that reads back to it. */
function num(v: number): string {
  return String(Number(v.toPrecision(6)));
}

function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[rng.int(xs.length)];
}

/** `k` distinct entries of `xs` in random order. */
function sample<T>(rng: Rng, xs: readonly T[], k: number): T[] {
  const pool = [...xs];
  const out: T[] = [];
  for (let i = 0; i < k; i++) out.push(pool.splice(rng.int(pool.length), 1)[0]);
  return out;
}

function soupFormula(rng: Rng): string {
  const k = 1 + rng.int(3);
  const parts = sample(rng, SOUP, k);
  let rhs = parts.join(' + ');
  const u = rng.uniform();
  if (u < 0.2) rhs = `0 + ${rhs}`;
  else if (u < 0.3) rhs = `${rhs} - 1`;
  else if (u < 0.4 && parts.some((p) => p.includes('*') || p.includes('^'))) {
    // remove a main effect the expansion added
    rhs = `${rhs} - ${pick(rng, ['a', 'b', 'c', 'x'])}`;
  } else if (u < 0.45) {
    // the intercept flag set twice: the last one counts (`- 0` keeps the intercept)
    rhs = pick(rng, [`0 + ${rhs} + 1`, `1 + ${rhs} + 0`, `${rhs} - 0`, `${rhs} - 1 + 1`]);
  } else if (u < 0.5) {
    // a variable only in a removed term: no column, but na.omit drops its missing rows
    rhs = `${rhs} - ${pick(rng, ['z', 'w', 'log(z)'])}`;
  }
  return rhs;
}

function pad(k: number): string {
  return String(k).padStart(3, '0');
}

function randomCase(rng: Rng, index: number): FrameCase {
  const soup = rng.uniform() < 0.35;
  const template = soup ? null : pick(rng, TEMPLATES);
  const fixed = template ? template.fixed : soupFormula(rng);
  const wants = template?.wants ?? {};
  const random = pick(rng, RANDOM_PARTS);
  const formula = `y ~ ${fixed} + ${random}`;
  const reml = rng.uniform() < 0.6;
  const cOrder = rng.uniform() < 0.2;
  const dictionary = !cOrder && rng.uniform() < 0.2;
  const pool = cOrder ? C_ORDER : LOCALE;

  const A = 2 + rng.int(3);
  const B = 2 + rng.int(2);
  const C = 2 + rng.int(2);
  const K = 2 + rng.int(3);
  const aLev = sample(rng, pool.a, A);
  const bLev = sample(rng, pool.b, B);
  const cLev = sample(rng, pool.c, C);
  const kLev = sample(rng, rng.uniform() < 0.25 ? DECIMAL_CODES : CODES, K);
  // d (an integer covariate 0–9) read as a factor too, in some cases (not with (d | g): 55 θ)
  const factors = rng.uniform() < 0.3 && !random.includes('(d |') ? ['k', 'd'] : ['k'];
  // z ≤ 0 in some rows (log(z): NaN, a missing value to na.omit)
  const zNegative = rng.uniform() < 0.1 ? 0.05 : 0;
  const G = 4 + rng.int(6);
  const H = 3 + rng.int(3);
  const n = 50 + rng.int(90);
  const aliased = wants.aliased === true;
  const emptyCell = wants.emptyCell === true || (!aliased && rng.uniform() < 0.1);
  // a level of a present only in rows whose response is missing
  const droppedLevel = rng.uniform() < 0.3;
  const naRate = rng.uniform() < 0.5 ? 0 : 0.02 + 0.05 * rng.uniform();
  // b's last level only in rows whose response is missing: one level left (R and we refuse)
  const oneLevelB = rng.uniform() < 0.04;

  // effects
  const ea = aLev.map(() => rng.normal());
  const eb = bLev.map(() => rng.normal());
  const ec = cLev.map(() => 0.5 * rng.normal());
  const eab = aLev.map(() => bLev.map(() => 0.5 * rng.normal()));
  const ek = kLev.map(() => rng.normal());
  const ug = Array.from({ length: G }, () => rng.normal() * (rng.uniform() < 0.15 ? 0 : 0.8));
  const uh = Array.from({ length: H }, () => rng.normal() * 0.5);
  const sg = Array.from({ length: G }, () => rng.normal() * 0.3);
  const scaleY = 10 ** (rng.uniform() * 3 - 1);
  const sigma = 0.3 + rng.uniform();

  interface Row { y: number; x: number; z: number; w: number; d: number; a: number; b: number; c: number; k: number; g: number; h: number }
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.int(A);
    let b = aliased ? (a * 7 + 1) % B : rng.int(B);
    // the empty cell: (level 1 of a, level 0 of b) → another b
    if (emptyCell && a === 1 % A && b === 0) b = 1;
    const x = rng.normal();
    const z = rng.uniform() < zNegative ? -rng.uniform() : Math.exp(0.5 * rng.normal());
    const w = 0.3 * rng.normal();
    const d = rng.int(10);
    const c = rng.int(C), k = rng.int(K), g = rng.int(G), h = rng.int(H);
    const eta = 1 + 0.7 * x + ea[a] + eb[b] + ec[c] + eab[a][b] + ek[k] + 0.2 * d + 0.4 * Math.log(Math.abs(z)) + w + ug[g] + uh[h] + sg[g] * x;
    rows.push({ y: scaleY * (eta + sigma * rng.normal()), x, z, w, d, a, b, c, k, g, h });
  }
  // every level of every factor drawn at least once (before the missing values): re-draw otherwise
  for (const [key, L] of [['a', A], ['b', B], ['c', C], ['k', K], ['g', G], ['h', H]] as const) {
    const seen = new Set(rows.map((r) => r[key]));
    if (seen.size < L) return randomCase(rng, index);
  }

  const NA = 'NA';
  const header = 'y,x,z,w,d,d2,a,b,c,k,g,h';
  const lines = [header];
  const missing = () => naRate > 0 && rng.uniform() < naRate;
  const complete: Row[] = [];
  for (const r of rows) {
    const fields = [
      missing() || (oneLevelB && r.b === B - 1) ? NA : num(r.y),
      missing() ? NA : num(r.x),
      missing() ? NA : num(r.z),
      missing() ? NA : num(r.w),
      String(r.d),
      String(3 - 2 * r.d),
      missing() ? NA : aLev[r.a],
      bLev[r.b],
      cLev[r.c],
      missing() ? NA : String(kLev[r.k]),
      missing() ? NA : `g${r.g + 1}`,
      `h${r.h + 1}`,
    ];
    if (!fields.includes(NA)) complete.push(r);
    lines.push(fields.join(','));
  }
  if (droppedLevel) {
    // `a0` would sort first (the reference level) were it kept; numeric code 0 likewise
    const extra = 1 + rng.int(2);
    for (let e = 0; e < extra; e++) {
      const at = 1 + rng.int(lines.length - 1);
      lines.splice(at, 0, [NA, num(rng.normal()), num(1 + rng.uniform()), '0', '1', '1', cOrder ? 'A0' : 'a0', bLev[0], cLev[0], '0', 'g1', 'h1'].join(','));
    }
  }

  // new data: complete rows' factor levels, new covariate values, a new group level
  const nd = ['x,z,w,d,d2,a,b,c,k,g,h'];
  const m = 5 + rng.int(3);
  for (let j = 0; j < m && complete.length > 0; j++) {
    const r = pick(rng, complete);
    // d: a value of the fit's rows where d is a factor (a new level is an error, in lme4 too)
    const d = factors.includes('d') ? r.d : rng.int(10);
    const newGroup = j === 1 || (j > 2 && rng.uniform() < 0.2);
    nd.push([
      j === m - 1 && rng.uniform() < 0.4 ? NA : num(rng.normal()),
      num(Math.exp(0.5 * rng.normal())),
      num(0.3 * rng.normal()),
      String(d),
      String(3 - 2 * d),
      aLev[r.a],
      bLev[r.b],
      cLev[r.c],
      String(kLev[r.k]),
      newGroup ? 'gnew' : `g${r.g + 1}`,
      newGroup && rng.uniform() < 0.5 ? 'hnew' : `h${r.h + 1}`,
    ].join(','));
  }
  return {
    name: `f${pad(index + 1)}`,
    formula,
    reml,
    factors,
    levelOrder: cOrder ? 'C' : 'locale',
    dictionary,
    shape: template ? template.shape : 'soup',
    csv: lines.join('\n') + '\n',
    newdata: nd.join('\n') + '\n',
  };
}

/** `count` random cases from `seed` (deterministic). */
export function generateRandomFrames(seed = RANDOM_FRAMES_SEED, count = RANDOM_FRAMES_COUNT): FrameCase[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, k) => randomCase(rng, k));
}
