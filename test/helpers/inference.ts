/** The inference references of test/oracle/inference.R (test/fixtures/inference/*.json) and their data. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { expect } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import { buildLmm } from '../../src/lmm/model.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { BlockedCholesky } from '../../src/linalg/blockedCholesky.js';
import { varparCovariance } from '../../src/inference/satterthwaite.js';
import { kenwardRoger } from '../../src/inference/kenwardRoger.js';
import type { DdfContext, FTest, TTest } from '../../src/inference/contest.js';
import type { GramMatrix } from '../../src/linalg/gram.js';
import type { LmmModel } from '../../src/lmm/model.js';
import { type LmmSolution, solveLmm } from '../../src/lmm/solution.js';
import { fillTemplate } from '../../src/linalg/template.js';
import { thetaToInternal } from '../../src/model/reparam.js';

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

/** Satterthwaite's and Kenward–Roger's test contexts of a model at a given θ and σ (R's, to test a stage without the optimizer). */
export function ddfContextsAt(model: LmmModel, theta: number[], sigma: number): Record<'satterthwaite' | 'kenward_roger', DdfContext> {
  const chol = new BlockedCholesky(formGram(model), model.theta.length);
  const sat = varparCovariance({ chol, model, theta });
  const kr = kenwardRoger({ chol, model, theta, sigma });
  return {
    satterthwaite: { method: 'satterthwaite', sat },
    kenward_roger: { method: 'kenward-roger', kr, beta: sat.beta, sigma: sat.sigma },
  };
}

/** Satterthwaite's and (when the reference has it) Kenward–Roger's test contexts at the reference's θ. */
export function contexts(ref: InferenceCase): { sat: DdfContext; kr: DdfContext | null; xnames: string[] } {
  const model = buildLmm(ref.formula, loadDataFile(ref.data), { REML: ref.reml, factors: ref.factors });
  const chol = new BlockedCholesky(formGram(model), model.theta.length);
  const common = { chol, model };
  const sat = varparCovariance({ ...common, theta: ref.theta });
  const kr = ref.kenward_roger
    ? kenwardRoger({ ...common, theta: ref.theta, sigma: ref.sigma })
    : null;
  return {
    sat: { method: 'satterthwaite', sat },
    kr: kr ? { method: 'kenward-roger', kr, beta: sat.beta, sigma: sat.sigma } : null,
    xnames: model.frame.xnames,
  };
}

export function expectT(got: TTest, want: CoefRef): void {
  expect(rel(got.estimate, want.estimate)).toBeLessThan(1e-7);
  expect(rel(got.se, want.se)).toBeLessThan(1e-5);
  expect(rel(got.df, want.df)).toBeLessThan(1e-3);
  expect(rel(got.t, want.t)).toBeLessThan(1e-5);
  if (want.p < 1e-7) expect(Math.abs(got.p - want.p)).toBeLessThan(1e-10);
  else expect(rel(got.p, want.p)).toBeLessThan(1e-3);
}

export function expectF(got: FTest, want: AnovaRef): void {
  expect(got.numdf).toBe(want.numdf);
  expect(rel(got.dendf, want.dendf)).toBeLessThan(1e-3);
  expect(rel(got.F, want.F)).toBeLessThan(1e-5);
  expect(rel(got.sumsq, want.sumsq)).toBeLessThan(1e-5);
  if (want.p < 1e-7) expect(Math.abs(got.p - want.p)).toBeLessThan(1e-10);
  else expect(rel(got.p, want.p)).toBeLessThan(1e-3);
}


/** A fit's solution at its θ̂ in the backends' coordinates: internal θ, β̂_c, σ̂ and the templates T_c (what the bootstrap simulates from). */
export function solutionAt(model: LmmModel, gram: GramMatrix, theta: ArrayLike<number>): { thetaC: Float64Array; sol: LmmSolution; templates: Float64Array[] } {
  const chol = new BlockedCholesky(gram, model.theta.length);
  const thetaC = thetaToInternal(model, theta);
  chol.factor(thetaC);
  const sol = solveLmm(chol, model.frame.n, model.reml);
  const templates = model.internalBlocks.map((b) => { const T = new Float64Array(b.q * b.q); fillTemplate(b, thetaC, T); return T; });
  return { thetaC, sol, templates };
}

/** lmerTest's row of a drop1 table (test/oracle/ranova_drop1.R, step.R): F and p NA where the other terms span the term */
export interface Drop1RowRef { term: string; sumsq: number; meansq: number; numdf: number; dendf: number; F: number | null; p: number | null }

/**
 * One drop1 row (lmerTest's F test of a marginal term) against lmerTest's: its row of NA all NaN;
 * NumDF exact; Sum Sq, Mean Sq, DenDF and F within 1e-5 relative; p within 1e-5 relative or 1e-12
 * absolute. Returns the row's worst relative differences of the values and of p (0 for an NA row).
 */
export function expectDrop1Row(row: { term: string; sumsq: number; meansq: number; numdf: number; dendf: number; F: number; p: number }, want: Drop1RowRef): { rel: number; p: number } {
  if (want.F === null) {
    // lmerTest's row of NA: the other terms span the term (a rank-deficient design)
    expect([row.sumsq, row.meansq, row.numdf, row.dendf, row.F, row.p].every(Number.isNaN)).toBe(true);
    return { rel: 0, p: 0 };
  }
  expect(row.numdf).toBe(want.numdf);
  let worst = 0;
  for (const key of ['sumsq', 'meansq', 'dendf', 'F'] as const) {
    const d = rel(row[key], want[key]!);
    expect(d, `${row.term} ${key}`).toBeLessThan(1e-5);
    worst = Math.max(worst, d);
  }
  const d = Math.abs(row.p - want.p!);
  if (d > 1e-12) expect(d / want.p!, `${row.term} p`).toBeLessThan(1e-5);
  return { rel: worst, p: d / Math.max(want.p!, 1e-300) };
}
