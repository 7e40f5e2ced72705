/**
 * What the nlme tests (test/nlme.test.ts, nlme3.test.ts, nlme4.test.ts, nlmeHard.test.ts) share: the data
 * and fixtures their oracles wrote (test/oracle/nlme*.R), and the comparisons with nlme's numbers.
 */
import { readFileSync } from 'node:fs';
import type * as arrow from 'apache-arrow';
import { expect } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import { type AnovaRow, formatAnova } from '../../src/nlme/anova.js';

/** The data set `name` (test/fixtures/data/name.csv) with its numeric columns `factors[name]` read as factors, read once. */
export function nlmeData(factors: Record<string, string[]> = {}): (name: string) => arrow.Table {
  const tables = new Map<string, arrow.Table>();
  return (name) => {
    if (!tables.has(name)) tables.set(name, readCsv(readFileSync(`test/fixtures/data/${name}.csv`, 'utf8'), { factors: factors[name] }).table);
    return tables.get(name)!;
  };
}

/** The oracle's record of a case (test/fixtures/nlme/name.json). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const nlmeFixture = (name: string): any => JSON.parse(readFileSync(`test/fixtures/nlme/${name}.json`, 'utf8'));

export const yieldTurn = () => new Promise((r) => setTimeout(r, 0));

/** |actual − expected| ≤ tol |expected|, or ≤ abs (for values near 0). */
export function expectRel(actual: number, expected: number, tol: number, what: string, abs = 0): void {
  const err = Math.abs(actual - expected);
  if (!(err <= tol * Math.abs(expected) || err <= abs)) expect.fail(`${what}: ${actual} vs nlme ${expected} (relative ${err / Math.abs(expected)}, tolerance ${tol})`);
}

/** max_i |actual_i − expected_i| ≤ tol × max_i |expected_i|. */
export function expectVec(actual: ArrayLike<number>, expected: number[], tol: number, what: string): void {
  expect(actual.length, what).toBe(expected.length);
  const scale = Math.max(...expected.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
  if (!(worst <= tol * scale)) expect.fail(`${what}: max |difference| ${worst} > ${tol} × ${scale}`);
}

/** ψ in nlme's unconstrained parametrization: the variance function's, then the correlation structure's. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const psiOf = (f: any): Float64Array => Float64Array.from(([] as number[]).concat(f.varStruct?.unconstrained ?? [], f.corStruct?.unconstrained ?? []));

/**
 * An lme or gls fit's likelihood and fixed effects against nlme's record: logLik at nlme's best (its
 * default or tight fit's) or above it, and within 1e-6 relative; the parameter count exactly; AIC and BIC
 * 1e-6; the coefficients' names exactly, Value and Std.Error 1e-4 (Value also 1e-4 of its SE); with `df`
 * nlme's DF exactly, with `p` the p-values 1e-3.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function expectNlmeFixedFit(fit: { logLik: number; npar: number; AIC: number; BIC: number; tTable: { name: string; Value: number; StdError: number; DF?: number; p: number }[] }, f: any, options: { df?: boolean; p?: boolean } = {}): void {
  const best = Math.max(f.logLik, f.logLikTight ?? -Infinity);
  expect(fit.logLik, 'logLik').toBeGreaterThan(best - 1e-6 * Math.abs(best));
  expectRel(fit.logLik, best, 1e-6, 'logLik');
  expect(fit.npar).toBe(f.df);
  expectRel(fit.AIC, f.AIC, 1e-6, 'AIC');
  expectRel(fit.BIC, f.BIC, 1e-6, 'BIC');
  expect(fit.tTable.map((r) => r.name)).toEqual(([] as string[]).concat(f.fixef.names));
  fit.tTable.forEach((r, j) => {
    expectRel(r.Value, f.fixef.Value[j], 1e-4, `β ${r.name}`, 1e-4 * f.fixef['Std.Error'][j]);
    expectRel(r.StdError, f.fixef['Std.Error'][j], 1e-4, `SE ${r.name}`);
    if (options.df) expect(r.DF, `DF ${r.name}`).toBe(f.fixef.DF[j]);
    if (options.p) expectRel(r.p, f.fixef.p[j], 1e-3, `p ${r.name}`, 1e-12);
  });
}

type IntervalEnds = { lower: number[]; upper: number[]; names?: string[] } | null;
/** intervals()'s parts in order (fixed, reStruct, corStruct, varStruct, sigma): ours or the oracle's record of nlme's */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const intervalEnds = (iv: any): IntervalEnds[] =>
  [iv.fixed, iv.reStruct ?? null, iv.corStruct ?? null, iv.varStruct ?? null, { lower: [iv.sigma[0]], upper: [iv.sigma[2]] }];

/**
 * Our intervals() against nlme's (the oracle's `intervals` record): the same parts present, each end within
 * 1e-3 relative; with `names`, the correlation and variance structures' row names exactly.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function expectIntervalsAsNlme(iv: unknown, theirs: any, options: { names?: boolean } = {}): void {
  const t = intervalEnds(theirs);
  intervalEnds(iv).forEach((a, k) => {
    const b = t[k];
    expect(a === null, `part ${k}`).toBe(b === null);
    if (!a || !b) return;
    if (options.names && (k === 2 || k === 3)) expect(a.names).toEqual(([] as string[]).concat(b.names ?? []));
    ([] as number[]).concat(b.lower).forEach((v, i) => expectRel(a.lower[i], v, 1e-3, `part ${k} lower ${i}`));
    ([] as number[]).concat(b.upper).forEach((v, i) => expectRel(a.upper[i], v, 1e-3, `part ${k} upper ${i}`));
  });
}

/** intervals() by two step sizes of the Hessian (`iv`, `iv2`): every end within 1e-4 relative (lower ends also 1e-12 absolute). */
export function expectIntervalsStable(iv: unknown, iv2: unknown): void {
  const other = intervalEnds(iv2);
  intervalEnds(iv).forEach((a, k) => {
    const b = other[k];
    if (!a || !b) return;
    a.lower.forEach((v, i) => expectRel(v, b.lower[i], 1e-4, `part ${k} lower ${i} (step)`, 1e-12));
    a.upper.forEach((v, i) => expectRel(v, b.upper[i], 1e-4, `part ${k} upper ${i} (step)`));
  });
}

/**
 * nlme's anova(fit1, fit2) table (the oracle's record: df, logLik, AIC, BIC, L.Ratio, p, print): df exactly,
 * logLik, AIC and BIC 1e-6 relative, the likelihood ratio 1e-4, its p 1e-3, the header line as nlme's.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function expectAnovaAsNlme(rows: AnovaRow[], a: any): void {
  rows.forEach((r, k) => {
    expect(r.df).toBe(a.df[k]);
    expectRel(r.logLik, a.logLik[k], 1e-6, 'logLik');
    expectRel(r.AIC, a.AIC[k], 1e-6, 'AIC');
    expectRel(r.BIC, a.BIC[k], 1e-6, 'BIC');
  });
  expectRel(rows[1].L_Ratio!, a['L.Ratio'][1], 1e-4, 'L.Ratio');
  expectRel(rows[1].p!, a.p[1], 1e-3, 'p');
  expect(formatAnova(rows).split('\n')[0]).toBe((a.print as string).split('\n')[0]);
}

/** nlme's structure part of the printout: from "Correlation Structure:" or "Combination of"/"Variance function:" to the fixed effects */
function structBlock(lines: string[]): string[] {
  const from = lines.findIndex((l) => /^(Correlation Structure:|Variance function:|Combination of)/.test(l));
  const to = lines.findIndex((l, i) => i > from && /^(Fixed effects:|Coefficients:|$)/.test(l));
  return lines.slice(from, to);
}
/**
 * The structure block line for line: the same lines and words, the numbers (printed to 7 significant
 * digits, or corSymm's 3 decimals) within the estimates' 1e-3 relative (absolute 1e-3 near 0)
 */
export function expectStructBlock(mine: string[], theirs: string[]): void {
  const a = structBlock(mine), b = structBlock(theirs);
  expect(a.length, `the structure block:\n${a.join('\n')}\nnlme:\n${b.join('\n')}`).toBe(b.length);
  a.forEach((l, i) => {
    const ta = l.trim().split(/\s+/), tb = b[i].trim().split(/\s+/);
    expect(ta.length, `line '${l}' vs '${b[i]}'`).toBe(tb.length);
    ta.forEach((t, j) => {
      const x = Number(t), y = Number(tb[j]);
      if (tb[j] !== '' && Number.isFinite(y)) expectRel(x, y, 1e-3, `'${l}' vs nlme '${b[i]}'`, 1e-3);
      else expect(t).toBe(tb[j]);
    });
  });
}
