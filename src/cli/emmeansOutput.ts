/**
 * The output of every `--emmeans` / `mixedgpu emmeans` command (lmer and glmer fits, clmm's and glmmTMB's):
 * the grid's means and, with `--contrast`, their contrasts (`--adjust`, `--ref` for trt.vs.ctrl), as
 * emmeans prints them (`by` variables as blocks), or one JSON object { emmeans, contrasts }; the messages
 * that are not notes of emmeans's printout (the interaction NOTE, warnings) on stderr.
 */
import type { AdjustMethod } from '../inference/emmAdjust.js';
import type { ContrastMethod } from '../inference/emmContrasts.js';
import type { EmmGrid } from '../inference/emmeans.js';
import type { CliIO } from './fitCommand.js';

export interface EmmOutputArgs {
  contrast?: string;
  adjust?: string;
  /** trt.vs.ctrl's reference level: its position (a whole number) or its name */
  ref?: string;
  json?: boolean;
}

export function printEmmGrid(grid: EmmGrid, args: EmmOutputArgs, io: CliIO): void {
  const refArg = args.ref === undefined ? undefined : /^\d+$/.test(args.ref) ? Number(args.ref) : args.ref;
  const contrasts = args.contrast === undefined ? null : grid.contrast(args.contrast as ContrastMethod, {
    ...(args.adjust !== undefined ? { adjust: args.adjust as AdjustMethod } : {}),
    ...(refArg !== undefined ? { ref: refArg } : {}),
  });
  if (args.json) {
    io.stdout(`${JSON.stringify({ emmeans: grid.toJSON(), ...(contrasts ? { contrasts: contrasts.toJSON() } : {}) }, null, 2)}\n`);
  } else {
    // the messages that emmeans gives as R messages and warnings rather than notes of its printout
    // (the interaction NOTE, the df method's fallbacks) go to stderr
    for (const m of grid.messages) if (!grid.annotations.includes(m)) io.stderr(`${m}\n`);
    io.stdout(grid.toString());
    if (contrasts) io.stdout(`\n${contrasts.toString()}`);
  }
}
