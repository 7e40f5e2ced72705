/**
 * `mixedgpu lme FILE FIXED [--random '~ 1 | g'] [--weights 'varIdent(form = ~ 1 | s)'] [--correlation 'corAR1(form = ~ 1 | g)'] [--ml] [--intervals] [--factors a,b] [--json]`
 * and `mixedgpu gls FILE MODEL [--weights …] [--correlation …] [--ml] [--intervals] [--factors a,b] [--json]`:
 * nlme's lme and gls (src/nlme) with residual variance functions and correlation structures, printed
 * as nlme's summary (and its intervals), or as one JSON object. `mixedgpu lme ... --tidy [effects] [--conf-int]
 * [--conf-level p] [--scales vcov] --glance`: broom.mixed's tidy.lme and glance.lme tables instead
 * (broomCommand.ts); `--augment OUT.csv`: augment.lme's rows written to a new file (with the summary,
 * or with the tables).
 */
import { basename, extname } from 'node:path';
import { readTableFileAsync } from '../io/node.js';
import { gls } from '../nlme/gls.js';
import { lme } from '../nlme/lme.js';
import { formatIntervals } from '../nlme/summary.js';
import { type CliIO, type FitArgs, CliError, errorMessage, parseFactors, resolveCsv } from './fitCommand.js';
import { type BroomArgs, broomTidyOptions, printBroom, wantsBroom } from './broomCommand.js';
import type { LmeFit } from '../nlme/lmeFit.js';

export interface LmeArgs extends Pick<FitArgs, 'factors' | 'json' | 'quiet' | 'delimiter' | 'encoding' | 'strayText'>, Pick<BroomArgs, 'tidy' | 'glance' | 'augment' | 'confInt' | 'confLevel' | 'scales'> {
  file: string;
  /** lme's fixed formula, or gls's model */
  formula: string;
  random?: string;
  weights?: string;
  correlation?: string;
  ml?: boolean;
  /** also nlme's intervals(fit) (printed after the summary; in the JSON as `intervals`) */
  intervals?: boolean;
}

/** Runs `mixedgpu lme` (fn 'lme') or `mixedgpu gls` (fn 'gls'); returns the exit code. */
export async function runLme(args: LmeArgs, io: CliIO, fn: 'lme' | 'gls' = 'lme'): Promise<number> {
  try {
    if (!args.formula || !args.formula.trim()) throw new CliError(`missing the model formula, such as 'distance ~ age'`);
    // broom.mixed's tidy.lme and glance.lme (--tidy, --glance): their options checked before the fit
    if (fn === 'gls' && wantsBroom(args)) throw new CliError('--tidy, --glance and --augment are for lme fits (broom.mixed\'s tidy.lme); gls fits have no broom.mixed method here');
    broomTidyOptions(args, 'lme');
    if ((args.tidy !== undefined || args.glance) && args.intervals) throw new CliError('--intervals prints nlme\'s intervals with the summary; --tidy --conf-int gives them in tidy\'s table instead');
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
    // broom.mixed's tables; --augment alone writes its file and the summary is printed as usual
    if (args.tidy !== undefined || args.glance) return await printBroom(fit as LmeFit, args, io, read.table, 'lme');
    if (args.augment !== undefined) await printBroom(fit as LmeFit, args, io, read.table, 'lme');
    const iv = args.intervals ? fit.intervals() : null;
    if (args.json) io.stdout(`${JSON.stringify({ ...fit.toJSON(), ...(iv ? { intervals: iv } : {}) }, null, 2)}\n`);
    else io.stdout(`${fit.summary()}\n${iv ? `\n${formatIntervals(iv, fn === 'lme' ? (fit as Awaited<ReturnType<typeof lme>>).group : null)}\n` : ''}`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
