/**
 * `mixedgpu influence FILE FORMULA [--groups g] [--maxfun N] [--json]` (lmer, or glmer with --family): lme4's influence(fit, groups)
 * (src/inference/influence.ts) — the model refitted without each level of g (or each observation) —
 * printed as each unit's Cook's distance and dfbetas, largest Cook's distance first: the top 20 in the
 * text output, every unit in the JSON (with β̂₋ᵢ, θ̂₋ᵢ, σ̂₋ᵢ, var.cov.comps and Var(β̂₋ᵢ)).
 */
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import type { Influence } from '../inference/influence.js';
// the table and the order are shared with the browser app
import { influenceOrder, printInfluence } from '../inference/format.js';

export interface InfluenceArgs extends Omit<FitArgs, 'ddf'> {
  /** the grouping factor whose levels are deleted (absent: each observation) */
  groups?: string;
  maxfun?: string | number;
  /** text output: how many units (default 20) */
  top?: string | number;
}

/** Every unit, for --json. */
export function influenceJson(infl: Influence): object {
  const cooks = infl.cooksDistance(), dfb = infl.dfbeta(), dfbs = infl.dfbetas();
  const p = infl.xnames.length;
  const named = (v: ArrayLike<number>, names: string[]) => Object.fromEntries(names.map((n, j) => [n, v[j]]));
  return {
    groups: infl.groups,
    fixed_effects: named(infl.beta, infl.xnames),
    var_cov_comps: named(infl.varcov, infl.varcovNames),
    vcov: Array.from({ length: p }, (_, r) => Array.from(infl.vcov.subarray(r * p, (r + 1) * p))),
    units: influenceOrder(cooks).map((i) => {
      const d = infl.deleted[i];
      return {
        unit: d.label, rows: d.rows, cooks_distance: cooks[i],
        dfbeta: named(dfb[i], infl.xnames), dfbetas: named(dfbs[i], infl.xnames),
        fixed_effects: named(d.beta, infl.xnames), theta: Array.from(d.theta), sigma: d.sigma,
        var_cov_comps: named(d.varcov, infl.varcovNames),
        vcov: Array.from({ length: p }, (_, r) => Array.from(d.vcov.subarray(r * p, (r + 1) * p))),
        converged: d.converged, feval: d.feval,
      };
    }),
    time_ms: infl.timeMs,
  };
}

function positiveInteger(v: string | number | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const x = typeof v === 'number' ? v : Number(String(v).trim());
  if (!(Number.isInteger(x) && x > 0)) throw new CliError(`--${name} must be a positive whole number, got '${v}'`);
  return x;
}

/** Runs `mixedgpu influence`; returns the exit code. */
export async function runInfluence(args: InfluenceArgs, io: CliIO): Promise<number> {
  try {
    const maxfun = positiveInteger(args.maxfun, 'maxfun');
    const top = positiveInteger(args.top, 'top') ?? 20;
    const { fit } = await fitFromArgs(args, io);
    const showProgress = !args.quiet && io.stderrIsTTY === true;
    const infl = await fit.influence({
      groups: args.groups, maxfun,
      onProgress: showProgress ? (p) => io.stderr(`\r\x1b[Kinfluence: ${p.done}/${p.total} refits`) : undefined,
    });
    if (showProgress) io.stderr('\r\x1b[K');
    if (args.json) io.stdout(`${JSON.stringify(influenceJson(infl), null, 2)}\n`);
    else io.stdout(`${printInfluence(infl, top).join('\n')}\n`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
