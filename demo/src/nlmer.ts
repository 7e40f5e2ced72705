/**
 * lme4's nlmer in the app (the library's src/nlmer): a formula of three parts, `resp ~ SSlogis(age, Asym,
 * xmid, scal) ~ Asym | Tree`, is a nonlinear mixed model. The page reads the self-starting model's
 * parameters from the formula (one start box each: lme4's nlmer, and the library, take no self-start, so the
 * user gives the values) and checks the formula with the library's own parser; the worker fits it by
 * `nlmer` and describes it: the library's numbers, its summary printout, and the model per level of the first
 * grouping factor at a grid of its covariate (the library's predict) for the fitted curves; Cancel reaches the
 * library's nlmer through its AbortSignal, and its progress (the stage, the evaluations, the deviance) goes to
 * the page's progress line. No library math here.
 */
import type * as arrow from 'apache-arrow';
import { FormulaError, OptionError, nlmer, type NlmerFit, type NlmerProgress, SELF_START_MODELS } from '../../src/index.js';
import { parseFormulaSides } from '../../src/formula/parse.js';
import { type NlFormula, parseNlFormula, tildes } from '../../src/nlmer/formula.js';
import { PlacedError, placeError } from './fitting.js';
import type { FitRequest, NlmerCurves, NlmerResultMsg } from './protocol.js';

/** most levels drawn in the fitted-curves plot (evenly spread over the levels) */
export const MAX_NLMER_CURVES = 12;
/** points of each level's curve */
const GRID = 60;

/** the formula is lme4's nlmer form (two `~` at the top level: response, nonlinear model, mixed part) */
export function isNlmerFormula(text: string): boolean {
  return tildes(text).length >= 2;
}

/**
 * The self-starting model of an nlmer formula and the names written for its parameters, in the model's
 * parameter order (R's argument matching: named arguments first, then the others in order), for the start
 * boxes; null where the middle part is not (yet) such a call (the library's parser then says why).
 */
export function nlmerParameters(text: string): { model: string; parameters: string[] } | null {
  const cuts = tildes(text);
  if (cuts.length !== 2) return null;
  let call;
  try {
    call = parseFormulaSides(text.slice(0, cuts[1])).rhs;
  } catch {
    return null;
  }
  while (call.kind === 'paren') call = call.inner;
  if (call.kind !== 'call') return null;
  const model = SELF_START_MODELS.get(call.fn);
  if (!model || call.args.length !== model.formals.length) return null;
  const given = new Map<string, (typeof call.args)[number]>();
  call.args.forEach((a, k) => { const nm = call.names[k]; if (nm !== null && model.formals.includes(nm)) given.set(nm, a); });
  const free = model.formals.filter((f) => !given.has(f));
  call.args.forEach((a, k) => { if (call.names[k] === null && free.length) given.set(free.shift()!, a); });
  const parameters: string[] = [];
  for (const p of model.parameters) {
    const a = given.get(p);
    if (!a || a.kind !== 'name') return null;
    parameters.push(a.name);
  }
  return { model: model.name, parameters };
}

/** The library's reading of an nlmer formula with these parameters (throws its FormulaError at the token). */
export function parseNlmerFormula(text: string, parameters: readonly string[]): NlFormula {
  return parseNlFormula(text, parameters);
}

/**
 * The start boxes' problem before fitting (null when every parameter has a finite number): an empty box is
 * named, as lme4's nlmer (and the library) need a starting value for each parameter and do not self-start.
 */
export function nlmerStartProblem(parameters: readonly string[], values: Readonly<Record<string, string>>): string | null {
  const empty = parameters.filter((p) => (values[p] ?? '').trim() === '');
  if (empty.length) return `nlmer needs a starting value for each parameter (lme4's nlmer does not call the model's self-start): fill ${empty.join(', ')}.`;
  for (const p of parameters) {
    const v = Number(values[p]!.trim());
    if (!Number.isFinite(v)) return `Start value of ${p}: '${values[p]!.trim()}' is not a finite number.`;
  }
  return null;
}

/**
 * Fits the request by the library's nlmer (maximum likelihood, lme4's two Nelder–Mead stages) on the CPU;
 * `signal` aborts it (the library's AbortError), `onProgress` gets each optimizer evaluation.
 */
export async function runNlmer(table: arrow.Table, req: FitRequest, signal?: AbortSignal, onProgress?: (p: NlmerProgress) => void): Promise<NlmerFit> {
  if (req.family !== 'gaussian') throw new PlacedError(`An nlmer formula is a Gaussian nonlinear mixed model (lme4's nlmer): choose the family gaussian, not ${req.family}.`, 'options');
  if (req.nlmeWeights?.trim() || req.nlmeCorrelation?.trim()) throw new PlacedError('nlme\'s residual variance and correlation are for lme and gls fits: empty those boxes for an nlmer fit.', 'options');
  if (req.relmat) throw new PlacedError('A relatedness file is for lmer and glmer fits: remove it for an nlmer fit.', 'options');
  if (req.prior) throw new PlacedError('blme\'s priors are for lmer and glmer fits: choose Priors: none for an nlmer fit.', 'options');
  const start = req.nlmerStart;
  if (!start || Object.keys(start).length === 0) {
    const ps = nlmerParameters(req.formula)?.parameters ?? [];
    throw new PlacedError(nlmerStartProblem(ps, {}) ?? 'nlmer needs a starting value for each parameter', 'options');
  }
  const dataName = req.dataName ? req.dataName.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9._]+/g, '_') || 'data' : 'data';
  try {
    return await nlmer(req.formula, table, { start, dataName, ...(signal ? { signal } : {}), ...(onProgress ? { onProgress } : {}) });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    if (e instanceof FormulaError) throw placeError(e);
    if (e instanceof OptionError) throw new PlacedError((e as Error).message, 'options');
    throw placeError(e);
  }
}

/** a column's value at row i as the library reads it (numbers, text) */
function cell(table: arrow.Table, name: string, i: number): unknown {
  return table.getChild(name)!.get(i);
}

/**
 * The fitted curves: per level of the first random-effects term's grouping factor (at most MAX_NLMER_CURVES,
 * evenly spread), the library's conditional prediction at GRID points over the level's range of the model's
 * `input` covariate (its first covariate where it has no `input`), the other covariates and grouping columns
 * held at the level's first row; and the data's points of those levels.
 */
export function nlmerCurves(fit: NlmerFit, table: arrow.Table): NlmerCurves {
  const f = fit.model.formula;
  const xi = Math.max(0, f.model.covariates.indexOf('input'));
  const x = f.covariates[xi]!;
  const groupCols = f.random[0]!.group;
  const allGroups = [...new Set(f.random.flatMap((r) => r.group))];
  const keyOf = (i: number) => groupCols.map((g) => String(cell(table, g, i))).join(':');
  const rowsBy = new Map<string, number[]>();
  for (let i = 0; i < table.numRows; i++) {
    const yv = cell(table, f.response, i);
    const xv = cell(table, x, i);
    if (yv === null || xv === null || groupCols.some((g) => cell(table, g, i) === null)) continue;
    const k = keyOf(i);
    if (!rowsBy.has(k)) rowsBy.set(k, []);
    rowsBy.get(k)!.push(i);
  }
  const all = [...rowsBy.keys()];
  const pick = all.length <= MAX_NLMER_CURVES ? all : Array.from({ length: MAX_NLMER_CURVES }, (_, j) => all[Math.round((j * (all.length - 1)) / (MAX_NLMER_CURVES - 1))]!);
  const points: NlmerCurves['points'] = [];
  const newRows: Record<string, unknown>[] = [];
  const lineKeys: { x: number; group: string }[] = [];
  for (const level of pick) {
    const rows = rowsBy.get(level)!;
    const xs = rows.map((i) => Number(cell(table, x, i)));
    for (const i of rows) points.push({ x: Number(cell(table, x, i)), y: Number(cell(table, f.response, i)), group: level });
    const lo = Math.min(...xs);
    const hi = Math.max(...xs);
    const first = rows[0]!;
    for (let j = 0; j < GRID; j++) {
      const xv = hi > lo ? lo + ((hi - lo) * j) / (GRID - 1) : lo;
      const row: Record<string, unknown> = {};
      for (const c of f.covariates) row[c] = c === x ? xv : cell(table, c, first);
      for (const g of allGroups) row[g] = cell(table, g, first);
      newRows.push(row);
      lineKeys.push({ x: xv, group: level });
      if (hi <= lo) break;
    }
  }
  const fits = newRows.length ? fit.predict(newRows) : new Float64Array(0);
  const lines = lineKeys.map((k, j) => ({ ...k, fit: fits[j]! }));
  return { x, y: f.response, group: f.random[0]!.groupLabel, points, lines, levels: pick, total: all.length };
}

/** The page's view of an nlmer fit (the library's numbers as they are). */
export function describeNlmer(fit: NlmerFit, table: arrow.Table, start: Record<string, number>, elapsedMs: number): NlmerResultMsg {
  const beta = fit.fixef();
  const se = fit.se();
  const est = fit.estimate;
  return {
    kind: 'nlmer',
    formula: fit.formula,
    model: fit.model.formula.model.name,
    start: { ...start },
    nobs: fit.nobs,
    groups: fit.model.terms.map((t) => ({ name: t.group, levels: t.levels.length })),
    deviance: fit.deviance(),
    logLik: fit.logLik(),
    AIC: fit.AIC(),
    BIC: fit.BIC(),
    sigma: fit.sigma,
    fixef: Object.entries(beta).map(([name, estimate], j) => ({ name, estimate, se: se[j]!, t: estimate / se[j]! })),
    vcovSource: fit.vcovSource,
    varcorr: fit.varCorr().map((r) => ({ group: r.group, var1: r.var1, var2: r.var2, vcov: r.vcov, sdcor: r.sdcor })),
    feval: [est.stage1.feval, est.stage2 ? est.stage2.feval : null],
    messages: [...fit.messages],
    summary: fit.summary(),
    curves: nlmerCurves(fit, table),
    elapsedMs,
  };
}
