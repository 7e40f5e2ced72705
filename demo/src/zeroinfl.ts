/**
 * Worker side of glmmTMB fits (the library's zeroInflated): zero-inflated and hurdle count GLMMs
 * (glmmTMB's ziformula), beta (beta_family) and gaussian GLMMs, each with glmmTMB's dispformula. The fit
 * from the page's request, what the page shows of it (the conditional, zero-inflation and dispersion
 * models' coefficient tables, the random effects' variances, the dispersion, the criteria, the conditional
 * modes for the caterpillar, glmmTMB's summary printout), the observed and expected frequencies of the
 * counts 0 … k (a rootogram's numbers) or, for beta and gaussian, the response's histogram with the
 * expected number of rows per bin, and the predictions as CSV. Every number is the library's but the
 * expected frequencies, which are sums of the fitted model's probabilities over its rows:
 *   E[#{y = k}] = Σ_i P(y_i = k | p_i, μ_i, φ_i),
 *   zero-inflated:  P(0) = p + (1 − p) f(0; μ),   P(k > 0) = (1 − p) f(k; μ);
 *   hurdle:         P(0) = p,                     P(k > 0) = (1 − p) f(k; μ) / (1 − f(0; μ)),
 * f Poisson(μ), NB1(μ, φ) (glmmTMB's nbinom1: Var = μ(1 + φ), an NB of size μ/φ), NB2(μ, size φ)
 * (glmmTMB's nbinom2: Var = μ + μ²/φ) or the generalized Poisson (glmmTMB's genpois: θ = μ/√φ, λ = 1 − 1/√φ,
 * f(y) = θ (θ + λy)^(y−1) e^(−θ−λy) / y!, Var = μφ) or the Conway–Maxwell–Poisson (glmmTMB's compois:
 * f(y) = λ^y/(y!)^ν/Z(λ, ν), ν = 1/φ, λ solved from the mean μ by the library's compois.ts), with p, μ, φ the fit's per row (predict 'zprob', the
 * conditional model's μ = e^η at the conditional modes, the fit's disp: φ_i = exp(x_d,iᵀδ̂)); and per histogram bin
 *   E[#{lo ≤ y < hi}] = Σ_i F_i(hi) − F_i(lo),   F_i(x) = P(y_i < x),
 * F_i the row's distribution function: gaussian Φ((y − μ_i)/σ_i), σ_i² = φ_i; beta I_y(μ_i φ_i, (1 − μ_i) φ_i);
 * Gamma P(φ_i, φ_i y/μ_i) (shape φ_i, scale μ_i/φ_i); tweedie the compound Poisson–gamma sum
 *   F(y) = e^(−λ) + Σ_{N ≥ 1} e^(−λ) λ^N/N! · P(Nα, y/γ),  λ = μ^(2−p)/(φ(2−p)), α = (2−p)/(p−1), γ = φ(p−1)μ^(p−1);
 * binomial and betabinomial the proportion k/m of the row's m trials: F(x) = p·[x > 0] + (1 − p) Σ_{k/m < x} f(k),
 * f binomial C(m, k) μ^k (1 − μ)^(m−k) or beta-binomial C(m, k) B(k + μφ, m − k + (1 − μ)φ)/B(μφ, (1 − μ)φ).
 */
import type * as arrow from 'apache-arrow';
import { zeroInflated, parseFormula, type ZeroInflatedFit, type ZeroInflatedProgress } from '../../src/index.js';
import { dbinomLog, dpoisLog, lgamma, pnorm } from '../../src/glmm/rmath.js';
import { dnbinomMu } from '../../src/checks/scoringRules.js';
import { compoisLogLambda, compoisLogPmf } from '../../src/zeroinfl/compois.js';
import { incompleteBeta, incompleteGamma, lbeta } from '../../src/stats/distributions.js';
import { csv } from './dom.js';
import { modelChecksSetup } from './modelChecksRun.js';
import { PlacedError, formulaVariables, isZiFamily, placeError } from './fitting.js';
import type { FitRequest, RanefMsg, ZiFamilyChoice, ZiFrequencyRow, ZiHistogramBin, ZiResultMsg } from './protocol.js';
import { tmbCiSetup } from './tmbConfintRun.js';

/** the app's family choices of glmmTMB models, and the library's family of each */
export const ZI_FAMILY_OF: Record<ZiFamilyChoice, ZeroInflatedFit['family']> = {
  zi_poisson: 'poisson',
  zi_nbinom1: 'nbinom1',
  zi_nbinom2: 'nbinom2',
  hurdle_poisson: 'truncated_poisson',
  hurdle_nbinom1: 'truncated_nbinom1',
  hurdle_nbinom2: 'truncated_nbinom2',
  tmb_beta: 'beta_family',
  tmb_gaussian: 'gaussian',
  zi_genpois: 'genpois',
  hurdle_genpois: 'truncated_genpois',
  tmb_binomial: 'binomial',
  tmb_betabinomial: 'betabinomial',
  tmb_gamma: 'Gamma',
  tmb_tweedie: 'tweedie',
  zi_compois: 'compois',
  hurdle_compois: 'truncated_compois',
};

/** the choices whose response is a proportion of trials (cbind(s, f), 0/1, or a proportion with weights) */
export function isBinomialChoice(choice: string | undefined): boolean {
  return choice === 'tmb_binomial' || choice === 'tmb_betabinomial';
}
export type ZiChoice = ZiFamilyChoice;

/** a glmmTMB family choice (fitting.ts's rule) */
export const isZiChoice = isZiFamily;

/** the choice takes a zero-inflation (hurdle: zero) model: the count and binomial families, not beta_family, gaussian, Gamma, tweedie */
export function takesZiFormula(choice: string | undefined): boolean {
  return isZiChoice(choice) && !['tmb_beta', 'tmb_gaussian', 'tmb_gamma', 'tmb_tweedie'].includes(choice);
}

/** the choice takes a dispersion model: the families with a dispersion parameter (not the Poisson ones, not binomial) */
export function takesDispFormula(choice: string | undefined): boolean {
  return isZiChoice(choice) && choice !== 'zi_poisson' && choice !== 'hurdle_poisson' && choice !== 'tmb_binomial';
}

/** the zero model a choice starts with: '~ 0' (none) for binomial and betabinomial (glmmTMB's default), else '~ 1' */
export function defaultZiFormula(choice: string | undefined): string {
  return isBinomialChoice(choice) ? '~ 0' : '~ 1';
}

/** why the zero-inflation box does not apply to a choice (null where it does) */
export function ziFormulaUnavailable(choice: string | undefined): string | null {
  if (choice === 'tmb_beta') return 'No zero-inflation model for beta_family: a beta response lies strictly between 0 and 1, so it has no zeros to inflate (glmmTMB\'s ziformula ~ 0).';
  if (choice === 'tmb_gaussian') return 'No zero-inflation model for gaussian: a continuous response is exactly 0 with probability 0 (glmmTMB\'s ziformula ~ 0).';
  if (choice === 'tmb_gamma') return 'No zero-inflation model for Gamma: its response is strictly positive (glmmTMB\'s ziformula ~ 0).';
  if (choice === 'tmb_tweedie') return 'No zero-inflation model for tweedie: its zeros are part of the distribution, P(y = 0) = exp(−μ^(2−p)/(φ(2−p))) (ziformula ~ 0 here).';
  return null;
}

/** the largest count k with a bar of its own in the frequency plot (larger counts share the last bar, "> k") */
export const MAX_FREQUENCY_COUNT = 30;

/** what the one-sided formula boxes say of themselves: the zero-inflation and dispersion formulas */
const ONE_SIDED = {
  zi: { box: 'Zero-inflation formula', the: 'The zero-inflation formula', The: 'The zero-inflation model', model: 'the zero-inflation model', example: '~ 1 or ~ mined' },
  disp: { box: 'Dispersion formula', the: 'The dispersion formula', The: 'The dispersion model', model: 'the dispersion model', example: '~ 1 or ~ f' },
} as const;

/**
 * A one-sided formula box's error, if any ('~ 1', '~ x', '~ 0'; the zero model's may have random-effects
 * terms, '~ x + (1 | g)', the dispersion model's not), checked by the
 * library's parser with the response put before it (as the library reads it). The position is in the box's text.
 */
function oneSidedProblem(text: string, kind: keyof typeof ONE_SIDED, columns?: readonly string[]): { message: string; position: number } | null {
  const w = ONE_SIDED[kind];
  const t = text.trim();
  if (!t.startsWith('~')) return { message: `${w.the} is one-sided: it starts with ~ (such as ${w.example}).`, position: 0 };
  const prefix = 'y ';
  try {
    const f = parseFormula(prefix + t);
    // the zero model takes random-effects terms (glmmTMB's ziformula = ~ x + (1 | g)); the dispersion model does not
    if (kind === 'disp' && f.random.length > 0) return { message: `${w.The} takes fixed effects only here: ${f.random.map((r) => r.text).join(', ')} is a random-effects term.`, position: Math.max(0, text.indexOf('(')) };
    if (f.offsets.length > 0) return { message: `offset() terms are not available in ${w.model} here.`, position: Math.max(0, text.indexOf('offset')) };
    if (columns) {
      const unknown = [...formulaVariables(f, { response: false })].filter((v) => !columns.includes(v));
      if (unknown.length > 0) {
        const u = unknown[0]!;
        const at = text.search(new RegExp(`(?<![A-Za-z0-9_.])${u.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_.])`));
        return { message: `${w.box}: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((x) => `'${x}'`).join(', ')}: not in the data.`, position: Math.max(0, at) };
      }
    }
    return null;
  } catch (e) {
    const err = e as Error & { position?: number };
    const lead = text.length - text.trimStart().length;
    return { message: `${w.box}: ${err.message.split('\n')[0]!.replace(/ at position \d+:?$/, '')}`, position: Math.max(0, (err.position ?? prefix.length) - prefix.length + lead) };
  }
}

/** The zero-inflation formula's error, if any (oneSidedProblem): '~ 1', '~ x', '~ 0', '~ x + (1 | g)'. */
export function ziFormulaProblem(zi: string, columns?: readonly string[]): { message: string; position: number } | null {
  return oneSidedProblem(zi, 'zi', columns);
}

/** The dispersion formula's error, if any (oneSidedProblem): '~ 1', '~ f'; fixed effects only, no offset. */
export function dispFormulaProblem(disp: string, columns?: readonly string[]): { message: string; position: number } | null {
  return oneSidedProblem(disp, 'disp', columns);
}

/** Fits the request's glmmTMB model on the CPU; Cancel through the signal; progress per evaluation. */
export async function runZeroInflated(table: arrow.Table, req: FitRequest, signal: AbortSignal, onProgress?: (p: ZeroInflatedProgress) => void): Promise<ZeroInflatedFit> {
  if (!isZiChoice(req.family)) throw new PlacedError(`'${req.family}' is not a glmmTMB family offered here`, 'options');
  const columns = table.schema.fields.map((f) => f.name);
  // beta_family and gaussian take no zero model (the library's default '~ 0'); the Poisson families no dispersion model
  const zi = takesZiFormula(req.family) ? req.ziformula ?? defaultZiFormula(req.family) : undefined;
  const disp = takesDispFormula(req.family) ? req.dispformula ?? '~ 1' : undefined;
  const problem = (zi !== undefined ? ziFormulaProblem(zi, columns) : null) ?? (disp !== undefined ? dispFormulaProblem(disp, columns) : null);
  if (problem) throw new PlacedError(problem.message, 'options');
  try {
    return await zeroInflated(req.formula, table, {
      family: ZI_FAMILY_OF[req.family],
      ...(zi !== undefined ? { ziformula: zi } : {}),
      ...(disp !== undefined ? { dispformula: disp } : {}),
      // the Criterion: glmmTMB's REML = TRUE (the conditional model's β integrated out with the random effects)
      ...(req.reml ? { REML: true } : {}),
      // binomial proportions: glmmTMB's weights, the number of trials per row (a column)
      ...(isBinomialChoice(req.family) && req.weights ? { weights: req.weights } : {}),
      factors: req.factors,
      backend: 'cpu',
      signal,
      ...(onProgress ? { onProgress } : {}),
      ...(req.dataName ? { dataName: req.dataName.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9._]+/g, '_') || 'data' } : {}),
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    const msg = (e as Error)?.message ?? String(e);
    // the zero-inflation and dispersion formulas' problems belong to their boxes under Options
    if (/^ziformula|zero-inflation model|^dispformula|dispersion model|weights/.test(msg)) throw new PlacedError(msg, 'options');
    throw placeError(e);
  }
}

/** the input row of each observation the fit used */
function usedRows(fit: ZeroInflatedFit): Int32Array {
  return fit.model.frame.rows ?? Int32Array.from({ length: fit.nobs }, (_, i) => i);
}

/** glmmTMB's generalized Poisson f(k): θ = μ/√φ, λ = 1 − 1/√φ, log f = log θ + (k − 1) log(θ + λk) − θ − λk − log k! */
export function dgenpois(k: number, mu: number, phi: number): number {
  const sq = Math.sqrt(phi);
  const th = mu / sq;
  const lam = 1 - 1 / sq;
  const t = th + lam * k;
  if (k > 0 && t <= 0) return 0;
  return Math.exp(k === 0 ? -th : Math.log(th) + (k - 1) * Math.log(t) - th - lam * k - lgamma(k + 1));
}

/** glmmTMB's Conway–Maxwell–Poisson f(k) with mean μ and ν = 1/φ: λ^k/(k!)^ν/Z (the library's compois.ts) */
export function dcompois(k: number, mu: number, phi: number): number {
  const z = compoisLogLambda(Math.log(mu), 1 / phi);
  return Math.exp(compoisLogPmf(k, z.logLambda, z.logZ, 1 / phi));
}

/**
 * P(y = k) for one row: the zero-inflated or hurdle mixture of the count distribution f — Poisson(μ),
 * NB1 (size μ/φ: Var = μ(1 + φ)), NB2 (size φ: Var = μ + μ²/φ), genpois (Var = μφ) or compois (ν = 1/φ)
 * — with the row's φ
 */
export function ziProbability(k: number, p: number, mu: number, family: ZeroInflatedFit['family'], phi: number): number {
  const nb1 = family === 'nbinom1' || family === 'truncated_nbinom1';
  const nb2 = family === 'nbinom2' || family === 'truncated_nbinom2';
  const gp = family === 'genpois' || family === 'truncated_genpois';
  const cmp = family === 'compois' || family === 'truncated_compois';
  const f = (x: number) => (nb1 ? dnbinomMu(x, mu / phi, mu) : nb2 ? dnbinomMu(x, phi, mu) : gp ? dgenpois(x, mu, phi) : cmp ? dcompois(x, mu, phi) : Math.exp(dpoisLog(x, mu)));
  if (family.startsWith('truncated_')) {
    if (k === 0) return p;
    // 1 − f(0) without cancellation: Poisson −expm1(−μ); NB2 −expm1(−φ log(1 + μ/φ)); NB1 −expm1(−(μ/φ) log(1 + φ)); genpois −expm1(−θ); compois −expm1(−log Z)
    const positive = -Math.expm1(nb1 ? -(mu / phi) * Math.log1p(phi) : nb2 ? -phi * Math.log1p(mu / phi) : gp ? -mu / Math.sqrt(phi) : cmp ? -compoisLogLambda(Math.log(mu), 1 / phi).logZ : -mu);
    return ((1 - p) * f(k)) / positive;
  }
  return k === 0 ? p + (1 - p) * f(0) : (1 - p) * f(k);
}

/**
 * Observed and expected frequencies of the counts 0 … K (K the largest count seen, at most
 * MAX_FREQUENCY_COUNT) and, when counts above K are possible, the tail "> K" (expected: n minus the
 * expected counts of 0 … K).
 */
export function expectedFrequencies(fit: ZeroInflatedFit, maxCount = MAX_FREQUENCY_COUNT): ZiFrequencyRow[] {
  if (!fit.model.count) return [];
  const y = fit.model.y;
  const n = fit.nobs;
  let ymax = 0;
  for (let i = 0; i < n; i++) ymax = Math.max(ymax, y[i]!);
  const K = Math.min(ymax, maxCount);
  const observed = new Float64Array(K + 2);
  for (let i = 0; i < n; i++) observed[y[i]! > K ? K + 1 : y[i]!]! += 1;
  const expected = new Float64Array(K + 1);
  const p = fit.zprob;
  const mu = fit.mu;
  // φ per row (NaN for Poisson, where it is not read)
  const phi = fit.disp;
  for (let i = 0; i < n; i++) {
    for (let k = 0; k <= K; k++) expected[k]! += ziProbability(k, p[i]!, mu[i]!, fit.family, phi[i]!);
  }
  const rows: ZiFrequencyRow[] = Array.from({ length: K + 1 }, (_, k) => ({ count: String(k), observed: observed[k]!, expected: expected[k]! }));
  const tail = n - expected.reduce((a, b) => a + b, 0);
  rows.push({ count: `> ${K}`, observed: observed[K + 1]!, expected: Math.max(0, tail) });
  return rows;
}

/** the number of histogram bins for n rows: Rice's rule ⌈2 n^(1/3)⌉, from 5 to 40 */
export function histogramBins(n: number): number {
  return Math.min(40, Math.max(5, Math.ceil(2 * Math.cbrt(n))));
}

/** what a row's distribution function needs beyond μ and φ: tweedie's power, the binomial trials m and zero-inflation p */
export interface RowExtra { power?: number; size?: number; p?: number }

/**
 * F(x) = P(y < x) of one row's response distribution (the header's formulas): gaussian Φ((x − μ)/σ) with σ² = φ;
 * beta I_x(μφ, (1 − μ)φ); Gamma P(φ, φx/μ); tweedie the compound Poisson–gamma sum; binomial and betabinomial
 * the proportion of m trials (strictly below x), with the zero-inflation probability p.
 */
export function continuousCdf(x: number, mu: number, phi: number, family: ZeroInflatedFit['family'], extra: RowExtra = {}): number {
  if (family === 'gaussian') return pnorm((x - mu) / Math.sqrt(phi));
  if (family === 'beta_family') return incompleteBeta(x, mu * phi, (1 - mu) * phi).lower;
  if (family === 'Gamma') return x <= 0 ? 0 : incompleteGamma(phi, (phi * x) / mu).lower;
  if (family === 'tweedie') return tweedieCdf(x, mu, phi, extra.power ?? NaN);
  if (family === 'binomial' || family === 'betabinomial') {
    const m = extra.size ?? 1;
    const p = extra.p ?? 0;
    let F = 0;
    for (let k = 0; k <= m && k / m < x; k++) F += family === 'binomial' ? Math.exp(dbinomLog(k, m, mu)) : dbetabinom(k, m, mu, phi);
    return (x > 0 ? p : 0) + (1 - p) * F;
  }
  throw new Error(`continuousCdf: ${family} is a count family`);
}

/** beta-binomial f(k) of m trials (glmmTMB's: a = μφ, b = (1 − μ)φ): C(m, k) B(k + a, m − k + b) / B(a, b) */
export function dbetabinom(k: number, m: number, mu: number, phi: number): number {
  const a = mu * phi;
  const b = (1 - mu) * phi;
  return Math.exp(lgamma(m + 1) - lgamma(k + 1) - lgamma(m - k + 1) + lbeta(k + a, m - k + b) - lbeta(a, b));
}

/**
 * tweedie's F(x) = P(y < x) for 1 < p < 2, by its compound Poisson–gamma form: N ~ Poisson(λ) gamma summands
 * of shape α and scale γ (λ = μ^(2−p)/(φ(2−p)), α = (2−p)/(p−1), γ = φ(p−1)μ^(p−1)):
 *   F(x) = e^(−λ) [x > 0] + Σ_{N ≥ 1} e^(−λ) λ^N/N! · P(Nα, x/γ), summed until the Poisson tail is below 1e-12.
 */
export function tweedieCdf(x: number, mu: number, phi: number, power: number): number {
  if (x <= 0) return 0;
  const lambda = mu ** (2 - power) / (phi * (2 - power));
  const alpha = (2 - power) / (power - 1);
  const gam = phi * (power - 1) * mu ** (power - 1);
  let w = Math.exp(-lambda);
  let F = w;
  let mass = w;
  for (let N = 1; N < 100000 && 1 - mass > 1e-12; N++) {
    w *= lambda / N;
    mass += w;
    if (w > 0) F += w * incompleteGamma(N * alpha, x / gam).lower;
    if (N > lambda && w < 1e-16) break;
  }
  return F;
}

/**
 * The response's histogram for beta, gaussian, Gamma, tweedie, binomial and betabinomial fits (the binomial
 * families' the proportions y = k/m): bins of equal width from the smallest to the largest
 * response (the last closed), the rows in each, and the fitted model's expected number
 * Σ_i F_i(hi) − F_i(lo) at each row's μ (at the conditional modes) and φ; the first bin's lo is −∞ (beta: 0)
 * and the last's hi +∞ (beta: 1) for the expected numbers, so they add up to the rows. Empty for counts.
 */
export function expectedHistogram(fit: ZeroInflatedFit, bins = histogramBins(fit.nobs)): ZiHistogramBin[] {
  if (fit.model.count) return [];
  const y = fit.model.y;
  const n = fit.nobs;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) { lo = Math.min(lo, y[i]!); hi = Math.max(hi, y[i]!); }
  const B = hi > lo ? bins : 1;
  const width = (hi - lo) / B;
  const edges = Array.from({ length: B + 1 }, (_, j) => (j === B ? hi : lo + j * width));
  const observed = new Float64Array(B);
  for (let i = 0; i < n; i++) observed[width > 0 ? Math.min(B - 1, Math.floor((y[i]! - lo) / width)) : 0]! += 1;
  // E per bin: differences of each row's F at the inner edges (F(e_0) = 0, F(e_B) = 1: the tails go to the end bins)
  const expected = new Float64Array(B);
  const mu = fit.mu;
  const phi = fit.disp;
  const size = fit.model.size;
  const zp = fit.model.pz > 0 ? fit.zprob : null;
  const binomial = fit.family === 'binomial' || fit.family === 'betabinomial';
  for (let i = 0; i < n; i++) {
    if (binomial && size) {
      // the binomial families: each proportion k/m's probability into its bin once (O(m) per row, not O(m) per edge);
      // bin j holds e_j ≤ k/m < e_(j+1) over the inner edges, as F(x) = P(y < x) puts it; a structural zero's p with 0
      const m = size[i]!;
      const p = zp ? zp[i]! : 0;
      let j = 0;
      for (let k = 0; k <= m; k++) {
        while (j < B - 1 && edges[j + 1]! <= k / m) j++;
        const f = fit.family === 'binomial' ? Math.exp(dbinomLog(k, m, mu[i]!)) : dbetabinom(k, m, mu[i]!, phi[i]!);
        expected[j]! += (1 - p) * f + (k === 0 ? p : 0);
      }
      continue;
    }
    let prev = 0;
    const extra: RowExtra = { power: fit.power, ...(size ? { size: size[i]! } : {}), ...(zp ? { p: zp[i]! } : {}) };
    for (let j = 1; j <= B; j++) {
      const F = j === B ? 1 : continuousCdf(edges[j]!, mu[i]!, phi[i]!, fit.family, extra);
      expected[j - 1]! += F - prev;
      prev = F;
    }
  }
  return Array.from({ length: B }, (_, j) => ({ lo: edges[j]!, hi: edges[j + 1]!, observed: observed[j]!, expected: expected[j]! }));
}

/** The page's tables of a glmmTMB fit (the library's numbers as they are). */
export function describeZeroInflated(fit: ZeroInflatedFit, elapsedMs: number, choice: ZiChoice): ZiResultMsg {
  const ranef: RanefMsg[] = fit.ranef.map((r) => {
    const q = r.cnames.length;
    const nl = r.levels.length;
    // values: level-major (level, column); condVar: q × q per level, level-major
    const values = r.cnames.map((_, s) => Float64Array.from({ length: nl }, (_, l) => r.values[l * q + s]!));
    const condsd = r.cnames.map((_, s) => Float64Array.from({ length: nl }, (_, l) => Math.sqrt(r.condVar[l * q * q + s * q + s]!)));
    // the zero model's random effects named so beside the conditional model's (a factor may be in both)
    return { group: r.component === 'zi' ? `${r.group} (zero model)` : r.group, levels: r.levels, cnames: r.cnames, values, condsd };
  });
  // glmmTMB's sigma() where it has one number: a family with a dispersion parameter and dispformula '~ 1'
  const oneDispersion = fit.model.pd > 0 && fit.model.dispConstant;
  return {
    kind: 'zeroinfl',
    choice,
    family: fit.family,
    hurdle: fit.model.hurdle,
    count: fit.model.count,
    link: fit.link,
    takesZi: takesZiFormula(choice),
    formula: fit.formula,
    ziformula: fit.ziformula,
    dispformula: fit.dispformula,
    disp: fit.model.pd > 0 && !fit.model.dispConstant ? fit.dispersion.map((r) => ({ ...r })) : [],
    reml: fit.REML,
    nobs: fit.nobs,
    ngroups: Object.fromEntries(fit.ngroups.map((g) => [g.group, g.levels])),
    logLik: fit.logLik,
    AIC: fit.AIC,
    BIC: fit.BIC,
    deviance: fit.deviance,
    df: fit.df,
    dfResid: fit.dfResid,
    sigma: oneDispersion ? fit.sigma : null,
    power: fit.model.dist === 'tweedie' ? fit.power : null,
    feval: fit.evaluations,
    converged: fit.converged,
    messages: [...fit.messages],
    cond: fit.cond.map((r) => ({ ...r })),
    zi: fit.zi.map((r) => ({ ...r })),
    varCorr: fit.varCorr.map((r) => ({ ...r, ...(r.component === 'zi' ? { group: `${r.group} (zero model)` } : {}) })),
    ranef,
    frequencies: expectedFrequencies(fit),
    histogram: expectedHistogram(fit),
    checks: modelChecksSetup(fit),
    confint: tmbCiSetup(fit),
    summary: fit.summary(),
    elapsedMs,
  };
}

/**
 * CSV of the predictions on the fit's rows (glmmTMB's predict at the conditional modes): the input row, the
 * response, response, conditional, zprob (families with a zero model) and disp (with a dispersion model,
 * dispformula not '~ 1': φ_i on glmmTMB's sigma() scale, gaussian σ_i)
 */
export function predictionsCsv(fit: ZeroInflatedFit): string {
  const rows = usedRows(fit);
  const y = fit.model.y;
  const cols: [string, Float64Array][] = [['response', fit.predict('response')], ['conditional', fit.predict('conditional')]];
  if (fit.model.pz > 0 || fit.model.count) cols.push(['zprob', fit.predict('zprob')]);
  if (fit.model.pd > 0 && !fit.model.dispConstant) cols.push(['disp', fit.predict('disp')]);
  return csv(['row', 'observed', ...cols.map((c) => c[0])],
    Array.from(rows, (r, i) => [r + 1, y[i]!, ...cols.map((c) => c[1][i]!)]));
}
