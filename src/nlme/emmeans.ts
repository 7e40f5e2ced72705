/**
 * emmeans 1.8.4's estimated marginal means of nlme's lme and gls fits (its emm_basis.lme and
 * emm_basis.gls): the reference grid of the fixed part, β̂ and V = vcov(fit) (an ML fit's Var(β̂) with
 * σ̂² N/(N − p), emmeans's sigmaAdjust for lme, nlme's own for gls), and each linear function ℓ's df by
 * `mode`:
 *   lme  'containment' (default): ν(ℓ) = min_{j: |ℓ_j| > 1e-4} dfx_j, dfx nlme's fixDF$X with the
 *        intercept's replaced by M₁ − 1 (M₁ the outermost level's number of groups);
 *        'asymptotic': ν = ∞ (emmeans's df = Inf, which it labels "fixed");
 *   gls  'auto' (default): 'satterthwaite' where nlme has the apVar of the variance parameters, else
 *        'df.error'; 'df.error': ν = N − p − (number of variance and correlation parameters);
 *        'satterthwaite': ν(ℓ) = 2 (ℓᵀVℓ)² / (gᵀ A g), A nlme's apVar of η = (ψ natural, log σ)
 *        (intervals.ts's glsApVar), g_j = ℓᵀ G_j ℓ with G_j = ∂[σ̂²(ψ) (XᵀR(ψ)⁻¹X)⁻¹]/∂η_j (σ̂ profiled, by
 *        central differences with Richardson's extrapolation: emmeans's gls_grad by numDeriv's
 *        jacobian) and G_σ = 2V; 'asymptotic': ν = ∞.
 * With type 'response', the means of a transformed response (`log(y)`, `log2`, `log10`, `log1p`, `sqrt`,
 * `exp`: emmeans's response transformations; a glmmPQL fit's link, src/pql/emmeans.ts) are back-transformed:
 * g⁻¹(ℓᵀβ̂) with SE |dμ/dη| √(ℓᵀVℓ) (the delta method) and the interval's ends g⁻¹(ℓᵀβ̂ ± c SE); contrasts of
 * a log or logit scale are ratios (odds ratios), tested on that scale.
 * The means, contrasts and printout are src/inference/emmeans.ts's EmmGrid.
 */
import { FitError, ModelError, OptionError, showValue } from '../errors/errors.js';
import type { AdjustMethod } from '../inference/emmAdjust.js';
import { type EmmWeights, EmmGrid, type Inference, type Scale, gridOptions, parseSpecs, quadForm, responseScale } from '../inference/emmeans.js';
import { type AtValues, type GridModel, referenceGrid } from '../inference/referenceGrid.js';
import type { ModelFrame } from '../frame/modelFrame.js';
import { evaluateGls } from './gls.js';
import type { GlsFit } from './glsFit.js';
import { glsApVar } from './intervals.js';
import type { LmeFit } from './lmeFit.js';

export type LmeEmmMode = 'containment' | 'asymptotic';
export type GlsEmmMode = 'auto' | 'satterthwaite' | 'df.error' | 'asymptotic';

export interface NlmeEmmeansOptions {
  /** variables whose levels form separate groups (also `'~ A | B'` in specs) */
  by?: string | string[];
  /** values of some variables of the reference grid */
  at?: AtValues;
  /** how to average over the other variables (default 'equal') */
  weights?: EmmWeights;
  /** the df method: lme 'containment' (default) or 'asymptotic'; gls 'auto' (default), 'satterthwaite', 'df.error' or 'asymptotic' */
  mode?: LmeEmmMode | GlsEmmMode;
  /** confidence level (default 0.95) */
  level?: number;
  /** the multiplicity adjustment of the means' intervals (default 'none') */
  adjust?: AdjustMethod;
  /**
   * 'link' (default): the means on the scale of the model (a transformed response's, a glmmPQL fit's link);
   * 'response': back-transformed (emmeans's type = "response"), contrasts of a log or logit scale as ratios
   */
  type?: 'link' | 'response';
  /** lme: an ML fit's Var(β̂) with σ̂² N/(N − p) (emmeans's sigmaAdjust, default true); false: σ̂²_ML */
  sigmaAdjust?: boolean;
}

const KNOWN = ['by', 'at', 'weights', 'mode', 'level', 'adjust', 'type', 'sigmaAdjust'];

/** 'an lme', 'a gls', 'a glmmPQL' */
const aFit = (kind: string) => `${kind === 'lme' ? 'an' : 'a'} ${kind}`;

function checkOptions(options: unknown, modes: readonly string[], kind: string): NlmeEmmeansOptions {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new OptionError('options', `emmeans options must be an object, not ${showValue(options)}`);
  for (const k of Object.keys(options)) {
    if (!KNOWN.includes(k)) throw new OptionError(k, `unknown emmeans option '${k}' for ${aFit(kind)} fit (options: ${KNOWN.join(', ')})${k === 'ddf' ? '; the df method is `mode`, as emmeans names it for nlme fits' : ''}`);
  }
  const mode = (options as NlmeEmmeansOptions).mode;
  if (mode !== undefined && !modes.includes(mode)) {
    // emmeans's Satterthwaite modes of lme (gradV.kludge) regress Var(β̂) on refits to y + 0.01σ̂ × random noise
    const why = kind !== 'gls' && typeof mode === 'string' && /satterthwaite|auto/.test(mode)
      ? kind === 'lme' ? ' (emmeans\'s Satterthwaite df of an lme fit come from refits to randomly perturbed responses, gradV.kludge: not reproduced here)'
        : ' (emmeans\'s Satterthwaite df of an lme fit come from refits of its call to perturbed responses, gradV.kludge, which fail on a glmmPQL fit: "Unable to estimate Satterthwaite parameters")'
      : '';
    throw new OptionError('mode', `mode must be ${modes.slice(0, -1).map((m) => `'${m}'`).join(', ')} or '${modes[modes.length - 1]}' for ${aFit(kind)} fit, not ${showValue(mode)}${why}`);
  }
  return options as NlmeEmmeansOptions;
}

/** the grid and the EmmGrid of a fit's fixed part with its inference, on `scale` (the model's transformation or link) */
function grid(frame: ModelFrame, beta: Float64Array, specs: string | string[], options: NlmeEmmeansOptions, inference: Inference, groupingNames: string[], scale: Scale, offset?: number): EmmGrid {
  const parsed = parseSpecs(specs, options.by);
  const { level, weights, adjust, type } = gridOptions({ level: options.level, weights: options.weights, adjust: options.adjust, type: options.type });
  const model: GridModel = { formula: frame.formula, frame, blocks: [], frameOptions: {} };
  const g = referenceGrid(model, options.at);
  const names = g.variables.map((v) => v.name);
  for (const v of [...parsed.specs, ...parsed.by]) {
    if (names.includes(v) || (v === '1' && parsed.specs.includes(v))) continue;
    const grouping = groupingNames.includes(v);
    throw new OptionError('specs', `'${v}' is not a variable of the model's fixed part (its variables: ${names.join(', ') || 'none'})${grouping ? '; it groups random effects or the correlation, which estimated marginal means average out' : ''}`);
  }
  return new EmmGrid(frame.formula, g, parsed.specs, parsed.by, {
    weights, level, type, adjust, offset, inference, scale,
    messages: [], beta, estName: null, trend: null, dfNote: true,
  });
}

/** emmeans(fit, specs) of an lme fit (emm_basis.lme), on the scale of its response's transformation. */
export function lmeEmmeans(fit: LmeFit, specs: string | string[], options: NlmeEmmeansOptions = {}): EmmGrid {
  return lmeBasisEmmeans(fit, specs, options, responseScale(fit.model.frame.formula.response), 'lme');
}

/**
 * emm_basis.lme on an lme fit with the scale of its means given: `kind` 'glmmPQL' for the last lme of a
 * glmmPQL fit with its family's link (src/pql/emmeans.ts; emm_basis.lme's .std.link.labels of object$family),
 * whose means leave out the fixed formula's offset (MASS fits lme to zz − offset without it, so the terms
 * emmeans reads have none: the means are at offset 0).
 */
export function lmeBasisEmmeans(fit: LmeFit, specs: string | string[], options: NlmeEmmeansOptions, scale: Scale, kind: 'lme' | 'glmmPQL'): EmmGrid {
  const o = checkOptions(options, ['containment', 'asymptotic'], kind);
  if (o.sigmaAdjust !== undefined && typeof o.sigmaAdjust !== 'boolean') throw new OptionError('sigmaAdjust', `sigmaAdjust must be true or false, not ${showValue(o.sigmaAdjust)}`);
  const { n, p, xnames } = fit.model.frame;
  // vcov holds an ML fit's σ̂² N/(N − p) (emmeans's sigmaAdjust = TRUE); without it, σ̂²_ML
  const s = fit.method === 'ML' && o.sigmaAdjust === false ? (n - p) / n : 1;
  const V = Float64Array.from(fit.vcov.flat(), (v) => v * s);
  let inference: Inference;
  if (o.mode === 'asymptotic') inference = { method: 'fixed', V, p, df: () => Infinity };
  else {
    // dfx: nlme's fixDF$X, the intercept's the outermost level's groups less one
    const dfx = [...fit.fixDF];
    if (xnames[0] === '(Intercept)') dfx[0] = fit.model.blocks[fit.levels[0].block].levels.length - 1;
    inference = {
      method: 'containment', V, p,
      // ν(ℓ) = min over the coefficients ℓ involves (|ℓ_j| > 1e-4) of their df; NA where none
      df: (l) => { let m = Infinity; for (let j = 0; j < p; j++) if (Math.abs(l[j]) > 1e-4) m = Math.min(m, dfx[j]); return m === Infinity ? NaN : m; },
    };
  }
  return grid(fit.model.frame, Float64Array.from(fit.beta), specs, o, inference, fit.levels.map((l) => l.name), scale, kind === 'glmmPQL' ? 0 : undefined);
}

/**
 * G_j = σ̂² ∂(XᵀR⁻¹X)⁻¹/∂η_j (σ̂ the fit's, held fixed) for η_j the natural parameters of ψ (central differences with steps h
 * and h/2 combined by Richardson's extrapolation (4 D(h/2) − D(h))/3), then G_σ = 2V.
 */
function glsGradients(fit: GlsFit, ap: ReturnType<typeof glsApVar>, V: Float64Array, h = 1e-4): Float64Array[] {
  const { frame, rc } = fit;
  const reml = fit.method === 'REML';
  const p = frame.p, k = ap.k;
  // σ̂²(XᵀR(ψ)⁻¹X)⁻¹ with the fit's σ̂ (r²/(N − p) for REML, r²/N for ML, at its ψ̂), as gls_grad's glsEstimate
  const s2 = fit.sigma ** 2;
  const varBeta = (eta: Float64Array): Float64Array => {
    const psi = ap.toPsi(eta.subarray(0, k - 1));
    if (!psi) throw new FitError('emmeans: the Satterthwaite derivatives left the variance parameters\' domain');
    const ev = evaluateGls(frame, rc, psi, reml);
    return ev.XtXinv.map((v) => v * s2);
  };
  const central = (j: number, step: number): Float64Array => {
    const a = Float64Array.from(ap.eta0), b = Float64Array.from(ap.eta0);
    const d = step * Math.max(Math.abs(ap.eta0[j]), 1);
    a[j] += d; b[j] -= d;
    const fa = varBeta(a), fb = varBeta(b);
    return fa.map((v, i) => (v - fb[i]) / (2 * d));
  };
  const G: Float64Array[] = [];
  for (let j = 0; j < k - 1; j++) {
    const d1 = central(j, h), d2 = central(j, h / 2);
    G.push(d2.map((v, i) => (4 * v - d1[i]) / 3));
  }
  G.push(V.map((v) => 2 * v));
  return G;
}

/** emmeans(fit, specs) of a gls fit (emm_basis.gls). */
export function glsEmmeans(fit: GlsFit, specs: string | string[], options: NlmeEmmeansOptions = {}): EmmGrid {
  const o = checkOptions(options, ['auto', 'satterthwaite', 'df.error', 'asymptotic'], 'gls');
  if (o.sigmaAdjust !== undefined) throw new OptionError('sigmaAdjust', 'sigmaAdjust is emm_basis.lme\'s option; a gls fit\'s Var(β̂) is nlme\'s vcov (an ML fit\'s already with σ̂² N/(N − p))');
  const { n, p } = fit.frame;
  const V = Float64Array.from(fit.vcov.flat());
  let mode = (o.mode ?? 'auto') as GlsEmmMode;
  // nlme's apVar: none without variance parameters, nor where its Hessian is not positive definite
  let ap: ReturnType<typeof glsApVar> | null = null;
  if (mode === 'auto' || mode === 'satterthwaite') {
    if (fit.rc.nPar > 0) {
      try { ap = glsApVar(fit); } catch (e) { if (!(e instanceof FitError)) throw e; }
    }
    mode = ap ? 'satterthwaite' : 'df.error';
  }
  let inference: Inference;
  if (mode === 'asymptotic') inference = { method: 'asymptotic', V, p, df: () => Infinity };
  else if (mode === 'df.error') {
    const df = n - p - fit.rc.nPar;
    if (!(df > 0)) throw new ModelError(`emmeans: the gls fit has ${df} error df (N − p − number of variance parameters)`);
    inference = { method: 'df.error', V, p, df: () => df };
  } else {
    const A = ap!.V, k = ap!.k;
    const G = glsGradients(fit, ap!, V);
    inference = {
      method: 'satterthwaite', V, p,
      df: (l) => {
        // ν = 2 (ℓᵀVℓ)² / (gᵀAg), g_j = ℓᵀG_jℓ
        const est = quadForm(l, V, p);
        const g = G.map((Gj) => quadForm(l, Gj, p));
        let v = 0;
        for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) v += g[a] * A[a * k + b] * g[b];
        return (2 * est * est) / v;
      },
    };
  }
  return grid(fit.frame, Float64Array.from(fit.beta), specs, o, inference, [], responseScale(fit.frame.formula.response));
}
