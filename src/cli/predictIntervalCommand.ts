/**
 * `mixedgpu predictinterval FILE FORMULA --newdata NEW.csv [--which full|fixed|random|all] [--level 0.8]
 * [--nsims 1000] [--seed 1] [--stat median|mean] [--type linear.prediction|probability] [--no-resid-var]
 * [--json | --csv OUT]`: merTools's predictInterval by simulation (src/inference/predictIntervalSim.ts);
 * `mixedgpu resim FILE FORMULA [--nsims 200] [--seed 1] [--odds-ratio] [--fixed] [--json | --csv OUT]`:
 * merTools's REsim (per grouping factor, level and column: mean, median, SD of arm's sim draws), or
 * FEsim with --fixed (src/inference/reSim.ts). lmer, or glmer with --family.
 */
import { writeFileSync } from 'node:fs';
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import { numberArg } from './inferenceCommands.js';
import { readTableFileAsync } from '../io/node.js';
import { type TidyTable, tidyCsv } from '../broom/table.js';
import type { PredictIntervalSimOptions } from '../inference/predictIntervalSim.js';
import { feSimTable, predictIntervalTable, printSimTable, reSimTable } from '../inference/merToolsTables.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';

export interface PredictIntervalArgs extends Omit<FitArgs, 'ddf'> {
  newdata?: string;
  which?: string;
  level?: string | number;
  nsims?: string | number;
  seed?: string | number;
  stat?: string;
  type?: string;
  /** commander's --no-resid-var: false drops the residual draws */
  residVar?: boolean;
  /** write the table as CSV to this new file */
  csv?: string;
}

export interface ReSimArgs extends Omit<FitArgs, 'ddf'> {
  nsims?: string | number;
  seed?: string | number;
  oddsRatio?: boolean;
  /** FEsim instead of REsim */
  fixed?: boolean;
  csv?: string;
}

function output(table: TidyTable, extra: object, args: { json?: boolean; csv?: string }, io: CliIO): void {
  if (args.csv !== undefined) {
    writeFileSync(args.csv, tidyCsv(table), { flag: 'wx' });
    if (!args.json) return;
  }
  io.stdout(args.json ? `${JSON.stringify({ ...extra, rows: table.rows }, null, 2)}\n` : `${printSimTable(table)}\n`);
}

/** Runs `mixedgpu predictinterval`; returns the exit code. */
export async function runPredictInterval(args: PredictIntervalArgs, io: CliIO): Promise<number> {
  try {
    if (!args.newdata) throw new CliError('predictinterval needs --newdata NEW.csv (the rows to predict)');
    const options: PredictIntervalSimOptions = {
      which: (args.which ?? 'full') as PredictIntervalSimOptions['which'],
      level: numberArg(args.level, 'level', false),
      nsims: numberArg(args.nsims, 'nsims', true),
      seed: numberArg(args.seed, 'seed', true),
      stat: (args.stat ?? 'median') as PredictIntervalSimOptions['stat'],
      type: (args.type ?? 'linear.prediction') as PredictIntervalSimOptions['type'],
      includeResidVar: args.residVar !== false,
    };
    for (const k of Object.keys(options) as (keyof PredictIntervalSimOptions)[]) if (options[k] === undefined) delete options[k];
    const { newdata: _d, which: _w, level: _l, nsims: _n, seed: _s, stat: _t, type: _y, residVar: _r, csv: _c, ...fitArgs } = args;
    const { fit } = await fitFromArgs(fitArgs, io);
    const { table: newdata } = await readTableFileAsync(args.newdata, { factors: typeof args.factors === 'string' ? args.factors.split(',').map((s) => s.trim()) : args.factors });
    const r = (fit as LmmFit | GlmmFit).predictIntervalSim(newdata, options);
    if (!args.quiet) for (const msg of r.messages) io.stderr(`mixedgpu: note: ${msg}\n`);
    output(predictIntervalTable(r), { which: r.which, level: r.level, nsims: r.nsims, stat: r.stat, type: r.type, seed: r.seed, messages: r.messages }, args, io);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}

/** Runs `mixedgpu resim` (REsim, or FEsim with --fixed); returns the exit code. */
export async function runReSim(args: ReSimArgs, io: CliIO): Promise<number> {
  try {
    const options = { nsims: numberArg(args.nsims, 'nsims', true), seed: numberArg(args.seed, 'seed', true), oddsRatio: args.oddsRatio === true };
    if (options.nsims === undefined) delete options.nsims;
    if (options.seed === undefined) delete options.seed;
    const { nsims: _n, seed: _s, oddsRatio: _o, fixed: _f, csv: _c, ...fitArgs } = args;
    const { fit } = await fitFromArgs(fitArgs, io);
    const f = fit as LmmFit | GlmmFit;
    const table = args.fixed ? feSimTable(f.FEsim(options)) : reSimTable(f.REsim(options));
    output(table, { function: args.fixed ? 'FEsim' : 'REsim', nsims: options.nsims ?? 200, seed: options.seed ?? 1, odds_ratio: options.oddsRatio }, args, io);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
