/**
 * geepack's geeglm (Halekoh, Højsgaard & Yan 2006, J. Stat. Softw. 15(2); Yan & Fine 2004): generalized
 * estimating equations — a marginal (population-averaged) model of E(y) = g⁻¹(Xβ) with a working
 * correlation within clusters and sandwich standard errors, not a mixed model. As stages:
 *   geeFrame (frame.ts: y, w, offset, X, the clusters by id and their waves)
 *   → startValues (estimate.ts: glm's β, φ from its Pearson residuals, α = 0)
 *   → geeEstimate (estimate.ts: β, φ, α by turns until the largest step ≤ ε)
 *   → sandwichVariances (sandwich.ts: san.se and the naive variance; Var(φ̂), Var(α̂))
 *   → jackApproximate / jackRefit (jackknife.ts: std.err 'jack', 'j1s', 'fij')
 *   → GeeFit (geeFit.ts: summary as print(summary(geeglm)), anova, predict, QIC).
 */
import { OptionError } from '../errors/errors.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import type { LinkName } from '../glmm/family.js';
import { geeFrame } from './frame.js';
import { type GeeFamilyName, meanModel } from './meanModel.js';
import { type CorStr, workingCorrelation } from './workingCorrelation.js';
import { type GeeProblem, geeEstimate, startValues } from './estimate.js';
import { sandwichVariances } from './sandwich.js';
import { type JackVariances, jackApproximate, jackRefit } from './jackknife.js';
import { GeeFit, type StdErr } from './geeFit.js';

export interface GeeOptions {
  /** the column of the cluster identifiers (required) */
  id: string;
  /** gaussian (default), binomial, poisson or Gamma */
  family?: GeeFamilyName;
  /** the link (default the family's: identity, logit, log, inverse) */
  link?: LinkName;
  /** the working correlation: independence (default), exchangeable, ar1 or unstructured */
  corstr?: CorStr;
  /** the column of the waves (the order within clusters: ar1's distances, unstructured's pairs) */
  waves?: string;
  /** prior weights: a column or one value per input row */
  weights?: string | ArrayLike<number>;
  /** san.se (default), jack, j1s or fij */
  stdErr?: StdErr;
  /** geeglm's scale.fix: φ is not estimated (it stays at geese.fit's start, the mean squared Pearson residual of glm) */
  scaleFix?: boolean;
  /** geese.control's epsilon (default 1e-4) and maxit (default 25) */
  epsilon?: number;
  maxit?: number;
  /** numeric columns to read as factors */
  factors?: string[];
  /** the data's name for the printout */
  dataName?: string;
}

const KNOWN = ['id', 'family', 'link', 'corstr', 'waves', 'weights', 'stdErr', 'scaleFix', 'epsilon', 'maxit', 'factors', 'dataName', 'zcor'];
const CORSTRS: CorStr[] = ['independence', 'exchangeable', 'ar1', 'unstructured'];
const STDERRS: StdErr[] = ['san.se', 'jack', 'j1s', 'fij'];

/** Fits a GEE as geepack's geeglm: see the file's comment. */
export function gee(formula: string, input: DataInput, options: GeeOptions): GeeFit {
  const t0 = performance.now();
  if (options === null || typeof options !== 'object') throw new OptionError('id', "gee: options with the id column are required, e.g. { id: 'subject' }");
  for (const k of Object.keys(options)) {
    if (k === 'zcor') throw new OptionError('zcor', "gee: zcor (geepack's user-defined or fixed correlation design) is not supported; corstr is one of independence, exchangeable, ar1, unstructured");
    if (!KNOWN.includes(k)) throw new OptionError(k, `gee: unknown option '${k}' (options: ${KNOWN.filter((x) => x !== 'zcor').join(', ')})`);
  }
  const family = options.family ?? 'gaussian';
  const corstr = options.corstr ?? 'independence';
  if (!CORSTRS.includes(corstr)) {
    throw new OptionError('corstr', `gee: corstr must be one of ${CORSTRS.join(', ')}${String(corstr) === 'fixed' || String(corstr) === 'userdefined' ? " (geepack's 'fixed' and 'userdefined', which take a zcor, are not supported)" : ''}, got ${JSON.stringify(corstr)}`);
  }
  const stdErr = options.stdErr ?? 'san.se';
  if (!STDERRS.includes(stdErr)) throw new OptionError('stdErr', `gee: stdErr must be one of ${STDERRS.join(', ')}, got ${JSON.stringify(stdErr)}`);
  const epsilon = options.epsilon ?? 1e-4;
  if (!(typeof epsilon === 'number' && epsilon > 0 && Number.isFinite(epsilon))) throw new OptionError('epsilon', `gee: epsilon must be a positive number, got ${String(epsilon)}`);
  const maxit = options.maxit ?? 25;
  if (!(Number.isInteger(maxit) && maxit >= 1)) throw new OptionError('maxit', `gee: maxit must be a whole number ≥ 1, got ${String(maxit)}`);
  if (options.scaleFix !== undefined && typeof options.scaleFix !== 'boolean') throw new OptionError('scaleFix', 'gee: scaleFix must be true or false');
  const mean = meanModel(family, options.link);
  const data = toArrowTable(input);
  const gf = geeFrame(formula, data, { family, link: mean.link, id: options.id, waves: options.waves, weights: options.weights, factors: options.factors });
  const K = gf.start.length;
  const m = Math.max(...gf.size);
  if (corstr === 'unstructured') {
    // geepack's unstructured R_i is the block of waves 1…n_i (cor_unstr): refuse waves that skip or repeat
    for (let c = 0; c < K; c++) {
      for (let j = 0; j < gf.size[c]; j++) {
        if (gf.t[gf.start[c] + j] !== j + 1) throw new OptionError('waves', `gee: corstr 'unstructured' needs each cluster's waves to be 1, 2, …, n_i in row order; cluster '${gf.ids[c]}' has waves ${Array.from(gf.t.subarray(gf.start[c], gf.start[c] + gf.size[c])).join(', ')} (sort its rows by wave; a skipped wave is not supported)`);
      }
    }
  }
  if (corstr === 'ar1') {
    for (let c = 0; c < K; c++) {
      const t = Array.from(gf.t.subarray(gf.start[c], gf.start[c] + gf.size[c]));
      if (new Set(t).size !== t.length) throw new OptionError('waves', `gee: corstr 'ar1': cluster '${gf.ids[c]}' has two rows with the same wave (${t.join(', ')}): their working correlation would be 1`);
    }
  }
  const messages = [...gf.messages];
  const singles = Array.from(gf.size).filter((s) => s === 1).length;
  if (singles > 0 && corstr !== 'independence') messages.push(`${singles} cluster${singles > 1 ? 's have' : ' has'} one row: ${singles > 1 ? 'they add' : 'it adds'} to β and φ but not to α (as geepack)`);
  const cor = workingCorrelation(corstr, m);
  const pr: GeeProblem = { X: gf.X, y: gf.y, w: gf.w, offset: gf.offset, t: gf.t, start: gf.start, size: gf.size, p: gf.p, mean, cor, scaleFix: options.scaleFix ?? false };
  const par = startValues(pr);
  const est = geeEstimate(pr, par, epsilon, maxit);
  if (!est.converged) messages.push(`the estimating equations did not converge in maxit = ${maxit} iterations (largest step > epsilon = ${epsilon}); geepack's error code 1`);
  const v = sandwichVariances(pr, par);
  let jack: JackVariances | null = null;
  if (stdErr === 'jack') jack = jackApproximate(pr, par);
  else if (stdErr === 'j1s' || stdErr === 'fij') jack = jackRefit(pr, par, stdErr, epsilon, maxit);
  return new GeeFit({
    formula: formula.trim(), gf, problem: pr, par, variances: v, jack, stdErr, iterations: est.iterations, converged: est.converged,
    options: { ...options, family, corstr, epsilon, maxit }, dataName: options.dataName ?? 'data', messages, ms: performance.now() - t0,
  });
}
