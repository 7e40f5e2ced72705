/** nlme's lme and gls with residual variance functions and correlation structures. */
export { lme, buildLme, checkNested, type LmeOptions } from './lme.js';
export { LmeFit, type ResidualType, type TTableRow } from './lmeFit.js';
export { gls, buildGls, evaluateGls, type GlsOptions } from './gls.js';
export { GlsFit } from './glsFit.js';
export { anovaLme, formatAnova, type AnovaRow, type ComparedFit } from './anova.js';
export { formatAnovaF, anovaFJSON, type NlmeAnovaOptions, type NlmeFTable, type NlmeFRow, type NlmeL } from './anovaF.js';
export { lmeEmmeans, glsEmmeans, type NlmeEmmeansOptions, type LmeEmmMode, type GlsEmmMode } from './emmeans.js';
export { evaluateLme, lmeObjective } from './objective.js';
export { varFunction, VAR_FUNCTIONS, type VarFunction } from './varFunction.js';
export { corStructure, COR_STRUCTURES, type CorStructure } from './correlation.js';
export { whitenRows, residualCovariance, type ResidualCovariance } from './whitening.js';
export { fixedEffectsDF } from './fixDF.js';
