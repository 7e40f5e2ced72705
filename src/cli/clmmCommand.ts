/**
 * `mixedgpu clmm FILE FORMULA [--link logit] [--threshold flexible] [--nagq 1] [--levels a,b,c]
 * [--factors a,b] [--weights COL] [--json]`: a cumulative link mixed model (ordinal's clmm, src/ordinal) on the
 * CPU; prints ordinal's summary(clmm), or the fit's JSON.
 */
import { basename, extname } from 'node:path';
import { type CliIO, CliError, errorMessage } from './fitCommand.js';
import { readTableFileAsync } from '../io/node.js';
import { clmm } from '../ordinal/clmm.js';
import type { ClmmLink } from '../ordinal/links.js';
import type { ClmmThreshold } from '../ordinal/thresholds.js';

export interface ClmmArgs {
  file?: string;
  formula?: string;
  link?: string;
  threshold?: string;
  nagq?: string;
  levels?: string;
  factors?: string;
  weights?: string;
  backend?: string;
  json?: boolean;
  quiet?: boolean;
}

const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

/** Runs `mixedgpu clmm`; returns the exit code. */
export async function runClmm(args: ClmmArgs, io: CliIO): Promise<number> {
  try {
    if (!args.file) throw new CliError('missing data file');
    if (!args.formula || !args.formula.trim()) throw new CliError('missing model formula');
    const nAGQ = args.nagq === undefined ? undefined : Number(args.nagq);
    if (nAGQ !== undefined && !(Number.isInteger(nAGQ) && nAGQ >= 1 && nAGQ <= 25)) throw new CliError(`--nagq must be a whole number from 1 to 25, got '${args.nagq}'`);
    const factors = list(args.factors);
    const { table } = await readTableFileAsync(args.file, factors ? { factors } : {});
    const fit = await clmm(args.formula, table, {
      ...(args.link !== undefined ? { link: args.link as ClmmLink } : {}),
      ...(args.threshold !== undefined ? { threshold: args.threshold as ClmmThreshold } : {}),
      ...(nAGQ !== undefined ? { nAGQ } : {}),
      ...(args.levels !== undefined ? { levels: list(args.levels) } : {}),
      ...(factors ? { factors } : {}),
      ...(args.weights !== undefined ? { weights: args.weights } : {}),
      ...(args.backend !== undefined ? { backend: args.backend as 'cpu' } : {}),
      dataName: basename(args.file, extname(args.file)),
    });
    if (!args.quiet && !args.json) for (const m of fit.messages) io.stderr(`mixedgpu: note: ${m}\n`);
    io.stdout(args.json ? `${JSON.stringify(fit.toJSON(), null, 2)}\n` : fit.summary());
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
