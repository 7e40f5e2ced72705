/**
 * Worker side of ordinal responses: a cumulative link mixed model (the library's clmm, ordinal's
 * clmm) fitted from the page's request, what the page shows of it (the thresholds' and coefficients'
 * tables, the random effects' variances, the conditional modes for the caterpillar, ordinal's summary
 * printout), the fitted category probabilities (their mean per level of a variable, and as CSV), and
 * ordinal's likelihood-ratio anova of two kept fits. Every number is the library's; nothing is
 * recomputed here but the probabilities' means.
 */
import type * as arrow from 'apache-arrow';
import { clmm, clmmAnova, type ClmmFit, type ClmmAnovaRow, type ClmmProgress, parseFormula } from '../../src/index.js';
import { csv } from './dom.js';
import { formulaVariables } from './fitting.js';
import type { ClmmProbabilityGroup, ClmmResultMsg, FitRequest, RanefMsg } from './protocol.js';

/** the most distinct values a variable may have for the probability plot to group by it */
export const MAX_PROBABILITY_GROUPS = 30;

/** Fits the request's clmm: link, threshold, nAGQ, the categories' order, factors; Cancel through the signal; progress per evaluation. */
export async function runClmm(table: arrow.Table, req: FitRequest, signal: AbortSignal, onProgress?: (p: ClmmProgress) => void): Promise<ClmmFit> {
  return clmm(req.formula, table, {
    link: (req.link ?? 'logit') as 'logit',
    threshold: req.threshold ?? 'flexible',
    nAGQ: req.nAGQ ?? 1,
    ...(req.levels?.length ? { levels: req.levels } : {}),
    factors: req.factors,
    backend: 'cpu',
    signal,
    ...(onProgress ? { onProgress } : {}),
    ...(req.dataName ? { dataName: req.dataName.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9._]+/g, '_') || 'data' } : {}),
  });
}

/** the string of each input row's value of a column (null where missing) */
function columnStrings(table: arrow.Table, name: string): (string | null)[] {
  const vec = table.getChild(name);
  if (!vec) throw new Error(`the column '${name}' is not in the data`);
  const out: (string | null)[] = new Array(table.numRows);
  let i = 0;
  for (const v of vec) out[i++] = v == null || (typeof v === 'number' && Number.isNaN(v)) ? null : String(typeof v === 'bigint' ? Number(v) : v);
  return out;
}

/** the formula's variables (response and grouping factors included) with at most MAX_PROBABILITY_GROUPS distinct values */
export function probabilityByCandidates(fit: ClmmFit, table: arrow.Table): string[] {
  const f = parseFormula(fit.formula);
  const vars = [...formulaVariables(f, { response: false })];
  return vars.filter((v) => {
    if (!table.getChild(v)) return false;
    const seen = new Set<string>();
    for (const s of columnStrings(table, v)) {
      if (s !== null) seen.add(s);
      if (seen.size > MAX_PROBABILITY_GROUPS) return false;
    }
    return seen.size >= 1;
  });
}

/** The page's tables of a clmm fit (the library's numbers as they are). */
export function describeClmm(fit: ClmmFit, table: arrow.Table, elapsedMs: number): ClmmResultMsg {
  const ranef: RanefMsg[] = fit.ranef.map((r) => {
    const q = r.cnames.length;
    const nl = r.levels.length;
    // values: level-major (level, column); condVar: q × q per level, level-major
    const values = r.cnames.map((_, s) => Float64Array.from({ length: nl }, (_, l) => r.values[l * q + s]!));
    const condsd = r.cnames.map((_, s) => Float64Array.from({ length: nl }, (_, l) => Math.sqrt(r.condVar[l * q * q + s * q + s]!)));
    return { group: r.group, levels: r.levels, cnames: r.cnames, values, condsd };
  });
  return {
    kind: 'clmm',
    formula: fit.formula,
    link: fit.link,
    threshold: fit.threshold,
    nAGQ: fit.nAGQ,
    levels: fit.levels,
    nobs: fit.nobs,
    ngroups: Object.fromEntries(fit.ngroups.map((g) => [g.group, g.levels])),
    logLik: fit.logLik,
    AIC: fit.AIC,
    BIC: fit.BIC,
    edf: fit.edf,
    condH: fit.condH,
    maxGrad: fit.maxGrad,
    feval: fit.evaluations,
    converged: fit.converged,
    messages: [...fit.messages],
    thresholdTable: fit.thresholdTable.map((r) => ({ ...r })),
    thresholds: fit.thetaNames.map((name, j) => ({ name, value: fit.Theta[j]! })),
    coefficients: fit.coefficients.map((r) => ({ ...r })),
    varCorr: fit.varCorr.map((r) => ({ ...r, corr: [...r.corr] })),
    ranef,
    summary: fit.summary(),
    probabilityBy: probabilityByCandidates(fit, table),
    elapsedMs,
  };
}

/**
 * Each input row's fitted category probabilities P(Y = j | x, b̃) at the conditional modes (the
 * library's predict on the data it was fitted to), n_rows × J row-major; rows the fit did not use
 * (a missing value) are NaN.
 */
export function fittedProbabilities(fit: ClmmFit, table: arrow.Table): Float64Array {
  return fit.predict(table);
}

/** the mean fitted probability of each category over the rows of each level of `by` (levels in first-seen order, or numeric order for numbers) */
export function probabilitiesBy(fit: ClmmFit, table: arrow.Table, by: string): ClmmProbabilityGroup[] {
  const P = fittedProbabilities(fit, table);
  const J = fit.levels.length;
  const keys = columnStrings(table, by);
  const groups = new Map<string, { n: number; sum: Float64Array }>();
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (k === null || Number.isNaN(P[i * J]!)) continue;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { n: 0, sum: new Float64Array(J) }));
    g.n++;
    for (let j = 0; j < J; j++) g.sum[j]! += P[i * J + j]!;
  }
  const levels = [...groups.keys()];
  if (levels.every((l) => l.trim() !== '' && Number.isFinite(Number(l)))) levels.sort((a, b) => Number(a) - Number(b));
  return levels.map((level) => {
    const g = groups.get(level)!;
    return { level, n: g.n, probs: Array.from(g.sum, (s) => s / g.n) };
  });
}

/** CSV of every used row's fitted probabilities: the row's number in the data, its category, then one column per category */
export function probabilitiesCsv(fit: ClmmFit, table: arrow.Table): string {
  const P = fittedProbabilities(fit, table);
  const J = fit.levels.length;
  const response = parseFormula(fit.formula).response;
  const yName = response.kind === 'expr' && response.expr.type === 'var' ? response.expr.name : null;
  const y = yName ? columnStrings(table, yName) : null;
  const rows: (string | number | null)[][] = [];
  for (let i = 0; i < table.numRows; i++) {
    if (Number.isNaN(P[i * J]!)) continue;
    rows.push([i + 1, y ? y[i] : null, ...Array.from({ length: J }, (_, j) => P[i * J + j]!)]);
  }
  return csv(['row', 'observed', ...fit.levels.map((l) => `P(${l})`)], rows);
}

/** ordinal's anova of two kept clmm fits, each row with the page's fit id */
export function anovaOfFits(a: { id: number; fit: ClmmFit }, b: { id: number; fit: ClmmFit }): (ClmmAnovaRow & { fit: number })[] {
  const rows = clmmAnova(a.fit, b.fit);
  // clmmAnova orders the fits by their number of parameters: match each row back to its fit
  const first = a.fit.edf <= b.fit.edf ? a : b;
  const second = first === a ? b : a;
  return [{ ...rows[0]!, fit: first.id }, { ...rows[1]!, fit: second.id }];
}
