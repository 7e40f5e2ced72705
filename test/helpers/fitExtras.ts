/**
 * The fixture of test/oracle/fit_extras.R (lme4's predict with re.form, coef, rePCA and hatvalues on the
 * reference data) and each case's data: the tests of those tools fit the same models.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { lmer } from '../../src/fit/lmer.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import { readCsv } from '../../src/io/csv.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');

export interface FitExtrasCase {
  name: string;
  formula: string;
  rows: number[];
  objective: number;
  theta: number[] | number;
  predictions: { re_form: string; link: number[] }[];
  coef: { group: string; levels: string[] | string; columns: string[] | string; values: Record<string, number[] | number> }[];
  rePCA: { group: string; sdev: number[] | number; proportion: number[] | number; rotation: number[][] | number[] | number }[];
  hat: number[];
}

export const fitExtras = JSON.parse(readFileSync(join(fixtures, 'fit-extras', 'lme4.json'), 'utf8')) as {
  cases: FitExtrasCase[];
  weighted: { formula: string; weights: string; objective: number; theta: number[]; hat: number[] };
};

/** each case's data file and factors */
const data: Record<string, { file: string; factors: string[] }> = {
  sleepstudy_slopes: { file: 'sleepstudy.csv', factors: ['Subject'] },
  sleepstudy_uncorrelated: { file: 'sleepstudy.csv', factors: ['Subject'] },
  sleepstudy_no_fixed_slope: { file: 'sleepstudy.csv', factors: ['Subject'] },
  sleepstudy_singular: { file: 'sleepstudy.csv', factors: ['Subject'] },
  penicillin_crossed: { file: 'penicillin.csv', factors: [] },
  pastes_nested: { file: 'pastes.csv', factors: [] },
};

/** whether the case's optimum is well determined (not the nearly singular model, whose θ is not, to 1e-6) */
export const wellDetermined = (c: FitExtrasCase): boolean => c.name !== 'sleepstudy_singular';

/** the CSV's text of a data file of test/fixtures/data */
export const dataText = (file: string): string => readFileSync(join(fixtures, 'data', file), 'utf8');

/** the case's data table, and its rows (1-based, as R's row names) as a table of their own */
export function caseData(c: Pick<FitExtrasCase, 'name'>): { table: arrow.Table; rowsOf: (rows: number[]) => arrow.Table; factors: string[] } {
  const d = data[c.name];
  const text = dataText(d.file);
  const lines = text.trim().split('\n');
  return {
    table: readCsv(text, { factors: d.factors }).table,
    rowsOf: (rows) => readCsv([lines[0], ...rows.map((r) => lines[r])].join('\n'), { factors: d.factors }).table,
    factors: d.factors,
  };
}

/** the case's model fitted by lmer */
export function fitCase(c: FitExtrasCase): Promise<LmmFit> {
  const { table, factors } = caseData(c);
  return lmer(c.formula, table, { factors });
}

/** a JSON value R wrote as a scalar where it had one element */
export const list = <T>(v: T[] | T): T[] => (Array.isArray(v) ? v : [v]);
