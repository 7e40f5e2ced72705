/**
 * `mixedgpu allfit FILE FORMULA [--family …] [--optimizers bobyqa,nelderMead,quasiNewton] [--maxfun N] [--json]`:
 * lme4's allFit(fit) and summary(allFit(fit)) (src/fit/allFit.ts): the model (lmer, or glmer with
 * --family) refitted by each optimizer from lme4's start, printed as summary(allFit)'s pieces (which.OK,
 * msgs, fixef, llik, sdcor, theta, times, feval) and a one-line verdict; or as one JSON object.
 */
import { type AllFitResult, allFit, printAllFit } from '../fit/allFit.js';
import { OPTIMIZER_METHODS, type OptimizerMethod } from '../optim/minimizers.js';
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';

export interface AllFitArgs extends Omit<FitArgs, 'ddf'> {
  /** comma-separated methods (default: all) */
  optimizers?: string;
  /** each refit's evaluation budget (default 1e5, lme4's allFit) */
  maxfun?: string | number;
}

/** The result as one JSON object (the refits themselves left out). */
export function allFitJson(r: AllFitResult): object {
  return {
    verdict: r.verdict,
    spread: { loglik: r.spread.logLik, fixef_se: r.spread.fixefSE, theta: r.spread.theta, sdcor_relative: r.spread.sdcorRelative },
    fits: r.rows.map((row) => ({
      optimizer: row.optimizer, method: row.method, ok: row.ok, ...(row.ok ? {} : { error: row.error }),
      msgs: row.messages, converged: row.converged, optimizer_message: row.optimizerMessage,
      fixef: row.fixef, theta: row.theta, sdcor: row.sdcor, loglik: row.ok ? row.logLik : null, feval: row.feval, time_ms: row.timeMs,
    })),
    summary: {
      which_ok: r.summary.whichOK, msgs: r.summary.msgs, fixef: r.summary.fixef, llik: r.summary.llik,
      sdcor: r.summary.sdcor, theta: r.summary.theta, times_ms: r.summary.times, feval: r.summary.feval,
    },
  };
}

function parseOptimizers(v: string | undefined): OptimizerMethod[] | undefined {
  if (v === undefined) return undefined;
  const names = v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const n of names) {
    if (!(OPTIMIZER_METHODS as readonly string[]).includes(n)) {
      throw new CliError(`--optimizers: unknown optimizer '${n}': use ${OPTIMIZER_METHODS.join(', ')} (comma-separated)`);
    }
  }
  if (names.length === 0) throw new CliError(`--optimizers needs at least one of ${OPTIMIZER_METHODS.join(', ')}`);
  return names as OptimizerMethod[];
}

/** Runs `mixedgpu allfit`; returns the exit code. */
export async function runAllFit(args: AllFitArgs, io: CliIO): Promise<number> {
  try {
    const optimizers = parseOptimizers(args.optimizers);
    let maxfun: number | undefined;
    if (args.maxfun !== undefined) {
      maxfun = typeof args.maxfun === 'number' ? args.maxfun : Number(String(args.maxfun).trim());
      if (!(Number.isInteger(maxfun) && maxfun > 0)) throw new CliError(`--maxfun must be a positive whole number, got '${args.maxfun}'`);
    }
    const { fit } = await fitFromArgs(args, io);
    const showProgress = !args.quiet && io.stderrIsTTY === true;
    const result = await allFit(fit, {
      ...(optimizers ? { optimizers } : {}), ...(maxfun !== undefined ? { maxfun } : {}),
      onProgress: showProgress ? (p) => io.stderr(`\r\x1b[Kallfit: ${p.done}/${p.total} (${p.optimizer})`) : undefined,
    });
    if (showProgress) io.stderr('\r\x1b[K');
    if (args.json) io.stdout(`${JSON.stringify(allFitJson(result), null, 2)}\n`);
    else io.stdout(`${printAllFit(result).join('\n')}\n`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
