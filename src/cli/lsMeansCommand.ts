/**
 * `mixedgpu lsmeans FILE FORMULA [--which TERMS] [--pairwise] [--ddf kenward-roger] [--level 0.9]
 * [--show-tests] [--fractions] [--json]`: lmerTest's ls_means (difflsmeans with --pairwise) of an
 * lmer fit (src/inference/lsMeans.ts), printed as lmerTest prints it, with show_tests's contrast
 * matrices after the table (--show-tests; --fractions as MASS's fractions), or as JSON.
 */
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import { checkDdf, lsMeans } from '../inference/fitInference.js';
import { printLsMeans } from '../inference/lsMeans.js';
import { printShowTests, showTests } from '../inference/showTests.js';
import type { LmmFit } from '../lmm/lmmFit.js';

export interface LsMeansArgs extends FitArgs {
  /** comma-separated factor terms (lmerTest's which; default every factor term) */
  which?: string;
  /** all pairwise differences (difflsmeans) */
  pairwise?: boolean;
  /** the intervals' confidence level (default 0.95) */
  level?: string | number;
  /** show_tests: the contrast matrices after the table (in the JSON: `show_tests`) */
  showTests?: boolean;
  /** with showTests: the entries as MASS's fractions */
  fractions?: boolean;
}

/** Runs `mixedgpu lsmeans`; returns the exit code. */
export async function runLsMeans(args: LsMeansArgs, io: CliIO): Promise<number> {
  try {
    if (args.family !== undefined) throw new CliError("lsmeans is lmerTest's ls_means of lmer fits; for a glmer fit (--family) use emmeans");
    if (args.fractions && !args.showTests) throw new CliError('--fractions is for --show-tests (the contrast matrices as fractions)');
    const ddf = checkDdf(args.ddf);
    let level: number | undefined;
    if (args.level !== undefined) {
      level = Number(args.level);
      if (String(args.level).trim() === '' || !(level > 0 && level < 1)) throw new CliError(`--level must be a number between 0 and 1 (exclusive), got '${args.level}'`);
    }
    const which = args.which === undefined ? undefined : args.which.split(',').map((t) => t.trim()).filter((t) => t !== '');
    if (which !== undefined && which.length === 0) throw new CliError('--which names no term');
    const { which: _w, pairwise: _p, level: _l, showTests: _s, fractions: _f, ...fitArgs } = args;
    const { fit } = await fitFromArgs({ ...fitArgs, ddf: undefined }, io);
    const res = lsMeans(fit as LmmFit, { ...(which ? { which } : {}), ...(level !== undefined ? { level } : {}), ddf, pairwise: args.pairwise === true });
    if (!args.quiet) for (const m of res.messages) io.stderr(`mixedgpu: note: ${m}\n`);
    if (args.json) {
      const out = {
        ls_means: { pairwise: res.pairwise, level: res.level, ddf: res.ddf, rows: res.rows },
        ...(args.showTests ? { show_tests: showTests(res, { fractions: args.fractions === true }) } : {}),
      };
      io.stdout(`${JSON.stringify(out, null, 2)}\n`);
    } else {
      const lines = printLsMeans(res);
      if (args.showTests) lines.push('', ...printShowTests(res, { fractions: args.fractions === true }));
      io.stdout(`${lines.join('\n')}\n`);
    }
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
