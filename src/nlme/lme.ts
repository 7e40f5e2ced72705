/**
 * nlme's lme: a linear mixed model with a residual covariance σ² R (variance function and correlation
 * structure), as stages:
 *   randomSpec (randomSpec.ts: nlme's levels as lme4 terms) → buildLmm (src/lmm: frame, blocks, θ layout, the rows of A)
 *   → varFunction / corStructure (the data's covariates, strata and groups) → residualCovariance
 *   → lmeObjective (objective.ts: whitened rows, the profiled criterion + log|R|)
 *   → BOBYQA over (θ, ψ) (src/optim) → assembleFit on the whitened rows (src/lmm) → LmeFit.
 */
import type * as arrow from 'apache-arrow';
import { FitError, ModelError, OptionError } from '../errors/errors.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import { buildLmm, type LmmModel } from '../lmm/model.js';
import { assembleFit, totalSumOfSquares } from '../lmm/assemble.js';
import { lmmThetaProblem } from '../lmm/thetaProblem.js';
import { thetaToOriginal } from '../model/reparam.js';
import { scaledStart } from '../optim/thetaOptimizer.js';
import { abortable, minimizeScanned } from './optimize.js';
import { throwIfAborted } from '../model/control.js';
import { abortSignal } from '../options/rules.js';
import { checkMethod, checkOptionNames } from './options.js';
import { corStructure } from './correlation.js';
import { structureColumns } from './structSpec.js';
import { varFunction } from './varFunction.js';
import { type Optimum, fittedIteration } from './fittedIteration.js';
import { type ResidualCovariance, residualCovariance, whitenVector } from './whitening.js';
import { type ThetaMap, evaluateLme, lmeObjective, modelRows, residualScale, scaledThetaMap, thetaIntOf } from './objective.js';
import { isStructured, levelUnits, reLayout } from './pdMat.js';
import { type RandomLevel, fixedPartText, randomSpec } from './randomSpec.js';
import { LmeFit, type LmeLevel } from './lmeFit.js';

export interface LmeOptions {
  /**
   * nlme's random: `'~ 1 | Subject'`, `'~ age | Subject'`, nested `'~ 1 | Block/Variety'`, the named list
   * `'list(Dog = ~ day, Side = ~ 1)'` (outermost first), a pdMat class `'list(Subject = pdDiag(~ age))'`
   * (or an lme4 term in the formula instead)
   */
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
  /** cancels the fit: it rejects with the library's AbortError (name 'AbortError') within 100 evaluations */
  signal?: AbortSignal;
}

const KNOWN = ['random', 'weights', 'correlation', 'method', 'factors', 'dataName', 'maxfun', 'signal'];

/**
 * The rows sorted by group, outermost level first (stable): nlme's row order, which names varIdent's
 * strata.
 */
function groupOrder(levels: LmeLevel[], model: LmmModel): Int32Array {
  const codes = levels.map((l) => model.blocks[l.block].codes);
  const rows = Array.from({ length: model.frame.n }, (_, i) => i);
  return Int32Array.from(rows.sort((a, b) => {
    for (const c of codes) if (c[a] !== c[b]) return c[a] - c[b];
    return a - b;
  }));
}

/** Each of random's levels with its block of the model (the lme4-style formula: its one block). */
function modelLevels(model: LmmModel, spec: RandomLevel[] | null): LmeLevel[] {
  if (spec === null) {
    if (model.blocks.length !== 1) {
      throw new ModelError(`lme: ${model.blocks.length} grouping factors in the formula (${model.blocks.map((b) => b.group).join(', ')}): an lme4-style formula takes one level of grouping; give nested levels as nlme's random = '~ 1 | A/B' or 'list(A = ~ 1, B = ~ 1)'`);
    }
    const b = model.blocks[0];
    return [{ name: b.group, label: b.group, group: b.group, pd: 'pdLogChol', lhs: b.cnames.join(' + '), block: 0 }];
  }
  const used = new Set<number>();
  const levels = spec.map((l) => {
    const block = model.blocks.findIndex((b) => b.group === l.group);
    if (block < 0) throw new ModelError(`lme: the level '${l.name}' of random has no random-effects block`);
    used.add(block);
    return { ...l, block };
  });
  if (used.size !== model.blocks.length) throw new ModelError(`lme: random's levels (${spec.map((l) => l.name).join(', ')}) do not account for the model's grouping factors (${model.blocks.map((b) => b.group).join(', ')})`);
  return levels;
}

/** Stage: formula, data and options → the model, its levels of grouping and its residual covariance. */
export function buildLme(fixed: string, data: arrow.Table, options: LmeOptions = {}): { model: LmmModel; rc: ResidualCovariance; levels: LmeLevel[] } {
  checkOptionNames(options, KNOWN, 'lme');
  const reml = checkMethod(options.method);
  if (typeof fixed !== 'string') throw new OptionError('fixed', 'lme: fixed must be a formula as text, e.g. "distance ~ age"');
  const spec = randomSpec(fixed, options.random);
  // (nlme's model frame holds the structures' covariates too: a row missing one is dropped, na.omit)
  const naVariables = [...structureColumns(options.weights, 'weights'), ...structureColumns(options.correlation, 'correlation')];
  const model = buildLmm(spec.formula, data, { REML: reml, factors: options.factors, momentStart: false, naVariables });
  const levels = modelLevels(model, spec.levels);
  for (const l of levels) {
    for (const u of levelUnits(l, model.blocks[l.block])) {
      if (u.pd === 'pdCompSymm' && u.q < 2) throw new ModelError(`lme: pdCompSymm(~ ${u.lhs}) of the level '${l.name}' has one column: compound symmetry needs two or more`);
    }
  }
  // the correlation structure and fitted(.) covariates act within the innermost group (nlme's)
  const inner = levels[levels.length - 1];
  const block = model.blocks[inner.block];
  const frame = { n: model.frame.n, rows: model.frame.rows };
  const vf = options.weights === undefined ? null : varFunction(options.weights, { table: data, frame, order: groupOrder(levels, model) });
  const defaultGroup = levels.map((l) => l.name).join('/');
  const cor = options.correlation === undefined ? null : corStructure(options.correlation, { table: data, frame, defaultGroup });
  if (cor) checkNested(cor.groups, block.codes, block.levels, cor.text, inner.label);
  return { model, rc: residualCovariance(model.frame.n, vf, cor), levels };
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
  if (options.signal !== undefined) abortSignal(options.signal, 'lme: signal');
  throwIfAborted(options.signal);
  const data = toArrowTable(input);
  const { model, rc, levels } = buildLme(fixed, data, options);
  // θ_int scaled as lmer's optimizer scales it (x = 1 on the diagonals at lme4's start)
  const problem = lmmThetaProblem(model.blocks, model.internalBlocks, model.theta, model.frame.n);
  const { scales } = problem;
  const start = scaledStart(problem).map((t, k) => t * scales[k]);
  // the random effects' variables: θ_int scaled, or with pdIdent/pdCompSymm levels their own parameters (pdMat.ts)
  const units = levels.flatMap((l) => levelUnits(l, model.blocks[l.block]).map((unit) => ({ unit, block: l.block })));
  const layout = units.some((u) => isStructured(u.unit.pd)) ? reLayout(model, units, problem, start) : null;
  const map: ThetaMap = layout ? { n: layout.nx, thetaInt: (xt) => layout.thetaInt(xt) } : scaledThetaMap(scales);
  const nt = map.n;
  // x's θ relative to the residual covariance's scale at ψ, as at the start ψ₀ (objective.ts residualScale)
  const psi0 = Float64Array.from([...(rc.vf?.start ?? []), ...(rc.cor?.start ?? [])]);
  const c0 = residualScale(rc, psi0);
  const f = abortable(lmeObjective(model, rc, map, c0), options.signal);
  const x0 = Float64Array.from([...(layout ? layout.start : start), ...psi0]);
  const lower = Float64Array.from([...(layout ? layout.lower : problem.lower), ...new Array<number>(rc.nPar).fill(-Infinity)]);
  const upper = new Float64Array(x0.length).fill(Infinity);
  const maxfun = options.maxfun ?? 20000;
  const dataName = options.dataName ?? 'data';
  const fixedText = options.random === undefined ? fixedPartText(fixed) : fixed;
  const at = (x: Float64Array, opt: Optimum): LmeFit => {
    const thetaInt = thetaIntOf(x, map, rc, c0);
    if (!thetaInt) throw new FitError('lme: a level\'s Ψ is not positive definite at the optimum');
    const theta = thetaToOriginal(model, thetaInt);
    const psi = x.slice(nt);
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
      model, rc, levels, fromRandom: options.random !== undefined, inner, theta, psi, criterion: ev.criterion, feval: opt.feval, converged: opt.converged,
      dataName, fixedText, ms: performance.now() - t0, ...(options.random !== undefined ? { randomArg: options.random } : {}),
    });
  };
  const vf = rc.vf;
  // corSpher, corLin: BOBYQA from nlme's start and from the best of a profile over the range (optimize.ts)
  const scan = rc.cor?.rangeScan ? { index: nt + (vf?.nPar ?? 0), values: rc.cor.rangeScan } : null;
  if (!vf?.usesFitted) {
    const opt = await minimizeScanned(f, x0, lower, upper, maxfun, scan);
    return at(opt.x, opt);
  }
  // nlme's covariate fitted(.): first the fitted values at the start
  vf.setCovariate!(at(x0, { x: x0, feval: 0, converged: true, message: '' }).fitted());
  return fittedIteration(f, x0, lower, upper, maxfun, at, (fit) => fit.fitted(), vf, { scan });
}
