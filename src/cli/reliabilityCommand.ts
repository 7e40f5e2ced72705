/**
 * `mixedgpu reliability FILE (--subject s --rater r --value y | --raters a,b,c) [--alpha 0.05] [--json]`: psych's ICC
 * (Shrout & Fleiss's six ICCs, F tests, McGraw & Wong's intervals) from lmer's variance
 * decomposition, printed as psych prints it, then the decomposition (psych's $lme).
 * `mixedgpu agreement FILE --group g --items a,b,c [--options A | --ranvar V] [--range L,H]
 * [--type mean|median] [--singletons error|na] [--json]`: multilevel's rwg (one item) or rwg.j and
 * rwg.j.lindell (several), awg and ad.m per group, as one table.
 */
import { basename, extname } from 'node:path';
import { readTableFileAsync } from '../io/node.js';
import { formatR, printMatrix } from '../results/rFormat.js';
import { adM, awg, awgItems, iccRaters, rwg, rwgJ, rwgLindell } from '../reliability/index.js';
import { CliError, type CliIO, type FitArgs, errorMessage, resolveCsv } from './fitCommand.js';

type CsvArgs = Pick<FitArgs, 'delimiter' | 'encoding' | 'strayText'>;

export interface ReliabilityArgs extends CsvArgs {
  file: string;
  subject?: string;
  rater?: string;
  value?: string;
  /** a wide file: its columns of ratings, one row per subject */
  raters?: string;
  alpha?: string;
  json?: boolean;
  quiet?: boolean;
}

export interface AgreementArgs extends CsvArgs {
  file: string;
  group?: string;
  items?: string;
  options?: string;
  ranvar?: string;
  range?: string;
  type?: string;
  singletons?: string;
  json?: boolean;
  quiet?: boolean;
}

async function readData(args: CsvArgs & { file: string; quiet?: boolean }, keys: string[], io: CliIO) {
  // the subject, rater and group columns are keys: read as factors whatever they hold
  const read = await readTableFileAsync(args.file, { factors: keys, ...resolveCsv(args) });
  if (!args.quiet) for (const w of read.warnings) io.stderr(`mixedgpu: warning: ${w}\n`);
  return read.table;
}

/** An R data frame column: numbers by format(x, digits), NA where missing. */
function rColumn(xs: (number | null)[], digits = 7): string[] {
  const present = xs.filter((x): x is number => x !== null);
  const f = present.length ? formatR(present, digits) : [];
  let k = 0;
  const out = xs.map((x) => (x === null ? 'NA' : f[k++]));
  const w = Math.max(...out.map((s) => s.length));
  return out.map((s) => s.padStart(w));
}

export async function runReliability(args: ReliabilityArgs, io: CliIO): Promise<number> {
  try {
    const raters = args.raters?.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (raters !== undefined && (args.subject || args.rater || args.value)) throw new CliError('give --raters (a wide file: one column per rater) or --subject, --rater and --value (a long file), not both');
    if (raters === undefined) for (const k of ['subject', 'rater', 'value'] as const) if (!args[k]) throw new CliError(`--${k} is required (a column of the data), or --raters a,b,c for a wide file`);
    const alpha = args.alpha === undefined ? 0.05 : Number(args.alpha);
    if (!(alpha > 0 && alpha < 1)) throw new CliError(`--alpha must be a number strictly between 0 and 1 (such as 0.05), got '${args.alpha}'`);
    const table = await readData(args, raters ? [] : [args.subject!, args.rater!], io);
    const name = basename(args.file, extname(args.file));
    const r = await iccRaters(table, raters ? { raters, alpha, name } : { subject: args.subject, rater: args.rater, value: args.value, alpha, name });
    if (!args.quiet) for (const m of r.messages) io.stderr(`mixedgpu: note: lmer: ${m}\n`);
    if (args.json) {
      const { results, lme, stats, nObs, nJudge, missing, meanSquares, messages } = r;
      io.stdout(`${JSON.stringify({ results, lme, stats, meanSquares, nObs, nJudge, alpha, missing, messages }, null, 2)}\n`);
      return 0;
    }
    const lines = [...r.print(), '', '', 'Variance decomposition (lmer: values ~ 1 + (1 | subject) + (1 | rater)):',
      ...printMatrix([rColumn(r.lme.map((x) => x.variance)), rColumn(r.lme.map((x) => x.percent))], r.lme.map((x) => x.component), ['variance', 'Percent'], true)];
    if (r.missing > 0) lines.push('', `${r.missing} of ${r.nObs * r.nJudge} cells missing: left out of the fit (psych's lmer path)`);
    io.stdout(`${lines.join('\n')}\n`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}

export async function runAgreement(args: AgreementArgs, io: CliIO): Promise<number> {
  try {
    if (!args.group) throw new CliError('--group is required (the column of groups)');
    const items = (args.items ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (items.length === 0) throw new CliError('--items is required: the comma-separated item columns, such as --items a,b,c');
    if (args.options !== undefined && args.ranvar !== undefined) throw new CliError('give --options (the number of response options A) or --ranvar, not both');
    const A = args.options === undefined ? undefined : Number(args.options);
    if (A !== undefined && !(Number.isInteger(A) && A >= 2)) throw new CliError(`--options must be an integer ≥ 2 (the number of response options), got '${args.options}'`);
    const ranvar = args.ranvar === undefined ? undefined : Number(args.ranvar);
    if (ranvar !== undefined && !(ranvar > 0)) throw new CliError(`--ranvar must be a positive number, got '${args.ranvar}'`);
    let range: [number, number] = [1, A ?? 5];
    if (args.range !== undefined) {
      const r = args.range.split(',').map(Number);
      if (r.length !== 2 || !r.every(Number.isFinite) || !(r[0] < r[1])) throw new CliError(`--range must be L,H with L < H (such as 1,5), got '${args.range}'`);
      range = [r[0], r[1]];
    }
    if (args.type !== undefined && args.type !== 'mean' && args.type !== 'median') throw new CliError(`--type must be mean or median, got '${args.type}'`);
    if (args.singletons !== undefined && args.singletons !== 'error' && args.singletons !== 'na') throw new CliError(`--singletons must be error or na, got '${args.singletons}'`);
    const table = await readData(args, [args.group], io);
    const common = { group: args.group, singletons: (args.singletons ?? 'error') as 'error' | 'na' };
    const nullv = A !== undefined ? { A } : ranvar !== undefined ? { ranvar } : {};
    const type = (args.type ?? 'mean') as 'mean' | 'median';
    const one = items.length === 1;
    const cols: Record<string, (number | null)[]> = {};
    let grpid: string[], gsize: number[];
    if (one) {
      const r = rwg(table, { ...common, ...nullv, value: items[0] });
      grpid = r.map((x) => x.grpid); gsize = r.map((x) => x.gsize);
      cols.rwg = r.map((x) => x.rwg);
      cols['a.wg'] = awg(table, { ...common, value: items[0], range }).map((x) => x.awg);
    } else {
      const r = rwgJ(table, { ...common, ...nullv, items });
      grpid = r.map((x) => x.grpid); gsize = r.map((x) => x.gsize);
      cols['rwg.j'] = r.map((x) => x.rwgJ);
      cols['rwg.lindell'] = rwgLindell(table, { ...common, ...nullv, items }).map((x) => x.rwgLindell);
      cols['a.wg'] = awgItems(table, { ...common, items, range }).map((x) => x.awg);
    }
    cols['AD.M'] = adM(table, { ...common, items, type }).map((x) => x.adM);
    if (args.json) {
      const rows = grpid.map((g, i) => ({ grpid: g, gsize: gsize[i], ...Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, v[i]])) }));
      io.stdout(`${JSON.stringify({ items, ranvar: A !== undefined ? (A * A - 1) / 12 : ranvar ?? 2, range, type, groups: rows }, null, 2)}\n`);
      return 0;
    }
    const names = ['grpid', 'gsize', ...Object.keys(cols)];
    const body = [grpid.map(String), gsize.map(String), ...Object.values(cols).map((c) => rColumn(c))];
    const w0 = Math.max(...body[0].map((s) => s.length));
    body[0] = body[0].map((s) => s.padStart(w0));
    const s2E = A !== undefined ? (A * A - 1) / 12 : ranvar ?? 2;
    const lines = [
      `Within-group agreement of ${items.join(', ')} by ${args.group} (null variance ${formatR([s2E], 7)[0].trim()}, awg range ${range[0]}..${range[1]}, ad.m about the ${type})`,
      ...printMatrix(body, grpid.map((_, i) => String(i + 1)), names, true),
    ];
    io.stdout(`${lines.join('\n')}\n`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
