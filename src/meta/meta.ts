/**
 * Random-effects meta-analysis with known sampling variances (metafor's rma / rma.mv):
 *   y_i = x_iᵀβ + u_i + e_i,  e_i ~ N(0, v_i) known,  u ~ N(0, τ²)            (univariate)
 *   y_i = x_iᵀβ + Σ_l u_{l, g_l(i)} + e_i,  u_l ~ N(0, σ²_l)                  (nested levels)
 * Pipeline: table → metaData (y, v, moderators' X, levels) → the variance components (REML/ML: the
 * linear mixed model with prior weights 1/v_i and σ fixed at 1; DL/PM/HE/SJ/EB: closed-form or
 * one-dimensional estimators, tau2.ts) → rma's results at those components (results.ts) → MetaFit.
 */
import type * as arrow from 'apache-arrow';
import { type MetaDataOptions, metaData } from './data.js';
import { MetaFit } from './metaFit.js';
import { rmaUniResults } from './results.js';
import { type Tau2Method, tau2Closed } from './tau2.js';

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

/** Fits a meta-analysis (metafor's rma, or rma.mv with `random`). */
export async function meta(table: arrow.Table, options: MetaOptions): Promise<MetaFit> {
  const t0 = performance.now();
  const { method, test, level } = checkMetaOptions(options);
  const data = metaData(table, options);
  const timings: Record<string, number> = { dataMs: performance.now() - t0 };
  if (data.levels || method === 'REML' || method === 'ML') {
    throw new Error(`meta: method ${method}${data.levels ? ' and multilevel models' : ''} need the mixed-model core (not available in this build)`);
  }
  const t1 = performance.now();
  const est = tau2Closed(method, data.design);
  const tau2Null = data.design.p > 1 && method !== 'EE' ? tau2Closed(method, { ...data.design, X: data.design.X.slice(0, data.design.k), p: 1 }).tau2 : null;
  const res = rmaUniResults(data.design, data.names, data.intercept, method, est.tau2, est.seTau2, test as 'z' | 'knha', tau2Null, level);
  timings.fitMs = performance.now() - t1;
  timings.totalMs = performance.now() - t0;
  return new MetaFit({
    result: { kind: 'rma.uni', value: res }, intOnly: data.design.p === 1, labels: data.labels, yi: data.design.y, vi: data.design.v,
    rows: data.rows, weights: res.weights, mods: data.modsText, random: null, level, messages: data.messages, timings, dataName: options.dataName,
  });
}
