/**
 * mixedgpu: linear mixed models (lme4's lmer) on Apache Arrow tables, float64 CPU backend.
 * The pipeline's stages are exported for use and testing one by one:
 *   parseFormula → buildModelFrame → buildRandomBlocks → formGramCpu → BlockedCholesky /
 *   makeObjective → bobyqa → assembleFit (LmmFit).
 * Browser-safe: file-system readers are in 'mixedgpu/node'.
 */
export { lmer, buildLmm, formGram, optimizeAndAssemble, assembleFit, workingResponse } from './model/fitLmm.js';
export type { LmerOptions, LmmModel, FitProgress, FitRecord } from './model/fitLmm.js';
export { parseFormula } from './formula/parse.js';
export { FormulaError } from './formula/types.js';
export type { Formula, Term, TermVar, LinearPart, RandomTerm, Response, Expr } from './formula/types.js';
export { buildModelFrame } from './frame/modelFrame.js';
export type { ModelFrame, ModelFrameOptions, ReTerm } from './frame/modelFrame.js';
export { buildRandomBlocks } from './model/lambda.js';
export { fillTemplate } from './linalg/template.js';
export type { RandomBlock, ThetaLayout } from './model/lambda.js';
export type { GramMatrix, BlockSparse, BlockPattern } from './linalg/gram.js';
export { formGramCpu } from './backend/cpu/gram.js';
export { CpuBackend } from './backend/cpu/cpuBackend.js';
export { BlockedCholesky } from './linalg/blockedCholesky.js';
export { NotPositiveDefiniteError } from './linalg/dense.js';
export { makeObjective, profiledDeviance } from './model/objective.js';
export type { LmmBackend, ObjectiveParts } from './model/objective.js';
export { solveLmm, conditionalVariances } from './model/solution.js';
export type { LmmSolution } from './model/solution.js';
export { bobyqa, bobyqaAsync, bobyqaSteps } from './optim/bobyqa.js';
export type { BoundedMinimizeOptions, MinimizeResult, MinimizeSteps } from './optim/types.js';
export { LmmFit } from './results/lmmFit.js';
export type { VarCorrRow, RanefGroup, VarianceShare } from './results/lmmFit.js';
export type { PredictOptions } from './results/predict.js';
export { formatSummary } from './results/summary.js';
export { readCsv } from './io/csv.js';
export type { CsvOptions, ReadResult } from './io/csv.js';
export { readArrowIpc } from './io/arrow.js';
export { readParquet } from './io/parquet.js';
// generalized linear mixed models (lme4's glmer)
export { glmer, fitGlmm, deriv12 } from './glmm/fitGlmm.js';
export type { GlmerOptions, GlmmProgress } from './glmm/fitGlmm.js';
export { GlmmFit } from './glmm/glmmFit.js';
export type { GlmmFitInit, GlmmPredictOptions, CoefRow } from './glmm/glmmFit.js';
export { buildGlmm } from './glmm/model.js';
export type { GlmmModel, GlmmModelOptions } from './glmm/model.js';
export { makeFamily, FAMILY_LINKS } from './glmm/family.js';
export type { GlmFamily, FamilyName, LinkName } from './glmm/family.js';
export { PirlsEngine, PirlsError } from './glmm/pirls.js';
export type { PirlsModel, PirlsOptions, PirlsResult } from './glmm/pirls.js';
export { WeightedGramCpu } from './glmm/weightedGram.js';
export type { WeightedGramBackend, WeightedGramInput } from './glmm/weightedGram.js';
export { ghRule } from './glmm/rmath.js';
export type { GHRule } from './glmm/rmath.js';
export { formatGlmmSummary } from './glmm/summary.js';
