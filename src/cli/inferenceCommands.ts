/**
 * `mixedgpu anova FILE FORMULA0 FORMULA1 […]` (lme4's anova(m0, m1, …): likelihood-ratio tests of
 * nested models, refitted by ML), `mixedgpu confint FILE FORMULA --method profile|wald|boot`
 * (lme4's confint, oldNames = FALSE) and `mixedgpu emmeans FILE FORMULA SPECS` (emmeans's estimated
 * marginal means, with --contrast). Functions of their arguments and output writers, as runFit.
 */
import { basename, extname } from 'node:path';
import { type CliFit, type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import { anovaModels, type ConfintMethod } from '../inference/fitInference.js';
import { printDrop1Table, printGetME, printGlmmDrop1Table, printIntervals, printLme4Anova, printLrtTable, printRanovaTable, printStepResult } from '../inference/format.js';
import { lme4Anova } from '../inference/lme4Anova.js';
import { getME, getMEJson } from '../inference/getME.js';
import { stepLmm } from '../inference/step.js';
import { ranovaTable } from '../inference/ranova.js';
import { drop1Table } from '../inference/drop1.js';
import { drop1Glmm } from '../inference/glmmDrop1.js';
import { GlmmFit } from '../glmm/glmmFit.js';
import { checkDdf } from '../inference/fitInference.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import { checkBootType } from '../inference/bootCi.js';
import { type EmmDdf, type EmmWeights, needsRemlRefit } from '../inference/emmeans.js';
import type { AdjustMethod } from '../inference/emmAdjust.js';
import { parseAt, printEmmGrid, regridTransformArg } from './emmeansOutput.js';
import { iccOf, printIcc, printIccByGroup, printR2, r2Nakagawa } from '../inference/r2Nakagawa.js';

export interface AnovaArgs extends Omit<FitArgs, 'formula' | 'ddf'> {
  formulas: string[];
}

/** Runs `mixedgpu anova`; returns the exit code. */
export async function runAnova(args: AnovaArgs, io: CliIO): Promise<number> {
  try {
    if (!args.formulas || args.formulas.length < 1) throw new CliError('anova needs a model formula (lme4\'s anova of one fit), or two or more to compare');
    if (args.formulas.length === 1) {
      // lme4's anova(fit): the sequential sums of squares of the fixed-effects terms
      const { fit } = await fitFromArgs({ ...args, formula: args.formulas[0] }, io);
      const rows = lme4Anova(fit as LmmFit | GlmmFit);
      io.stdout(args.json ? `${JSON.stringify({ anova: 'lme4', rows }, null, 2)}\n` : `${printLme4Anova(rows).join('\n')}\n`);
      return 0;
    }
    const fits: CliFit[] = [];
    let table;
    for (const formula of args.formulas) {
      const r = await fitFromArgs({ ...args, formula }, io, table);
      table = r.table;
      fits.push(r.fit);
    }
    const names = args.formulas.map((_, k) => `m${k}`);
    const res = await anovaModels(fits, names);
    if (!args.quiet) for (const m of res.messages) io.stderr(`mixedgpu: ${m.startsWith('refitting') ? 'note' : 'warning'}: ${m}\n`);
    if (args.json) {
      io.stdout(`${JSON.stringify({ models: res.models, tests: res.tests }, null, 2)}\n`);
    } else {
      // lme4's "Data:" line: the file's name, or the ClickHouse table's (as the fit's dataName)
      const data = args.file !== undefined ? basename(args.file, extname(args.file)) : args.table ?? '';
      io.stdout(`${printLrtTable(res.names, data, res.models, res.tests).join('\n')}\n`);
    }
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}

export interface RanovaArgs extends Omit<FitArgs, 'ddf'> {
  /** lmerTest's reduce.terms (commander's --no-reduce-terms sets false) */
  reduceTerms?: boolean;
}

/** Runs `mixedgpu ranova` (lmerTest's ranova: likelihood-ratio tests of the random-effects terms); returns the exit code. */
export async function runRanova(args: RanovaArgs, io: CliIO): Promise<number> {
  try {
    const { fit } = await fitFromArgs(args, io);
    const res = await ranovaTable(fit as LmmFit, { reduceTerms: args.reduceTerms ?? true });
    if (!args.quiet) for (const m of res.messages) io.stderr(`mixedgpu: note: ${m}\n`);
    if (args.json) {
      io.stdout(`${JSON.stringify({ model: res.model, rows: res.rows }, null, 2)}\n`);
    } else {
      io.stdout(`${printRanovaTable(res.rows, res.model).join('\n')}\n`);
    }
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}

export interface Drop1Args extends FitArgs {
  /** comma-separated marginal terms to test (lmerTest's scope) */
  scope?: string;
  /** glmer fits: lme4's test, chisq (default) or none */
  test?: string;
}

/**
 * Runs `mixedgpu drop1`: lmerTest's drop1 (F tests of the marginal fixed-effects terms) of an lmer
 * fit, lme4's (each term dropped and the model refitted: npar, AIC, LRT, Pr(Chi)) of a glmer fit
 * (--family); returns the exit code.
 */
export async function runDrop1(args: Drop1Args, io: CliIO): Promise<number> {
  try {
    const glmm = args.family !== undefined;
    if (glmm && args.ddf !== undefined) throw new CliError("--ddf is for lmer fits (lmerTest's F tests); a glmer fit's drop1 is lme4's likelihood-ratio test (--test chisq or none)");
    if (!glmm && args.test !== undefined) throw new CliError("--test is for glmer fits (lme4's drop1, with --family); an lmer fit's drop1 is lmerTest's F test (--ddf)");
    const test = args.test === undefined ? 'Chisq' : ({ chisq: 'Chisq', none: 'none' } as const)[args.test.toLowerCase() as 'chisq' | 'none'];
    if (test === undefined) throw new CliError(`unknown --test '${args.test}' (choose chisq or none)`);
    const ddf = glmm ? undefined : checkDdf(args.ddf);
    const scope = args.scope === undefined ? undefined : args.scope.split(',').map((t) => t.trim()).filter((t) => t !== '');
    const { scope: _, test: __, ...fitArgs } = args;
    const { fit } = await fitFromArgs({ ...fitArgs, ddf: undefined }, io);
    if (fit instanceof GlmmFit) {
      const showProgress = !args.quiet && io.stderrIsTTY === true;
      const res = await drop1Glmm(fit, { test, scope, onProgress: showProgress ? (p) => io.stderr(`\r\x1b[Kdrop1: ${p.done}/${p.total} refits`) : undefined });
      if (showProgress) io.stderr('\r\x1b[K');
      if (!args.quiet) for (const m of res.messages) io.stderr(`mixedgpu: note: ${m}\n`);
      if (args.json) {
        io.stdout(`${JSON.stringify({ test: res.test, model: res.model, none: res.none, rows: res.rows }, null, 2)}\n`);
      } else {
        io.stdout(`${printGlmmDrop1Table(res.none, res.rows, res.test, res.model).join('\n')}\n`);
      }
      return 0;
    }
    const res = drop1Table(fit as LmmFit, { ddf, scope });
    if (!args.quiet) for (const m of res.messages) io.stderr(`mixedgpu: note: ${m}\n`);
    if (args.json) {
      io.stdout(`${JSON.stringify({ ddf: res.ddf, model: res.model, rows: res.rows }, null, 2)}\n`);
    } else {
      io.stdout(`${printDrop1Table(res.rows, res.ddf, res.model).join('\n')}\n`);
    }
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}

export interface StepArgs extends FitArgs {
  /** lmerTest's alpha.random (default 0.1) */
  alphaRandom?: string | number;
  /** lmerTest's alpha.fixed (default 0.05) */
  alphaFixed?: string | number;
  /** comma-separated fixed-effects terms never eliminated (lmerTest's keep) */
  keep?: string;
  /** lmerTest's reduce.fixed (commander's --no-reduce-fixed sets false) */
  reduceFixed?: boolean;
  /** lmerTest's reduce.random (commander's --no-reduce-random sets false) */
  reduceRandom?: boolean;
}

/**
 * Runs `mixedgpu step` (lmerTest's step: backward elimination of the random-effects terms by
 * ranova, then of the fixed-effects terms by drop1); prints lmerTest's tables, "Model found:" and a
 * line on the final model's criterion; returns the exit code.
 */
export async function runStep(args: StepArgs, io: CliIO): Promise<number> {
  try {
    const ddf = checkDdf(args.ddf);
    const alphaRandom = numberArg(args.alphaRandom, 'alpha-random', false);
    const alphaFixed = numberArg(args.alphaFixed, 'alpha-fixed', false);
    const keep = args.keep === undefined ? undefined : args.keep.split(',').map((t) => t.trim()).filter((t) => t !== '');
    const { alphaRandom: _a, alphaFixed: _f, keep: _k, reduceFixed, reduceRandom, ...fitArgs } = args;
    const { fit } = await fitFromArgs({ ...fitArgs, ddf: undefined }, io);
    const res = await stepLmm(fit as LmmFit, { ddf, alphaRandom, alphaFixed, keep, reduceFixed: reduceFixed ?? true, reduceRandom: reduceRandom ?? true });
    if (!args.quiet) for (const m of res.messages) io.stderr(`mixedgpu: note: ${m}\n`);
    const m = res.model;
    if (args.json) {
      io.stdout(`${JSON.stringify({ ddf: res.ddf, random: res.random.map(({ formula: _, ...r }) => r), fixed: res.fixed, formula: res.formula, model: m.toJSON() }, null, 2)}\n`);
    } else {
      const criterion = m.reml ? `REML criterion at convergence ${m.objective.toFixed(4)}` : `deviance ${m.objective.toFixed(4)}`;
      io.stdout(`${printStepResult(res.random, res.fixed, res.ddf, res.formula).join('\n')}\n\nFinal model (${m.reml ? 'REML' : 'ML'}): logLik ${m.logLik.toFixed(4)} (df ${m.df}), ${criterion}, AIC ${m.AIC.toFixed(4)}\n`);
    }
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}

export interface ConfintArgs extends Omit<FitArgs, 'ddf'> {
  method?: string;
  level?: string | number;
  nsim?: string | number;
  seed?: string | number;
  /** boot.ci's interval type: perc (default), basic, norm, bca */
  bootType?: string;
  /** bca: the grouping factor the jackknife leaves levels out of */
  jackknifeFactor?: string;
}

export function numberArg(v: string | number | undefined, name: string, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const x = typeof v === 'number' ? v : Number(String(v).trim());
  // Number('') is 0: an empty value is refused, not read as 0
  if (!Number.isFinite(x) || String(v).trim() === '' || (integer && !Number.isInteger(x))) throw new CliError(`--${name} must be ${integer ? 'a whole number' : 'a number'}, got '${v}'`);
  return x;
}

/** Runs `mixedgpu confint`; returns the exit code. */
export async function runConfint(args: ConfintArgs, io: CliIO): Promise<number> {
  try {
    const method = (args.method ?? 'profile').toLowerCase();
    if (!['profile', 'wald', 'boot'].includes(method)) throw new CliError(`unknown --method '${args.method}' (choose profile, wald or boot)`);
    const level = numberArg(args.level, 'level', false) ?? 0.95;
    if (!(level > 0 && level < 1)) throw new CliError(`--level must be between 0 and 1 (exclusive), got ${level}`);
    const nsim = numberArg(args.nsim, 'nsim', true);
    if (nsim !== undefined && nsim < 1) throw new CliError(`--nsim must be at least 1, got ${nsim}`);
    const seed = numberArg(args.seed, 'seed', true);
    if (method !== 'boot' && (nsim !== undefined || seed !== undefined || args.bootType !== undefined || args.jackknifeFactor !== undefined)) {
      throw new CliError('--nsim, --seed, --boot-type and --jackknife-factor are for --method boot');
    }
    const type = method === 'boot' ? checkBootType(args.bootType) : undefined;
    const { fit } = await fitFromArgs(args, io);
    const showProgress = !args.quiet && io.stderrIsTTY === true;
    const res = await fit.confint({
      method: method as ConfintMethod, level, nsim, seed, type, jackknife: args.jackknifeFactor, backend: args.backend as 'cpu' | 'webgpu' | 'auto' | undefined,
      onProgress: showProgress ? (p) => io.stderr(`\r\x1b[Kbootstrap: ${p.done}/${p.nsim} replicates`) : undefined,
    });
    if (showProgress && method === 'boot') io.stderr('\r\x1b[K');
    if (!args.quiet) for (const m of res.messages) io.stderr(`mixedgpu: note: ${m}\n`);
    if (args.json) {
      io.stdout(`${JSON.stringify({ method: res.method, level: res.level, ...(res.type ? { type: res.type } : {}), intervals: res.intervals }, null, 2)}\n`);
    } else {
      const rows = Object.entries(res.intervals).map(([name, [lower, upper]]) => ({ name, lower, upper }));
      io.stdout(`${printIntervals(rows, level).join('\n')}\n`);
    }
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}

export interface EmmeansArgs extends Omit<FitArgs, 'ddf'> {
  /** the specs: '~ A', '~ A | B', 'A', 'A,B' */
  specs: string;
  by?: string;
  /** values of grid variables: 'x=0,1;A=a1,a2' */
  at?: string;
  weights?: string;
  /** the means' weights (emmeans's weights): equal, proportional, outer, cells, flat */
  emmWeights?: string;
  ddf?: string;
  type?: string;
  level?: string | number;
  /** a contrast family of the means: pairwise, revpairwise, trt.vs.ctrl, trt.vs.ctrlk, consec, eff, del.eff, poly */
  contrast?: string;
  /** trt.vs.ctrl's control level */
  ref?: string;
  adjust?: string;
  offset?: string | number;
  /** emtrends: the covariate whose slopes are estimated */
  trend?: string;
  /**
   * emmeans's regrid(grid, transform) of the means before they are printed and contrasted: true (a bare
   * --regrid) or 'response', 'unlink', 'mu', 'log', 'none'
   */
  regrid?: boolean | string;
}

/** Runs `mixedgpu emmeans FILE FORMULA SPECS`; returns the exit code. */
export async function runEmmeans(args: EmmeansArgs, io: CliIO): Promise<number> {
  try {
    const level = numberArg(args.level, 'level', false);
    const offset = numberArg(args.offset, 'offset', false);
    const at = args.at === undefined ? undefined : parseAt(args.at);
    const specs = args.specs.includes('~') || args.specs.includes('|') ? args.specs : args.specs.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    const { fit } = await fitFromArgs(args, io);
    if (args.trend !== undefined && (args.type !== undefined || args.offset !== undefined)) throw new CliError('--type and --offset are for means, not for the slopes of --trend');
    if (args.trend !== undefined && args.regrid !== undefined) throw new CliError('--regrid is for means, not for the slopes of --trend (they have no response scale)');
    const transform = regridTransformArg(args.regrid);
    // emmeans's default on an ML fit: Kenward-Roger's df from the model's REML refit (pbkrtest's vcovAdj)
    const remlRefit = needsRemlRefit(fit, args.ddf as EmmDdf | undefined) ? await (fit as LmmFit).remlFit() : undefined;
    const options = {
      ...(remlRefit ? { remlRefit } : {}),
      ...(args.by !== undefined ? { by: args.by.split(',').map((s) => s.trim()) } : {}),
      ...(at ? { at } : {}),
      ...(args.emmWeights !== undefined ? { weights: args.emmWeights as EmmWeights } : {}),
      ...(args.ddf !== undefined ? { ddf: args.ddf as EmmDdf } : {}),
      ...(args.type !== undefined ? { type: args.type as 'link' | 'response' } : {}),
      ...(level !== undefined ? { level } : {}),
      ...(offset !== undefined ? { offset } : {}),
      ...(args.adjust !== undefined && args.contrast === undefined ? { adjust: args.adjust as AdjustMethod } : {}),
    };
    const means = args.trend !== undefined ? fit.emtrends(specs, { ...options, var: args.trend }) : fit.emmeans(specs, options);
    if (args.ref !== undefined && args.contrast === undefined) throw new CliError('--ref is for --contrast trt.vs.ctrl');
    // --regrid [transform]: emmeans's regrid(), the grid's means as its coordinates (response: probabilities,
    // rates, a log(y)'s means; log: their logs, shown as ratios with --type response)
    printEmmGrid(transform === undefined ? means : means.regrid(transform), args, io);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}

export interface R2Args extends Omit<FitArgs, 'ddf'> {
  /** also the ICC of each random-effects term with an intercept (performance's icc(by_group = TRUE)) */
  byGroup?: boolean;
  /** insight's tolerance of the singularity check (default 1e-5) */
  tolerance?: string | number;
}

/**
 * Runs `mixedgpu r2` (performance's r2_nakagawa and icc: Nakagawa's marginal and conditional R² and
 * the adjusted and unadjusted ICC, with --by-group the ICC per term); returns the exit code.
 */
export async function runR2(args: R2Args, io: CliIO): Promise<number> {
  try {
    const tolerance = numberArg(args.tolerance, 'tolerance', false);
    const { byGroup: _b, tolerance: _t, ...fitArgs } = args;
    const { fit } = await fitFromArgs(fitArgs, io);
    const r2 = await r2Nakagawa(fit, { tolerance });
    const icc = await iccOf(fit, { tolerance, byGroup: args.byGroup === true });
    // performance repeats insight's warnings for each call: each said once
    const messages = [...new Set([...r2.messages, ...icc.messages])];
    if (!args.quiet) for (const m of messages) io.stderr(`mixedgpu: note: ${m}\n`);
    if (args.json) {
      io.stdout(`${JSON.stringify({
        r2: { conditional: r2.conditional, marginal: r2.marginal },
        icc: icc.icc,
        ...(args.byGroup ? { icc_by_group: icc.byGroup } : {}),
        components: r2.components,
        ...(r2.nullIntercept !== undefined ? { null_intercept: r2.nullIntercept } : {}),
        messages,
      }, null, 2)}\n`);
    } else {
      const lines = [...printR2(r2), '', ...printIcc(icc.icc), ...(args.byGroup ? ['', ...printIccByGroup(icc.byGroup ?? null)] : [])];
      io.stdout(`${lines.join('\n')}\n`);
    }
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}

export interface GetMEArgs extends Omit<FitArgs, 'ddf'> {
  /** the names, comma-separated (lme4's getME names; src/inference/getME.ts) */
  names: string;
}

/**
 * Runs `mixedgpu getme FILE FORMULA NAMES` (lme4's getME(fit, name) for each of the comma-separated
 * names: text, or with --json one object keyed by name); returns the exit code.
 */
export async function runGetME(args: GetMEArgs, io: CliIO): Promise<number> {
  try {
    const names = args.names.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (names.length === 0) throw new CliError('getme: no names given: one or more of getME\'s names, comma-separated (X,Z,theta,…)');
    // lme4's devfun is a function (of θ, or of (θ, β) for glmer): the library gives it, the CLI cannot print it
    if (names.includes('devfun')) throw new CliError("getme: 'devfun' is lme4's deviance function (a function of θ, or of c(θ, β) for glmer), which cannot be printed: call fit.getME('devfun') in the library");
    const { names: _n, ...fitArgs } = args;
    const { fit } = await fitFromArgs(fitArgs, io);
    // every name checked (and computed) before anything is written
    const values = names.map((nm) => [nm, getME(fit, nm)] as const);
    if (args.json) io.stdout(`${JSON.stringify(Object.fromEntries(values.map(([nm, v]) => [nm, getMEJson(v)])), null, 2)}\n`);
    else io.stdout(`${values.flatMap(([nm, v]) => [...printGetME(nm, v), '']).join('\n')}`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
