/**
 * RLRsim's exact tests of one variance component of an lmer fit (Crainiceanu & Ruppert 2004; Scheipl,
 * Greven & Küchenhoff 2008):
 *
 * exactRLRT(m): m has one scalar random-effects term; H0: its variance is 0. The statistic
 *   RLRT = max(0, 2 ℓ_R(m) − 2 ℓ_R(lm)),  2 ℓ_R(lm) = −[(n−p) log 2π + (n−p) log RSS + log|XᵀX| + (n−p) − (n−p) log(n−p)]
 *   (the linear model's REML log-likelihood, src/inference/lmLogLik.ts), and 0 when m's variance is
 *   estimated at 0 (θ = 0: the two criteria are the same function there; RLRsim takes their rounding
 *   difference, e.g. 5.7e-14).
 * exactRLRT(m, { mA, m0 }): the tested term is one of several; mA the full model, m0 mA without it, m
 *   the model with the tested term only (its design gives the null distribution):
 *   RLRT = max(0, 2 ℓ_R(mA) − 2 ℓ_R(m0)), 0 when mA's variance of the term is estimated at 0.
 * exactLRT(m, m0): ML; m0 a linear model (fixed effects only) nested in m's fixed part, q = p − p₀:
 *   LRT = max(0, 2 ℓ(m) − 2 ℓ(lm₀)).
 * ℓ_R of an ML fit is the REML criterion at its estimates, ℓ of a REML fit the ML one (lme4's
 * logLik(m, REML = ) there: devCrit), with RLRsim's messages.
 * The p-value is the share of the simulated null values (rlrtSimulate.ts, on rlrtDesign.ts's
 * eigenvalues) above the statistic: p = #{T*_r > T}/nsim; with T = 0 nothing is simulated and p = 1.
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { parseFormula } from '../formula/parse.js';
import { LmmFit } from '../lmm/lmmFit.js';
import { workingResponse } from '../lmm/model.js';
import { type Rule, type Schema, checkObject, integer } from '../options/rules.js';
import { formatPval, formatR } from '../results/rFormat.js';
import { checkLme4Criterion } from './fitInference.js';
import { frameWithout } from './fixedWithout.js';
import { refuseEngineRows, refuseKnownCovariance } from './knownCovariance.js';
import { lmLogLik } from './lmLogLik.js';
import { sameRows } from './lrt.js';
import { type RlrtDesign, rlrtEigenvalues, scaleMlEigen, scaleRemlEigen } from './rlrtDesign.js';
import { simulateRlrtNull } from './rlrtSimulate.js';

export interface RlrtSimOptions {
  /** number of simulated values (RLRsim's nsim; default 10000) */
  nsim?: number;
  /** the seed of the counter-based draws (default 1): the same seed gives the same null sample */
  seed?: number;
  /** RLRsim's log.grid.hi (default 8), log.grid.lo (default −10), gridlength (default 200) */
  logGridHi?: number;
  logGridLo?: number;
  gridLength?: number;
}

export interface ExactRlrtOptions extends RlrtSimOptions {
  /** the full model (with every random-effects term) and the full model without the tested term */
  mA?: LmmFit;
  m0?: LmmFit;
}

export interface ExactTest {
  /** 'RLRT' or 'LRT' */
  statisticName: 'RLRT' | 'LRT';
  statistic: number;
  /** the p-value: the share of simulated values above the statistic (1 when the statistic is 0) */
  pValue: number;
  /** the number of simulated values (0 when the statistic is 0 and nothing was simulated) */
  nsim: number;
  seed: number;
  /** RLRsim's method line */
  method: string;
  /** the simulated null values (empty when none) */
  sample: Float64Array;
  /** the grid's λ at each simulated supremum */
  lambda: Float64Array;
  /** the scaled eigenvalues the null distribution uses (decreasing): μ, and ξ for the LRT */
  mu: Float64Array;
  xi: Float64Array | null;
  /** n, p, K and (LRT) q of the null design */
  n: number;
  p: number;
  K: number;
  q: number;
  /** RLRsim's messages and warnings */
  messages: string[];
}

const finite: Rule = (v, at) => {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new OptionError(at.split(': ').pop()!, `${at} must be a finite number, not ${String(v)}`);
};
const isFit: Rule = (v, at) => {
  if (!(v instanceof LmmFit)) throw new OptionError(at.split(': ').pop()!, `${at} must be an lmer fit (LmmFit)${v && typeof v === 'object' && 'family' in (v as object) ? ', not a glmer fit: RLRsim tests linear mixed models only' : ''}`);
};
const SIM_SCHEMA: Schema = { nsim: integer(1, 1e8), seed: integer(-(2 ** 53), 2 ** 53), logGridHi: finite, logGridLo: finite, gridLength: integer(2, 1e6) };
const RLRT_SCHEMA: Schema = { ...SIM_SCHEMA, mA: isFit, m0: isFit };

/** The scalar tested term of m (RLRsim's d$k == 1 and length(d$lambda) == 1), checked, as a null design. */
function testedDesign(m: LmmFit, what: string): RlrtDesign & { text: string; group: string; cname: string } {
  if (!(m instanceof LmmFit)) throw new ModelError(`${what}: m must be an lmer fit (RLRsim tests linear mixed models only)`);
  checkLme4Criterion(m, what);
  refuseEngineRows(m.model, what);
  refuseKnownCovariance(m.model, what, 'RLRsim\'s null distribution assumes independent random effects of one scalar term');
  const frame = m.model.frame;
  if (frame.weights) throw new ModelError(`${what}: the fit has prior weights${frame.weightsName ? ` ('${frame.weightsName}')` : ''}; RLRsim's null distribution and its linear model under H0 ignore them`);
  if (frame.offset) throw new ModelError(`${what}: the fit has an offset; RLRsim's linear model under H0 ignores it`);
  const terms = frame.reTerms;
  if (terms.length !== 1 || terms[0].q !== 1) {
    throw new ModelError(`${what}: m must have a single scalar random effect — one term of one column, as (1 | g) or (0 + x | g) — as RLRsim requires; m has ${terms.map((t) => t.text).join(' + ')}${terms.length === 1 ? ` (${terms[0].q} columns: ${terms[0].cnames.join(', ')})` : ''}. To test one variance among several, give m with only the tested term and the full model mA and mA without it m0`);
  }
  const t = terms[0];
  // Zᵀ(I − H_X)Z has rank ≤ n − p: the null law's K χ²₁ terms and χ²_{n−p−K} need K ≤ n − p
  if (frame.n - frame.p < t.levels.length) throw new ModelError(`${what}: '${t.group}' has ${t.levels.length} levels, more than n − p = ${frame.n} − ${frame.p} (observations less fixed effects): RLRsim's null distribution needs K ≤ n − p`);
  return { X: frame.X, n: frame.n, p: frame.p, codes: t.codes, z: t.Z, K: t.levels.length, text: t.text, group: t.group, cname: t.cnames[0] };
}

/** 2ℓ_R: −(REML criterion), for an ML fit lme4's REML criterion at its estimates (devCrit). */
function twiceRemlLogLik(f: LmmFit): number {
  if (f.reml) return -f.objective;
  const { n, p } = f.model.frame;
  const { ldL2, ldRX2, pwrss } = f.parts;
  const nmp = n - p;
  // REML(θ̂_ML) = log|L|² + log|R_X|² + (n − p)(1 + log(2π r²/(n − p)))
  return -(ldL2 + ldRX2 + nmp * (1 + Math.log((2 * Math.PI * pwrss) / nmp)));
}

/** 2ℓ: −(deviance), for a REML fit the ML deviance at its estimates (devCrit). */
function twiceMlLogLik(f: LmmFit): number {
  if (!f.reml) return -f.objective;
  const { n } = f.model.frame;
  const { ldL2, pwrss } = f.parts;
  // dev(θ̂_REML) = log|L|² + n(1 + log(2π r²/n))
  return -(ldL2 + n * (1 + Math.log((2 * Math.PI * pwrss) / n)));
}

/** the θ entries of the term with text `text` in f (θ in the frame's term order, lme4's: q(q+1)/2 per term; null where the layout differs) */
function termTheta(f: LmmFit, text: string): number[] | null {
  const terms = f.model.frame.reTerms;
  const sizes = terms.map((t) => (t.q * (t.q + 1)) / 2);
  if (sizes.reduce((a, b) => a + b, 0) !== f.theta.length) return null;
  let at = 0;
  for (let k = 0; k < terms.length; k++) {
    if (terms[k].text === text) return Array.from(f.theta.subarray(at, at + sizes[k]));
    at += sizes[k];
  }
  return null;
}

function sameX(a: LmmFit, b: LmmFit): boolean {
  const fa = a.model.frame, fb = b.model.frame;
  if (fa.n !== fb.n || fa.p !== fb.p) return false;
  for (let i = 0; i < fa.X.length; i++) if (fa.X[i] !== fb.X[i]) return false;
  return true;
}

function sameResponse(a: LmmFit, b: LmmFit): boolean {
  const ya = a.model.frame.y, yb = b.model.frame.y;
  if (ya.length !== yb.length) return false;
  for (let i = 0; i < ya.length; i++) if (ya[i] !== yb[i]) return false;
  return sameRows(a.model.frame, b.model.frame);
}

function simSettings(o: RlrtSimOptions) {
  return { nsim: o.nsim ?? 10000, seed: o.seed ?? 1, logGridHi: o.logGridHi ?? 8, logGridLo: o.logGridLo ?? -10, gridLength: o.gridLength ?? 200 };
}

/** RLRsim's exactRLRT(m) or exactRLRT(m, mA, m0) (see the header). */
export async function exactRLRT(m: LmmFit, options: ExactRlrtOptions = {}): Promise<ExactTest> {
  const what = 'exactRLRT';
  checkObject(options, what, RLRT_SCHEMA);
  const sim = simSettings(options);
  if (!(sim.logGridLo < sim.logGridHi)) throw new OptionError('logGridLo', `${what}: logGridLo (${sim.logGridLo}) must be below logGridHi (${sim.logGridHi})`);
  const d = testedDesign(m, what);
  const messages: string[] = [];
  const { mA, m0 } = options;
  let statistic: number;
  if (!mA && !m0) {
    if (!m.reml) messages.push('Using restricted likelihood evaluated at ML estimators.', 'Refit with method="REML" for exact results.');
    const lm = lmLogLik(d.X, d.n, d.p, workingResponse(m.model.frame), null, true);
    const theta = termTheta(m, d.text);
    statistic = theta !== null && theta.every((t) => t === 0) ? 0 : Math.max(0, twiceRemlLogLik(m) - 2 * lm.logLik);
  } else {
    if (!mA || !m0) throw new OptionError(mA ? 'm0' : 'mA', `${what}: give both mA (the full model) and m0 (the full model without the tested term), or neither`);
    for (const [f, name] of [[mA, 'mA'], [m0, 'm0']] as const) {
      checkLme4Criterion(f, `${what}: ${name}`);
      refuseEngineRows(f.model, `${what}: ${name}`);
      refuseKnownCovariance(f.model, `${what}: ${name}`, 'RLRsim\'s null distribution assumes independent random effects');
      if (f.model.frame.weights || f.model.frame.offset) throw new ModelError(`${what}: ${name} has ${f.model.frame.weights ? 'prior weights' : 'an offset'}; RLRsim ignores them`);
      if (!sameResponse(f, m)) throw new ModelError(`${what}: ${name} (${f.model.frame.formula.text}) and m (${m.model.frame.formula.text}) were not fitted to the same rows and response`);
      if (!sameX(f, m)) throw new ModelError(`${what}: the fixed effects of ${name} (${f.model.frame.xnames.join(', ')}) and m (${m.model.frame.xnames.join(', ')}) are not identical: REML-based inference not appropriate`);
    }
    if (!sameX(mA, m0)) throw new ModelError(`${what}: fixed effects structures of mA and m0 not identical: REML-based inference not appropriate`);
    const dfDiff = mA.df - m0.df;
    if (Math.abs(dfDiff) > 1) throw new ModelError(`${what}: mA and m0 differ by ${Math.abs(dfDiff)} parameters: random effects not independent — covariance(s) set to 0 under H0; exactRLRT can only test a single variance`);
    const textsA = mA.model.frame.reTerms.map((t) => t.text), texts0 = m0.model.frame.reTerms.map((t) => t.text);
    const extra = textsA.filter((t) => !texts0.includes(t)), missing = texts0.filter((t) => !textsA.includes(t));
    if (dfDiff !== 1 || missing.length > 0 || extra.length !== 1) {
      throw new ModelError(`${what}: m0 (${texts0.join(' + ')}) is not mA (${textsA.join(' + ')}) without one scalar random-effects term`);
    }
    if (extra[0] !== d.text) throw new ModelError(`${what}: mA's term missing from m0 is ${extra[0]}, but m tests ${d.text}`);
    if (!mA.reml || !m0.reml) messages.push('Using restricted likelihood evaluated at ML estimators.', 'Refit with method="REML" for exact results.');
    const theta = termTheta(mA, d.text);
    statistic = theta !== null && theta.every((t) => t === 0) ? 0 : Math.max(0, twiceRemlLogLik(mA) - twiceRemlLogLik(m0));
  }
  const mu = scaleRemlEigen(rlrtEigenvalues(d));
  return finish('RLRT', statistic, { n: d.n, p: d.p, q: 0, mu, reml: true, ...sim }, d.K, null, messages);
}

/** RLRsim's exactLRT(m, m0): m0 a linear model's formula (fixed effects only) on m's rows (see the header). */
export async function exactLRT(m: LmmFit, m0: string, options: RlrtSimOptions = {}): Promise<ExactTest> {
  const what = 'exactLRT';
  checkObject(options, what, SIM_SCHEMA);
  const sim = simSettings(options);
  if (!(sim.logGridLo < sim.logGridHi)) throw new OptionError('logGridLo', `${what}: logGridLo (${sim.logGridLo}) must be below logGridHi (${sim.logGridHi})`);
  const d = testedDesign(m, what);
  if (typeof m0 !== 'string') throw new OptionError('m0', `${what}: m0 must be a linear model's formula (fixed effects only), such as '${m.model.frame.yname} ~ 1'`);
  const frame = m.model.frame;
  const f0 = parseFormula(m0);
  if (f0.random.length) throw new ModelError(`${what}: m0 (${m0}) must be a linear model, without random-effects terms`);
  if (f0.response.label !== frame.formula.response.label) throw new ModelError(`${what}: m0's response ${f0.response.label} is not m's (${frame.formula.response.label}): different data under the null and alternative`);
  if (f0.fixed.intercept !== frame.formula.fixed.intercept) throw new ModelError(`${what}: m0 (${m0}) and m differ in the intercept; m0 must be nested in m's fixed part`);
  const labels = frame.formula.fixed.terms.map((t) => t.label);
  const kept = f0.fixed.terms.map((t) => t.label);
  const notInM = kept.filter((l) => !labels.includes(l));
  if (notInM.length) throw new ModelError(`${what}: m0 not nested in m: its term${notInM.length > 1 ? 's' : ''} ${notInM.map((l) => `'${l}'`).join(', ')} ${notInM.length > 1 ? 'are' : 'is'} not in m's fixed part (${labels.join(', ') || 'the intercept only'})`);
  let frame0 = frame;
  for (const l of labels) if (!kept.includes(l)) frame0 = frameWithout(frame0, l);
  const q = frame.p - frame0.p;
  if (d.n - d.p - d.K < 1) throw new ModelError(`${what}: no. of effects greater than no. of observations (n − p − K = ${d.n - d.p - d.K}); reduce model complexity`);
  const messages: string[] = [];
  if (q === 0) messages.push('No restrictions on fixed effects. REML-based inference preferable.');
  if (m.reml) messages.push('Using likelihood evaluated at REML estimators.', 'Please refit model with method="ML" for exact results.');
  const lm0 = lmLogLik(frame0.X, frame0.n, frame0.p, workingResponse(frame), null, false);
  const statistic = Math.max(0, twiceMlLogLik(m) - 2 * lm0.logLik);
  const { mu, xi } = scaleMlEigen(rlrtEigenvalues(d));
  // exactLRT simulates whatever the statistic
  return finish('LRT', statistic, { n: d.n, p: d.p, q, mu, xi, reml: false, ...sim }, d.K, xi, messages, true);
}

async function finish(
  name: 'RLRT' | 'LRT', statistic: number,
  s: Parameters<typeof simulateRlrtNull>[0], K: number, xi: Float64Array | null, messages: string[], always = false,
): Promise<ExactTest> {
  let sample: Float64Array = new Float64Array(0), lambda: Float64Array = new Float64Array(0), pValue = 1, nsim = s.nsim;
  if (statistic > 0 || always) {
    ({ sample, lambda } = await simulateRlrtNull(s));
    let above = 0, zeros = 0;
    for (const v of sample) { if (statistic < v) above++; if (v === 0) zeros++; }
    pValue = above / sample.length;
    if (quantile90IsZero(sample)) messages.push(`Null distribution has mass ${formatR([zeros / sample.length], 7)[0]} at zero.`);
  } else {
    messages.push(`Observed ${name} statistic is 0, no simulation performed.`);
    nsim = 0;
  }
  const method = `simulated finite sample distribution of ${name}. (p-value based on ${nsim} simulated values)`;
  return { statisticName: name, statistic, pValue, nsim, seed: s.seed, method, sample, lambda, mu: s.mu, xi, n: s.n, p: s.p, K, q: s.q, messages };
}

/** R's quantile(x, 0.9) == 0 (type 7) for x ≥ 0: the value at 0.9 (n − 1) interpolates two order statistics */
function quantile90IsZero(x: Float64Array): boolean {
  const sorted = Float64Array.from(x).sort();
  const h = 0.9 * (sorted.length - 1);
  const lo = Math.floor(h), hi = Math.ceil(h);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]) === 0;
}

/** RLRsim's printout (R's print.htest): the method, the statistic and the p-value. */
export function printExactTest(t: ExactTest): string[] {
  // print.htest: format(statistic, max(1, digits − 2)) = 5 significant digits; format.pval(p, digits = max(1, digits − 3)) = 4
  const stat = formatR([t.statistic], 5)[0];
  const pv = formatPval([t.pValue], 4)[0];
  const pText = pv.startsWith('<') ? `p-value ${pv}` : `p-value = ${pv}`;
  return [
    '',
    `\tsimulated finite sample distribution of ${t.statisticName}.`,
    '\t',
    `\t(p-value based on ${t.nsim} simulated values)`,
    '',
    'data:  ',
    `${t.statisticName} = ${stat}, ${pText}`,
    '',
  ];
}
