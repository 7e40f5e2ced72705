/**
 * The `mixedgpu` command line: argument handling only; the commands live in their own modules
 * (./main.ts starts it).
 *
 *   mixedgpu fit FILE FORMULA [--ml] [--reml] [--optimizer bobyqa|nelderMead|quasiNewton] [--factors a,b] [--contrasts a=contr.sum] [--json [--ranef auto|all|summary]] [--backend cpu|webgpu|auto] [--threads N|auto] [--quiet]
 *                             [--weights COL] [--family binomial|poisson [--link NAME] [--nagq N]]
 *                             [--delimiter C] [--encoding utf-8|latin1] [--stray-text error|missing]
 *                             [--prior blme] [--cov-prior P] [--fixef-prior P] [--resid-prior P]
 *                             [--engine memory|stream|duckdb] [--batch-size N] [--memory-limit 1.5GB] [--residuals OUT.parquet]
 *                             [--tidy [fixed,ran_pars,ran_vals,ran_coefs] [--conf-int [Wald|profile|boot]] [--conf-level P] [--scales sdcor|vcov]
 *                              [--ran-prefix a,b] [--exponentiate] [--nsim N --seed S]] [--glance] [--augment OUT.csv]   (broom.mixed's tables)
 *   mixedgpu fit --engine clickhouse --url http://127.0.0.1:8123 --table TABLE FORMULA [--residuals TABLE] …
 *   mixedgpu confint|anova|drop1|r2|emmeans|joint-tests|lsmeans|getme … with --engine clickhouse --url URL --table TABLE: the
 *                             command's arguments without FILE (FORMULA; anova FORMULA0 FORMULA1 …; emmeans FORMULA SPECS;
 *                             getme FORMULA NAMES)
 *   mixedgpu meta FILE --yi COL --vi COL [--method REML|ML|DL|PM|HE|SJ|EB|EE] [--test z|knha|t]
 *                      [--mods a,b] [--random "~ 1 | district/school"] [--slab COL] [--robust [CR2] [--cluster COL]] [--json]
 *   mixedgpu drop1 FILE FORMULA [--ddf satterthwaite|kenward-roger | --family F [--test chisq|none]] [--scope a,b] [--json]
 *   mixedgpu influence FILE FORMULA [--groups g] [--maxfun N] [--top N] [--json]
 *   mixedgpu pool FILE FORMULA [--imp .imp] [--family …] [--null FORMULA | --constraints 'a,b - c'] [--method D1|D2|D3|D4] [--use wald|likelihood] [--ariv positive|robust]
 *                              [--extra-pars] [--df-com N] [--ml] [--json]   (mitml's testEstimates, testModels, testConstraints; mice's pool)
 *   mixedgpu caic FILE FORMULA [--family poisson|binomial] [--sigma-penalty 1] [--ml] [--json]   (cAIC4's conditional AIC)
 *   mixedgpu predictinterval FILE FORMULA --newdata NEW.csv [--which full|fixed|random|all] [--level 0.8] [--nsims 1000] [--seed 1]
 *                               [--stat median|mean] [--type linear.prediction|probability] [--no-resid-var] [--json | --csv OUT]
 *   mixedgpu resim FILE FORMULA [--nsims 200] [--seed 1] [--odds-ratio] [--fixed] [--json | --csv OUT]   (merTools's REsim; FEsim with --fixed)
 *   mixedgpu allfit FILE FORMULA [--family …] [--optimizers bobyqa,nelderMead,quasiNewton] [--maxfun N] [--json]
 *   mixedgpu modcomp FILE LARGE SMALL [--method kr|sat|pb] [--nsim N] [--seed S] [--summary] [--json]
 *   mixedgpu mixed FILE FORMULA [--method KR|S|LRT|PB|nested-KR] [--per-parameter REGEX] [--type 3|2] [--test-intercept] [--expand-re] [--all-fit]
 *                               [--no-check-contrasts] [--nsim N] [--seed S] [--ml] [--family F [--link L]] [--json]
 *   mixedgpu dharma FILE FORMULA [--family …] [--nsim 250] [--seed 123] [--unconditional] [--outlier-type default|binomial|bootstrap] [--group COL] [--json]
 *   mixedgpu power FILE FORMULA [--test x | --compare F | --fcompare F | --rcompare F] [--method t|kr|lr|z|f|anova|chisq|pb] [--pbnsim 100]
 *                               [--nsim 1000] [--seed 1] [--alpha 0.05] [--fixef x=-0.05] [--sigma S]
 *                               [--extend Subject=40 | --within Subject=12] [--curve Subject=4,8,12] [--json]
 *   mixedgpu r2 FILE FORMULA [--family …] [--by-group] [--tolerance 1e-5] [--json]
 *   mixedgpu robust FILE FORMULA [--type CR2] [--cluster g] [--test Satterthwaite] [--level 0.95] [--wald x,z] [--wald-equal x,z] [--wald-test HTZ,…|All] [--json]
 *   mixedgpu robu FILE "yi ~ x" --study COL --var COL [--modelweights CORR|HIER] [--rho 0.8] [--no-small] [--sensitivity] [--json]
 *   mixedgpu lmlist FILE "y ~ x | g" [--family binomial|poisson] [--no-pool] [--level 0.95] [--pooled-confint] [--factors a,b] [--json]
 *   mixedgpu lme FILE "y ~ x" --random "~ 1 | g" [--weights "varIdent(form = ~ 1 | s)"] [--correlation "corAR1(form = ~ 1 | g)"] [--ml] [--intervals] [--json]
 *     [--anova [--type marginal] [--terms a,b] [--L 'x=1'] [--adjust-sigma false]] [--emmeans '~ A' [--mode M] [--type response] [--contrast pairwise]] (also gls)
 *   mixedgpu glmmpql FILE "y ~ x" --random "~ 1 | g" --family binomial [--weights n] [--correlation "corAR1(form = ~ t | g)"] [--niter 10] [--verbose] [--json]
 *     [--emmeans '~ A' [--type response] [--mode containment|asymptotic] [--contrast pairwise]]
 *   mixedgpu gee FILE "y ~ x" --id subject [--family binomial] [--corstr exchangeable|ar1|unstructured] [--waves t] [--std-err san.se|jack|j1s|fij] [--anova] [--qic] [--json]
 *   mixedgpu gls FILE "y ~ x" [--weights "varPower(form = ~ x)"] [--correlation "corCompSymm(form = ~ 1 | g)"] [--ml] [--json]
 *   mixedgpu gamm4 FILE "y ~ s(x) + z" [--random "~ (1 | g)"] [--ml] [--factors a,b] [--backend cpu|webgpu|auto] [--points 50] [--json]
 *   mixedgpu reliability FILE (--subject COL --rater COL --value COL | --raters a,b,c) [--alpha 0.05] [--json]   (psych's ICC: Shrout & Fleiss from lmer)
 *   mixedgpu agreement FILE --group COL --items a,b,c [--options A | --ranvar V] [--range L,H] [--type mean|median] [--singletons error|na] [--json]
 *                               (multilevel's rwg / rwg.j, rwg.j.lindell, awg, ad.m per group)
 *   mixedgpu escalc FILE --measure RR|OR|RD|MD|SMD|ROM|COR|ZCOR|PR|PLO --ai COL ... [--out FILE]
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { BACKENDS } from '../backend/select.js';
import { CliError, errorMessage, runFit } from './fitCommand.js';
import { runCheck } from './checkCommand.js';
import { runAnova, runConfint, runDrop1, runEmmeans, runGetME, runR2, runRanova, runStep } from './inferenceCommands.js';
import { runRlrt } from './rlrtCommand.js';
import { runDharma } from './dharmaCommand.js';
import { runClmm } from './clmmCommand.js';
import { runCoxme } from './coxmeCommand.js';
import { runZeroinfl } from './zeroinflCommand.js';
import { runInfluence } from './influenceCommand.js';
import { runCaic } from './caicCommand.js';
import { runPool } from './poolCommand.js';
import { runPredictInterval, runReSim } from './predictIntervalCommand.js';
import { runAllFit } from './allFitCommand.js';
import { runModcomp } from './modcompCommand.js';
import { runMixed } from './mixedCommand.js';
import { runPower } from './powerCommand.js';
import { runJointTests } from './jointTestsCommand.js';
import { runLsMeans } from './lsMeansCommand.js';
import { runGlht } from './glhtCommand.js';
import { GLHT_TESTS } from '../inference/glht.js';
import { runGgeffects } from './ggeffectsCommand.js';
import { runParameters } from './parametersCommand.js';
import { runTabmodel } from './tabmodelCommand.js';
import { ENGINES, readsClickhouseTable } from './engines.js';
import { ESCALC_COLUMN_ARGS, runEscalc } from './escalcCommand.js';
import { runAgreement, runReliability } from './reliabilityCommand.js';
import { runMeta } from './metaCommand.js';
import { runRobu } from './robuCommand.js';
import { runLmList } from './lmListCommand.js';
import { runLme } from './lmeCommand.js';
import { runGlmmPql } from './glmmpqlCommand.js';
import { runGee } from './geeCommand.js';
import { runNlmer } from './nlmerCommand.js';
import { runGamm } from './gammCommand.js';
import { runRobust } from './robustCommand.js';
import { EFFECT_MEASURES } from '../meta/escalc.js';
import { OPTIMIZER_METHODS } from '../optim/minimizers.js';
import { META_METHODS } from '../meta/meta.js';

/** the version in the package's package.json (found upwards from this file, in src/ or dist/src/) */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'mixedgpu' && pkg.version) return pkg.version;
      } catch {
        // not ours: keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return 'unknown';
}

/** the process's output writers */
function io() {
  return {
    stdout: (s: string) => { process.stdout.write(s); },
    stderr: (s: string) => { process.stderr.write(s); },
    stderrIsTTY: process.stderr.isTTY === true,
  };
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('mixedgpu')
    .description('Linear mixed models (lme4\'s lmer) for large data, on the CPU (float64) or WebGPU, GLMMs (glmer), priors on variance components (blme) and meta-analyses (metafor)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      // commander's messages start with "error: ..."
      outputError: (str, write) => write(`mixedgpu: ${str}`),
    })
    .exitOverride();

  const fit = csvReadOptions(program
    .command('fit')
    .description('fit a linear mixed model (lmer) or, with --family, a GLMM (glmer) and print its lme4-style summary (or JSON)')
    .argument('<file-and-formula...>', 'FILE FORMULA: the data file (.csv, .tsv, .arrow, .feather, .ipc, .parquet; a glob such as \'data/*.parquet\' with --engine duckdb) and the lme4 model formula, e.g. "Reaction ~ Days + (Days | Subject)"; with --engine clickhouse the formula alone')
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)')
    .option('--factors <columns>', 'comma-separated columns to read as factors (grouping variables with numeric codes)')
    .option('--contrasts <factor=contrast,...>', "R's contrasts for fixed-effects factors (lme4's contrasts argument): contr.treatment (default), contr.sum, contr.helmert, contr.SAS or contr.poly, e.g. a=contr.sum,b=contr.helmert (rows in memory)")
    .option('--json', 'print the result as one JSON object instead of the summary')
    .addOption(new Option('--backend <name>', 'backend that evaluates the objective').choices([...BACKENDS]).default('cpu'))
    .option('--threads <n>', 'threads of the dense Cholesky (crossed factors) and of the passes over the rows (the model frame, glmer\'s PIRLS): a number or auto (default: the machine\'s cores)')
    .option('--family <name>', 'fit a generalized linear mixed model (glmer) of this family: binomial, poisson, negative.binomial, Gamma, inverse.gaussian or gaussian (with --link log or inverse)')
    .option('--link <name>', 'the GLMM\'s link: logit (default), probit, cloglog, cauchit or log for binomial; log (default), identity or sqrt for poisson; log for negative.binomial; log or inverse for gaussian; inverse (default), log or identity for Gamma; 1/mu^2 (default), log, inverse or identity for inverse.gaussian')
    .option('--theta <size>', 'negative.binomial: a fixed size theta (default: estimated, as glmer.nb)')
    .option('--relmat <group=file>', 'a known covariance matrix K for a grouping factor: CSV with the level names as header and first column, or a Newick tree (.nwk, .tre, .newick: its phylogenetic correlation matrix); repeatable', collect, [])
    .option('--pedigree <group=file>', 'a pedigree for a grouping factor (CSV with columns id, sire, dam; unknown parents empty, NA or 0); repeatable', collect, [])
    .option('--pedigree-columns <id,sire,dam>', 'the pedigree file\'s column names, if not id, sire, dam')
    .option('--nagq <n>', 'glmer\'s nAGQ: 1 Laplace (default), 0 faster and less exact, > 1 adaptive Gauss-Hermite (one scalar random term)')
    .option('--weights <column>', 'prior weights, lmer or glmer (binomial: the numbers of trials of a proportion response)')
    .option('--prior <name>', "priors on the variance components: 'blme' (blmer's and bglmer's defaults, a Wishart on every term); the fit is the posterior mode")
    .option('--cov-prior <prior>', "blme's cov.prior in its syntax, e.g. \"gamma(shape = 2.5, rate = 0, posterior.scale = 'sd')\" or \"list(Subject ~ wishart, invgamma)\"")
    .option('--fixef-prior <prior>', "blme's fixef.prior, e.g. \"normal(sd = c(10, 2.5))\" or \"t(df = 3)\" (ML)")
    .option('--resid-prior <prior>', "blme's resid.prior (lmer), e.g. \"point(value = 1)\" or \"invgamma(shape = 2, scale = 1)\""))
    .option('--quiet', 'no progress or notes on stderr')
    .option('--ddf <method>', 'lmer: lmerTest\'s t tests and anova (type III unless --type) with satterthwaite or kenward-roger denominator df')
    .option('--type <type>', 'with --ddf: the anova\'s type, I (sequential), II or III (default III); also 1, 2, 3; with --family: car\'s Wald chi-square anova of type II or III')
    .option('--show-tests', "with --ddf: lmerTest's show_tests of the anova, the hypothesis matrix behind each term's F test")
    .option('--fractions', 'with --show-tests: the matrices\' entries as fractions (MASS\'s fractions)')
    .option('--residuals <target>', 'write every used row with its fitted value and residual: a .parquet or .csv file (stream, duckdb) or a new table (clickhouse); never overwritten')
    .option('--ranef <how>', 'with --json: the random effects as every level (all), a summary per grouping factor (summary), or auto (the default: a summary for a grouping factor of over 10,000 levels)')
    .option('--calc-derivs', "lme4's convergence checks (the criterion's gradient and Hessian at the optimum) at any size; default: lme4's rule, fewer than 10,000 rows and 10 variance parameters (20 for --family)")
    .option('--no-calc-derivs', "no convergence checks (lme4's calc.derivs = FALSE)")
    .option('--start <theta>', "lme4's start: the variance parameters θ to start from, comma-separated in lme4's order (getME(fit, 'theta')), e.g. 0.9,0.2,0.5")
    .option('--start-fixef <beta>', "with --family: glmer's start$fixef, the fixed effects stage 2 starts from, comma-separated in the model matrix's column order")
    .addOption(new Option('--optimizer <method>', "the θ optimizer (lme4's lmerControl(optimizer = )): our BOBYQA (default), lme4's Nelder_Mead, or a projected L-BFGS quasi-Newton; glmer: both stages").choices([...OPTIMIZER_METHODS]))
    .option('--tidy [effects]', "print broom.mixed's tidy() table as CSV instead of the summary: effects fixed, ran_pars, ran_vals, ran_coefs, comma-separated (default ran_pars,fixed); with --json as JSON; with --ddf lmerTest's df and p-values")
    .option('--glance', "print broom.mixed's glance() row as CSV (after --tidy's table, a blank line between), or with --json as JSON")
    .option('--augment <file>', "write broom.mixed's augment() rows (the data's columns, .fitted, .resid, .hat, .cooksd, .fixed, .mu, .offset, .sqrtXwt, .sqrtrwt, .weights, .wtres, and glmer's .eta) to a new CSV file; never overwritten")
    .option('--conf-int [method]', "with --tidy: confidence intervals (conf.low, conf.high) by Wald (default), profile or boot")
    .option('--conf-level <p>', 'with --tidy: the intervals\' level (default 0.95; implies --conf-int)')
    .option('--scales <scale>', "with --tidy: ran_pars as sdcor (standard deviations and correlations, the default) or vcov (variances and covariances)")
    .option('--ran-prefix <a,b>', "with --tidy: ran_pars's term prefixes for one variable and for two (default sd,cor or var,cov), or NA for none")
    .option('--exponentiate', 'with --tidy: exp() of the fixed effects and their intervals (odds or rate ratios), std.error by the delta method')
    .option('--nsim <n>', 'with --tidy --conf-int boot: bootstrap replicates (default 500)')
    .option('--seed <n>', 'with --tidy --conf-int boot: the random seed');
  engineOptions(fit, 'where the rows are read: memory (the whole table), stream (record batches of one file), duckdb (out of core; files and globs), clickhouse (a table at --url); a GLMM (--family) on stream, duckdb and clickhouse: binomial (logit, probit, cloglog, cauchit) and poisson (log, sqrt, identity), a pass over the rows per PIRLS iteration; default memory, duckdb for a glob or a file over 1 GiB')
    .action(async (positional: string[], opts: {
      ml?: boolean; reml?: boolean; factors?: string; contrasts?: string; json?: boolean; backend?: string; threads?: string; quiet?: boolean;
      family?: string; link?: string; nagq?: string; weights?: string; delimiter?: string; encoding?: string; strayText?: string; theta?: string; ddf?: string; type?: string;
      relmat?: string[]; pedigree?: string[]; pedigreeColumns?: string;
      engine?: string; url?: string; table?: string; batchSize?: string; cacheMb?: string; memoryLimit?: string; residuals?: string; ranef?: string; calcDerivs?: boolean; start?: string; startFixef?: string; optimizer?: string;
      prior?: string; covPrior?: string; fixefPrior?: string; residPrior?: string;
      tidy?: string | boolean; glance?: boolean; augment?: string; confInt?: string | boolean; confLevel?: string; scales?: string; ranPrefix?: string; exponentiate?: boolean; nsim?: string; seed?: string;
    }) => {
      const { file, rest: [formula] } = dataArguments(positional, opts, ['FORMULA']);
      process.exitCode = await runFit({ file, formula, ...opts }, io());
    });

  program
    .command('meta')
    .description("random-effects meta-analysis with known sampling variances (metafor's rma; rma.mv with --random) and its metafor-style printout (or JSON)")
    .argument('<file>', 'data file (.csv, .tsv, .arrow, .feather, .ipc, .parquet)')
    .option('--yi <column>', 'effect sizes')
    .option('--vi <column>', 'their sampling variances')
    .option('--sei <column>', 'or their standard errors')
    .option('--method <name>', `heterogeneity estimator: ${META_METHODS.join(', ')} (default REML; multilevel: REML or ML)`)
    .option('--test <name>', "z (default), knha (Knapp-Hartung, univariate) or t (multilevel: t and F tests with k - p df)")
    .option('--mods <moderators>', 'moderators (meta-regression): columns separated by commas, or a formula such as "~ ablat + alloc"')
    .option('--random <levels>', 'nested random intercepts of a multilevel model, e.g. "~ 1 | district/school"')
    .option('--slab <column>', 'study labels')
    .option('--factors <columns>', 'comma-separated numeric columns to read as factors (moderators)')
    .option('--level <percent>', 'confidence level of the intervals (default 95)')
    .option('--json', "print the result as one JSON object with metafor's names")
    .option('--robust [type]', "clubSandwich's robust variance estimation after the fit: CR2 (default), CR0, CR1, CR1p, CR1S or CR3; coef_test (Satterthwaite) and conf_int")
    .option('--cluster <column>', "--robust's clusters (rma.uni needs them; rma.mv: default the outermost level)")
    .option('--quiet', 'no notes on stderr')
    .action(async (file: string, opts: Omit<Parameters<typeof runMeta>[0], 'file'>) => {
      process.exitCode = await runMeta({ file, ...opts }, io());
    });

  csvReadOptions(program
    .command('robu')
    .description("robumeta's robust variance estimation meta-analysis for dependent effect sizes (robu): correlated or hierarchical effects weights, Tipton's small-sample corrections, robumeta's printout and sensitivity (or JSON)")
    .argument('<file>', 'data file (.csv, .tsv, .arrow, .feather, .ipc, .parquet)')
    .argument('<formula>', "the meta-regression, 'yi ~ x1 + x2' ('yi ~ 1' for the mean effect)")
    .option('--study <column>', 'study identifiers (robu\'s studynum): the clusters')
    .option('--var <column>', 'sampling variances of the effect sizes (robu\'s var.eff.size)')
    .option('--modelweights <model>', 'working model: CORR (correlated effects, default) or HIER (hierarchical effects)')
    .option('--rho <r>', 'CORR: the assumed correlation of a study\'s effect sizes, 0 to 1 (default 0.8)')
    .option('--small', "Tipton's small-sample corrections (the default)")
    .option('--no-small', 'the large-sample robust variance with df = studies - coefficients')
    .option('--userweights <column>', "user weights instead of the working model's")
    .option('--sensitivity', "CORR: robumeta's sensitivity(): estimates, SEs and tau^2 over rho = 0, 0.2, ..., 1")
    .option('--factors <columns>', 'comma-separated numeric columns to read as factors (moderators)')
    .option('--json', "print the result as one JSON object with robumeta's names"))
    .option('--quiet', 'no notes or warnings on stderr')
    .action(async (file: string, formula: string, opts: Omit<Parameters<typeof runRobu>[0], 'file' | 'formula'>) => {
      process.exitCode = await runRobu({ file, formula, ...opts }, io());
    });

  csvReadOptions(program
    .command('lmlist')
    .description("lme4's lmList: one linear model per level of the grouping factor (y ~ x | g), printed as R prints the lmList, its summary (the pooled residual SD unless --no-pool) and confint")
    .argument('<file>', 'data file (.csv, .tsv, .arrow, .feather, .ipc, .parquet)')
    .argument('<formula>', "grouped formula 'y ~ x | g' (the model, then the grouping variable after the bar)")
    .option('--no-pool', "summary and confint with each group's own residual SD and df (lme4's pool = FALSE)")
    .option('--level <p>', 'confidence level of confint (default 0.95)')
    .option('--pooled-confint', "confint with the pooled residual SD and df (lme4's confint(fit, pool = TRUE); lme4's confint(fit) is each group's own)")
    .option('--family <name>', 'a glm in each group: binomial or poisson (canonical links; no confint)')
    .option('--factors <columns>', 'comma-separated numeric columns to read as factors')
    .option('--json', 'print the result as one JSON object'))
    .option('--quiet', 'no notes or warnings on stderr')
    .action(async (file: string, formula: string, opts: Omit<Parameters<typeof runLmList>[0], 'file' | 'formula'>) => {
      process.exitCode = await runLmList({ file, formula, ...opts }, io());
    });

  for (const fn of ['lme', 'gls'] as const) {
    const cmd = program
      .command(fn)
      .description(fn === 'lme'
        ? "nlme's lme: a linear mixed model with a residual variance function (--weights) and correlation structure (--correlation), printed as nlme's summary"
        : "nlme's gls: a linear model with a residual variance function (--weights) and correlation structure (--correlation), printed as nlme's summary")
      .argument('<file>', 'data file (.csv, .tsv, .arrow, .feather, .ipc, .parquet)')
      .argument('<formula>', fn === 'lme' ? "fixed-effects formula 'y ~ x' (or an lme4 formula with one (… | g) term, without --random)" : "model formula 'y ~ x'");
    if (fn === 'lme') {
      cmd.option('--random <formula>', "nlme's random effects: '~ 1 | g', '~ x | g', nested '~ 1 | A/B', or the named list 'list(A = ~ x, B = pdSymm(~ 1))' (pdMat classes pdDiag, pdIdent, pdCompSymm, pdSymm, pdNatural, pdBlocked)")
        .option('--tidy [effects]', "print broom.mixed's tidy() table (tidy.lme) as CSV instead of the summary: effects var_model, ran_pars, fixed, ran_vals, ran_coefs, comma-separated (default var_model,ran_pars,fixed); with --json as JSON")
        .option('--glance', "print broom.mixed's glance() row as CSV (after --tidy's table, a blank line between), or with --json as JSON")
        .option('--augment <file>', "write broom.mixed's augment() rows (the data's columns, .fitted, .resid, .fixed) to a new CSV file; never overwritten")
        .option('--conf-int', "with --tidy: nlme's intervals() as conf.low, conf.high (the fixed effects' t intervals, the random effects' SDs and correlations')")
        .option('--conf-level <p>', "with --tidy: the intervals' level (default 0.95; implies --conf-int)")
        .option('--scales <scale>', 'with --tidy: ran_pars as sdcor (standard deviations and correlations, the default) or vcov (variances and covariances)');
    }
    cmd
      .option('--weights <varFunc>', "variance function: 'varIdent(form = ~ 1 | s)', 'varPower(form = ~ x)', 'varExp(form = ~ x | s)', 'varConstPower(form = ~ x)', 'varFixed(~ x)', 'varComb(varIdent(form = ~ 1 | s), varPower())'")
      .option('--correlation <corStruct>', "correlation structure: 'corAR1(form = ~ 1 | g)', 'corAR1(form = ~ t | g)', 'corARMA(form = ~ t | g, p = 1, q = 1)', 'corCAR1(form = ~ t | g)', 'corCompSymm(form = ~ 1 | g)', 'corSymm(form = ~ 1 | g)', 'corNatural(form = ~ 1 | g)', 'corExp(form = ~ x + y | g, nugget = TRUE)', 'corGaus(…)', 'corSpher(…)', 'corLin(…)', 'corRatio(…)'")
      .option('--ml', 'fit by maximum likelihood (default REML)')
      .option('--intervals', "also nlme's approximate 95% confidence intervals (intervals(fit))")
      .option('--anova', "print nlme's anova(fit) instead of the summary: the Wald F test of each fixed-effects term (denDF: lme nlme's containment DF, gls N - p)")
      .option('--type <type>', "--anova: sequential (default: each term after those before it) or marginal (after all others); --emmeans: link (default) or response (a transformed response's means back-transformed: log(y), sqrt(y), log1p(y), …; contrasts of a log scale as ratios)")
      .option('--terms <terms>', "--anova: one joint F test of these terms, comma-separated labels or 1-based numbers (nlme's Terms)")
      .option('--L <rows>', "--anova: one F test of L beta = 0 (nlme's L): 'age=1,age:SexMale=1' or '0,1,0,1', rows separated by ';'")
      .option('--adjust-sigma <bool>', `--anova: an ML fit's sigma made REML-like, true or false (nlme's default: ${fn === 'lme' ? 'true' : 'false'})`)
      .option('--emmeans <specs>', "print emmeans's estimated marginal means instead of the summary: '~ Sex', '~ Sex | age', or Sex,age")
      .option('--mode <mode>', `--emmeans: the df method, ${fn === 'lme' ? 'containment (default) or asymptotic' : 'auto (default: satterthwaite where nlme has apVar, else df.error), satterthwaite, df.error or asymptotic'}`)
      .option('--by <columns>', '--emmeans: comma-separated variables whose levels form separate groups')
      .option('--at <values>', "--emmeans: values of the reference grid's variables, e.g. 'age=8,14;Sex=Male'")
      .option('--emm-weights <how>', '--emmeans: how to average over the other factors: equal (default), proportional, outer, cells, flat')
      .option('--level <p>', '--emmeans, --glht --confint: confidence level (default 0.95)')
      .option('--contrast <method>', '--emmeans: contrasts of the means: pairwise, revpairwise, trt.vs.ctrl, trt.vs.ctrlk, consec, eff, del.eff or poly')
      .option('--ref <level>', '--emmeans with --contrast trt.vs.ctrl: the control level (a name or 1-based number)')
      .option('--adjust <method>', "--emmeans: multiplicity adjustment (default: the contrast's, as emmeans; none for the means)")
      .option('--regrid [transform]', "--emmeans: emmeans's regrid(): response (the default: a transformed response's means back-transformed as the grid, symmetric intervals, contrasts as differences of them), unlink, mu (as response), log (their logs, contrasts their log ratios) or none");
    csvReadOptions(glhtFitOptions(cmd, ['level'])
      .option('--parameters', `print parameters's model_parameters table instead of the summary: ${fn === 'lme' ? "the fixed effects with t intervals on nlme's containment df, the random effects' SDs and correlations" : 'the coefficients with t intervals on the residual df n - p'}; --ci-method, --ci, --effects, --exponentiate, --json`)
      .option('--ci-method <method>', `--parameters: ${fn === 'lme' ? "wald (default), residual (the same), ml1 or betwithin (parameters's df rules)" : 'wald (default), residual (the same) or normal'}`)
      .option('--ci <p>', "--parameters: the intervals' level (default 0.95)")
      .option('--effects <which>', `--parameters: ${fn === 'lme' ? 'fixed, random or all (default)' : 'fixed (the default and only table of a gls fit)'}`)
      .option('--exponentiate', '--parameters: exp() of the fixed effects and their intervals, SE by the delta method')
      .option('--factors <columns>', 'comma-separated numeric columns to read as factors')
      .option('--json', 'print the result as one JSON object'))
      .option('--quiet', 'no notes or warnings on stderr')
      .action(async (file: string, formula: string, opts: Omit<Parameters<typeof runLme>[0], 'file' | 'formula'>) => {
        process.exitCode = await runLme({ file, formula, ...opts }, io(), fn);
      });
  }

  csvReadOptions(glhtFitOptions(program
    .command('glmmpql')
    .description("MASS's glmmPQL: a GLMM by penalized quasi-likelihood (nlme's lme on the working response, iterated), printed as R's summary(glmmPQL(...)); biased for binary data with small clusters, where glmer's Laplace or AGQ is the better fit")
    .argument('<file>', 'data file (.csv, .tsv, .arrow, .feather, .ipc, .parquet)')
    .argument('<fixed>', "fixed-effects formula: 'y ~ x', 'cbind(s, n - s) ~ x', 'y/n ~ x' with --weights n, 'y ~ x + offset(log(t))'")
    .option('--random <formula>', "nlme's random effects (required): '~ 1 | g', '~ x | g', nested '~ 1 | A/B'")
    .option('--family <name>', 'binomial, quasibinomial, poisson, quasipoisson or Gamma (required)')
    .option('--link <name>', "the link (default the family's canonical one)")
    .option('--weights <column>', 'prior weights (binomial: the numbers of trials of a proportion response)')
    .option('--correlation <corStruct>', "nlme's correlation structure within the innermost groups, e.g. 'corAR1(form = ~ t | g)'")
    .option('--niter <n>', 'the most lme fits (MASS\'s niter, default 10)')
    .option('--verbose', "MASS's 'iteration k' messages on stderr")
    .option('--emmeans <specs>', "print emmeans's estimated marginal means instead of the summary: '~ trt', '~ trt | week', or trt,week")
    .option('--type <type>', '--emmeans: link (default) or response (back-transformed: prob, rate or response; contrasts of a logit or log link as odds ratios or ratios)')
    .option('--mode <mode>', '--emmeans: the df method, containment (default) or asymptotic')
    .option('--by <columns>', '--emmeans: comma-separated variables whose levels form separate groups')
    .option('--at <values>', "--emmeans: values of the reference grid's variables, e.g. 'week=0,2;trt=drug'")
    .option('--emm-weights <how>', '--emmeans: how to average over the other factors: equal (default), proportional, outer, cells, flat')
    .option('--level <p>', '--emmeans, --glht --confint: confidence level (default 0.95)')
    .option('--contrast <method>', '--emmeans: contrasts of the means: pairwise, revpairwise, trt.vs.ctrl, trt.vs.ctrlk, consec, eff, del.eff or poly')
    .option('--ref <level>', '--emmeans with --contrast trt.vs.ctrl: the control level (a name or 1-based number)')
    .option('--adjust <method>', "--emmeans: multiplicity adjustment (default: the contrast's, as emmeans; none for the means)")
    .option('--regrid [transform]', "--emmeans: emmeans's regrid(): response (the default: probabilities or rates as the grid, symmetric intervals, contrasts as differences of them), unlink, mu (as response), log (their logs: with --type response, contrasts as ratios of them) or none"), ['level'])
    .option('--factors <columns>', 'comma-separated numeric columns to read as factors')
    .option('--json', 'print the result as one JSON object'))
    .option('--quiet', 'no notes or warnings on stderr')
    .action(async (file: string, formula: string, opts: Omit<Parameters<typeof runGlmmPql>[0], 'file' | 'formula'>) => {
      process.exitCode = await runGlmmPql({ file, formula, ...opts }, io());
    });

  csvReadOptions(program
    .command('gee')
    .description("geepack's geeglm: generalized estimating equations — a marginal (population-averaged) model with a working correlation within clusters and sandwich standard errors, not a mixed model; printed as R's print(summary(geeglm(...)))")
    .argument('<file>', 'data file (.csv, .tsv, .arrow, .feather, .ipc, .parquet)')
    .argument('<formula>', "the mean model 'y ~ x + time' (no random terms): 'cbind(s, f) ~ x', 'y ~ x + offset(log(t))'")
    .option('--id <column>', 'the cluster (subject) identifiers (required); rows are grouped by it')
    .option('--family <name>', 'gaussian (default), binomial, poisson or Gamma')
    .option('--link <name>', "the link (default the family's)")
    .option('--corstr <structure>', 'the working correlation: independence (default), exchangeable, ar1 or unstructured')
    .option('--waves <column>', 'the order within clusters (ar1 distances, unstructured pairs); default 1, …, n_i in row order')
    .option('--weights <column>', 'prior weights')
    .option('--std-err <type>', 'san.se (sandwich, default), jack (approximate jackknife), j1s (one-step) or fij (fully iterated)')
    .option('--scale-fix', "geeglm's scale.fix: the scale is not estimated")
    .option('--epsilon <tol>', "geese.control's epsilon (default 1e-4)")
    .option('--maxit <n>', "geese.control's maxit (default 25)")
    .option('--anova', "add anova.geeglm's Wald tests of the terms added sequentially")
    .option('--qic', "add geepack's QIC")
    .option('--factors <columns>', 'comma-separated numeric columns to read as factors')
    .option('--json', 'print the fit as one JSON object'))
    .option('--quiet', 'no notes or warnings on stderr')
    .action(async (file: string, formula: string, opts: Omit<Parameters<typeof runGee>[0], 'file' | 'formula'>) => {
      process.exitCode = await runGee({ file, formula, ...opts }, io());
    });

  csvReadOptions(program
    .command('nlmer')
    .description("lme4's nlmer: a nonlinear mixed model 'resp ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree' with R's self-starting models, printed as lme4's summary")
    .argument('<file>', 'data file (.csv, .tsv, .arrow, .feather, .ipc, .parquet)')
    .argument('<formula>', "three-part formula 'resp ~ Model(covariates, parameters) ~ fixed | random' (random-effects terms on the parameters)")
    .option('--start <values>', "the parameters' starting values, required as in lme4: Asym=200,xmid=725,scal=350")
    .option('--nagq <n>', "1: Laplace (default); 0: lme4's first stage only")
    .option('--optimizer <name>', "Nelder_Mead (lme4's default for nlmer) or bobyqa")
    .option('--factors <columns>', 'comma-separated numeric columns to read as factors')
    .option('--json', 'print the fit as one JSON object'))
    .option('--quiet', 'no notes or warnings on stderr')
    .action(async (file: string, formula: string, opts: Omit<Parameters<typeof runNlmer>[0], 'file' | 'formula'>) => {
      process.exitCode = await runNlmer({ file, formula, ...opts }, io());
    });

  csvReadOptions(program
    .command('gamm4')
    .description("gamm4's generalized additive mixed model: smooth terms s(x), s(x, k = 8), s(x, bs = \"cr\" | \"cc\" | \"ps\"), s(x, by = f) and tensor products t2(x, z) written as mixed models and fitted by lmer (Gaussian) or glmer (--family binomial | poisson, Laplace); prints summary(gam) and the mer's summary")
    .argument('<file>', 'data file (.csv, .tsv, .arrow, .feather, .ipc, .parquet)')
    .argument('<formula>', "model formula with smooths, 'y ~ s(x) + z' (bs = \"tp\" (default), \"cr\", \"cc\" (cyclic) or \"ps\" (P-spline); by = a factor or numeric column; t2(x, z, k = c(5, 5)) with cr margins, bs = \"tp\", \"cc\", \"ps\" or one per margin, and by =)")
    .option('--random <formula>', "random-effects formula, gamm4's random = ~ (1 | g)")
    .option('--ml', 'fit by maximum likelihood (default REML; a binomial or Poisson fit is always ML)')
    .option('--family <name>', 'gaussian (default; lmer), binomial or poisson (glmer with the canonical link, Laplace; cbind(s, f) responses too)')
    .option('--factors <columns>', 'comma-separated numeric columns to read as factors')
    .addOption(new Option('--backend <name>', 'backend that evaluates the objective').choices([...BACKENDS]).default('cpu'))
    .option('--points <n>', "values per smooth in the JSON's plot data (default 50)")
    .option('--json', 'print the gam view, the mer and the plot data as one JSON object'))
    .option('--quiet', 'no notes on stderr')
    .action(async (file: string, formula: string, opts: Omit<Parameters<typeof runGamm>[0], 'file' | 'formula'>) => {
      process.exitCode = await runGamm({ file, formula, ...opts }, io());
    });

  csvReadOptions(program
    .command('reliability')
    .description("psych's ICC: Shrout & Fleiss's six intraclass correlations with F tests and McGraw & Wong's intervals, from lmer's subject/rater/residual variance decomposition (missing cells allowed)")
    .argument('<file>', 'data file (.csv, .tsv, .arrow, .feather, .ipc, .parquet): one row per rating')
    .option('--subject <column>', 'the column of subjects (targets)')
    .option('--rater <column>', 'the column of raters (judges)')
    .option('--value <column>', 'the column of ratings')
    .option('--raters <columns>', 'a wide file instead (one row per subject): its comma-separated columns of ratings, one per rater')
    .option('--alpha <a>', '1 − the intervals\' level (default 0.05)')
    .option('--json', 'print the result as one JSON object'))
    .option('--quiet', 'no warnings on stderr')
    .action(async (file: string, opts: Omit<Parameters<typeof runReliability>[0], 'file'>) => {
      process.exitCode = await runReliability({ file, ...opts }, io());
    });

  csvReadOptions(program
    .command('agreement')
    .description("multilevel's within-group agreement per group: rwg (one item) or rwg.j and rwg.j.lindell (several), awg and ad.m")
    .argument('<file>', 'data file (.csv, .tsv, .arrow, .feather, .ipc, .parquet): one row per rater')
    .option('--group <column>', 'the column of groups')
    .option('--items <columns>', 'comma-separated item columns')
    .option('--options <A>', 'the number of response options A: the uniform null variance (A² − 1)/12 and awg\'s range 1..A')
    .option('--ranvar <v>', 'the null variance itself (multilevel\'s ranvar; default 2)')
    .option('--range <L,H>', 'awg\'s scale (default 1,A or 1,5)')
    .option('--type <t>', 'ad.m about the mean (default) or the median')
    .option('--singletons <how>', 'a group of one rater: error (default) or na (multilevel\'s NA)')
    .option('--json', 'print the result as one JSON object'))
    .option('--quiet', 'no warnings on stderr')
    .action(async (file: string, opts: Omit<Parameters<typeof runAgreement>[0], 'file'>) => {
      process.exitCode = await runAgreement({ file, ...opts }, io());
    });

  const escalc = program
    .command('escalc')
    .description("effect sizes and sampling variances from raw study data (metafor's escalc): the data with yi and vi appended, as CSV on stdout or to --out")
    .argument('<file>', 'data file (.csv, .tsv, .arrow, .feather, .ipc, .parquet)')
    .option('--measure <name>', `effect-size measure: ${EFFECT_MEASURES.join(', ')}`);
  for (const a of ESCALC_COLUMN_ARGS) escalc.option(`--${a} <column>`, `the column of metafor's ${a}`);
  escalc
    .option('--add <x>', 'added to the cells of studies with a zero cell (2x2 tables, proportions; default 0.5)')
    .option('--to <which>', 'which studies get --add: only0 (default), all, if0all, none')
    .option('--drop00', 'drop studies with no events (or only events) in both groups')
    .option('--vtype <type>', 'sampling-variance type: LS (default), UB (RD, SMD, PR), HO (MD, ROM)')
    .option('--slab <column>', 'study labels (for error messages)')
    .option('--out <file>', 'write to a .csv or Arrow IPC (.arrow, .feather, .ipc) file instead of stdout')
    .option('--quiet', 'no notes on stderr')
    .action(async (file: string, opts: Omit<Parameters<typeof runEscalc>[0], 'file'>) => {
      process.exitCode = await runEscalc({ file, ...opts }, io());
    });
  const common = (cmd: Command) => csvReadOptions(cmd
    .option('--factors <columns>', 'comma-separated columns to read as factors')
    .option('--contrasts <factor=contrast,...>', "R's contrasts for fixed-effects factors (lme4's contrasts argument): contr.treatment (default), contr.sum, contr.helmert, contr.SAS or contr.poly, e.g. a=contr.sum,b=contr.helmert (rows in memory)")
    .option('--json', 'print the result as JSON')
    .addOption(new Option('--backend <name>', 'backend that evaluates the objective').choices([...BACKENDS]).default('cpu'))
    .option('--threads <n>', 'threads of the dense Cholesky (crossed factors) and of the passes over the rows (the model frame, glmer\'s PIRLS): a number or auto (default: the machine\'s cores)')
    .option('--family <name>', 'GLMMs (glmer): binomial, poisson, negative.binomial, Gamma, inverse.gaussian or gaussian (with --link log or inverse); a command that takes fewer refuses the others by name')
    .option('--link <name>', 'the GLMM\'s link')
    .option('--nagq <n>', 'glmer\'s nAGQ')
    .option('--weights <column>', 'prior weights'))
    .option('--quiet', 'no progress or notes on stderr');

  rowEngineOptions(common(program
    .command('anova')
    .description('likelihood-ratio tests between nested models (lme4\'s anova(m0, m1, …); REML fits are refitted by ML); with one formula, lme4\'s anova(fit): the sequential sums of squares and F values of the fixed-effects terms')
    .argument('<file-and-formulas...>', `FILE FORMULA0 [FORMULA1 …]: the data file and one lme4 model formula, or two or more to compare; ${FORMULA_ALONE}`)))
    .action(async (positional: string[], opts: CommandOptions) => {
      const { file, rest: formulas } = dataArguments(positional, opts, ['FORMULA'], true);
      process.exitCode = await runAnova({ ...opts, file, formulas }, io());
    });

  rowEngineOptions(common(program
    .command('confint')
    .description('confidence intervals (lme4\'s confint, oldNames = FALSE): profile (default), wald or a parametric bootstrap')
    .argument('<file-and-formula...>', `FILE FORMULA: the data file and the lme4 model formula; ${FORMULA_ALONE}`)
    .option('--method <name>', 'profile, wald or boot', 'profile')
    .option('--level <p>', 'confidence level', '0.95')
    .option('--nsim <n>', 'bootstrap replicates (default 500)')
    .option('--seed <s>', 'bootstrap seed (default 1)')
    .option('--boot-type <type>', 'bootstrap interval (boot.ci\'s): perc (default, as lme4), basic, norm or bca')
    .option('--jackknife-factor <name>', 'bca: the grouping factor whose levels the jackknife leaves out (default: the only one)')
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)')))
    .action(async (positional: string[], opts: CommandOptions) => {
      const { file, rest: [formula] } = dataArguments(positional, opts, ['FORMULA']);
      process.exitCode = await runConfint({ ...opts, file, formula }, io());
    });

  common(program
    .command('ranova')
    .description("lmerTest's ranova: likelihood-ratio tests of the random-effects terms, each reduced ((x | g) to (1 | g)) or removed, refitted with the fit's REML or ML")
    .argument('<file>', 'data file')
    .argument('<formula>', 'lme4 model formula')
    .option('--no-reduce-terms', "remove each random-effects term whole instead of reducing it (lmerTest's reduce.terms = FALSE)")
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)'))
    .action(async (file: string, formula: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runRanova({ file, formula, ...opts }, io());
    });

  common(program
    .command('rlrt')
    .description("RLRsim's exact tests of one variance component: exactRLRT (REML; FORMULA with one scalar random-effects term, or with --full and --null the tested term among several) or, with --ml, exactLRT against a linear model; the null distribution simulated from the design's eigenvalues")
    .argument('<file>', 'data file')
    .argument('<formula>', 'lme4 model formula with the tested random-effects term only (one scalar term, e.g. (1 | g) or (0 + x | g))')
    .option('--full <formula>', "exactRLRT's mA: the model with every random-effects term")
    .option('--null <formula>', "exactRLRT's m0: --full without the tested term; with --ml, exactLRT's linear model (default: FORMULA's fixed part)")
    .option('--nsim <n>', 'simulated values of the null distribution (default 10000)')
    .option('--seed <s>', 'seed of the simulation (default 1)')
    .option('--log-grid-hi <x>', "RLRsim's log.grid.hi: the largest log λ of the search grid (default 8)")
    .option('--log-grid-lo <x>', "RLRsim's log.grid.lo: the smallest positive log λ (default -10)")
    .option('--grid-length <n>', "RLRsim's gridlength: the grid's points, λ = 0 included (default 200)")
    .option('--ml', "fit by maximum likelihood: exactLRT")
    .option('--reml', 'fit by REML (the default): exactRLRT'))
    .action(async (file: string, formula: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runRlrt({ file, formula, ...opts }, io());
    });

  common(program
    .command('dharma')
    .description("DHARMa's simulated residual diagnostics: scaled (quantile) residuals from --nsim responses simulated from the fit (conditional on the fitted random effects, DHARMa 0.5.0's default), with testUniformity (Kolmogorov-Smirnov), testDispersion, testOutliers and, for counts, testZeroInflation")
    .argument('<file>', 'data file')
    .argument('<formula>', 'lme4 model formula')
    .option('--nsim <n>', 'simulations (default 250)')
    .option('--seed <s>', 'seed of the simulations and of the residuals\' randomization (default 123)')
    .option('--unconditional', "simulate new random effects (DHARMa's simulateREs = \"unconditional\")")
    .option('--outlier-type <type>', "testOutliers's type: default (bootstrap for counts of at most 500 observations, else binomial), binomial or bootstrap")
    .option('--group <column>', 'also the residuals summed per value of this column (recalculateResiduals) and their tests')
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)'))
    .action(async (file: string, formula: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runDharma({ file, formula, ...opts }, io());
    });

  program
    .command('clmm')
    .description("cumulative link mixed model for an ordered response (the R package ordinal's clmm), on the CPU: thresholds, coefficients with z tests, random-effects variances, logLik/AIC, cond.H")
    .argument('<file>', 'data file')
    .argument('<formula>', "model formula with lme4's random-effects terms, e.g. 'rating ~ temp + contact + (1 | judge)'")
    .option('--link <link>', 'logit (default), probit, cloglog, loglog or cauchit')
    .option('--threshold <kind>', 'flexible (default), equidistant or symmetric')
    .option('--nagq <n>', 'quadrature points: 1 (default, Laplace) or 2-25 (adaptive Gauss-Hermite; one scalar random-effects term)')
    .option('--levels <a,b,c>', "the response's categories in order (else an Arrow dictionary's order, or a numeric response's values)")
    .option('--factors <cols>', 'numeric columns to treat as factors (comma-separated)')
    .option('--weights <col>', "prior (frequency) weights column, > 0 (clmm's weights)")
    .option('--backend <name>', 'cpu (clmm runs on the CPU only)')
    .option('--emmeans <specs>', "print the fit's estimated marginal means instead of its summary (emmeans on clmm): '~ temp', '~ rating | temp' (mode prob), '~ temp | cut', or temp,contact")
    .option('--mode <mode>', "--emmeans: latent (default), linear.predictor, cum.prob, exc.prob, prob (each category's probability: the response's name is its pseudo-factor) or mean.class")
    .option('--by <columns>', '--emmeans: comma-separated variables whose levels form separate groups')
    .option('--at <values>', "--emmeans: values of the reference grid's variables, e.g. 'x=0,1;A=a1,a2'")
    .option('--emm-weights <how>', '--emmeans: how to average over the other factors: equal (default), proportional, outer, cells, flat')
    .option('--rescale <shift,scale>', '--emmeans with --mode latent: the latent scale (default 0,1)')
    .option('--type <scale>', '--emmeans with --mode linear.predictor: link (default) or response (cumulative probabilities; odds ratios of a logit link)')
    .option('--level <p>', '--emmeans: confidence level (default 0.95)')
    .option('--contrast <method>', '--emmeans: contrasts of the means: pairwise, revpairwise, trt.vs.ctrl, trt.vs.ctrlk, consec, eff, del.eff or poly')
    .option('--ref <level>', '--contrast trt.vs.ctrl: the control (a level, or its position from 1)')
    .option('--adjust <method>', "--emmeans: multiplicity adjustment (default: the contrast's, as emmeans; none for the means)")
    .option('--json', 'print the fit (or the means) as JSON')
    .option('--quiet', 'no notes on stderr')
    .action(async (file: string, formula: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runClmm({ file, formula, ...opts }, io());
    });

  program
    .command('coxme')
    .description("mixed-effects Cox model for survival data (Therneau's coxme), on the CPU: Surv(time, status) or Surv(start, stop, status), strata(), random intercepts (nested, crossed) and slopes; the Laplace integrated partial likelihood, coefficients with z tests, random-effects variances")
    .argument('<file>', 'data file')
    .argument('<formula>', "e.g. 'Surv(time, status) ~ x + (1 | centre)'")
    .option('--ties <method>', 'tied event times: efron (default, as coxme) or breslow')
    .option('--factors <cols>', 'numeric columns to treat as factors (comma-separated)')
    .option('--fixed-theta <values>', "hold θ (the random effects' standard deviations; lme4's layout for slopes) fixed, comma-separated: no optimization")
    .option('--json', 'print the fit as JSON')
    .option('--quiet', 'no notes on stderr')
    .action(async (file: string, formula: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runCoxme({ file, formula, ...opts }, io());
    });

  glhtFitOptions(program
    .command('zeroinfl')
    .description("glmmTMB model on the CPU: zero-inflated or hurdle count GLMM (ziformula), binomial, betabinomial, beta, gaussian, Gamma or tweedie GLMM, with a dispersion model (dispformula): conditional, zero-inflation and dispersion models' tables, random-effects variances, dispersion, logLik/AIC/BIC")
    .argument('<file>', 'data file')
    .argument('<formula>', "the conditional model with lme4's random-effects terms, e.g. 'count ~ mined + (1 | site)' or '(1 + x | g)'")
    .option('--family <name>', 'poisson (default), nbinom1, nbinom2, genpois, compois (Conway-Maxwell-Poisson), truncated_poisson, truncated_nbinom1, truncated_nbinom2, truncated_genpois, truncated_compois (the truncated ones: a hurdle model), binomial, betabinomial (cbind(s, f), 0/1, or a proportion with --weights), beta_family (or beta), gaussian, Gamma (log link), tweedie (log link, power estimated)')
    .option('--zi <formula>', "the zero-inflation (hurdle: zero) model: '~ 1' (default for counts), '~ x', '~ x + (1 | g)' (random effects), '~ 0' (default for binomial and betabinomial; the only one for beta_family, gaussian, Gamma and tweedie)")
    .option('--weights <column>', 'binomial and betabinomial: the numbers of trials of a proportion response (glmmTMB\'s weights)')
    .option('--disp <formula>', "the dispersion model log(phi) = X_d delta, fixed effects only: '~ 1' (default), '~ x' (glmmTMB's dispformula; gaussian: phi = sigma^2)")
    .option('--reml', "glmmTMB's REML = TRUE: the conditional model's fixed effects integrated out with the random effects (the restricted likelihood; logLik, AIC and df.resid as glmmTMB reports them)")
    .option('--factors <cols>', 'numeric columns to treat as factors (comma-separated)')
    .option('--predict <type>', "print one prediction per row instead: response, conditional, zprob, link, zlink or disp (glmmTMB's predict types)")
    .option('--dharma', "print DHARMa's simulated-residual tests instead (print.DHARMa, testUniformity, testDispersion, testZeroInflation, testOutliers)")
    .option('--nsim <n>', '--dharma: simulations (default 250)')
    .option('--seed <n>', '--dharma: the seed of the simulations and the residuals (default 123)')
    .option('--unconditional', "--dharma: new random effects in each simulation (glmmTMB 1.1.5's simulate; default: on the fitted ones, DHARMa 0.5.0's default)")
    .option('--check', "print performance's check_overdispersion and check_zeroinflation instead")
    .option('--r2', "print performance's r2 (Nakagawa's marginal and conditional R2) and icc instead (insight's variance components of the conditional model)")
    .option('--by-group', '--r2: also the ICC of each random-effects term with an intercept')
    .option('--tolerance <t>', "--r2: insight's tolerance of the singularity check (a random-effect variance below it; default 1e-5)")
    .option('--performance', "print performance's model_performance instead: AIC, AICc, BIC, R2, ICC, RMSE, Sigma, Log_loss, Score_log, Score_spherical where performance reports them")
    .option('--emmeans <specs>', "print the fit's estimated marginal means instead of its summary (emmeans on glmmTMB): '~ mined', '~ mined | spp', or mined,spp")
    .option('--component <name>', "--emmeans, --joint-tests, --glht: glmmTMB's component: cond (default: the conditional model, link scale), zi (the zero model, logit scale) or disp (the dispersion model, log scale; a dispformula other than '~ 1'); --tidy: the models whose rows are shown, cond,zi (default both)")
    .option('--by <columns>', '--emmeans, --joint-tests: comma-separated variables whose levels form separate groups')
    .option('--at <values>', "--emmeans: values of the reference grid's variables, e.g. 'cover=-1,1;mined=yes'")
    .option('--emm-weights <how>', '--emmeans: how to average over the other factors: equal (default), proportional, outer, cells, flat')
    .option('--type <scale>', '--emmeans: link (default) or response (back-transformed: rates, probabilities; ratios or odds ratios for contrasts); --ggpredict: fixed, random, zero_inflated or zi_random; --ggemmeans: fixed or random')
    .option('--level <p>', '--emmeans, --ggpredict, --ggemmeans, --confint (also with --glht): confidence level (default 0.95)')
    .option('--contrast <method>', '--emmeans: contrasts of the means: pairwise, revpairwise, trt.vs.ctrl, trt.vs.ctrlk, consec, eff, del.eff or poly')
    .option('--ref <level>', '--contrast trt.vs.ctrl: the control (a level, or its position from 1)')
    .option('--adjust <method>', "--emmeans: multiplicity adjustment (default: the contrast's, as emmeans; none for the means)")
    .option('--offset <value>', "--emmeans: a constant offset in place of the grid's (e.g. 0: rates per unit exposure)")
    .option('--trend <var>', "--emmeans: the slopes of the component's linear predictor in this numeric variable (emtrends) instead of the means")
    .option('--joint-tests', "print emmeans's joint_tests of the component's terms instead (--component, --by): an F test of each term with glmmTMB's residual df")
    .option('--tidy [effects]', "print broom.mixed's tidy() table (tidy.glmmTMB) as CSV instead of the summary: effects fixed, ran_pars, ran_vals, comma-separated (default ran_pars,fixed); --component cond,zi chooses the models' rows; with --json as JSON")
    .option('--glance', "print broom.mixed's glance() row as CSV (after --tidy's table, a blank line between), or with --json as JSON")
    .option('--conf-int [method]', 'with --tidy: Wald confidence intervals (conf.low, conf.high; Wald only)')
    .option('--conf-level <p>', "with --tidy: the intervals' level (default 0.95; implies --conf-int)")
    .option('--scales <scale>', 'with --tidy: ran_pars as sdcor (standard deviations and correlations, the default) or vcov (variances and covariances)')
    .option('--ran-prefix <a,b>', "with --tidy: ran_pars's term prefixes for one variable and for two (default sd,cor or var,cov), or NA for none")
    .option('--exponentiate', 'with --tidy: exp() of the fixed effects and their intervals (rate or odds ratios), std.error by the delta method')
    .option('--augment <file>', "write broom.mixed's augment() rows (augment.glmmTMB: the data's columns, .fitted, .se.fit, .resid) to a new CSV file; never overwritten")
    .option('--ggpredict <term>', "print ggeffects's ggpredict instead of the summary at this focal term ('x', 'x [1, 5, 10]', 'f [a, b]'); repeat for the group and facet terms; --type fixed (default), random, zero_inflated or zi_random (points only: ggeffects simulates their intervals), --level, --typical, --condition", collect, [])
    .option('--ggemmeans <term>', "print ggeffects's ggemmeans (the conditional model's estimated marginal means) instead of the summary at this focal term; repeatable; --type fixed or random, --level, --typical, --condition", collect, [])
    .option('--confint [method]', "print glmmTMB's confint instead of the summary: wald (the default: the fixed effects, the random effects' SDs and correlations), uniroot (each parameter's profile likelihood interval on its internal scale, TMB's tmbroot) or profile (glmmTMB's spline through TMB's tmbprofile's points, the same scale); --parm, --level, --component all,cond,zi,other, --full; with --glht (no method): glht's simultaneous intervals")
    .option('--profile <out.csv>', "write glmmTMB's profile(fit) (.par, .focal, value: TMB's tmbprofile of each parameter) to OUT.csv; --parm, --npts, --level-max")
    .option('--npts <n>', '--profile: points per χ²₁(level-max) of −log L (glmmTMB\'s npts, default 8)')
    .option('--level-max <p>', "--profile: how far each profile reaches, −log L up by χ²₁(p) (glmmTMB's level_max, default 0.99)")
    .option('--parm <names>', "--confint, --profile: glmmTMB's parm, comma-separated: theta_, beta_, disp_, names as vcov(fit, full = TRUE) gives them ('(Intercept)', 'zi~minedyes', 'theta_1|site.1') or 1-based positions")
    .option('--full', '--confint: with the sigma row (wald), the dispersion parameter (uniroot, profile)')
    .option('--parameters', "print parameters's model_parameters table instead of the summary: the conditional, zero-inflation and dispersion models' coefficients with Wald z intervals, the random effects' SDs and correlations with glmmTMB's Wald intervals; --ci-method wald or normal, --ci, --effects, --component all,conditional,zi,dispersion, --exponentiate, --json")
    .option('--ci-method <method>', '--parameters: wald (default) or normal')
    .option('--ci <p>', "--parameters: the intervals' level (default 0.95)")
    .option('--effects <which>', '--parameters: fixed, random or all (default)')
    .option('--typical <how>', "--ggpredict, --ggemmeans: the other covariates' value, mean (default) or median")
    .option('--condition <values>', "--ggpredict, --ggemmeans: values of non-focal variables, e.g. 'cover=0;mined=yes'")
    .option('--anova [type]', "print car's Anova of the fit instead of the summary (glmmTMB's Anova.glmmTMB): a Wald chi-square test of each term of --component cond (default), zi or disp; type II (the default) or III (with the intercept), also 2, 3")
    .option('--drop1', "print stats' drop1(fit, test = \"Chisq\") instead: each term of the conditional model refitted without it (Df, AIC, LRT, Pr(>Chi)); --scope, --test")
    .option('--scope <terms>', "--drop1: comma-separated terms of the conditional model to drop (default: those no other term contains)")
    .option('--test <name>', `--drop1: chisq (default: the likelihood-ratio test) or none (Df and AIC only); --glht: summary's test, ${GLHT_TESTS.join(', ')} (default single-step)`)
    .option('--compare <spec>', "print glmmTMB's anova(m0, m1, ...) instead: this fit (m0) against the fit of another model, 'FORMULA[; zi=~x][; disp=~x][; family=F]' (this command's --zi, --disp, --family unless given); repeatable", collect, [])
    , ['test', 'confint', 'level'])
    .option('--backend <name>', 'cpu (zero-inflated models run on the CPU only)')
    .option('--json', 'print the fit (or the means) as JSON')
    .option('--quiet', 'no notes on stderr')
    .action(async (file: string, formula: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runZeroinfl({ file, formula, ...opts }, io());
    });

  rowEngineOptions(common(program
    .command('lsmeans')
    .description("lmerTest's ls_means of an lmer fit: the least-squares means of each factor term (covariates at their means) with SE, Satterthwaite's or Kenward-Roger's df, t, interval and p; --pairwise: difflsmeans, all pairwise differences; --show-tests: the contrast matrices (show_tests)")
    .argument('<file-and-formula...>', `FILE FORMULA: the data file and the lme4 model formula; ${FORMULA_ALONE}`)
    .option('--which <terms>', "comma-separated factor terms (lmerTest's which; default every term of factors only)")
    .option('--pairwise', "all pairwise differences of each term's means (lmerTest's difflsmeans)")
    .option('--ddf <method>', 'satterthwaite (default) or kenward-roger')
    .option('--level <p>', "the intervals' confidence level (default 0.95)")
    .option('--show-tests', "also print the contrast matrices behind the rows (lmerTest's show_tests)")
    .option('--fractions', "with --show-tests: the entries as MASS's fractions")
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)')))
    .action(async (positional: string[], opts: CommandOptions) => {
      const { file, rest: [formula] } = dataArguments(positional, opts, ['FORMULA']);
      process.exitCode = await runLsMeans({ ...opts, file, formula }, io());
    });

  rowEngineOptions(common(program
    .command('drop1')
    .description("drop1 of the marginal fixed-effects terms: lmerTest's F tests with Satterthwaite's or Kenward-Roger's ddf (lmer), or lme4's (glmer, --family): each term dropped and the model refitted, npar, AIC, LRT, Pr(Chi)")
    .argument('<file-and-formula...>', `FILE FORMULA: the data file and the lme4 model formula; ${FORMULA_ALONE}`)
    .option('--ddf <method>', 'lmer: satterthwaite (default) or kenward-roger')
    .option('--test <name>', "glmer: lme4's test, chisq (default: the likelihood-ratio test) or none (npar and AIC only)")
    .option('--scope <terms>', "comma-separated marginal terms to test (lmerTest's scope; default all)")
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)')))
    .action(async (positional: string[], opts: CommandOptions) => {
      const { file, rest: [formula] } = dataArguments(positional, opts, ['FORMULA']);
      process.exitCode = await runDrop1({ ...opts, file, formula }, io());
    });

  common(program
    .command('step')
    .description("lmerTest's step: backward elimination of the random-effects terms (ranova's likelihood-ratio tests) then of the marginal fixed-effects terms (drop1's F tests), with the final model")
    .argument('<file>', 'data file')
    .argument('<formula>', 'lme4 model formula')
    .option('--ddf <method>', 'the F tests\' ddf: satterthwaite (default) or kenward-roger')
    .option('--alpha-random <p>', 'random-effects terms with a p-value above it are eliminated (default 0.1)')
    .option('--alpha-fixed <p>', 'fixed-effects terms with a p-value above it are eliminated (default 0.05)')
    .option('--keep <terms>', 'comma-separated fixed-effects terms never eliminated (lmerTest\'s keep)')
    .option('--no-reduce-fixed', 'eliminate no fixed-effects term (lmerTest\'s reduce.fixed = FALSE)')
    .option('--no-reduce-random', 'eliminate no random-effects term (lmerTest\'s reduce.random = FALSE)')
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)'))
    .action(async (file: string, formula: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runStep({ file, formula, ...opts }, io());
    });

  rowEngineOptions(common(program
    .command('emmeans')
    .description("estimated marginal means (emmeans's emmeans) and their contrasts, for lmer and glmer fits")
    .argument('<file-formula-specs...>', `FILE FORMULA SPECS: the data file, the lme4 model formula and the means' variables: '~ A', '~ A | B' (B's levels as groups), '~ A * B', or A,B; ${FORMULA_ALONE}`)
    .option('--by <columns>', 'comma-separated variables whose levels form separate groups')
    .option('--at <values>', "values of the reference grid's variables, e.g. 'x=0,1;A=a1,a2' (covariates: their means unless given)")
    .option('--emm-weights <how>', 'how to average over the other factors: equal (default), proportional, outer, cells, flat')
    .option('--ddf <method>', 'lmer: kenward-roger (default for REML fits), satterthwaite (default for ML fits) or asymptotic')
    .option('--type <scale>', 'glmer: link (default) or response (back-transformed means; odds ratios or ratios of a logit or log link)')
    .option('--level <p>', 'confidence level (default 0.95)')
    .option('--contrast <method>', 'contrasts of the means: pairwise, revpairwise, trt.vs.ctrl, trt.vs.ctrlk, consec, eff, del.eff or poly')
    .option('--ref <level>', 'trt.vs.ctrl: the control (a level, or its position from 1)')
    .option('--adjust <method>', "multiplicity adjustment: tukey, dunnettx, scheffe, sidak, bonferroni, holm, hochberg, hommel, BH (fdr), BY or none (default: the contrast's, as emmeans; none for the means)")
    .option('--offset <value>', 'a constant offset in place of the grid\'s (e.g. 0: rates per unit exposure)')
    .option('--trend <covariate>', "emtrends: the covariate's slopes by the specs' levels instead of means")
    .option('--regrid [transform]', "emmeans's regrid(): the means as the grid before the printout and --contrast: response (the default: probabilities, rates, a log(y)'s means; contrasts their differences), unlink, mu (as response), log (their logs: with --type response, contrasts as ratios of them) or none")
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)')))
    .action(async (positional: string[], opts: CommandOptions) => {
      const { file, rest: [formula, specs] } = dataArguments(positional, opts, ['FORMULA', 'SPECS']);
      process.exitCode = await runEmmeans({ ...opts, file, formula, specs }, io());
    });

  for (const method of ['ggpredict', 'ggemmeans'] as const) {
    common(program
      .command(method)
      .description(method === 'ggpredict'
        ? "ggeffects's ggpredict: adjusted predictions with confidence (or prediction) intervals at the focal terms' representative values, other covariates at their mean and factors at their reference level, for lmer and glmer fits"
        : "ggeffects's ggemmeans: adjusted predictions as estimated marginal means (other factors averaged over), for lmer and glmer fits")
      .argument('<file>', 'data file')
      .argument('<formula>', 'lme4 model formula')
      .option('--terms <term>', "a focal term: 'x', 'x [1, 5, 10]', 'x [meansd]', 'x [minmax]', 'x [quart]', 'x [n=5]', 'x [0:10 by=2]', 'f [a, b]'; repeat for the group and facet terms (at most 3)", collect, [])
      .option('--type <type>', 'fixed (default: confidence intervals) or random (prediction intervals with the residual variance)')
      .option('--level <p>', 'confidence level (default 0.95)')
      .option('--typical <how>', "the other covariates' value: mean (default) or median")
      .option('--condition <values>', "values of non-focal variables, e.g. 'x=2;h=lo'")
      .option('--ml', 'fit by maximum likelihood')
      .option('--reml', 'fit by REML (the default)'))
      .action(async (file: string, formula: string, opts: Record<string, string | string[] | boolean | undefined>) => {
        process.exitCode = await runGgeffects(method, { ...opts, file, formula } as never, io());
      });
  }

  common(program
    .command('parameters')
    .description("parameters's model_parameters: the fixed effects with intervals and p-values by a ci_method, the random effects' SDs and correlations, for lmer and glmer fits; with --standardize, effectsize's standardize_parameters")
    .argument('<file>', 'data file')
    .argument('<formula>', 'lme4 model formula')
    .option('--ci-method <method>', 'wald (default), normal, residual, satterthwaite, kenward (lmer), ml1, betwithin or profile')
    .option('--ci <p>', 'the intervals\' level (default 0.95)')
    .option('--effects <which>', 'fixed, random or all (default)')
    .option('--exponentiate', 'exp() of the fixed effects and their intervals (odds ratios, IRRs)')
    .option('--standardize <method>', 'standardized coefficients: refit, posthoc, smart, basic or pseudo')
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)'))
    .action(async (file: string, formula: string, opts: Record<string, string | string[] | boolean | undefined>) => {
      process.exitCode = await runParameters({ ...opts, file, formula } as never, io());
    });

  common(program
    .command('tabmodel')
    .description("sjPlot's tab_model: the regression table of one or several lmer or glmer (--family, for every formula) fits side by side — estimates (odds ratios, IRRs), CI, p; σ², τ00, τ11, ρ01, ICC, N per grouping factor, observations, Nakagawa's marginal / conditional R² — as text, sjPlot's HTML page (--html) or JSON")
    .argument('<file>', 'data file')
    .argument('<formulas...>', 'one or more lme4 model formulas (one column of the table each)')
    .option('--df-method <method>', "sjPlot's df.method (parameters's ci_method): wald (default), satterthwaite, kenward (kr), ml1, betwithin, residual, normal or profile")
    .option('--p-style <style>', 'numeric (default), stars or numeric_stars')
    .option('--transform <t>', 'exp (default for glmer: odds ratios, IRRs) or none (log-odds, log-mean)')
    .option('--ci <p>', "the intervals' level (default 0.95)")
    .option('--no-ci', 'no CI column')
    .option('--show-se', 'a std. Error column')
    .option('--show-stat', 'a Statistic column')
    .option('--show-df', 'a df column')
    .option('--show-aic', 'the AIC row')
    .option('--show-loglik', 'the log-Likelihood row')
    .option('--show-dev', 'the Deviance row')
    .option('--no-show-p', 'no p column')
    .option('--no-show-icc', 'no ICC row')
    .option('--no-show-r2', 'no R² row')
    .option('--no-show-re-var', 'no random-effects variances (σ², τ00, τ11, ρ01)')
    .option('--no-show-ngroups', 'no N rows of the grouping factors')
    .option('--no-show-obs', 'no Observations row')
    .option('--no-show-intercept', 'no (Intercept) row')
    .option('--collapse-ci', 'the CI under the estimate, in one column')
    .option('--collapse-se', 'the SE under the estimate, in one column')
    .option('--digits <n>', 'decimals of the estimates, CIs, SEs, statistics and df (default 2)')
    .option('--digits-p <n>', 'decimals of the p-values (default 3)')
    .option('--digits-re <n>', 'decimals of the random-effects rows (default 2)')
    .option('--digits-rsq <n>', 'decimals of the R² (default 3)')
    .option('--dv-labels <labels>', "the models' headers, separated by ';'")
    .option('--pred-labels <labels>', "the predictors' labels: one per row separated by ';', or term=label;…")
    .option('--title <text>', "the table's caption")
    .option('--string-est <text>', 'the estimate column\'s header')
    .option('--string-ci <text>', 'the CI column\'s header')
    .option('--string-p <text>', 'the p column\'s header')
    .option('--string-se <text>', 'the std. Error column\'s header')
    .option('--string-stat <text>', 'the Statistic column\'s header')
    .option('--string-df <text>', 'the df column\'s header')
    .option('--string-pred <text>', 'the Predictors column\'s header')
    .option('--html <file>', "also write sjPlot's complete HTML page (its CSS and the table) to this file (not overwritten)")
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)'))
    .action(async (file: string, formulas: string[], opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runTabmodel({ ...opts, file, formulas } as never, io());
    });

  rowEngineOptions(common(program
    .command('joint-tests')
    .description("emmeans's joint_tests: an F test of each fixed-effects term (and each set of variables within a term) from the interaction contrasts of estimated marginal means, for lmer and glmer fits")
    .argument('<file-and-formula...>', `FILE FORMULA: the data file and the lme4 model formula; ${FORMULA_ALONE}`)
    .option('--by <columns>', 'comma-separated variables whose levels form separate tables')
    .option('--ddf <method>', 'lmer: kenward-roger (default for REML fits), satterthwaite (default for ML fits) or asymptotic')
    .option('--show0df', 'also the rows with df1 = 0')
    .option('--no-confounded', 'without the "(confounded)" row')
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)')))
    .action(async (positional: string[], opts: CommandOptions) => {
      const { file, rest: [formula] } = dataArguments(positional, opts, ['FORMULA']);
      process.exitCode = await runJointTests({ ...opts, file, formula }, io());
    });

  common(program
    .command('influence')
    .description("case-deletion influence (lme4's influence.merMod) of an lmer or glmer (--family) fit: the model refitted without each level of --groups (or each observation), Cook's distance and dfbetas by unit, largest Cook's distance first")
    .argument('<file>', 'data file')
    .argument('<formula>', 'lme4 model formula')
    .option('--groups <factor>', 'the grouping factor whose levels are deleted one at a time (default: each observation)')
    .option('--maxfun <n>', "each refit's evaluation budget (lme4's default 1000)")
    .option('--top <n>', "text output: the units with the largest Cook's distances shown (default 20; --json gives all)")
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)'))
    .action(async (file: string, formula: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runInfluence({ file, formula, ...opts }, io());
    });
  common(program
    .command('pool')
    .description("multiple imputation: the model fitted to each imputed data set of FILE (mice's long format, imputation column --imp, imputation 0 left out) and pooled by Rubin's rules as mitml's testEstimates; with --null mitml's testModels (D1, D2, D3, D4), with --constraints its testConstraints; --json adds mice's pool")
    .argument('<file>', 'data file in long format')
    .argument('<formula>', 'lme4 model formula')
    .option('--imp <column>', 'the imputation column (default .imp)')
    .option('--null <formula>', 'the null model, nested in FORMULA: testModels')
    .option('--constraints <list>', "comma-separated linear constraints on the fixed effects ('SES, SexGirl - ReadDis'): testConstraints")
    .option('--method <m>', 'D1 (default), D2, D3 (lmer and --null only) or D4 (--null only: the models fitted to the imputations stacked)')
    .option('--use <u>', "D2's statistics: wald (default) or likelihood")
    .option('--ariv <a>', "mitml's estimate of r: default, positive (truncated at 0: D2, D3, D4) or robust (D4)")
    .option('--extra-pars', "add mitml's pooled variance components")
    .option('--df-com <n>', "complete-data df: Barnard & Rubin's df (testEstimates, mice's pool) and Reiter's (D1)")
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)'))
    .action(async (file: string, formula: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runPool({ file, formula, ...opts } as never, io());
    });
  common(program
    .command('caic')
    .description("cAIC4's conditional AIC (Greven & Kneib 2010) of an lmer fit, or of a Poisson or Bernoulli glmer fit (--family; Säfken et al.'s correction by one refit per observation): the conditional log-likelihood, the bias correction (degrees of freedom) and cAIC, zero variance components removed and the model refitted as cAIC4 does")
    .argument('<file>', 'data file')
    .argument('<formula>', 'lme4 model formula')
    .option('--sigma-penalty <k>', "cAIC4's sigma.penalty: added to an lmer fit's degrees of freedom for the estimated σ (default 1)")
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)'))
    .action(async (file: string, formula: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runCaic({ file, formula, ...opts }, io());
    });
  common(program
    .command('predictinterval')
    .description("merTools's predictInterval: prediction intervals of an lmer or glmer (--family) fit by simulation — β from N(β̂, vcov), each level's random effects from N(b̂, condVar), σ from its scaled inverse χ² (lmer), the residual added — the median (or mean) and the level's quantiles of the draws per row of --newdata")
    .argument('<file>', 'data file')
    .argument('<formula>', 'lme4 model formula')
    .option('--newdata <file>', 'the rows to predict (a data file with the formula\'s variables; levels not in the fit contribute no random effect)')
    .option('--which <which>', 'full (default), fixed, random or all (the sum and each part)')
    .option('--level <p>', "the intervals' coverage (default 0.8)")
    .option('--nsims <n>', 'draws (default 1000)')
    .option('--seed <s>', 'seed of the draws (default 1)')
    .option('--stat <stat>', 'the point estimate: median (default) or mean of the draws')
    .option('--type <type>', 'linear.prediction (default) or probability (glmer: the inverse link)')
    .option('--no-resid-var', "without the residual draws (merTools's include.resid.var = FALSE)")
    .option('--csv <file>', 'write the table to this new CSV file')
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)'))
    .action(async (file: string, formula: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runPredictInterval({ file, formula, ...opts }, io());
    });
  common(program
    .command('resim')
    .description("merTools's REsim (per grouping factor, level and random-effects column: mean, median and SD of arm's sim draws of the random effects) or, with --fixed, FEsim (per fixed effect)")
    .argument('<file>', 'data file')
    .argument('<formula>', 'lme4 model formula')
    .option('--nsims <n>', 'draws (default 200)')
    .option('--seed <s>', 'seed of the draws (default 1)')
    .option('--odds-ratio', 'exp of the mean and the median (SD NA)')
    .option('--fixed', "FEsim: the fixed effects' draws")
    .option('--csv <file>', 'write the table to this new CSV file')
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)'))
    .action(async (file: string, formula: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runReSim({ file, formula, ...opts }, io());
    });
  common(program
    .command('robust')
    .description("clubSandwich's cluster-robust (sandwich) inference of an lmer fit: vcovCR with its small-sample adjustment, coef_test and conf_int of each coefficient, Wald_test of constraints (the clusters: a grouping factor in which every other is nested; default the one with the fewest levels)")
    .argument('<file>', 'data file')
    .argument('<formula>', 'lme4 model formula')
    .option('--type <type>', 'CR0, CR1, CR1p, CR1S, CR2 or CR3', 'CR2')
    .option('--cluster <factor>', 'the clustering grouping factor (default: the one with the fewest levels, the highest level of nesting)')
    .option('--test <test>', "coef_test's and conf_int's test: Satterthwaite, naive-t, naive-tp, z, or saddlepoint (tests only)", 'Satterthwaite')
    .option('--level <p>', "conf_int's confidence level", '0.95')
    .option('--wald <coefs>', "Wald_test of constrain_zero: comma-separated coefficients, each 0")
    .option('--wald-equal <coefs>', "Wald_test of constrain_equal: comma-separated coefficients, all equal")
    .option('--wald-test <tests>', "Wald_test's tests, comma-separated: HTZ (default), HTA, HTB, chi-sq, Naive-F, Naive-Fp, EDF, EDT, or All")
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)'))
    .action(async (file: string, formula: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runRobust({ file, formula, ...opts }, io());
    });
  common(program
    .command('allfit')
    .description("lme4's allFit: the lmer or glmer (--family) fit refitted by each optimizer from lme4's start (our BOBYQA, lme4's Nelder_Mead, a projected L-BFGS quasi-Newton), printed as summary(allFit) (which.OK, msgs, fixef, llik, sdcor, theta, times, feval) with a verdict")
    .argument('<file>', 'data file')
    .argument('<formula>', 'lme4 model formula')
    .option('--optimizers <names>', `comma-separated: ${OPTIMIZER_METHODS.join(', ')} (default: all)`)
    .option('--maxfun <n>', "each refit's evaluation budget (default 100000, lme4's allFit)")
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)'))
    .action(async (file: string, formula: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runAllFit({ file, formula, ...opts }, io());
    });
  common(program
    .command('modcomp')
    .description("pbkrtest's comparison of two nested lmer fits: KRmodcomp (Kenward-Roger's F test, the default), SATmodcomp (Satterthwaite's) or PBmodcomp (the parametric-bootstrap likelihood-ratio test)")
    .argument('<file>', 'data file')
    .argument('<large>', "the large model's formula")
    .argument('<small>', "the small model's formula, or (kr, sat) a restriction matrix L of the large model's fixed effects: rows separated by ';' ('0 0 1 0; 0 0 0 1')")
    .option('--method <name>', 'kr (default), sat or pb')
    .option('--nsim <n>', 'pb: simulations (default 1000)')
    .option('--seed <s>', 'pb: the random seed (default 1)')
    .option('--summary', "pbkrtest's summary layout (kr: the unscaled row too; pb: the Gamma, Bartlett and F approximations)")
    .option('--ml', 'fit by maximum likelihood (kr and sat refit the large model with REML, as pbkrtest)')
    .option('--reml', 'fit by REML (the default)'))
    .action(async (file: string, large: string, small: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runModcomp({ file, large, small, ...opts }, io());
    });
  common(program
    .command('mixed')
    .description("afex's mixed(): one ANOVA table of type 3 (or 2) tests of a mixed model's fixed-effects terms for factorial designs, every factor set to contr.sum: KR and S (lmerTest's F tests, Kenward-Roger's or Satterthwaite's df), LRT (likelihood-ratio tests of nested ML fits, each term's columns removed), PB (pbkrtest's parametric bootstrap of those) or nested-KR (pbkrtest's KRmodcomp of nested REML fits); --per-parameter to test a term's parameters one at a time; --family for a glmer (LRT and PB)")
    .argument('<file>', 'data file')
    .argument('<formula>', 'lme4 model formula')
    .option('--method <name>', "KR, S (afex's default), LRT, PB or nested-KR (pbkrtest's KRmodcomp of each nested REML fit against the full one)")
    .option('--per-parameter <regex>', "afex's per_parameter (LRT, PB, nested-KR; type 3): each term whose label the regular expression matches is tested one parameter (column) at a time; repeatable", collect, [])
    .option('--type <n>', '3 (default) or 2')
    .option('--test-intercept', 'test the intercept too (KR: car::Anova\'s F test; LRT, PB: a fit without it)')
    .option('--expand-re', "afex's expand_re: the random-effects terms' left-hand sides as numeric columns (`||` with factors)")
    .option('--all-fit', "afex's all_fit: every fit refitted by allFit's optimizers, the best log-likelihood kept")
    .option('--no-check-contrasts', "keep the factors' default (treatment) coding instead of contr.sum")
    .option('--nsim <n>', 'PB: simulations (default 1000)')
    .option('--seed <s>', 'PB: the random seed (default 1)')
    .option('--ml', 'KR and S: fit by maximum likelihood (LRT and PB always do)'))
    .action(async (file: string, formula: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runMixed({ file, formula, ...opts }, io());
    });
  common(program
    .command('power')
    .description("simr's power analysis of an lmer fit (or a glmer fit with --family: z and lr tests) by simulation: powerSim (the share of simulated responses whose refit's test of --test is significant, with its Clopper-Pearson interval), on a design extended by simr's extend (--extend, --within), or simr's powerCurve (--curve)")
    .argument('<file>', 'data file')
    .argument('<formula>', 'lme4 model formula')
    .option('--test <term>', 'the fixed-effects term (or coefficient, for t and z) tested (default: the first term)')
    .option('--method <m>', "simr's test: t (lmerTest, Satterthwaite), kr (Kenward-Roger, lmer's default for one column), lr (likelihood ratio, the default for a factor), z (glmer's default), f (car's type-II F with Kenward-Roger), anova (lmerTest's type-2 anova F, Satterthwaite), chisq (car's type-II Wald chi-square), pb (pbkrtest's parametric bootstrap)")
    .option('--compare <formula>', "simr's compare: the fit against update(fit, formula), e.g. '. ~ . - x' (--method lr or pb)")
    .option('--fcompare <formula>', "simr's fcompare: against the fixed part given with the fit's random terms, e.g. '~ 1' (--method lr, kr or pb)")
    .option('--rcompare <formula>', "simr's rcompare: against the fit's fixed part with the random terms given, e.g. '~ (1 | g)' (--method lr or pb)")
    .option('--pbnsim <n>', "the parametric bootstrap's simulations within each replicate of a pb test (simr's pbnsim, default 100)")
    .option('--nsim <n>', 'simulations (default 1000)')
    .option('--seed <s>', 'the random seed (default 1)')
    .option('--alpha <a>', 'the significance level (default 0.05)')
    .option('--fixef <pairs>', "effect sizes simulated with: coefficient=value pairs, comma-separated (simr's fixef(fit)['x'] <- value)")
    .option('--sigma <s>', "the residual SD simulated with (simr's sigma(fit) <- s)")
    .option('--extend <col=n>', "simr's extend along a column: n values of it, each a copy of an existing one's rows (e.g. Subject=40)")
    .option('--within <col=n>', "simr's extend within: n observations in each group of a column (its rows recycled)")
    .option('--curve <col=k,...>', "simr's powerCurve along a column: the power with its first k values (levels), for each k (default simr's breaks)")
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)'))
    .action(async (file: string, formula: string, opts: Record<string, string | boolean | undefined>) => {
      process.exitCode = await runPower({ file, formula, ...opts }, io());
    });
  rowEngineOptions(common(program
    .command('getme')
    .description("lme4's getME(fit, name): the model's pieces in lme4's parametrization and order (X, Z, Zt, Lambda, Lambdat, Lind, theta, beta, fixef, u, b, y, mu, offset, weights, flist, cnms, Gp, n, N, p, q, k, l_i, q_i, m_i, m, lower, sigma, REML, is_REML, devcomp, RX, RZX, glmer.nb.theta, Ztlist, mmList, L, A, ST, Tlist, Tp, n_rtrms, n_rfacs, p_i; devfun only in the library); sparse matrices as their entries (text) or CSC slots p, i, x (--json)")
    .argument('<file-formula-names...>', `FILE FORMULA NAMES: the data file, the lme4 model formula and getME's names, comma-separated; ${FORMULA_ALONE}`)
    .option('--theta <size>', 'negative.binomial: a fixed size theta (default: estimated, as glmer.nb)')
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)')))
    .action(async (positional: string[], opts: CommandOptions) => {
      const { file, rest: [formula, names] } = dataArguments(positional, opts, ['FORMULA', 'NAMES']);
      process.exitCode = await runGetME({ ...opts, file, formula, names }, io());
    });

  common(program
    .command('glht')
    .description("multcomp's glht: general linear hypotheses of an lmer or glmer (--family) fit's fixed effects — multiple comparisons of a factor's levels (--mcp) or hypotheses on the coefficients (--linfct) — with summary's tests (single-step by default) and confint")
    .argument('<file-and-formula...>', `FILE FORMULA: the data file and the lme4 model formula; ${FORMULA_ALONE}`)
    .option('--mcp <factor=type>', "multiple comparisons of a factor's levels: FACTOR=Tukey, Dunnett, Sequen, AVE, Changepoint, Williams, Marcus, McDermott, UmbrellaWilliams or GrandMean, or a hypothesis on its levels ('Variety=Victory - Marvellous = 0'); repeatable", collect, [])
    .option('--linfct <hypothesis>', "a hypothesis on the coefficients: 'x = 0', 'fb - fc = 0', '2 * x - z <= 1' (==, =, <=, >=); repeatable", collect, [])
    .option('--alternative <a>', 'two.sided (default), less or greater (for --mcp types; hypotheses say theirs by ==, >=, <=)')
    .option('--rhs <m>', 'the right-hand side m of Kβ = m for --mcp types: one number or one per hypothesis, comma-separated')
    .option('--df <d>', "the t's degrees of freedom (default 0: the normal, multcomp's choice for lmer and glmer fits)")
    .option('--test <t>', `summary's test: ${GLHT_TESTS.join(', ')} (default single-step); repeatable`, collect, [])
    .option('--confint', "also confint(): simultaneous intervals (--calpha adjusted, the default) or univariate ones")
    .option('--calpha <c>', 'the intervals\' critical value: adjusted (default) or univariate')
    .option('--level <l>', 'the intervals\' confidence level (default 0.95)')
    .option('--abseps <e>', 'the multivariate normal/t integrals\' absolute error (default 1e-4)')
    .option('--cld', "also multcomp's compact letter display of a Tukey family (cld): of each --test's p-values below --cld-level, or of the intervals with --confint")
    .option('--cld-level <a>', "cld's significance level of the p-values (default 0.05)")
    .option('--decreasing', "cld's letters from the last level (multcomp's decreasing = TRUE)")
    .option('--interaction-average', AVERAGE_HELP.interaction)
    .option('--covariate-average', AVERAGE_HELP.covariate)
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)'))
    .action(async (positional: string[], opts: CommandOptions) => {
      const { file, rest: [formula] } = dataArguments(positional, opts, ['FORMULA']);
      process.exitCode = await runGlht({ ...opts, file, formula } as never, io());
    });

  rowEngineOptions(common(program
    .command('r2')
    .description("Nakagawa's marginal and conditional R2 and the intraclass correlation of an lmer or glmer fit (performance's r2_nakagawa and icc)")
    .argument('<file-and-formula...>', `FILE FORMULA: the data file and the lme4 model formula; ${FORMULA_ALONE}`)
    .option('--by-group', "also the ICC of each random-effects term with an intercept (performance's icc(by_group = TRUE))")
    .option('--tolerance <t>', "insight's singularity tolerance: a diagonal theta below it gives no random-effect variance (default 1e-5)")
    .option('--theta <size>', 'negative.binomial: a fixed size theta (default: estimated, as glmer.nb)')
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)')))
    .action(async (positional: string[], opts: CommandOptions) => {
      const { file, rest: [formula] } = dataArguments(positional, opts, ['FORMULA']);
      process.exitCode = await runR2({ ...opts, file, formula }, io());
    });
  rowEngineOptions(common(program
    .command('check')
    .description("performance's model checks and indices of an lmer or glmer fit, every one that applies: check_collinearity (VIF), check_overdispersion (Poisson, negative binomial, binomial with trials > 1), check_zeroinflation (count families), check_singularity, check_convergence and model_performance (AIC, AICc, BIC, R2, ICC, RMSE, Sigma; glmer: Log_loss and the scoring rules); an lmer fit whose rows are in an engine gets the checks that need no rows")
    .argument('<file-and-formula...>', `FILE FORMULA: the data file and the lme4 model formula; ${FORMULA_ALONE}`)
    .option('--estimator <e>', "model_performance's log-likelihood of an lmer fit: REML (performance's default; of an ML fit too, at its estimates) or ML (no refit)")
    .option('--ci <level>', "check_collinearity's confidence level of the VIF's interval (default 0.95)")
    .option('--tolerance <t>', "check_singularity's tolerance: a diagonal theta below it is singular (default 1e-5; lme4's isSingular uses 1e-4)")
    .option('--zi-tolerance <t>', "check_zeroinflation's tolerance of the ratio of predicted to observed zeros around 1 (default 0.05)")
    .option('--conv-tolerance <t>', "check_convergence's tolerance of max |solve(Hessian, gradient)| (default 0.001)")
    .option('--theta <size>', 'negative.binomial: a fixed size theta (default: estimated, as glmer.nb)')
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)')))
    .action(async (positional: string[], opts: CommandOptions) => {
      const { file, rest: [formula] } = dataArguments(positional, opts, ['FORMULA']);
      process.exitCode = await runCheck({ ...opts, file, formula }, io());
    });
  return program;
}

/**
 * anova's, confint's, drop1's, emmeans's, joint-tests', lsmeans's, r2's and getme's --engine: a file's rows read into memory,
 * or A formed by the stream, DuckDB or ClickHouse (profile intervals, likelihood-ratio tests, the ddf
 * methods and an lmer fit's R² and ICC need only A, emmeans's reference grid the first pass's summaries;
 * the bootstrap needs the rows and is refused), with the options of each engine
 */
function rowEngineOptions(cmd: Command): Command {
  return engineOptions(cmd, 'where the rows are read: memory (the whole table), stream (record batches of the file), duckdb (out of core; files and globs) or clickhouse (a table at --url; the arguments without FILE): the profile, likelihood-ratio tests, ddf methods, emmeans and an lmer fit\'s R2 and ICC work from what an engine forms (the Gram matrix, the first pass\'s summaries), the bootstrap needs memory; default memory, duckdb for a glob or a file over 1 GiB');
}

/** --engine (every engine) with ClickHouse's --url and --table, the stream's batch size and DuckDB's memory limit: fit's and the commands that work from an engine's A */
function engineOptions(cmd: Command, engineHelp: string): Command {
  return cmd
    .addOption(new Option('--engine <name>', engineHelp).choices([...ENGINES]))
    .option('--url <url>', 'clickhouse: the HTTP interface, e.g. http://127.0.0.1:8123 (user and password from CLICKHOUSE_USER, CLICKHOUSE_PASSWORD)')
    .option('--table <name>', 'clickhouse: the table (e.g. a Distributed table over shards)')
    .option('--batch-size <rows>', 'stream: rows per record batch (default 65536)')
    .option('--cache-mb <MiB>', 'stream: MiB of evaluated batches kept in memory between passes (default 256; 0: re-read the file every pass)')
    .option('--memory-limit <size>', 'duckdb: DuckDB\'s memory limit, e.g. 1.5GB (past it, it spills to a temporary directory; default 80% of RAM)');
}

/** the CSV reader's options (--delimiter, --encoding, --stray-text) of the commands that read a file */
function csvReadOptions(cmd: Command): Command {
  return cmd
    .option('--delimiter <char>', 'CSV field delimiter: one character, or comma, tab, semicolon, bar (default: sniffed from the first lines)')
    .option('--encoding <name>', 'CSV text encoding: utf-8 (default; invalid bytes are an error) or latin1')
    .option('--stray-text <how>', 'a CSV column of numbers with a few text values: error (default) or missing (read the text as missing)');
}

/** the positional arguments' help: how they go with a ClickHouse table */
const FORMULA_ALONE = 'with --engine clickhouse (--url, --table) the same without FILE';

/** a command's options as commander gives them */
type CommandOptions = Record<string, string | boolean | undefined>;

/**
 * A command's positional arguments split into the data FILE and the rest (`names`: theirs, for the
 * messages; `variadic`: the last one repeats, anova's formulas). A ClickHouse table (--engine
 * clickhouse, or --url or --table without --engine: ./engineChoice.ts) takes no FILE, the rest alone,
 * as `fit` takes its formula; there one argument more than the command takes (anova: a first argument
 * with no '~', so no formula) is a FILE, handed on for the fit to refuse naming it.
 */
export function dataArguments(positional: string[], opts: { engine?: unknown; url?: unknown; table?: unknown }, names: string[], variadic = false): { file: string | undefined; rest: string[] } {
  const clickhouse = readsClickhouseTable(opts as { engine?: string; url?: string; table?: string });
  const k = names.length;
  const fileGiven = !clickhouse || (variadic ? !positional[0]?.includes('~') : positional.length === k + 1);
  const rest = fileGiven ? positional.slice(1) : positional;
  if (rest.length < k || (!variadic && rest.length > k)) {
    const usage = `${clickhouse ? '' : 'FILE '}${names.join(' ')}${variadic ? ' …' : ''}`;
    throw new CliError(`${rest.length < k ? 'missing arguments' : 'too many arguments'} (${positional.length}): give ${usage} (quote the formula)${clickhouse ? ' with the table in --table' : '; with --engine clickhouse, no FILE: --url URL --table TABLE'}`);
  }
  return { file: fileGiven ? positional[0] : undefined, rest };
}

/** commander: a repeatable option's values in a list */
const AVERAGE_HELP = {
  interaction: "--mcp/--glht: mcp's interaction_average: a factor in interactions with other factors compared averaged over their levels (multcomp's mcp2matrix2; contr.treatment, two-factor interactions)",
  covariate: "--mcp/--glht: mcp's covariate_average: with --interaction-average, a factor in interactions with covariates compared at the covariates' means",
};

/**
 * --glht FACTOR=TYPE and glht's options on a fit command (lme, gls, glmmpql, zeroinfl; src/cli/glhtCommand.ts's
 * fitGlhtPlan): `shared` the options the command already has (their help says --glht's use)
 */
function glhtFitOptions(cmd: Command, shared: readonly ('test' | 'confint' | 'level')[]): Command {
  cmd.option('--glht <factor=type>', "print multcomp's glht of the fit instead of the summary: multiple comparisons of a factor's levels, FACTOR=Tukey, Dunnett, … or a hypothesis on its levels ('f=b - a = 0'); repeatable; --test, --confint, --level, --cld, --alternative, --interaction-average, --covariate-average", collect, []);
  if (!shared.includes('test')) cmd.option('--test <t>', `--glht: summary's test, ${GLHT_TESTS.join(', ')} (default single-step); repeatable`, collect, []);
  if (!shared.includes('confint')) cmd.option('--confint', "--glht: also confint(): simultaneous intervals (--calpha adjusted, the default) or univariate ones");
  return cmd
    .option('--alternative <a>', '--glht: two.sided (default), less or greater')
    .option('--calpha <c>', "--glht --confint: the intervals' critical value, adjusted (default) or univariate")
    .option('--abseps <e>', "--glht: the multivariate normal integrals' absolute error (default 1e-4)")
    .option('--cld', "--glht: also multcomp's compact letter display of a Tukey family (of each test's p-values, or of the intervals with --confint)")
    .option('--cld-level <a>', "--glht --cld: the p-values' significance level (default 0.05)")
    .option('--decreasing', "--glht --cld: letters from the last level")
    .option('--interaction-average', AVERAGE_HELP.interaction)
    .option('--covariate-average', AVERAGE_HELP.covariate);
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; usage errors were already printed by commander
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`mixedgpu: error: ${errorMessage(e)}\n`);
    process.exitCode = 1;
  }
}

