/**
 * Shared by test/glmm.test.ts (CPU) and test/gpu/glmm.test.ts (WebGPU): the GLMM reference cases,
 * the tight references (see test/glmm.test.ts for what they are) and the assertions of a fit
 * against a reference.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { GlmerOptions } from '../../src/fit/glmer.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import type { ReferenceCase } from './reference.js';

export const GLMM_CASES = ['cbpp_binomial', 'cbpp_binomial_agq', 'grouseticks_poisson', 'verbagg_binomial_crossed'];
/** further tight-only cases: other links, proportions with weights, a Poisson offset */
export const EXTRA_CASES = ['cbpp_probit', 'cbpp_cloglog', 'cbpp_proportion_weights', 'grouseticks_offset', 'cbpp_slope'];
/** default fits that are converged (their objective is within 1e-7 of the tight optimum) */
export const CONVERGED_DEFAULTS = ['cbpp_binomial_agq', 'grouseticks_poisson'];

export interface TightCase extends ReferenceCase {
  link: string;
  weights?: string | null;
  nAGQ: number;
  deviance_laplace: number;
  /** max_abs_eta: the largest |η| at the point's mode (test/oracle/glmer_tight.R; files written before it lack it) */
  objective_at: { theta: number[]; beta: number[]; value: number; max_abs_eta?: number }[];
  objective0_at: { theta: number[]; value: number }[];
  pearson_head: number[];
  tight_at_default_optimum?: number;
  default_at_default_optimum?: number;
}

/** glmer's exact optimum (test/oracle/glmer_tight.R) from test/fixtures/reference-tight or another folder */
export function loadTight(name: string, folder = 'reference-tight'): TightCase {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', folder, `${name}_tight.json`), 'utf8'));
}

/**
 * A negative binomial reference (test/fixtures/negbin, test/oracle/negbin.R: the optimum of the exact
 * Laplace deviance at glmer.nb's size θ, and that deviance at fixed points) in TightCase's shape, with
 * its size in `nb_size` (optionsOf passes it as `theta`).
 */
export function loadNbTight(name: string): TightCase & { nb_size: number } {
  const r = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'negbin', `${name}.json`), 'utf8'));
  return { ...r, ...r.exact, name, nAGQ: 1, link: 'log', family: 'negative.binomial' };
}

export function optionsOf(t: TightCase): GlmerOptions {
  return {
    family: t.family as 'binomial', link: t.link as 'logit', factors: t.factors, nAGQ: t.nAGQ, weights: t.weights ?? undefined,
    ...((t as { nb_size?: number }).nb_size !== undefined ? { theta: (t as { nb_size?: number }).nb_size } : {}),
    dataName: t.data.replace(/^.*\//, '').replace(/\.csv$/, ''),
  };
}

export const rel = (a: number, b: number, scale = Math.abs(b)) => Math.abs(a - b) / (scale || 1);

/**
 * θ, β, SEs, Var(β̂), variance components and the likelihood against a reference. β is compared relative
 * to |β|, or with `betaScale: 'estimateOrSe'` relative to max(|β|, SE) (test/lmer.test.ts's scale), for a
 * case with a coefficient so near zero that 1e-4·|β| is finer than the optimum is determined (the caller
 * says why).
 */
export function checkEstimates(fit: GlmmFit, ref: ReferenceCase, betaScale: 'estimate' | 'estimateOrSe' = 'estimate'): void {
  expect(fit.nobs).toBe(ref.nobs);
  expect(fit.ngroups).toEqual(ref.ngroups);
  expect(fit.model.theta.names).toEqual(ref.theta_names);
  fit.theta.forEach((t, k) => expect(Math.abs(t - ref.theta[k])).toBeLessThan(1e-3));
  expect(Object.keys(fit.fixef)).toEqual(Object.keys(ref.fixef));
  for (const [name, v] of Object.entries(ref.fixef)) {
    expect(rel(fit.fixef[name], v, betaScale === 'estimate' ? Math.abs(v) : Math.max(Math.abs(v), ref.se[name]))).toBeLessThan(1e-4);
    expect(rel(fit.se[name], ref.se[name])).toBeLessThan(1e-3);
  }
  fit.vcov.forEach((row, r) => row.forEach((v, s) => {
    expect(rel(v, ref.vcov[r][s], Math.sqrt(ref.vcov[r][r] * ref.vcov[s][s]))).toBeLessThan(2e-3);
  }));
  const vc = fit.varCorr;
  expect(vc.map((r) => [r.group, r.var1, r.var2])).toEqual(ref.varcorr.map((r) => [r.group, r.var1, r.var2]));
  vc.forEach((r, k) => expect(Math.abs(r.sdcor - ref.varcorr[k].sdcor)).toBeLessThan(1e-3));
  expect(fit.df).toBe((ref as unknown as { df: number }).df);
  expect(fit.sigma).toBe(1);
  expect(fit.singular).toBe(ref.singular);
}

/** conditional modes and SDs, fitted values and residuals against a reference */
export function checkRandomAndFitted(fit: GlmmFit, ref: ReferenceCase, tol: number): void {
  const ours = fit.ranef;
  expect(ours.map((g) => g.group)).toEqual(ref.ranef.map((g) => g.group));
  ref.ranef.forEach((g, k) => {
    expect(ours[k].levels).toEqual(g.levels);
    for (const [col, values] of Object.entries(g.values)) {
      const scale = Math.max(...values.map(Math.abs));
      ours[k].values[col].forEach((v, i) => expect(Math.abs(v - values[i]) / scale).toBeLessThan(tol));
      const want = g.condsd![col];
      ours[k].condsd[col].forEach((v, i) => expect(rel(v, want[i])).toBeLessThan(tol));
    }
  });
  const mu = fit.fitted;
  ref.fitted_head.forEach((v, i) => expect(rel(mu[i], v)).toBeLessThan(tol));
  const r = fit.residuals('deviance');
  ref.resid_head.forEach((v, i) => expect(Math.abs(r[i] - v)).toBeLessThan(tol * Math.max(1, Math.abs(v))));
}
