/** The metafor and blme references of test/oracle/metafor.R and test/oracle/blme.R (test/fixtures). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { readCsv } from '../../src/io/csv.js';

const root = join(import.meta.dirname, '..', 'fixtures');

type Named = Record<string, number>;
export interface FitStatsRef { ll: number; dev: number; AIC: number; BIC: number; AICc: number }

/** One metafor fit (rma.uni or rma.mv) as test/oracle/metafor.R writes it. */
export interface RmaReference {
  name: string;
  kind: 'rma.uni' | 'rma.mv';
  k: number;
  p: number;
  method: string;
  test: string;
  beta: Named;
  se: Named;
  stat: Named;
  pval: Named;
  ci_lb: Named;
  ci_ub: Named;
  vb: number[][];
  QE: number;
  QEp: number;
  QM: number;
  QMdf: [number, number | null];
  QMp: number;
  btt: number | number[];
  ddf: number | null;
  s2w: number;
  parms: number;
  fit_stats: { ML: FitStatsRef; REML: FitStatsRef };
  print: string[];
  tau2?: number;
  se_tau2?: number;
  I2?: number;
  H2?: number;
  vt?: number;
  R2?: number | null;
  weights?: number[];
  sigma2?: number[];
  s_names?: string[];
  s_nlevels?: number[];
  predict: { pred: number[]; se: number[]; ci_lb: number[]; ci_ub: number[]; pi_lb: number[]; pi_ub: number[] };
  blup?: { pred: number[]; se: number[] };
  fitted: number[];
  at_tau2?: { tau2: number; ll_ML: number; ll_REML: number; beta: number[]; se: number[] }[];
  at_sigma2?: { sigma2: number[]; ll_ML: number; ll_REML: number; beta: number[]; se: number[] }[];
}

export function loadRma(name: string): RmaReference {
  return JSON.parse(readFileSync(join(root, 'meta', `${name}.json`), 'utf8')) as RmaReference;
}

export function loadMetaJson<T>(name: string): T {
  return JSON.parse(readFileSync(join(root, 'meta', `${name}.json`), 'utf8')) as T;
}

const tables = new Map<string, arrow.Table>();

/** A metadat data set copied by the oracle (test/fixtures/meta/data/NAME.csv). */
export function loadMetaData(name: string): arrow.Table {
  let t = tables.get(name);
  if (!t) {
    t = readCsv(readFileSync(join(root, 'meta', 'data', `${name}.csv`), 'utf8')).table;
    tables.set(name, t);
  }
  return t;
}

export function metaDataPath(name: string): string {
  return join(root, 'meta', 'data', `${name}.csv`);
}

/** A numeric column of a table as float64 (nulls as NaN). */
export function numericColumn(t: arrow.Table, name: string): Float64Array {
  const col = t.getChild(name);
  if (!col) throw new Error(`no column ${name}`);
  return Float64Array.from({ length: col.length }, (_, i) => {
    const v = col.get(i);
    return v === null ? NaN : Number(v);
  });
}

/** A string column as strings. */
export function stringColumn(t: arrow.Table, name: string): string[] {
  const col = t.getChild(name);
  if (!col) throw new Error(`no column ${name}`);
  return Array.from({ length: col.length }, (_, i) => String(col.get(i)));
}

/** One blme case as test/oracle/blme.R writes it. */
export interface BlmeFitRef {
  theta: number[];
  theta_names: string[];
  pars: number[];
  objective: number;
  sigma: number | null;
  fixef: Named;
  se: Named;
  vcov: number[][];
  remlcrit: number | null;
  deviance: number | null;
  penalty: number;
  loglik: number;
  AIC: number;
  BIC: number;
  ldL2: number;
  ldRX2: number;
  pwrss: number;
  varcorr: { group: string; var1: string | null; var2: string | null; vcov: number; sdcor: number }[];
  ranef: Record<string, Record<string, number[]>>;
}
export interface BlmeReference {
  name: string;
  data: string;
  formula: string;
  reml: boolean;
  family: string | null;
  cov_prior: string | null;
  fixef_prior: string | null;
  resid_prior: string | null;
  nobs: number;
  par_names: string[];
  default: BlmeFitRef & { warnings: string[] };
  print: string[];
  refits: Record<string, BlmeFitRef>;
  best: BlmeFitRef & { optimizer: string };
  objective_at: { pars: number[]; objective: number }[];
}

export function loadBlme(name: string): BlmeReference {
  return JSON.parse(readFileSync(join(root, 'blme', `${name}.json`), 'utf8')) as BlmeReference;
}

/** Relative difference |a − b| / |b| (absolute where b is 0). */
export function relDiff(a: number, b: number): number {
  if (a === b) return 0;
  return Math.abs(a - b) / (b === 0 ? 1 : Math.abs(b));
}
