/**
 * nlme's gls: the linear model y = Xβ + ε, Var(ε) = σ² R(ψ), by (restricted) maximum likelihood — the
 * same whitening as lme (whitening.ts) without random effects. On the whitened rows X̃ = L⁻¹X, ỹ = L⁻¹y:
 *   β̂ = (X̃ᵀX̃)⁻¹X̃ᵀỹ,  r² = ‖ỹ − X̃β̂‖²,
 *   ML:   −2ℓ   = n (1 + log(2π r²/n)) + log|R|
 *   REML: −2ℓ_R = (n − p)(1 + log(2π r²/(n − p))) + log|X̃ᵀX̃| + log|R|
 * profiled over σ² (σ̂² = r²/n or r²/(n − p)); ψ by BOBYQA (optimize.ts).
 */
import type * as arrow from 'apache-arrow';
import { FitError, OptionError } from '../errors/errors.js';
import { parseFormula } from '../formula/parse.js';
import { buildModelFrame, type ModelFrame } from '../frame/modelFrame.js';
import { type DataInput, toArrowTable } from '../io/dataInput.js';
import { choleskyInPlace, solveLower, solveLowerT } from '../linalg/dense.js';
import { corStructure } from './correlation.js';
import { structureColumns } from './structSpec.js';
import { varFunction } from './varFunction.js';
import { type ResidualCovariance, residualCovariance, whitenRows } from './whitening.js';
import { abortable, minimizeScanned } from './optimize.js';
import { throwIfAborted } from '../model/control.js';
import { abortSignal } from '../options/rules.js';
import { type Optimum, fittedIteration } from './fittedIteration.js';
import { checkMethod, checkOptionNames } from './options.js';
import { GlsFit } from './glsFit.js';

export interface GlsOptions {
  weights?: string;
  correlation?: string;
  method?: 'REML' | 'ML';
  factors?: string[];
  dataName?: string;
  maxfun?: number;
  /** cancels the fit: it rejects with the library's AbortError (name 'AbortError') within 100 evaluations */
  signal?: AbortSignal;
}

export interface GlsEvaluation {
  criterion: number;
  beta: Float64Array;
  /** (X̃ᵀX̃)⁻¹, p × p row-major */
  XtXinv: Float64Array;
  pwrss: number;
  /** log|X̃ᵀX̃| and log|R| (the criterion's pieces at a given σ: intervals.ts) */
  ldXtX: number;
  logDetR: number;
}

/** Stage: ψ ↦ gls's criterion and its least-squares solution. */
export function evaluateGls(frame: ModelFrame, rc: ResidualCovariance, psi: Float64Array, reml: boolean): GlsEvaluation {
  const { n, p } = frame;
  const y0 = frame.offset ? frame.y.map((v, i) => v - frame.offset![i]) : frame.y;
  const w = whitenRows(rc, psi, { X: frame.X, p, y: y0, Z: [] });
  // X̃ᵀX̃ = L_X L_Xᵀ, X̃ᵀỹ
  const A = new Float64Array(p * p);
  const b = new Float64Array(p);
  for (let j = 0; j < p; j++) {
    for (let k = 0; k <= j; k++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += w.X[j * n + i] * w.X[k * n + i];
      A[j * p + k] = s; A[k * p + j] = s;
    }
    let s = 0;
    for (let i = 0; i < n; i++) s += w.X[j * n + i] * w.y[i];
    b[j] = s;
  }
  const ldXtX = choleskyInPlace(A, p, 'the whitened fixed-effects cross-product XᵀR⁻¹X');
  for (let r = 0; r < p; r++) for (let c = r + 1; c < p; c++) A[r * p + c] = 0;
  const beta = Float64Array.from(b);
  solveLower(A, p, beta);
  solveLowerT(A, p, beta);
  let pwrss = 0;
  for (let i = 0; i < n; i++) {
    let f = 0;
    for (let j = 0; j < p; j++) f += w.X[j * n + i] * beta[j];
    pwrss += (w.y[i] - f) ** 2;
  }
  const XtXinv = new Float64Array(p * p);
  for (let c = 0; c < p; c++) {
    const e = new Float64Array(p); e[c] = 1;
    solveLower(A, p, e); solveLowerT(A, p, e);
    for (let r = 0; r < p; r++) XtXinv[r * p + c] = e[r];
  }
  const df = reml ? n - p : n;
  const criterion = df * (1 + Math.log((2 * Math.PI * pwrss) / df)) + (reml ? ldXtX : 0) + w.logDetR;
  return { criterion: Number.isFinite(criterion) ? criterion : Infinity, beta, XtXinv, pwrss, ldXtX, logDetR: w.logDetR };
}

const KNOWN = ['weights', 'correlation', 'method', 'factors', 'dataName', 'maxfun', 'signal'];

/** Stage: formula, data, options → the model frame and the residual covariance. */
export function buildGls(model: string, data: arrow.Table, options: GlsOptions = {}): { frame: ModelFrame; rc: ResidualCovariance } {
  checkOptionNames(options, KNOWN, 'gls');
  checkMethod(options.method);
  if (typeof model !== 'string') throw new OptionError('model', 'gls: model must be a formula as text, e.g. "distance ~ age"');
  const f = parseFormula(model);
  if (f.random.length) throw new OptionError('model', `gls: '${model}' has random-effects terms: gls has none (use lme)`);
  // (nlme's model frame holds the structures' covariates too: a row missing one is dropped, na.omit)
  const naVariables = [...structureColumns(options.weights, 'weights'), ...structureColumns(options.correlation, 'correlation')];
  const frame = buildModelFrame(f, data, { factors: options.factors, naVariables });
  const rows = { n: frame.n, rows: frame.rows };
  const vf = options.weights === undefined ? null : varFunction(options.weights, { table: data, frame: rows });
  const cor = options.correlation === undefined ? null : corStructure(options.correlation, { table: data, frame: rows, defaultGroup: null });
  return { frame, rc: residualCovariance(frame.n, vf, cor) };
}

/** Fits a linear model with a residual variance function and correlation structure (nlme's gls). */
export async function gls(model: string, input: DataInput, options: GlsOptions = {}): Promise<GlsFit> {
  const t0 = performance.now();
  if (options.signal !== undefined) abortSignal(options.signal, 'gls: signal');
  throwIfAborted(options.signal);
  const data = toArrowTable(input);
  const { frame, rc } = buildGls(model, data, options);
  const reml = checkMethod(options.method);
  if (frame.n <= frame.p) throw new FitError(`gls: ${frame.n} observations for ${frame.p} coefficients: the residual variance cannot be estimated`);
  const x0 = Float64Array.from([...(rc.vf?.start ?? []), ...(rc.cor?.start ?? [])]);
  const maxfun = options.maxfun ?? 20000;
  const at = (psi: Float64Array, opt: Optimum): GlsFit => new GlsFit({
    frame, rc, psi, ev: evaluateGls(frame, rc, psi, reml), reml, feval: opt.feval, converged: opt.converged,
    dataName: options.dataName ?? 'data', modelText: model, ms: performance.now() - t0,
  });
  if (rc.nPar === 0) return at(x0, { x: x0, feval: 0, converged: true, message: '' });
  const lower = new Float64Array(rc.nPar).fill(-Infinity);
  const upper = new Float64Array(rc.nPar).fill(Infinity);
  const f = abortable((x: Float64Array) => evaluateGls(frame, rc, x, reml).criterion, options.signal);
  const vf = rc.vf;
  // corSpher, corLin: BOBYQA from nlme's start and from the best of a profile over the range (optimize.ts)
  const scan = rc.cor?.rangeScan ? { index: vf?.nPar ?? 0, values: rc.cor.rangeScan } : null;
  if (!vf?.usesFitted) {
    const opt = await minimizeScanned(f, x0, lower, upper, maxfun, scan);
    return at(opt.x, opt);
  }
  // nlme's covariate fitted(.) (lme.ts's fittedIteration): first the fitted values Xβ̂ at the start
  vf.setCovariate!(at(x0, { x: x0, feval: 0, converged: true, message: '' }).fitted());
  return fittedIteration(f, x0, lower, upper, maxfun, at, (fit) => fit.fitted(), vf, { scan });
}
