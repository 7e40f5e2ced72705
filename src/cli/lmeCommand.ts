/**
 * `mixedgpu lme FILE FIXED [--random '~ 1 | g'] [--weights 'varIdent(form = ~ 1 | s)'] [--correlation 'corAR1(form = ~ 1 | g)'] [--ml] [--intervals] [--factors a,b] [--json]`
 * and `mixedgpu gls FILE MODEL [--weights …] [--correlation …] [--ml] [--intervals] [--factors a,b] [--json]`:
 * nlme's lme and gls (src/nlme) with residual variance functions and correlation structures, printed
 * as nlme's summary (and its intervals), or as one JSON object. `mixedgpu lme ... --tidy [effects] [--conf-int]
 * [--conf-level p] [--scales vcov] --glance`: broom.mixed's tidy.lme and glance.lme tables instead
 * (broomCommand.ts); `--augment OUT.csv`: augment.lme's rows written to a new file (with the summary,
 * or with the tables). `--anova [--type marginal] [--terms a,b] [--L 'age=1,age:SexMale=1;…'] [--adjust-sigma
 * true|false]`: nlme's anova(fit) F table (src/nlme/anovaF.ts) instead of the summary; `--emmeans SPECS
 * [--mode M] [--type response] [--by B] [--at …] [--emm-weights …] [--level p] [--contrast pairwise] [--ref L]
 * [--adjust A]`: emmeans's means of the fit (src/nlme/emmeans.ts) and their contrasts, as `mixedgpu emmeans`
 * prints them (--type response: a transformed response's means back-transformed, ratios of a log scale;
 * --regrid [transform]: emmeans's regrid(), the back-transformed means (or, with log, their logs) as the grid, contrasts their differences).
 * --type is --anova's (sequential, marginal) or the means' (link, response), told apart by its value.
 * `--parameters [--ci-method wald|residual|ml1|betwithin (lme), wald|residual|normal (gls)] [--ci p] [--effects fixed|random|all] [--exponentiate]`:
 * parameters's model_parameters table (src/parameters/nlme.ts) instead of the summary.
 * `--glht FACTOR=TYPE [--test T] [--confint] [--level p] [--cld] [--interaction-average] …`: multcomp's glht of the
 * fit instead (glhtCommand.ts; --level is then the intervals').
 */
import { basename, extname } from 'node:path';
import { readTableFileAsync } from '../io/node.js';
import { gls } from '../nlme/gls.js';
import { lme } from '../nlme/lme.js';
import { formatIntervals } from '../nlme/summary.js';
import { type CliIO, type FitArgs, CliError, errorMessage, parseFactors, resolveCsv } from './fitCommand.js';
import { type BroomArgs, broomTidyOptions, printBroom, wantsBroom } from './broomCommand.js';
import type { LmeFit } from '../nlme/lmeFit.js';
import type { GlsFit } from '../nlme/glsFit.js';
import { type NlmeAnovaOptions, anovaFJSON, formatAnovaF } from '../nlme/anovaF.js';
import type { NlmeEmmeansOptions } from '../nlme/emmeans.js';
import type { AdjustMethod } from '../inference/emmAdjust.js';
import { printEmmGrid, regridTransformArg, sharedEmmOptions } from './emmeansOutput.js';
import { type ParametersTableArgs, parametersTableOptions, printParameters } from './parametersCommand.js';
import { modelParameters } from '../parameters/modelParameters.js';
import { type FitGlhtArgs, fitGlhtPlan, printGlhtPlan } from './glhtCommand.js';

export interface LmeArgs extends Omit<FitGlhtArgs, 'level' | 'json'>, Pick<FitArgs, 'factors' | 'json' | 'quiet' | 'delimiter' | 'encoding' | 'strayText'>, Pick<BroomArgs, 'tidy' | 'glance' | 'augment' | 'confInt' | 'confLevel' | 'scales'>, Pick<ParametersTableArgs, 'ciMethod' | 'ci' | 'effects' | 'exponentiate'> {
  /** parameters's model_parameters table instead of the summary (--ci-method, --ci, --effects, --exponentiate) */
  parameters?: boolean;
  file: string;
  /** lme's fixed formula, or gls's model */
  formula: string;
  random?: string;
  weights?: string;
  correlation?: string;
  ml?: boolean;
  /** also nlme's intervals(fit) (printed after the summary; in the JSON as `intervals`) */
  intervals?: boolean;
  /** nlme's anova(fit) instead of the summary, with its type, terms, L and adjustSigma */
  anova?: boolean;
  /** --anova's type (sequential, marginal) or the means' (link, response) */
  type?: string;
  terms?: string;
  L?: string;
  adjustSigma?: string;
  /** emmeans's means (specs '~ Sex', '~ Sex | age', or Sex,age) instead of the summary, and their options */
  emmeans?: string;
  mode?: string;
  by?: string;
  at?: string;
  emmWeights?: string;
  level?: string;
  contrast?: string;
  ref?: string;
  adjust?: string;
  /** emmeans's regrid() of the means: the response scale's means as the grid (contrasts as their differences) */
  regrid?: boolean | string;
}

const ANOVA_ONLY = ['terms', 'L', 'adjustSigma'] as const;
const ANOVA_TYPES = ['sequential', 'marginal'];
const EMM_TYPES = ['link', 'response'];
const EMM_ONLY = ['mode', 'by', 'at', 'emmWeights', 'level', 'contrast', 'ref', 'adjust', 'regrid'] as const;
const flag = (k: string) => `--${k === 'L' ? 'L' : k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
const list = (s: string) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);

/**
 * --type's owner: --anova's (sequential, marginal) or the means' (link, response), told apart by the value
 * where both are asked for; a value of neither goes to the one asked for, whose check names it.
 */
function splitType(args: LmeArgs): { anovaType?: string; emmType?: string } {
  const t = args.type;
  if (t === undefined) return {};
  const emm = args.emmeans !== undefined;
  if (EMM_TYPES.includes(t)) {
    if (!emm) throw new CliError(`--type is an option of the means for '${t}': give --emmeans SPECS (e.g. --emmeans '~ Sex' --type response)${args.anova ? '; --anova\'s types are sequential and marginal' : ''}`);
    return { emmType: t };
  }
  if (ANOVA_TYPES.includes(t)) {
    if (!args.anova) throw new CliError(`--type is an option of --anova (nlme's anova(fit)) for '${t}'${emm ? '; the means\' types are link and response' : ''}`);
    return { anovaType: t };
  }
  if (args.anova && emm) throw new CliError(`--type must be sequential or marginal (--anova) or link or response (--emmeans), not '${t}'`);
  if (args.anova) return { anovaType: t };
  if (emm) return { emmType: t };
  throw new CliError(`--type is an option of --anova (sequential, marginal) or of the means (--emmeans SPECS: link, response)`);
}

/** --anova's options: --terms a,b (labels or 1-based numbers), --L rows separated by ';', each 'name=value,…' or 'v1,v2,…' */
function anovaOptions(args: LmeArgs): NlmeAnovaOptions {
  const o: NlmeAnovaOptions = {};
  const { anovaType } = splitType(args);
  if (anovaType !== undefined) o.type = anovaType as NlmeAnovaOptions['type'];
  if (args.terms !== undefined) {
    const t = list(args.terms);
    o.terms = t.every((x) => /^\d+$/.test(x)) ? t.map(Number) : t;
  }
  if (args.L !== undefined) {
    const num = (x: string) => {
      const v = Number(x);
      if (x.trim() === '' || !Number.isFinite(v)) throw new CliError(`--L: '${x}' is not a number`);
      return v;
    };
    const rows = args.L.split(';').map((r) => r.trim()).filter((r) => r.length > 0).map((r) => {
      const parts = list(r);
      if (parts.every((x) => x.includes('='))) return Object.fromEntries(parts.map((x) => { const i = x.lastIndexOf('='); return [x.slice(0, i).trim(), num(x.slice(i + 1))]; }));
      if (parts.some((x) => x.includes('='))) throw new CliError(`--L: a row is either all 'name=value' or all values, got '${r}'`);
      return parts.map(num);
    });
    if (rows.length === 0) throw new CliError('--L is empty: give coefficients such as \'age=1,age:SexMale=1\' or \'0,1,0,1\'');
    o.L = rows.length === 1 ? rows[0] : rows as NlmeAnovaOptions['L'];
  }
  if (args.adjustSigma !== undefined) {
    if (args.adjustSigma !== 'true' && args.adjustSigma !== 'false') throw new CliError(`--adjust-sigma must be true or false, got '${args.adjustSigma}'`);
    o.adjustSigma = args.adjustSigma === 'true';
  }
  return o;
}

/** --emmeans's options */
function emmOptions(args: LmeArgs): { specs: string | string[]; options: NlmeEmmeansOptions } {
  const { specs, options } = sharedEmmOptions(args);
  const { emmType } = splitType(args);
  return { specs, options: { ...(args.mode !== undefined ? { mode: args.mode as NlmeEmmeansOptions['mode'] } : {}), ...(emmType !== undefined ? { type: emmType as NlmeEmmeansOptions['type'] } : {}), ...options } };
}

/** Runs `mixedgpu lme` (fn 'lme') or `mixedgpu gls` (fn 'gls'); returns the exit code. */
export async function runLme(args: LmeArgs, io: CliIO, fn: 'lme' | 'gls' = 'lme'): Promise<number> {
  try {
    if (!args.formula || !args.formula.trim()) throw new CliError(`missing the model formula, such as 'distance ~ age'`);
    // broom.mixed's tidy.lme and glance.lme (--tidy, --glance): their options checked before the fit
    if (fn === 'gls' && wantsBroom(args)) throw new CliError('--tidy, --glance and --augment are for lme fits (broom.mixed\'s tidy.lme); gls fits have no broom.mixed method here');
    broomTidyOptions(args, 'lme');
    if ((args.tidy !== undefined || args.glance) && args.intervals) throw new CliError('--intervals prints nlme\'s intervals with the summary; --tidy --conf-int gives them in tidy\'s table instead');
    for (const k of ANOVA_ONLY) if (args[k] !== undefined && !args.anova) throw new CliError(`${flag(k)} is an option of --anova (nlme's anova(fit))`);
    for (const k of EMM_ONLY) if (args[k] !== undefined && args.emmeans === undefined && !(k === 'level' && args.glht?.length)) throw new CliError(`${flag(k)} is an option of the means: give --emmeans SPECS (e.g. --emmeans '~ Sex')`);
    splitType(args);
    const tables = args.anova || args.emmeans !== undefined;
    if (tables && (wantsBroom(args) || args.intervals)) throw new CliError('--anova and --emmeans print their tables instead of the summary: leave out --intervals, --tidy, --glance and --augment');
    const paramOnly = (['ciMethod', 'ci', 'effects', 'exponentiate'] as const).find((k) => args[k] !== undefined && args[k] !== false);
    if (!args.parameters && paramOnly) throw new CliError(`${flag(paramOnly)} is an option of --parameters (parameters's model_parameters table)`);
    if (args.parameters && (tables || wantsBroom(args) || args.intervals)) throw new CliError('--parameters prints parameters\'s table instead of the summary: leave out --anova, --emmeans, --intervals, --tidy, --glance and --augment');
    // multcomp's glht of the fit (--glht FACTOR=TYPE): its options checked before the fit
    const glhtP = fitGlhtPlan(args, ['level'], [args.anova ? '--anova' : null, args.emmeans !== undefined ? '--emmeans' : null, args.parameters ? '--parameters' : null, args.intervals ? '--intervals' : null, wantsBroom(args) ? '--tidy/--glance/--augment' : null].filter((x) => x !== null));
    const paramOptions = args.parameters ? parametersTableOptions(args) : null;
    const anovaOpts = args.anova ? anovaOptions(args) : null;
    const emm = args.emmeans !== undefined ? emmOptions(args) : null;
    const transform = regridTransformArg(args.regrid);
    const factors = parseFactors(args.factors);
    const read = await readTableFileAsync(args.file, { factors, ...resolveCsv(args) });
    if (!args.quiet) for (const w of read.warnings) io.stderr(`mixedgpu: warning: ${w}\n`);
    if (!args.quiet) for (const n of read.notes ?? []) io.stderr(`mixedgpu: note: ${basename(args.file)}: ${n}\n`);
    const common = {
      weights: args.weights, correlation: args.correlation, method: args.ml ? 'ML' as const : 'REML' as const,
      factors, dataName: basename(args.file, extname(args.file)),
    };
    const fit = fn === 'lme' ? await lme(args.formula, read.table, { ...common, random: args.random }) : await gls(args.formula, read.table, common);
    if (!fit.converged && !args.quiet) io.stderr(`mixedgpu: warning: ${fn}: the optimizer stopped before its tolerance (${fit.feval} evaluations)\n`);
    if (!args.quiet) for (const m of fit.messages) io.stderr(`mixedgpu: note: ${fn}: ${m}\n`);
    if (glhtP) {
      printGlhtPlan(fit, glhtP, io);
      return 0;
    }
    if (paramOptions) {
      // parameters's model_parameters of the lme or gls fit (src/parameters/nlme.ts)
      printParameters(await modelParameters(fit, paramOptions), args.json, io);
      return 0;
    }
    // broom.mixed's tables; --augment alone writes its file and the summary is printed as usual
    if (args.tidy !== undefined || args.glance) return await printBroom(fit as LmeFit, args, io, read.table, 'lme');
    if (args.augment !== undefined) await printBroom(fit as LmeFit, args, io, read.table, 'lme');
    if (tables) {
      // checked (the options' errors) before anything is printed
      const an = anovaOpts ? (fit as LmeFit | GlsFit).anova(anovaOpts) : null;
      const means = emm ? (fit as LmeFit | GlsFit).emmeans(emm.specs, emm.options) : null;
      // --regrid [transform]: emmeans's regrid(), the means (on the response scale, or their logs) as the grid's coordinates
      const grid = means && transform !== undefined ? means.regrid(transform) : means;
      if (args.json && an && !grid) io.stdout(`${JSON.stringify({ anova: anovaFJSON(an) }, null, 2)}\n`);
      else if (args.json && an && grid) {
        const c = args.contrast === undefined ? null : grid.contrast(args.contrast as never, { ...(args.adjust !== undefined ? { adjust: args.adjust as AdjustMethod } : {}), ...(args.ref !== undefined ? { ref: /^\d+$/.test(args.ref) ? Number(args.ref) : args.ref } : {}) });
        io.stdout(`${JSON.stringify({ anova: anovaFJSON(an), emmeans: grid.toJSON(), ...(c ? { contrasts: c.toJSON() } : {}) }, null, 2)}\n`);
      } else {
        if (an) io.stdout(`${formatAnovaF(an)}\n`);
        if (an && grid) io.stdout('\n');
        if (grid) printEmmGrid(grid, args, io);
      }
      return 0;
    }
    const iv = args.intervals ? fit.intervals() : null;
    if (args.json) io.stdout(`${JSON.stringify({ ...fit.toJSON(), ...(iv ? { intervals: iv } : {}) }, null, 2)}\n`);
    else io.stdout(`${fit.summary()}\n${iv ? `\n${formatIntervals(iv, fn === 'lme' ? (fit as Awaited<ReturnType<typeof lme>>).group : null)}\n` : ''}`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
