/**
 * `mixedgpu coxme FILE FORMULA [--ties efron|breslow] [--factors a,b] [--fixed-theta 0.3,0.2] [--json]`:
 * a mixed-effects Cox model (Therneau's coxme, src/survival) on the CPU; prints coxme's printout, or
 * the fit's JSON.
 */
import { basename, extname } from 'node:path';
import { type CliIO, CliError, errorMessage } from './fitCommand.js';
import { readTableFileAsync } from '../io/node.js';
import { coxme } from '../survival/coxme.js';
import type { CoxTies } from '../survival/model.js';

export interface CoxmeArgs {
  file?: string;
  formula?: string;
  ties?: string;
  factors?: string;
  fixedTheta?: string;
  json?: boolean;
  quiet?: boolean;
}

const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

/** Runs `mixedgpu coxme`; returns the exit code. */
export async function runCoxme(args: CoxmeArgs, io: CliIO): Promise<number> {
  try {
    if (!args.file) throw new CliError('missing data file');
    if (!args.formula || !args.formula.trim()) throw new CliError('missing model formula');
    let fixedTheta: number[] | undefined;
    if (args.fixedTheta !== undefined) {
      fixedTheta = list(args.fixedTheta)!.map(Number);
      if (fixedTheta.length === 0 || !fixedTheta.every(Number.isFinite)) throw new CliError(`--fixed-theta must be numbers separated by commas (θ in lme4's layout), got '${args.fixedTheta}'`);
    }
    const factors = list(args.factors);
    const { table } = await readTableFileAsync(args.file, factors ? { factors } : {});
    const fit = coxme(args.formula, table, {
      ...(args.ties !== undefined ? { ties: args.ties as CoxTies } : {}),
      ...(factors ? { factors } : {}),
      ...(fixedTheta ? { fixedTheta } : {}),
      dataName: basename(args.file, extname(args.file)),
    });
    if (!args.quiet && !args.json) for (const m of fit.messages) io.stderr(`mixedgpu: note: ${m}\n`);
    io.stdout(args.json ? `${JSON.stringify(fit.toJSON(), null, 2)}\n` : fit.print());
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
