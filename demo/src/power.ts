/**
 * The page's side of the Power card (simr's powerSim, extend, powerCurve) and the per-group fits
 * card (lme4's lmList), no DOM and no library math: the tests' names, the request built from the
 * card's fields (each bad field named), the results as tables of cells with their CSV (the Model tests
 * card's TestTable), the power curve's points with their Clopper–Pearson intervals, and the lmList
 * table's sort. The simulations and fits run in the worker (./powerRun.ts).
 */
import type { LmListMsg, PowerMethodChoice, PowerMsg, PowerRequest, PowerSetup, PowerSimMsg } from './protocol.js';
import type { TestColumn, TestTable } from './modelTests.js';

/** each test as the card names it (simr's fixed(x, method) and the package it stands for) */
export const POWER_METHODS: Record<PowerMethodChoice, string> = {
  kr: 'kr: Kenward–Roger F (pbkrtest)',
  t: 't: Satterthwaite t (lmerTest)',
  z: 'z: Wald z',
  lr: 'lr: likelihood ratio (drop1)',
  f: 'f: type-II F, Kenward–Roger (car Anova)',
  anova: 'anova: type-2 F, Satterthwaite (lmerTest anova)',
  chisq: 'chisq: type-II Wald χ² (car Anova)',
  pb: 'pb: parametric bootstrap (pbkrtest PBmodcomp)',
};

/** the card's limits on nsim (simr's default is 1000; every replicate is a refit in the tab) */
export const MAX_NSIM = 100_000;

/** the card's fields, as typed */
export interface PowerFields {
  test: string;
  method: string;
  nsim: string;
  seed: string;
  alpha: string;
  /** the effect-size fields of the chosen term's columns, by coefficient name */
  effects: Record<string, string>;
  /** the curve's variable ('' for none) and breaks ('' for simr's default) */
  along: string;
  breaks: string;
}

/** a field the card refuses, named */
export class PowerFieldError extends Error {
  constructor(readonly field: string, message: string) {
    super(message);
    this.name = 'PowerFieldError';
  }
}

const wholeNumber = (text: string) => (/^\s*[+-]?\d+\s*$/.test(text) ? Number(text) : NaN);

/** "3, 6, 9" → [3, 6, 9]; '' → undefined (simr's tidySeq default) */
export function parseBreaks(text: string): number[] | undefined {
  if (text.trim() === '') return undefined;
  const parts = text.split(/[\s,]+/).filter((p) => p !== '');
  const breaks = parts.map(wholeNumber);
  const bad = parts.find((_, i) => !(breaks[i]! >= 1));
  if (bad !== undefined) throw new PowerFieldError('breaks', `breaks must be whole numbers of levels (values) ≥ 1 separated by commas, such as 3, 6, 9; got '${bad}'`);
  return [...new Set(breaks)].sort((a, b) => a - b);
}

/**
 * The request of the card's fields: powerSim, or powerCurve with `curve` (along a variable, with its
 * breaks). Only the effect sizes changed from the fitted values travel (simr's fixef(fit)['x'] <- …).
 */
export function powerRequest(setup: PowerSetup, f: PowerFields, curve: boolean): PowerRequest {
  if (setup.refusal) throw new PowerFieldError('test', setup.refusal);
  const term = setup.terms.find((t) => t.name === f.test);
  if (!term) throw new PowerFieldError('test', `'${f.test}' is not a term or coefficient the card can test (${setup.terms.map((t) => t.name).join(', ') || 'none'})`);
  const method = f.method === '' ? term.defaultMethod : (f.method as PowerMethodChoice);
  if (!term.methods.includes(method)) throw new PowerFieldError('method', `the ${f.method} test is not offered for '${term.name}' (tests: ${term.methods.join(', ')})`);
  const nsim = wholeNumber(f.nsim);
  if (!(nsim >= 1 && nsim <= MAX_NSIM)) throw new PowerFieldError('nsim', `nsim must be a whole number of simulations from 1 to ${MAX_NSIM.toLocaleString('en-US')}, got '${f.nsim}'`);
  const seed = wholeNumber(f.seed);
  if (!Number.isSafeInteger(seed)) throw new PowerFieldError('seed', `the seed must be an integer, got '${f.seed}'`);
  const alpha = Number(f.alpha);
  if (f.alpha.trim() === '' || !(alpha > 0 && alpha < 1)) throw new PowerFieldError('alpha', `alpha must be a number between 0 and 1 (such as 0.05), got '${f.alpha}'`);
  const fixef: Record<string, number> = {};
  for (const name of term.columns) {
    const text = f.effects[name];
    if (text === undefined) continue;
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v)) throw new PowerFieldError(`effect-${name}`, `the effect size of ${name} must be a number, got '${text}'`);
    const fitted = setup.coefficients.find((c) => c.name === name)?.estimate;
    if (v !== fitted) fixef[name] = v;
  }
  const req: PowerRequest = { test: term.name, method, nsim, seed, alpha, ...(Object.keys(fixef).length ? { fixef } : {}) };
  if (curve) {
    if (setup.curveRefusal) throw new PowerFieldError('along', setup.curveRefusal);
    const along = setup.along.find((a) => a.name === f.along);
    if (!along) throw new PowerFieldError('along', `choose the variable along which the curve is drawn (${setup.along.map((a) => a.name).join(', ') || 'none'})`);
    const breaks = parseBreaks(f.breaks);
    if (breaks === undefined && along.values < 3) throw new PowerFieldError('breaks', `${along.name} has ${along.values} ${along.kind === 'factor' ? 'levels' : 'values'}: give breaks (simr's default starts at 3)`);
    req.curve = { along: along.name, ...(breaks ? { breaks } : {}) };
  }
  return req;
}

/** simr's printerval's numbers, in percent */
const pct = (x: number) => 100 * x;

const col = (key: string, head: string, csvName: string, format: TestColumn['format']): TestColumn => ({ key, head, csv: csvName, format });

const POWER_COLUMNS = [
  col('power', 'power %', 'power_percent', 'stat'), col('lower', '95% CI lower', 'ci_lower_percent', 'stat'), col('upper', '95% CI upper', 'ci_upper_percent', 'stat'),
  col('successes', 'successes', 'successes', 'int'), col('trials', 'nsim', 'nsim', 'int'),
  col('errors', 'failed', 'failed_refits', 'int'), col('warnings', 'warned', 'warned_refits', 'int'), col('singular', 'singular', 'singular_refits', 'int'),
  col('nrow', 'rows', 'nrow', 'int'),
];

const powerCells = (p: PowerSimMsg) => [pct(p.power), pct(p.ci[0]), pct(p.ci[1]), p.successes, p.trials, p.errors, p.warnings, p.singular, p.nrow];

/** the result's table: powerSim's one row, or powerCurve's row per break */
export function powerTable(m: PowerMsg): TestTable {
  if (m.sim) {
    const s = m.sim;
    return {
      id: 'power', title: `${s.text} (${s.method} test, α = ${s.alpha})`,
      columns: [col('term', 'predictor', 'predictor', 'text'), col('effect', 'effect size', 'effect', 'num'), ...POWER_COLUMNS],
      rows: [{ key: s.term, cells: [s.term, s.effect, ...powerCells(s)] }],
      caption: `${s.description.join('; ')}. Power = successes / nsim (p < α); its 95% interval is the exact Clopper–Pearson interval (binom.test, simr's default). Failed refits are not successes (simr's na.rm).`,
    };
  }
  const c = m.curve!;
  const first = c.points[0];
  return {
    id: 'power-curve', title: `${first ? first.text : 'Power'} by ${c.xlab} (${first?.method ?? ''} test, α = ${first?.alpha ?? ''})`,
    columns: [col('x', c.xlab, 'x', 'num'), col('effect', 'effect size', 'effect', 'num'), ...POWER_COLUMNS],
    rows: c.points.map((p) => ({ key: String(p.x), cells: [p.x, p.effect, ...powerCells(p)] })),
    caption: `Each response simulated once on all ${c.extended ? 'extended ' : ''}rows and refitted on the rows of the first k ${c.xlab.startsWith('number of levels') ? `levels of ${c.along}` : `sorted values of ${c.along} (x: the largest)`} (simr's powerCurve); 95% Clopper–Pearson intervals.`,
  };
}

/** the p-values of the replicates, as CSV (one row per replicate; per break for a curve) */
export function powerPValuesCsvRows(m: PowerMsg): { header: string[]; rows: (string | number | null)[][] } {
  if (m.sim) return { header: ['replicate', 'p_value'], rows: m.sim.pValues.map((p, r) => [r + 1, p]) };
  const pts = m.curve!.points;
  return { header: ['replicate', ...pts.map((p) => `p_value_at_${p.x}`)], rows: (pts[0]?.pValues ?? []).map((_, r) => [r + 1, ...pts.map((p) => p.pValues[r] ?? null)]) };
}

/** the curve's points for the chart: power and its Clopper–Pearson interval, in percent */
export function powerCurveRows(m: PowerMsg): { x: number; power: number; lower: number; upper: number; label: string }[] {
  return (m.curve?.points ?? []).map((p) => ({ x: p.x, power: pct(p.power), lower: pct(p.ci[0]), upper: pct(p.ci[1]), label: `${p.successes}/${p.trials}` }));
}

// ---------------------------------------------------------------------------------------------
// lmList

/** lmList's table: a row per group (n, each coefficient's estimate and SE, σ_g), failed groups as NA */
export function lmListTable(m: LmListMsg): TestTable {
  const columns = [
    col('group', m.request.group, 'group', 'text'), col('n', 'n', 'n', 'int'),
    ...m.names.flatMap((name, j) => [col(`est-${j}`, name, name, 'num'), col(`se-${j}`, `SE ${name}`, `se_${name}`, 'num')]),
    col('sigma', 'σ (group)', 'sigma', 'num'),
  ];
  const failed = new Map(m.failed.map((f) => [f.group, f.error]));
  return {
    id: 'lmlist', title: `Per-group fits: lm(${m.formula.split('|')[0]!.trim()}) in each level of ${m.request.group}`,
    columns,
    rows: m.groups.map((g, i) => ({ key: g, cells: [g, m.n[i]!, ...m.names.flatMap((_, j) => [m.coef[i]![j] ?? null, m.se[i]![j] ?? null]), m.sigma[i] ?? null] })),
    caption: [
      'pooled' in m && 'sd' in m.pooled ? `Pooled residual SD ${m.pooled.sd.toPrecision(6)} on ${m.pooled.df} df (lme4's pooledSD); the SEs are summary's, on the pooled SD (lme4's pool = TRUE).` : `No pooled SD: ${(m.pooled as { refusal: string }).refusal}; the SEs are each group's own.`,
      failed.size ? `Failed groups (NA): ${[...failed].map(([g, e]) => `${g} (${e})`).join('; ')}.` : '',
    ].filter(Boolean).join(' '),
  };
}

/**
 * The table's rows sorted by a column (null and NaN last whichever the direction), ties in the
 * groups' order; the text column by R's level order when the direction is 'asc' and the key is the group.
 */
export function sortRows(t: TestTable, column: number, dir: 'asc' | 'desc'): TestTable['rows'] {
  const order = new Map(t.rows.map((r, i) => [r.key, i]));
  const sign = dir === 'asc' ? 1 : -1;
  const missing = (v: string | number | null | undefined) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v));
  return [...t.rows].sort((a, b) => {
    const x = a.cells[column], y = b.cells[column];
    if (missing(x) || missing(y)) return missing(x) === missing(y) ? order.get(a.key)! - order.get(b.key)! : missing(x) ? 1 : -1;
    if (column === 0) return sign * (order.get(a.key)! - order.get(b.key)!);
    const d = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return d !== 0 ? sign * d : order.get(a.key)! - order.get(b.key)!;
  });
}
