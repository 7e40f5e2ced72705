/**
 * `mixedgpu ggpredict FILE FORMULA --terms 'x [1, 5]' [--terms f] [--type fixed|random] [--level p]
 * [--typical mean|median] [--condition 'x=2;h=lo'] [--json]` and `mixedgpu ggemmeans …`: ggeffects's
 * adjusted predictions (src/inference/ggpredict.ts) of an lmer or glmer (--family) fit, printed as
 * ggeffects prints them, or as JSON. glmmTMB fits take theirs through `mixedgpu zeroinfl … --ggpredict TERM`
 * (zeroinflCommand.ts), with the same --type, --level, --typical and --condition.
 */
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import type { GgEffects, GgOptions } from '../inference/ggpredict.js';
import { ggemmeansAsync, ggpredictAsync } from '../inference/ggRows.js';

export interface GgeffectsArgs extends FitArgs {
  /** the focal terms (x, group, facet), each 'name' or 'name [values]' */
  terms?: string[];
  /** fixed (default) or random */
  type?: string;
  level?: string;
  typical?: string;
  /** non-focal variables' values: 'x=2;h=lo' */
  condition?: string;
}

/** 'x=2;h=lo' → { x: 2, h: 'lo' } */
export function parseCondition(text: string): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (const part of text.split(';').map((s) => s.trim()).filter((s) => s.length > 0)) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(eq + 1).trim().length === 0) throw new CliError(`--condition '${part}': give name=value, e.g. --condition 'x=2;h=lo'`);
    const name = part.slice(0, eq).trim(), value = part.slice(eq + 1).trim();
    if (value.includes(',')) throw new CliError(`--condition '${part}': one value per variable (give several as a term's values instead)`);
    out[name] = Number.isFinite(Number(value)) ? Number(value) : value;
  }
  return out;
}

/** ggeffects's options from the command line's --type, --level, --typical, --condition */
export function ggOptionsFromArgs(args: Pick<GgeffectsArgs, 'type' | 'level' | 'typical' | 'condition'>): GgOptions {
  const level = args.level === undefined ? undefined : Number(args.level);
  if (level !== undefined && !Number.isFinite(level)) throw new CliError(`--level must be a number such as 0.95, got '${args.level}'`);
  return {
    ...(args.type !== undefined ? { type: args.type as GgOptions['type'] } : {}),
    ...(level !== undefined ? { level } : {}),
    ...(args.typical !== undefined ? { typical: args.typical as GgOptions['typical'] } : {}),
    ...(args.condition !== undefined ? { condition: parseCondition(args.condition) } : {}),
  };
}

/** the predictions' notes on stderr, then ggeffects's printout (or `{ggpredict: …}` JSON) on stdout */
export function printGgEffects(method: 'ggpredict' | 'ggemmeans', res: GgEffects, json: boolean | undefined, io: CliIO): void {
  for (const m of res.messages) io.stderr(`mixedgpu: note: ${m}\n`);
  if (json) io.stdout(`${JSON.stringify({ [method]: res.toJSON() }, null, 2)}\n`);
  else io.stdout(`${res.toString()}\n`);
}

/** Runs `mixedgpu ggpredict` or `mixedgpu ggemmeans`; returns the exit code. */
export async function runGgeffects(method: 'ggpredict' | 'ggemmeans', args: GgeffectsArgs, io: CliIO): Promise<number> {
  try {
    const terms = args.terms ?? [];
    if (terms.length === 0) throw new CliError(`${method} needs at least one --terms (the focal variable, e.g. --terms 'x [1, 5, 10]')`);
    const options = ggOptionsFromArgs(args);
    const run = (method === 'ggpredict' ? ggpredictAsync : ggemmeansAsync);
    // an engine fit's default values need scans over its rows: computed while its file or connection is open
    let res: GgEffects | null = null;
    const { fit } = await fitFromArgs(args, io, undefined, { whileOpen: async (f) => { res = await run(f, terms, options); } });
    if (!('beta' in fit) || !('model' in fit) || !('frame' in (fit as { model: object }).model)) throw new CliError(`${method} is for lmer and glmer fits (glmmTMB fits: mixedgpu zeroinfl … --${method} TERM)`);
    res ??= await run(fit as Parameters<typeof ggpredictAsync>[0], terms, options);
    printGgEffects(method, res, args.json, io);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
