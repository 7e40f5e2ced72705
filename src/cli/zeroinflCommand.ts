/**
 * `mixedgpu zeroinfl FILE FORMULA [--family poisson] [--zi '~ 1'] [--weights COL] [--disp '~ 1'] [--reml] [--factors a,b] [--predict TYPE]
 * [--dharma [--nsim 250] [--seed 123] [--unconditional]] [--check] [--json]`: a glmmTMB model (a
 * zero-inflated or hurdle count GLMM, a binomial, betabinomial, beta, gaussian, Gamma or tweedie GLMM, with glmmTMB's ziformula and dispformula,
 * src/zeroinfl) on the CPU; prints glmmTMB's summary, the fit's JSON,
 * one prediction per row (--predict response, conditional, zprob, link, zlink, disp), DHARMa's residual tests
 * (--dharma: print.DHARMa, testUniformity, testDispersion, testZeroInflation, testOutliers, as
 * `mixedgpu dharma` prints them for glmer) or performance's check_overdispersion and check_zeroinflation
 * (--check: each check that applies to the family, a note with the reason for a refused one), performance's
 * r2 and icc (--r2 [--by-group] [--tolerance 1e-5]: Nakagawa's R² and the ICC, src/zeroinfl/r2.ts) or
 * model_performance (--performance: AIC, AICc, BIC, R², ICC, RMSE, Sigma, Log_loss and the scores).
 * With `--emmeans SPECS [--component zi] [--type response] [--by B] [--at …] [--emm-weights …]
 * [--level 0.95] [--contrast pairwise] [--ref LEVEL] [--adjust METHOD] [--offset 0]`: the fit's estimated marginal
 * means (emmeans on glmmTMB, src/zeroinfl/emmeans.ts) and their contrasts instead, as `mixedgpu clmm
 * --emmeans` prints them; `--trend VAR` with it: the component's slopes in VAR (emtrends). With
 * `--joint-tests [--component zi] [--by B]`: emmeans's joint_tests of the component's terms. With
 * `--tidy [effects] [--component cond,zi] [--conf-int] [--conf-level p] [--scales vcov] [--ran-prefix a,b]
 * [--exponentiate] --glance`: broom.mixed's tidy.glmmTMB and glance.glmmTMB tables instead (broomCommand.ts);
 * `--augment OUT.csv`: augment.glmmTMB's rows (the data's columns, .fitted, .se.fit, .resid) written to a new file.
 * With `--ggpredict TERM [--ggpredict TERM2] [--type fixed|random|zero_inflated|zi_random] [--level p] [--typical
 * median] [--condition 'x=2']` (or `--ggemmeans TERM`): ggeffects's adjusted predictions (src/zeroinfl/ggpredict.ts),
 * printed as `mixedgpu ggpredict` prints them.
 * `--parameters [--ci-method wald|normal] [--ci p] [--effects fixed|random|all] [--component all|conditional|zi|dispersion]
 * [--exponentiate]`: parameters's model_parameters table instead (src/parameters/tmb.ts, printed as parameters prints it).
 * With `--confint [wald|uniroot|profile] [--parm theta_] [--level p] [--component cond,zi,other] [--full]`: glmmTMB's
 * confint (src/zeroinfl/confint.ts), printed as R prints its matrix (or JSON). With `--profile OUT.csv [--parm]
 * [--npts n] [--level-max p]`: glmmTMB's profile(fit) (src/zeroinfl/profile.ts) written as CSV.
 * With `--glht FACTOR=TYPE [--component zi] [--test T] [--confint] [--level p] [--cld] …`: multcomp's glht of the
 * component (glhtCommand.ts); --test, --confint (without a method), --level and --component are then glht's.
 * Model comparison and term tests (src/zeroinfl/anova.ts): `--anova [II|III|2|3] [--component cond|zi|disp]`
 * car's Anova (Wald χ² per term of the component); `--drop1 [--scope a,b] [--test chisq|none]` stats' drop1
 * (each conditional term refitted without it); `--compare 'FORMULA[; zi=~…][; disp=~…][; family=F]'`
 * (repeatable) glmmTMB's anova(m0, m1, …) of this fit (m0) and the fits of the other formulas (m1, …: this
 * command's --zi, --disp, --family unless the spec gives its own), on the same data.
 */
import { writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { type CliIO, CliError, errorMessage } from './fitCommand.js';
import { ModelError } from '../errors/errors.js';
import { readTableFileAsync } from '../io/node.js';
import { zeroInflated } from '../zeroinfl/zeroInflated.js';
import type { ZiFamily } from '../zeroinfl/model.js';
import type { ZiPredictType } from '../zeroinfl/zeroInflatedFit.js';
import { numberArg } from './inferenceCommands.js';
import { printDharma, testDispersion, testOutliers, testUniformity, testZeroInflation } from '../diagnostics/dharmaTests.js';
import { type HTest, printHTest } from '../diagnostics/htest.js';
import { printOverdispersion } from '../checks/overdispersion.js';
import { printZeroInflation } from '../checks/zeroInflation.js';
import { printModelPerformance } from '../checks/modelPerformance.js';
import { printIcc, printIccByGroup, printR2 } from '../inference/r2Nakagawa.js';
import { ZI_EMM_COMPONENTS, type ZiEmmComponent } from '../zeroinfl/emmBasis.js';
import type { ZiEmmeansOptions } from '../zeroinfl/emmeans.js';
import type { ZeroInflatedFit } from '../zeroinfl/zeroInflatedFit.js';
import { printEmmGrid, sharedEmmOptions } from './emmeansOutput.js';
import { type BroomArgs, broomTidyOptions, printBroom, wantsBroom } from './broomCommand.js';
import { type ParametersTableArgs, parametersTableOptions, printParameters } from './parametersCommand.js';
import { modelParameters } from '../parameters/modelParameters.js';
import { ggOptionsFromArgs, printGgEffects } from './ggeffectsCommand.js';
import type { TmbConfintComponent } from '../zeroinfl/confint.js';
import { TMB_COMPONENTS, type TmbComponent, anovaTmb } from '../zeroinfl/anova.js';
import { type WaldType, checkWaldType } from '../inference/waldAnova.js';
import { type FitGlhtArgs, fitGlhtPlan, printGlhtPlan } from './glhtCommand.js';

export interface ZeroinflArgs extends Omit<FitGlhtArgs, 'test' | 'confint' | 'level' | 'json'>, Pick<BroomArgs, 'tidy' | 'glance' | 'augment' | 'confInt' | 'confLevel' | 'scales' | 'ranPrefix' | 'exponentiate'>, Pick<ParametersTableArgs, 'ciMethod' | 'ci' | 'effects'> {
  /** parameters's model_parameters table instead of the summary (--ci-method, --ci, --effects, --component, --exponentiate) */
  parameters?: boolean;
  /** ggeffects's ggpredict of the fit at these focal terms (x, group, facet) instead of the summary */
  ggpredict?: string[];
  /** ggeffects's ggemmeans of the fit at these focal terms */
  ggemmeans?: string[];
  /** --ggpredict, --ggemmeans: the other covariates' value, mean or median */
  typical?: string;
  /** --ggpredict, --ggemmeans: non-focal variables' values, 'x=2;h=lo' */
  condition?: string;
  file?: string;
  formula?: string;
  family?: string;
  zi?: string;
  /** binomial and betabinomial: the trials of a proportion response (a column) */
  weights?: string;
  /** glmmTMB's dispformula */
  disp?: string;
  /** glmmTMB's REML = TRUE */
  reml?: boolean;
  factors?: string;
  predict?: string;
  /** DHARMa's simulated residuals and tests */
  dharma?: boolean;
  nsim?: string | number;
  seed?: string | number;
  /** DHARMa's simulateREs = "unconditional" (glmmTMB 1.1.5's simulate) */
  unconditional?: boolean;
  /** performance's check_overdispersion and check_zeroinflation */
  check?: boolean;
  /** performance's r2 (r2_nakagawa) and icc (src/zeroinfl/r2.ts) */
  r2?: boolean;
  /** --r2: also the ICC of each random-effects term with an intercept (icc(by_group = TRUE)) */
  byGroup?: boolean;
  /** --r2: insight's tolerance of the singularity check (default 1e-5) */
  tolerance?: string | number;
  /** performance's model_performance */
  performance?: boolean;
  /** the means' specs ('~ mined', '~ mined | spp', mined,spp): print emmeans instead of the summary */
  emmeans?: string;
  /** --emmeans: glmmTMB's component (cond, zi, disp) */
  component?: string;
  by?: string;
  at?: string;
  emmWeights?: string;
  type?: string;
  level?: string;
  contrast?: string;
  ref?: string;
  adjust?: string;
  /** --emmeans: a constant offset in place of the grid's */
  offset?: string;
  /** --emmeans: emtrends's variable (the component's slopes in it) */
  trend?: string;
  /** emmeans's joint_tests of the component's terms (--component, --by) */
  jointTests?: boolean;
  /** glmmTMB's confint instead of the summary: wald (true or 'wald'), uniroot (the profile likelihood's ends) or profile (glmmTMB's spline through tmbprofile's points) */
  confint?: boolean | string;
  /** glmmTMB's profile(fit) written to this CSV file instead of the summary */
  profile?: string;
  /** --profile: glmmTMB's npts */
  npts?: string;
  /** --profile: glmmTMB's level_max */
  levelMax?: string;
  /** --confint, --profile: glmmTMB's parm (comma-separated names, theta_, beta_, disp_, or 1-based positions) */
  parm?: string;
  /** --confint: the sigma row (wald), the dispersion parameter (uniroot) */
  full?: boolean;
  /** car's Anova of the component's terms (Wald χ²): true (type II) or the type (II, III, 2, 3) */
  anova?: boolean | string;
  /** stats' drop1 of the conditional model's terms (refits) */
  drop1?: boolean;
  /** --drop1: comma-separated terms of the conditional model (default the terms no other term contains) */
  scope?: string;
  /** --drop1: chisq (default) or none */
  test?: string;
  /** glmmTMB's anova(m0, m1, …): the other models, 'FORMULA[; zi=~…][; disp=~…][; family=F]' */
  compare?: string[];
  backend?: string;
  json?: boolean;
  quiet?: boolean;
}

/** --compare's spec: the formula, then `; zi=~…`, `; disp=~…`, `; family=F` (each optional) */
export function compareSpec(spec: string): { formula: string; zi?: string; disp?: string; family?: string } {
  const parts = spec.split(';').map((x) => x.trim());
  const formula = parts[0];
  if (!formula || !formula.includes('~')) throw new CliError(`--compare '${spec}': begin with the model's formula, e.g. 'count ~ 1 + (1 | site); zi=~mined'`);
  const out: { formula: string; zi?: string; disp?: string; family?: string } = { formula };
  for (const p of parts.slice(1)) {
    if (p === '') continue;
    const m = /^(zi|disp|family)\s*=\s*(.+)$/.exec(p);
    if (!m) throw new CliError(`--compare '${spec}': '${p}' is not zi=~…, disp=~… or family=NAME`);
    const key = m[1] as 'zi' | 'disp' | 'family';
    if (out[key] !== undefined) throw new CliError(`--compare '${spec}': ${key} given twice`);
    out[key] = m[2].trim();
  }
  return out;
}

const EMM_ONLY = ['component', 'by', 'at', 'emmWeights', 'type', 'level', 'contrast', 'ref', 'adjust', 'offset', 'trend'] as const;
/** the options that --joint-tests takes (the rest of EMM_ONLY are the means') */
const JOINT = ['component', 'by'];
const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
const PREDICT_TYPES = ['response', 'conditional', 'zprob', 'link', 'zlink', 'disp'];
const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

/** --confint's method: true (the flag alone) is glmmTMB's default, wald */
function confintMethod(v: boolean | string | undefined): 'wald' | 'uniroot' | 'profile' | null {
  if (v === undefined || v === false) return null;
  if (v === true) return 'wald';
  const m = v.toLowerCase();
  if (m !== 'wald' && m !== 'uniroot' && m !== 'profile') throw new CliError(`--confint takes wald (the default), uniroot or profile, got '${v}'`);
  return m;
}

/** --anova's type: II (the default), III, 2 or 3 */
function checkWaldTypeArg(v: string | undefined): WaldType {
  try {
    return checkWaldType(v);
  } catch {
    throw new CliError(`--anova takes the type II (the default) or III (also 2, 3), got '${v}'`);
  }
}

/** NaN (glmmTMB's NA) as JSON's null */
const nullIfNaN = (v: number) => (Number.isNaN(v) ? null : v);

/** Runs `mixedgpu zeroinfl`; returns the exit code. */
export async function runZeroinfl(args: ZeroinflArgs, io: CliIO): Promise<number> {
  try {
    // multcomp's glht of a component (--glht FACTOR=TYPE [--component zi]): its options checked before the fit;
    // --test, --confint, --level and --component are then glht's, not --drop1's, glmmTMB's confint's or the means'
    const modeGiven = (['anova', 'drop1', 'compare', 'profile', 'ggpredict', 'ggemmeans', 'predict', 'dharma', 'check', 'r2', 'performance', 'emmeans', 'jointTests', 'tidy', 'glance', 'augment', 'parameters'] as const)
      .filter((k) => args[k] !== undefined && args[k] !== false && !(Array.isArray(args[k]) && (args[k] as unknown[]).length === 0)).map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
    const glhtP = fitGlhtPlan(args, ['test', 'confint', 'level'], modeGiven);
    const glhtComponent = glhtP ? args.component : undefined;
    if (glhtP) args = { ...args, test: undefined, confint: undefined, level: undefined, component: undefined };
    if (!args.file) throw new CliError('missing data file');
    if (!args.formula || !args.formula.trim()) throw new CliError('missing model formula');
    if (args.predict !== undefined && !PREDICT_TYPES.includes(args.predict)) throw new CliError(`--predict must be one of ${PREDICT_TYPES.join(', ')}, got '${args.predict}'`);
    const gg = args.ggpredict?.length ? 'ggpredict' : args.ggemmeans?.length ? 'ggemmeans' : null;
    const confint = confintMethod(args.confint);
    const compare = args.compare?.length ? args.compare.map(compareSpec) : null;
    const modes = [args.anova !== undefined && args.anova !== false ? '--anova' : null, args.drop1 ? '--drop1' : null, compare ? '--compare' : null, confint ? '--confint' : null, args.profile !== undefined ? '--profile' : null, args.ggpredict?.length ? '--ggpredict' : null, args.ggemmeans?.length ? '--ggemmeans' : null, args.predict !== undefined ? '--predict' : null, args.dharma ? '--dharma' : null, args.check ? '--check' : null, args.r2 ? '--r2' : null, args.performance ? '--performance' : null, args.emmeans !== undefined ? '--emmeans' : null, args.jointTests ? '--joint-tests' : null, wantsBroom(args) ? '--tidy/--glance/--augment' : null, args.parameters ? '--parameters' : null].filter((x) => x !== null);
    if (modes.length > 1) throw new CliError(`give one of ${modes.join(', ')}`);
    if (!args.dharma && (args.nsim !== undefined || args.seed !== undefined || args.unconditional)) throw new CliError('--nsim, --seed and --unconditional are options of --dharma');
    if (!args.r2 && (args.byGroup || args.tolerance !== undefined)) throw new CliError('--by-group and --tolerance are options of --r2');
    const tolerance = numberArg(args.tolerance, 'tolerance', false);
    if (!gg && (args.typical !== undefined || args.condition !== undefined)) throw new CliError('--typical and --condition are options of --ggpredict and --ggemmeans');
    if (args.profile === undefined && (args.npts !== undefined || args.levelMax !== undefined)) throw new CliError('--npts and --level-max are options of --profile');
    if (!confint && args.profile === undefined && args.parm !== undefined) throw new CliError('--parm and --full are options of --confint (--parm also of --profile)');
    if (!confint && args.full) throw new CliError('--parm and --full are options of --confint');
    const npts = numberArg(args.npts, 'npts', false);
    const levelMax = numberArg(args.levelMax, 'level-max', false);
    if (!args.drop1 && (args.scope !== undefined || args.test !== undefined)) throw new CliError('--scope and --test are options of --drop1');
    const wald = args.anova !== undefined && args.anova !== false;
    const anovaType = wald ? checkWaldTypeArg(args.anova === true ? undefined : String(args.anova)) : undefined;
    if (wald && args.component !== undefined && !(TMB_COMPONENTS as readonly string[]).includes(args.component)) {
      throw new CliError(`--component must be one of ${TMB_COMPONENTS.join(', ')} with --anova (car's Anova of glmmTMB's component), got '${args.component}'`);
    }
    const drop1Test = args.test === undefined ? 'Chisq' : ({ chisq: 'Chisq', none: 'none' } as const)[args.test.toLowerCase() as 'chisq' | 'none'];
    if (drop1Test === undefined) throw new CliError(`unknown --test '${args.test}' (choose chisq or none)`);
    const paramOnly = (['ciMethod', 'ci', 'effects'] as const).find((k) => args[k] !== undefined);
    if (!args.parameters && paramOnly) throw new CliError(`${flag(paramOnly)} is an option of --parameters (parameters's model_parameters table)`);
    // parameters's table: its options checked before the fit
    const paramOptions = args.parameters ? parametersTableOptions(args, true) : null;
    if (args.emmeans === undefined) {
      // --component is also tidy's (cond, zi), --anova's and --parameters's; --type and --level also ggeffects's
      const stray = EMM_ONLY.find((k) => args[k] !== undefined && !(args.jointTests && JOINT.includes(k)) && !(k === 'component' && (args.tidy !== undefined || args.parameters)) && !(gg && (k === 'type' || k === 'level')) && !(confint && (k === 'level' || k === 'component')) && !(wald && k === 'component'));
      if (stray) throw new CliError(`${flag(stray)} is an option of the means: give --emmeans SPECS (e.g. --emmeans '~ mined' --component zi)${args.jointTests ? '; --joint-tests takes --component and --by' : ''}`);
    }
    if (args.jointTests && args.component !== undefined && !(ZI_EMM_COMPONENTS as readonly string[]).includes(args.component)) {
      throw new CliError(`--component must be one of ${ZI_EMM_COMPONENTS.join(', ')} (glmmTMB 1.1.5's), got '${args.component}'`);
    }
    const emm = args.emmeans === undefined ? null : emmOptions(args);
    const ggOptions = gg ? ggOptionsFromArgs(args) : null;
    // broom.mixed's tidy.glmmTMB options, checked before the fit
    broomTidyOptions(args.parameters ? { ...args, exponentiate: undefined } : args, 'glmmTMB');
    const nsim = numberArg(args.nsim, 'nsim', true);
    if (nsim !== undefined && nsim < 2) throw new CliError(`--nsim must be at least 2 (scaled residuals compare the observation with its simulations), got ${nsim}`);
    const seed = numberArg(args.seed, 'seed', true);
    const factors = list(args.factors);
    const { table } = await readTableFileAsync(args.file, factors ? { factors } : {});
    const dataName = basename(args.file, extname(args.file));
    const fitOf = (formula: string, o: { zi?: string; disp?: string; family?: string }) => zeroInflated(formula, table, {
      ...(o.family !== undefined ? { family: o.family as ZiFamily } : {}),
      ...(o.zi !== undefined ? { ziformula: o.zi } : {}),
      ...(args.weights !== undefined ? { weights: args.weights } : {}),
      ...(o.disp !== undefined ? { dispformula: o.disp } : {}),
      ...(args.reml ? { REML: true } : {}),
      ...(factors ? { factors } : {}),
      ...(args.backend !== undefined ? { backend: args.backend as 'cpu' } : {}),
      dataName,
    });
    const fit = await fitOf(args.formula!, { zi: args.zi, disp: args.disp, family: args.family });
    if (!args.quiet && !args.json) for (const m of fit.messages) io.stderr(`mixedgpu: note: ${m}\n`);
    if (glhtP) {
      // glmmTMB's modelparm of the component (default cond)
      printGlhtPlan(fit, glhtP, io, glhtComponent);
      return 0;
    }
    if (compare) {
      // glmmTMB's anova(m0, m1, …): this fit and the others, each spec's zi, disp, family or this command's
      const fits = [fit];
      for (const c of compare) {
        const other = await fitOf(c.formula, { zi: c.zi ?? args.zi, disp: c.disp ?? args.disp, family: c.family ?? args.family });
        if (!args.quiet && !args.json) for (const m of other.messages) io.stderr(`mixedgpu: note: m${fits.length}: ${m}\n`);
        fits.push(other);
      }
      const res = anovaTmb(fits, fits.map((_, k) => `m${k}`));
      if (!args.quiet) for (const m of res.messages) io.stderr(`mixedgpu: warning: ${m}\n`);
      io.stdout(args.json ? `${JSON.stringify({ anova: 'glmmTMB', names: res.names, heading: res.heading, models: res.models, tests: res.tests }, null, 2)}\n` : `${res.print.join('\n')}\n`);
      return 0;
    }
    if (wald) {
      // car's Anova of the component (Wald χ² per term)
      const res = fit.Anova({ type: anovaType, ...(args.component !== undefined ? { component: args.component as TmbComponent } : {}) });
      if (!args.quiet) for (const m of res.messages) io.stderr(`mixedgpu: note: ${m}\n`);
      io.stdout(args.json ? `${JSON.stringify({ anova: 'car', type: res.type, component: res.component, response: res.response, rows: res.rows }, null, 2)}\n` : `${res.print.join('\n')}\n`);
      return 0;
    }
    if (args.drop1) {
      // stats' drop1: each conditional term refitted without it
      const showProgress = !args.quiet && io.stderrIsTTY === true;
      const res = await fit.drop1({ test: drop1Test, ...(args.scope !== undefined ? { scope: list(args.scope) } : {}), onProgress: showProgress ? (p) => io.stderr(`\r\x1b[Kdrop1: ${p.done}/${p.total} refits`) : undefined });
      if (showProgress) io.stderr('\r\x1b[K');
      if (!args.quiet) for (const m of res.messages) io.stderr(`mixedgpu: note: ${m}\n`);
      io.stdout(args.json ? `${JSON.stringify({ drop1: 'stats', test: res.test, model: res.model.join('\n'), none: res.none, rows: res.rows }, null, 2)}\n` : `${res.print.join('\n')}\n`);
      return 0;
    }
    if (emm) {
      printMeans(fit, args, emm, io);
      return 0;
    }
    if (paramOptions) {
      // parameters's model_parameters of the glmmTMB fit (src/parameters/tmb.ts)
      printParameters(await modelParameters(fit, paramOptions), args.json, io);
      return 0;
    }
    if (args.profile !== undefined) {
      // glmmTMB's profile(fit) (src/zeroinfl/profile.ts) as CSV
      const parm = list(args.parm);
      const pr = await fit.profile({
        ...(parm ? { parm: parm.every((v) => /^\d+$/.test(v)) ? parm.map(Number) : parm } : {}),
        ...(npts !== undefined ? { npts } : {}),
        ...(levelMax !== undefined ? { levelMax } : {}),
      });
      writeFileSync(args.profile, pr.toCsv());
      if (!args.quiet) io.stderr(`mixedgpu: wrote ${pr.rows.length} profile points of ${pr.parameters.length} parameter${pr.parameters.length === 1 ? '' : 's'} to ${args.profile}\n`);
      return 0;
    }
    if (confint) {
      // glmmTMB's confint (src/zeroinfl/confint.ts)
      const parm = list(args.parm);
      const ci = await fit.confint({
        method: confint,
        ...(parm ? { parm: parm.every((v) => /^\d+$/.test(v)) ? parm.map(Number) : parm } : {}),
        ...(args.level !== undefined ? { level: numberArg(args.level, 'level', false)! } : {}),
        ...(args.component !== undefined ? { component: list(args.component) as TmbConfintComponent[] } : {}),
        ...(args.full ? { full: true } : {}),
      });
      io.stdout(args.json ? `${JSON.stringify({ method: ci.method, level: ci.level, columns: ci.columns, rows: ci.rows.map((r) => ({ name: r.name, lower: nullIfNaN(r.lower), upper: nullIfNaN(r.upper), ...(ci.columns.length > 2 ? { estimate: r.estimate } : {}), ...(r.naReason.lower || r.naReason.upper ? { na_reason: r.naReason } : {}) })), ...(ci.notes.length > 0 ? { notes: ci.notes } : {}) }, null, 2)}\n` : ci.print());
      return 0;
    }
    if (gg && ggOptions) {
      // ggeffects's adjusted predictions (src/zeroinfl/ggpredict.ts)
      printGgEffects(gg, gg === 'ggpredict' ? fit.ggpredict(args.ggpredict!, ggOptions) : fit.ggemmeans(args.ggemmeans!, ggOptions), args.json, io);
      return 0;
    }
    if (wantsBroom(args)) return await printBroom(fit, args, io, table, 'glmmTMB');
    if (args.jointTests) {
      const res = fit.jointTests({
        ...(args.component !== undefined ? { component: args.component as ZiEmmComponent } : {}),
        ...(args.by !== undefined ? { by: list(args.by) } : {}),
      });
      io.stdout(args.json ? `${JSON.stringify({ joint_tests: res.toJSON() }, null, 2)}\n` : res.toString());
      return 0;
    }
    if (args.predict !== undefined) {
      const pred = fit.predict(args.predict as ZiPredictType);
      io.stdout(args.json ? `${JSON.stringify({ type: args.predict, values: Array.from(pred) })}\n` : `${Array.from(pred, (v) => String(v)).join('\n')}\n`);
      return 0;
    }
    if (args.dharma) {
      const d = fit.simulateResiduals({ ...(nsim !== undefined ? { nsim } : {}), ...(seed !== undefined ? { seed } : {}), ...(args.unconditional ? { simulateREs: 'unconditional' as const } : {}) });
      const outliers = testOutliers(d);
      const tests: Record<string, HTest> = { uniformity: testUniformity(d), dispersion: testDispersion(d), zeroInflation: testZeroInflation(d), outliers };
      if (!args.quiet && !args.json) for (const m of [...d.messages, ...outliers.messages]) io.stderr(`mixedgpu: note: ${m}\n`);
      if (args.json) {
        const out = {
          nObs: d.nObs, nSim: d.nSim, seed: d.seed, integerResponse: d.integerResponse, simulateREs: args.unconditional ? 'unconditional' : 'conditional',
          scaledResiduals: Array.from(d.scaledResiduals), fittedPredictedResponse: Array.from(d.fittedPredictedResponse),
          tests: Object.fromEntries(Object.entries(tests).map(([k, t]) => [k, { method: t.method, statistic: { [t.statistic.name]: t.statistic.value }, p_value: t.pValue, alternative: t.alternative }])),
          messages: [...d.messages, ...outliers.messages],
        };
        io.stdout(`${JSON.stringify(out, null, 2)}\n`);
        return 0;
      }
      const lines = [...printDharma(d), ''];
      for (const t of Object.values(tests)) lines.push(...printHTest(t));
      io.stdout(`${lines.join('\n')}\n`);
      return 0;
    }
    if (args.r2) {
      const r2 = await fit.r2({ tolerance });
      const icc = await fit.icc({ tolerance, byGroup: args.byGroup === true });
      // performance repeats insight's warnings for each call: each said once
      const messages = [...new Set([...r2.messages, ...icc.messages])];
      if (!args.quiet && !args.json) for (const m of messages) io.stderr(`mixedgpu: note: ${m}\n`);
      if (args.json) {
        io.stdout(`${JSON.stringify({
          r2: { conditional: r2.conditional, marginal: r2.marginal }, icc: icc.icc, ...(args.byGroup ? { icc_by_group: icc.byGroup } : {}),
          components: r2.components, ...(r2.nullIntercept !== undefined ? { null_intercept: r2.nullIntercept } : {}), messages,
        }, null, 2)}\n`);
        return 0;
      }
      const lines = [...printR2(r2), '', ...printIcc(icc.icc), ...(args.byGroup ? ['', ...printIccByGroup(icc.byGroup ?? null)] : [])];
      io.stdout(`${lines.join('\n')}\n`);
      return 0;
    }
    if (args.performance) {
      const { messages, ...row } = await fit.modelPerformance();
      if (args.json) {
        io.stdout(`${JSON.stringify({ model_performance: row, messages }, null, 2)}\n`);
        return 0;
      }
      if (!args.quiet) for (const m of messages) io.stderr(`mixedgpu: note: ${m}\n`);
      io.stdout(`${printModelPerformance(row).join('\n')}\n`);
      return 0;
    }
    if (args.check) {
      // each check, or the reason it is refused for this family (performance stops or gives NA there)
      const refusals: string[] = [];
      const attempt = <T>(name: string, f: () => T): T | undefined => {
        try {
          return f();
        } catch (e) {
          if (!(e instanceof ModelError)) throw e;
          refusals.push(`${name}: ${e.message}`);
          return undefined;
        }
      };
      const o = attempt('check_overdispersion', () => fit.checkOverdispersion());
      const z = attempt('check_zeroinflation', () => fit.checkZeroinflation());
      if (o === undefined && z === undefined) throw new CliError(refusals.join('; '));
      if (args.json) {
        io.stdout(`${JSON.stringify({ overdispersion: o ?? null, zeroinflation: z ?? null, refused: refusals }, null, 2)}\n`);
        return 0;
      }
      if (!args.quiet) for (const m of refusals) io.stderr(`mixedgpu: note: ${m}\n`);
      const blocks: string[][] = [];
      if (o) blocks.push([...printOverdispersion(o), o.message]);
      if (z !== undefined) blocks.push([...printZeroInflation(z), ...(z ? [z.message] : [])]);
      io.stdout(`${blocks.map((b) => b.join('\n')).join('\n\n')}\n`);
      return 0;
    }
    io.stdout(args.json ? `${JSON.stringify(fit.toJSON(), null, 2)}\n` : fit.summary());
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}

/** --emmeans's options, checked before the fit */
function emmOptions(args: ZeroinflArgs): { specs: string | string[]; options: ZiEmmeansOptions } {
  if (args.component !== undefined && !(ZI_EMM_COMPONENTS as readonly string[]).includes(args.component)) {
    throw new CliError(`--component must be one of ${ZI_EMM_COMPONENTS.join(', ')} (glmmTMB 1.1.5's), got '${args.component}'`);
  }
  if (args.type !== undefined && args.type !== 'link' && args.type !== 'response') throw new CliError(`--type must be link or response, got '${args.type}'`);
  const { specs, options } = sharedEmmOptions(args);
  if (args.trend !== undefined && (args.type !== undefined || args.offset !== undefined)) throw new CliError('--type and --offset are for means, not for the slopes of --trend');
  const offset = args.offset === undefined ? undefined : Number(args.offset);
  if (offset !== undefined && (args.offset!.trim() === '' || !Number.isFinite(offset))) throw new CliError(`--offset must be a number, got '${args.offset}'`);
  return {
    specs,
    options: {
      ...(offset !== undefined ? { offset } : {}),
      ...(args.component !== undefined ? { component: args.component as ZiEmmComponent } : {}),
      ...options,
      ...(args.type !== undefined ? { type: args.type as 'link' | 'response' } : {}),
    },
  };
}

/** the means and their contrasts, as `mixedgpu clmm --emmeans` prints them (or their JSON) */
function printMeans(fit: ZeroInflatedFit, args: ZeroinflArgs, emm: { specs: string | string[]; options: ZiEmmeansOptions }, io: CliIO): void {
  const grid = args.trend !== undefined ? fit.emtrends(emm.specs, { ...emm.options, var: args.trend }) : fit.emmeans(emm.specs, emm.options);
  printEmmGrid(grid, args, io);
}
