/**
 * `mixedgpu zeroinfl FILE FORMULA [--family poisson] [--zi '~ 1'] [--factors a,b] [--predict TYPE]
 * [--json]`: a zero-inflated or hurdle count GLMM (glmmTMB's ziformula, src/zeroinfl) on the CPU;
 * prints glmmTMB's summary, the fit's JSON, or one prediction per row (--predict response,
 * conditional, zprob, link, zlink).
 */
import { basename, extname } from 'node:path';
import { type CliIO, CliError, errorMessage } from './fitCommand.js';
import { readTableFileAsync } from '../io/node.js';
import { zeroInflated } from '../zeroinfl/zeroInflated.js';
import type { ZiFamily } from '../zeroinfl/model.js';
import type { ZiPredictType } from '../zeroinfl/zeroInflatedFit.js';

export interface ZeroinflArgs {
  file?: string;
  formula?: string;
  family?: string;
  zi?: string;
  factors?: string;
  predict?: string;
  backend?: string;
  json?: boolean;
  quiet?: boolean;
}

const PREDICT_TYPES = ['response', 'conditional', 'zprob', 'link', 'zlink'];
const list = (s: string | undefined) => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

/** Runs `mixedgpu zeroinfl`; returns the exit code. */
export async function runZeroinfl(args: ZeroinflArgs, io: CliIO): Promise<number> {
  try {
    if (!args.file) throw new CliError('missing data file');
    if (!args.formula || !args.formula.trim()) throw new CliError('missing model formula');
    if (args.predict !== undefined && !PREDICT_TYPES.includes(args.predict)) throw new CliError(`--predict must be one of ${PREDICT_TYPES.join(', ')}, got '${args.predict}'`);
    const factors = list(args.factors);
    const { table } = await readTableFileAsync(args.file, factors ? { factors } : {});
    const fit = await zeroInflated(args.formula, table, {
      ...(args.family !== undefined ? { family: args.family as ZiFamily } : {}),
      ...(args.zi !== undefined ? { ziformula: args.zi } : {}),
      ...(factors ? { factors } : {}),
      ...(args.backend !== undefined ? { backend: args.backend as 'cpu' } : {}),
      dataName: basename(args.file, extname(args.file)),
    });
    if (!args.quiet && !args.json) for (const m of fit.messages) io.stderr(`mixedgpu: note: ${m}\n`);
    if (args.predict !== undefined) {
      const pred = fit.predict(args.predict as ZiPredictType);
      io.stdout(args.json ? `${JSON.stringify({ type: args.predict, values: Array.from(pred) })}\n` : `${Array.from(pred, (v) => String(v)).join('\n')}\n`);
      return 0;
    }
    io.stdout(args.json ? `${JSON.stringify(fit.toJSON(), null, 2)}\n` : fit.summary());
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
