/**
 * The fit methods of parameters's tables: fit.modelParameters(options) and
 * fit.standardizeParameters(options) on lmer and glmer fits. The refit standardization updates the fit
 * through src/fit (update.ts), which loads the fit classes' other methods, so src/fit cannot load this
 * module (a folder cycle): the library's index loads it, as the CLI does.
 */
import { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { type ModelParameters, type ModelParametersOptions, modelParameters } from './modelParameters.js';
import { type StandardizeOptions, type StandardizedParameters, standardizeParameters } from './standardize.js';

declare module '../lmm/lmmFit.js' {
  interface LmmFit {
    /** parameters's model_parameters(fit): the fixed and random effects' table (src/parameters/modelParameters.ts) */
    modelParameters(options?: ModelParametersOptions): Promise<ModelParameters>;
    /** effectsize's standardize_parameters(fit, method) (src/parameters/standardize.ts) */
    standardizeParameters(options?: StandardizeOptions): Promise<StandardizedParameters>;
  }
}

declare module '../glmm/glmmFit.js' {
  interface GlmmFit {
    /** parameters's model_parameters(fit): the fixed and random effects' table (src/parameters/modelParameters.ts) */
    modelParameters(options?: ModelParametersOptions): Promise<ModelParameters>;
    /** effectsize's standardize_parameters(fit, method) (src/parameters/standardize.ts) */
    standardizeParameters(options?: StandardizeOptions): Promise<StandardizedParameters>;
  }
}

for (const cls of [LmmFit, GlmmFit]) {
  cls.prototype.modelParameters = function (this: LmmFit | GlmmFit, options?: ModelParametersOptions) { return modelParameters(this, options); };
  cls.prototype.standardizeParameters = function (this: LmmFit | GlmmFit, options?: StandardizeOptions) { return standardizeParameters(this, options); };
}
