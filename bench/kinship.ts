/**
 * A kinship model (issue 13): y ~ x + (1 | id) with b ~ N(0, σ_b² K), K a dense kinship matrix of
 * `--levels` individuals (default 5,000), fitted by lmer with `relmat` on each backend, each fit in
 * its own child process (peak RSS per fit), and optionally by lme4 with Z L in place of Z (lFormula →
 * reTrms$Zt ← t(L) %*% Zt → mkLmerDevfun → optimizeLmer → mkMerMod, bench/kinship.R).
 *
 *   npm run build && node --expose-gc dist/bench/kinship.js [--levels 5000] [--records 2]
 *        [--backends cpu,webgpu] [--seed 1] [--r] [--out bench/out] [--timeout-min 20]
 *   (or the bundle: node bench/build.mjs kinship && node --expose-gc bench/out/kinship-bench.mjs …;
 *   on a GPU machine: bash bench/gpu-run.sh --kinship 5000 [--kinship-only], WebGPU only, in its summary)
 *
 * Data (seeded, bench/synth.ts's Rng): a pedigree of `levels` animals (10% founders, the others'
 * parents drawn from the previous 20% of the list, so relationships run over many generations),
 * K = its additive relationship matrix A (tabular method), given to lmer as a dense matrix with
 * level names (the kinship path: K is checked and factored densely, not the pedigree's sparse
 * factor); `records` observations per individual, y = 1 + 0.5 x + a + e with σ_a² = 1, σ² = 1.5.
 * The dense block is levels × levels: every θ factors it (on the GPU for webgpu, f32, with the
 * float64 check and polish on the CPU).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromArrays } from 'apache-arrow';
import { lmer } from '../src/fit/lmer.js';
import { pedigreeFactor, relationshipMatrix, sortPedigree } from '../src/relmat/pedigree.js';
import { applyFactor } from '../src/relmat/covFactor.js';
import { Rng } from './synth.js';
import { MiB, dateLine, fileStamp, flags, gc, gitState, machine, machineLine, mdTable, positiveInt, repoRoot, runChild, workerResult } from './common.js';

const MARK = 'KINSHIP_RESULT ';

interface Args { levels: number; records: number; backends: string[]; seed: number; r: boolean; out: string; timeoutMin: number }

function parseArgs(argv: string[]): Args & { worker?: string } {
  const a: Args & { worker?: string } = { levels: 5000, records: 2, backends: ['cpu', 'webgpu'], seed: 1, r: false, out: 'bench/out', timeoutMin: 20 };
  for (const [flag, value] of flags(argv)) {
    switch (flag) {
      case '--levels': a.levels = positiveInt(flag, value()); break;
      case '--records': a.records = positiveInt(flag, value()); break;
      case '--backends': a.backends = (value() ?? '').split(',').filter(Boolean); break;
      case '--seed': a.seed = positiveInt(flag, value()); break;
      case '--r': a.r = true; break;
      case '--out': a.out = value() ?? a.out; break;
      case '--timeout-min': a.timeoutMin = positiveInt(flag, value()); break;
      case '--worker': a.worker = value(); break;
      default: throw new Error(`kinship bench: unknown argument ${flag}`);
    }
  }
  return a;
}

/** The kinship data: K (row-major), level names, and the rows (id, x, y). */
export function kinshipData(levels: number, records: number, seed: number) {
  const rng = new Rng(seed);
  const ids = Array.from({ length: levels }, (_, i) => `i${String(i + 1).padStart(5, '0')}`);
  const founders = Math.max(2, Math.round(levels / 10));
  const sire = new Int32Array(levels).fill(-1);
  const dam = new Int32Array(levels).fill(-1);
  const window = Math.max(2, Math.round(levels / 5));
  for (let i = founders; i < levels; i++) {
    const lo = Math.max(0, i - window);
    sire[i] = lo + rng.int(i - lo);
    do dam[i] = lo + rng.int(i - lo); while (dam[i] === sire[i]);
  }
  const ped = sortPedigree(ids, sire, dam);
  const K = relationshipMatrix(ped);
  // a ~ N(0, K) through the pedigree's factor, then the records
  const { L } = pedigreeFactor(ped);
  const a = applyFactor(L, Float64Array.from({ length: levels }, () => rng.normal()), 1);
  const n = levels * records;
  const id: string[] = new Array(n);
  const x = new Float64Array(n), y = new Float64Array(n);
  for (let i = 0, r = 0; i < levels; i++) {
    for (let k = 0; k < records; k++, r++) {
      id[r] = ped.ids[i];
      x[r] = rng.normal();
      y[r] = 1 + 0.5 * x[r] + a[i] + Math.sqrt(1.5) * rng.normal();
    }
  }
  return { ids: ped.ids, K, id, x, y };
}

interface FitResult {
  backend: string; device: string; precision: string; levels: number; rows: number;
  dataS: number; totalS: number; timings: Record<string, number>; feval: number; objective: number;
  theta: number[]; heritability: number; gpuCheck: unknown; messages: string[]; peakRssMiB: number;
  /** peak RSS before the fit (the data and K made here): the fit's own peak shows only above it */
  dataPeakRssMiB: number;
}

async function worker(args: Args, backend: string): Promise<void> {
  const t0 = performance.now();
  const d = kinshipData(args.levels, args.records, args.seed);
  const table = tableFromArrays({ id: d.id, x: d.x, y: d.y });
  const dataS = (performance.now() - t0) / 1000;
  gc();
  const dataPeakRssMiB = (process.resourceUsage().maxRSS * 1024) / MiB;
  process.stderr.write(`kinship: data made in ${dataS.toFixed(1)} s, peak RSS so far ${dataPeakRssMiB.toFixed(0)} MiB, RSS now ${(process.memoryUsage().rss / MiB).toFixed(0)} MiB\n`);
  const t1 = performance.now();
  const fit = await lmer('y ~ x + (1 | id)', table, { relmat: { id: { levels: d.ids, matrix: d.K } }, backend: backend as 'cpu', denseOnGpu: true });
  const totalS = (performance.now() - t1) / 1000;
  const res: FitResult = {
    backend: fit.backend.name, device: fit.backend.device, precision: fit.backend.precision, levels: args.levels, rows: table.numRows,
    dataS, totalS, timings: fit.timings, feval: fit.feval, objective: fit.objective, theta: Array.from(fit.theta),
    heritability: fit.heritability[0]?.heritability ?? NaN, gpuCheck: fit.gpuCheck ?? null, messages: fit.messages,
    peakRssMiB: (process.resourceUsage().maxRSS * 1024) / MiB, dataPeakRssMiB,
  };
  process.stdout.write(`${MARK}${JSON.stringify(res)}\n`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.worker) return worker(args, args.worker);
  const root = repoRoot(import.meta.url);
  const script = fileURLToPath(import.meta.url);
  const results: (FitResult | { backend: string; error: string })[] = [];
  for (const b of args.backends) {
    process.stderr.write(`kinship: ${b}, ${args.levels} levels × ${args.records} records …\n`);
    const ch = await runChild(process.execPath, ['--expose-gc', script, '--worker', b, '--levels', String(args.levels), '--records', String(args.records), '--seed', String(args.seed)], root, true, args.timeoutMin * 60_000);
    const r = workerResult<FitResult>(ch.stdout, MARK);
    results.push(r ?? { backend: b, error: ch.timedOut ? `timed out after ${args.timeoutMin} min` : `exit ${ch.code}: ${ch.stderr.trim().split('\n').slice(-3).join(' | ')}` });
  }
  let lme4: Record<string, unknown> | null = null;
  if (args.r) {
    const d = kinshipData(args.levels, args.records, args.seed);
    const dir = resolve(root, args.out, 'data');
    mkdirSync(dir, { recursive: true });
    const kFile = join(dir, `kinship-K-${args.levels}.bin`), dFile = join(dir, `kinship-data-${args.levels}.csv`);
    writeFileSync(kFile, Buffer.from(d.K.buffer));
    writeFileSync(dFile, `id,x,y\n${d.id.map((id, i) => `${id},${d.x[i]},${d.y[i]}`).join('\n')}\n`);
    writeFileSync(join(dir, `kinship-ids-${args.levels}.txt`), `${d.ids.join('\n')}\n`);
    const ch = await runChild('Rscript', [join(root, 'bench', 'kinship.R'), dFile, kFile, join(dir, `kinship-ids-${args.levels}.txt`)], root, true, args.timeoutMin * 60_000);
    lme4 = workerResult<Record<string, unknown>>(ch.stdout, MARK) ?? { error: ch.timedOut ? `timed out after ${args.timeoutMin} min` : `exit ${ch.code}` };
  }
  const date = new Date();
  const head = [machineLine(machine()), dateLine(date.toISOString(), gitState(root))];
  const rows = results.map((r) => ('error' in r
    ? [r.backend, '—', '—', '—', '—', '—', '—', '—', '—', '—', r.error]
    : [r.backend, r.device, String(r.rows), ((r.timings.frameMs ?? NaN) / 1000).toFixed(2), ((r.timings.gramMs ?? NaN) / 1000).toFixed(2),
      (r.timings.perEvaluationMs ?? NaN).toFixed(0), String(r.feval), r.totalS.toFixed(1), r.peakRssMiB.toFixed(0), r.objective.toFixed(6),
      r.gpuCheck ? `GPU f32 error ${(r.gpuCheck as { objectiveError: number }).objectiveError.toExponential(2)}` : '']));
  if (lme4 && !('error' in lme4)) {
    rows.push(['lme4 (Z L)', 'R', String(args.levels * args.records), '—', '—', '—', String(lme4.feval), Number(lme4.time_s).toFixed(1), Number(lme4.peak_rss_mib ?? NaN).toFixed(0), Number(lme4.criterion).toFixed(6), '']);
  } else if (lme4) rows.push(['lme4 (Z L)', 'R', '—', '—', '—', '—', '—', '—', '—', '—', String(lme4.error)]);
  const table = mdTable(['backend', 'device', 'rows', 'frame + K factor (s)', 'Gram + F transform (s)', 'per eval (ms)', 'evals', 'fit total (s)', 'peak RSS (MiB)', 'REML criterion', 'notes'], rows);
  const text = [...head, `kinship model y ~ x + (1 | id), ${args.levels} levels (dense K), ${args.records} records each`, '', table].join('\n');
  process.stdout.write(`${text}\n`);
  const out = resolve(root, args.out);
  mkdirSync(out, { recursive: true });
  const command = `node ${process.execArgv.join(' ')} ${script.replace(root + '/', '')} ${process.argv.slice(2).join(' ')}`.replace(/\s+/g, ' ').trim();
  writeFileSync(join(out, `kinship-results-${fileStamp(date)}.json`), JSON.stringify({ date: date.toISOString(), command, machine: machine(), git: gitState(root), args, results, lme4 }, null, 2));
  // a fit that failed or ran out of time fails the run (bench/gpu-run.sh reports it)
  if (results.some((r) => 'error' in r)) process.exitCode = 1;
}

await main();
