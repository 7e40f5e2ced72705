/**
 * `mixedgpu rlrt FILE FORMULA [--full FORMULA_A --null FORMULA_0] [--ml [--null LM_FORMULA]] [--nsim 10000] [--seed 1]
 * [--log-grid-hi 8] [--log-grid-lo -10] [--grid-length 200] [--json]`:
 * RLRsim's exact tests of one variance component (src/inference/exactRlrt.ts) —
 *   exactRLRT(m): FORMULA with one scalar random-effects term;
 *   exactRLRT(m, mA, m0): FORMULA the model with the tested term only, --full the model with every term,
 *     --null the full model without the tested term;
 *   exactLRT(m, m0) with --ml: FORMULA fitted by ML, --null the linear model's formula (default: FORMULA's
 *     fixed part, q = 0).
 * Prints RLRsim's printout (print.htest), its messages on stderr.
 */
import { type CliIO, CliError, type FitArgs, errorMessage, fitFromArgs } from './fitCommand.js';
import { numberArg } from './inferenceCommands.js';
import { type ExactTest, exactLRT, exactRLRT, printExactTest } from '../inference/exactRlrt.js';
import { updatedFormulaText } from '../inference/ranova.js';
import type { LmmFit } from '../lmm/lmmFit.js';

export interface RlrtArgs extends Omit<FitArgs, 'ddf'> {
  /** the full model (exactRLRT's mA) */
  full?: string;
  /** exactRLRT: the full model without the tested term (m0); with --ml: the linear model of exactLRT */
  null?: string;
  nsim?: string | number;
  seed?: string | number;
  /** RLRsim's log.grid.hi, log.grid.lo, gridlength */
  logGridHi?: string | number;
  logGridLo?: string | number;
  gridLength?: string | number;
}

/** the JSON of a test: everything but the simulated sample */
export function exactTestJson(t: ExactTest, test: 'exactRLRT' | 'exactLRT') {
  return {
    test, statistic: { [t.statisticName]: t.statistic }, p_value: t.pValue, nsim: t.nsim, seed: t.seed, method: t.method,
    n: t.n, p: t.p, K: t.K, q: t.q, mu: Array.from(t.mu), ...(t.xi ? { xi: Array.from(t.xi) } : {}), messages: t.messages,
  };
}

/** Runs `mixedgpu rlrt`; returns the exit code. */
export async function runRlrt(args: RlrtArgs, io: CliIO): Promise<number> {
  try {
    if (args.family !== undefined) throw new CliError("rlrt is RLRsim's test for linear mixed models (lmer fits): --family is not taken");
    const nsim = numberArg(args.nsim, 'nsim', true);
    if (nsim !== undefined && nsim < 1) throw new CliError(`--nsim must be at least 1, got ${nsim}`);
    const seed = numberArg(args.seed, 'seed', true);
    const grid = {
      logGridHi: numberArg(args.logGridHi, 'log-grid-hi', false), logGridLo: numberArg(args.logGridLo, 'log-grid-lo', false),
      gridLength: numberArg(args.gridLength, 'grid-length', true),
    };
    const { full, null: nullFormula, nsim: _n, seed: _s, logGridHi: _h, logGridLo: _l, gridLength: _g, ...fitArgs } = args;
    if (args.ml && full !== undefined) throw new CliError('--full is for exactRLRT (REML); with --ml, exactLRT compares FORMULA with the linear model --null');
    if (!args.ml && (full === undefined) !== (nullFormula === undefined)) throw new CliError('give both --full (the model with every random-effects term) and --null (it without the tested term), or neither');
    const { fit, table } = await fitFromArgs(fitArgs, io);
    const m = fit as LmmFit;
    let t: ExactTest;
    let test: 'exactRLRT' | 'exactLRT';
    if (args.ml) {
      test = 'exactLRT';
      const m0 = nullFormula ?? updatedFormulaText(m.model.frame.formula, []);
      t = await exactLRT(m, m0, { nsim, seed, ...grid });
    } else {
      test = 'exactRLRT';
      let mA: LmmFit | undefined, m0: LmmFit | undefined;
      if (full !== undefined && nullFormula !== undefined) {
        mA = (await fitFromArgs({ ...fitArgs, formula: full }, io, table)).fit as LmmFit;
        m0 = (await fitFromArgs({ ...fitArgs, formula: nullFormula }, io, table)).fit as LmmFit;
      }
      t = await exactRLRT(m, { ...(mA ? { mA, m0 } : {}), nsim, seed, ...grid });
    }
    if (!args.quiet) for (const msg of t.messages) io.stderr(`mixedgpu: note: ${msg}\n`);
    io.stdout(args.json ? `${JSON.stringify(exactTestJson(t, test), null, 2)}\n` : `${printExactTest(t).join('\n')}\n`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
