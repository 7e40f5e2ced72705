/**
 * MASS's glmmPQL (Venables & Ripley 2002, §10.4; Breslow & Clayton 1993): a GLMM fitted by penalized
 * quasi-likelihood, as a loop of nlme's lme on a linearized response. As stages:
 *   pqlFrame (frame.ts: the glm's response, prior weights a, offset and X on lme's rows)
 *   → glmFit (src/lmlist: R's glm.fit, MASS's fit0): η₀ = Xβ̂ + offset, its working weights w₀
 *   → for k = 1 … niter: lme(zz ~ x, random, correlation, weights = varFixed(~ invwt), method = "ML")
 *       (src/nlme) on zz = η + (y − μ)/μ′(η), invwt = 1/w (workingResponse.ts);
 *     η ← fitted(lme) (level Q, with the offset); stop when Σ(η − η_old)² < 1e-6 Σ η²;
 *     else zz, w at the new η (w = a μ′(η)²/V(μ))
 *   → GlmmPqlFit (the last lme with the family).
 * As MASS: the lme is refitted from its own start each iteration, the loop returns the lme fitted at the
 * iteration where η stopped moving (fitted on the working response of the η before it), and after niter
 * lme fits without convergence it returns the last one (here with converged false and a message).
 */
import * as arrow from 'apache-arrow';
import { FitError, OptionError } from '../errors/errors.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import { type FamilyName, type LinkName, FAMILY_LINKS, makeFamily } from '../glmm/family.js';
import { glmFit } from '../lmlist/glmFit.js';
import { lme } from '../nlme/lme.js';
import { checkOptionNames } from '../nlme/options.js';
import { throwIfAborted } from '../model/control.js';
import { abortSignal } from '../options/rules.js';
import { pqlFrame } from './frame.js';
import { etaConverged, workingResponse } from './workingResponse.js';
import { GlmmPqlFit, type PqlFamilyName } from './glmmPQLFit.js';

export interface GlmmPqlOptions {
  /** binomial, quasibinomial, poisson, quasipoisson or Gamma (the quasi families give the same fit: PQL estimates σ either way) */
  family: PqlFamilyName;
  /** the link (default the family's canonical one; Gamma's default is R's inverse) */
  link?: LinkName;
  /** nlme's correlation structure within the innermost groups, e.g. `'corAR1(form = ~ time | id)'` */
  correlation?: string;
  /** prior weights (glm's weights; binomial: the numbers of trials of a proportion): a column or one value per row */
  weights?: string | ArrayLike<number>;
  /** the most lme fits (MASS's niter, default 10) */
  niter?: number;
  /** true: "iteration k" on the console before each lme fit (MASS's verbose messages); a function: each message to it */
  verbose?: boolean | ((message: string) => void);
  /** numeric columns to read as factors */
  factors?: string[];
  /** the data's name for the printout */
  dataName?: string;
  /** each lme's optimizer evaluation limit (lme's maxfun) */
  maxfun?: number;
  /** cancels the fit (the library's AbortError) */
  signal?: AbortSignal;
}

const KNOWN = ['family', 'link', 'correlation', 'weights', 'niter', 'verbose', 'factors', 'dataName', 'maxfun', 'signal'];

/** the families glmmPQL takes here, and the GLM family each fits as */
const PQL_FAMILIES: Record<PqlFamilyName, FamilyName> = {
  binomial: 'binomial', quasibinomial: 'binomial', poisson: 'poisson', quasipoisson: 'poisson', Gamma: 'Gamma',
};

/** A column name not in the data: `base`, else `base.1`, `base.2`, … */
function freshName(table: arrow.Table, base: string): string {
  const names = new Set(table.schema.fields.map((f) => f.name));
  if (!names.has(base)) return base;
  for (let k = 1; ; k++) if (!names.has(`${base}.${k}`)) return `${base}.${k}`;
}

/** The data with the working response and variance covariate as two more columns (missing off the frame's rows). */
function withWorkingColumns(table: arrow.Table, rows: Int32Array | null, names: [string, string], zz: Float64Array, invwt: Float64Array): arrow.Table {
  const N = table.numRows;
  const spread = (v: Float64Array): (number | null)[] => {
    if (!rows) return Array.from(v);
    const out = new Array<number | null>(N).fill(null);
    rows.forEach((r, i) => { out[r] = v[i]; });
    return out;
  };
  const extra = new arrow.Table({
    [names[0]]: arrow.vectorFromArray(spread(zz), new arrow.Float64()),
    [names[1]]: arrow.vectorFromArray(spread(invwt), new arrow.Float64()),
  });
  return table.assign(extra);
}

/** Fits a GLMM by penalized quasi-likelihood (MASS's glmmPQL): see the file's comment. */
export async function glmmPQL(fixed: string, random: string, input: DataInput, options: GlmmPqlOptions): Promise<GlmmPqlFit> {
  const t0 = performance.now();
  if (options === null || typeof options !== 'object') throw new OptionError('family', "glmmPQL: options with a family are required, e.g. { family: 'binomial' }");
  checkOptionNames(options, KNOWN, 'glmmPQL');
  if (options.signal !== undefined) abortSignal(options.signal, 'glmmPQL: signal');
  throwIfAborted(options.signal);
  const familyName = options.family;
  if (!Object.hasOwn(PQL_FAMILIES, familyName)) {
    throw new OptionError('family', `glmmPQL: family must be one of ${Object.keys(PQL_FAMILIES).join(', ')}, got ${JSON.stringify(familyName)}`);
  }
  const base = PQL_FAMILIES[familyName];
  if (options.link !== undefined && !FAMILY_LINKS[base].includes(options.link)) {
    throw new OptionError('link', `glmmPQL: the ${familyName} family takes the links ${FAMILY_LINKS[base].join(', ')}, got ${JSON.stringify(options.link)}`);
  }
  const niter = options.niter ?? 10;
  if (!(Number.isInteger(niter) && niter >= 1)) throw new OptionError('niter', `glmmPQL: niter must be a whole number ≥ 1, got ${String(niter)}`);
  const verbose = options.verbose;
  if (verbose !== undefined && typeof verbose !== 'boolean' && typeof verbose !== 'function') throw new OptionError('verbose', 'glmmPQL: verbose must be true, false or a function of each message');
  const say = typeof verbose === 'function' ? verbose : verbose ? (m: string) => console.error(m) : null;
  const family = makeFamily(base, options.link);
  const data = toArrowTable(input);
  const pf = pqlFrame(fixed, random, data, { family: base, link: options.link, weights: options.weights, correlation: options.correlation, factors: options.factors });
  const { frame, y, a, offset } = pf;
  const { n, p } = frame;
  const rows = frame.rows;
  const rowOf = (i: number) => (rows ? rows[i] : i) + 1;
  const messages = [...frame.messages];
  // MASS's fit0: glm(fixed, family, weights) — its η̂, working response and weights start the loop
  const X = { names: frame.xnames, columns: Array.from({ length: p }, (_, j) => frame.X.subarray(j * n, (j + 1) * n)) };
  const fit0 = glmFit(X, y, a, family, offset);
  messages.push(...fit0.warnings.map((w) => `the starting glm: ${w}`));
  let eta = fit0.eta;
  // zz = η + (y − μ)/μ′(η) at glm's η̂ (MASS: η + fit0$residuals); w: glm's weights (fit0$weights)
  let { zz } = workingResponse(family, y, a, eta, rowOf, 0);
  let w = fit0.workingWeights;
  for (let i = 0; i < n; i++) {
    if (!(w[i] > 0 && Number.isFinite(w[i]))) throw new FitError(`glmmPQL: the starting glm's working weight of row ${rowOf(i)} is ${w[i]}${a[i] > 0 ? '' : ` (its prior weight is ${a[i]}: drop the row)`}; PQL cannot proceed (lme's variance 1/w is not finite)`);
  }
  const names: [string, string] = [freshName(data, 'zz'), freshName(data, 'invwt')];
  const lmeFixed = `${names[0]} ~ ${pf.rhs}`;
  const dataName = options.dataName ?? 'data';
  let fit = null;
  let converged = false;
  let iterations = 0;
  for (let k = 1; k <= niter; k++) {
    throwIfAborted(options.signal);
    say?.(`iteration ${k}`);
    iterations = k;
    const table = withWorkingColumns(data, rows, names, zz, w.map((v) => 1 / v));
    fit = await lme(lmeFixed, table, {
      random, correlation: options.correlation, weights: `varFixed(~${names[1]})`, method: 'ML',
      factors: options.factors, dataName, maxfun: options.maxfun, signal: options.signal,
    });
    // lme's frame has the glm's rows (the same variables, zz missing where the glm's frame dropped a row)
    const lr = fit.model.frame.rows;
    if (fit.nobs !== n || (lr === null) !== (rows === null) || (lr && rows && lr.some((r, i) => r !== rows[i]))) {
      throw new FitError(`glmmPQL: lme's rows (${fit.nobs}) are not the glm's (${n})`);
    }
    if (!fit.converged) throw new FitError(`glmmPQL: the lme of iteration ${k} did not converge (its optimizer stopped after ${fit.feval} evaluations); PQL cannot proceed`);
    const etaOld = eta;
    // η = Xβ̂ + offset + Zb̂ (nlme's fitted at the innermost level; MASS: fitted(fit) + off)
    eta = fit.fitted();
    if (etaConverged(eta, etaOld)) { converged = true; break; }
    ({ zz, w } = workingResponse(family, y, a, eta, rowOf, k));
  }
  if (!converged) messages.push(`the linear predictor had not converged after niter = ${niter} lme fits (Σ(η − η_old)² ≥ 1e-6 Σ η²): the last fit is returned, as MASS's glmmPQL does; raise niter`);
  return new GlmmPqlFit({
    lme: fit!, family, familyName, iterations, converged, niter, fixedText: fixed.trim(), random,
    correlation: options.correlation ?? null, weights: typeof options.weights === 'string' ? options.weights : options.weights === undefined ? null : '(numeric)',
    dataName, messages: [...messages, ...fit!.messages], ms: performance.now() - t0,
  });
}
