/**
 * `mixedgpu fit FILE FORMULA`: read a data file, fit a linear mixed model (lme4's lmer) or, with
 * `--family`, a generalized linear mixed model (lme4's glmer), print lme4's summary or the JSON
 * result. Written as a function of its arguments and output writers so that tests can call it
 * without a process.
 */
import { printShowTests, showTests } from '../inference/showTests.js';
import type { OptimizerMethod } from '../optim/minimizers.js';
import { SCALE_X_MESSAGE } from '../frame/scaleX.js';
import { RANEF_MODES } from '../results/mixedFit.js';
import { basename, extname } from 'node:path';
import { BACKENDS, type BackendChoice } from '../backend/select.js';
import { setDenseThreads } from '../linalg/denseThreads.js';
import { glmer } from '../fit/glmer.js';
import { lmer } from '../fit/lmer.js';
import { FAMILY_LINKS, type FamilyName, type LinkName } from '../glmm/family.js';
import type { GlmmProgress } from '../glmm/fit.js';
import { readTableFileAsync } from '../io/node.js';
import type { FitProgress } from '../lmm/fit.js';
import type * as arrow from 'apache-arrow';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { formatSummary } from '../lmm/summary.js';
import { anovaTable, checkDdf, coefficientTable } from '../inference/fitInference.js';
import { checkAnovaType } from '../inference/anovaType.js';
import { printAnovaTable, printCoefTable, printWaldAnova } from '../inference/format.js';
import { checkWaldType } from '../inference/waldAnova.js';
import { type WhileOpen, chooseEngine, glmerThroughEngine, lmerThroughEngine, namedEngine } from './engines.js';
import type { RelmatSpec } from '../relmat/blocks.js';
import { namedMatrixFromTable } from '../relmat/matrixTable.js';
import { pedigree } from '../relmat/pedigree.js';
import { phyloVcv } from '../relmat/phylo.js';
import { MixedGpuError } from '../errors/errors.js';
import type { ContrastName } from '../frame/contrasts.js';
import type { CsvOptions } from '../io/csv.js';
import { type BroomArgs, broomTidyOptions, printBroom, wantsBroom } from './broomCommand.js';

const DELIMITER_NAMES: Record<string, string> = { comma: ',', tab: '\t', '\\t': '\t', semicolon: ';', bar: '|', pipe: '|', space: ' ' };

/** The CSV reading options of the arguments, checked. */
export function resolveCsv(args: Pick<FitArgs, 'delimiter' | 'encoding' | 'strayText'>): CsvOptions {
  const out: CsvOptions = {};
  if (args.delimiter !== undefined) {
    const d = DELIMITER_NAMES[args.delimiter.toLowerCase()] ?? args.delimiter;
    if (d.length !== 1 || d === '"' || d === '\n' || d === '\r' || d.charCodeAt(0) > 0x7f) {
      throw new CliError(`--delimiter must be one ASCII character (such as ';' or '|') or one of ${Object.keys(DELIMITER_NAMES).filter((k) => k !== '\\t').join(', ')}, not '${args.delimiter}'`);
    }
    out.delimiter = d;
  }
  if (args.encoding !== undefined) {
    const e = args.encoding.toLowerCase().replace(/^utf8$/, 'utf-8').replace(/^(iso-8859-1|latin-1)$/, 'latin1');
    if (e !== 'utf-8' && e !== 'latin1') throw new CliError(`--encoding must be utf-8 or latin1 (ISO-8859-1), not '${args.encoding}'`);
    out.encoding = e;
  }
  if (args.strayText !== undefined) {
    const v = args.strayText.toLowerCase();
    if (v !== 'error' && v !== 'missing') throw new CliError(`--stray-text must be error or missing, not '${args.strayText}'`);
    out.strayText = v;
  }
  return out;
}

export interface FitArgs extends BroomArgs {
  /** data file: .csv, .tsv, .arrow, .feather, .ipc, .parquet; with --engine duckdb also a glob ('data/*.parquet'); none with --engine clickhouse */
  file?: string;
  /** lme4 model formula, e.g. `Reaction ~ Days + (Days | Subject)` */
  formula: string;
  /** maximum likelihood instead of REML */
  ml?: boolean;
  /** lme4's calc.derivs: the convergence checks at any size (true) or none (false); default lme4's rule */
  calcDerivs?: boolean;
  /** lme4's start: θ in lme4's order (getME(fit, 'theta')), comma-separated: `0.9,0.2,0.5` */
  start?: string;
  /** glmer's start$fixef: β in the model matrix's column order, comma-separated */
  startFixef?: string;
  /** the θ optimizer (src/optim/minimizers.ts): bobyqa (default), nelderMead or quasiNewton */
  optimizer?: string;
  /** REML (the default); exclusive with `ml` */
  reml?: boolean;
  /** columns to read as factors: comma-separated text or a list */
  factors?: string | string[];
  /** lme4's contrasts: `a=contr.sum,b=contr.helmert` (R's contrast function per fixed-effects factor) */
  contrasts?: string;
  /** print the JSON result instead of the summary */
  json?: boolean;
  /** with `json`: the random effects as every level ('all'), a summary per grouping factor ('summary'), or 'auto' (default: a summary past 10,000 levels) */
  ranef?: string;
  /** which backend evaluates the objective (default cpu) */
  backend?: string;
  /** threads of the dense kernels and the row passes (model frame, PIRLS): a positive integer or 'auto' (default: the hardware's) */
  threads?: string;
  /** a GLMM family (binomial, poisson), fitted by glmer; without it, a linear mixed model (lmer) */
  family?: string;
  /** the GLMM's link (default: the family's canonical link); needs `family` */
  link?: string;
  /** glmer's nAGQ: 1 Laplace (default), 0 the first stage only, > 1 adaptive Gauss–Hermite; needs `family` */
  nagq?: string | number;
  /** a column of prior weights (lmer's or glmer's `weights`; binomial: the numbers of trials of proportions) */
  weights?: string;
  /** negative.binomial: a fixed size θ (default: estimated as glmer.nb) */
  theta?: string | number;
  /** known covariance matrices, `group=file` (CSV with level names as header and first column, or a Newick tree) */
  relmat?: string | string[];
  /** pedigrees, `group=file` (CSV with columns id, sire, dam) */
  pedigree?: string | string[];
  /** the pedigree files' column names, `id,sire,dam` */
  pedigreeColumns?: string;
  /** no progress and no notes on stderr */
  quiet?: boolean;
  /** CSV field delimiter: one character, or comma, tab, semicolon, bar (default: sniffed) */
  delimiter?: string;
  /** CSV text encoding: utf-8 (default) or latin1 */
  encoding?: string;
  /** numbers with a few text values in a CSV column: error (default) or missing */
  strayText?: string;
  /** lmer: add lmerTest's t tests and anova (type III unless `type`) with these ddf (satterthwaite or kenward-roger) */
  ddf?: string;
  /** with `ddf`: the anova's type, I, II or III (or 1, 2, 3; default III) */
  type?: string;
  /** with ddf: lmerTest's show_tests of the anova, the hypothesis (contrast) matrix behind each row */
  showTests?: boolean;
  /** with showTests: the entries as MASS's fractions */
  fractions?: boolean;
  /** where the rows are read: memory, stream, duckdb, clickhouse (default: memory, duckdb for a large file or a glob; src/cli/engines.ts) */
  engine?: string;
  /** clickhouse: the HTTP interface */
  url?: string;
  /** clickhouse: the table */
  table?: string;
  /** stream: rows per batch */
  batchSize?: string | number;
  cacheMb?: string | number;
  /** duckdb: its memory limit, e.g. 1.5GB */
  memoryLimit?: string;
  /** write fitted values and residuals: a .parquet or .csv file (stream, duckdb) or a new table (clickhouse) */
  residuals?: string;
  /** 'blme': blmer/bglmer's default priors (a Wishart on every random-effects term) */
  prior?: string;
  /** blme's cov.prior, in its syntax: "gamma(shape = 2.5, rate = 0, posterior.scale = 'sd')" */
  covPrior?: string;
  /** blme's fixef.prior: "normal(sd = c(10, 2.5))", "t(df = 3)" */
  fixefPrior?: string;
  /** blme's resid.prior (lmer only): "point(value = 1)", "invgamma(shape = 2, scale = 1)" */
  residPrior?: string;
}

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** whether stderr is a terminal (progress is shown only there) */
  stderrIsTTY?: boolean;
}

/** An error in the command's arguments, shown to the user as it is. */
export class CliError extends MixedGpuError {
  constructor(message: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** the message of an error thrown by the library or the reader, without a stack trace */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

export function parseFactors(factors: string | string[] | undefined): string[] | undefined {
  if (factors === undefined) return undefined;
  const list = (Array.isArray(factors) ? factors : [factors])
    .flatMap((f) => f.split(','))
    .map((f) => f.trim())
    .filter((f) => f.length > 0);
  return list.length ? list : undefined;
}

/**
 * `--contrasts a=contr.sum,b=contr.helmert` → lmer's and glmer's `contrasts` option (the names are
 * checked there: src/fit/checks.ts); a malformed entry or a factor named twice is a CliError.
 */
export function parseContrasts(text: string | undefined): Record<string, ContrastName> | undefined {
  if (text === undefined) return undefined;
  const out: Record<string, ContrastName> = {};
  for (const entry of text.split(',').map((e) => e.trim()).filter((e) => e.length > 0)) {
    const eq = entry.indexOf('=');
    const factor = entry.slice(0, eq).trim(), name = entry.slice(eq + 1).trim();
    if (eq <= 0 || !name) throw new CliError(`--contrasts: '${entry}' is not factor=contrast (e.g. --contrasts a=contr.sum,b=contr.helmert)`);
    if (Object.hasOwn(out, factor)) throw new CliError(`--contrasts: the factor '${factor}' is named twice`);
    out[factor] = name as ContrastName;
  }
  if (Object.keys(out).length === 0) throw new CliError('--contrasts: no factor=contrast given (e.g. --contrasts a=contr.sum,b=contr.helmert)');
  return out;
}

export function resolveBackend(choice: string | undefined): BackendChoice {
  const b = (choice ?? 'cpu').toLowerCase();
  if (!(BACKENDS as readonly string[]).includes(b)) {
    throw new CliError(`unknown backend '${choice}' (choose one of ${BACKENDS.join(', ')})`);
  }
  return b as BackendChoice;
}

const FAMILIES = Object.keys(FAMILY_LINKS) as FamilyName[];

/** the GLMM settings of the arguments (null: a linear mixed model), checked before the data are read */
export function resolveGlmm(args: FitArgs): { family: FamilyName; link?: LinkName; nAGQ?: number; weights?: string; theta?: number } | null {
  if (args.family === undefined) {
    const glmmOnly = (['link', 'nagq', 'theta'] as const).filter((k) => args[k] !== undefined);
    if (glmmOnly.length) {
      throw new CliError(`${glmmOnly.map((k) => `--${k}`).join(', ')} ${glmmOnly.length > 1 ? 'are' : 'is'} for generalized linear mixed models: add --family (${FAMILIES.slice(0, -1).join(', ')} or ${FAMILIES[FAMILIES.length - 1]})`);
    }
    return null;
  }
  // R's names (Gamma with a capital G), matched without regard to case
  const family = FAMILIES.find((f) => f.toLowerCase() === args.family!.toLowerCase());
  if (family === undefined) {
    throw new CliError(`unknown family '${args.family}' (choose one of ${FAMILIES.join(', ')}; without --family the model is a linear mixed model)`);
  }
  const fam = family as FamilyName;
  let link: LinkName | undefined;
  if (args.link !== undefined) {
    const lk = args.link.toLowerCase();
    if (!(FAMILY_LINKS[fam] as string[]).includes(lk) && !(fam === 'gaussian' && lk === 'identity')) {
      throw new CliError(`link '${args.link}' is not available for the ${fam} family (choose one of ${FAMILY_LINKS[fam].join(', ')})`);
    }
    link = lk as LinkName;
  }
  if (fam === 'gaussian' && (link === undefined || (args.link ?? '').toLowerCase() === 'identity')) {
    throw new CliError('--family gaussian needs --link log or --link inverse: with the identity link the model is a linear mixed model (leave out --family to fit it by lmer, as lme4 1.1-31\'s glmer does)');
  }
  let nAGQ: number | undefined;
  if (args.nagq !== undefined) {
    const text = String(args.nagq).trim();
    nAGQ = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!(nAGQ <= 25)) throw new CliError(`--nagq must be a whole number from 0 to 25, got '${args.nagq}'`);
  }
  if (args.reml) throw new CliError('--reml is for linear mixed models: a GLMM is fitted by maximum likelihood');
  let theta: number | undefined;
  if (args.theta !== undefined) {
    if (fam !== 'negative.binomial') throw new CliError(`--theta is the negative binomial's size: it needs --family negative.binomial, not ${fam}`);
    theta = Number(String(args.theta).trim());
    if (!(theta > 0 && Number.isFinite(theta)) || String(args.theta).trim() === '') throw new CliError(`--theta must be a positive number, got '${args.theta}'`);
  }
  return { family: fam, link, nAGQ, weights: resolveWeights(args), theta };
}

/** `group=file` pairs of --relmat or --pedigree */
function groupFiles(values: string | string[] | undefined, option: string): [string, string][] {
  const list = values === undefined ? [] : Array.isArray(values) ? values : [values];
  return list.map((v) => {
    const eq = v.indexOf('=');
    const group = eq > 0 ? v.slice(0, eq).trim() : '';
    const file = eq > 0 ? v.slice(eq + 1).trim() : '';
    if (!group || !file) throw new CliError(`${option} needs group=file (e.g. ${option} animal=K.csv), got '${v}'`);
    return [group, file];
  });
}

/** the known covariance matrices of --relmat and --pedigree, read and checked */
async function readRelmat(args: FitArgs): Promise<RelmatSpec | undefined> {
  const relmats = groupFiles(args.relmat, '--relmat');
  const peds = groupFiles(args.pedigree, '--pedigree');
  if (relmats.length + peds.length === 0) {
    if (args.pedigreeColumns !== undefined) throw new CliError('--pedigree-columns needs --pedigree');
    return undefined;
  }
  const spec: RelmatSpec = {};
  const add = (group: string, value: RelmatSpec[string]) => {
    if (group in spec) throw new CliError(`the grouping factor '${group}' has two known covariance matrices (--relmat / --pedigree)`);
    spec[group] = value;
  };
  for (const [group, file] of relmats) {
    if (/\.(nwk|newick|tre|tree)$/i.test(file)) {
      const { readFile } = await import('node:fs/promises');
      add(group, phyloVcv(await readFile(file, 'utf8')));
    } else {
      const { table } = await readTableFileAsync(file);
      add(group, namedMatrixFromTable(table, `--relmat ${group}=${file}`));
    }
  }
  let columns: { id: string; sire: string; dam: string } | undefined;
  if (args.pedigreeColumns !== undefined) {
    const c = args.pedigreeColumns.split(',').map((s) => s.trim());
    if (c.length !== 3 || c.some((s) => !s)) throw new CliError(`--pedigree-columns needs three column names id,sire,dam, got '${args.pedigreeColumns}'`);
    columns = { id: c[0], sire: c[1], dam: c[2] };
  }
  for (const [group, file] of peds) {
    const { table } = await readTableFileAsync(file);
    add(group, pedigree(table, columns));
  }
  return spec;
}

/** the --weights column (lmer or glmer), checked */
function resolveWeights(args: FitArgs): string | undefined {
  const weights = args.weights?.trim();
  if (args.weights !== undefined && !weights) throw new CliError('--weights needs a column name');
  return weights;
}

/** the --engine choice, checked (a usage error for an unknown name) */
function resolveEngine(args: FitArgs, glmm: boolean): ReturnType<typeof chooseEngine> {
  try {
    return chooseEngine(args.file, namedEngine(args), glmm);
  } catch (e) {
    throw new CliError(errorMessage(e));
  }
}

/** The prior options of the arguments (blme's), or undefined for none. */
export function resolvePrior(args: Pick<FitArgs, 'prior' | 'covPrior' | 'fixefPrior' | 'residPrior'>): 'blme' | { cov?: string; fixef?: string; resid?: string } | undefined {
  if (args.prior !== undefined && args.prior.trim().toLowerCase() !== 'blme') throw new CliError(`--prior takes 'blme' (blmer's and bglmer's defaults), got '${args.prior}'; give priors in blme's syntax with --cov-prior, --fixef-prior, --resid-prior`);
  const given = (['covPrior', 'fixefPrior', 'residPrior'] as const).filter((k) => args[k] !== undefined);
  if (given.length === 0) return args.prior !== undefined ? 'blme' : undefined;
  // blme's defaults with the given ones replaced: cov.prior defaults to wishart as in blmer
  return { cov: args.covPrior, fixef: args.fixefPrior, resid: args.residPrior };
}

/** What the CLI commands get back from a fit. */
export type CliFit = LmmFit | GlmmFit;

/**
 * Reads the data file and fits the model of `args` (lmer, or glmer with --family), with progress
 * on a terminal's stderr; `table` reuses data already read (for anova's several models).
 */
/** --threads: 'auto' or a positive integer. */
function parseThreads(v: string): number | 'auto' {
  if (v === 'auto') return 'auto';
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !(n >= 1)) throw new CliError(`--threads must be a positive integer or auto, got '${v}'`);
  return n;
}

/** comma-separated numbers of an option (`0.9,0.2,0.5`), or undefined when it is not given */
function numberList(text: string | undefined, option: string): number[] | undefined {
  if (text === undefined) return undefined;
  const parts = String(text).split(',').map((t) => t.trim());
  const values = parts.map((t) => (t === '' ? NaN : Number(t)));
  const bad = values.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new CliError(`${option} takes finite numbers separated by commas (e.g. ${option} 0.9,0.2,0.5), got '${parts[bad]}' in '${text}'`);
  return values;
}

/**
 * lme4's start from --start (θ, lme4's order) and --start-fixef (glmer's β): lmer's numeric θ, or
 * glmer's { theta, fixef }; their lengths and bounds are lmer's and glmer's checks (src/model/start.ts)
 */
function resolveStart(args: FitArgs, glmm: boolean): number[] | { theta?: number[]; fixef?: number[] } | undefined {
  const theta = numberList(args.start, '--start');
  const fixef = numberList(args.startFixef, '--start-fixef');
  if (fixef && !glmm) throw new CliError('--start-fixef is for a GLMM (--family): lmer profiles the fixed effects out of its criterion, only θ is optimized (--start)');
  if (!glmm) return theta;
  return theta || fixef ? { ...(theta ? { theta } : {}), ...(fixef ? { fixef } : {}) } : undefined;
}

export async function fitFromArgs(args: FitArgs, io: CliIO, table?: arrow.Table, o: { warn?: boolean; whileOpen?: WhileOpen } = {}): Promise<{ fit: CliFit; table?: arrow.Table }> {
  const quiet = args.quiet ?? false;
  let progressShown = false;
  try {
    if (args.ml && args.reml) throw new CliError('--ml and --reml cannot be used together');
    if (!args.formula || !args.formula.trim()) throw new CliError('missing model formula');
    const backend = resolveBackend(args.backend);
    if (args.threads !== undefined) setDenseThreads(parseThreads(args.threads));
    const glmm = resolveGlmm(args);
    const weights = resolveWeights(args);
    const factors = parseFactors(args.factors);
    const contrasts = parseContrasts(args.contrasts);
    const start = resolveStart(args, glmm !== null);
    const optimizer = args.optimizer === undefined ? {} : { optimizer: { method: args.optimizer as OptimizerMethod } };
    const { engine, note } = resolveEngine(args, glmm !== null);
    if (engine === 'clickhouse' ? args.file !== undefined : !args.file) {
      throw new CliError(engine === 'clickhouse' ? `--engine clickhouse reads --table, not a file ('${args.file}')` : 'missing data file');
    }
    for (const k of ['url', 'table'] as const) if (args[k] !== undefined && engine !== 'clickhouse') throw new CliError(`--${k} is for --engine clickhouse`);
    if (args.batchSize !== undefined && engine !== 'stream') throw new CliError('--batch-size is for --engine stream');
    if (args.memoryLimit !== undefined && engine !== 'duckdb') throw new CliError('--memory-limit is for --engine duckdb');
    if (args.residuals !== undefined && engine === 'memory') throw new CliError('--residuals writes the rows back through an engine: add --engine stream, duckdb or clickhouse');
    const batchSize = args.batchSize === undefined ? undefined : Number(args.batchSize);
    if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) throw new CliError(`--batch-size must be a positive whole number, got '${args.batchSize}'`);
    if (args.cacheMb !== undefined && engine !== 'stream') throw new CliError('--cache-mb is for --engine stream');
    const cacheMb = args.cacheMb === undefined ? undefined : Number(args.cacheMb);
    if (cacheMb !== undefined && !(Number.isFinite(cacheMb) && cacheMb >= 0 && String(args.cacheMb).trim() !== '')) throw new CliError(`--cache-mb must be a number of MiB, 0 or more (0: keep no batches between passes), got '${args.cacheMb}'`);
    const cacheBytes = cacheMb === undefined ? undefined : Math.round(cacheMb * 2 ** 20);
    if (note && !quiet) io.stderr(`mixedgpu: note: ${note}\n`);
    const file = args.file ?? '';
    const dataName = engine === 'clickhouse' ? args.table! : basename(file, extname(file));
    const relmat = await readRelmat(args);
    if (relmat && engine !== 'memory') throw new CliError(`known covariances (--relmat, --pedigree) are fitted with the rows in memory; the ${engine} engine does not take them (use --engine memory)`);
    const prior = resolvePrior(args);
    if (glmm && typeof prior === 'object' && prior.resid !== undefined) throw new CliError('--resid-prior is for linear mixed models (a GLMM has no residual variance)');
    if (prior !== undefined && engine !== 'memory') throw new CliError(`priors (--prior, --cov-prior, --fixef-prior, --resid-prior) are fitted with the rows in memory; the ${engine} engine does not take them yet (use --engine memory)`);
    const csv = resolveCsv(args);
    if (Object.keys(csv).length > 0 && engine !== 'memory') throw new CliError(`--delimiter, --encoding and --stray-text are for a CSV read into memory; the ${engine} engine does not take them (use --engine memory)`);
    if (!table && engine === 'memory') {
      const read = await readTableFileAsync(file, { factors, ...csv });
      if (!quiet) for (const w of read.warnings) io.stderr(`mixedgpu: warning: ${w}\n`);
      if (!quiet) for (const n of read.notes ?? []) io.stderr(`mixedgpu: note: ${basename(file)}: ${n}\n`);
      table = read.table;
    }
    const showProgress = !quiet && io.stderrIsTTY === true;
    let lastShown = 0;
    /** one progress line, at most every 100 ms (and at the first evaluation of each stage) */
    const show = (feval: number, elapsedMs: number, text: string, first = false) => {
      if (feval > 1 && !first && elapsedMs - lastShown < 100) return;
      lastShown = elapsedMs;
      progressShown = true;
      io.stderr(`\r\x1b[K${text}`);
    };
    const reml = !args.ml;
    const lmmProgress = showProgress
      ? (p: FitProgress) => show(p.feval, p.elapsedMs, `${p.feval} evaluations, ${reml ? 'REML criterion' : 'deviance'} ${p.deviance.toFixed(4)} (best ${p.best.toFixed(4)})`)
      : undefined;
    let fit: CliFit;
    const notes: string[] = [];
    if (engine !== 'memory' && glmm) {
      fit = await glmerThroughEngine({
        engine, formula: args.formula, file: args.file, table: args.table, url: args.url, memoryLimit: args.memoryLimit, batchSize, cacheBytes, residuals: args.residuals, factors, dataName,
        family: glmm.family, ...(glmm.link ? { link: glmm.link } : {}), ...(glmm.nAGQ !== undefined ? { nAGQ: glmm.nAGQ } : {}),
        ...(glmm.weights !== undefined ? { weights: glmm.weights } : {}), ...(glmm.theta !== undefined ? { theta: glmm.theta } : {}),
        calcDerivs: args.calcDerivs, ...(start ? { start } : {}), ...optimizer, ...(o.whileOpen ? { whileOpen: o.whileOpen } : {}),
      });
    } else if (engine !== 'memory') {
      fit = await lmerThroughEngine({
        engine, formula: args.formula, file: args.file, table: args.table, url: args.url, batchSize, cacheBytes, memoryLimit: args.memoryLimit, residuals: args.residuals, notes,
        REML: reml, factors, ...(contrasts ? { contrasts } : {}), weights, backend, dataName, onProgress: lmmProgress, calcDerivs: args.calcDerivs, ...(start ? { start } : {}), ...optimizer,
        ...(o.whileOpen ? { whileOpen: o.whileOpen } : {}),
      });
    } else if (glmm) {
      const stageName = { 1: 'stage 1 (nAGQ = 0)', 2: 'stage 2', 3: 'Hessian' } as const;
      let stage = 0;
      const onProgress = showProgress
        ? (p: GlmmProgress) => {
          show(p.feval, p.elapsedMs, `${stageName[p.stage]}: ${p.feval} evaluations, deviance ${p.deviance.toFixed(4)} (best ${p.best.toFixed(4)})`, p.stage !== stage);
          stage = p.stage;
        }
        : undefined;
      fit = await glmer(args.formula, table!, { ...glmm, factors, dataName, onProgress, backend, relmat, prior, calcDerivs: args.calcDerivs, ...(contrasts ? { contrasts } : {}), ...(start ? { start } : {}), ...optimizer });
    } else {
      fit = await lmer(args.formula, table!, { REML: reml, factors, dataName, backend, onProgress: lmmProgress, weights, relmat, prior, calcDerivs: args.calcDerivs, ...(contrasts ? { contrasts } : {}), ...(start ? { start } : {}), ...optimizer });
    }
    if (progressShown) { io.stderr('\r\x1b[K'); progressShown = false; }
    if (!quiet) for (const n of notes) io.stderr(`mixedgpu: note: ${n}\n`);
    if (!quiet && backend === 'auto') io.stderr(`mixedgpu: note: --backend auto used ${fit.backend.name} (${fit.backend.device})\n`);
    // lme4's warnings at fit time (its convergence checks, the scales of X), which R prints whatever is
    // computed next: on stderr for the commands that print something else than the fit's summary
    if (!quiet && (o.warn ?? true)) for (const m of fitWarnings(fit)) io.stderr(`mixedgpu: warning: ${args.formula}: ${m}\n`);
    return { fit, table };
  } finally {
    if (progressShown) io.stderr('\r\x1b[K');
  }
}

/** lme4's warnings of a fit: its convergence checks' messages and checkScaleX's (the summary prints them among the fit's messages) */
export function fitWarnings(fit: CliFit): string[] {
  return [...fit.messages.filter((m) => m === SCALE_X_MESSAGE), ...(fit.convergence?.messages ?? [])];
}

/** Runs `mixedgpu fit`; returns the process exit code (0 ok, 1 error). */
export async function runFit(args: FitArgs, io: CliIO): Promise<number> {
  try {
    const ddf = args.ddf === undefined ? undefined : checkDdf(args.ddf);
    if (ddf && args.family !== undefined) throw new CliError('--ddf is for linear mixed models (lmer): a GLMM\'s fixed effects get z tests');
    // glmer: --type adds car's Wald χ² anova (II or III); lmer: the type of the anova that --ddf adds
    const waldType = args.family !== undefined && args.type !== undefined ? checkWaldType(args.type) : undefined;
    const type = args.type === undefined || waldType ? undefined : checkAnovaType(args.type);
    if (args.showTests && !ddf) throw new CliError("--show-tests prints lmerTest's show_tests of the anova that --ddf adds: give --ddf too");
    if (args.fractions && !args.showTests) throw new CliError('--fractions is for --show-tests (the contrast matrices as fractions)');
    if (type && !ddf) throw new CliError('--type chooses the type of the anova that --ddf adds: give --ddf too (or, for a GLMM, --family: car\'s Wald χ² anova)');
    if (args.ranef !== undefined && !args.json) throw new CliError('--ranef chooses how --json writes the random effects: give --json too');
    if (args.ranef !== undefined && !(RANEF_MODES as readonly string[]).includes(args.ranef)) {
      throw new CliError(`--ranef must be one of ${RANEF_MODES.join(', ')}, not '${args.ranef}'`);
    }
    const jsonOptions = { ranef: args.ranef as (typeof RANEF_MODES)[number] | undefined };
    // broom.mixed's tables (--tidy, --glance, --augment): their options checked before the fit
    broomTidyOptions(args);
    if (args.ranef !== undefined && (args.tidy !== undefined || args.glance)) throw new CliError('--ranef chooses how --json writes the fit\'s random effects; --tidy ran_vals lists them as rows');
    if ((args.tidy !== undefined || args.glance) && type) throw new CliError('--type chooses the anova printed with the summary; --tidy and --glance print broom.mixed\'s tables instead');
    // the summary and the JSON carry the fit's messages: no warnings on stderr
    const { fit, table } = await fitFromArgs(args, io, undefined, { warn: false });
    if (wantsBroom(args)) {
      await printBroom(fit, args, io, table);
      // --augment alone writes its file beside the summary (as --residuals does)
      if (args.tidy !== undefined || args.glance) return 0;
    }
    if (ddf && 'reml' in fit) {
      const coef = coefficientTable(fit, { ddf });
      const aov = anovaTable(fit, { ddf, type });
      if (!args.quiet) for (const m of new Set([...coef.messages, ...aov.messages])) io.stderr(`mixedgpu: warning: ${m}\n`);
      if (args.json) {
        const j = fit.toJSON(jsonOptions);
        j.ddf = coef.ddf;
        j.coefficients = Object.fromEntries(coef.rows.map((r) => [r.name, { estimate: r.estimate, se: r.se, df: r.df, t: r.t, p: r.p }]));
        j.anovaType = aov.type;
        j.anova = Object.fromEntries(aov.rows.map((r) => [r.term, { numdf: r.numdf, dendf: r.dendf, F: r.F, p: r.p, sumsq: r.sumsq, meansq: r.meansq }]));
        if (args.showTests) j.show_tests = showTests(aov, { fractions: args.fractions === true });
        io.stdout(`${JSON.stringify(j, null, 2)}\n`);
      } else {
        const method = coef.ddf === 'satterthwaite' ? "Satterthwaite's" : "Kenward-Roger's";
        const text = formatSummary(fit, { method, table: printCoefTable(coef.rows) });
        const anovaText = aov.rows.length ? ['', ...printAnovaTable(aov.rows, coef.ddf, aov.type)] : [];
        if (args.showTests) anovaText.push('', ...printShowTests(aov, { fractions: args.fractions === true }));
        io.stdout(`${[text, ...anovaText].join('\n')}\n`);
      }
      return 0;
    }
    if (waldType && !('reml' in fit)) {
      const rows = fit.anova({ type: waldType });
      if (args.json) {
        const j = fit.toJSON(jsonOptions);
        j.anovaType = waldType;
        j.anova = Object.fromEntries(rows.map((r) => [r.term, { chisq: r.chisq, df: r.df, p: r.p }]));
        io.stdout(`${JSON.stringify(j, null, 2)}\n`);
      } else {
        io.stdout(`${[fit.summary(), '', ...printWaldAnova(rows, waldType, fit.model.frame.yname)].join('\n')}\n`);
      }
      return 0;
    }
    if (args.json) io.stdout(`${JSON.stringify(fit.toJSON(jsonOptions), null, 2)}\n`);
    else io.stdout(`${fit.summary()}\n`);
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
