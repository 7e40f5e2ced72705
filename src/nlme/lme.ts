/**
 * nlme's lme: a linear mixed model with a residual covariance σ² R (variance function and correlation
 * structure), as stages:
 *   lme4Formula (randomSpec.ts) → buildLmm (src/lmm: frame, blocks, θ layout, the rows of A)
 *   → varFunction / corStructure (the data's covariates, strata and groups) → residualCovariance
 *   → lmeObjective (objective.ts: whitened rows, the profiled criterion + log|R|)
 *   → BOBYQA over (θ, ψ) (src/optim) → assembleFit on the whitened rows (src/lmm) → LmeFit.
 */
import type * as arrow from 'apache-arrow';
import { ModelError, OptionError } from '../errors/errors.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import { buildLmm, type LmmModel } from '../lmm/model.js';
import { assembleFit, totalSumOfSquares } from '../lmm/assemble.js';
import { lmmThetaProblem } from '../lmm/thetaProblem.js';
import { thetaToOriginal } from '../model/reparam.js';
import { scaledStart } from '../optim/thetaOptimizer.js';
import { minimize } from './optimize.js';
import { checkMethod, checkOptionNames } from './options.js';
import { corStructure } from './correlation.js';
import { varFunction } from './varFunction.js';
import { type Optimum, fittedIteration } from './fittedIteration.js';
import { type ResidualCovariance, residualCovariance, whitenVector } from './whitening.js';
import { evaluateLme, lmeObjective, modelRows, residualScale, thetaIntOf } from './objective.js';
import { fixedPartText, lme4Formula } from './randomSpec.js';
import { LmeFit } from './lmeFit.js';

export interface LmeOptions {
  /** nlme's random: `'~ 1 | Subject'`, `'~ age | Subject'` (or an lme4 term in the formula instead) */
  random?: string;
  /** a variance function: `'varIdent(form = ~ 1 | Sex)'`, `'varPower(form = ~ age)'`, … */
  weights?: string;
  /** a correlation structure: `'corAR1(form = ~ 1 | Subject)'`, `'corCAR1(form = ~ time | Subject)'`, … */
  correlation?: string;
  /** 'REML' (default, as nlme) or 'ML' */
  method?: 'REML' | 'ML';
  /** numeric columns to read as factors */
  factors?: string[];
  /** the data's name for the printout */
  dataName?: string;
  /** the optimizer's evaluation limit (default 20000) */
  maxfun?: number;
}

const KNOWN = ['random', 'weights', 'correlation', 'method', 'factors', 'dataName', 'maxfun'];

/** The rows sorted by group (stable): nlme's row order, which names varIdent's strata. */
function groupOrder(codes: Int32Array): Int32Array {
  return Int32Array.from(Array.from(codes.keys()).sort((a, b) => codes[a] - codes[b] || a - b));
}

/** Stage: formula, data and options → the model and its residual covariance. */
export function buildLme(fixed: string, data: arrow.Table, options: LmeOptions = {}): { model: LmmModel; rc: ResidualCovariance } {
  checkOptionNames(options, KNOWN, 'lme');
  const reml = checkMethod(options.method);
  if (typeof fixed !== 'string') throw new OptionError('fixed', 'lme: fixed must be a formula as text, e.g. "distance ~ age"');
  const model = buildLmm(lme4Formula(fixed, options.random), data, { REML: reml, factors: options.factors, momentStart: false });
  if (model.blocks.length !== 1) {
    throw new ModelError(`lme: ${model.blocks.length} grouping factors (${model.blocks.map((b) => b.group).join(', ')}): one level of grouping is implemented`);
  }
  const block = model.blocks[0];
  const frame = { n: model.frame.n, rows: model.frame.rows };
  const vf = options.weights === undefined ? null : varFunction(options.weights, { table: data, frame, order: groupOrder(block.codes) });
  const cor = options.correlation === undefined ? null : corStructure(options.correlation, { table: data, frame, defaultGroup: block.group });
  if (cor) checkNested(cor.groups, block.codes, block.levels, cor.text, block.group);
  return { model, rc: residualCovariance(model.frame.n, vf, cor) };
}

/** nlme's rule: each correlation group lies within one group of the random effects. */
export function checkNested(groups: Int32Array[], codes: Int32Array, levels: string[], text: string, group: string): void {
  for (const g of groups) {
    for (let j = 1; j < g.length; j++) {
      if (codes[g[j]] !== codes[g[0]]) {
        throw new ModelError(`correlation ${text}: its groups are not nested in the random effects' groups '${group}' (one correlation group has rows of '${levels[codes[g[0]]]}' and '${levels[codes[g[j]]]}')`);
      }
    }
  }
}

/** Fits a linear mixed model with a residual variance function and correlation structure (nlme's lme). */
export async function lme(fixed: string, input: DataInput, options: LmeOptions = {}): Promise<LmeFit> {
  const t0 = performance.now();
  const data = toArrowTable(input);
  const { model, rc } = buildLme(fixed, data, options);
  const nt = model.theta.length;
  // θ_int scaled as lmer's optimizer scales it (x = 1 on the diagonals at lme4's start)
  const problem = lmmThetaProblem(model.blocks, model.internalBlocks, model.theta, model.frame.n);
  const { scales } = problem;
  const f = lmeObjective(model, rc, scales);
  // x's θ relative to the residual covariance's scale at ψ (objective.ts residualScale)
  const psi0 = Float64Array.from([...(rc.vf?.start ?? []), ...(rc.cor?.start ?? [])]);
  const c0 = residualScale(rc, psi0);
  const start = scaledStart(problem).map((t, k) => (t * scales[k]) / c0);
  const x0 = Float64Array.from([...start, ...psi0]);
  const lower = Float64Array.from([...problem.lower, ...new Array<number>(rc.nPar).fill(-Infinity)]);
  const upper = new Float64Array(x0.length).fill(Infinity);
  const maxfun = options.maxfun ?? 20000;
  const dataName = options.dataName ?? 'data';
  const fixedText = options.random === undefined ? fixedPartText(fixed) : fixed;
  const at = (x: Float64Array, opt: Optimum): LmeFit => {
    const psi = x.slice(nt);
    const theta = thetaToOriginal(model, thetaIntOf(x, scales, residualScale(rc, psi)));
    const ev = evaluateLme(model, rc, modelRows(model), theta, psi);
    // β̂, Var(β̂), σ̂, the modes: lme4's assembly on the whitened rows (its criterion lacks log|R|: ours is ev's)
    // (pwrss is of the whitened rows: the exact-fit check judges it against their response's spread)
    const rowsResponseSS = totalSumOfSquares(whitenVector(rc, psi, model.frame.y));
    const whitened: LmmModel = Object.assign(Object.create(Object.getPrototypeOf(model)) as LmmModel, model, { rows: ev.rows, rowsResponseSS });
    const inner = assembleFit(whitened, { chol: ev.chol }, theta, {
      feval: opt.feval, converged: opt.converged, optimizerMessage: opt.message, messages: [],
      backend: { name: 'cpu', device: 'CPU (JavaScript, float64)', precision: 'float64' }, timings: {}, t0,
    });
    return new LmeFit({
      model, rc, inner, theta, psi, criterion: ev.criterion, feval: opt.feval, converged: opt.converged,
      dataName, fixedText, ms: performance.now() - t0,
    });
  };
  const vf = rc.vf;
  if (!vf?.usesFitted) {
    const opt = await minimize(f, x0, lower, upper, maxfun);
    return at(opt.x, opt);
  }
  // nlme's covariate fitted(.): first the fitted values at the start
  vf.setCovariate!(at(x0, { x: x0, feval: 0, converged: true, message: '' }).fitted(1));
  return fittedIteration(f, x0, lower, upper, maxfun, at, (fit) => fit.fitted(1), vf);
}
