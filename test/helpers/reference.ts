/** Loads the lme4 reference cases copied into test/fixtures (never ../shared at test time). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../../src/io/csv.js';
import type * as arrow from 'apache-arrow';

const root = join(import.meta.dirname, '..', 'fixtures');

export interface ReferenceCase {
  name: string;
  data: string;
  formula: string;
  reml: boolean;
  family?: string;
  factors?: string[];
  nobs: number;
  theta: number[];
  theta_names: string[];
  sigma: number;
  fixef: Record<string, number>;
  se: Record<string, number>;
  vcov: number[][];
  varcorr: { group: string; var1: string | null; var2: string | null; vcov: number; sdcor: number }[];
  loglik: number;
  aic: number;
  bic: number;
  remlcrit?: number;
  deviance?: number;
  singular: boolean;
  ranef: { group: string; levels: string[]; values: Record<string, number[]>; condsd: Record<string, number[]> | null }[];
  fitted_head: number[];
  resid_head: number[];
  objective_at?: { theta: number[]; value: number }[];
  ngroups: Record<string, number>;
}

export const GAUSSIAN_CASES = [
  'dyestuff_reml', 'dyestuff_ml', 'dyestuff2_reml_singular', 'sleepstudy_slopes_reml', 'sleepstudy_slopes_ml',
  'sleepstudy_uncorrelated_reml', 'sleepstudy_intercept_reml', 'penicillin_crossed_reml', 'pastes_nested_reml',
  'insteval_crossed_reml', 'insteval_crossed_ml',
];

interface CaseSpec { name: string; factors?: string[]; nAGQ?: number; family?: string }

/** The cases file (how each reference was fitted: its `factors`, family, nAGQ). */
const cases: CaseSpec[] = JSON.parse(readFileSync(join(root, 'reference', 'cases.json'), 'utf8'));

/** A reference fit, with the case's `factors` (which the result files do not repeat). */
export function loadReference(name: string): ReferenceCase & { nAGQ?: number } {
  const ref = JSON.parse(readFileSync(join(root, 'reference', `${name}.json`), 'utf8')) as ReferenceCase;
  const spec = cases.find((c) => c.name === name);
  return { ...ref, factors: spec?.factors, nAGQ: spec?.nAGQ };
}

const tables = new Map<string, arrow.Table>();

/** The case's data set as an Arrow table (cached per file). */
export function loadData(ref: { data: string }): arrow.Table {
  const file = ref.data.replace('../data/', '');
  let t = tables.get(file);
  if (!t) {
    t = readCsv(readFileSync(join(root, 'data', file), 'utf8')).table;
    tables.set(file, t);
  }
  return t;
}

export function dataPath(file: string): string {
  return join(root, 'data', file);
}
