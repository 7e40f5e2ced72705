/** The inference references of test/oracle/inference.R (test/fixtures/inference/*.json) and their data. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { readCsv } from '../../src/io/csv.js';

const root = join(import.meta.dirname, '..', 'fixtures');

export interface CoefRef { estimate: number; se: number; df: number; t: number; p: number }
export interface AnovaRef { sumsq: number; meansq: number; numdf: number; dendf: number; F: number; p: number }

export interface InferenceCase {
  name: string;
  data: string;
  formula: string;
  factors: string[];
  reml: boolean;
  nobs: number;
  theta: number[];
  sigma: number;
  beta: Record<string, number>;
  vcov: number[][];
  objective: number;
  satterthwaite: {
    hessian: number[][];
    vcov_varpar: number[][];
    jacobian: number[][][];
    coefficients: Record<string, CoefRef>;
    anova: Record<string, AnovaRef>;
    time_s: number;
  };
  kenward_roger?: {
    coefficients: Record<string, CoefRef>;
    anova: Record<string, AnovaRef>;
    vcov_adj: number[][];
    W: number[][];
    P: number[][][];
  };
  type3_contrasts: Record<string, number[][]>;
  contrasts: {
    L: number[][];
    satterthwaite: AnovaRef;
    satterthwaite_t?: CoefRef;
    kenward_roger?: AnovaRef;
    kenward_roger_t?: CoefRef;
  }[];
  wald: Record<string, (number | null)[]>;
  profile?: { level: number; intervals: Record<string, (number | null)[]>; time_s: number };
  profile90?: { level: number; intervals: Record<string, (number | null)[]> };
}

export function loadInference<T = InferenceCase>(name: string): T {
  return JSON.parse(readFileSync(join(root, 'inference', `${name}.json`), 'utf8')) as T;
}

const tables = new Map<string, arrow.Table>();

/** A data file of test/fixtures/data as an Arrow table (cached). */
export function loadDataFile(file: string): arrow.Table {
  let t = tables.get(file);
  if (!t) {
    t = readCsv(readFileSync(join(root, 'data', file), 'utf8')).table;
    tables.set(file, t);
  }
  return t;
}

export const rel = (a: number, b: number, scale = Math.abs(b)) => Math.abs(a - b) / (scale || 1);
