/**
 * `mixedgpu joint-tests FILE FORMULA [--by B] [--ddf …] [--show0df] [--no-confounded] [--json]`:
 * emmeans's joint_tests (src/inference/jointTests.ts) — an F test of each model term through the
 * estimated marginal means — printed as emmeans prints it, or as JSON.
 */
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import { type EmmDdf, needsRemlRefit } from '../inference/emmeans.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import { jointTests } from '../inference/jointTests.js';

export interface JointTestsArgs extends Omit<FitArgs, 'ddf'> {
  /** comma-separated variables whose levels form separate tables */
  by?: string;
  /** lmer: kenward-roger, satterthwaite or asymptotic */
  ddf?: string;
  /** rows with df1 = 0 too */
  show0df?: boolean;
  /** the "(confounded)" row (commander's --no-confounded sets false) */
  confounded?: boolean;
}

/** Runs `mixedgpu joint-tests`; returns the exit code. */
export async function runJointTests(args: JointTestsArgs, io: CliIO): Promise<number> {
  try {
    const by = args.by === undefined ? undefined : args.by.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (by !== undefined && by.length === 0) throw new CliError('--by names no variable');
    const { fit } = await fitFromArgs(args, io);
    // emmeans's default on an ML fit: Kenward-Roger's df from the model's REML refit (pbkrtest's vcovAdj)
    const remlRefit = needsRemlRefit(fit, args.ddf as EmmDdf | undefined) ? await (fit as LmmFit).remlFit() : undefined;
    const res = jointTests(fit, {
      ...(by ? { by } : {}),
      ...(remlRefit ? { remlRefit } : {}),
      ...(args.ddf !== undefined ? { ddf: args.ddf as EmmDdf } : {}),
      ...(args.show0df ? { show0df: true } : {}),
      ...(args.confounded === false ? { showConfounded: false } : {}),
    });
    if (args.json) io.stdout(`${JSON.stringify({ joint_tests: res.toJSON() }, null, 2)}\n`);
    else io.stdout(res.toString());
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
