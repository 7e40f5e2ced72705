/**
 * The output of every `--emmeans` / `mixedgpu emmeans` command (lmer and glmer fits, clmm's and glmmTMB's):
 * the grid's means and, with `--contrast`, their contrasts (`--adjust`, `--ref` for trt.vs.ctrl), as
 * emmeans prints them (`by` variables as blocks), or one JSON object { emmeans, contrasts }; the messages
 * that are not notes of emmeans's printout (the interaction NOTE, warnings) on stderr.
 */
import type { AdjustMethod } from '../inference/emmAdjust.js';
import type { ContrastMethod } from '../inference/emmContrasts.js';
import { type EmmGrid, type RegridTransform, checkRegridTransform } from '../inference/emmeans.js';
import type { EmmWeights } from '../inference/emmeans.js';
import { CliError, type CliIO } from './fitCommand.js';

export interface EmmOutputArgs {
  contrast?: string;
  adjust?: string;
  /** trt.vs.ctrl's reference level: its position (a whole number) or its name */
  ref?: string;
  json?: boolean;
}

/** the --emmeans arguments of every model's means */
export interface EmmCliArgs extends EmmOutputArgs {
  emmeans?: string;
  by?: string;
  at?: string;
  emmWeights?: string;
  level?: string;
}

/** the options every model's means take (emmeans's by, at, weights, level; adjust without a contrast) */
export interface SharedEmmOptions {
  by?: string[];
  at?: Record<string, (string | number)[]>;
  weights?: EmmWeights;
  level?: number;
  adjust?: AdjustMethod;
}

/** 'x=0,1;A=a1,a2' → { x: [0, 1], A: ['a1', 'a2'] } (numbers where every value is one) */
export function parseAt(text: string): Record<string, (string | number)[]> {
  const out: Record<string, (string | number)[]> = {};
  for (const part of text.split(';').map((s) => s.trim()).filter((s) => s.length > 0)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new CliError(`--at '${part}': give name=value[,value…], e.g. --at 'x=0,1;A=a1'`);
    const name = part.slice(0, eq).trim();
    const values = part.slice(eq + 1).split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (values.length === 0) throw new CliError(`--at '${part}': no values for '${name}'`);
    const numeric = values.every((v) => v !== '' && Number.isFinite(Number(v)));
    out[name] = numeric ? values.map(Number) : values;
  }
  return out;
}

/**
 * --regrid [transform]: undefined (no --regrid), a bare --regrid (true: 'response') or a transform of
 * emmeans's regrid ('response', 'unlink', 'mu', 'log', 'none'), checked before the fit
 */
export function regridTransformArg(regrid: boolean | string | undefined): RegridTransform | undefined {
  if (regrid === undefined || regrid === false) return undefined;
  if (regrid === true) return 'response';
  try {
    return checkRegridTransform(regrid);
  } catch (e) {
    throw new CliError(`--regrid ${(e as Error).message.replace(/^regrid transform /, '')}`);
  }
}

const list = (s: string) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);

/**
 * --emmeans SPECS ('~ a | b', or a,b) and the options every model's means take, checked before the fit
 * (the model's own — mode, type, component, … — are the caller's)
 */
export function sharedEmmOptions(args: EmmCliArgs): { specs: string | string[]; options: SharedEmmOptions } {
  const specs = args.emmeans!.includes('~') || args.emmeans!.includes('|') ? args.emmeans! : list(args.emmeans!);
  const level = args.level === undefined ? undefined : Number(args.level);
  if (level !== undefined && !Number.isFinite(level)) throw new CliError(`--level must be a number, got '${args.level}'`);
  if (args.ref !== undefined && args.contrast === undefined) throw new CliError('--ref is for --contrast trt.vs.ctrl');
  return {
    specs,
    options: {
      ...(args.by !== undefined ? { by: list(args.by) } : {}),
      ...(args.at !== undefined ? { at: parseAt(args.at) } : {}),
      ...(args.emmWeights !== undefined ? { weights: args.emmWeights as EmmWeights } : {}),
      ...(level !== undefined ? { level } : {}),
      ...(args.adjust !== undefined && args.contrast === undefined ? { adjust: args.adjust as AdjustMethod } : {}),
    },
  };
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
