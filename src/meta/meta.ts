/**
 * Random-effects meta-analysis with known sampling variances (metafor's rma / rma.mv):
 *   y_i = x_iᵀβ + u_i + e_i,  e_i ~ N(0, v_i) known,  u ~ N(0, τ²)            (univariate)
 *   y_i = x_iᵀβ + Σ_l u_{l, g_l(i)} + e_i,  u_l ~ N(0, σ²_l)                  (nested levels)
 * Pipeline: table → metaData (y, v, moderators' X, levels) → the variance components (REML/ML: the
 * linear mixed model with prior weights 1/v_i and σ fixed at 1; DL/PM/HE/SJ/EB: closed-form or
 * one-dimensional estimators, tau2.ts) → rma's results at those components (results.ts) → MetaFit.
 */
import * as arrow from 'apache-arrow';
import { fixedSigmaChange, lmer } from '../fit/lmer.js';
import { devianceAtSigma } from '../lmm/deviance.js';
import { fitFromStart } from '../lmm/fit.js';
import { CpuBackend } from '../backend/cpu/cpuBackend.js';
import { formGram } from '../backend/cpu/gram.js';
import { thetaToInternal } from '../model/reparam.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import { choleskyInPlace } from '../linalg/dense.js';
import { type MetaData, type MetaDataOptions, metaData } from './data.js';
import type { MetaRobustDesign } from './robustMeta.js';
import { MetaFit } from './metaFit.js';
import { rmaMvResults, rmaUniResults } from './results.js';
import { type Tau2Method, seTau2ML, seTau2REML, tau2Closed } from './tau2.js';
import { crossprodDiag } from './wls.js';
import { spdInverse } from '../linalg/dense.js';

export const META_METHODS = ['REML', 'ML', 'DL', 'PM', 'HE', 'SJ', 'EB', 'EE'] as const;
export const META_TESTS = ['z', 'knha', 't'] as const;

export interface MetaOptions extends MetaDataOptions {
  /** the heterogeneity estimator (default REML); multilevel models: REML or ML */
  method?: Tau2Method;
  /** 'z' (default), 'knha' (Knapp–Hartung, univariate models), 't' (multilevel models: t with k − p df) */
  test?: 'z' | 'knha' | 't';
  /** confidence level in % (default 95) */
  level?: number;
  /** a label for the data in the summary */
  dataName?: string;
  /** the REML/ML fit's optimizer settings (lmer's) */
  optimizer?: { rhobeg?: number; rhoend?: number; maxfun?: number };
}

/** Checks the method, test and level before the data are read. */
export function checkMetaOptions(o: MetaOptions): { method: Tau2Method; test: 'z' | 'knha' | 't'; level: number } {
  const method = (o.method ?? 'REML').toUpperCase() as Tau2Method;
  if (!(META_METHODS as readonly string[]).includes(method)) throw new Error(`method '${o.method}' is not one of ${META_METHODS.join(', ')}`);
  const test = (o.test ?? 'z').toLowerCase() as 'z' | 'knha' | 't';
  if (!(META_TESTS as readonly string[]).includes(test)) throw new Error(`test '${o.test}' is not one of z, knha (univariate models), t (multilevel models)`);
  const level = o.level ?? 95;
  if (!(level > 0 && level < 100)) throw new Error(`level must be a percentage between 0 and 100, got ${o.level}`);
  if (o.random) {
    if (method !== 'REML' && method !== 'ML') throw new Error(`method '${method}': a multilevel model (random = '${o.random}') is fitted by REML or ML`);
    if (test === 'knha') throw new Error("test 'knha' (Knapp–Hartung) is for univariate models; a multilevel model takes test 't' (t and F tests with k − p df), as metafor's rma.mv");
  } else if (test === 't') {
    throw new Error("test 't' is for multilevel models; a univariate model takes 'knha' (Knapp–Hartung) or 'z'");
  }
  if (method === 'EE' && test === 'knha') throw new Error('the Knapp–Hartung method is not meant for an equal-effects model (method EE)');
  return { method, test, level };
}

/** A column name not in the table: `base`, else `base1`, `base2`, … */
export function freshName(table: arrow.Table, base: string): string {
  const names = new Set(table.schema.fields.map((f) => f.name));
  let name = base;
  for (let k = 1; names.has(name); k++) name = `${base}${k}`;
  return name;
}

/**
 * The variance components by REML or ML: the linear mixed model y ~ mods + (1 | study) (or the
 * nested levels) with prior weights 1/v_i and the residual σ fixed at 1 (lmer's `sigma`), so that
 * Var(e_i) = v_i and τ² = θ² (σ²_l = θ_l²).
 */
async function mixedModelFit(table: arrow.Table, data: MetaData, o: MetaOptions, reml: boolean, mods: string): Promise<{ fit: LmmFit; groups: string[] }> {
  const n = table.numRows;
  // 1/v_i for the rows used (the others are dropped by the frame as they are by metaData)
  const w = new Float64Array(n).fill(NaN);
  data.rows.forEach((row, s) => { w[row] = 1 / data.design.v[s]; });
  let t = table;
  let groups: string[];
  const factors = [...(o.factors ?? [])];
  if (data.levels) {
    groups = data.levels;
    factors.push(...data.levels.filter((l) => !factors.includes(l)));
  } else {
    const study = freshName(table, 'study_');
    t = table.assign(new arrow.Table({ [study]: arrow.makeVector(Float64Array.from({ length: n }, (_, i) => i + 1)) }));
    groups = [study];
    factors.push(study);
  }
  const formula = `${o.yi} ~ ${mods} + (1 | ${groups.join('/')})`;
  const fit = await lmer(formula, t, { REML: reml, weights: w, sigma: 1, factors, optimizer: o.optimizer, dataName: o.dataName, calcDerivs: false });
  if (!fit.theta.some((v) => v === 0)) return { fit, groups };
  // a variance component at 0 can be a local maximum of a bimodal likelihood (a random test's
  // multilevel ML fit, one school per district: ll −48.5698 at σ² = 0, −48.2069 at σ₁² + σ₂² =
  // 387): the fit from a start inside, every σ²_l = var(y_i) / L, and the better of the two
  const from = await fitFrom(fit, sampleVariance(data.design.y) / fit.theta.length, o);
  return { fit: from.objective < fit.objective - 1e-9 * Math.abs(fit.objective) ? from : fit, groups };
}

/** The sample variance of y (at least the smallest positive double, so that its square root is a start inside). */
function sampleVariance(y: Float64Array): number {
  let m = 0;
  for (const v of y) m += v / y.length;
  let s = 0;
  for (const v of y) s += (v - m) ** 2 / Math.max(1, y.length - 1);
  return Math.max(s, Number.MIN_VALUE);
}

/** The same model fitted again (σ fixed at 1) from every σ²_l = `sigma2` instead of lme4's start and the moment start. */
async function fitFrom(fit: LmmFit, sigma2: number, o: MetaOptions): Promise<LmmFit> {
  const model = fit.model;
  const start = thetaToInternal(model, new Float64Array(model.theta.length).fill(Math.sqrt(sigma2)));
  return fitFromStart(model, new CpuBackend(formGram(model), model.theta.length), start, { optimizer: o.optimizer, dataName: o.dataName }, fixedSigmaChange(model, 1));
}

/**
 * The term (and its θ: q = 1 terms have one each, in lme4's term order) of the grouping factor
 * formed by `vars` (lme4 names the inner level of a/b 'b:a').
 */
function termOfLevel(fit: LmmFit, vars: string[]): number {
  const key = [...vars].sort().join('\u0000');
  const k = fit.model.frame.reTerms.findIndex((t) => [...t.term.group].sort().join('\u0000') === key);
  if (k < 0) throw new Error(`internal: no random-effects term for '${vars.join('/')}'`);
  return k;
}

/**
 * Per-study weights of a multilevel model, metafor's weights.rma.mv: diag(V⁻¹) in %, V block diagonal
 * by the outermost level (v_i on the diagonal, σ²_l between studies sharing level l's group), each
 * block inverted densely; null when a block is too large for that (> 2000 studies).
 */
function multilevelWeights(data: MetaData, codes: Int32Array[], sigma2: number[]): Float64Array | null {
  const k = data.design.k;
  const byCluster = new Map<number, number[]>();
  for (let i = 0; i < k; i++) {
    const c = codes[0][i];
    const list = byCluster.get(c);
    if (list) list.push(i); else byCluster.set(c, [i]);
  }
  const diag = new Float64Array(k);
  for (const rows of byCluster.values()) {
    const m = rows.length;
    if (m > 2000) return null;
    const V = new Float64Array(m * m);
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) {
      let x = a === b ? data.design.v[rows[a]] : 0;
      for (let l = 0; l < sigma2.length; l++) if (codes[l][rows[a]] === codes[l][rows[b]]) x += sigma2[l];
      V[a * m + b] = x;
    }
    const { inv } = spdInverse(V, m, 'the marginal covariance of a cluster');
    for (let a = 0; a < m; a++) diag[rows[a]] = inv[a * m + a];
  }
  let total = 0;
  for (let i = 0; i < k; i++) total += diag[i];
  return Float64Array.from(diag, (d) => (100 * d) / total);
}

/** Fits a meta-analysis (metafor's rma, or rma.mv with `random`). */
export async function meta(table: arrow.Table, options: MetaOptions): Promise<MetaFit> {
  const t0 = performance.now();
  const { method, test, level } = checkMetaOptions(options);
  const data = metaData(table, options);
  const timings: Record<string, number> = { dataMs: performance.now() - t0 };
  const base = {
    intOnly: data.design.p === 1, labels: data.labels, yi: data.design.y, vi: data.design.v, rows: data.rows,
    mods: data.modsText, level, messages: data.messages, timings, dataName: options.dataName,
  };
  // what the cluster-robust variance works from (src/meta/robustMeta.ts)
  const robust = (beta: Float64Array, tau2: number | null, levels: MetaRobustDesign['levels']): MetaRobustDesign => ({
    X: data.design.X, k: data.design.k, p: data.design.p, names: data.names, y: data.design.y, v: data.design.v, beta, tau2, levels,
    rows: data.rows, nInput: table.numRows,
    column: (name) => { const c = table.getChild(name); return c ? Array.from(c as Iterable<unknown>) : null; },
  });
  if (method === 'REML' || method === 'ML') {
    const t1 = performance.now();
    const reml = method === 'REML';
    const { fit, groups } = await mixedModelFit(table, data, options, reml, data.modsText);
    timings.fitMs = performance.now() - t1;
    const optimizer = { feval: fit.feval, converged: fit.converged, message: fit.optimizerMessage };
    const notes = fit.messages.filter((m) => !data.messages.includes(m) && !/singular/.test(m));
    if (!fit.converged) notes.push(`the ${method} optimization did not converge: ${fit.optimizerMessage}`);
    if (!data.levels) {
      const tau2 = fit.theta[0] ** 2;
      const se = reml ? seTau2REML(data.design, tau2) : seTau2ML(data.design.v, tau2);
      let tau2Null: number | null = null;
      if (data.design.p > 1) {
        const t2 = performance.now();
        tau2Null = (await mixedModelFit(table, data, options, reml, '1')).fit.theta[0] ** 2;
        timings.nullFitMs = performance.now() - t2;
      }
      const res = rmaUniResults(data.design, data.names, data.intercept, method, tau2, se, test as 'z' | 'knha', tau2Null, level);
      timings.totalMs = performance.now() - t0;
      return new MetaFit({ ...base, messages: [...data.messages, ...notes], result: { kind: 'rma.uni', value: res }, weights: res.weights, random: null, optimizer, robust: robust(res.coef.beta, res.tau2, null) });
    }
    // multilevel: σ²_l = θ_l² per level, outermost first; metafor's log-likelihoods from the parts at θ̂
    const index = groups.map((_, l) => termOfLevel(fit, groups.slice(0, l + 1)));
    const sigma2 = index.map((k) => fit.theta[k] ** 2);
    const terms = index.map((k) => fit.model.frame.reTerms[k]);
    const { n, p } = fit.model.frame;
    const devML = devianceAtSigma(fit.parts, n, p, false, fit.model.sumLogW, 1);
    const devREML = devianceAtSigma(fit.parts, n, p, true, fit.model.sumLogW, 1);
    const XtX = crossprodDiag(data.design.X, data.design.k, p, new Float64Array(data.design.k).fill(1));
    const L = Float64Array.from(XtX);
    const logDetXtX = choleskyInPlace(L, p, "the moderators' cross-product matrix X'X");
    const sol = { beta: fit.beta, vb: Float64Array.from(fit.vcov.flat()), llML: -devML / 2, llREML: -(devREML - logDetXtX) / 2 };
    const res = rmaMvResults(data.design, data.names, data.intercept, method, test as 'z' | 't', sigma2,
      groups.map((_, l) => groups.slice(0, l + 1).join('/')), terms.map((t) => t.levels.length), sol, level);
    const weights = multilevelWeights(data, terms.map((t) => t.codes), sigma2);
    timings.totalMs = performance.now() - t0;
    const levels = groups.map((_, l) => ({ name: groups.slice(0, l + 1).join('/'), sigma2: sigma2[l], codes: terms[l].codes, labels: terms[l].levels }));
    return new MetaFit({ ...base, messages: [...data.messages, ...notes], result: { kind: 'rma.mv', value: res }, weights, random: options.random ?? null, optimizer, robust: robust(res.coef.beta, null, levels) });
  }
  const t1 = performance.now();
  const est = tau2Closed(method, data.design);
  const tau2Null = data.design.p > 1 && method !== 'EE' ? tau2Closed(method, { ...data.design, X: data.design.X.slice(0, data.design.k), p: 1 }).tau2 : null;
  const res = rmaUniResults(data.design, data.names, data.intercept, method, est.tau2, est.seTau2, test as 'z' | 'knha', tau2Null, level);
  timings.fitMs = performance.now() - t1;
  timings.totalMs = performance.now() - t0;
  return new MetaFit({ ...base, result: { kind: 'rma.uni', value: res }, weights: res.weights, random: null, robust: robust(res.coef.beta, res.tau2, null) });
}
