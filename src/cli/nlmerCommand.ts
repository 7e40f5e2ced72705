/**
 * `mixedgpu nlmer FILE "resp ~ Model(covariates, params) ~ fixed | random" --start a=1,b=2
 * [--nagq 0|1] [--optimizer Nelder_Mead|bobyqa] [--factors a,b] [--json]`: lme4's nlmer
 * (src/nlmer/nlmer.ts), printed as lme4 prints summary(fit), or the fit as one JSON object.
 */
import { basename, extname } from 'node:path';
import { readTableFileAsync } from '../io/node.js';
import { nlmer } from '../nlmer/nlmer.js';
import type { NlmerOptimizer } from '../nlmer/fit.js';
import { type CliIO, CliError, type FitArgs, errorMessage, parseFactors, resolveCsv } from './fitCommand.js';

export interface NlmerArgs extends Pick<FitArgs, 'factors' | 'json' | 'quiet' | 'delimiter' | 'encoding' | 'strayText'> {
  file: string;
  formula: string;
  /** `Asym=200,xmid=725,scal=350` */
  start?: string;
  nagq?: string;
  optimizer?: string;
}

/** `name=value,name=value` → the start values; an entry that is not name=number is an error naming it. */
export function parseStart(text: string | undefined): Record<string, number> {
  if (text === undefined || !text.trim()) throw new CliError('--start is required (lme4\'s nlmer needs starting values): --start Asym=200,xmid=725,scal=350');
  const start: Record<string, number> = {};
  for (const part of text.split(',')) {
    const m = /^\s*([A-Za-z.][A-Za-z0-9._]*)\s*=\s*(\S+)\s*$/.exec(part);
    const v = m ? Number(m[2]) : Number.NaN;
    if (!m || !Number.isFinite(v)) throw new CliError(`--start: '${part.trim()}' is not name=number (such as Asym=200)`);
    if (m[1] in start) throw new CliError(`--start: '${m[1]}' is given twice`);
    start[m[1]] = v;
  }
  return start;
}

/** Runs `mixedgpu nlmer`; returns the exit code. */
export async function runNlmer(args: NlmerArgs, io: CliIO): Promise<number> {
  try {
    if (!args.formula || !args.formula.trim()) throw new CliError("missing the nlmer formula, such as 'circumference ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree'");
    const start = parseStart(args.start);
    const nAGQ = args.nagq === undefined ? 1 : Number(args.nagq);
    if (nAGQ !== 0 && nAGQ !== 1) throw new CliError(`--nagq must be 0 or 1 (lme4's nlmer has no nAGQ > 1), got '${args.nagq}'`);
    const optimizer = args.optimizer ?? 'Nelder_Mead';
    if (optimizer !== 'Nelder_Mead' && optimizer !== 'bobyqa') throw new CliError(`--optimizer must be Nelder_Mead (lme4's default for nlmer) or bobyqa, got '${optimizer}'`);
    const factors = parseFactors(args.factors);
    const read = await readTableFileAsync(args.file, { factors, ...resolveCsv(args) });
    if (!args.quiet) for (const w of read.warnings) io.stderr(`mixedgpu: warning: ${w}\n`);
    if (!args.quiet) for (const n of read.notes ?? []) io.stderr(`mixedgpu: note: ${basename(args.file)}: ${n}\n`);
    const fit = await nlmer(args.formula, read.table, { start, nAGQ, optimizer: optimizer as NlmerOptimizer, dataName: basename(args.file, extname(args.file)) });
    if (!args.quiet) for (const m of fit.messages) io.stderr(`mixedgpu: warning: ${m.replace(/\n/g, ' ')}\n`);
    if (args.json) io.stdout(`${JSON.stringify(fit.toJSON(), null, 2)}\n`);
    else io.stdout(`${fit.summary()}\n`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
