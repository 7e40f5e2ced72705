/**
 * `mixedgpu pool FILE FORMULA [--imp .imp] [--family …] [--null FORMULA] [--method D1|D2|D3|D4] [--use wald|likelihood]
 *  [--ariv default|positive|robust]
 *  [--constraints "a,b - c"] [--extra-pars] [--df-com N] [--ml] [--json]`: the model fitted to each imputed data set
 * of FILE (mice's long format: the imputation column, imputation 0 left out) and pooled (src/fit/imputed.ts):
 * mitml's testEstimates printout, then with --null its testModels, with --constraints its testConstraints; --json
 * adds mice's pool summary.
 */
import { readTableFileAsync } from '../io/node.js';
import { type ImputedFits, glmerImputed, lmerImputed, printTestConstraints, printTestModels } from '../fit/imputed.js';
import type { GlmerOptions } from '../fit/glmer.js';
import { type CliIO, CliError, errorMessage, parseContrasts, parseFactors, resolveBackend, resolveCsv, resolveGlmm } from './fitCommand.js';

export interface PoolArgs {
  file: string;
  formula: string;
  imp?: string;
  family?: string;
  link?: string;
  null?: string;
  method?: string;
  use?: string;
  ariv?: string;
  constraints?: string;
  extraPars?: boolean;
  dfCom?: string;
  ml?: boolean;
  reml?: boolean;
  factors?: string | string[];
  backend?: string;
  contrasts?: string;
  delimiter?: string;
  encoding?: string;
  strayText?: string;
  weights?: string;
  nagq?: string;
  threads?: string;
  json?: boolean;
  quiet?: boolean;
}

/** Runs `mixedgpu pool`; returns the exit code. */
export async function runPool(args: PoolArgs, io: CliIO): Promise<number> {
  try {
    if (!args.formula || !args.formula.trim()) throw new CliError('missing model formula');
    if (args.ml && args.reml) throw new CliError('--ml and --reml cannot be used together');
    const dfCom = args.dfCom === undefined ? undefined : Number(args.dfCom);
    if (dfCom !== undefined && !(Number.isFinite(dfCom) && dfCom > 0)) throw new CliError(`--df-com must be a positive number, got '${args.dfCom}'`);
    const method = args.method ?? 'D1';
    if (!['D1', 'D2', 'D3', 'D4'].includes(method)) throw new CliError(`--method must be D1, D2, D3 or D4, got '${method}'`);
    const ariv = args.ariv ?? 'default';
    if (ariv !== 'default' && ariv !== 'positive' && ariv !== 'robust') throw new CliError(`--ariv must be default, positive or robust, got '${ariv}'`);
    const use = args.use ?? 'wald';
    if (use !== 'wald' && use !== 'likelihood') throw new CliError(`--use must be wald or likelihood, got '${use}'`);
    if ((args.method !== undefined || args.use !== undefined) && args.null === undefined && args.constraints === undefined) throw new CliError('--method and --use choose the test of --null or --constraints: give one of them');
    if (args.ariv !== undefined && args.null === undefined) throw new CliError('--ariv chooses the estimate of r of the test of --null: give --null');
    if (args.null !== undefined && args.constraints !== undefined) throw new CliError('--null and --constraints are two tests: give one');
    for (const [k, flag] of [['weights', '--weights'], ['nagq', '--nagq'], ['threads', '--threads']] as const) {
      if (args[k] !== undefined) throw new CliError(`${flag} is not available with pool`);
    }
    const glmm = resolveGlmm(args as never);
    const contrasts = parseContrasts(args.contrasts);
    const backend = resolveBackend(args.backend);
    const read = await readTableFileAsync(args.file, { factors: parseFactors(args.factors), ...resolveCsv(args) });
    if (!args.quiet) for (const w of read.warnings) io.stderr(`mixedgpu: warning: ${w}\n`);
    const imp = args.imp ?? '.imp';
    const fitOne = (formula: string): Promise<ImputedFits> => glmm
      ? glmerImputed(formula, read.table, { imp, backend, ...(contrasts ? { contrasts } : {}), family: glmm.family, ...(glmm.link ? { link: glmm.link } : {}) } as GlmerOptions & { imp: string })
      : lmerImputed(formula, read.table, { imp, backend, ...(contrasts ? { contrasts } : {}), REML: !args.ml });
    const fits = await fitOne(args.formula);
    const est = fits.testEstimates({ extraPars: args.extraPars ?? false, ...(dfCom !== undefined ? { dfCom } : {}) });
    const dfComTest = method === 'D1' && dfCom !== undefined ? { dfCom } : {};
    const test = args.null !== undefined
      ? await fits.testModels(await fitOne(args.null), { method: method as 'D1' | 'D2' | 'D3' | 'D4', use: use as 'wald' | 'likelihood', ariv, ...dfComTest })
      : null;
    const constraints = args.constraints !== undefined
      ? fits.testConstraints(args.constraints.split(',').map((s) => s.trim()).filter((s) => s), { method: method === 'D3' || method === 'D4' ? (() => { throw new CliError('--constraints is tested by D1 or D2'); })() : (method as 'D1' | 'D2'), ...dfComTest })
      : null;
    if (args.json) {
      io.stdout(`${JSON.stringify({ m: fits.m, testEstimates: est, pool: fits.pool(dfCom !== undefined ? { dfCom } : {}), testModels: test, testConstraints: constraints }, null, 2)}\n`);
      return 0;
    }
    io.stdout(fits.printEstimates(est));
    if (test) io.stdout(`\n${printTestModels(test)}`);
    if (constraints) io.stdout(`\n${printTestConstraints(constraints)}`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
