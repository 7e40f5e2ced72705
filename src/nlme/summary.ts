/**
 * nlme's print(summary(fit)) of lme and gls fits: the title, AIC/BIC/logLik, the random effects'
 * StdDev (and Corr), the correlation structure's and the variance function's estimates, the
 * fixed-effects table (Value, Std.Error, DF, t-value, p-value: format(zapsmall(·)) and p rounded to
 * 4 decimals, as print.summary.lme), their correlation (print.correlation), the standardized residuals'
 * quantiles and the numbers of observations and groups (lme) or the residual SE and df (gls).
 */
import { abbreviate, formatR, printMatrix, printNamedVector, roundR, zapsmall } from '../results/rFormat.js';
import { quantile7 } from '../frame/basis/bspline.js';
import { isGeneralPd } from './randomSpec.js';

export interface StructEstimates {
  structure: string; formula: string; names: string[]; values: number[];
  /** the values are a correlation matrix's lower triangle by columns, with these dimnames (corSymm) */
  matrix?: string[];
  /** a varComb's functions, each printed as its own structure */
  parts?: StructEstimates[];
}

/** One level of the random effects as nlme prints it (the innermost's names and SDs end with the residual's). */
export interface RandomLevelLines {
  formula: string; pd: string; names: string[]; stdDev: number[]; corr: number[][];
  /** pdBlocked's blocks: each one's class, its formula (`~Variety - 1 | Block`) and columns */
  blocks?: { pd: string; formula: string; col: number; q: number }[];
}

export interface SummarySource {
  title: string;
  /** gls's model line */
  model?: string;
  dataName: string;
  /** null: R's NA (MASS's glmmPQL sets the log-likelihood to NA) */
  AIC: number | null;
  BIC: number | null;
  logLik: number | null;
  /** the levels of grouping, outermost first (null: gls) */
  random: RandomLevelLines[] | null;
  corStruct: StructEstimates | null;
  varStruct: StructEstimates | null;
  fixedText: string;
  table: { name: string; Value: number; StdError: number; DF?: number; t: number; p: number }[];
  vcov: number[][];
  /** the standardized residuals (nlme's pearson) */
  standardized: Float64Array;
  nobs: number;
  ngroups: number | null;
  /** several levels: each level's label and number of groups (nlme's "Number of Groups:" vector) */
  groupCounts?: { label: string; count: number }[];
  sigma: number;
}

function structLines(head: string, s: StructEstimates, label: string): string[] {
  const lines = [`${head}${s.structure}`, ` Formula: ${s.formula} `];
  if (s.matrix) {
    // nlme's print.summary.corSymm: the correlation matrix as print.correlation prints it
    const K = s.matrix.length;
    const C: number[][] = Array.from({ length: K }, (_, i) => Array.from({ length: K }, (__, j) => (i === j ? 1 : 0)));
    let k = 0;
    for (let j = 0; j < K - 1; j++) for (let i = j + 1; i < K; i++) { C[i][j] = s.values[k]; C[j][i] = s.values[k]; k++; }
    lines.push(label, ' Correlation: ', ...correlationLines(s.matrix, C, s.matrix));
  } else if (s.names.length) lines.push(label, ...printNamedVector(formatR(s.values, 7), s.names).map((l) => l));
  return lines;
}

/** The variance function's lines: nlme's print.summary.varFunc, or print.summary.varComb's list of its functions. */
function varLines(s: StructEstimates): string[] {
  if (!s.parts) return ['Variance function:', ...structLines(' Structure: ', s, ' Parameter estimates:')];
  return [`${s.structure} `, ...s.parts.flatMap((p) => structLines(' Structure: ', p, ' Parameter estimates:'))];
}

/** print.correlation: the lower triangle of format(round(C, 3)), without the first row and last column. */
function correlationLines(names: string[], C: number[][], colNames: string[]): string[] {
  const p = names.length;
  const all = formatR(C.flat().map((v) => roundR(v, 3)), 7);
  const cols = Array.from({ length: p - 1 }, (_, j) => names.slice(1).map((__, r) => (r + 1 > j ? all[(r + 1) * p + j] : '')));
  return printMatrix(cols, names.slice(1), colNames.slice(0, p - 1), false);
}

/** nlme's " Structure:" line of a pdMat class (none for a general class with one column) */
const PD_STRUCTURE: Record<string, string> = {
  pdLogChol: 'General positive-definite, Log-Cholesky parametrization',
  pdSymm: 'General positive-definite',
  pdNatural: 'General positive-definite, Natural parametrization',
  pdDiag: 'Diagonal',
  pdIdent: 'Multiple of an Identity',
  pdCompSymm: 'Compound Symmetry',
};

/** One level's lines (print.summary.pdMat through print.reStruct). */
function randomLevelLines(r: RandomLevelLines): string[] {
  const lines = [` Formula: ${r.formula}`];
  const hasResidual = r.names[r.names.length - 1] === 'Residual';
  const q = r.names.length - (hasResidual ? 1 : 0);
  if (q === 1 && isGeneralPd(r.pd) || r.pd === 'pdDiag' || r.pd === 'pdIdent') {
    if (q > 1) lines.push(` Structure: ${PD_STRUCTURE[r.pd]}`);
    lines.push(...printMatrix(r.stdDev.map((v) => [formatR([v], 7)[0]]), ['StdDev:'], r.names, true));
    return lines;
  }
  lines.push(` Structure: ${PD_STRUCTURE[r.pd]}`);
  const abbr = abbreviate(r.names.slice(0, q), 6);
  const corr = formatR(r.corr.flat().map((v) => roundR(v, 3)), 7);
  const cols = [formatR(r.stdDev, 7)];
  for (let j = 0; j < q - 1; j++) {
    // compound symmetry's table has no abbreviated names on its diagonal (print.summary.pdCompSymm)
    cols.push(r.names.map((_, i) => (i === j ? (r.pd === 'pdCompSymm' ? '' : abbr[j]) : i > j && i < q ? corr[i * q + j] : '')));
  }
  lines.push(...printMatrix(cols, r.names, ['StdDev', 'Corr', ...new Array<string>(Math.max(0, q - 2)).fill('')], false));
  return lines;
}

/** A pdBlocked level's lines (print.summary.pdBlocked): each block's, headed by its columns' names. */
function blockedLines(r: RandomLevelLines): string[] {
  const lines = [' Composite Structure: Blocked'];
  const blocks = r.blocks!;
  blocks.forEach((b, k) => {
    const cols = Array.from({ length: b.q }, (_, i) => b.col + i);
    const last = k === blocks.length - 1 && r.names[r.names.length - 1] === 'Residual';
    const names = cols.map((c) => r.names[c]);
    const sub: RandomLevelLines = {
      formula: b.formula, pd: b.pd,
      names: last ? [...names, 'Residual'] : names,
      stdDev: last ? [...cols.map((c) => r.stdDev[c]), r.stdDev[r.stdDev.length - 1]] : cols.map((c) => r.stdDev[c]),
      corr: cols.map((i) => cols.map((j) => r.corr[i][j])),
    };
    lines.push('', ` Block ${k + 1}: ${names.join(', ')}`, ...randomLevelLines(sub));
  });
  return lines;
}

function randomLines(levels: RandomLevelLines[]): string[] {
  const lines = ['Random effects:'];
  levels.forEach((r, k) => {
    if (k > 0) lines.push('');
    lines.push(...(r.blocks ? blockedLines(r) : randomLevelLines(r)));
  });
  return lines;
}

export function formatSummary(s: SummarySource): string {
  const lines: string[] = [s.title];
  if (s.model) lines.push(`  Model: ${s.model} `);
  lines.push(`  Data: ${s.dataName} `);
  const cell = (x: number | null) => (x === null ? ['NA'] : formatR([x], 7));
  lines.push(...printMatrix([cell(s.AIC), cell(s.BIC), cell(s.logLik)], [' '], ['AIC', 'BIC', 'logLik'], true), '');
  if (s.random) lines.push(...randomLines(s.random), '');
  if (s.corStruct) lines.push(...structLines('Correlation Structure: ', s.corStruct, ' Parameter estimate(s):'));
  if (s.varStruct) lines.push(...varLines(s.varStruct));
  if (s.random) lines.push(`Fixed effects:  ${s.fixedText} `);
  else {
    if (s.corStruct || s.varStruct) lines.push('');
    lines.push('Coefficients:');
  }
  const t = s.table;
  const fmt = (xs: number[]) => formatR(zapsmall(xs, 7), 7);
  const cols = [fmt(t.map((r) => r.Value)), fmt(t.map((r) => r.StdError))];
  const names = ['Value', 'Std.Error'];
  if (t.every((r) => r.DF !== undefined)) { cols.push(fmt(t.map((r) => r.DF!))); names.push('DF'); }
  cols.push(fmt(t.map((r) => r.t)), formatR(t.map((r) => roundR(r.p, 4)), 7));
  names.push('t-value', 'p-value');
  lines.push(...printMatrix(cols, t.map((r) => r.name), names, true));
  if (!s.random) lines.push('');
  if (t.length > 1) {
    lines.push(' Correlation: ');
    const sd = s.vcov.map((r, i) => Math.sqrt(r[i]));
    const C = s.vcov.map((r, i) => r.map((v, j) => v / (sd[i] * sd[j])));
    lines.push(...correlationLines(t.map((r) => r.name), C, abbreviate(t.map((r) => r.name), 6)));
  }
  lines.push('', `Standardized ${s.random ? 'Within-Group ' : ''}Residuals:`.replace('Standardized Residuals', 'Standardized residuals'));
  lines.push(...printNamedVector(formatR(quantile7(s.standardized, [0, 0.25, 0.5, 0.75, 1]), 7), ['Min', 'Q1', 'Med', 'Q3', 'Max']));
  lines.push('');
  if (s.random) {
    lines.push(`Number of Observations: ${s.nobs}`);
    if (s.groupCounts && s.groupCounts.length > 1) lines.push('Number of Groups: ', ...printNamedVector(s.groupCounts.map((g) => String(g.count)), s.groupCounts.map((g) => g.label)));
    else lines.push(`Number of Groups: ${s.ngroups} `);
  }
  else lines.push(`Residual standard error: ${formatR([s.sigma], 7)[0]} `, `Degrees of freedom: ${s.nobs} total; ${s.nobs - t.length} residual`);
  return lines.join('\n');
}

/** An lme fit's printout. */
export function formatLmeSummary(fit: {
  method: string; dataName: string; AIC: number | null; BIC: number | null; logLik: number | null; sigma: number;
  varCorrLevels: { label: string; pd: string; formula: string; names: string[]; stdDev: number[]; corr: number[][]; blocks?: { pd: string; formula: string; col: number; q: number }[] }[];
  groupCounts: { label: string; count: number }[];
  corStruct: StructEstimates | null; varStruct: StructEstimates | null;
  fixedText: string; tTable: SummarySource['table']; vcov: number[][]; residuals(o: { type: 'pearson' }): Float64Array; nobs: number; ngroups: number;
}): string {
  const lv = fit.varCorrLevels;
  const random = lv.map((l, k): RandomLevelLines => {
    const last = k === lv.length - 1;
    return {
      formula: `${l.formula} | ${l.label}`, pd: l.pd,
      ...(l.blocks ? { blocks: l.blocks.map((b) => ({ ...b, formula: `${b.formula} | ${l.label}` })) } : {}),
      names: last ? [...l.names, 'Residual'] : l.names, stdDev: last ? [...l.stdDev, fit.sigma] : l.stdDev, corr: l.corr,
    };
  });
  return formatSummary({
    title: `Linear mixed-effects model fit by ${fit.method === 'ML' ? 'maximum likelihood' : 'REML'}`, dataName: fit.dataName, AIC: fit.AIC, BIC: fit.BIC, logLik: fit.logLik,
    random,
    corStruct: fit.corStruct, varStruct: fit.varStruct, fixedText: fit.fixedText, table: fit.tTable, vcov: fit.vcov,
    standardized: fit.residuals({ type: 'pearson' }), nobs: fit.nobs, ngroups: fit.ngroups, groupCounts: fit.groupCounts, sigma: fit.sigma,
  });
}

/** print(intervals(fit)) as nlme prints it. */
export function formatIntervals(iv: {
  level: number; fixed: IntervalRows; reStruct: IntervalRows | null; reStructLevels?: { level: string; table: IntervalRows }[];
  corStruct: IntervalRows | null; varStruct: IntervalRows | null; sigma: [number, number, number];
}, group: string | null): string {
  const table = (t: IntervalRows) => printMatrix([formatR(t.lower, 7), formatR(t.est, 7), formatR(t.upper, 7)], t.names, ['lower', 'est.', 'upper'], true);
  const lines = [`Approximate ${Math.round(iv.level * 100 * 1e6) / 1e6}% confidence intervals`, '', ` ${group ? 'Fixed effects' : 'Coefficients'}:`, ...table(iv.fixed)];
  if (iv.reStructLevels) {
    lines.push('', ' Random Effects:');
    for (const l of iv.reStructLevels) lines.push(`  Level: ${l.level} `, ...table(l.table));
  } else if (iv.reStruct) lines.push('', ' Random Effects:', `  Level: ${group} `, ...table(iv.reStruct));
  if (iv.corStruct) lines.push('', ' Correlation structure:', ...table(iv.corStruct));
  if (iv.varStruct) lines.push('', ' Variance function:', ...table(iv.varStruct));
  lines.push('', ` ${group ? 'Within-group standard error' : 'Residual standard error'}:`, ...printNamedVector(formatR(iv.sigma, 7), ['lower', 'est.', 'upper']));
  return lines.join('\n');
}

export interface IntervalRows { names: string[]; lower: number[]; est: number[]; upper: number[] }
