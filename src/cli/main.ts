#!/usr/bin/env node
/**
 * The `mixedgpu` command line: argument handling only; the commands live in their own modules.
 *
 *   mixedgpu fit FILE FORMULA [--ml] [--reml] [--factors a,b] [--json] [--backend cpu|webgpu|auto] [--quiet]
 *                             [--weights COL] [--family binomial|poisson [--link NAME] [--nagq N]]
 *                             [--engine memory|stream|duckdb] [--batch-size N] [--memory-limit 1.5GB] [--residuals OUT.parquet]
 *   mixedgpu fit --engine clickhouse --url http://127.0.0.1:8123 --table TABLE FORMULA [--residuals TABLE] …
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { BACKENDS } from '../backend/select.js';
import { errorMessage, runFit } from './fitCommand.js';
import { ENGINES } from './engines.js';

/** the version in the package's package.json (found upwards from this file, in src/ or dist/src/) */
function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === 'mixedgpu' && pkg.version) return pkg.version;
      } catch {
        // not ours: keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return 'unknown';
}

function buildProgram(): Command {
  const program = new Command();
  program
    .name('mixedgpu')
    .description('Linear mixed models (lme4\'s lmer) for large data, on the CPU (float64) or WebGPU, and GLMMs (glmer)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      // commander's messages start with "error: ..."
      outputError: (str, write) => write(`mixedgpu: ${str}`),
    })
    .exitOverride();

  program
    .command('fit')
    .description('fit a linear mixed model (lmer) or, with --family, a GLMM (glmer) and print its lme4-style summary (or JSON)')
    .argument('<file-and-formula...>', 'FILE FORMULA: the data file (.csv, .tsv, .arrow, .feather, .ipc, .parquet; a glob such as \'data/*.parquet\' with --engine duckdb) and the lme4 model formula, e.g. "Reaction ~ Days + (Days | Subject)"; with --engine clickhouse the formula alone')
    .option('--ml', 'fit by maximum likelihood')
    .option('--reml', 'fit by REML (the default)')
    .option('--factors <columns>', 'comma-separated columns to read as factors (grouping variables with numeric codes)')
    .option('--json', 'print the result as one JSON object instead of the summary')
    .addOption(new Option('--backend <name>', 'backend that evaluates the objective').choices([...BACKENDS]).default('cpu'))
    .option('--family <name>', 'fit a generalized linear mixed model (glmer) of this family: binomial or poisson')
    .option('--link <name>', 'the GLMM\'s link: logit (default), probit or cloglog for binomial; log for poisson')
    .option('--nagq <n>', 'glmer\'s nAGQ: 1 Laplace (default), 0 faster and less exact, > 1 adaptive Gauss-Hermite (one scalar random term)')
    .option('--weights <column>', 'prior weights, lmer or glmer (binomial: the numbers of trials of a proportion response)')
    .option('--quiet', 'no progress or notes on stderr')
    .addOption(new Option('--engine <name>', 'where the rows are read: memory (the whole table), stream (record batches of one file), duckdb (out of core; files and globs), clickhouse (a table at --url); default memory, duckdb for a glob or a file over 1 GiB').choices([...ENGINES]))
    .option('--url <url>', 'clickhouse: the HTTP interface, e.g. http://127.0.0.1:8123 (user and password from CLICKHOUSE_USER, CLICKHOUSE_PASSWORD)')
    .option('--table <name>', 'clickhouse: the table (e.g. a Distributed table over shards)')
    .option('--batch-size <rows>', 'stream: rows per record batch (default 65536)')
    .option('--memory-limit <size>', 'duckdb: DuckDB\'s memory limit, e.g. 1.5GB (past it, it spills to a temporary directory; default 80% of RAM)')
    .option('--residuals <target>', 'write every used row with its fitted value and residual: a .parquet or .csv file (stream, duckdb) or a new table (clickhouse); never overwritten')
    .action(async (positional: string[], opts: {
      ml?: boolean; reml?: boolean; factors?: string; json?: boolean; backend?: string; quiet?: boolean;
      family?: string; link?: string; nagq?: string; weights?: string;
      engine?: string; url?: string; table?: string; batchSize?: string; memoryLimit?: string; residuals?: string;
    }) => {
      if (positional.length > 2) {
        process.stderr.write(`mixedgpu: error: too many arguments (${positional.length}): give FILE and FORMULA (quote the formula)\n`);
        process.exitCode = 1;
        return;
      }
      const [file, formula] = positional.length === 2 ? positional : [undefined, positional[0]];
      process.exitCode = await runFit({ file, formula, ...opts }, {
        stdout: (s) => { process.stdout.write(s); },
        stderr: (s) => { process.stderr.write(s); },
        stderrIsTTY: process.stderr.isTTY === true,
      });
    });
  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit 0; usage errors were already printed by commander
      process.exitCode = e.exitCode;
      return;
    }
    process.stderr.write(`mixedgpu: error: ${errorMessage(e)}\n`);
    process.exitCode = 1;
  }
}

await main(process.argv);
