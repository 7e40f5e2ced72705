/**
 * `mixedgpu mixed FILE FORMULA [--method KR|S|LRT|PB|nested-KR] [--per-parameter REGEX]… [--type 3|2] [--test-intercept] [--expand-re]
 * [--all-fit] [--no-check-contrasts] [--nsim N] [--seed S] [--ml] [--family F [--link L] [--nagq N]]
 * [--factors a,b] [--json]`: afex's mixed() (src/afex/mixed.ts). Text: afex's print(mixed), then
 * afex's messages and lme4's notes on stderr; JSON: the anova table with afex's column names, the nice
 * table, the full and restricted fits' log-likelihoods, df and estimates.
 */
import { basename, extname } from 'node:path';
import { AFEX_METHODS, type AfexMethod, mixed } from '../afex/mixed.js';
import { FAMILY_LINKS, type FamilyName, type LinkName } from '../glmm/family.js';
import { readTableFileAsync } from '../io/node.js';
import { type CliIO, CliError, errorMessage, parseFactors, resolveCsv } from './fitCommand.js';

export interface MixedArgs {
  file: string;
  formula: string;
  method?: string;
  /** afex's per_parameter: commander's repeatable --per-parameter (one string where called directly) */
  perParameter?: string | string[];
  type?: string;
  testIntercept?: boolean;
  expandRe?: boolean;
  allFit?: boolean;
  /** commander's --no-check-contrasts: false */
  checkContrasts?: boolean;
  nsim?: string;
  seed?: string;
  ml?: boolean;
  family?: string;
  link?: string;
  nagq?: string;
  factors?: string | string[];
  json?: boolean;
  quiet?: boolean;
  delimiter?: string;
  encoding?: string;
  strayText?: string;
  [other: string]: unknown;
}

const FAMILIES = Object.keys(FAMILY_LINKS) as FamilyName[];

function wholeNumber(v: string | undefined, name: string, min: number): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(String(v).trim());
  if (!(Number.isInteger(x) && x >= min)) throw new CliError(`--${name} must be a whole number${min > -Infinity ? ` ≥ ${min}` : ''}, got '${v}'`);
  return x;
}

/** the options of this command that the shared options list has but mixed does not take */
const REFUSED: Record<string, string> = {
  contrasts: 'mixed sets contr.sum on every factor itself (afex\'s check_contrasts); --no-check-contrasts keeps the default coding',
  weights: 'afex\'s mixed passes weights on to lmer, which this command does not offer yet',
  backend: 'mixed fits on the CPU',
  threads: 'mixed fits with the default threads',
};

/** Runs `mixedgpu mixed`; returns the exit code. */
export async function runMixed(args: MixedArgs, io: CliIO): Promise<number> {
  try {
    for (const [k, why] of Object.entries(REFUSED)) {
      const v = args[k];
      if (v !== undefined && !(k === 'backend' && v === 'cpu')) throw new CliError(`--${k} is not available with mixed: ${why}`);
    }
    if (!args.file) throw new CliError('missing data file');
    if (!args.formula || !args.formula.trim()) throw new CliError('missing model formula');
    const methodText = args.method ?? 'S';
    // "F": afex's own name, passed on for afex's refusal
    const method = methodText === 'F' ? 'F' : AFEX_METHODS.find((m) => m.toLowerCase() === methodText.toLowerCase());
    if (!method) throw new CliError(`unknown --method '${methodText}' (choose KR, S, LRT, PB or nested-KR; afex's default is S)`);
    const perParameter = args.perParameter === undefined ? [] : typeof args.perParameter === 'string' ? [args.perParameter] : args.perParameter;
    if (perParameter.length > 0 && method !== 'LRT' && method !== 'PB' && method !== 'nested-KR' && method !== 'F') {
      throw new CliError(`--per-parameter is for --method LRT, PB and nested-KR (afex's per_parameter tests each parameter by a nested fit), not ${method}`);
    }
    const typeText = (args.type ?? '3').trim();
    const type = typeText === '3' || typeText.toUpperCase() === 'III' ? 3 : typeText === '2' || typeText.toUpperCase() === 'II' ? 2 : null;
    if (type === null) throw new CliError(`--type must be 3 or 2 (afex implements type 3 and type 2 tests), got '${args.type}'`);
    if (method !== 'PB' && (args.nsim !== undefined || args.seed !== undefined)) throw new CliError('--nsim and --seed are for --method PB (afex\'s args_test)');
    const nsim = wholeNumber(args.nsim, 'nsim', 2);
    const seed = wholeNumber(args.seed, 'seed', -Infinity);
    let family: FamilyName | undefined;
    let link: LinkName | undefined;
    if (args.family !== undefined) {
      family = FAMILIES.find((f) => f.toLowerCase() === args.family!.toLowerCase());
      if (!family) throw new CliError(`unknown family '${args.family}' (choose one of ${FAMILIES.join(', ')})`);
      if (args.link !== undefined) {
        if (!(FAMILY_LINKS[family] as string[]).includes(args.link.toLowerCase())) throw new CliError(`link '${args.link}' is not available for the ${family} family (choose one of ${FAMILY_LINKS[family].join(', ')})`);
        link = args.link.toLowerCase() as LinkName;
      }
    } else if (args.link !== undefined || args.nagq !== undefined) {
      throw new CliError('--link and --nagq are for a GLMM: add --family');
    }
    const nAGQ = wholeNumber(args.nagq, 'nagq', 0);
    if (args.ml && (method === 'LRT' || method === 'PB')) throw new CliError('--ml is for --method KR, S and nested-KR: LRT and PB fit by maximum likelihood already (afex sets REML = FALSE)');
    const factors = parseFactors(args.factors);
    const read = await readTableFileAsync(args.file, { factors, ...resolveCsv(args) });
    if (!args.quiet) for (const w of read.warnings) io.stderr(`mixedgpu: warning: ${w}\n`);
    const showProgress = !args.quiet && io.stderrIsTTY === true;
    const m = await mixed(args.formula, read.table, {
      method: method as AfexMethod, type, ...(perParameter.length > 0 ? { perParameter } : {}), testIntercept: args.testIntercept ?? false, expandRe: args.expandRe ?? false,
      allFit: args.allFit ?? false, checkContrasts: args.checkContrasts ?? true,
      ...(method === 'PB' ? { argsTest: { ...(nsim !== undefined ? { nsim } : {}), ...(seed !== undefined ? { seed } : {}) } } : {}),
      ...(args.ml ? { REML: false } : {}),
      ...(family ? { family, ...(link ? { link } : {}), ...(nAGQ !== undefined ? { nAGQ } : {}) } : {}),
      ...(factors ? { factors } : {}),
      dataName: basename(args.file, extname(args.file)),
      onProgress: showProgress ? (p) => io.stderr(`\r\x1b[Kmixed: ${p.what} (${p.done}/${p.total})`) : undefined,
    });
    if (showProgress) io.stderr('\r\x1b[K');
    if (!args.quiet) for (const msg of m.messages) io.stderr(`mixedgpu: note: ${msg}\n`);
    if (args.json) {
      io.stdout(`${JSON.stringify(m.toJSON(), null, 2)}\n`);
      return 0;
    }
    io.stdout(`${m.print().join('\n')}\n`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
