/**
 * `mixedgpu fit FILE FORMULA`: read a data file, fit a linear mixed model, print lme4's summary or
 * the JSON result. Written as a function of its arguments and output writers so that tests can call
 * it without a process.
 */
import { basename, extname } from 'node:path';
import { readTableFile } from '../io/node.js';
import { lmer, type FitProgress } from '../model/fitLmm.js';

export const BACKENDS = ['cpu', 'webgpu', 'auto'] as const;
export type BackendChoice = (typeof BACKENDS)[number];

export interface FitArgs {
  /** data file: .csv, .tsv, .arrow, .feather, .ipc */
  file: string;
  /** lme4 model formula, e.g. `Reaction ~ Days + (Days | Subject)` */
  formula: string;
  /** maximum likelihood instead of REML */
  ml?: boolean;
  /** REML (the default); exclusive with `ml` */
  reml?: boolean;
  /** columns to read as factors: comma-separated text or a list */
  factors?: string | string[];
  /** print the JSON result instead of the summary */
  json?: boolean;
  /** which backend evaluates the objective (default cpu) */
  backend?: string;
  /** no progress and no notes on stderr */
  quiet?: boolean;
}

export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** whether stderr is a terminal (progress is shown only there) */
  stderrIsTTY?: boolean;
}

/** An error whose message is shown to the user as it is. */
export class CliError extends Error {}

/** the message of an error thrown by the library or the reader, without a stack trace */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}

function parseFactors(factors: string | string[] | undefined): string[] | undefined {
  if (factors === undefined) return undefined;
  const list = (Array.isArray(factors) ? factors : [factors])
    .flatMap((f) => f.split(','))
    .map((f) => f.trim())
    .filter((f) => f.length > 0);
  return list.length ? list : undefined;
}

function resolveBackend(choice: string | undefined): BackendChoice {
  const b = (choice ?? 'cpu').toLowerCase();
  if (!(BACKENDS as readonly string[]).includes(b)) {
    throw new CliError(`unknown backend '${choice}' (choose one of ${BACKENDS.join(', ')})`);
  }
  return b as BackendChoice;
}

/** Runs `mixedgpu fit`; returns the process exit code (0 ok, 1 error). */
export async function runFit(args: FitArgs, io: CliIO): Promise<number> {
  const quiet = args.quiet ?? false;
  let progressShown = false;
  try {
    if (args.ml && args.reml) throw new CliError('--ml and --reml cannot be used together');
    if (!args.file) throw new CliError('missing data file');
    if (!args.formula || !args.formula.trim()) throw new CliError('missing model formula');
    const backend = resolveBackend(args.backend);
    const factors = parseFactors(args.factors);
    const { table, warnings } = readTableFile(args.file, { factors });
    if (!quiet) for (const w of warnings) io.stderr(`mixedgpu: warning: ${w}\n`);
    const dataName = basename(args.file, extname(args.file));
    const reml = !args.ml;
    const showProgress = !quiet && io.stderrIsTTY === true;
    let lastShown = 0;
    const onProgress = showProgress
      ? (p: FitProgress) => {
        const now = p.elapsedMs;
        if (p.feval > 1 && now - lastShown < 100) return;
        lastShown = now;
        progressShown = true;
        io.stderr(`\r\x1b[K${p.feval} evaluations, ${reml ? 'REML criterion' : 'deviance'} ${p.deviance.toFixed(4)} (best ${p.best.toFixed(4)})`);
      }
      : undefined;
    const fit = await lmer(args.formula, table, { REML: reml, factors, dataName, backend, onProgress });
    if (progressShown) { io.stderr('\r\x1b[K'); progressShown = false; }
    if (!quiet && backend === 'auto') io.stderr(`mixedgpu: note: --backend auto used ${fit.backend.name} (${fit.backend.device})\n`);
    if (args.json) io.stdout(`${JSON.stringify(fit.toJSON(), null, 2)}\n`);
    else io.stdout(`${fit.summary()}\n`);
    return 0;
  } catch (e) {
    if (progressShown) io.stderr('\r\x1b[K');
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
