/**
 * fit.simulateResiduals(options) on lmer and glmer fits (DHARMa's simulateResiduals, simulateResiduals.ts);
 * src/fit/lmer.ts and src/fit/glmer.ts load this module.
 */
import { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import type { DharmaResiduals } from './dharma.js';
import { type SimulateResidualsOptions, simulateResiduals } from './simulateResiduals.js';

declare module '../lmm/lmmFit.js' {
  interface LmmFit {
    /** DHARMa's simulateResiduals: scaled (quantile) residuals from nsim simulations (src/diagnostics/) */
    simulateResiduals(options?: SimulateResidualsOptions): DharmaResiduals;
  }
}
declare module '../glmm/glmmFit.js' {
  interface GlmmFit {
    /** DHARMa's simulateResiduals: scaled (quantile) residuals from nsim simulations (src/diagnostics/) */
    simulateResiduals(options?: SimulateResidualsOptions): DharmaResiduals;
  }
}

LmmFit.prototype.simulateResiduals = function (this: LmmFit, options?: SimulateResidualsOptions) { return simulateResiduals(this, options); };
GlmmFit.prototype.simulateResiduals = function (this: GlmmFit, options?: SimulateResidualsOptions) { return simulateResiduals(this, options); };
