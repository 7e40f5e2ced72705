/**
 * The printed tables of the inference results, as R prints them (R 4.2, default options): R's
 * printCoefmat in general (the coefficient table with df of lmerTest's summary, the anova tables
 * through print.anova), lmerTest's anova heading, lme4's anova(m0, m1) table, confint's matrix, and
 * case-deletion influence's table (the CLI's and the browser app's), pbkrtest's model comparisons
 * (KRmodcomp, SATmodcomp, PBmodcomp).
 */
import { deparseFormula, formatPval, formatR, printMatrix, roundR, zapsmall } from '../results/rFormat.js';
import { type AnovaType, anovaHeading } from './anovaType.js';
import type { Influence } from './influence.js';
import type { KrModcomp, SatModcomp } from './modcomp.js';
import type { PbModcomp } from './pbModcomp.js';

/** A numeric table: columns of values (NaN prints as the na string), with row and column names. */
export interface NumericTable {
  rowNames: string[];
  colNames: string[];
  columns: number[][];
}

export interface CoefmatOptions {
  digits?: number;
  signifStars?: boolean;
  /** 0-based columns formatted together as coefficients and SEs (default: all before the test column) */
  csInd?: number[];
  /** 0-based test-statistic columns (default: the one after csInd) */
  tstInd?: number[];
  /** 0-based columns zapsmall()ed first */
  zapInd?: number[];
  /** the last column holds p-values (default: its name starts with "Pr(" or "p-v") */
  hasPvalue?: boolean;
  naPrint?: string;
  /** format.pval's eps: p-values below it print as `<eps` (default .Machine$double.eps) */
  epsPvalue?: number;
}

const LEGEND = "Signif. codes:  0 ‘***’ 0.001 ‘**’ 0.01 ‘*’ 0.05 ‘.’ 0.1 ‘ ’ 1";

/** R's format(x, digits) of a numeric vector with NAs (NaN here): "NA" counts 2 characters in the common width. */
function formatNA(values: number[], digits: number): string[] {
  const ok = values.filter((v) => !Number.isNaN(v));
  const f = ok.length ? formatR(ok, digits) : [];
  const w = Math.max(0, ...f.map((x) => x.length), ok.length < values.length ? 2 : 0);
  let k = 0;
  return values.map((v) => (Number.isNaN(v) ? 'NA' : f[k++]).padStart(w));
}

/** R's stats::printCoefmat. */
export function printCoefmat(x: NumericTable, o: CoefmatOptions = {}): string[] {
  const nc = x.columns.length;
  const nr = x.rowNames.length;
  const digits = o.digits ?? 5;
  const digTst = Math.max(1, Math.min(5, digits - 1));
  const last = x.colNames[nc - 1] ?? '';
  const hasP = o.hasPvalue ?? (nc >= 4 && (last.startsWith('Pr(') || last.startsWith('p-v')));
  const k = nc - (hasP ? 1 : 0) - (o.tstInd ? o.tstInd.length : 1);
  const csInd = o.csInd ?? Array.from({ length: k }, (_, i) => i);
  const tstInd = o.tstInd ?? [k];
  const naPrint = o.naPrint ?? 'NA';
  const xm = x.columns.map((c) => c.slice());
  const Cf: string[][] = x.columns.map((c) => c.map(() => ''));
  for (const i of o.zapInd ?? []) xm[i] = zapsmall(xm[i], digits);
  if (csInd.length) {
    const vals = csInd.flatMap((j) => xm[j]);
    const acs = vals.map(Math.abs).filter((a) => Number.isFinite(a));
    if (acs.length) {
      const nz = acs.filter((a) => a !== 0);
      const digmin = nz.length ? [Math.min(...nz), Math.max(...nz)].map((a) => 1 + Math.floor(Math.log10(a))) : [1];
      const dec = Math.max(1, ...digmin.map((d) => digits - d));
      const f = formatNA(vals.map((v) => (Number.isFinite(v) ? roundR(v, dec) : v)), digits);
      csInd.forEach((j, a) => { for (let r = 0; r < nr; r++) Cf[j][r] = f[a * nr + r]; });
    }
  }
  if (tstInd.length) {
    const vals = tstInd.flatMap((j) => xm[j]);
    const f = formatNA(vals.map((v) => (Number.isFinite(v) ? roundR(v, digTst) : v)), digits);
    tstInd.forEach((j, a) => { for (let r = 0; r < nr; r++) Cf[j][r] = f[a * nr + r]; });
  }
  for (let j = 0; j < nc; j++) {
    if (csInd.includes(j) || tstInd.includes(j) || (hasP && j === nc - 1)) continue;
    Cf[j] = formatNA(xm[j], digits);
  }
  // cells that print as 0 although the value is not (or the reverse): formatted with digits − 1
  const cells: [number, number][] = [];
  for (let j = 0; j < nc - (hasP ? 1 : 0); j++) {
    if (tstInd.includes(j)) continue;
    for (let r = 0; r < nr; r++) {
      const v = xm[j][r];
      if (Number.isNaN(v)) continue;
      if ((v === 0) !== (Number(Cf[j][r]) === 0)) cells.push([j, r]);
    }
  }
  if (cells.length) {
    const f = formatR(cells.map(([j, r]) => xm[j][r]), Math.max(1, digits - 1));
    cells.forEach(([j, r], a) => { Cf[j][r] = f[a]; });
  }
  for (let j = 0; j < nc; j++) for (let r = 0; r < nr; r++) if (Number.isNaN(x.columns[j][r]) && !(hasP && j === nc - 1)) Cf[j][r] = naPrint;
  const cols = Cf;
  const names = [...x.colNames];
  let stars = false;
  if (hasP) {
    const pv = xm[nc - 1];
    const okP = pv.map((v) => !Number.isNaN(v));
    const f = formatPval(pv.filter((_, r) => okP[r]), digTst, o.epsPvalue);
    let a = 0;
    cols[nc - 1] = pv.map((_, r) => (okP[r] ? f[a++] : naPrint));
    stars = (o.signifStars ?? true) && pv.some((v) => v < 0.1);
    if (stars) {
      const sym = pv.map((v) => (Number.isNaN(v) ? '' : v <= 0.001 ? '***' : v <= 0.01 ? '**' : v <= 0.05 ? '*' : v <= 0.1 ? '.' : ' '));
      const w = Math.max(...sym.map((s) => s.length));
      cols.push(sym.map((s) => s.padEnd(w)));
      names.push('');
    }
  }
  const lines = printMatrix(cols, x.rowNames, names, true);
  if (stars) lines.push('---', LEGEND);
  return lines;
}

/** R's print.anova: printCoefmat with digits 5, test columns F/Chisq/"… value", zapsmall on the others but Df. */
export function printAnova(x: NumericTable, heading: string[]): string[] {
  const nc = x.colNames.length;
  const hasP = /^(P|Pr)\(/.test(x.colNames[nc - 1]);
  const tst = x.colNames.flatMap((c, j) => (c.slice(1, 7) === ' value' || ['F', 'Cp', 'Chisq'].includes(c) ? [j] : []));
  const zap = Array.from({ length: hasP ? nc - 1 : nc }, (_, j) => j).filter((j) => !tst.includes(j) && !/Df$/.test(x.colNames[j]));
  return [...heading, ...printCoefmat(x, { digits: 5, csInd: [], tstInd: tst, zapInd: zap, hasPvalue: hasP, naPrint: '' })];
}

/** lmerTest's coefficient table (print.summary.merMod: printCoefmat, digits 4; Estimate, SE and df together). */
export function printCoefTable(rows: { name: string; estimate: number; se: number; df: number; t: number; p: number }[]): string[] {
  return printCoefmat({
    rowNames: rows.map((r) => r.name),
    colNames: ['Estimate', 'Std. Error', 'df', 't value', 'Pr(>|t|)'],
    columns: [rows.map((r) => r.estimate), rows.map((r) => r.se), rows.map((r) => r.df), rows.map((r) => r.t), rows.map((r) => r.p)],
  }, { digits: 4 });
}

/** lmerTest's anova(fit, type, ddf): heading (of the type, default III) and table. */
export function printAnovaTable(rows: { term: string; sumsq: number; meansq: number; numdf: number; dendf: number; F: number; p: number }[], method: 'satterthwaite' | 'kenward-roger', type: AnovaType = 'III'): string[] {
  const heading = anovaHeading(type, method);
  return printAnova({
    rowNames: rows.map((r) => r.term),
    colNames: ['Sum Sq', 'Mean Sq', 'NumDF', 'DenDF', 'F value', 'Pr(>F)'],
    columns: [rows.map((r) => r.sumsq), rows.map((r) => r.meansq), rows.map((r) => r.numdf), rows.map((r) => r.dendf), rows.map((r) => r.F), rows.map((r) => r.p)],
  }, [heading]);
}

/** lme4's anova(fit) of one model: "Analysis of Variance Table" and npar, Sum Sq, Mean Sq, F value (print.anova). */
export function printLme4Anova(rows: { term: string; npar: number; sumSq: number; meanSq: number; F: number }[]): string[] {
  return printAnova({
    rowNames: rows.map((r) => r.term),
    colNames: ['npar', 'Sum Sq', 'Mean Sq', 'F value'],
    columns: [rows.map((r) => r.npar), rows.map((r) => r.sumSq), rows.map((r) => r.meanSq), rows.map((r) => r.F)],
  }, ['Analysis of Variance Table']);
}

/** car's Anova (Wald χ² tests) as it prints: "Analysis of Deviance Table (Type II Wald chisquare tests)", the response, the table. */
export function printWaldAnova(rows: { term: string; chisq: number; df: number; p: number }[], type: 'II' | 'III', response: string): string[] {
  return printAnova({
    rowNames: rows.map((r) => r.term),
    colNames: ['Chisq', 'Df', 'Pr(>Chisq)'],
    columns: [rows.map((r) => r.chisq), rows.map((r) => r.df), rows.map((r) => r.p)],
  }, [`Analysis of Deviance Table (Type ${type} Wald chisquare tests)`, '', `Response: ${response}`]);
}

/** lme4's anova(m0, m1, …) table: the header lines, then npar, AIC, BIC, logLik, deviance, Chisq, Df, Pr(>Chisq). */
export function printLrtTable(
  names: string[], dataName: string,
  models: { formula: string; npar: number; aic: number; bic: number; loglik: number; deviance: number }[],
  tests: ({ chisq: number; df: number; p: number | null } | null)[],
  /** glmmTMB's anova: its own model lines and its column names Df and Chi Df for lme4's npar and Df */
  tmb?: { modelLines: string[] },
): string[] {
  const heading = [`Data: ${dataName}`, 'Models:', ...(tmb ? tmb.modelLines : models.map((m, k) => `${names[k]}: ${m.formula}`))];
  return printAnova({
    rowNames: names,
    colNames: tmb ? ['Df', 'AIC', 'BIC', 'logLik', 'deviance', 'Chisq', 'Chi Df', 'Pr(>Chisq)'] : ['npar', 'AIC', 'BIC', 'logLik', 'deviance', 'Chisq', 'Df', 'Pr(>Chisq)'],
    columns: [
      models.map((m) => m.npar), models.map((m) => m.aic), models.map((m) => m.bic), models.map((m) => m.loglik), models.map((m) => m.deviance),
      tests.map((t) => t?.chisq ?? NaN), tests.map((t) => t?.df ?? NaN), tests.map((t) => t?.p ?? NaN),
    ],
  }, heading);
}

/** print() of confint's matrix: columns "2.5 %" and "97.5 %" (R's format.perc), 7 significant digits, NA for a missing bound. */
export function printIntervals(intervals: { name: string; lower: number | null; upper: number | null }[], level: number): string[] {
  const a = (1 - level) / 2;
  const perc = (v: number) => `${String(Number((100 * v).toPrecision(3)))} %`;
  const lo = intervals.map((i) => i.lower ?? NaN), hi = intervals.map((i) => i.upper ?? NaN);
  const fmt = (v: number[]) => {
    const f = formatR(v.filter((x) => !Number.isNaN(x)), 7);
    let k = 0;
    return v.map((x) => (Number.isNaN(x) ? 'NA' : f[k++]));
  };
  return printMatrix([fmt(lo), fmt(hi)], intervals.map((i) => i.name), [perc(a), perc(1 - a)], true);
}

/** lmerTest's ranova table: its heading (the model with its random-effects terms expanded) and npar, logLik, AIC, LRT, Df, Pr(>Chisq). */
export function printRanovaTable(rows: { name: string; npar: number; logLik: number; AIC: number; LRT: number | null; Df: number | null; p: number | null }[], model: string): string[] {
  return printAnova({
    rowNames: rows.map((r) => r.name),
    colNames: ['npar', 'logLik', 'AIC', 'LRT', 'Df', 'Pr(>Chisq)'],
    columns: [
      rows.map((r) => r.npar), rows.map((r) => r.logLik), rows.map((r) => r.AIC),
      rows.map((r) => r.LRT ?? NaN), rows.map((r) => r.Df ?? NaN), rows.map((r) => r.p ?? NaN),
    ],
  }, ['ANOVA-like table for random-effects: Single term deletions', '', 'Model:', model]);
}

/**
 * An anova table without rows (no marginal fixed-effects term: an intercept-only model): R prints
 * the empty matrix's column names after the width of its row labels "[0,]" (a matrix without row
 * names), and no legend.
 */
function emptyTableLine(colNames: string[]): string {
  return `${' '.repeat(4)} ${colNames.join(' ')}`;
}

/** lmerTest's drop1 table: "Single term deletions using …'s method:", the model, and the anova table's columns. */
export function printDrop1Table(rows: { term: string; sumsq: number; meansq: number; numdf: number; dendf: number; F: number; p: number }[], method: 'satterthwaite' | 'kenward-roger', model: string): string[] {
  const heading = [`Single term deletions using ${method === 'satterthwaite' ? "Satterthwaite's" : "Kenward-Roger's"} method:`, '', 'Model:', model];
  const colNames = ['Sum Sq', 'Mean Sq', 'NumDF', 'DenDF', 'F value', 'Pr(>F)'];
  if (rows.length === 0) return [...heading, emptyTableLine(colNames)];
  return printAnova({
    rowNames: rows.map((r) => r.term),
    colNames,
    columns: [rows.map((r) => r.sumsq), rows.map((r) => r.meansq), rows.map((r) => r.numdf), rows.map((r) => r.dendf), rows.map((r) => r.F), rows.map((r) => r.p)],
  }, heading);
}

/**
 * lme4's drop1 of a glmer fit (print.anova): "Single term deletions", the model, npar, AIC (and LRT, Pr(Chi) for test = "Chisq"), the <none> row first;
 * with `stats`, stats' drop1.default (a glmmTMB fit's): the columns Df, AIC, LRT, Pr(>Chi) and the model's deparsed lines.
 */
export function printGlmmDrop1Table(none: { AIC: number }, rows: { term: string; npar: number; AIC: number; LRT?: number; p?: number | null }[], test: 'Chisq' | 'none', model: string | string[], stats = false): string[] {
  const chisq = test === 'Chisq';
  const [df, pr] = stats ? ['Df', 'Pr(>Chi)'] : ['npar', 'Pr(Chi)'];
  return printAnova({
    rowNames: ['<none>', ...rows.map((r) => r.term)],
    colNames: chisq ? [df, 'AIC', 'LRT', pr] : [df, 'AIC'],
    columns: [
      [NaN, ...rows.map((r) => r.npar)], [none.AIC, ...rows.map((r) => r.AIC)],
      ...(chisq ? [[NaN, ...rows.map((r) => r.LRT ?? NaN)], [NaN, ...rows.map((r) => r.p ?? NaN)]] : []),
    ],
  }, ['Single term deletions', '', 'Model:', ...(Array.isArray(model) ? model : [model])]);
}

/**
 * lmerTest's print of step(): the "Backward reduced random-effect table" (Eliminated, then ranova's
 * columns; the `<none>` row's Eliminated empty), the "Backward reduced fixed-effect table" with its
 * ddf method (Eliminated, then drop1's columns), and "Model found:" with the final formula.
 */
export function printStepResult(
  random: { name: string; eliminated: number | null; npar: number; logLik: number; AIC: number; LRT: number | null; Df: number | null; p: number | null }[],
  fixed: { term: string; eliminated: number; sumsq: number; meansq: number; numdf: number; dendf: number; F: number; p: number }[],
  method: 'satterthwaite' | 'kenward-roger', formula: string,
): string[] {
  const randomTable = printAnova({
    rowNames: random.map((r) => r.name),
    colNames: ['Eliminated', 'npar', 'logLik', 'AIC', 'LRT', 'Df', 'Pr(>Chisq)'],
    columns: [
      random.map((r) => r.eliminated ?? NaN), random.map((r) => r.npar), random.map((r) => r.logLik), random.map((r) => r.AIC),
      random.map((r) => r.LRT ?? NaN), random.map((r) => r.Df ?? NaN), random.map((r) => r.p ?? NaN),
    ],
  }, ['Backward reduced random-effect table:', '']);
  const fixedHeading = ['Backward reduced fixed-effect table:', `Degrees of freedom method: ${method === 'satterthwaite' ? 'Satterthwaite' : 'Kenward-Roger'} `, ''];
  const fixedColumns = ['Eliminated', 'Sum Sq', 'Mean Sq', 'NumDF', 'DenDF', 'F value', 'Pr(>F)'];
  const fixedTable = fixed.length === 0 ? [...fixedHeading, emptyTableLine(fixedColumns)] : printAnova({
    rowNames: fixed.map((r) => r.term),
    colNames: fixedColumns,
    columns: [
      fixed.map((r) => r.eliminated), fixed.map((r) => r.sumsq), fixed.map((r) => r.meansq), fixed.map((r) => r.numdf),
      fixed.map((r) => r.dendf), fixed.map((r) => r.F), fixed.map((r) => r.p),
    ],
  }, fixedHeading);
  return [...randomTable, '', ...fixedTable, '', 'Model found:', formula];
}

/** the units in order of Cook's distance, largest first (ties in the units' order) */
export function influenceOrder(cooks: Float64Array): number[] {
  return Array.from(cooks, (_, i) => i).sort((a, b) => cooks[b] - cooks[a] || a - b);
}

/** The text table: unit, rows deleted, Cook's D, then dfbetas by coefficient, for the first `top` units by Cook's D. */
export function printInfluence(infl: Influence, top: number): string[] {
  const cooks = infl.cooksDistance();
  const dfbs = infl.dfbetas();
  const order = influenceOrder(cooks).slice(0, top);
  const unit = infl.groups === 'case' ? 'row' : infl.groups;
  const header = [unit, 'n', "Cook's D", ...infl.xnames.map((x) => `dfbetas ${x}`)];
  const body = order.map((i) => [infl.deleted[i].label, String(infl.deleted[i].rows), cooks[i].toPrecision(4), ...Array.from(dfbs[i], (v) => v.toFixed(4))]);
  const widths = header.map((h, c) => Math.max(h.length, ...body.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((s, c) => (c === 0 ? s.padEnd(widths[c]) : s.padStart(widths[c]))).join('  ');
  const G = infl.deleted.length;
  const title = `Case-deletion influence (lme4's influence.merMod) by ${infl.groups === 'case' ? 'observation' : infl.groups}: ${G} refits` +
    (G > top ? `, the ${top} largest Cook's distances` : '');
  const notConverged = infl.deleted.filter((d) => !d.converged).map((d) => d.label);
  return [title, line(header), ...body.map(line), ...(notConverged.length ? [`refits that did not converge within maxfun: ${notConverged.join(', ')}`] : [])];
}

/** print() of a numeric matrix (R's print.default): each column formatted by itself (7 significant digits), labels [i,] and [,j] or the given ones */
function printNumericMatrix(L: number[][], rowNames?: string[], colNames?: string[]): string[] {
  const p = L[0]?.length ?? 0;
  const cols = Array.from({ length: p }, (_, j) => formatR(L.map((r) => r[j]), 7));
  return printMatrix(cols, rowNames ?? L.map((_, i) => `[${i + 1},]`), colNames ?? cols.map((_, j) => `[,${j + 1}]`), true);
}

/** pbkrtest's `large : formula` line and the small model's (its formula, or its restriction matrix as each printer shows it) */
function modcompHeading(large: string, small: string | null, smallPrefix: string): string[] {
  const f = (text: string) => deparseFormula(text).join('\n');
  return [`large : ${f(large)}`, ...(small === null ? [] : [`${smallPrefix}${f(small)}`])];
}

/**
 * pbkrtest's print(KRmodcomp) (the Ftest row, or FtestU's where F.scaling ≤ 0.2) or, with `summary`,
 * summary(KRmodcomp): its heading (time), both rows and the notes on the scaling. The small model's
 * formula, or L where it was given (pbkrtest's .KRcommon).
 */
export function printKrModcomp(x: KrModcomp, options: { summary?: boolean; seconds?: number } = {}): string[] {
  const heading = [...modcompHeading(x.large, x.small, 'small : '), ...(x.small === null ? ['L = ', ...printNumericMatrix(x.L)] : [])];
  const rows = [
    { name: 'Ftest', stat: x.Ftest.stat, Fscaling: x.Ftest.Fscaling, p: x.Ftest.p },
    { name: 'FtestU', stat: x.FtestU.stat, Fscaling: NaN, p: x.FtestU.p },
  ];
  const shown = options.summary ? rows : [rows[x.Ftest.Fscaling > 0.2 ? 0 : 1]];
  const table = printCoefmat({
    rowNames: shown.map((r) => r.name),
    colNames: ['stat', 'ndf', 'ddf', 'F.scaling', 'p.value'],
    columns: [shown.map((r) => r.stat), shown.map(() => x.Ftest.ndf), shown.map(() => x.Ftest.ddf), shown.map((r) => r.Fscaling), shown.map((r) => r.p)],
  }, { csInd: [], tstInd: [0, 1, 2], hasPvalue: true, naPrint: '' });
  if (!options.summary) return [...heading, ...table];
  const s = x.Ftest.Fscaling;
  const notes = s < 0.2 && s > 0 ? ['Note: The scaling factor for the F-statistic is smaller than 0.2 ', 'The Unscaled statistic might be more reliable '] :
    s <= 0 ? ['Note: The scaling factor for the F-statistic is negative ', 'Use the Unscaled statistic instead. '] : [];
  return [`F-test with Kenward-Roger approximation; time: ${(options.seconds ?? 0).toFixed(2)} sec`, ...heading, ...table, ...notes];
}

/** pbkrtest's print(SATmodcomp): the large model, the restriction matrix tested (prmatrix with blank labels), the F test */
export function printSatModcomp(x: SatModcomp): string[] {
  const p = x.L[0].length;
  const cols = Array.from({ length: p }, (_, j) => formatR(x.L.map((r) => r[j]), 7));
  return [
    ...modcompHeading(x.large, null, ''), 'small (restriction matrix) : ',
    ...printMatrix(cols, x.L.map(() => ''), cols.map(() => ''), true),
    ...printCoefmat({
      rowNames: ['[1,]'], colNames: ['statistic', 'ndf', 'ddf', 'p.value'],
      columns: [[x.test.stat], [x.test.ndf], [x.test.ddf], [x.test.p]],
    }, { csInd: [0, 1], tstInd: [2], hasPvalue: true }),
  ];
}

/**
 * pbkrtest's print(PBmodcomp) (LRT and PBtest) or print(summary(PBmodcomp)) (with the Gamma,
 * Bartlett and F rows): its "Bootstrap test; time…; samples…; extremes…;" line, the used samples
 * where some were not positive, the large model's formula and the small one's (printed without a
 * label, as pbkrtest 0.5.2 prints it).
 */
export function printPbModcomp(x: PbModcomp, options: { summary?: boolean } = {}): string[] {
  const s = x.summary;
  const head = [`Bootstrap test; time: ${(x.timeMs / 1000).toFixed(2)} sec; samples: ${s.samples.nsim}; extremes: ${s.nExtreme};`];
  if (s.samples.npos < s.samples.nsim) head.push(`Requested samples: ${s.samples.nsim} Used samples: ${s.samples.npos} Extremes: ${s.nExtreme}`);
  head.push(...modcompHeading(x.large, x.small, ''));
  const rows = options.summary ? s.rows : s.rows.slice(0, 2);
  const na = (v: number | null) => (v === null ? NaN : v);
  const columns = options.summary
    ? [rows.map((r) => r.stat), rows.map((r) => na(r.df)), rows.map((r) => na(r.ddf)), rows.map((r) => na(r.p))]
    : [rows.map((r) => r.stat), rows.map((r) => na(r.df)), rows.map((r) => na(r.p))];
  const table = printCoefmat({
    rowNames: rows.map((r) => r.name),
    colNames: options.summary ? ['stat', 'df', 'ddf', 'p.value'] : ['stat', 'df', 'p.value'],
    columns,
  }, { csInd: options.summary ? [0, 1] : [0], tstInd: [0], hasPvalue: true, naPrint: '' });
  return [...head, ...table, ...(options.summary ? [''] : [])];
}

/**
 * getME's results as text (mixedgpu getme): a heading per name, then the value — a number, a vector (7
 * significant digits), a matrix's rows, a sparse matrix as its non-zero entries (row, column, value;
 * 1-based, as R's summary() of a dgCMatrix), lists one item per line.
 */
export function printGetME(name: string, value: unknown): string[] {
  const num = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(7))) : Number.isNaN(v) ? 'NA' : v > 0 ? 'Inf' : '-Inf');
  const head = `$${name}`;
  if (typeof value === 'number') return [head, num(value)];
  if (typeof value === 'boolean') return [head, value ? 'TRUE' : 'FALSE'];
  if (value instanceof Float64Array || value instanceof Int32Array) return [head, Array.from(value, num).join(' ')];
  if (Array.isArray(value)) {
    if (value.every((v) => typeof v === 'number')) return [head, value.map(num).join(' ')];
    if (value.every((v) => Array.isArray(v))) return [head, ...value.map((row: number[]) => row.map(num).join(' '))];
    // ST, Tlist: each term's matrix under its group's name
    if (value.every((v) => v && typeof v === 'object' && Array.isArray((v as { matrix?: unknown }).matrix))) {
      return [head, ...value.flatMap((v: { group: string; matrix: number[][] }) => [`${v.group}:`, ...v.matrix.map((row) => row.map(num).join(' '))])];
    }
    // flist, cnms: one item per line
    return [head, ...value.map((v: { name?: string; group?: string; names?: string[]; levels?: string[] }) =>
      v.levels ? `${v.name}: ${v.levels.length} levels (${v.levels.slice(0, 10).join(' ')}${v.levels.length > 10 ? ' …' : ''})` : `${v.group}: ${(v.names ?? []).join(' ')}`)];
  }
  if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    if (o.format === 'csc') {
      const S = o as unknown as { nrow: number; ncol: number; p: Int32Array; i: Int32Array; x: Float64Array };
      const lines = [head, `${S.nrow} x ${S.ncol} sparse Matrix of class "dgCMatrix", ${S.x.length} entries`, 'i j x'];
      for (let j = 0; j < S.ncol; j++) for (let e = S.p[j]; e < S.p[j + 1]; e++) lines.push(`${S.i[e] + 1} ${j + 1} ${num(S.x[e])}`);
      return lines;
    }
    if (Array.isArray(o.rows) && Array.isArray(o.names)) return [head, (o.names as string[]).join(' '), ...(o.rows as number[][]).map((r) => r.map(num).join(' '))];
    // L: the factor and its permutation (1-based, as the entries)
    if (o.L && typeof o.L === 'object' && (o.perm instanceof Int32Array)) {
      return [head, `perm: ${Array.from(o.perm, (v) => v + 1).join(' ')}`, ...printGetME(name, o.L).slice(1)];
    }
    // Tp: a named vector whose names repeat
    if (Array.isArray(o.names) && Array.isArray(o.values)) {
      return [head, (o.names as string[]).map((nm, k) => `${nm}=${num((o.values as number[])[k])}`).join(' ')];
    }
    if ('cmp' in o && 'dims' in o) {
      const line = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k}=${num(v)}`).join(' ');
      return [head, `cmp: ${line(o.cmp as Record<string, number>)}`, `dims: ${line(o.dims as Record<string, number>)}`];
    }
    // Ztlist, mmList: a named list of matrices, each under $name$item
    const entries = Object.entries(o);
    if (entries.length > 0 && entries.every(([, v]) => v && typeof v === 'object' && !ArrayBuffer.isView(v))) {
      return [head, ...entries.flatMap(([k, v]) => printGetME(`${name}$${k}`, v))];
    }
    // a named vector (theta, fixef)
    return [head, Object.entries(o).map(([k, v]) => `${k}=${num(v as number)}`).join(' ')];
  }
  return [head, String(value)];
}
