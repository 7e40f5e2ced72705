/**
 * `mixedgpu gee FILE FORMULA --id COL [--family binomial] [--link logit] [--corstr exchangeable]
 * [--waves COL] [--weights COL] [--std-err san.se|jack|j1s|fij] [--scale-fix] [--epsilon 1e-4] [--maxit 25]
 * [--anova] [--qic] [--factors a,b] [--json]`: geepack's geeglm (src/gee), printed as R's
 * print(summary(geeglm(...))) (or one JSON object); --anova adds anova.geeglm's sequential Wald tests,
 * --qic geepack's QIC().
 */
import { basename, extname } from 'node:path';
import { readTableFileAsync } from '../io/node.js';
import type { LinkName } from '../glmm/family.js';
import { gee } from '../gee/gee.js';
import type { GeeFamilyName } from '../gee/meanModel.js';
import type { CorStr } from '../gee/workingCorrelation.js';
import type { StdErr } from '../gee/geeFit.js';
import { type CliIO, type FitArgs, CliError, errorMessage, parseFactors, resolveCsv } from './fitCommand.js';

export interface GeeArgs extends Pick<FitArgs, 'factors' | 'json' | 'quiet' | 'delimiter' | 'encoding' | 'strayText'> {
  file: string;
  formula: string;
  id?: string;
  family?: string;
  link?: string;
  corstr?: string;
  waves?: string;
  weights?: string;
  stdErr?: string;
  scaleFix?: boolean;
  epsilon?: string;
  maxit?: string;
  anova?: boolean;
  qic?: boolean;
}

function numberArg(v: string | undefined, flag: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x <= 0 || (integer && !Number.isInteger(x))) throw new CliError(`${flag} must be a positive ${integer ? 'whole number' : 'number'}, got '${v}'`);
  return x;
}

/** Runs `mixedgpu gee`; returns the exit code. */
export async function runGee(args: GeeArgs, io: CliIO): Promise<number> {
  try {
    if (!args.formula || !args.formula.trim()) throw new CliError("missing the formula, such as 'y ~ x + time'");
    if (!args.id) throw new CliError('--id is required: the column of the cluster (subject) identifiers');
    const epsilon = numberArg(args.epsilon, '--epsilon', false);
    const maxit = numberArg(args.maxit, '--maxit', true);
    const factors = parseFactors(args.factors);
    const read = await readTableFileAsync(args.file, { factors, ...resolveCsv(args) });
    if (!args.quiet) for (const w of read.warnings) io.stderr(`mixedgpu: warning: ${w}\n`);
    if (!args.quiet) for (const n of read.notes ?? []) io.stderr(`mixedgpu: note: ${basename(args.file)}: ${n}\n`);
    const fit = gee(args.formula, read.table, {
      id: args.id, ...(args.family ? { family: args.family as GeeFamilyName } : {}), ...(args.link ? { link: args.link as LinkName } : {}),
      ...(args.corstr ? { corstr: args.corstr as CorStr } : {}), ...(args.waves ? { waves: args.waves } : {}), ...(args.weights ? { weights: args.weights } : {}),
      ...(args.stdErr ? { stdErr: args.stdErr as StdErr } : {}), ...(args.scaleFix ? { scaleFix: true } : {}),
      ...(epsilon !== undefined ? { epsilon } : {}), ...(maxit !== undefined ? { maxit } : {}), factors, dataName: basename(args.file, extname(args.file)),
    });
    if (!args.quiet) for (const m of fit.messages) io.stderr(`mixedgpu: note: gee: ${m}\n`);
    const anova = args.anova ? fit.anova() : null;
    const qic = args.qic ? fit.qic() : null;
    if (args.json) {
      io.stdout(`${JSON.stringify({ ...fit.toJSON(), ...(anova ? { anova } : {}), ...(qic ? { qic } : {}) }, null, 2)}\n`);
      return 0;
    }
    let out = fit.summary();
    if (anova) out += `\n\n${fit.anovaPrintout()}`;
    if (qic) out += `\n\n${fit.qicPrintout()}`;
    io.stdout(`${out}\n`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
