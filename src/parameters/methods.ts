/**
 * The fit methods of parameters's tables: fit.modelParameters(options) and
 * fit.standardizeParameters(options) on lmer and glmer fits; fit.modelParameters(options) on glmmTMB
 * (ZeroInflatedFit), lme and gls fits. The refit standardization updates the fit
 * through src/fit (update.ts), which loads the fit classes' other methods, so src/fit cannot load this
 * module (a folder cycle): the library's index loads it, as the CLI does.
 */
import { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { ZeroInflatedFit } from '../zeroinfl/zeroInflatedFit.js';
import { LmeFit } from '../nlme/lmeFit.js';
import { GlsFit } from '../nlme/glsFit.js';
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

declare module '../zeroinfl/zeroInflatedFit.js' {
  interface ZeroInflatedFit {
    /** parameters's model_parameters(fit): the conditional, zero-inflation and dispersion models' rows and the random effects' (src/parameters/tmb.ts) */
    modelParameters(options?: ModelParametersOptions): Promise<ModelParameters>;
  }
}

declare module '../nlme/lmeFit.js' {
  interface LmeFit {
    /** parameters's model_parameters(fit): the fixed effects (nlme's containment df) and the random effects' SDs (src/parameters/nlme.ts) */
    modelParameters(options?: ModelParametersOptions): Promise<ModelParameters>;
  }
}

declare module '../nlme/glsFit.js' {
  interface GlsFit {
    /** parameters's model_parameters(fit): the coefficients with the residual df (src/parameters/nlme.ts) */
    modelParameters(options?: ModelParametersOptions): Promise<ModelParameters>;
  }
}

for (const cls of [ZeroInflatedFit, LmeFit, GlsFit]) {
  cls.prototype.modelParameters = function (this: ZeroInflatedFit | LmeFit | GlsFit, options?: ModelParametersOptions) { return modelParameters(this, options); };
}

for (const cls of [LmmFit, GlmmFit]) {
  cls.prototype.modelParameters = function (this: LmmFit | GlmmFit, options?: ModelParametersOptions) { return modelParameters(this, options); };
  cls.prototype.standardizeParameters = function (this: LmmFit | GlmmFit, options?: StandardizeOptions) { return standardizeParameters(this, options); };
}
