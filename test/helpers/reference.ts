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

/** the further data sets of test/fixtures/datasets (test/oracle/datasets.R): lmer cases, fitted by lme4 to tight tolerances */
export const DATASET_LMER_CASES = [
  'cake_reml', 'cake_temp_ml', 'ergostool_reml', 'rail_reml', 'mathach_slopes_reml', 'assay_nested_reml',
  'milk_slopes_ml', 'wafer_nested_slopes_reml', 'bodyweight_slopes_reml',
];
/** … and glmer cases, with glmer's exact optimum in `<name>_tight.json` (test/oracle/glmer_tight.R) */
export const DATASET_GLMER_CASES = ['arabidopsis_poisson_crossed', 'bacteria_binomial', 'epil_poisson', 'epil_poisson_agq'];
export const DATASETS_FOLDER = 'datasets';

/**
 * the data of the Multilevel Modelling Software Review (R package mlmRev; test/oracle/mlmrev.R, in
 * test/fixtures/mlmrev): lmer cases fitted by lme4 to tight tolerances …
 */
export const MLMREV_LMER_CASES = [
  'exam_slopes_reml', 'exam_slopes_ml', 'chem97_nested_reml', 'egsingle_growth_reml', 'scotssec_crossed_reml', 'oxboys_quadratic_reml', 'star_growth_reml',
];
/** … and glmer cases, with glmer's exact optimum in `<name>_tight.json` */
export const MLMREV_GLMER_CASES = ['contraception_binomial', 'contraception_binomial_agq', 'guimmun_binomial_crossed', 'mmmec_poisson_offset'];
export const MLMREV_FOLDER = 'mlmrev';

interface CaseSpec { name: string; factors?: string[]; nAGQ?: number; family?: string }

/** The cases files (how each reference was fitted: its `factors`, family, nAGQ), per fixtures folder. */
const cases = new Map<string, CaseSpec[]>();

/**
 * A reference fit, with the case's `factors` (which the result files do not repeat): from
 * test/fixtures/reference, or another folder that test/oracle/lme4_reference.R wrote with its cases file
 * (`datasets`: test/oracle/datasets.R).
 */
export function loadReference(name: string, folder = 'reference'): ReferenceCase & { nAGQ?: number } {
  const ref = JSON.parse(readFileSync(join(root, folder, `${name}.json`), 'utf8')) as ReferenceCase;
  if (!cases.has(folder)) cases.set(folder, JSON.parse(readFileSync(join(root, folder, 'cases.json'), 'utf8')));
  const spec = cases.get(folder)!.find((c) => c.name === name);
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
