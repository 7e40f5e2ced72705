/**
 * Worker side of zero-inflated and hurdle count GLMMs (the library's zeroInflated, glmmTMB's
 * ziformula): the fit from the page's request, what the page shows of it (the conditional and
 * zero-inflation models' coefficient tables, the random effects' variances, the NB dispersion, the
 * criteria, the conditional modes for the caterpillar, glmmTMB's summary printout), the observed and
 * expected frequencies of the counts 0 … k (a rootogram's numbers), and the predictions as CSV. Every
 * number is the library's but the expected frequencies, which are sums of the fitted model's
 * probabilities over its rows:
 *   E[#{y = k}] = Σ_i P(y_i = k | p_i, μ_i, φ),
 *   zero-inflated:  P(0) = p + (1 − p) f(0; μ),   P(k > 0) = (1 − p) f(k; μ);
 *   hurdle:         P(0) = p,                     P(k > 0) = (1 − p) f(k; μ) / (1 − f(0; μ)),
 * f Poisson(μ) or NB2(μ, size φ) (glmmTMB's nbinom2: Var = μ + μ²/φ), with p, μ, φ the fit's
 * (predict 'zprob', the conditional model's μ = e^η at the conditional modes, sigma).
 */
import type * as arrow from 'apache-arrow';
import { zeroInflated, parseFormula, type ZeroInflatedFit, type ZeroInflatedProgress } from '../../src/index.js';
import { dpoisLog } from '../../src/glmm/rmath.js';
import { dnbinomMu } from '../../src/checks/scoringRules.js';
import { csv } from './dom.js';
import { modelChecksSetup } from './modelChecksRun.js';
import { PlacedError, formulaVariables, isZiFamily, placeError } from './fitting.js';
import type { FitRequest, RanefMsg, ZiFamilyChoice, ZiFrequencyRow, ZiResultMsg } from './protocol.js';

/** the app's family choices of zero-inflated and hurdle models, and the library's family of each */
export const ZI_FAMILY_OF: Record<ZiFamilyChoice, ZeroInflatedFit['family']> = {
  zi_poisson: 'poisson',
  zi_nbinom2: 'nbinom2',
  hurdle_poisson: 'truncated_poisson',
  hurdle_nbinom2: 'truncated_nbinom2',
};
export type ZiChoice = ZiFamilyChoice;

/** a zero-inflated or hurdle family choice (fitting.ts's rule) */
export const isZiChoice = isZiFamily;

/** the largest count k with a bar of its own in the frequency plot (larger counts share the last bar, "> k") */
export const MAX_FREQUENCY_COUNT = 30;

/**
 * The zero-inflation formula's error, if any: a one-sided formula of fixed effects ('~ 1', '~ x', '~ 0'),
 * checked by the library's parser with the response put before it (as the library reads it). The
 * position is in the box's text.
 */
export function ziFormulaProblem(zi: string, columns?: readonly string[]): { message: string; position: number } | null {
  const t = zi.trim();
  if (!t.startsWith('~')) return { message: 'The zero-inflation formula is one-sided: it starts with ~ (such as ~ 1 or ~ mined).', position: 0 };
  const prefix = 'y ';
  try {
    const f = parseFormula(prefix + t);
    if (f.random.length > 0) return { message: `The zero-inflation model takes fixed effects only here: ${f.random.map((r) => r.text).join(', ')} is a random-effects term.`, position: Math.max(0, zi.indexOf('(')) };
    if (f.offsets.length > 0) return { message: 'offset() terms are not available in the zero-inflation model here.', position: Math.max(0, zi.indexOf('offset')) };
    if (columns) {
      const unknown = [...formulaVariables(f, { response: false })].filter((v) => !columns.includes(v));
      if (unknown.length > 0) {
        const u = unknown[0]!;
        const at = zi.search(new RegExp(`(?<![A-Za-z0-9_.])${u.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_.])`));
        return { message: `Zero-inflation formula: unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((x) => `'${x}'`).join(', ')}: not in the data.`, position: Math.max(0, at) };
      }
    }
    return null;
  } catch (e) {
    const err = e as Error & { position?: number };
    const lead = zi.length - zi.trimStart().length;
    return { message: `Zero-inflation formula: ${err.message.split('\n')[0]!.replace(/ at position \d+:?$/, '')}`, position: Math.max(0, (err.position ?? prefix.length) - prefix.length + lead) };
  }
}

/** Fits the request's zero-inflated or hurdle model on the CPU; Cancel through the signal; progress per evaluation. */
export async function runZeroInflated(table: arrow.Table, req: FitRequest, signal: AbortSignal, onProgress?: (p: ZeroInflatedProgress) => void): Promise<ZeroInflatedFit> {
  if (!isZiChoice(req.family)) throw new PlacedError(`'${req.family}' is not a zero-inflated or hurdle family`, 'options');
  const zi = req.ziformula ?? '~ 1';
  const problem = ziFormulaProblem(zi, table.schema.fields.map((f) => f.name));
  if (problem) throw new PlacedError(problem.message, 'options');
  try {
    return await zeroInflated(req.formula, table, {
      family: ZI_FAMILY_OF[req.family],
      ziformula: zi,
      factors: req.factors,
      backend: 'cpu',
      signal,
      ...(onProgress ? { onProgress } : {}),
      ...(req.dataName ? { dataName: req.dataName.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9._]+/g, '_') || 'data' } : {}),
    });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    const msg = (e as Error)?.message ?? String(e);
    // the zero-inflation formula's problems belong to its box under Options
    if (/^ziformula|zero-inflation model/.test(msg)) throw new PlacedError(msg, 'options');
    throw placeError(e);
  }
}

/** the input row of each observation the fit used */
function usedRows(fit: ZeroInflatedFit): Int32Array {
  return fit.model.frame.rows ?? Int32Array.from({ length: fit.nobs }, (_, i) => i);
}

/** P(y = k) for one row: the zero-inflated or hurdle mixture of the count distribution f (Poisson or NB2) */
export function ziProbability(k: number, p: number, mu: number, family: ZeroInflatedFit['family'], size: number): number {
  const nb = family === 'nbinom2' || family === 'truncated_nbinom2';
  const f = (x: number) => (nb ? dnbinomMu(x, size, mu) : Math.exp(dpoisLog(x, mu)));
  if (family === 'truncated_poisson' || family === 'truncated_nbinom2') {
    if (k === 0) return p;
    // 1 − f(0) without cancellation: Poisson −expm1(−μ); NB2 −expm1(−φ log(1 + μ/φ))
    const positive = nb ? -Math.expm1(-size * Math.log1p(mu / size)) : -Math.expm1(-mu);
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
  for (let i = 0; i < n; i++) {
    for (let k = 0; k <= K; k++) expected[k]! += ziProbability(k, p[i]!, mu[i]!, fit.family, fit.sigma);
  }
  const rows: ZiFrequencyRow[] = Array.from({ length: K + 1 }, (_, k) => ({ count: String(k), observed: observed[k]!, expected: expected[k]! }));
  const tail = n - expected.reduce((a, b) => a + b, 0);
  rows.push({ count: `> ${K}`, observed: observed[K + 1]!, expected: Math.max(0, tail) });
  return rows;
}

/** The page's tables of a zero-inflated fit (the library's numbers as they are). */
export function describeZeroInflated(fit: ZeroInflatedFit, elapsedMs: number, choice: ZiChoice): ZiResultMsg {
  const ranef: RanefMsg[] = fit.ranef.map((r) => {
    const q = r.cnames.length;
    const nl = r.levels.length;
    // values: level-major (level, column); condVar: q × q per level, level-major
    const values = r.cnames.map((_, s) => Float64Array.from({ length: nl }, (_, l) => r.values[l * q + s]!));
    const condsd = r.cnames.map((_, s) => Float64Array.from({ length: nl }, (_, l) => Math.sqrt(r.condVar[l * q * q + s * q + s]!)));
    return { group: r.group, levels: r.levels, cnames: r.cnames, values, condsd };
  });
  const nb = fit.family === 'nbinom2' || fit.family === 'truncated_nbinom2';
  return {
    kind: 'zeroinfl',
    choice,
    family: fit.family,
    hurdle: fit.model.hurdle,
    formula: fit.formula,
    ziformula: fit.ziformula,
    nobs: fit.nobs,
    ngroups: Object.fromEntries(fit.ngroups.map((g) => [g.group, g.levels])),
    logLik: fit.logLik,
    AIC: fit.AIC,
    BIC: fit.BIC,
    deviance: fit.deviance,
    df: fit.df,
    dfResid: fit.dfResid,
    sigma: nb ? fit.sigma : null,
    feval: fit.evaluations,
    converged: fit.converged,
    messages: [...fit.messages],
    cond: fit.cond.map((r) => ({ ...r })),
    zi: fit.zi.map((r) => ({ ...r })),
    varCorr: fit.varCorr.map((r) => ({ ...r })),
    ranef,
    frequencies: expectedFrequencies(fit),
    checks: modelChecksSetup(fit),
    summary: fit.summary(),
    elapsedMs,
  };
}

/** CSV of the predictions on the fit's rows (glmmTMB's predict at the conditional modes): the input row, the count, response, conditional, zprob */
export function predictionsCsv(fit: ZeroInflatedFit): string {
  const rows = usedRows(fit);
  const response = fit.predict('response');
  const conditional = fit.predict('conditional');
  const zprob = fit.predict('zprob');
  const y = fit.model.y;
  return csv(['row', 'observed', 'response', 'conditional', 'zprob'],
    Array.from(rows, (r, i) => [r + 1, y[i]!, response[i]!, conditional[i]!, zprob[i]!]));
}
