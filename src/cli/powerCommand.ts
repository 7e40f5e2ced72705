/**
 * `mixedgpu power FILE FORMULA --test x [--method t|kr|lr|z|f|anova|chisq|pb] [--pbnsim 100] [--compare | --fcompare | --rcompare FORMULA] [--nsim 1000] [--seed 1] [--alpha 0.05]
 *  [--fixef x=-0.05] [--sigma S] [--extend Subject=40 | --within Subject=12] [--curve Subject=4,8,12] [--json]`:
 * simr's powerSim (src/inference/powerSim.ts) of an lmer fit (or a glmer fit with --family: z and lr; extend and
 * powerCurve too), on a design extended by simr's extend
 * (--extend along=n, --within group=n: src/inference/powerCurve.ts), or simr's powerCurve along a
 * column at the given numbers of its levels (--curve Subject=4,8,12, or --curve Subject for simr's
 * default breaks); printed as simr's print.powerSim / print.powerCurve, or as JSON.
 */
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import { LmmFit } from '../lmm/lmmFit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { type PowerMethod, type PowerSimOptions, type PowerSimResult, powerSim } from '../inference/powerSim.js';
import { type ExtendedFit, type PowerCurveResult, extend, powerCurve } from '../inference/powerCurve.js';
import { printPowerCurve, printPowerSim } from '../inference/powerPrint.js';
import { numberArg } from './inferenceCommands.js';

export interface PowerArgs extends Omit<FitArgs, 'ddf'> {
  test?: string;
  method?: string;
  nsim?: string | number;
  seed?: string | number;
  alpha?: string | number;
  /** `x=-0.05,y=1` */
  fixef?: string;
  sigma?: string | number;
  /** `Subject=40` */
  extend?: string;
  /** `Subject=12` */
  within?: string;
  /** `Subject=4,8,12` or `Subject` */
  curve?: string;
  /** simr's compare, fcompare, rcompare: the smaller model's formula */
  compare?: string;
  fcompare?: string;
  rcompare?: string;
  pbnsim?: string | number;
}

/** `a=1,b=-0.5` → { a: 1, b: -0.5 } */
export function parseFixef(s: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of s.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = part.lastIndexOf('=');
    const name = part.slice(0, eq).trim(), value = Number(part.slice(eq + 1).trim());
    if (eq <= 0 || part.slice(eq + 1).trim() === '' || !Number.isFinite(value)) throw new CliError(`--fixef: expected name=value pairs separated by commas (e.g. Days=5), got '${part}'`);
    out[name] = value;
  }
  return out;
}

/** `name=n` → [name, n] */
function namedCount(s: string, option: string): [string, number] {
  const eq = s.lastIndexOf('=');
  const n = Number(s.slice(eq + 1).trim());
  if (eq <= 0 || !(Number.isInteger(n) && n >= 1)) throw new CliError(`--${option}: expected COLUMN=N with N a whole number ≥ 1 (e.g. Subject=40), got '${s}'`);
  return [s.slice(0, eq).trim(), n];
}

function runJson(r: PowerSimResult): object {
  return {
    term: r.term, method: r.method, text: r.text, description: r.description, effect: r.effect,
    successes: r.successes, trials: r.trials, power: r.power, ci: { level: 0.95, lower: r.ci[0], upper: r.ci[1] },
    alpha: r.alpha, nrow: r.nrow, nsim: r.nsim, seed: r.seed, errors: r.errors, warnings: r.warnings, singular: r.singular,
    messages: r.messages, p_values: Array.from(r.pValues, (p) => (Number.isFinite(p) ? p : null)), time_ms: r.timeMs,
  };
}

function curveJson(c: PowerCurveResult): object {
  return {
    term: c.term, method: c.method, text: c.text, along: c.along, xlab: c.xlab, nsim: c.nsim, seed: c.seed, alpha: c.alpha,
    errors: c.errors, warnings: c.warnings, time_ms: c.timeMs,
    points: c.points.map((p) => ({ x: p.x, ...runJson(p) })),
  };
}

/** Runs `mixedgpu power`; returns the exit code. */
export async function runPower(args: PowerArgs, io: CliIO): Promise<number> {
  try {
    if (args.extend !== undefined && args.within !== undefined) throw new CliError('--extend and --within cannot be used together (simr: only one of along and within)');
    const method = args.method as PowerMethod | undefined;
    const nsim = numberArg(args.nsim, 'nsim', true);
    const seed = numberArg(args.seed, 'seed', true);
    const alpha = numberArg(args.alpha, 'alpha');
    const sigma = numberArg(args.sigma, 'sigma');
    const fixef = args.fixef !== undefined ? parseFixef(args.fixef) : undefined;
    const pbnsim = numberArg(args.pbnsim, 'pbnsim', true);
    // simr's model comparisons: one of --compare, --fcompare, --rcompare, in place of --test
    const comparisons = (['compare', 'fcompare', 'rcompare'] as const).filter((k) => args[k] !== undefined);
    if (comparisons.length > 1 || (comparisons.length && args.test !== undefined)) throw new CliError(`give one of --test, --compare, --fcompare, --rcompare (got ${[...(args.test !== undefined ? ['test'] : []), ...comparisons].map((k) => `--${k}`).join(', ')})`);
    const test: PowerSimOptions['test'] = comparisons.length ? ({ [comparisons[0]]: args[comparisons[0]] } as { compare: string }) : args.test;
    const { fit, table } = await fitFromArgs(args, io);
    let input: LmmFit | ExtendedFit | GlmmFit = fit as LmmFit | GlmmFit;
    if (args.extend !== undefined || args.within !== undefined) {
      if (!table) throw new CliError('--extend needs the rows in memory (--engine memory)');
      const [col, n] = namedCount((args.extend ?? args.within)!, args.extend !== undefined ? 'extend' : 'within');
      input = await extend(fit as LmmFit | GlmmFit, table, args.extend !== undefined ? { along: col, n } : { within: col, n });
    }
    const showProgress = !args.quiet && io.stderrIsTTY === true;
    const onProgress = showProgress ? (p: { done: number; nsim: number }) => io.stderr(`\r\x1b[Kpower: ${p.done}/${p.nsim} simulations`) : undefined;
    const common = { test, method, nsim, seed, alpha, fixef, sigma, pbnsim, onProgress };
    for (const k of Object.keys(common) as (keyof typeof common)[]) if (common[k] === undefined) delete common[k];
    if (args.curve !== undefined) {
      const eq = args.curve.indexOf('=');
      const along = (eq < 0 ? args.curve : args.curve.slice(0, eq)).trim();
      let breaks: number[] | undefined;
      if (eq >= 0) {
        breaks = args.curve.slice(eq + 1).split(',').map((b) => Number(b.trim()));
        if (breaks.some((b) => !Number.isInteger(b))) throw new CliError(`--curve: expected COLUMN=k1,k2,… with whole numbers (e.g. Subject=4,8,12), got '${args.curve}'`);
      }
      const c = await powerCurve(input, { ...common, along, ...(breaks ? { breaks } : {}) });
      if (showProgress) io.stderr('\r\x1b[K');
      io.stdout(args.json ? `${JSON.stringify(curveJson(c), null, 2)}\n` : printPowerCurve(c));
      return 0;
    }
    const r = await powerSim(input, common);
    if (showProgress) io.stderr('\r\x1b[K');
    io.stdout(args.json ? `${JSON.stringify(runJson(r), null, 2)}\n` : printPowerSim(r));
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
