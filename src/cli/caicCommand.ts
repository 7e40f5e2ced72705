/**
 * `mixedgpu caic FILE FORMULA [--family poisson|binomial] [--sigma-penalty 1] [--ml] [--json]`: cAIC4's
 * conditional AIC (src/inference/caic.ts) of an lmer fit (REML by default, --ml) or a Poisson or Bernoulli
 * glmer fit (--family), printed as cAIC4's print.cAIC; --json gives cAIC4's list (loglikelihood, df,
 * reducedModel, new, caic).
 */
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import { type CaicResult, formatCaic } from '../inference/caic.js';

export interface CaicArgs extends Omit<FitArgs, 'ddf'> {
  /** cAIC4's sigma.penalty (lmer fits) */
  sigmaPenalty?: string | number;
}

/** cAIC4's list, for --json */
export function caicJson(r: CaicResult): object {
  return {
    loglikelihood: r.loglikelihood, df: r.df, reducedModel: r.reducedModel, new: r.new, caic: r.caic,
    family: r.family, refits: r.refits, messages: r.messages,
  };
}

/** Runs `mixedgpu caic`; returns the exit code. */
export async function runCaic(args: CaicArgs, io: CliIO): Promise<number> {
  try {
    let sigmaPenalty: number | undefined;
    if (args.sigmaPenalty !== undefined) {
      sigmaPenalty = Number(String(args.sigmaPenalty).trim());
      if (!(Number.isFinite(sigmaPenalty) && sigmaPenalty >= 0)) throw new CliError(`--sigma-penalty must be a number ≥ 0, got '${args.sigmaPenalty}'`);
    }
    const { fit } = await fitFromArgs(args, io);
    const showProgress = !args.quiet && io.stderrIsTTY === true;
    const r = await fit.cAIC({
      ...(sigmaPenalty !== undefined ? { sigmaPenalty } : {}),
      onProgress: showProgress ? (p) => io.stderr(`\r\x1b[KcAIC: ${p.done}/${p.total} refits`) : undefined,
    });
    if (showProgress) io.stderr('\r\x1b[K');
    if (args.json) io.stdout(`${JSON.stringify(caicJson(r), null, 2)}\n`);
    else {
      for (const m of r.messages) io.stderr(`mixedgpu: note: ${m}\n`);
      io.stdout(`${formatCaic(r)}\n`);
    }
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
