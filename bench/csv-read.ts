/**
 * Reading CSV into Arrow columns (issue 9, item 5): time and peak memory of `readCsvFile` on a long
 * file (the synthetic benchmark data, 10M rows by default: larger than a JavaScript string can hold)
 * and a wide one (30,000 columns × 40 rows), each read in its own child process so that its peak RSS
 * is its own; R's `read.csv` on the same files in the same run, for scale.
 *
 *   npm run build && node dist/bench/csv-read.js [--rows 10000000] [--groups 200000] [--no-r] [--keep] [--out bench/out]
 *
 * Prints a Markdown table (machine, date and commit above it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readCsvFile } from '../src/io/node.js';
import { writeSynthCsv } from './write-csv.js';

interface Measure {
  seconds: number;
  rows: number;
  columns: number;
  peakMiB: number;
}

/** Child: read `path` once, print one JSON line. */
function child(path: string): void {
  const t0 = performance.now();
  const { table } = readCsvFile(path);
  const seconds = (performance.now() - t0) / 1000;
  const m: Measure = { seconds, rows: table.numRows, columns: table.numCols, peakMiB: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(m)}\n`);
}

function measureOurs(path: string): Measure {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', path], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`reading ${path} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as Measure;
}

/** R's read.csv(stringsAsFactors = TRUE): seconds, and peak RSS from GNU time when it is there. */
function measureR(path: string): { seconds: number; peakMiB: number | null } | null {
  const script = `t <- system.time(d <- read.csv("${path}", stringsAsFactors = TRUE))[["elapsed"]]; cat(t, nrow(d), ncol(d), "\\n")`;
  const gnuTime = existsSync('/usr/bin/time');
  const r = gnuTime
    ? spawnSync('/usr/bin/time', ['-f', 'MAXRSS %M', 'Rscript', '-e', script], { encoding: 'utf8' })
    : spawnSync('Rscript', ['-e', script], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  const seconds = Number(r.stdout.trim().split(/\s+/)[0]);
  const rss = /MAXRSS (\d+)/.exec(r.stderr);
  return { seconds, peakMiB: rss ? Number(rss[1]) / 1024 : null };
}

function writeWide(path: string, ncol: number, nrow: number): void {
  const lines = [Array.from({ length: ncol }, (_, j) => `c${j}`).join(',')];
  for (let i = 0; i < nrow; i++) lines.push(Array.from({ length: ncol }, (_, j) => ((i * 31 + j) % 1000) / 10).join(','));
  writeFileSync(path, `${lines.join('\n')}\n`);
}

function arg(argv: string[], name: string, fallback: string): string {
  const i = argv.indexOf(name);
  return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1] : fallback;
}

function main(argv: string[]): void {
  if (argv[0] === '--child') {
    child(argv[1]);
    return;
  }
  const rows = Number(arg(argv, '--rows', '10000000'));
  const groups = Number(arg(argv, '--groups', String(Math.max(2, Math.round(rows / 50)))));
  const out = arg(argv, '--out', 'bench/out');
  const withR = !argv.includes('--no-r');
  mkdirSync(join(out, 'data'), { recursive: true });
  const long = join(out, 'data', `synth_${rows}.csv`);
  const wide = join(out, 'data', 'wide_30000x40.csv');
  if (!existsSync(long)) writeSynthCsv(long, { n: rows, groups, seed: 1 }, { digits: 0 });
  writeWide(wide, 30_000, 40);

  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  console.log(`Date: ${new Date().toISOString()}, commit ${commit}; ${cpus()[0]?.model ?? 'CPU'}, ${cpus().length} cores, ` +
    `${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}\n`);
  console.log('| file | size (MiB) | rows × columns | readCsvFile (s) | peak RSS (MiB) | R read.csv (s) | R peak RSS (MiB) | read.csv / ours |');
  console.log('|:--|--:|--:|--:|--:|--:|--:|--:|');
  for (const [name, path] of [[`synth ${rows.toLocaleString('en-US')} rows`, long], ['wide 30,000 × 40', wide]] as const) {
    const ours = measureOurs(path);
    const r = withR ? measureR(path) : null;
    const mib = statSync(path).size / 2 ** 20;
    console.log(`| ${name} | ${mib.toFixed(0)} | ${ours.rows.toLocaleString('en-US')} × ${ours.columns.toLocaleString('en-US')} | ${ours.seconds.toFixed(2)} | ` +
      `${ours.peakMiB.toFixed(0)} | ${r ? r.seconds.toFixed(2) : '–'} | ${r?.peakMiB ? r.peakMiB.toFixed(0) : '–'} | ${r ? `${(r.seconds / ours.seconds).toFixed(1)}×` : '–'} |`);
  }
  if (!argv.includes('--keep')) {
    rmSync(long, { force: true });
    rmSync(wide, { force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main(process.argv.slice(2));
