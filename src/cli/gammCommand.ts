/**
 * `mixedgpu gamm4 FILE "y ~ s(x) + z" [--random "~ (1 | g)"] [--ml] [--family gaussian|binomial|poisson] [--factors a,b] [--backend cpu|webgpu|auto] [--points 50] [--json]`:
 * gamm4's GAMM fit (src/gamm/gamm4.ts; binomial and Poisson by glmer, src/gamm/gamm4Glmm.ts), printed as R
 * prints summary(fit$gam) (with the approximate significance of smooth terms) and then summary(fit$mer);
 * or as one JSON object: the gam view (coefficients, Vp, edf, smooths with their tests, summary.gam's s_table,
 * parametric table, R²), the mer's θ, σ
 * and fixed effects, and each smooth's plot data (values ± 2 SE on --points covariate values).
 */
import { basename } from 'node:path';
import { readTableFileAsync } from '../io/node.js';
import { gamm4 } from '../gamm/gamm4.js';
import { type CliIO, CliError, type FitArgs, errorMessage, parseFactors, resolveBackend, resolveCsv } from './fitCommand.js';

export interface GammArgs extends Pick<FitArgs, 'factors' | 'json' | 'quiet' | 'delimiter' | 'encoding' | 'strayText' | 'backend'> {
  file: string;
  /** the model formula with its smooths, `y ~ s(x) + z` */
  formula: string;
  /** the random-effects formula, `~ (1 | g)` */
  random?: string;
  /** maximum likelihood instead of REML */
  ml?: boolean;
  /** gaussian (default), binomial or poisson */
  family?: string;
  /** values per smooth in the JSON's plot data (default 50) */
  points?: string | number;
}

/** Runs `mixedgpu gamm4`; returns the exit code. */
export async function runGamm(args: GammArgs, io: CliIO): Promise<number> {
  try {
    if (!args.formula || !args.formula.trim()) throw new CliError("missing the formula, such as 'y ~ s(x) + z'");
    const points = args.points === undefined ? 50 : Number(String(args.points).trim());
    if (!Number.isInteger(points) || points < 2) throw new CliError(`--points must be an integer of at least 2, got '${args.points}'`);
    const factors = parseFactors(args.factors);
    const read = await readTableFileAsync(args.file, { factors, ...resolveCsv(args) });
    if (!args.quiet) for (const w of read.warnings) io.stderr(`mixedgpu: warning: ${w}\n`);
    if (!args.quiet) for (const n of read.notes ?? []) io.stderr(`mixedgpu: note: ${basename(args.file)}: ${n}\n`);
    const backend = resolveBackend(args.backend);
    const family = args.family === undefined ? 'gaussian' : args.family.trim();
    if (family !== 'gaussian' && family !== 'binomial' && family !== 'poisson') {
      throw new CliError(`--family: family '${args.family}' is not available (gamm4 fits gaussian, binomial and poisson)`);
    }
    const random = args.random !== undefined ? { random: args.random } : {};
    const fit = family === 'gaussian'
      ? await gamm4(args.formula, read.table, { ...random, REML: !args.ml, factors, backend })
      : await gamm4(args.formula, read.table, { ...random, family, factors, backend });
    if (!args.quiet) for (const m of fit.mer.messages) io.stderr(`mixedgpu: note: ${m}\n`);
    if (args.json) {
      io.stdout(`${JSON.stringify({ ...fit.toJSON(), plot: fit.plotData(points) }, null, 2)}\n`);
    } else {
      io.stdout(`${fit.summary()}\n\n${fit.mer.summary()}\n`);
    }
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
