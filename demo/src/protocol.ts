/**
 * Messages between the page (main.ts) and the worker (worker.ts). Large arrays travel as typed
 * arrays in the transfer list, never as arrays of objects.
 */
import type { ContrastRow, EmmRow } from '../../src/inference/emmeans.js';
import type { GlhtTest } from '../../src/inference/glht.js';
import type { CaicResult } from '../../src/inference/caic.js';
import type { LsMeansRow } from '../../src/inference/lsMeans.js';
import type { ContrastType } from '../../src/inference/contrMat.js';
import type { TmbNaReason } from '../../src/zeroinfl/profileConfint.js';
import type { RanovaRow } from '../../src/inference/ranova.js';
import type { Drop1Row } from '../../src/inference/drop1.js';
import type { JointTestRow } from '../../src/inference/jointTests.js';
import type { WaldRow, WaldType } from '../../src/inference/waldAnova.js';
import type { GlmmDrop1Row } from '../../src/inference/glmmDrop1.js';
import type { IccGroupRow, IccResult, R2Result } from '../../src/inference/r2Nakagawa.js';
import type { StepFixedRow, StepRandomRow } from '../../src/inference/step.js';
import type { PowerMethod, PowerSimResult } from '../../src/inference/powerSim.js';
import type { CrType } from '../../src/inference/robust/vcovCR.js';
import type { CoefTestName, CoefTestRow, ConfIntRow } from '../../src/inference/robust/coefTest.js';
import type { WaldTestName, WaldTestRow } from '../../src/inference/robust/waldTest.js';
import type { OptimizerMethod } from '../../src/optim/minimizers.js';
import type { AllFitRow } from '../../src/fit/allFit.js';
import type { GgRow } from '../../src/inference/ggpredict.js';
import type { Collinearity } from '../../src/checks/collinearity.js';
import type { Overdispersion } from '../../src/checks/overdispersion.js';
import type { ZeroInflation } from '../../src/checks/zeroInflation.js';
import type { Convergence } from '../../src/checks/convergence.js';
import type { ModelPerformanceResult, SingularityResult } from '../../src/checks/methods.js';
import type { ClmmAnovaRow } from '../../src/ordinal/clmm.js';
import type { TabModelOptions } from '../../src/tabmodel/tabModel.js';

export type ExampleName = 'sleepstudy' | 'insteval' | 'cbpp' | 'synthetic' | 'wine' | 'sleepstudy_ar1' | 'salamanders' | 'tmbfamilies' | 'gamsim' | 'orange' | 'studentratings_mi';

export type DataSource =
  | { kind: 'file'; file: File }
  | { kind: 'example'; name: ExampleName; url?: string; rows?: number };

export type BackendChoice = 'webgpu' | 'cpu' | 'auto';
/**
 * the glmmTMB families the library's zeroInflated fits: zero-inflated and hurdle counts (glmmTMB's poisson,
 * nbinom1, nbinom2, truncated_poisson, truncated_nbinom1, truncated_nbinom2 with a ziformula), and
 * beta_family (tmb_beta) and gaussian (tmb_gaussian: the heteroscedastic LMM of a dispformula), which take
 * no zero model; genpois (zi_genpois) and truncated_genpois (hurdle_genpois), binomial and betabinomial
 * (tmb_binomial, tmb_betabinomial: a zero model allowed, '~ 0' by default), Gamma (tmb_gamma) and tweedie
 * (tmb_tweedie), which take none; compois (zi_compois) and truncated_compois (hurdle_compois), the
 * Conway–Maxwell–Poisson by its mean
 */
export type ZiFamilyChoice = 'zi_poisson' | 'zi_nbinom1' | 'zi_nbinom2' | 'hurdle_poisson' | 'hurdle_nbinom1' | 'hurdle_nbinom2' | 'tmb_beta' | 'tmb_gaussian'
  | 'zi_genpois' | 'hurdle_genpois' | 'tmb_binomial' | 'tmb_betabinomial' | 'tmb_gamma' | 'tmb_tweedie' | 'zi_compois' | 'hurdle_compois';
export type FamilyChoice = 'gaussian' | 'binomial' | 'poisson' | 'negative.binomial' | 'Gamma' | 'inverse.gaussian' | 'ordinal' | ZiFamilyChoice;

export interface FitRequest {
  formula: string;
  factors: string[];
  reml: boolean;
  backend: BackendChoice;
  family: FamilyChoice;
  link?: string;
  nAGQ?: number;
  /** ordinal (clmm): the thresholds' structure */
  threshold?: 'flexible' | 'equidistant' | 'symmetric';
  /** ordinal (clmm): the response's categories in order (absent: the order the library takes from the data) */
  levels?: string[];
  /** zero-inflated and hurdle models (glmmTMB): the zero-inflation (hurdle: zero) model's one-sided formula (absent: '~ 1') */
  ziformula?: string;
  /** glmmTMB families with a dispersion parameter: the dispersion model's one-sided formula, log φ = X_d δ (absent: '~ 1') */
  dispformula?: string;
  /** glmmTMB's binomial and betabinomial: the column of trials of a proportion response (glmmTMB's weights) */
  weights?: string;
  /** gaussian: nlme's variance function ('varIdent(form = ~ 1 | Sex)', …); with it or a correlation the fit is lme or gls */
  nlmeWeights?: string;
  /** gaussian: nlme's correlation structure ('corAR1(form = ~ 1 | Subject)', …) */
  nlmeCorrelation?: string;
  /** lme4's nlmer (a formula `resp ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree`): each parameter's starting value */
  nlmerStart?: Record<string, number>;
  dataName?: string;
  /** blme's default priors (blmer, bglmer): a Wishart on every random-effects term; the fit is the posterior mode */
  prior?: 'blme';
  /** a known covariance (relatedness matrix, pedigree or tree) read before, for this grouping factor */
  relmat?: { group: string; id: number };
}

/** what was read of an uploaded relatedness file */
export interface RelmatInfo {
  id: number;
  name: string;
  kind: 'matrix' | 'pedigree' | 'tree';
  /** K's levels (a pedigree's animals) */
  levels: number;
  sample: string[];
  note: string;
}

export type ToWorker =
  | { type: 'probeGpu' }
  | { type: 'load'; id: number; source: DataSource }
  | { type: 'fit'; id: number; request: FitRequest }
  /** nlme's anova(fit1, fit2) of two kept lme/gls fits (the Fits history's comparison) */
  | { type: 'nlmeCompare'; id: number; fits: [number, number]; names: [string, string] }
  /** lme4's anova(fit1, fit2) of two kept nlmer fits (the Fits history's comparison) */
  | { type: 'nlmerCompare'; id: number; fits: [number, number]; names: [string, string] }
  | { type: 'cancel'; id: number }
  | { type: 'predict'; id: number; values: Record<string, string>; newGroups: string[]; fit?: number }
  | { type: 'exportJson'; id: number; fit?: number }
  | { type: 'exportResiduals'; id: number; fit: number }
  | { type: 'compare'; id: number; fits: [number, number] }
  | { type: 'clmmProbabilities'; id: number; fit: number; by: string }
  | { type: 'clmmAnova'; id: number; fits: [number, number] }
  | { type: 'exportClmmProbabilities'; id: number; fit: number }
  | { type: 'exportZiPredictions'; id: number; fit: number }
  | { type: 'tmbConfint'; id: number; fit: number; request: TmbCiRequest }
  | { type: 'meta'; id: number; request: MetaRequest }
  | { type: 'inference'; id: number; fit: number; ddf: 'satterthwaite' | 'kenward-roger'; anovaType: 'I' | 'II' | 'III' }
  | { type: 'confint'; id: number; fit: number; request: ConfintRequest }
  | { type: 'emmeans'; id: number; fit: number; request: EmmRequest }
  | { type: 'glht'; id: number; fit: number; request: GlhtRequest }
  /** merTools's REsim and FEsim, or predictInterval, of a kept lmer or glmer fit (progress, Cancel) */
  | { type: 'merSim'; id: number; fit: number; request: MerSimRequest }
  /** the Multiple imputation card: the page's model fitted to each imputation of the loaded data, then pooled */
  | { type: 'miPool'; id: number; request: MiRequest }
  | { type: 'lsMeans'; id: number; fit: number; request: LsmRequest }
  | { type: 'modelTest'; id: number; fit: number; request: ModelTestRequest }
  | { type: 'power'; id: number; fit: number; request: PowerRequest }
  | { type: 'lmList'; id: number; fit: number; request: LmListRequest }
  | { type: 'robust'; id: number; fit: number; request: RobustRequest }
  | { type: 'allFit'; id: number; fit: number; request: AllFitRequest }
  | { type: 'ggeffects'; id: number; fit: number; request: GgRequest }
  /** sjPlot's tab_model of kept lmer/glmer fits (in memory or the streamed fit), side by side in this order */
  | { type: 'tabModel'; id: number; request: TmRequest }
  /** broom.mixed's tidy, glance or augment of a kept fit (the fit shown or the streamed fit) as CSV: a 'text' reply */
  | { type: 'exportTidy'; id: number; fit: number; request: TidyRequest }
  | { type: 'dharma'; id: number; fit: number; request: DharmaRequest }
  | { type: 'perfChecks'; id: number; fit: number }
  | { type: 'afex'; id: number; fit: number; request: AfexRequest }
  | { type: 'streamFit'; id: number; file: File; request: StreamRequest }
  | { type: 'relmat'; id: number; file: File; kind: 'auto' | 'matrix' | 'pedigree' | 'tree' };

/** an lmer fit of a Parquet file streamed in the worker, never held whole */
export interface StreamRequest {
  formula: string;
  factors: string[];
  reml: boolean;
  /** rows per batch (default 65,536) */
  batchSize?: number;
  /** A by the in-memory path's arithmetic (four passes, the in-memory fit bit for bit; default) or in two passes (equal to rounding) */
  exact?: boolean;
  /** the summary's exact scaled-residual quantiles (three more passes; default true) */
  residualQuantiles?: boolean;
  /** the diagnostics: one more pass (default true) */
  diagnostics?: boolean;
}

export interface StreamProgressMsg {
  pass: number;
  /** what the pass is for, when it is not one of the fit's */
  stage?: string;
  /** rows read in this pass so far */
  rows: number;
  /** rows the passes processed so far, over all passes (read from the file or replayed from the cache) */
  rowsScanned: number;
  bytesRead: number;
  fileBytes: number;
  elapsedMs: number;
}

export interface StreamResultMsg {
  formula: string;
  reml: boolean;
  nobs: number;
  sigma: number;
  objective: number;
  logLik: number;
  /** with lmerTest's Satterthwaite df and p-value (from the fit's A), and the 95 % Wald interval (estimate ± z₀.₉₇₅ SE) */
  fixef: { name: string; estimate: number; se: number; stat: number; df: number; p: number; lower: number; upper: number }[];
  /** lmerTest's messages about the ddf (none usually) */
  ddfMessages: string[];
  varCorr: VarCorrRowMsg[];
  summary: string;
  bytesRead: number;
  fileBytes: number;
  /** rows read from the file over all passes (the fit's and the diagnostics') */
  rowsScanned: number;
  /** rows the fit's passes replayed from the stream's cache of evaluated batches instead of reading them */
  rowsReplayed: number;
  passes: string[];
  /** rows the passes processed (read or replayed) per second */
  rowsPerSecond: number;
  bytesPerSecond: number;
  elapsedMs: number;
  /** of elapsedMs: the fit (its passes, the optimizer, the residual quantiles' passes) and the diagnostics pass */
  fitMs: number;
  diagnosticsMs: number;
  /** from one more pass: points and smoothers of an evenly spread sample of rows; null when not asked for */
  diagnostics: DiagnosticsMsg | null;
  /** every row's scaled residual, from the diagnostics pass */
  residualStats: { n: number; mean: number; sd: number } | null;
  /** the fixed part's variables (the Model tests card's joint tests take a factor of them as `by`) */
  emmVariables: EmmVariable[];
  /** the Cluster-robust card's refusal of a streamed fit (the library's: the sandwich needs each cluster's rows) */
  robustRefusal: string | null;
  /** the Optimizers (allFit) card's refusal of a streamed fit (the library's: a refit needs the rows) */
  allFitRefusal: string | null;
  /** the Model checks card's simulated residuals (DHARMa): the library's refusal of a streamed fit (simulations need every row) */
  dharmaRefusal: string | null;
  /** what the streamed fit's Adjusted predictions card offers (its default values: the library's scans over the file) */
  gg: GgSetup;
  /** broom.mixed's augment: the library's refusal of a streamed fit (its rows are not in memory) */
  augmentRefusal: string | null;
}

/** lme4's confint on request: the profile or the parametric bootstrap (Wald is shown with the fit) */
export interface ConfintRequest {
  method: 'profile' | 'boot';
  nsim?: number;
  seed?: number;
}

export interface ConfintMsg {
  method: string;
  level: number;
  /** lme4's parameter names (oldNames = FALSE); null where lme4 reports NA */
  rows: { name: string; lower: number | null; upper: number | null }[];
  messages: string[];
  elapsedMs: number;
}

/** lmerTest's coefficient table and anova table (of type I, II or III) */
export interface InferenceMsg {
  ddf: 'satterthwaite' | 'kenward-roger';
  anovaType: 'I' | 'II' | 'III';
  coefficients: { name: string; estimate: number; se: number; df: number; t: number; p: number }[];
  anova: { term: string; sumsq: number; meansq: number; numdf: number; dendf: number; F: number; p: number }[];
  messages: string[];
  elapsedMs: number;
}

/** the contrasts the app offers (emmeans's methods) */
export type EmmContrastChoice = 'none' | 'pairwise' | 'trt.vs.ctrl' | 'eff' | 'consec' | 'poly';

/** estimated marginal means (emmeans) or a covariate's slopes (emtrends) of a fit kept in the worker */
export interface EmmRequest {
  /** the variable whose levels (values) the means are of */
  specs: string;
  /** a variable whose levels form separate groups */
  by?: string;
  /** emtrends: the covariate whose slopes are estimated */
  trend?: string;
  contrast: EmmContrastChoice;
  /** trt.vs.ctrl's control level */
  ref?: string;
  /** the contrasts' adjustment; absent: the contrast's own (emmeans's default) */
  adjust?: string;
  /** glmer: link (default) or response scale */
  type?: 'link' | 'response';
  /** lmer: the df method; absent: the library's default (Kenward–Roger for REML fits) */
  ddf?: 'kenward-roger' | 'satterthwaite' | 'asymptotic';
}

/** the Least-squares means (lmerTest) card's fields, as its refusals name them */
export type LsmField = 'which' | 'pairwise' | 'ddf' | 'level';

/** lmerTest's ls_means(fit, which, level, ddf, pairwise) of a kept lmer fit (difflsmeans: pairwise) */
export interface LsmRequest {
  /** the factor terms; null: every factor term (ls_means's default) */
  which: string[] | null;
  pairwise: boolean;
  ddf: 'satterthwaite' | 'kenward-roger';
  level: number;
}

/** one row of lmerTest's table, the library's (a non-estimable row's numbers are NaN, which survives structured clone) */
export type LsmRow = LsMeansRow;

export interface LsmMsg {
  request: LsmRequest;
  /** the ddf method used (lmerTest's fallback from Kenward–Roger is in messages) */
  ddf: 'satterthwaite' | 'kenward-roger';
  rows: LsmRow[];
  /** print(ls_means(…)) as lmerTest prints it */
  text: string;
  /** show_tests(ls_means(…)): the contrast matrices, as R prints them */
  showTestsText: string;
  messages: string[];
  elapsedMs: number;
}

/** the Simulation intervals (merTools) card's fields, as its refusals name them */
export type MerSimField = 'nsims' | 'seed' | 'level' | 'which' | 'type' | 'rows' | 'newdata';

/**
 * merTools's REsim(fit, n.sims, seed) and FEsim (one set of draws; plotREsim's intervals at `level`), or
 * predictInterval(fit, newdata, which, level, n.sims, type, include.resid.var, seed) of a kept lmer or glmer fit
 */
export type MerSimRequest =
  | { kind: 'resim'; nsims: number; seed: number; level: number }
  | {
    kind: 'predict'; nsims: number; seed: number; level: number;
    which: 'full' | 'fixed' | 'random';
    type: 'linear.prediction' | 'probability';
    includeResidVar: boolean;
    /** 'data': the data's rows (merTools's default newdata, the model frame); 'edit': the card's CSV box */
    rows: 'data' | 'edit';
    /** the CSV box's text (rows 'edit') */
    newdata: string;
  };

/** a row of REsim with plotREsim's interval (stat median ± z · sd) and whether it excludes 0 */
export interface ReSimMsgRow { groupFctr: string; groupID: string; term: string; mean: number; median: number; sd: number; ymin: number; ymax: number; sig: boolean }

export type MerSimMsg =
  | {
    kind: 'resim'; request: Extract<MerSimRequest, { kind: 'resim' }>;
    re: ReSimMsgRow[];
    fe: { term: string; mean: number; median: number; sd: number }[];
    /** REsim's and FEsim's data frames as aligned text (the CLI's `mixedgpu resim` printout) */
    reText: string; feText: string;
    elapsedMs: number;
  }
  | {
    kind: 'predict'; request: Extract<MerSimRequest, { kind: 'predict' }>;
    /** the new data's rows as given (column names, then each row's cells as text), for the table */
    columns: string[]; cells: string[][];
    fit: number[]; upr: number[]; lwr: number[];
    /** predictInterval's data frame as aligned text (the CLI's `mixedgpu predictinterval` printout) */
    text: string;
    messages: string[];
    elapsedMs: number;
  };

/** the Multiple imputation (mitml, mice) card's fields, as its refusals name them ('formula': the page's formula) */
export type MiField = 'imp' | 'formula' | 'nullFormula' | 'method' | 'use' | 'dfCom';

/**
 * lmerImputed / glmerImputed of the page's model (its formula, family, link, nAGQ, REML, factors, backend) on the
 * loaded data's imputations (column `imp`, imputation 0 left out), then testEstimates(extraPars, dfCom),
 * summary(pool(fit)) and, with a null formula, testModels(fit, fit0, method, use)
 */
export interface MiRequest {
  fit: FitRequest;
  imp: string;
  extraPars: boolean;
  /** df.com of testEstimates, pool and D1 (null: none; pool then takes mice's default) */
  dfCom: number | null;
  /** the null model's formula (null: no model comparison) */
  nullFormula: string | null;
  method: 'D1' | 'D2' | 'D3' | 'D4';
  use: 'wald' | 'likelihood';
}

export interface MiMsg {
  request: MiRequest;
  kind: 'lmer' | 'glmer';
  m: number;
  /** testEstimates's table: estimate, SE, t, df, p, RIV, FMI */
  estimates: { term: string; estimate: number; se: number; t: number; df: number; p: number; riv: number; fmi: number }[];
  extraPars: { term: string; estimate: number }[] | null;
  /** mitml's printout of testEstimates (without its Call line) */
  estimatesText: string;
  /** summary(pool(fit), type = "all")'s rows */
  pool: { term: string; m: number; estimate: number; ubar: number; b: number; t: number; dfcom: number; df: number; riv: number; lambda: number; fmi: number; std_error: number; statistic: number; p_value: number }[];
  /** the pool summary as an aligned table (summary(pool(fit))'s columns) */
  poolText: string;
  /** testModels's result (null: no null formula) */
  test: { F: number; df1: number; df2: number; p: number; riv: number; method: 'D1' | 'D2' | 'D3' | 'D4'; use: 'wald' | 'likelihood'; reml: boolean; refit: boolean } | null;
  /** mitml's printout of testModels (without its Call line) */
  testText: string | null;
  elapsedMs: number;
}

/** the Multiple comparisons card's fields, as its refusals name them */
export type GlhtField = 'factor' | 'type' | 'base' | 'alternative' | 'test' | 'level' | 'interactionAverage' | 'covariateAverage';

/**
 * multcomp's glht of a kept lmer or glmer fit: summary(glht(fit, linfct = mcp(factor = type), alternative),
 * test) and confint(…, level) (the simultaneous intervals: adjusted_calpha)
 */
export interface GlhtRequest {
  factor: string;
  type: ContrastType;
  /** Dunnett's base level, 1-based (1: mcp's own, the first level; another: contrMat(table(f), "Dunnett", base)) */
  base: number;
  alternative: 'two.sided' | 'less' | 'greater';
  test: GlhtTest;
  level: number;
  /** multcomp's mcp(…, interaction_average = TRUE): the factor's comparisons averaged over the levels of the factors it interacts with */
  interactionAverage: boolean;
  /** multcomp's mcp(…, covariate_average = TRUE): the factor's comparisons at the means of the covariates it interacts with */
  covariateAverage: boolean;
}

/** a hypothesis's row: the estimate, SE and statistic (univariate), the test's p (null for a global test), the simultaneous interval */
export interface GlhtRow {
  /** the hypothesis as multcomp prints it ('Victory - Marvellous == 0') */
  name: string;
  /** its row name ('Victory - Marvellous'): the plot's label, as plot.confint.glht's */
  label: string;
  estimate: number;
  se: number;
  statistic: number;
  p: number | null;
  lower: number;
  upper: number;
}

export interface GlhtMsg {
  request: GlhtRequest;
  /** multcomp's type line ('Tukey', 'User-defined') */
  type: string | null;
  /** 'z' (multcomp's df = 0 of lmer and glmer fits) or 't' */
  stat: 'z' | 't';
  /** the p column's name as multcomp prints it (Pr(>|z|), Pr(<z), Pr(>z)) */
  pName: string;
  rows: GlhtRow[];
  /** the Chisq or F global test (null for the tests of each hypothesis) */
  global: { test: 'Chisq' | 'F'; statistic: number; df: number[]; p: number } | null;
  /** the p-values' integration error (0 where none was integrated) */
  error: number;
  /** the intervals' critical value (adjusted_calpha's equicoordinate quantile) */
  quantile: number;
  /** print(summary(g, test)) and print(confint(g, level)) */
  summaryText: string;
  confintText: string;
  messages: string[];
  elapsedMs: number;
}

/** a variable of the fixed part, for the means' chooser */
export interface EmmVariable {
  name: string;
  kind: 'factor' | 'covariate';
  /** a factor's levels (the first 200) */
  levels: string[];
}

/** a mean as the library gives it (src/inference/emmeans.ts EmmRow), its levels as emmeans labels them */
export type EmmMeanRow = Omit<EmmRow, 'levels'> & { levels: Record<string, string> };

/** a contrast as the library gives it (ContrastRow), its by values as emmeans labels them */
export type EmmContrastRow = Omit<ContrastRow, 'by'> & { by: Record<string, string> };

export interface EmmMsg {
  request: EmmRequest;
  kind: 'emmeans' | 'emtrends';
  /** emmean, or emtrends's `x.trend` */
  estimateName: string;
  /** on glmer's response scale: prob, rate or response; else null */
  responseLabel: string | null;
  specs: string[];
  by: string[];
  ddf: string;
  level: number;
  type: 'link' | 'response';
  means: EmmMeanRow[];
  meansNotes: string[];
  meansText: string;
  contrasts: {
    method: string;
    adjust: string;
    /** odds.ratio or ratio where the contrasts are back-transformed */
    ratioLabel: string | null;
    rows: EmmContrastRow[];
    notes: string[];
    text: string;
  } | null;
  elapsedMs: number;
}

/** the "Model tests" card's tests (./modelTests.ts MODEL_TESTS lists them, with the fits each applies to) */
export type ModelTestKind = 'ranova' | 'drop1' | 'glmerDrop1' | 'step' | 'jointTests' | 'waldAnova' | 'r2' | 'influence' | 'caic';

/** one test of a fit kept in the worker; each kind reads only its own options */
export interface ModelTestRequest {
  kind: ModelTestKind;
  /** drop1 and step: the page's ddf choice (the fixed-effects card's) */
  ddf?: 'satterthwaite' | 'kenward-roger';
  /** ranova: lmerTest's reduce.terms (default true) */
  reduceTerms?: boolean;
  /** joint tests: a variable whose levels form separate tables (emmeans's by) */
  by?: string;
  /** car's Wald χ² anova: type II (default) or III */
  type?: WaldType;
  /** influence: the grouping factor whose levels are deleted one at a time; absent: each observation */
  groups?: string;
}

/** a joint test as the library gives it (JointTestRow), its by values as emmeans labels them */
export type JointTestMsgRow = Omit<JointTestRow, 'by'> & { by: Record<string, string> };

/** one deleted unit of influence(): Cook's distance and dfbetas (lme4's cooks.distance, dfbetas) */
export interface InfluenceUnitMsg {
  label: string;
  /** rows deleted with it */
  rows: number;
  cooks: number;
  /** by fixed effect, in xnames' order */
  dfbetas: number[];
  converged: boolean;
}

interface ModelTestCommon {
  request: ModelTestRequest;
  /** the library's messages and notes, as the card lists them */
  notes: string[];
  /** the table as R prints it (the library's printer) */
  text: string;
  elapsedMs: number;
}

/** a test's result: the library's rows (typed from its own row types) with what the card shows with them */
export type ModelTestMsg = ModelTestCommon & (
  | { kind: 'ranova'; model: string; rows: RanovaRow[] }
  | { kind: 'drop1'; ddf: 'satterthwaite' | 'kenward-roger'; model: string; rows: Drop1Row[] }
  /** lme4's drop1 of a glmer fit: the fit's AIC (<none>) and each refit's */
  | { kind: 'glmerDrop1'; model: string; none: { AIC: number }; rows: GlmmDrop1Row[] }
  /** lmerTest's step: the two elimination tables and the model found */
  | { kind: 'step'; ddf: 'satterthwaite' | 'kenward-roger'; random: StepRandomRow[]; fixed: StepFixedRow[]; formula: string }
  /** performance's r2_nakagawa and icc (null where performance gives NA) */
  | { kind: 'r2'; r2: Pick<R2Result, 'conditional' | 'marginal' | 'components'>; icc: IccResult | null; byGroup: IccGroupRow[] | null }
  | { kind: 'jointTests'; by: string[]; ddf: string; rows: JointTestMsgRow[] }
  | { kind: 'waldAnova'; type: WaldType; response: string; rows: WaldRow[] }
  /** every unit, largest Cook's distance first */
  | { kind: 'influence'; groups: string; xnames: string[]; units: InfluenceUnitMsg[] }
  /** cAIC4's cAIC: the library's CaicResult (lmer: Greven & Kneib's analytic df; glmer: one refit per observation or positive count) */
  | { kind: 'caic'; caic: CaicResult }
);

/** simr's tests (src/inference/powerSim.ts PowerMethod) */
/** simr's tests (the library's PowerMethod) */
export type PowerMethodChoice = PowerMethod;

/** a term (or a coefficient) the Power card can test, with the tests the library offers for it */
export interface PowerTermOption {
  /** the term's label (simr's fixed(xname)) or a coefficient's name */
  name: string;
  /** 'term': a term of the fixed part; 'coefficient': a column of X that is not a term (a factor's level: t or z only) */
  kind: 'term' | 'coefficient';
  /** its columns of X (the effect sizes the card lets the user change) */
  columns: string[];
  /** simr's default test for it (simr's defaulttest) */
  defaultMethod: PowerMethodChoice;
  methods: PowerMethodChoice[];
}

/** what the Power and lmList cards offer for a fit (worked out in the worker: ./powerRun.ts powerSetup) */
export interface PowerSetup {
  /** why powerSim is not offered for this fit (the library's refusal), or null */
  refusal: string | null;
  terms: PowerTermOption[];
  /** every coefficient with its fitted value (the effect-size fields' defaults) */
  coefficients: { name: string; estimate: number }[];
  /** powerCurve's choices: grouping factors (levels) and numeric variables of the model (distinct values) */
  along: { name: string; kind: 'factor' | 'numeric'; values: number }[];
  /** why powerCurve (and extend) is not offered, or null */
  curveRefusal: string | null;
  /** lme4's lmList of the fit's fixed-effects formula: its formula without the bar, the grouping factors, or why not */
  lmList: { model: string; groups: string[]; refusal: string | null };
}

/** simr's powerSim, or powerCurve (with `curve`), of a fit kept in the worker */
export interface PowerRequest {
  /** the term or coefficient tested */
  test: string;
  method: PowerMethodChoice;
  nsim: number;
  seed: number;
  alpha: number;
  /** effect sizes changed (simr's fixef(fit)['x'] <- value), by column of X */
  fixef?: Record<string, number>;
  /** powerCurve along a grouping factor or numeric variable; breaks: numbers of its values (absent: simr's tidySeq) */
  curve?: { along: string; breaks?: number[] };
}

/** one powerSim result as the library gives it (PowerSimResult), its p-values as a plain array (NaN where a refit failed) */
export type PowerSimMsg = Omit<PowerSimResult, 'pValues'> & { pValues: number[] };

export interface PowerMsg {
  request: PowerRequest;
  /** powerSim's result (without `curve`) */
  sim: PowerSimMsg | null;
  /** powerCurve's result (with `curve`): a point per break; extended: the design extended first (simr's extend along, to n values) */
  curve: {
    along: string;
    xlab: string;
    points: (PowerSimMsg & { x: number })[];
    warnings: number;
    errors: number;
    timeMs: number;
    extended: { along: string; n: number; from: number } | null;
  } | null;
  /** simr's printout (print.powerSim or print.powerCurve) */
  text: string;
  notes: string[];
  elapsedMs: number;
}

/** lme4's lmList of the fit's fixed-effects formula by a grouping factor */
export interface LmListRequest {
  group: string;
}

export interface LmListMsg {
  request: LmListRequest;
  /** the grouped formula fitted, `y ~ x | g` */
  formula: string;
  groups: string[];
  /** rows of the group's fit (0 for a failed group) */
  n: number[];
  names: string[];
  /** coef(): [group][coefficient], null for R's NA */
  coef: (number | null)[][];
  /** summary's SEs (pooled, as lme4's default): [group][coefficient] */
  se: (number | null)[][];
  /** each group's residual SD (summary.lm's sigma) */
  sigma: (number | null)[];
  /** the pooled SD and its df, or why there is none */
  pooled: { sd: number; df: number } | { refusal: string };
  failed: { group: string; error: string }[];
  messages: string[];
  /** R's printouts: the lmList and its summary */
  text: string;
  elapsedMs: number;
}

/**
 * a random-effects meta-analysis (metafor's rma): effect sizes and sampling variances from columns
 * or from escalc, moderators (a meta-regression), and a cluster column (the three-level rma.mv)
 */
export interface MetaRequest {
  yi: string;
  vi: string;
  /** compute yi and vi with escalc instead: the measure and its inputs' columns (metafor's argument names) */
  escalc?: { measure: string; columns: Record<string, string> };
  slab?: string;
  method: string;
  /** 'z', 'knha' (Knapp–Hartung, univariate) or 't' (multilevel) */
  test?: string;
  /** the moderators' right-hand side, e.g. 'ablat + alloc' */
  mods?: string;
  /** the cluster of a three-level model (e.g. district), and the estimate within it (e.g. school; default: each row) */
  cluster?: string;
  inner?: string;
  /** numeric columns read as factors (moderators) */
  factors?: string[];
  dataName?: string;
  /** clubSandwich's robust variance estimation after the fit (its cluster: a column; rma.mv's default its outermost level) */
  robust?: RobustRequest;
}

export interface MetaResultMsg {
  summary: string;
  model: 'rma.uni' | 'rma.mv';
  k: number;
  method: string;
  test: string;
  mods: string;
  random: string | null;
  /** the escalc that computed the effect sizes (the columns appended under these names), or null */
  escalc: { measure: string; yi: string; vi: string } | null;
  intOnly: boolean;
  coef: { name: string; estimate: number; se: number; stat: number; p: number; lo: number; hi: number }[];
  /** without moderators: the pooled estimate, its SE, CI and prediction interval */
  pooled: { mu: number; se: number; ci: [number, number]; pi: [number, number] } | null;
  /** univariate: τ², I², H², R² (meta-regression) */
  tau2: number | null;
  I2: number | null;
  H2: number | null;
  R2: number | null;
  /** multilevel: σ² per level, outermost first */
  sigma2: { name: string; value: number; levels: number }[] | null;
  QE: number;
  QEdf: number;
  QEp: number;
  /** with moderators: the omnibus test of the moderators */
  QM: { QM: number; df: [number, number | null]; p: number } | null;
  level: number;
  studies: { label: string; yi: number; sei: number; lo: number; hi: number; weight: number | null; fitted: number }[];
  messages: string[];
  elapsedMs: number;
  /** the robust variance estimation asked for (null when not asked), or the library's refusal of it */
  robust: RobustMsg | null;
  robustError: string | null;
}

/**
 * The Cluster-robust card (clubSandwich): the variance's type and clusters, the coefficient tests' small-sample
 * test, the intervals' level, and a Wald test of chosen terms (all their coefficients) and coefficients
 */
export interface RobustRequest {
  type: CrType;
  /** a grouping factor (lmer) or a column (meta-analysis); absent: clubSandwich's default */
  cluster?: string;
  test: CoefTestName;
  level: number;
  /** items 'term:NAME' or 'coef:NAME'; each 0, or all equal; the tests (default HTZ) */
  wald?: { items: string[]; kind: 'zero' | 'equal'; tests: WaldTestName[] };
}

export interface RobustMsg {
  request: RobustRequest;
  type: string;
  cluster: string;
  J: number;
  N: number;
  /** coef_test's rows with the model-based SE beside the robust one */
  coefTest: { test: CoefTestName; rows: (CoefTestRow & { modelSe: number })[] };
  /** conf_int (none with the saddlepoint test, which has no df) */
  confInt: { test: CoefTestName; level: number; rows: ConfIntRow[] } | null;
  wald: { hypothesis: string; coefs: string[]; rows: WaldTestRow[]; notes: string[] } | null;
  /** clubSandwich's printouts */
  text: string;
  elapsedMs: number;
}

/** lme4's allFit of a kept fit: the optimizers to refit with, in this order, and each refit's evaluation budget */
export interface AllFitRequest {
  optimizers: OptimizerMethod[];
  maxfun: number;
}

/** one optimizer's refit as the library gives it (src/fit/allFit.ts AllFitRow), without the refit itself */
export type AllFitRowMsg = Omit<AllFitRow, 'fit'>;

export interface AllFitMsg {
  request: AllFitRequest;
  rows: AllFitRowMsg[];
  /** the library's one-line verdict and the spreads behind it */
  verdict: string;
  spread: { logLik: number; fixefSE: number; theta: number; sdcorRelative: number };
  /** the fit shown's logLik (the refits start from lme4's start, not from it) */
  fitLogLik: number;
  /** lme4's printout of summary(allFit) (printAllFit) */
  text: string;
  elapsedMs: number;
}

/** DHARMa's simulateResiduals of a kept fit: the simulations, their seed, the random effects, and a grouping factor for recalculateResiduals (null: none) */
export interface DharmaRequest {
  nsim: number;
  seed: number;
  simulateREs: 'conditional' | 'unconditional';
  group: string | null;
}

/** one of DHARMa's tests as R's htest list gives it, with its print.htest lines */
export interface DharmaTestMsg {
  test: 'uniformity' | 'dispersion' | 'zeroInflation' | 'outliers';
  method: string;
  statistic: { name: string; value: number };
  parameter?: { name: string; value: number };
  pValue: number;
  /** R's alternative hypothesis (ks.test's line where it has its own) */
  alternative: string;
  text: string;
}

export interface DharmaMsg {
  request: DharmaRequest;
  nObs: number;
  nSim: number;
  seed: number;
  integerResponse: boolean;
  /** residuals randomized in the PIT (integer responses: ties with the simulations) */
  randomized: number;
  /** one per observation used by the fit, in the fit's order */
  scaledResiduals: Float64Array;
  observedResponse: Float64Array;
  /** the population-level fitted response (predict(type = "response", re.form = ~0)) */
  fittedPredictedResponse: Float64Array;
  /** each observation's row of the data (0-based), where the fit dropped rows; null: row i */
  rows: Int32Array | null;
  /** the QQ plot: the sorted residuals against the expected uniform quantiles i/(n + 1) */
  qqExpected: Float64Array;
  qqObserved: Float64Array;
  /** the residual plot's x: rank(ŷ) / max rank (DHARMa's rankTransform), per observation */
  rankPrediction: Float64Array;
  /** DHARMa would draw boxplots per predicted value instead of a scatter */
  asFactor: boolean;
  tests: DharmaTestMsg[];
  /** the residuals summed per level of a grouping factor (recalculateResiduals), with their tests */
  grouped: { group: string; labels: string[]; scaledResiduals: Float64Array; tests: DharmaTestMsg[]; messages: string[]; text: string } | null;
  messages: string[];
  /** print.DHARMa and print.htest of each test */
  text: string;
  elapsedMs: number;
}

/** performance's checks of a kept fit, each the library's value or null where it refuses the fit (with its reason among the refusals) */
export interface PerformanceChecksMsg {
  collinearity: Collinearity | null;
  overdispersion: Overdispersion | null;
  zeroinflation: ZeroInflation | null;
  /** null for a zero-inflated fit (the library's checkSingularity is lmer's and glmer's: a refusal note) */
  singularity: SingularityResult | null;
  convergence: Convergence | null;
  modelPerformance: ModelPerformanceResult | null;
  refusals: { check: string; reason: string }[];
  /** performance's warnings and notes (collinearity's, model_performance's), each once */
  notes: string[];
  /** performance's printouts */
  text: string;
  elapsedMs: number;
}

/** what the Model checks card offers for a fit */
export interface ModelChecksSetup {
  /** the library's refusal of simulateResiduals (a Gamma fit, rows in a stream), or null */
  dharmaRefusal: string | null;
  /** a Poisson or negative binomial fit: DHARMa's testZeroInflation is shown */
  countModel: boolean;
  /** the fit's grouping factors (recalculateResiduals) */
  groups: string[];
  /** the observations the fit used */
  nobs: number;
  /** whose simulations: lme4's simulate (lmer, glmer) or glmmTMB's (a zero-inflated or hurdle fit, the library's zeroInflated) */
  model: 'lme4' | 'glmmTMB';
}

/** ggeffects's adjusted predictions of a kept lmer or glmer fit: the Adjusted predictions card's settings */
export interface GgRequest {
  method: 'ggpredict' | 'ggemmeans';
  /** one to three focal terms as ggeffects writes them (x, group, facet): 'Days', 'Days [0, 5, 9]', 'f [a, b]' */
  terms: string[];
  /** ggeffects's type "fe" (confidence intervals) or "re" (prediction intervals with the residual variance) */
  type: 'fixed' | 'random';
  /** ci.lvl */
  level: number;
}

/** a row of ggeffects's data frame as the library gives it (GgRow): x, predicted, std_error (link scale), conf_low, conf_high, group, facet */
export type GgRowMsg = GgRow;

export interface GgMsg {
  request: GgRequest;
  method: 'ggpredict' | 'ggemmeans';
  /** the focal terms' variable names (x, group, facet) */
  terms: string[];
  /** "Predicted values of Reaction", "Predicted probabilities of …" */
  title: string;
  type: 'fixed' | 'random';
  level: number;
  /** the interval quantile's df (Infinity: normal) */
  df: number;
  predictionInterval: boolean;
  rows: GgRowMsg[];
  /** whether x is a covariate (a line with a ribbon) or a factor (points with error bars) */
  xKind: 'numeric' | 'factor';
  /** ggeffects's "Adjusted for": each non-focal variable's value ('0 (population-level)' for a grouping factor) */
  adjustedFor: { name: string; value: string }[];
  /** the library's notes (a back-transformed response; prediction intervals) */
  messages: string[];
  /** print.ggeffects's printout */
  text: string;
  elapsedMs: number;
}

/** a focal term the card offers: a variable of the fixed part, or a grouping factor of one variable (ggpredict's type random) */
export interface GgVariable {
  name: string;
  kind: 'factor' | 'covariate' | 'grouping';
  /** a factor's levels (the first 200) and how many there are */
  levels: string[];
  nlevels: number;
}

/** what the Adjusted predictions card offers for a fit */
export interface GgSetup {
  /** the library's refusal of the fit as a whole (a model with an offset), or null */
  refusal: string | null;
  variables: GgVariable[];
}

/**
 * sjPlot's tab_model(m1, m2, …) of kept lmer/glmer fits: the Regression table card's request. `options` are
 * the library's TabModelOptions as the card sets them (user-typed labels already HTML-escaped by the page).
 */
export interface TmRequest {
  /** the kept fits' ids, in the order of the table's columns */
  fits: number[];
  /** each fit's name as the page shows it ('fit 2 (Reaction ~ Days + (1 | Subject))'), for the library's refusals */
  names: string[];
  options: TabModelOptions;
}

/** the table as the library gives it: sjPlot's HTML, its page, its text, and its cells as text for a CSV */
export interface TmMsg {
  request: TmRequest;
  /** sjPlot's page.content (tabModel(…).html()), unsanitized: the page sanitizes it before drawing */
  html: string;
  /** sjPlot's page.complete (.page()) */
  page: string;
  /** the library's text rendering (.text()) */
  text: string;
  /** the cells as plain text: the header rows, the predictors' rows, the summary rows (each model's cell in its first column) */
  cells: string[][];
  /** parameters's and insight's notes on the fits */
  messages: string[];
  elapsedMs: number;
}

/** broom.mixed's tables of a kept fit as CSV */
export type TidyRequest =
  | { what: 'tidy'; effects: ('fixed' | 'ran_pars' | 'ran_vals')[]; confInt: boolean; confLevel?: number }
  | { what: 'glance' }
  | { what: 'augment' };

/** what the Optimizers (allFit) card offers for a fit */
export interface AllFitSetup {
  /** the library's refusal (a fit without a record of its call), or null */
  refusal: string | null;
  /** the optimizers the library has, in allFit's order, with their row names */
  optimizers: { method: OptimizerMethod; label: string }[];
  /** lme4's allFit budget (1e5) */
  maxfun: number;
  /** lme4's convergence messages of the fit (the card's link sits beside them) */
  convergenceMessages: string[];
  /** the fit's backend: on WebGPU every refit ends with the same float64 polish */
  backend: string;
}

/** what the Cluster-robust card offers for a fit */
export interface RobustSetup {
  /** the library's refusal (glmer, streamed rows, relatedness, crossed factors), or null */
  refusal: string | null;
  /** the grouping factors the library takes as clusters, clubSandwich's default first */
  clusters: string[];
  defaultCluster: string | null;
  /** the grouping factors it does not take, with its reason */
  unavailable: { cluster: string; reason: string }[];
  coefficients: string[];
  /** the fixed terms with their coefficients (for the Wald test) */
  terms: { name: string; columns: string[] }[];
}

export interface ColumnInfo {
  name: string;
  /** Arrow type as text, e.g. Float64, Dictionary<Int32, Utf8> */
  arrowType: string;
  kind: 'numeric' | 'factor' | 'other';
  nulls: number;
  /** numeric: min, max, mean (over non-missing values); factor: number of levels */
  min?: number;
  max?: number;
  mean?: number;
  /** distinct values (numeric columns: counted up to 10,001) */
  distinct: number;
  /** a few values for display */
  sample: string[];
  /** numeric with only integer values (a candidate for "treat as factor") */
  integer?: boolean;
  /** factor: its levels in the dictionary's order (the CSV reader's are sorted, as R's), or first seen for plain strings, when there are at most 50 */
  levels?: string[];
  /** factor: an ordered dictionary (R's ordered factor), whose order clmm takes */
  ordered?: boolean;
}

export interface DataInfo {
  name: string;
  rows: number;
  columns: ColumnInfo[];
  warnings: string[];
  bytes?: number;
  loadMs: number;
  /** suggested formula and factor columns (examples) */
  suggestion?: { formula: string; factors: string[]; family?: FamilyChoice; link?: string; ziformula?: string; dispformula?: string; nlmerStart?: string };
}

export interface GpuInfo {
  available: boolean;
  adapter: string | null;
  isSoftware: boolean | null;
  reason: string | null;
}

export interface FixefRow {
  name: string;
  estimate: number;
  se: number;
  /** t value (lmer) or z value (glmer) */
  stat: number;
  /** glmer: Pr(>|z|) */
  p?: number;
  lower: number;
  upper: number;
}

export interface VarCorrRowMsg {
  group: string;
  var1: string | null;
  var2: string | null;
  vcov: number;
  sdcor: number;
}

export interface RanefMsg {
  group: string;
  levels: string[];
  cnames: string[];
  /** per column: conditional modes, one per level */
  values: Float64Array[];
  /** per column: conditional SDs */
  condsd: Float64Array[];
}

export interface ShrinkageMsg {
  group: string;
  cnames: string[];
  /** observations per level */
  count: Int32Array;
  /** per column: the level's own OLS estimate (NaN where the level's data cannot determine it) */
  ols: Float64Array[];
  /** per column: β + b_g, the partially pooled estimate */
  pooled: Float64Array[];
  /** per column: β (0 for a column without a fixed effect) */
  beta: number[];
  /** fixed effects subtracted before the per-level OLS */
  adjustedFor: string[];
}

export interface PredictorInput {
  name: string;
  kind: 'numeric' | 'factor';
  /** a grouping variable (an existing level, or a new one at population level) */
  grouping: boolean;
  /** numeric: the column's mean; factor: its first level */
  initial: string;
  /** factor levels (at most 2,000 shown) and how many there are */
  levels?: string[];
  nlevels?: number;
}

export interface FitResult {
  kind: 'lmer' | 'glmer';
  formula: string;
  family: string;
  link: string;
  reml: boolean;
  summary: string;
  nobs: number;
  ngroups: Record<string, number>;
  sigma: number | null;
  logLik: number;
  AIC: number;
  BIC: number;
  objective: number;
  feval: number;
  converged: boolean;
  singular: boolean;
  messages: string[];
  backend: { name: string; device: string; precision: string };
  timings: Record<string, number>;
  fixef: FixefRow[];
  varCorr: VarCorrRowMsg[];
  /** glmmTMB's covariance structures of the random-effects terms (lmer's or glmer's fit.structures; empty without) */
  structures: StructureMsg[];
  varianceShares: { group: string; variance: number; share: number }[] | null;
  ranef: RanefMsg[];
  shrinkage: ShrinkageMsg[];
  predictors: PredictorInput[];
  /** in the worker: the fit itself (lmer/glmer, from the request to the fit object) */
  elapsedMs: number;
  /** in the worker: of elapsedMs, the model frame, Gram matrix and backend set-up before the optimizer */
  setupMs: number;
  /** in the worker: the tables, plots' data and diagnostics computed after the fit */
  describeMs: number;
  diagnostics: DiagnosticsMsg;
  /** scalar grouping factors with a known covariance: σ²_b / (σ²_b + σ²) */
  heritability: { group: string; variance: number; heritability: number }[];
  /** the priors' lines of the summary (blme's "Cov prior"), empty without priors */
  priors: string[];
  /** the fixed part's variables, for the estimated marginal means */
  emmVariables: EmmVariable[];
  /** an lmer fit's factor terms (lmerTest's ls_means offers these); null for other fits (the card shows lmerTest's refusal) */
  lsmTerms: string[] | null;
  /** the Simulation intervals (merTools) card's CSV box for a new fit: the first rows of the data's model variables */
  simNewdata: string;
  /** what the Power and per-group fits (lmList) cards offer */
  power: PowerSetup;
  /** what the Cluster-robust card offers */
  robust: RobustSetup;
  /** what the Optimizers (allFit) card offers */
  allFit: AllFitSetup;
  /** what the Adjusted predictions (ggeffects) card offers */
  gg: GgSetup;
  /** what the Model checks card offers */
  checks: ModelChecksSetup;
}

/** Normal QQ points (at most 2,000, at evenly spread ranks) and R's qqline */
export interface QqMsg {
  n: number;
  theoretical: Float64Array;
  sample: Float64Array;
  slope: number;
  intercept: number;
}

/** equal-count bins along x: mean x, mean y, ±2 SE of the mean y, observations per bin */
export interface BinnedMsg {
  x: Float64Array;
  y: Float64Array;
  twoSe: Float64Array;
  count: Int32Array;
}

export interface DiagnosticsMsg {
  kind: 'lmer' | 'glmer';
  /** observations in the fit */
  n: number;
  fittedLabel: string;
  residualLabel: string;
  /** an evenly spread subset of at most 4,000 observations: fitted value and residual */
  fitted: Float64Array;
  resid: Float64Array;
  /** residual means in 30 equal-count bins of the fitted values (all observations) */
  smooth: BinnedMsg;
  /** √|residual| of the subset, and its binned means */
  scaleLoc: { y: Float64Array; smooth: BinnedMsg };
  /** lmer: scaled residuals; glmer: deviance residuals */
  qq: QqMsg;
  modesQQ: (QqMsg & { group: string; cname: string })[];
  /** glmer: binned response residuals y − μ̂ (Gelman & Hill) */
  binned: BinnedMsg | null;
  /** glmer: randomized quantile residuals (Dunn & Smyth) of up to 2,000 observations */
  quantileQQ: QqMsg | null;
  /** a streamed fit: the points, smoothers and the residuals' QQ plot are of an evenly spread sample of `rows` of the `of` observations */
  sample?: { rows: number; of: number };
}

/** one model of a likelihood-ratio comparison (lme4's anova(m0, m1) row) */
export interface CompareRow {
  fit: number;
  formula: string;
  npar: number;
  AIC: number;
  BIC: number;
  logLik: number;
  deviance: number;
  Chisq: number | null;
  Df: number | null;
  p: number | null;
}

export interface PredictResult {
  /** population level: every grouping factor at a new level (random effects 0) */
  population: number;
  /** with the chosen levels' conditional modes (new levels at population level) */
  conditional: number;
  /** glmer: the same on the response scale */
  populationResponse?: number;
  conditionalResponse?: number;
  /** a description of the groups used */
  groups: string;
}

/** a structured random-effects term's estimate (the library's StructureEstimate): the SDs of its columns (ar1: one) and its correlation(s) */
export interface StructureMsg { group: string; term: string; structure: string; sd: number[]; rho: number[] }

/** one row of an ordinal fit's threshold or coefficient table (ordinal's summary: z tests) */
export interface ClmmCoefMsg { name: string; estimate: number; se: number; z: number; p: number }

/** mean fitted probability of each category per level of a variable (the stacked bars) */
export interface ClmmProbabilityGroup { level: string; n: number; probs: number[] }

/** What the page shows of a cumulative link mixed model (ordinal's clmm). */
export interface ClmmResultMsg {
  kind: 'clmm';
  formula: string;
  link: string;
  threshold: string;
  nAGQ: number;
  /** the categories in order */
  levels: string[];
  nobs: number;
  ngroups: Record<string, number>;
  logLik: number;
  AIC: number;
  BIC: number;
  edf: number;
  condH: number;
  maxGrad: number;
  feval: number;
  converged: boolean;
  messages: string[];
  /** the thresholds' parameters (α) with SEs and z tests, and the thresholds Θ themselves */
  thresholdTable: ClmmCoefMsg[];
  thresholds: { name: string; value: number }[];
  coefficients: ClmmCoefMsg[];
  varCorr: { group: string; name: string; variance: number; sd: number; corr: number[] }[];
  ranef: RanefMsg[];
  summary: string;
  /** the variables the probability plot can group by (the formula's variables with few distinct values) */
  probabilityBy: string[];
  elapsedMs: number;
}

/** one row of a zero-inflated fit's coefficient table (glmmTMB's summary: z tests) */
/** (the same row as clmm's: a coefficient with its z test) */
export type ZiCoefMsg = ClmmCoefMsg;

/** the observed and expected number of rows with a count (the last row: the counts above the plot's largest, "> K") */
export interface ZiFrequencyRow { count: string; observed: number; expected: number }

/**
 * one bin [lo, hi) of a continuous response's histogram (beta_family, gaussian): the rows in it and the
 * fitted model's expected number Σ_i P(lo ≤ y_i < hi); the first and last bins' expected numbers take the
 * tails (y below the first bin, above the last), so the expected numbers add up to the rows
 */
export interface ZiHistogramBin { lo: number; hi: number; observed: number; expected: number }

/** What the page shows of a glmmTMB fit (the library's zeroInflated): zero-inflated or hurdle counts, beta or gaussian. */
export interface ZiResultMsg {
  kind: 'zeroinfl';
  /** the page's family choice, and the library's (glmmTMB's) family */
  choice: FamilyChoice;
  family: string;
  hurdle: boolean;
  /** a count family (the count frequencies are shown), or beta and gaussian (a histogram) */
  count: boolean;
  /** the conditional model's link: log (counts), logit (beta), identity (gaussian) */
  link: string;
  /** the family takes a zero model (not beta_family and gaussian) */
  takesZi: boolean;
  formula: string;
  ziformula: string;
  /** the dispersion formula ('~ 1' by default; the Poisson families have none) */
  dispformula: string;
  /** the dispersion model's table on the log scale (glmmTMB's coefficients$disp), when dispformula is not '~ 1'; else empty */
  disp: ZiCoefMsg[];
  /** fitted by REML (glmmTMB's REML = TRUE): logLik is the restricted likelihood's */
  reml: boolean;
  nobs: number;
  ngroups: Record<string, number>;
  logLik: number;
  AIC: number;
  BIC: number;
  deviance: number;
  df: number;
  dfResid: number;
  /**
   * glmmTMB's sigma() with dispformula '~ 1': NB2's φ (Var = μ + μ²/φ), NB1's φ (Var = μ(1 + φ)), beta's φ
   * (Var = μ(1 − μ)/(1 + φ)), gaussian's σ; null for Poisson and with a dispersion model (glmmTMB's NA)
   */
  sigma: number | null;
  /** tweedie's estimated power p (Var = φμ^p, glmmTMB's family_params); null for the other families */
  power: number | null;
  feval: number;
  converged: boolean;
  messages: string[];
  cond: ZiCoefMsg[];
  zi: ZiCoefMsg[];
  /** VarCorr's rows; corr: a vector term's correlations with the term's earlier columns; the zero model's groups named `g (zero model)` */
  varCorr: { group: string; name: string; variance: number; sd: number; corr?: number[] }[];
  ranef: RanefMsg[];
  /** the count families' observed and expected frequencies (empty for beta and gaussian) */
  frequencies: ZiFrequencyRow[];
  /** beta and gaussian: the response's histogram with the fitted model's expected numbers (empty for counts) */
  histogram: ZiHistogramBin[];
  /** what the Model checks card offers for the fit */
  checks: ModelChecksSetup;
  /** what the Intervals card (glmmTMB's confint) offers for the fit */
  confint: TmbCiSetup;
  summary: string;
  elapsedMs: number;
}

/** the Intervals card of a glmmTMB fit: its parameter choices (glmmTMB's parm) and the profile's refusal */
export interface TmbCiSetup {
  /** parm's choices after "every row": 'beta_', 'theta_', 'disp_' (with a dispersion parameter), then each parameter by its 1-based position, labelled with glmmTMB's full name */
  parms: { value: string; label: string }[];
  /** why the profile (method 'uniroot') is not offered (a REML fit), or null */
  profileRefusal: string | null;
  /** the full option changes the rows (a single dispersion parameter: glmmTMB's sigma row) */
  fullApplies: boolean;
}

/**
 * glmmTMB's confint of the glmmTMB fit shown: Wald at once; on request the profile likelihood's ends (uniroot,
 * TMB's tmbroot) or glmmTMB's spline through tmbprofile's points (profile, with the profile's plot and CSV)
 */
export interface TmbCiRequest {
  method: 'wald' | 'uniroot' | 'profile';
  level: number;
  /** '' (every row), 'beta_', 'theta_', 'disp_', or a parameter's 1-based position as text */
  parm: string;
  full: boolean;
}

export interface TmbCiMsg {
  request: TmbCiRequest;
  /** R's column names: "2.5 %", "97.5 %", "Estimate" */
  columns: string[];
  /** glmmTMB's rows; null: NA, with the library's reason (TmbConfintRow.naReason) */
  rows: { name: string; lower: number | null; upper: number | null; estimate: number; naReason: { lower: TmbNaReason | null; upper: TmbNaReason | null } }[];
  /** glmmTMB's printout */
  print: string;
  /** the profile's evaluations (each an optimization over the other parameters); 0 for Wald */
  profileEvaluations: number;
  /** the library's notes on NA ends whose reason is ours, not glmmTMB's (profile: the walk's worse local minimum) */
  notes: string[];
  /** method 'profile': glmmTMB's profile(fit, parm, level_max = level) the intervals were taken from; null otherwise */
  profile: TmbCiProfileMsg | null;
  /**
   * method 'profile': why no interval could be taken from the profile (glmmTMB's error: a half not monotone, too
   * few points), the rows then empty and the profile still shown; null otherwise
   */
  intervalError: string | null;
  elapsedMs: number;
}

/** glmmTMB's profile data frame (.par, .focal, value) as the card plots it and its CSV */
export interface TmbCiProfileMsg {
  levelMax: number;
  /** the parameters profiled: name (as vcov(fit, full = TRUE)) and 1-based position (names can repeat) */
  parameters: { name: string; position: number }[];
  /** .par, its position, .focal, value (the −log L difference from the parameter's least point; null: NA) */
  rows: { par: string; position: number; focal: number; value: number | null }[];
  /** the data frame as the library writes it (profile.toCsv(), the CLI's --profile OUT.csv) */
  csv: string;
}

/** What the page shows of an nlme fit (the library's lme, or gls without random effects). */
export interface NlmeResultMsg {
  kind: 'nlme';
  fn: 'lme' | 'gls';
  formula: string;
  /** the boxes' variance function and correlation structure (null where empty) */
  weights: string | null;
  correlation: string | null;
  method: 'REML' | 'ML';
  nobs: number;
  /** lme's grouping factor and its number of levels (null for gls) */
  group: { name: string; levels: number } | null;
  logLik: number;
  AIC: number;
  BIC: number;
  sigma: number;
  /** nlme's fixed-effects table: Value, Std.Error, DF (lme's by grouping level), t-value, p-value */
  tTable: { name: string; Value: number; StdError: number; DF: number; t: number; p: number }[];
  /** lme's random effects' SDs and the residual's (empty for gls) */
  stdDev: { name: string; sd: number }[];
  /** the structures' estimates as nlme prints them */
  varStruct: { structure: string; formula: string; names: string[]; values: number[] } | null;
  corStruct: { structure: string; formula: string; names: string[]; values: number[] } | null;
  converged: boolean;
  feval: number;
  /** nlme's print(summary(fit)) */
  summary: string;
  elapsedMs: number;
}

/** lme4's nlmer fit as the page shows it: the library's numbers, its summary printout and the curves to draw */
export interface NlmerResultMsg {
  kind: 'nlmer';
  formula: string;
  /** the self-starting model's name (SSlogis, …) */
  model: string;
  /** the starting values used, by parameter */
  start: Record<string, number>;
  nobs: number;
  /** each random-effects term's grouping factor and its number of levels */
  groups: { name: string; levels: number }[];
  deviance: number;
  logLik: number;
  AIC: number;
  BIC: number;
  sigma: number;
  /** β̂ with lme4's SEs and t values */
  fixef: { name: string; estimate: number; se: number; t: number }[];
  /** where Var(β̂) came from (lme4's Hessian, or σ²(R_XᵀR_X)⁻¹ with lme4's warning) */
  vcovSource: 'hessian' | 'RX';
  /** VarCorr: per group and parameter the variance and SD (covariances and correlations with var2) */
  varcorr: { group: string; var1: string | null; var2: string | null; vcov: number; sdcor: number }[];
  /** the optimizers' evaluations: stage 1 (θ), stage 2 ((θ, β); null for nAGQ = 0) */
  feval: [number, number | null];
  messages: string[];
  /** lme4's print(summary(fit)) */
  summary: string;
  /** the fitted curves per level of the first grouping factor over the data: the model at a grid of the covariate x */
  curves: NlmerCurves;
  elapsedMs: number;
}

export interface NlmerCurves {
  /** the covariate on the x axis, the response, the grouping factor */
  x: string;
  y: string;
  group: string;
  /** the data's points */
  points: { x: number; y: number; group: string }[];
  /** the model per level (its conditional fit) on a grid over the level's range of x */
  lines: { x: number; fit: number; group: string }[];
  /** the levels drawn (at most MAX_NLMER_CURVES, evenly spread) and how many there are */
  levels: string[];
  total: number;
}

/** one row of nlme's anova(fit1, fit2) */
export interface NlmeAnovaRowMsg { fit: number; name: string; model: number; df: number; AIC: number; BIC: number; logLik: number; test: string | null; L_Ratio: number | null; p: number | null }

export type FromWorker =
  | { type: 'nlmeFitted'; id: number; result: NlmeResultMsg }
  | { type: 'nlmerFitted'; id: number; result: NlmerResultMsg }
  | { type: 'nlmeCompared'; id: number; rows: NlmeAnovaRowMsg[]; print: string }
  | { type: 'ziFitted'; id: number; result: ZiResultMsg }
  | { type: 'gammFitted'; id: number; result: GammResultMsg }
  | { type: 'clmmFitted'; id: number; result: ClmmResultMsg }
  | { type: 'clmmProbabilities'; id: number; by: string; groups: ClmmProbabilityGroup[]; levels: string[] }
  | { type: 'clmmAnova'; id: number; rows: (ClmmAnovaRow & { fit: number })[] }
  | { type: 'clmmError'; id: number; message: string }
  | { type: 'gpu'; info: GpuInfo }
  | { type: 'loadProgress'; id: number; stage: string }
  | { type: 'loaded'; id: number; info: DataInfo }
  | { type: 'loadError'; id: number; message: string }
  | { type: 'progress'; id: number; feval: number; deviance: number; best: number; elapsedMs: number; stage?: number; criterion?: string }
  | { type: 'fitted'; id: number; result: FitResult }
  | { type: 'fitError'; id: number; message: string; where: 'formula' | 'options' | 'data' | 'fit'; position?: number }
  | { type: 'cancelled'; id: number }
  | { type: 'predicted'; id: number; result: PredictResult }
  | { type: 'predictError'; id: number; message: string }
  | { type: 'json'; id: number; text: string }
  | { type: 'text'; id: number; text: string }
  | { type: 'textError'; id: number; message: string }
  | { type: 'compared'; id: number; rows: CompareRow[]; refitted: string[]; notes: string[] }
  /** lme4's anova of two nlmer fits: the rows in the table's order, the models' names and lme4's printout */
  | { type: 'nlmerCompared'; id: number; rows: CompareRow[]; names: string[]; print: string }
  | { type: 'compareError'; id: number; message: string }
  | { type: 'metaFitted'; id: number; result: MetaResultMsg }
  | { type: 'metaError'; id: number; message: string }
  | { type: 'inferred'; id: number; result: InferenceMsg }
  | { type: 'inferenceError'; id: number; message: string }
  | { type: 'confintProgress'; id: number; done: number; total: number; label: string }
  | { type: 'confinted'; id: number; result: ConfintMsg }
  | { type: 'confintError'; id: number; message: string; cancelled: boolean }
  | { type: 'tmbConfintProgress'; id: number; done: number; total: number; label: string }
  | { type: 'tmbConfinted'; id: number; result: TmbCiMsg }
  | { type: 'tmbConfintError'; id: number; message: string; cancelled: boolean }
  | { type: 'emmeansDone'; id: number; result: EmmMsg }
  | { type: 'emmeansError'; id: number; message: string }
  | { type: 'glhtDone'; id: number; result: GlhtMsg }
  /** the library's refusal; field: the card's field it is about (null: none of them) */
  | { type: 'glhtError'; id: number; message: string; field: GlhtField | null }
  | { type: 'merSimProgress'; id: number; done: number; total: number; label: string }
  | { type: 'merSimDone'; id: number; result: MerSimMsg }
  | { type: 'miProgress'; id: number; done: number; total: number; label: string }
  | { type: 'miDone'; id: number; result: MiMsg }
  /** the library's refusal (field: the card's field it is about, null: none), or Cancel's */
  | { type: 'miError'; id: number; message: string; field: MiField | null; cancelled: boolean }
  /** the library's refusal (field: the card's field it is about, null: none), or Cancel's */
  | { type: 'merSimError'; id: number; message: string; field: MerSimField | null; cancelled: boolean }
  | { type: 'lsMeansDone'; id: number; result: LsmMsg }
  | { type: 'lsMeansError'; id: number; message: string; field: LsmField | null }
  | { type: 'modelTestProgress'; id: number; done: number; total: number; label: string }
  | { type: 'modelTestDone'; id: number; result: ModelTestMsg }
  | { type: 'modelTestError'; id: number; message: string; cancelled: boolean }
  | { type: 'powerProgress'; id: number; done: number; total: number; label: string }
  | { type: 'powerDone'; id: number; result: PowerMsg }
  | { type: 'powerError'; id: number; message: string; cancelled: boolean }
  | { type: 'lmListDone'; id: number; result: LmListMsg }
  | { type: 'lmListError'; id: number; message: string }
  | { type: 'robustDone'; id: number; result: RobustMsg }
  | { type: 'robustError'; id: number; message: string }
  | { type: 'allFitProgress'; id: number; done: number; total: number; label: string }
  | { type: 'allFitDone'; id: number; result: AllFitMsg }
  | { type: 'allFitError'; id: number; message: string; cancelled: boolean }
  | { type: 'ggeffectsDone'; id: number; result: GgMsg }
  | { type: 'ggeffectsError'; id: number; message: string }
  | { type: 'tabModelDone'; id: number; result: TmMsg }
  | { type: 'tabModelError'; id: number; message: string }
  | { type: 'dharmaProgress'; id: number; done: number; total: number; label: string }
  | { type: 'dharmaDone'; id: number; result: DharmaMsg }
  | { type: 'dharmaError'; id: number; message: string; cancelled: boolean }
  | { type: 'perfChecksDone'; id: number; result: PerformanceChecksMsg }
  | { type: 'perfChecksError'; id: number; message: string }
  | { type: 'afexProgress'; id: number; done: number; total: number; label: string }
  | { type: 'afexDone'; id: number; result: AfexMsg }
  | { type: 'afexError'; id: number; message: string; cancelled: boolean }
  | ({ type: 'streamProgress'; id: number } & StreamProgressMsg)
  | { type: 'streamFitted'; id: number; result: StreamResultMsg }
  | { type: 'streamError'; id: number; message: string; cancelled: boolean }
  | { type: 'relmatLoaded'; id: number; info: RelmatInfo }
  | { type: 'relmatError'; id: number; message: string };

/** afex's mixed() on a kept lmer or glmer fit's formula and data: the ANOVA (afex) card's settings */
export interface AfexRequest {
  method: 'KR' | 'S' | 'LRT' | 'PB' | 'nested-KR';
  type: 2 | 3;
  testIntercept: boolean;
  expandRe: boolean;
  /** LRT, PB, nested-KR: afex's per_parameter (regular expressions; a matching term tested one column at a time) */
  perParameter?: string[];
  /** PB: pbkrtest's simulations (afex's args_test nsim; default 1000) and seed */
  nsim?: number;
  seed?: number;
}

/** afex's result as the card shows it */
export interface AfexMsg {
  request: AfexRequest;
  /** anova(mixed): afex's column names and each effect's numbers (null: NA) */
  columns: string[];
  anova: Record<string, string | number | null>[];
  /** nice(mixed): Effect, df, F or Chisq, p.value as afex prints them */
  nice: { columns: string[]; rows: { Effect: string; df: string; stat: string; 'p.value': string }[] };
  /** afex's messages (the contrasts it set, REML set to FALSE, missing values, …) */
  messages: string[];
  /** print(mixed) */
  text: string;
  /** the full model's formula as afex fitted it (the last one for type 2 LRT and PB) */
  fullFormula: string;
  elapsedMs: number;
}

/** What the page shows of a gamm4 fit (a Gaussian formula with smooth terms s(x); ./gamm.ts) */
export interface GammResultMsg {
  /** gamm4's formula (parametric terms and smooths) and random = ~ … (null: none) */
  formula: string;
  random: string | null;
  /** the formula as typed, without its smooths */
  input: string;
  /** gaussian (lmer), binomial or poisson (glmer) with the canonical link */
  family: string;
  link: string;
  reml: boolean;
  n: number;
  /** σ̂ (Gaussian; null for binomial and Poisson) */
  sigma: number | null;
  /** summary.gam's smooth tests: F with the scale estimated (Gaussian), Chi.sq with it known */
  scaleEstimated: boolean;
  /** lme4's REML criterion (or deviance) of the mer: gamm4's gcv.ubre */
  criterion: number;
  rSq: number;
  dfResidual: number;
  logLik: number;
  AIC: number;
  BIC: number;
  /** each smooth: its basis, edf, SD of its random effects and smoothing parameter σ²/σ²_s */
  /** with summary.gam's approximate test of each smooth (Wood 2013): Ref.df, Chi.sq, F (scale estimated; else null), p-value */
  smooths: { label: string; term: string; bs: 'tp' | 'cr' | 'cc' | 'ps'; margins?: ('tp' | 'cr' | 'cc' | 'ps')[]; k: number; edf: number; sd: number; sp: number; refDf: number; chiSq: number; F: number | null; p: number }[];
  /** summary(gam)'s parametric coefficients: t tests (Gaussian) or z tests */
  statName: 't' | 'z';
  parametric: { name: string; estimate: number; se: number; stat: number; p: number }[];
  /** plot.gam's data per smooth (value ± 2 SE on a grid) and the data's covariate values (the rug) */
  plots: { label: string; term: string; x: number[]; fit: number[]; se: number[]; lower: number[]; upper: number[]; rug: number[] }[];
  /** the mer's variance components (the smooths' terms on their groups Xr, Xr.0, …) */
  varCorr: VarCorrRowMsg[];
  smoothGroups: string[];
  /** summary(gam)'s printout and the mer's lme4 summary */
  summary: string;
  merSummary: string;
  messages: string[];
  backend: { name: string; device: string; precision: string };
  elapsedMs: number;
}
