/**
 * `mixedgpu glmmpql FILE FIXED --random '~ 1 | g' --family binomial [--link logit] [--weights n]
 * [--correlation 'corAR1(form = ~ t | g)'] [--niter 10] [--verbose] [--factors a,b] [--json]`:
 * MASS's glmmPQL (src/pql), printed as R's summary(glmmPQL(...)) (or one JSON object). --verbose writes
 * MASS's "iteration k" messages on stderr. `--emmeans SPECS [--type response] [--mode containment|asymptotic]
 * [--regrid] [--by B] [--at …] [--emm-weights …] [--level p] [--contrast pairwise] [--ref L] [--adjust A]`: emmeans's
 * means of the fit (src/pql/emmeans.ts: on the link scale, or back-transformed to prob, rate or response)
 * and their contrasts (odds ratios, ratios) instead of the summary, as `mixedgpu emmeans` prints them.
 * `--glht FACTOR=TYPE [--test T] [--confint] [--cld] …`: multcomp's glht of the fit instead (glhtCommand.ts).
 */
import { basename, extname } from 'node:path';
import { readTableFileAsync } from '../io/node.js';
import type { LinkName } from '../glmm/family.js';
import { glmmPQL } from '../pql/glmmPQL.js';
import type { PqlFamilyName } from '../pql/glmmPQLFit.js';
import type { NlmeEmmeansOptions } from '../nlme/emmeans.js';
import { type CliIO, type FitArgs, CliError, errorMessage, parseFactors, resolveCsv } from './fitCommand.js';
import { type EmmCliArgs, printEmmGrid, regridTransformArg, sharedEmmOptions } from './emmeansOutput.js';
import { type FitGlhtArgs, fitGlhtPlan, printGlhtPlan } from './glhtCommand.js';

export interface GlmmPqlArgs extends Omit<FitGlhtArgs, 'level' | 'json'>, Pick<FitArgs, 'factors' | 'json' | 'quiet' | 'delimiter' | 'encoding' | 'strayText'>, EmmCliArgs {
  file: string;
  formula: string;
  random?: string;
  family?: string;
  link?: string;
  /** prior weights: a column */
  weights?: string;
  correlation?: string;
  niter?: string;
  verbose?: boolean;
  /** the means' scale: link (default) or response */
  type?: string;
  /** the means' df: containment (default) or asymptotic */
  mode?: string;
  /** emmeans's regrid() of the means: probabilities or rates as the grid (contrasts as their differences) */
  regrid?: boolean | string;
}

const EMM_ONLY = ['type', 'mode', 'by', 'at', 'emmWeights', 'level', 'contrast', 'ref', 'adjust', 'regrid'] as const;
const flag = (k: string) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** --emmeans's options, checked before the fit */
function emmOptions(args: GlmmPqlArgs): { specs: string | string[]; options: NlmeEmmeansOptions } {
  const { specs, options } = sharedEmmOptions(args);
  return {
    specs,
    options: {
      ...(args.mode !== undefined ? { mode: args.mode as NlmeEmmeansOptions['mode'] } : {}),
      ...(args.type !== undefined ? { type: args.type as NlmeEmmeansOptions['type'] } : {}),
      ...options,
    },
  };
}

/** Runs `mixedgpu glmmpql`; returns the exit code. */
export async function runGlmmPql(args: GlmmPqlArgs, io: CliIO): Promise<number> {
  try {
    if (!args.formula || !args.formula.trim()) throw new CliError("missing the fixed-effects formula, such as 'y ~ trt + week'");
    if (!args.random) throw new CliError("--random is required: nlme's random effects, e.g. --random '~ 1 | g'");
    if (!args.family) throw new CliError('--family is required: binomial, quasibinomial, poisson, quasipoisson or Gamma');
    for (const k of EMM_ONLY) if (args[k] !== undefined && args.emmeans === undefined && !(k === 'level' && args.glht?.length)) throw new CliError(`${flag(k)} is an option of the means: give --emmeans SPECS (e.g. --emmeans '~ trt' --type response)`);
    // multcomp's glht of the fit (--glht FACTOR=TYPE): its options checked before the fit
    const glhtP = fitGlhtPlan(args, ['level'], args.emmeans !== undefined ? ['--emmeans'] : []);
    const emm = args.emmeans !== undefined ? emmOptions(args) : null;
    const transform = regridTransformArg(args.regrid);
    let niter: number | undefined;
    if (args.niter !== undefined) {
      niter = Number(args.niter);
      if (!/^\s*\d+\s*$/.test(args.niter) || !(niter >= 1)) throw new CliError(`--niter must be a whole number ≥ 1, got '${args.niter}'`);
    }
    const factors = parseFactors(args.factors);
    const read = await readTableFileAsync(args.file, { factors, ...resolveCsv(args) });
    if (!args.quiet) for (const w of read.warnings) io.stderr(`mixedgpu: warning: ${w}\n`);
    if (!args.quiet) for (const n of read.notes ?? []) io.stderr(`mixedgpu: note: ${basename(args.file)}: ${n}\n`);
    const fit = await glmmPQL(args.formula, args.random, read.table, {
      family: args.family as PqlFamilyName, ...(args.link ? { link: args.link as LinkName } : {}),
      ...(args.weights ? { weights: args.weights } : {}), ...(args.correlation ? { correlation: args.correlation } : {}),
      ...(niter !== undefined ? { niter } : {}), factors, dataName: basename(args.file, extname(args.file)),
      ...(args.verbose ? { verbose: (m: string) => io.stderr(`${m}\n`) } : {}),
    });
    if (!args.quiet) for (const m of fit.messages) io.stderr(`mixedgpu: note: glmmpql: ${m}\n`);
    if (glhtP) {
      printGlhtPlan(fit, glhtP, io);
      return 0;
    }
    if (emm) {
      const means = fit.emmeans(emm.specs, emm.options);
      // --regrid [transform]: emmeans's regrid(), the means (on the response scale, or their logs) as the grid's coordinates
      printEmmGrid(transform !== undefined ? means.regrid(transform) : means, args, io);
      return 0;
    }
    if (args.json) io.stdout(`${JSON.stringify(fit.toJSON(), null, 2)}\n`);
    else io.stdout(`${fit.summary()}\n`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
