/**
 * Residuals of a fitted mixed model as lme4 1.1-31's residuals.merMod(object, type, scaled) computes
 * them from the fit's response module (object@resp), at the rows used (the caller pads them with
 * na.exclude, src/results/naAction.ts):
 *   lmer (residuals.lmResp, default "response"):
 *     response, working:  y − μ̂
 *     pearson, deviance:  wtres = √w (y − μ̂)                       (w: prior weights, 1 without)
 *   glmer (residuals.glmResp, default "deviance"):
 *     deviance:  sign(y − μ̂) √d_i, d_i the family's deviance residual (with the prior weight)
 *     pearson:   wtres = √(w / V(μ̂)) (y − μ̂)
 *     working:   (y − μ̂) / (dμ/dη)(η̂)
 *     response:  y − μ̂
 *   scaled = TRUE:  r / σ̂ (sigma(fit): σ̂ of an LMM, the scale of a GLMM with one, else 1).
 * lme4 stops for type "partial" ("partial residuals are not implemented yet"): refused here too.
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { type Schema, bool, checkObject } from '../options/rules.js';

/** lme4's residual types */
export const RESIDUAL_TYPES = ['response', 'pearson', 'working', 'deviance'] as const;
export type ResidualType = (typeof RESIDUAL_TYPES)[number];

export interface ResidualOptions {
  /** divide by σ̂ (lme4's scaled = TRUE; σ̂ = 1 for a GLMM without a scale) */
  scaled?: boolean;
}

const RESIDUAL_OPTIONS: Schema = { scaled: bool };

/** residuals(type, options)'s arguments checked: the type (default `fallback`) and `scaled`. */
export function checkResidualsCall(type: unknown, options: unknown, fallback: ResidualType): { type: ResidualType; scaled: boolean } {
  if (type === 'partial') {
    throw new ModelError("residuals: type 'partial' is not available: lme4 1.1-31 does not implement partial residuals for mixed models (residuals.lmResp and residuals.glmResp stop with \"partial residuals are not implemented yet\")");
  }
  const t = type ?? fallback;
  if (typeof t !== 'string' || !(RESIDUAL_TYPES as readonly string[]).includes(t)) {
    throw new OptionError('type', `residuals: type must be one of ${RESIDUAL_TYPES.map((x) => `'${x}'`).join(', ')}, not ${showValue(t)}`);
  }
  checkObject(options, 'residuals', RESIDUAL_OPTIONS);
  return { type: t as ResidualType, scaled: (options as ResidualOptions | undefined)?.scaled === true };
}

/** residuals.lmResp: y − μ̂ (response, working) or √w (y − μ̂) (pearson, deviance), divided by `scale`. */
export function lmmResiduals(y: Float64Array, mu: Float64Array, weights: Float64Array | null | undefined, type: ResidualType, scale = 1): Float64Array {
  const out = new Float64Array(mu.length);
  const weighted = (type === 'pearson' || type === 'deviance') && weights;
  for (let i = 0; i < mu.length; i++) out[i] = (weighted ? Math.sqrt(weights[i]) : 1) * (y[i] - mu[i]) / scale;
  return out;
}

/** What glmResp's residuals need of a family (src/glmm/family.ts's GlmFamily has them; not imported: src/glmm imports src/results). */
export interface ResidualFamily {
  /** the deviance residual d_i at y, μ with prior weight w */
  devResid(y: number, mu: number, wt: number): number;
  /** the variance function V(μ) */
  variance(mu: number): number;
  /** dμ/dη */
  muEta(eta: number): number;
}

/** residuals.glmResp at μ̂ and η̂ with prior weights w, divided by `scale`. */
export function glmmResiduals(
  family: ResidualFamily, y: Float64Array, mu: Float64Array, eta: Float64Array, weights: Float64Array,
  type: ResidualType, scale = 1,
): Float64Array {
  const out = new Float64Array(mu.length);
  for (let i = 0; i < mu.length; i++) {
    let r: number;
    switch (type) {
      case 'deviance': {
        // sign(y − μ) √d_i (lme4: ifelse(y > mu, d.res, -d.res))
        const d = Math.sqrt(Math.max(0, family.devResid(y[i], mu[i], weights[i])));
        r = y[i] > mu[i] ? d : -d;
        break;
      }
      case 'pearson': r = (y[i] - mu[i]) * Math.sqrt(weights[i] / family.variance(mu[i])); break;
      case 'working': r = (y[i] - mu[i]) / family.muEta(eta[i]); break;
      case 'response': r = y[i] - mu[i]; break;
    }
    out[i] = r / scale;
  }
  return out;
}
