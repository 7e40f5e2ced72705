/**
 * mixedgpu: linear and generalized linear mixed models (lme4's lmer and glmer) on Apache Arrow
 * tables, with a float64 CPU backend and a WebGPU backend (see ARCHITECTURE.md). The pipeline's
 * stages are exported for use and testing one by one:
 *   parseFormula → buildModelFrame → buildMixedModel (buildLmm / buildGlmm) → formGram (the source of A)
 *   → a backend (CpuBackend, or the rule of the `backend` option) → an Objective
 *   → fitObjective (optimize → float64 check and polish → assemble) → LmmFit / GlmmFit.
 * Browser-safe: file-system readers are in 'mixedgpu/node'; the WebGPU code is loaded only for a
 * WebGPU fit.
 */
// the fits
export { lmer } from './fit/lmer.js';
export type { LmerOptions } from './fit/lmer.js';
export { glmer } from './fit/glmer.js';
export type { GlmerOptions } from './fit/glmer.js';
export { glmerNb } from './fit/glmerNb.js';
export type { GlmerNbOptions } from './fit/glmerNb.js';
// multiple imputation: one lmer/glmer per imputed data set, pooled as mitml and mice pool them
export { lmerImputed, glmerImputed, ImputedFits, splitImputations, estimatesOf, miscParameters, printTestModels, printTestConstraints } from './fit/imputed.js';
export type { ImputedOptions, TestEstimatesResult, TestModelsResult, TestConstraintsResult, MiExtraPar } from './fit/imputed.js';
export { poolEstimates, poolMice, barnardRubinDf, miMean, miBetween, miMeanMatrix } from './inference/miPool.js';
export type { MiEstimates, MiPooled, MiPooledRow, MicePooledRow } from './inference/miPool.js';
export { miD1, miD2, miD3, waldStatistics, parseLinearConstraint, constrainEstimates } from './inference/miTests.js';
export type { MiTest, MiMethod, LinearConstraint } from './inference/miTests.js';
export { lmmLogLikAt, lmmParameters } from './inference/miLogLik.js';
export type { LmmParameters } from './inference/miLogLik.js';
export { lmList, LmList } from './lmlist/lmList.js';
export { nlmer } from './nlmer/nlmer.js';
export type { NlmerOptions } from './nlmer/nlmer.js';
export type { NlmerProgress } from './nlmer/fit.js';
export { NlmerFit } from './nlmer/nlmerFit.js';
export { anovaNlmer } from './nlmer/anova.js';
export type { NlmerAnova } from './nlmer/anova.js';
export type { NlmerPredictOptions } from './nlmer/nlmerFit.js';
export { SELF_START_MODELS } from './nlmer/selfStart.js';
export type { SelfStartModel } from './nlmer/selfStart.js';
export type { LmListOptions, LmListGroup, LmListCoef, LmListSummary, LmListConfint, LmListValues, LmListResidualType, RValue } from './lmlist/lmList.js';
export { printLmList, printLmListSummary, printLmListConfint } from './lmlist/print.js';
export { leastSquares } from './lmlist/leastSquares.js';
export type { LeastSquaresFit } from './lmlist/leastSquares.js';
export { BACKENDS } from './backend/select.js';
export type { BackendChoice, BackendOptions } from './backend/select.js';
// formula and model frame
export { parseFormula, parseGroupedFormula } from './formula/parse.js';
// lme4's update(): R's update.formula, fit.update and the start option
export { updateFormula, type UpdateFormulaOptions } from './formula/update.js';
export { updateFit, updatedCall, callOf, type FitCall, type UpdateChanges } from './fit/update.js';
// lme4's allFit: the fit refitted by each optimizer of src/optim (fit.allFit(), summary pieces, verdict)
export { allFit, allFitSummary, checkAllFit, printAllFit, ALLFIT_MAXFUN, type AllFitOptions, type AllFitResult, type AllFitRow, type AllFitSummary } from './fit/allFit.js';
export { nelderMead, type NelderMeadOptions } from './optim/nelderMead.js';
export { quasiNewton, type QuasiNewtonOptions } from './optim/quasiNewton.js';
export { OPTIMIZER_METHODS, OPTIMIZER_LABELS, type OptimizerMethod } from './optim/minimizers.js';
export { checkStart, type StartOption, type CheckedStart } from './model/start.js';
export { MixedGpuError, FormulaError, OptionError, DataError, ModelError, FitError, isPackageError } from './errors/errors.js';
export { MAX_MODEL_COLUMNS, MAX_FORMULA_DEPTH } from './errors/limits.js';
export type { DataInput } from './io/dataInput.js';
export type { Formula, GroupedFormula, Term, TermVar, LinearPart, RandomTerm, Response, Expr } from './formula/types.js';
export { buildModelFrame } from './frame/modelFrame.js';
export type { ModelFrame, ModelFrameOptions, ReTerm } from './frame/modelFrame.js';
export { CONTRAST_NAMES, contrastMatrix } from './frame/contrasts.js';
export type { ContrastMatrix, ContrastName, Contrasts } from './frame/contrasts.js';
// the mixed model shared by lmer and glmer, its objective and the fit driver
export { buildMixedModel, mixedFormula } from './model/mixedModel.js';
// glmmTMB's covariance structures (ar1, cs, diag, toep, ou): the optimizer's variables, ψ → θ and its Jacobian
export {
  covParameters, thetaOfParameters, thetaJacobian, structureCorrelation, structureParameterCount, structureEstimates,
  type CovParameters, type StructuredTerm, type StructureEstimate, type Structure,
} from './model/covStructure.js';
// …in glmer: the optimizer's variance parameters (θ_int, or ψ with σ ≡ 1) and the structures' rules for GLMMs
export { glmmVarianceParameters, checkGlmmStructures, GLMM_SIGMA, type VarianceParameters } from './glmm/structured.js';
export type { CovStructure } from './formula/types.js';
export type { MixedModel } from './model/mixedModel.js';
export { buildRandomBlocks } from './model/lambda.js';
export type { RandomBlock, ThetaLayout } from './model/lambda.js';
export { thetaToInternal, thetaToOriginal } from './model/reparam.js';
export type { BlockTransform } from './model/reparam.js';
export { withPenalty } from './model/objective.js';
export type { Objective, BackendInfo, GpuCheck } from './model/objective.js';
export { fitObjective, optimizeObjective, POLISH_RHOBEG } from './model/fitObjective.js';
export type { Optimum, OptimizerSettings } from './model/fitObjective.js';
export { Evaluations } from './model/control.js';
// linear algebra
export { fillTemplate } from './linalg/template.js';
export type { GramMatrix, GramInput, BlockSparse, BlockPattern } from './linalg/gram.js';
export { BlockedCholesky } from './linalg/blockedCholesky.js';
export { NotPositiveDefiniteError } from './linalg/dense.js';
export { setDenseThreads, denseThreadsReady, sharedMemoryAvailable } from './linalg/denseThreads.js';
// linear mixed models
export { buildLmm, workingResponse } from './lmm/model.js';
export type { LmmModel, LmmModelOptions } from './lmm/model.js';
export { formGram, formGramCpu } from './backend/cpu/gram.js';
export { CpuBackend } from './backend/cpu/cpuBackend.js';
export { devianceAtSigma, fixedSigmaCriterion, lmmObjective, makeObjective, profiledCriterion, profiledDeviance } from './lmm/deviance.js';
export type { Float64Reference, LmmBackend, LmmCriterion, ObjectiveParts } from './lmm/deviance.js';
export { optimizeAndAssemble } from './lmm/fit.js';
export type { FitProgress, LmmFitOptions, LmmObjectiveChange } from './lmm/fit.js';
export { assembleFit } from './lmm/assemble.js';
export type { AssembleOverride, FitRecord } from './lmm/assemble.js';
export { solveLmm, conditionalVariances } from './lmm/solution.js';
export type { LmmSolution } from './lmm/solution.js';
export { LmmFit } from './lmm/lmmFit.js';
export type { VarianceShare } from './lmm/lmmFit.js';
export { formatSummary } from './lmm/summary.js';
// what every fit has
export { MixedFit, RANEF_JSON_LEVELS, RANEF_MODES } from './results/mixedFit.js';
export type { FitAnnotation, JsonOptions } from './results/mixedFit.js';
export type { VarCorrRow, RanefGroup, RanefSummary } from './results/components.js';
export type { CoefGroup } from './results/coef.js';
export type { RePcaGroup } from './results/rePCA.js';
export type { PredictOptions } from './results/predict.js';
export { RESIDUAL_TYPES } from './results/residuals.js';
export type { ResidualType, ResidualOptions } from './results/residuals.js';
export type { NaAction } from './results/naAction.js';
// the optimizer
export { bobyqa, bobyqaAsync, bobyqaSteps } from './optim/bobyqa.js';
export type { BoundedMinimizeOptions, MinimizeResult, MinimizeSteps } from './optim/types.js';
// data input
export { readCsv } from './io/csv.js';
export type { CsvOptions, ReadResult, ByteSource as CsvByteSource, CsvInput } from './io/csv.js';
export { readArrowIpc } from './io/arrow.js';
export { readParquet } from './io/parquet.js';
// generalized linear mixed models
export { fitGlmm } from './glmm/fit.js';
export type { GlmmPenalty, GlmmProgress, GlmmFitOptions } from './glmm/fit.js';
export { deriv12, deriv12Diagonal } from './optim/deriv12.js';
// lme4's convergence checks at the optimum (optinfo$derivs, checkConv) and its check of X's scales
export { CHECK_CONV, checkConv, checkHess, derivsByDefault, scaledGradient } from './model/convergence.js';
export type { CheckConvControl, ConvergenceCheck, Derivatives } from './model/convergence.js';
export { thetaDerivatives } from './lmm/fit.js';
export { SCALE_X_MESSAGE, scaleXMessage } from './frame/scaleX.js';
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
export { thetaMl } from './glmm/thetaMl.js';
export type { ThetaMlResult } from './glmm/thetaMl.js';
export type { NbThetaEstimation } from './glmm/glmmFit.js';
export { digamma, trigamma } from './glmm/rmath.js';
export { fmin, fminAsync, fminSteps } from './optim/fmin.js';
// known covariance matrices (relmat: kinship, pedigree, phylogeny)
export type { RelmatOptions } from './model/mixedModel.js';
export type { RelmatSpec, KnownBlock } from './relmat/blocks.js';
export { knownCovariance, matchLevels } from './relmat/knownCovariance.js';
export type { KnownCovariance, RelmatInput, DenseRelmat, SparseRelmat } from './relmat/knownCovariance.js';
export { pedigree, pedigreeFactor, relationshipMatrix, sortPedigree } from './relmat/pedigree.js';
export type { Pedigree, PedigreeColumns } from './relmat/pedigree.js';
export { phyloVcv, parseNewick } from './relmat/phylo.js';
export type { NamedMatrix, PhyloNode } from './relmat/phylo.js';
export { namedMatrixFromTable } from './relmat/matrixTable.js';
export { KnownCovarianceGram, knownCovarianceGram } from './relmat/gram.js';
export { applyFactor, applyFactorT, congruence, rightMultiplyFactor } from './relmat/covFactor.js';
export type { CovFactor, DenseFactor, SparseFactor } from './relmat/covFactor.js';
// meta-analysis (metafor's rma, rma.mv, escalc)
export { meta, checkMetaOptions, META_METHODS, META_TESTS } from './meta/meta.js';
export type { MetaOptions } from './meta/meta.js';
export { MetaFit } from './meta/metaFit.js';
export type { StudyRow } from './meta/metaFit.js';
export { metaData, modsRhs, parseRandom } from './meta/data.js';
export type { MetaData, MetaDataOptions } from './meta/data.js';
export { escalc, hedgesCorrection, EFFECT_MEASURES, MEASURE_INPUTS } from './meta/escalc.js';
export type { EffectMeasure, EscalcInput, EscalcOptions, EscalcResult } from './meta/escalc.js';
export { escalcTable } from './meta/escalcTable.js';
export type { EscalcColumns, EscalcTableOptions } from './meta/escalcTable.js';
export { tau2Closed, tau2DL, tau2HE, tau2PM, tau2SJ, seTau2ML, seTau2REML, generalizedQ } from './meta/tau2.js';
export type { MetaDesign, Tau2Estimate, Tau2Method } from './meta/tau2.js';
export { rmaUniResults, rmaMvResults, logLikUni, heterogeneity, coefficientTests, moderatorTest, predictions } from './meta/results.js';
export type { RmaUniResult, RmaMvResult, MultilevelSolution } from './meta/results.js';
export { formatRmaUni, formatRmaMv } from './meta/summary.js';
export { wls, ProjectionTraces } from './meta/wls.js';
// robumeta's robust variance estimation meta-analysis (robu, print.robu, sensitivity)
export { robu, checkRobuOptions, RobuFit, ROBU_MODELWEIGHTS } from './meta/robu.js';
export type { RobuOptions, RobuModelWeights } from './meta/robu.js';
export { robuData } from './meta/robuData.js';
export type { RobuData, RobuDataOptions } from './meta/robuData.js';
export { corrWeights, hierWeights, studyMeanVariance } from './meta/robuWeights.js';
export { corrMoments, hierMoments, robuWls } from './meta/robuMoments.js';
export type { CorrMoments, HierMoments, WlsFit } from './meta/robuMoments.js';
export { robuCoefficients } from './meta/robuVariance.js';
export type { RobuCoefficients, RobuVarianceInput, RobuVarianceKind } from './meta/robuVariance.js';
export { formatRobu, formatRobuSensitivity, makeNames, robuSig } from './meta/robuPrint.js';
export type { RobuPrintInput, RobuSensitivityRow } from './meta/robuPrint.js';
export { tableToCsv } from './io/csvWrite.js';
// priors on variance components (blme's blmer, bglmer)
export { evaluatePriors, priorToString, priorLines } from './prior/distributions.js';
export type { CovPrior, FixefPrior, ResidPrior, ModelPriors, PriorOptions, PriorContext, PriorTerm } from './prior/distributions.js';
export { parsePriorExpr } from './prior/syntax.js';
export { blmeControl, blmeLmmObjective, bglmerPenalty, exponentialTerms, polynomialTerm, profileSigma, lambdaBlocks } from './prior/penalty.js';
export type { BlmeControl } from './prior/penalty.js';
export { blmeLmmChange } from './prior/lmmPrior.js';
export { bglmerPenaltyOf } from './prior/glmmPrior.js';
export { pchisqUpper, pfUpper, pvalueT, qnorm, qt } from './stats/distributions.js';

// inference (issue 11): lmerTest's tests, lme4's confint and anova, the parametric bootstrap
import './inference/methods.js';
export { anovaModels as anova, coefficientTable, anovaTable, contrastTest, confintLmm, confintGlmm, bootstrapFit, predictWithIntervals, mlFit, remlFit, checkDdf } from './inference/fitInference.js';
export type { Ddf, CoefficientRow, AnovaRow, ConfintMethod, ConfintOptions, ConfintResult, IntervalKind, PredictionIntervals } from './inference/fitInference.js';
export { varparCovariance } from './inference/satterthwaite.js';
export type { VarparCovariance } from './inference/satterthwaite.js';
export { kenwardRoger } from './inference/kenwardRoger.js';
export type { KenwardRogerParts } from './inference/kenwardRoger.js';
export { contest1D, contestMD } from './inference/contest.js';
export type { DdfContext, FTest, TTest } from './inference/contest.js';
export { typeIIIContrasts } from './inference/typeIII.js';
export { typeIContrasts } from './inference/typeI.js';
export { typeIIContrasts } from './inference/typeII.js';
export { anovaHypotheses, checkAnovaType } from './inference/anovaType.js';
export { ranovaTable } from './inference/ranova.js';
export { lsMeans } from './inference/fitInference.js';
export { lsMeansTable, printLsMeans, type LsMeansOptions, type LsMeansRow, type LsMeansTable } from './inference/lsMeans.js';
export { lsMeansContrasts, type NamedHypothesis } from './inference/lsMeansContrasts.js';
export { showTests, printShowTests, type ShowTestsOptions, type ShownTest } from './inference/showTests.js';
export { fraction, rationalApproximation } from './results/fractions.js';
export { clmm, clmmAnova } from './ordinal/clmm.js';
export type { ClmmAnovaRow } from './ordinal/clmm.js';
export type { ClmmFit, CoefRow as ClmmCoefRow, VarCorrRow as ClmmVarCorrRow, RanefTable as ClmmRanef } from './ordinal/clmmFit.js';
export { coxme } from './survival/coxme.js';
export type { CoxmeOptions } from './survival/coxme.js';
export { CoxmeFit } from './survival/coxmeFit.js';
export type { CoxmeJson, CoxmeVarCorr } from './survival/coxmeFit.js';
export { MAX_COXME_COEFFICIENTS } from './survival/model.js';
export type { ClmmOptions, ClmmProgress } from './ordinal/fit.js';
export { CLMM_LINKS, type ClmmLink } from './ordinal/links.js';
export { CLMM_THRESHOLDS, type ClmmThreshold } from './ordinal/thresholds.js';
export { glmmTMB, zeroInflated } from './zeroinfl/zeroInflated.js';
export { clmmEmmeansAt, type ClmmEmmeansOptions } from './ordinal/emmeans.js';
export { CLMM_EMM_MODES, type ClmmEmmMode, type ClmmEmmParameters } from './ordinal/emmBasis.js';
export type { ZeroInflatedFit, ZiCoefRow, ZiVarCorrRow, ZiRanef, ZiPredictType } from './zeroinfl/zeroInflatedFit.js';
export type { ZeroInflatedOptions, ZeroInflatedProgress } from './zeroinfl/fit.js';
export { ZI_FAMILIES, ZI_FAMILY_ALIASES, type ZiFamily } from './zeroinfl/model.js';
export type { ZiPredictOptions } from './zeroinfl/predict.js';
export { TMB_CONFINT_COMPONENTS, TMB_CONFINT_METHODS, confintGlmmTmb, confintOfProfile, fullParameterNames, type TmbConfint, type TmbConfintComponent, type TmbConfintMethod, type TmbConfintOptions, type TmbConfintRow } from './zeroinfl/confint.js';
export type { TmbNaReason } from './zeroinfl/profileConfint.js';
export { profileGlmmTmb, type TmbProfile, type TmbProfileOptions, type TmbProfileRow } from './zeroinfl/profile.js';
export type { ZiSimulateOptions, ZiSimulateResult } from './zeroinfl/simulate.js';
export { zeroInflatedEmmeansAt, zeroInflatedEmtrendsAt, zeroInflatedJointTestsAt, type ZiEmmeansOptions, type ZiEmtrendsOptions, type ZiJointTestsOptions } from './zeroinfl/emmeans.js';
export { ZI_EMM_COMPONENTS, type ZiEmmComponent, type ZiEmmParameters } from './zeroinfl/emmBasis.js';
export { TMB_COMPONENTS, anovaTmb, drop1Tmb, tmbModelWithout, tmbWaldAnova, tmbWaldAnovaAt, type TmbAnova, type TmbComponent, type TmbDrop1, type TmbDrop1Options, type TmbDrop1Row, type TmbDrop1Test, type TmbWaldAnova, type TmbWaldAnovaOptions } from './zeroinfl/anova.js';
export { exactRLRT, exactLRT, printExactTest } from './inference/exactRlrt.js';
export type { ExactRlrtOptions, ExactTest, RlrtSimOptions } from './inference/exactRlrt.js';
export { rlrtEigenvalues } from './inference/rlrtDesign.js';
// DHARMa's simulated residual diagnostics (src/diagnostics/; fit.simulateResiduals is installed by lmer and glmer, and is a method of zero-inflated fits)
export { simulateResiduals, simulateResidualsAsync } from './diagnostics/simulateResiduals.js';
export type { DharmaSimulator, DharmaSimulatorSource, SimulateResidualsAsyncOptions, SimulateResidualsOptions } from './diagnostics/simulateResiduals.js';
export { createDharma } from './diagnostics/dharma.js';
export type { DharmaResiduals } from './diagnostics/dharma.js';
export { testUniformity, testDispersion, testZeroInflation, testOutliers, testResiduals, printDharma } from './diagnostics/dharmaTests.js';
export { recalculateResiduals } from './diagnostics/recalculate.js';
export { dharmaPlotData, rankTransform } from './diagnostics/plotData.js';
export type { DharmaPlotData, QqPoint, ResidualPoint } from './diagnostics/plotData.js';
export { printHTest } from './diagnostics/htest.js';
export type { HTest } from './diagnostics/htest.js';
export type { OutlierOptions, OutlierTest } from './diagnostics/outliers.js';
export type { SimulationTest } from './diagnostics/simulationTest.js';
export type { UniformityTest } from './diagnostics/uniformity.js';
export { ksTestUniform } from './stats/ksTest.js';
export { binomTestP } from './stats/binomTest.js';
export { simulateRlrtNull, lambdaGrid } from './inference/rlrtSimulate.js';
export type { RanovaOptions, RanovaRow, RanovaTable } from './inference/ranova.js';
export { drop1Table } from './inference/drop1.js';
export type { Drop1Options, Drop1Row, Drop1Table } from './inference/drop1.js';
export { drop1Glmm } from './inference/glmmDrop1.js';
export { lme4Anova } from './inference/lme4Anova.js';
export { glht, mcp, GLHT_TESTS, type Glht, type GlhtModel, type HasGlhtModel, type GlhtOptions, type Linfct, type McpSpec, type LevelMatrix, type LinfctMatrix, type GlhtTest, type GlhtSummaryOptions, type GlhtTestResult, type GlhtGlobalResult, type GlhtConfint, type GlhtConfintOptions, type GlhtFocus, MAXSETS_LIMIT } from './inference/glht.js';
export type { McpAverageOptions } from './inference/mcpAverage.js';
export { cldOfSummary, cldOfConfint, printGlhtCld, getLetters, insertAbsorb, type GlhtCld, type GlhtCldOptions } from './inference/glhtCld.js';
export { contrMat, CONTRAST_TYPES, type ContrastType } from './inference/contrMat.js';
export { printGlht, printGlhtSummary, printGlhtConfint } from './inference/glhtPrint.js';
// clubSandwich's cluster-robust inference for lmer fits (src/inference/robust/)
export { vcovCR, coefTest, confIntCR, waldTest } from './inference/robust/robust.js';
export type { CoefTestOptions, ConfIntOptions, WaldTestOptions } from './inference/robust/robust.js';
export { CR_TYPES } from './inference/robust/vcovCR.js';
export type { CrType, VcovCR, VcovCROptions } from './inference/robust/vcovCR.js';
export { COEF_TESTS } from './inference/robust/coefTest.js';
export type { CoefTest, CoefTestName, CoefTestRow, ConfInt, ConfIntRow } from './inference/robust/coefTest.js';
export { WALD_TESTS, constraintMatrix } from './inference/robust/waldTest.js';
export type { Constraints, WaldTest, WaldTestName, WaldTestRow } from './inference/robust/waldTest.js';
export { printCoefTest, printConfInt, printWaldTest } from './inference/robust/print.js';
export type { Lme4AnovaRow } from './inference/lme4Anova.js';
export { printLme4Anova } from './inference/format.js';
// lme4's getME(fit, name): the model's pieces in lme4's parametrization and order
export { getME, getMEJson, GETME_NAMES, lme4Z, lme4Lambdat, transposeSparse } from './inference/getME.js';
export type { GetMEName, SparseMatrix, DevComp } from './inference/getME.js';
export type { Drop1Test, GlmmDrop1Options, GlmmDrop1Row, GlmmDrop1Table } from './inference/glmmDrop1.js';
export { stepLmm } from './inference/step.js';
// pbkrtest's model comparisons of nested lmer fits: KRmodcomp, SATmodcomp, PBmodcomp (and its summary stage)
export { krModcomp, satModcomp, modcompPair, compareColumnSpace } from './inference/modcomp.js';
export type { KrModcomp, SatModcomp, ModcompSmall, ModcompPair } from './inference/modcomp.js';
export { pbModcomp, pbSummary } from './inference/pbModcomp.js';
export type { PbModcomp, PbModcompOptions, PbSummary, PbTestRow } from './inference/pbModcomp.js';
// afex's mixed(): ANOVA tables of mixed models for factorial designs (KR, S, LRT, PB; type 3 and 2)
export { mixed, MixedAnova, lmerTestRows, lrtRow, krRow, AFEX_METHODS, AFEX_F_METHOD_ERROR, type AfexMethod, type MixedOptions, type MixedRow, type RestrictedModel } from './afex/mixed.js';
export { nestedDesigns, perParameterTerms, type DesignTerm, type NestedDesigns, type NestedFit } from './afex/nestedDesigns.js';
export { niceMixed, printMixed, roundPs, makeStat, formatCFixed, type NiceInput, type NiceRow } from './afex/print.js';
export { pbModcompGlmm, type PbGlmm, type PbGlmmOptions } from './afex/pbGlmm.js';
export { afexFormulaParts, withoutBars, type AfexFormulaParts } from './afex/formulaParts.js';
// simr's power analysis by simulation: powerSim, extend, powerCurve (src/inference/powerSim.ts, powerCurve.ts)
export { powerSim, powerParameters, resolvePowerTest, powerSummary } from './inference/powerSim.js';
export type { PowerSimOptions, PowerSimResult, PowerMethod, PowerParameters, PowerCompare, ExtendedFit } from './inference/powerSim.js';
export { extend, powerCurve, tidySeq } from './inference/powerCurve.js';
export type { ExtendOptions, PowerCurveOptions, PowerCurveResult } from './inference/powerCurve.js';
export { printPowerSim, printPowerCurve } from './inference/powerPrint.js';
export { clopperPearson, qbeta } from './inference/clopperPearson.js';
export { printKrModcomp, printSatModcomp, printPbModcomp } from './inference/format.js';
export type { KrAux } from './inference/contest.js';
export type { StepFixedRow, StepOptions, StepRandomRow, StepResult } from './inference/step.js';
export { dropScope } from './formula/dropScope.js';
// gamm4: smooth terms s(x) as mixed models (mgcv's cr and tp bases, gamm4's setup and gam view)
export { gamm4, Gamm4Fit, type Gamm4Options, type Gamm4FamilyOptions } from './gamm/gamm4.js';
export type { GamView, GamSmooth, ParametricTable, SmoothPlotData } from './gamm/gamView.js';
// summary.gam's approximate significance of smooth terms (Wood 2013) and mgcv's psum.chisq (Davies' algorithm)
export { testStat, type TestStat } from './gamm/testStat.js';
export type { SmoothTest } from './gamm/smoothTable.js';
export { psumChisq, daviesCdf, liu2, type DaviesResult, type PsumMethod } from './stats/chisqMixture.js';
// gamm4 for binomial and Poisson responses (glmer, Laplace; the gam view from the working weights)
export { Gamm4GlmmFit } from './gamm/gamm4Glmm.js';
export type { GlmmGamView, GlmmParametricTable } from './gamm/glmmGamView.js';
export { parseSmoothFormula, type SmoothFormula, type SmoothTerm } from './formula/smooth.js';
export { smoothCon, type ConstructedSmooth, type SmoothSpec } from './smooth/smoothCon.js';
export { smoothToRandom, type SmoothMixedForm } from './smooth/mixedForm.js';
export type { AnovaType, AnovaTypeOption } from './inference/anovaType.js';
export { emmeans, EmmGrid, EmmContrasts, parseSpecs } from './inference/emmeans.js';
export { ggpredict, ggemmeans, GgEffects, predictionsAt } from './inference/ggpredict.js';
export type { GgOptions, GgRow, GgType, ConstantValue } from './inference/ggpredict.js';
// ggeffects of a fit whose rows are in an engine: its scans over the rows used supply the default values
export { ggpredictAsync, ggemmeansAsync, ggRowFacts, DISTINCT_CAP } from './inference/ggRows.js';
export type { GgRowFacts } from './inference/ggpredict.js';
export { ggpredictTmb, ggemmeansTmb } from './zeroinfl/ggpredict.js';
export { etaStandardErrors } from './zeroinfl/etaVariance.js';
export { pretty, prettyRange, valuesAt } from './inference/prettyRange.js';
export { jointTests, JointTests } from './inference/jointTests.js';
export type { JointTestsOptions, JointTestRow } from './inference/jointTests.js';
export type { EmmeansOptions, EmmRow, ContrastRow, ContrastOptions, EmmDdf, EmmInferenceMethod, EmmWeights } from './inference/emmeans.js';
export { Influence, INFLUENCE_MAXFUN, influenceGlmm, influenceLmm, varcovComponents } from './inference/influence.js';
export type { DeletedFit, InfluenceOptions, InfluenceProgress } from './inference/influence.js';
export { cooksDistance, dfbeta, dfbetas } from './inference/influenceMeasures.js';
export { r2Nakagawa, iccOf, r2FromComponents, iccFromComponents, iccByGroupFromComponents, printR2, printIcc, printIccByGroup } from './inference/r2Nakagawa.js';
export type { R2Options, R2Result, IccOptions, IccOutcome, IccResult, IccGroupRow } from './inference/r2Nakagawa.js';
// performance's model checks and indices (src/checks/): pure functions of a fit's pieces, the fit-level functions, the printouts
export { collinearity, printCollinearity, vifGroup } from './checks/collinearity.js';
export type { Collinearity, CollinearityInput, CollinearityRow } from './checks/collinearity.js';
export { overdispersion, printOverdispersion } from './checks/overdispersion.js';
export type { Overdispersion } from './checks/overdispersion.js';
export { zeroInflation, printZeroInflation } from './checks/zeroInflation.js';
export type { ZeroInflation } from './checks/zeroInflation.js';
export { singularity } from './checks/singularity.js';
export { convergence } from './checks/convergence.js';
export type { Convergence } from './checks/convergence.js';
export { informationCriteria, rmse, printModelPerformance } from './checks/modelPerformance.js';
export type { ModelPerformance, InformationCriteria } from './checks/modelPerformance.js';
export { logLoss, scoringRules } from './checks/scoringRules.js';
export { fitCollinearity, fitOverdispersion, fitZeroInflation, fitSingularity, fitConvergence, fitModelPerformance } from './checks/methods.js';
export type { CollinearityOptions, ZeroInflationOptions, SingularityResult, ModelPerformanceOptions, ModelPerformanceResult } from './checks/methods.js';
export { varianceComponents, fixedVariance } from './inference/varianceComponents.js';
export type { VarianceInput, VarianceComponents } from './inference/varianceComponents.js';
export { rowMoments, gramMoments } from './inference/designMoments.js';
export type { DesignMoments } from './inference/designMoments.js';
export { distributionVariance } from './inference/distributionVariance.js';
export type { DistributionSpec } from './inference/distributionVariance.js';
export { referenceGrid } from './inference/referenceGrid.js';
export type { ReferenceGrid, GridVariable } from './inference/referenceGrid.js';
export { contrastFamily, CONTRAST_METHODS } from './inference/emmContrasts.js';
export type { ContrastMethod, ContrastFamily } from './inference/emmContrasts.js';
export { adjustPValues, criticalValues, ADJUST_METHODS } from './inference/emmAdjust.js';
export type { AdjustMethod } from './inference/emmAdjust.js';
export { ptukey, qtukey } from './stats/tukey.js';
export { pAdjust } from './stats/pAdjust.js';
export { likelihoodRatioTable } from './inference/lrt.js';
export type { LrtModel, LrtTable } from './inference/lrt.js';
export { profileModel, profileIntervals } from './inference/profile.js';
export type { Profile, ProfileProblem, ProfileOptions, ProfileInterval } from './inference/profile.js';
export { bootstrapLmm, bootstrapIntervals, percentileIntervals } from './inference/bootstrap.js';
export { BOOT_TYPES, bootCi, checkBootType, jackknifeInfluence } from './inference/bootCi.js';
export type { BootType } from './inference/bootCi.js';
export type { Jackknife } from './inference/jackknife.js';
export type { BootstrapOptions, BootstrapResult, BootstrapProgress } from './inference/bootstrap.js';
export type { SimulateOptions, SimulateResult } from './inference/simulate.js';
// A from record batches (Parquet row groups, Arrow IPC, CSV chunks), never the whole table (#14)
export { lmerStream } from './gram/stream/lmer.js';
export type { StreamFit, StreamLmerOptions } from './gram/stream/lmer.js';
// glmer from record batches: one pass over them per PIRLS evaluation
export { glmerStream } from './gram/stream/glmer.js';
export type { StreamGlmerOptions } from './gram/stream/glmer.js';
export { gramFromStream } from './gram/stream/streamSource.js';
export type { StreamGramOptions } from './gram/stream/streamSource.js';
export { blobSource } from './gram/stream/batch.js';
export type { Batch, BatchSource, ByteSource } from './gram/stream/batch.js';
export { ParquetBatchSource } from './gram/stream/parquet.js';
export { CsvBatchSource } from './gram/stream/csv.js';
export { ArrowBatchSource } from './gram/stream/arrowIpc.js';
export { lmerFromGram } from './gram/fit.js';
export type { GramSourceResult, QueryTiming } from './gram/source.js';
export { EngineError } from './gram/source.js';
// nlme's lme and gls with residual variance functions and correlation structures (src/nlme)
export { lme, gls, LmeFit, GlsFit, anovaLme, formatAnova as formatLmeAnova, VAR_FUNCTIONS, COR_STRUCTURES } from './nlme/index.js';
export { formatAnovaF, type NlmeAnovaOptions, type NlmeFTable, type NlmeEmmeansOptions } from './nlme/index.js';
// MASS's glmmPQL: penalized quasi-likelihood GLMMs as a loop of lme (src/pql)
export { glmmPQL } from './pql/glmmPQL.js';
export type { GlmmPqlOptions } from './pql/glmmPQL.js';
export { GlmmPqlFit } from './pql/glmmPQLFit.js';
export type { PqlFamilyName, PredictType as PqlPredictType } from './pql/glmmPQLFit.js';
// geepack's geeglm: generalized estimating equations, a marginal model (src/gee)
export { gee } from './gee/gee.js';
export type { GeeOptions } from './gee/gee.js';
export { GeeFit } from './gee/geeFit.js';
export type { StdErr as GeeStdErr, GeeCoefRow } from './gee/geeFit.js';
export type { GeeFamilyName } from './gee/meanModel.js';
export type { CorStr as GeeCorStr } from './gee/workingCorrelation.js';
export type { WaldRow as GeeWaldRow } from './gee/wald.js';
export type { LmeOptions, GlsOptions, AnovaRow as LmeAnovaRow, ResidualType as LmeResidualType, TTableRow as LmeTTableRow } from './nlme/index.js';
// parameters's model_parameters() and effectsize's standardize_parameters() of lmer and glmer fits (src/parameters; fit.modelParameters, fit.standardizeParameters)
import './parameters/methods.js';
export { modelParameters, CI_METHODS, PARAMETER_EFFECTS } from './parameters/modelParameters.js';
export { TMB_PARAMETER_COMPONENTS } from './parameters/tmb.js';
export type { TmbParameterComponent } from './parameters/tmb.js';
export type { ModelParameters, ModelParametersOptions, ParameterRow, CiMethod, ParameterEffects } from './parameters/modelParameters.js';
export { standardizeParameters, STANDARDIZE_METHODS } from './parameters/standardize.js';
export type { StandardizeOptions, StandardizedParameters, StandardizedRow, StandardizeMethod } from './parameters/standardize.js';
export { printModelParameters, printStandardized } from './parameters/print.js';
// sjPlot's tab_model(): the regression table of one or several lmer/glmer fits (src/tabmodel)
export { tabModel, TAB_DF_METHODS, P_STYLES } from './tabmodel/tabModel.js';
export type { TabModel, TabModelOptions, TabColumn, TabRow, TabSummaryRow, TabDfMethod, PStyle } from './tabmodel/tabModel.js';
export { htmlToText } from './tabmodel/text.js';
// broom.mixed's tidy(), glance() and augment() of lmer and glmer fits (src/broom)
export { tidy, TIDY_EFFECTS, TIDY_CONF_METHODS } from './broom/tidy.js';
export type { TidyOptions, TidyResult, TidyEffect, TidyConfMethod } from './broom/tidy.js';
export { glance } from './broom/glance.js';
export { augment, augmentColumns, AUGMENT_COLUMNS } from './broom/augment.js';
export type { AugmentOptions } from './broom/augment.js';
export { tidyCsv, tidyJson, TIDY_COLUMNS } from './broom/table.js';
export type { TidyTable, Cell as TidyCell } from './broom/table.js';
export { ranParsRows } from './broom/ranPars.js';
// broom.mixed's tidy.glmmTMB / glance.glmmTMB and tidy.lme / glance.lme (tidy() and glance() dispatch to them)
export { tidyGlmmTmb, glanceGlmmTmb, TIDY_TMB_EFFECTS, TIDY_TMB_COMPONENTS } from './broom/tidyTmb.js';
export type { TidyTmbOptions, TidyTmbEffect, TidyTmbComponent } from './broom/tidyTmb.js';
export { tidyLme, glanceLme, TIDY_LME_EFFECTS } from './broom/tidyLme.js';
export type { TidyLmeOptions, TidyLmeEffect } from './broom/tidyLme.js';
export { augmentLme, augmentLmeColumns } from './broom/augmentLme.js';
export { augmentTmb, augmentTmbColumns } from './broom/augmentTmb.js';
// reliability and agreement (psych's ICC with lmer's variance decomposition; multilevel's ICC1/ICC2, mult.icc, rwg, rwg.j, rwg.j.lindell, awg, ad.m)
export * from './reliability/index.js';
