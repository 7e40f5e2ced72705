/**
 * The inference methods of fitted models (issue 11's library interface): fit.coefficients({ ddf }),
 * fit.anova({ ddf, type }), fit.contrast(L), fit.confint({ method }), fit.bootstrap({ nsim, seed }) and
 * predict(newdata, { interval }) and pbkrtest's krModcomp / satModcomp / pbModcomp on lmer fits; confint, bootstrap and drop1 (lme4's) on glmer fits; simulate(nsim,
 * { seed, useU }) on both. The fit classes live below the
 * inference (src/lmm, src/glmm), which imports them, so the methods are installed on their
 * prototypes here; src/fit/lmer.ts and src/fit/glmer.ts load this module.
 */
import { LmmFit } from '../lmm/lmmFit.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { type PredictOptions, checkPredictCall } from '../results/predict.js';
import { naPad } from '../results/naAction.js';
import type { DataInput } from '../io/dataInput.js';
import type { BackendOptions } from '../backend/select.js';
import type { FTest, TTest } from './contest.js';
import type { AnovaTypeOption } from './anovaType.js';
import type { LsMeansOptions, LsMeansTable } from './lsMeans.js';
import type { BootstrapOptions, BootstrapResult } from './bootstrap.js';
import {
  type AnovaRow, type CoefficientRow, type ConfintOptions, type ConfintResult, type Ddf, type IntervalKind, type PredictionIntervals,
  anovaTable, bootstrapFit, lsMeans, checkLme4Criterion, hatValues, coefficientTable, confintGlmm, confintLmm, contrastTest, mlFit, predictWithIntervals, remlFit,
} from './fitInference.js';
import { bootstrapGlmm } from './glmmBootstrap.js';
import { type SimulateOptions, type SimulateResult, simulateFit } from './simulate.js';
import { type Drop1Options, type Drop1Row, drop1Table } from './drop1.js';
import { type GlmmDrop1Options, type GlmmDrop1Table, drop1Glmm } from './glmmDrop1.js';
import { type RanovaOptions, type RanovaRow, ranovaTable } from './ranova.js';
import { type StepOptions, type StepResult, stepLmm } from './step.js';
import { type WaldRow, type WaldType, checkWaldType, waldAnova } from './waldAnova.js';
import { type EmmGrid, type EmmeansOptions, type EmtrendsOptions, emmeans, emtrends } from './emmeans.js';
import { type GgEffects, type GgOptions, ggemmeans, ggpredict } from './ggpredict.js';
import { type Influence, type InfluenceOptions, influenceGlmm, influenceLmm } from './influence.js';
import { type JointTests, type JointTestsOptions, jointTests } from './jointTests.js';
import { type Lme4AnovaRow, lme4Anova } from './lme4Anova.js';
import { getME } from './getME.js';
import { ModelError } from '../errors/errors.js';
import { type KrModcomp, type ModcompSmall, type SatModcomp, krModcomp, satModcomp } from './modcomp.js';
import { type PbModcomp, type PbModcompOptions, pbModcomp } from './pbModcomp.js';
import { type PowerSimOptions, type PowerSimResult, powerSim } from './powerSim.js';
import { type CoefTestOptions, type ConfIntOptions, type WaldTestOptions, coefTest, confIntCR, vcovCR, waldTest } from './robust/robust.js';
import type { VcovCR, VcovCROptions } from './robust/vcovCR.js';
import type { CoefTest, ConfInt } from './robust/coefTest.js';
import type { Constraints, WaldTest } from './robust/waldTest.js';
import { type ExactRlrtOptions, type ExactTest, type RlrtSimOptions, exactLRT, exactRLRT } from './exactRlrt.js';
import { type IccOptions, type IccOutcome, type R2Options, type R2Result, iccOf, r2Nakagawa } from './r2Nakagawa.js';
import { type Glht, type GlhtOptions, type Linfct, glht } from './glht.js';
import { type CaicOptions, type CaicResult, caicGlmm, caicLmm } from './caic.js';
import { type PredictIntervalSimOptions, type PredictIntervalSimResult, predictIntervalSim } from './predictIntervalSim.js';
import { type FeSimRow, type ReSimRow, type SimSummaryOptions, feSim, reSim } from './reSim.js';
import { toArrowTable } from '../io/dataInput.js';
import { OptionError } from '../errors/errors.js';

declare module '../lmm/lmmFit.js' {
  interface LmmFit {
    /** performance's r2_nakagawa(): marginal and conditional R² with insight's variance components (src/inference/r2Nakagawa.ts) */
    r2(options?: R2Options): Promise<R2Result>;
    /** performance's icc(): adjusted and unadjusted ICC, or with { byGroup: true } one per term with an intercept */
    icc(options?: IccOptions): Promise<IccOutcome>;
    /** lmerTest's coefficient table with Satterthwaite's (default) or Kenward–Roger's ddf */
    coefficients(options?: { ddf?: Ddf }): CoefficientRow[];
    /** lmerTest's anova table of type 'III' (default), 'II' or 'I' (also 3, 2, 1) */
    anova(options?: { ddf?: Ddf; type?: AnovaTypeOption }): AnovaRow[];
    /** lmerTest's ls_means: the least-squares means of the factor terms (which, level, ddf; pairwise: difflsmeans), each a t test with its Wald interval (src/inference/lsMeans.ts) */
    lsMeans(options?: LsMeansOptions): LsMeansTable;
    /** lmerTest's difflsmeans: all pairwise differences of the least-squares means of each factor term */
    diffLsMeans(options?: Omit<LsMeansOptions, 'pairwise'>): LsMeansTable;
    /** lme4's anova(fit) (lmerTest's ddf = "lme4"): the fixed-effects terms' sequential sums of squares and F values, no ddf (src/inference/lme4Anova.ts) */
    lme4Anova(): Lme4AnovaRow[];
    /** multcomp's glht(fit, linfct): general linear hypotheses of the fixed effects, mcp()'s multiple comparisons (src/inference/glht.ts) */
    glht(linfct: Linfct, options?: GlhtOptions): Glht;
    /** lme4's getME(fit, name): the model's pieces in lme4's parametrization and order (src/inference/getME.ts: the names, the sparse format, what is refused) */
    getME(name: string): unknown;
    /** the F test of Lβ = 0 (and the t test for one row) */
    contrast(L: number[][] | number[], options?: { ddf?: Ddf }): FTest & { t?: TTest };
    /** lme4's confint (profile by default, Wald, or the parametric bootstrap) */
    confint(options?: ConfintOptions): Promise<ConfintResult>;
    /** lmerTest's ranova: likelihood-ratio tests of the random-effects terms, each reduced ({ reduceTerms: false }: removed) and refitted (src/inference/ranova.ts) */
    ranova(options?: RanovaOptions): Promise<RanovaRow[]>;
    /** RLRsim's exactRLRT: the restricted likelihood-ratio test of one scalar variance component with its simulated finite-sample null distribution; { mA, m0 } when the tested term is one of several (src/inference/exactRlrt.ts) */
    exactRLRT(options?: ExactRlrtOptions): Promise<ExactTest>;
    /** RLRsim's exactLRT(m, m0): the ML likelihood-ratio test against a linear model m0 (its formula), simulated null distribution (src/inference/exactRlrt.ts) */
    exactLRT(m0: string, options?: RlrtSimOptions): Promise<ExactTest>;
    /** lmerTest's drop1: the F test of each marginal fixed-effects term, Satterthwaite's (default) or Kenward–Roger's ddf (src/inference/drop1.ts) */
    drop1(options?: Drop1Options): Drop1Row[];
    /** lmerTest's step: backward elimination of random-effects terms (ranova) then fixed-effects terms (drop1), with the final model (src/inference/step.ts) */
    step(options?: StepOptions): Promise<StepResult>;
    /** the parametric bootstrap (lme4's bootMer with confint's statistics) */
    bootstrap(options: BootstrapOptions & BackendOptions): Promise<BootstrapResult & { messages: string[] }>;
    /** predictions (the linear predictor, as before; without newdata, of the fit's own rows) */
    predict(newdata?: DataInput, options?: PredictOptions): Float64Array;
    /** predictions with confidence or prediction intervals */
    predict(newdata: DataInput, options: PredictOptions & { interval: IntervalKind; level?: number }): PredictionIntervals;
    /** lme4's simulate(): nsim responses drawn from the fitted model (src/inference/simulate.ts) */
    simulate(nsim?: number, options?: SimulateOptions): SimulateResult;
    /** merTools's predictInterval: prediction intervals by simulation of β, the random effects and σ (src/inference/predictIntervalSim.ts) */
    predictIntervalSim(newdata: DataInput, options?: PredictIntervalSimOptions): PredictIntervalSimResult;
    /** merTools's REsim: per level and random-effects column, the mean, median and SD of arm's sim draws (src/inference/reSim.ts) */
    REsim(options?: SimSummaryOptions): ReSimRow[];
    /** merTools's FEsim: per fixed effect, the mean, median and SD of arm's sim draws (src/inference/reSim.ts) */
    FEsim(options?: SimSummaryOptions): FeSimRow[];
    /** lme4's hatvalues(): the hat matrix's diagonal, one sparse solve a row (fitInference.ts hatValues) */
    hatvalues(): Float64Array;
    /** emmeans's estimated marginal means (specs '~ A', '~ A | B', ['A', 'B']) with their contrasts (src/inference/emmeans.ts) */
    emmeans(specs: string | string[], options?: EmmeansOptions): EmmGrid;
    /** ggeffects's ggpredict: adjusted predictions at the focal terms' representative values (src/inference/ggpredict.ts) */
    ggpredict(terms: string | string[], options?: GgOptions): GgEffects;
    /** ggeffects's ggemmeans: the focal terms' estimated marginal means as adjusted predictions (src/inference/ggpredict.ts) */
    ggemmeans(terms: string | string[], options?: GgOptions): GgEffects;
    /** emmeans's emtrends: a covariate's slopes by the specs' levels */
    emtrends(specs: string | string[], options: EmtrendsOptions): EmmGrid;
    /** emmeans's joint_tests: an F test of each model term from the means' interaction contrasts (src/inference/jointTests.ts) */
    jointTests(options?: JointTestsOptions): JointTests;
    /** lme4's influence(): the fit without each level of `groups` (or each observation), with cooksDistance(), dfbeta(), dfbetas() (src/inference/influence.ts) */
    influence(options?: InfluenceOptions): Promise<Influence>;
    /** cAIC4's cAIC(fit): the conditional AIC of Greven & Kneib (2010), REML or ML, with cAIC4's removal of zero variance components (src/inference/caic.ts; formatCaic prints it) */
    cAIC(options?: CaicOptions): Promise<CaicResult>;
    /** pbkrtest's KRmodcomp(this, small): Kenward–Roger's F test against a nested fit or a restriction matrix L (src/inference/modcomp.ts) */
    krModcomp(small: ModcompSmall): Promise<KrModcomp>;
    /** pbkrtest's SATmodcomp(this, small): the F test with Satterthwaite's ddf (src/inference/modcomp.ts) */
    satModcomp(small: ModcompSmall): Promise<SatModcomp>;
    /** pbkrtest's PBmodcomp(this, small, nsim): the parametric-bootstrap likelihood-ratio test (src/inference/pbModcomp.ts) */
    pbModcomp(small: LmmFit, options?: PbModcompOptions): Promise<PbModcomp>;
    /** simr's powerSim: the power of a test of a fixed effect by simulation, with effect sizes changed by { fixef } (src/inference/powerSim.ts) */
    powerSim(options?: PowerSimOptions): Promise<PowerSimResult>;
    /** lme4's update(fit, REML = TRUE): the same model refitted by REML (the fit itself when it is one; cached) */
    remlFit(): Promise<LmmFit>;
    /** clubSandwich's vcovCR: the cluster-robust variance of β̂, type 'CR2' (default), 'CR0', 'CR1', 'CR1p', 'CR1S', 'CR3' (src/inference/robust/) */
    vcovCR(options?: VcovCROptions): VcovCR;
    /** clubSandwich's coef_test: t tests with cluster-robust SEs, Satterthwaite's df (default), naive-t, naive-tp, z or saddlepoint */
    coefTest(options?: CoefTestOptions): CoefTest;
    /** clubSandwich's conf_int: intervals with cluster-robust SEs */
    confIntCR(options?: ConfIntOptions): ConfInt;
    /** clubSandwich's Wald_test: the cluster-robust test of C β = 0, HTZ (default) and the other small-sample tests */
    waldTest(constraints: Constraints, options?: WaldTestOptions): WaldTest;
    /** lme4's update(fit, REML = FALSE): the same model refitted by ML (the fit itself when it is one; cached) */
    mlFit(): Promise<LmmFit>;
  }
}

declare module '../glmm/glmmFit.js' {
  interface GlmmFit {
    /** performance's r2_nakagawa(): marginal and conditional R² with insight's variance components (src/inference/r2Nakagawa.ts) */
    r2(options?: R2Options): Promise<R2Result>;
    /** performance's icc(): adjusted and unadjusted ICC, or with { byGroup: true } one per term with an intercept */
    icc(options?: IccOptions): Promise<IccOutcome>;
    /** lme4's confint for a glmer fit: profile (default), Wald or the parametric bootstrap */
    confint(options?: ConfintOptions): Promise<ConfintResult>;
    /** the parametric bootstrap (lme4's bootMer with confint's statistics: SDs, correlations, β) */
    bootstrap(options: BootstrapOptions): Promise<BootstrapResult & { messages: string[] }>;
    /** lme4's simulate(): nsim responses drawn from the fitted model (src/inference/simulate.ts) */
    simulate(nsim?: number, options?: SimulateOptions): SimulateResult;
    /** merTools's predictInterval: prediction intervals by simulation of β, the random effects and σ (src/inference/predictIntervalSim.ts) */
    predictIntervalSim(newdata: DataInput, options?: PredictIntervalSimOptions): PredictIntervalSimResult;
    /** merTools's REsim: per level and random-effects column, the mean, median and SD of arm's sim draws (src/inference/reSim.ts) */
    REsim(options?: SimSummaryOptions): ReSimRow[];
    /** merTools's FEsim: per fixed effect, the mean, median and SD of arm's sim draws (src/inference/reSim.ts) */
    FEsim(options?: SimSummaryOptions): FeSimRow[];
    /** emmeans's estimated marginal means on the link or response scale (src/inference/emmeans.ts) */
    emmeans(specs: string | string[], options?: EmmeansOptions): EmmGrid;
    /** ggeffects's ggpredict: adjusted predictions on the response scale (src/inference/ggpredict.ts) */
    ggpredict(terms: string | string[], options?: GgOptions): GgEffects;
    /** ggeffects's ggemmeans: the focal terms' estimated marginal means on the response scale (src/inference/ggpredict.ts) */
    ggemmeans(terms: string | string[], options?: GgOptions): GgEffects;
    /** car's Anova: a Wald χ² test per fixed-effects term, type 'II' (default) or 'III' (src/inference/waldAnova.ts) */
    anova(options?: { type?: WaldType | 2 | 3 }): WaldRow[];
    /** lme4's anova(fit): the fixed-effects terms' sequential sums of squares and F values (Wald F = χ²/df, no df) (src/inference/lme4Anova.ts) */
    lme4Anova(): Lme4AnovaRow[];
    /** multcomp's glht(fit, linfct): general linear hypotheses of the fixed effects, mcp()'s multiple comparisons (src/inference/glht.ts) */
    glht(linfct: Linfct, options?: GlhtOptions): Glht;
    /** lme4's getME(fit, name): the model's pieces in lme4's parametrization and order (src/inference/getME.ts: the names, the sparse format, what is refused) */
    getME(name: string): unknown;
    /** emmeans's emtrends: a covariate's slopes by the specs' levels */
    emtrends(specs: string | string[], options: EmtrendsOptions): EmmGrid;
    /** emmeans's joint_tests: a Wald F (χ²/df) test of each model term from the means' interaction contrasts (src/inference/jointTests.ts) */
    jointTests(options?: JointTestsOptions): JointTests;
    /** lme4's drop1(fit, test = "Chisq"): each marginal fixed-effects term dropped and the model refitted; npar, AIC, LRT, Pr(Chi) (src/inference/glmmDrop1.ts) */
    drop1(options?: GlmmDrop1Options): Promise<GlmmDrop1Table>;
    /** lme4's influence(): the fit without each level of `groups` (or each observation), refitted from θ̂, with cooksDistance(), dfbeta(), dfbetas() (src/inference/influence.ts) */
    influence(options?: InfluenceOptions): Promise<Influence>;
    /** cAIC4's cAIC(fit) for Poisson and Bernoulli fits: the conditional log-likelihood and Säfken et al.'s bias correction by refits (src/inference/caic.ts) */
    cAIC(options?: CaicOptions): Promise<CaicResult>;
    /** refused: RLRsim's tests are for linear mixed models (lmer fits) */
    exactRLRT(options?: ExactRlrtOptions): Promise<ExactTest>;
    /** refused: RLRsim's tests are for linear mixed models (lmer fits) */
    exactLRT(m0: string, options?: RlrtSimOptions): Promise<ExactTest>;
    /** refused: lmerTest's step is for lmer fits (its ranova and drop1 F tests) */
    step(options?: StepOptions): Promise<StepResult>;
    /** simr's powerSim of a glmer fit: z or lr tests of a fixed effect by simulation (src/inference/powerGlmm.ts) */
    powerSim(options?: PowerSimOptions): Promise<PowerSimResult>;
    /** refused: clubSandwich 0.5.8 has no glmerMod method (cluster-robust inference is for lmer fits) */
    vcovCR(options?: VcovCROptions): VcovCR;
    /** refused: clubSandwich 0.5.8 has no glmerMod method */
    coefTest(options?: CoefTestOptions): CoefTest;
    /** refused: clubSandwich 0.5.8 has no glmerMod method */
    confIntCR(options?: ConfIntOptions): ConfInt;
    /** refused: clubSandwich 0.5.8 has no glmerMod method */
    waldTest(constraints: Constraints, options?: WaldTestOptions): WaldTest;
  }
}

/** lme4's simulate ends in napredict: each draw padded to the input's rows with naAction 'exclude' */
function padSimulation(fit: LmmFit | GlmmFit, r: SimulateResult): SimulateResult {
  return { ...r, y: r.y.map((y) => naPad(fit.model.frame, y)) };
}

/** predictIntervalSim's new data as Arrow (required: merTools's default, the model frame, is not taken) */
function newTable(newdata: DataInput | undefined) {
  if (newdata === undefined || newdata === null) throw new OptionError('newdata', 'predictIntervalSim needs new data: an Arrow table, an array of row objects or an object of columns');
  return toArrowTable(newdata, 'newdata');
}

const plainPredict = LmmFit.prototype.predict as (this: LmmFit, newdata?: DataInput, options?: PredictOptions) => Float64Array;

Object.assign(LmmFit.prototype, {
  r2(this: LmmFit, options?: R2Options) { return r2Nakagawa(this, options); },
  icc(this: LmmFit, options?: IccOptions) { return iccOf(this, options); },
  coefficients(this: LmmFit, options?: { ddf?: Ddf }) { return coefficientTable(this, options).rows; },
  anova(this: LmmFit, options?: { ddf?: Ddf; type?: AnovaTypeOption }) { return anovaTable(this, options).rows; },
  lsMeans(this: LmmFit, options?: LsMeansOptions) { return lsMeans(this, options); },
  diffLsMeans(this: LmmFit, options?: Omit<LsMeansOptions, 'pairwise'>) { return lsMeans(this, { ...options, pairwise: true }); },
  contrast(this: LmmFit, L: number[][] | number[], options?: { ddf?: Ddf }) { return contrastTest(this, L, options); },
  confint(this: LmmFit, options?: ConfintOptions) { return confintLmm(this, options); },
  async ranova(this: LmmFit, options?: RanovaOptions) { return (await ranovaTable(this, options)).rows; },
  exactRLRT(this: LmmFit, options?: ExactRlrtOptions) { return exactRLRT(this, options); },
  exactLRT(this: LmmFit, m0: string, options?: RlrtSimOptions) { return exactLRT(this, m0, options); },
  drop1(this: LmmFit, options?: Drop1Options) { return drop1Table(this, options).rows; },
  step(this: LmmFit, options?: StepOptions) { return stepLmm(this, options); },
  bootstrap(this: LmmFit, options: BootstrapOptions & BackendOptions) { return bootstrapFit(this, options); },
  simulate(this: LmmFit, nsim?: number, options?: SimulateOptions) { return padSimulation(this, simulateFit(this, nsim, options)); },
  predictIntervalSim(this: LmmFit, newdata: DataInput, options?: PredictIntervalSimOptions) { return predictIntervalSim(this, newTable(newdata), options); },
  REsim(this: LmmFit, options?: SimSummaryOptions) { return reSim(this, options); },
  FEsim(this: LmmFit, options?: SimSummaryOptions) { return feSim(this, options); },
  // lme4's hatvalues.merMod ends in napredict: with naAction 'exclude', padded to the input's rows
  hatvalues(this: LmmFit) { return naPad(this.model.frame, hatValues(this)); },
  influence(this: LmmFit, options?: InfluenceOptions) { return influenceLmm(this, options); },
  cAIC(this: LmmFit, options?: CaicOptions) { return caicLmm(this, options); },
  krModcomp(this: LmmFit, small: ModcompSmall) { return krModcomp(this, small); },
  satModcomp(this: LmmFit, small: ModcompSmall) { return satModcomp(this, small); },
  pbModcomp(this: LmmFit, small: LmmFit, options?: PbModcompOptions) { return pbModcomp(this, small, options); },
  powerSim(this: LmmFit, options?: PowerSimOptions) { return powerSim(this, options); },
  remlFit(this: LmmFit) { return remlFit(this); },
  mlFit(this: LmmFit) { return mlFit(this); },
  vcovCR(this: LmmFit, options?: VcovCROptions) { return vcovCR(this, options); },
  coefTest(this: LmmFit, options?: CoefTestOptions) { return coefTest(this, options); },
  confIntCR(this: LmmFit, options?: ConfIntOptions) { return confIntCR(this, options); },
  waldTest(this: LmmFit, constraints: Constraints, options?: WaldTestOptions) { return waldTest(this, constraints, options); },
  emmeans(this: LmmFit, specs: string | string[], options?: EmmeansOptions) { return emmeans(this, specs, options); },
  ggpredict(this: LmmFit, terms: string | string[], options?: GgOptions) { return ggpredict(this, terms, options); },
  ggemmeans(this: LmmFit, terms: string | string[], options?: GgOptions) { return ggemmeans(this, terms, options); },
  lme4Anova(this: LmmFit) { return lme4Anova(this); },
  glht(this: LmmFit, linfct: Linfct, options?: GlhtOptions) { return glht(this, linfct, options); },
  getME(this: LmmFit, name: string) { return getME(this, name); },
  emtrends(this: LmmFit, specs: string | string[], options: EmtrendsOptions) { return emtrends(this, specs, options); },
  jointTests(this: LmmFit, options?: JointTestsOptions) { return jointTests(this, options); },
  predict(this: LmmFit, newdata?: DataInput, options: PredictOptions & { interval?: IntervalKind; level?: number } = {}) {
    // the arguments checked (interval and level among lmer predict's options), the data as Arrow
    // (null: none given, the fit's own rows, for which checkPredictCall refuses intervals)
    const data = checkPredictCall(newdata, options, false);
    const { interval, level, ...rest } = options;
    if (interval === undefined || !data) return plainPredict.call(this, data ?? undefined, rest);
    return predictWithIntervals(this, data, { ...rest, interval, level });
  },
});

Object.assign(GlmmFit.prototype, {
  r2(this: GlmmFit, options?: R2Options) { return r2Nakagawa(this, options); },
  icc(this: GlmmFit, options?: IccOptions) { return iccOf(this, options); },
  confint(this: GlmmFit, options?: ConfintOptions) { return confintGlmm(this, options); },
  powerSim(this: GlmmFit, options?: PowerSimOptions) { return powerSim(this, options); },
  simulate(this: GlmmFit, nsim?: number, options?: SimulateOptions) { return padSimulation(this, simulateFit(this, nsim, options)); },
  predictIntervalSim(this: GlmmFit, newdata: DataInput, options?: PredictIntervalSimOptions) { return predictIntervalSim(this, newTable(newdata), options); },
  REsim(this: GlmmFit, options?: SimSummaryOptions) { return reSim(this, options); },
  FEsim(this: GlmmFit, options?: SimSummaryOptions) { return feSim(this, options); },
  emmeans(this: GlmmFit, specs: string | string[], options?: EmmeansOptions) { return emmeans(this, specs, options); },
  ggpredict(this: GlmmFit, terms: string | string[], options?: GgOptions) { return ggpredict(this, terms, options); },
  ggemmeans(this: GlmmFit, terms: string | string[], options?: GgOptions) { return ggemmeans(this, terms, options); },
  lme4Anova(this: GlmmFit) { return lme4Anova(this); },
  glht(this: GlmmFit, linfct: Linfct, options?: GlhtOptions) { return glht(this, linfct, options); },
  getME(this: GlmmFit, name: string) { return getME(this, name); },
  anova(this: GlmmFit, options: { type?: WaldType | 2 | 3 } = {}) {
    return waldAnova(this.model.frame, this.beta, Float64Array.from(this.vcov.flat()), checkWaldType(options.type));
  },
  emtrends(this: GlmmFit, specs: string | string[], options: EmtrendsOptions) { return emtrends(this, specs, options); },
  jointTests(this: GlmmFit, options?: JointTestsOptions) { return jointTests(this, options); },
  drop1(this: GlmmFit, options?: GlmmDrop1Options) { return drop1Glmm(this, options); },
  // clubSandwich has no glmerMod method: checkRobustFit refuses with that reason
  vcovCR(this: GlmmFit, options?: VcovCROptions) { return vcovCR(this as unknown as LmmFit, options); },
  coefTest(this: GlmmFit, options?: CoefTestOptions) { return coefTest(this as unknown as LmmFit, options); },
  confIntCR(this: GlmmFit, options?: ConfIntOptions) { return confIntCR(this as unknown as LmmFit, options); },
  waldTest(this: GlmmFit, constraints: Constraints, options?: WaldTestOptions) { return waldTest(this as unknown as LmmFit, constraints, options); },
  influence(this: GlmmFit, options?: InfluenceOptions) { return influenceGlmm(this, options); },
  cAIC(this: GlmmFit, options?: CaicOptions) { return caicGlmm(this, options); },
  // async, so that the refusal is a rejected promise
  async exactRLRT(this: GlmmFit) {
    throw new ModelError("exactRLRT is RLRsim's, for linear mixed models (lmer fits): its null distribution is that of a Gaussian model's restricted likelihood ratio; for a glmer fit compare nested fits with anova([m0, m1])");
  },
  async exactLRT(this: GlmmFit) {
    throw new ModelError("exactLRT is RLRsim's, for linear mixed models (lmer fits): its null distribution is that of a Gaussian model's likelihood ratio; for a glmer fit compare nested fits with anova([m0, m1])");
  },
  async step(this: GlmmFit) {
    throw new ModelError("step (backward elimination) is lmerTest's, for linear mixed models (lmer fits): its likelihood-ratio tests of the random-effects terms and F tests of the fixed-effects terms have no glmer counterpart there; for a glmer fit, drop1() gives lme4's likelihood-ratio test of each marginal fixed-effects term, and anova([m0, m1]) compares nested fits");
  },
  // async, so that a refusal is a rejected promise as lmer's bootstrap's is
  async bootstrap(this: GlmmFit, options: BootstrapOptions) {
    checkLme4Criterion(this, 'the parametric bootstrap');
    return bootstrapGlmm(this, options);
  },
});
