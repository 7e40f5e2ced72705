/**
 * Meta-analysis benchmark: our meta() against R's metafor on the same seeded data in the same run.
 *
 *   npm run build
 *   node --expose-gc dist/bench/meta.js [--cases reg100k,reg2k,reg1k,ml10k,ml1k] [--no-r]
 *                                       [--timeout-min T] [--seed S] [--out bench/out]
 *
 * Cases (./metaSynth.ts):
 *   reg100k, reg2k, reg1k  meta-regression with 3 moderators, k = 100,000 / 2,000 / 1,000 studies:
 *                          rma(yi, vi, mods = ~ x1 + x2 + x3) by REML; ours also by DL
 *   ml10k, ml1k            three-level model, 10,000 / 1,000 clusters × 5 effect sizes:
 *                          rma.mv(yi, vi, mods = ~ x, random = ~ 1 | district/school, sparse = TRUE) by REML
 * Ours runs in this process (the data in memory as an Arrow table); then, unless --no-r, metafor
 * (bench/metafor.R, its default controls) on the same data written as CSV, in a child process killed
 * after --timeout-min minutes (default 20): a run that does not finish is reported as such.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as arrow from 'apache-arrow';
import { meta } from '../src/meta/meta.js';
import type { MetaFit } from '../src/meta/metaFit.js';
import { columnsCsv, metaRegressionData, threeLevelData } from './metaSynth.js';
import { dateLine, fileStamp, flags, gc, gitState, machine, machineLine, mdTable, positiveInt, repoRoot, runChild } from './common.js';

interface Case { id: string; kind: 'regression' | 'threelevel'; size: number }
const CASES: Record<string, Case> = {
  reg100k: { id: 'reg100k', kind: 'regression', size: 100_000 },
  reg2k: { id: 'reg2k', kind: 'regression', size: 2_000 },
  reg1k: { id: 'reg1k', kind: 'regression', size: 1_000 },
  ml10k: { id: 'ml10k', kind: 'threelevel', size: 10_000 },
  ml1k: { id: 'ml1k', kind: 'threelevel', size: 1_000 },
};

interface OursResult { method: string; k: number; fitS: number; feval: number | null; components: number[]; beta: number[]; loglik: number }
interface RResult { k?: number; fit_s?: number; read_s?: number; tau2?: number; sigma2?: number[]; beta?: number[]; loglik?: number; peak_rss_mib?: number; metafor?: string; error?: string }

function args(argv: string[]) {
  const o = { cases: ['reg100k', 'reg2k', 'reg1k', 'ml10k', 'ml1k'], r: true, timeoutMin: 20, seed: 1, out: 'bench/out' };
  for (const [flag, value] of flags(argv)) {
    if (flag === '--cases') o.cases = value()!.split(',').map((s) => s.trim());
    else if (flag === '--no-r') o.r = false;
    else if (flag === '--timeout-min') o.timeoutMin = positiveInt(flag, value());
    else if (flag === '--seed') o.seed = positiveInt(flag, value());
    else if (flag === '--out') o.out = value()!;
    else throw new Error(`unknown option ${flag}`);
  }
  for (const c of o.cases) if (!CASES[c]) throw new Error(`unknown case ${c} (${Object.keys(CASES).join(', ')})`);
  return o;
}

function tableOf(cols: Record<string, Float64Array | Int32Array>): arrow.Table {
  return new arrow.Table(Object.fromEntries(Object.entries(cols).map(([k, v]) => [k, arrow.makeVector(v instanceof Int32Array ? Float64Array.from(v) : v)])));
}

function summarize(fit: MetaFit, seconds: number): OursResult {
  const j = fit.toJSON() as Record<string, any>;
  return {
    method: fit.method, k: fit.k, fitS: seconds, feval: fit.optimizer?.feval ?? null,
    components: fit.tau2 !== null ? [fit.tau2] : fit.sigma2!, beta: Object.values(j.beta as Record<string, number>), loglik: fit.logLik,
  };
}

async function main(): Promise<void> {
  const o = args(process.argv.slice(2));
  const root = repoRoot(import.meta.url);
  const out = resolve(root, o.out);
  mkdirSync(join(out, 'data'), { recursive: true });
  const rows: string[][] = [];
  const results: Record<string, unknown>[] = [];
  for (const name of o.cases) {
    const c = CASES[name];
    const cols: Record<string, Float64Array | Int32Array> = c.kind === 'regression' ? { ...metaRegressionData(c.size, o.seed) } : { ...threeLevelData(c.size, 5, o.seed) };
    const table = tableOf(cols);
    const ours: OursResult[] = [];
    const methods = c.kind === 'regression' ? ['REML', 'DL'] as const : ['REML'] as const;
    for (const method of methods) {
      gc();
      const t = performance.now();
      const fit = c.kind === 'regression'
        ? await meta(table, { yi: 'yi', vi: 'vi', mods: ['x1', 'x2', 'x3'], method })
        : await meta(table, { yi: 'yi', vi: 'vi', mods: 'x', random: '~ 1 | district/school', method });
      ours.push(summarize(fit, (performance.now() - t) / 1000));
      process.stderr.write(`${name} ours ${method}: ${ours[ours.length - 1].fitS.toFixed(2)} s\n`);
    }
    let r: RResult | null = null;
    if (o.r) {
      const csv = join(out, 'data', `meta-${name}.csv`);
      writeFileSync(csv, columnsCsv(cols));
      const res = await runChild('Rscript', [join(root, 'bench', 'metafor.R'), csv, c.kind, 'REML'], root, false, o.timeoutMin * 60_000);
      rmSync(csv, { force: true });
      const line = res.stdout.split('\n').find((l) => l.startsWith('{'));
      if (res.timedOut) r = { error: `did not finish in ${o.timeoutMin} min` };
      else if (line) r = JSON.parse(line) as RResult;
      else if (res.signal) r = { error: `killed by ${res.signal}${res.signal === 'SIGKILL' ? ' (out of memory?)' : ''}` };
      else r = { error: (res.stderr.split('\n').filter((l) => /Error|cannot/.test(l))[0] ?? `exit ${res.code}`).trim() };
      process.stderr.write(`${name} metafor: ${r.error ?? `${r.fit_s?.toFixed(2)} s`}\n`);
    }
    const reml = ours[0];
    const k = c.kind === 'regression' ? c.size : c.size * 5;
    const comp = (x: number[]) => x.map((v) => v.toPrecision(6)).join(', ');
    const rComp = r?.tau2 !== undefined ? [r.tau2] : r?.sigma2;
    rows.push([
      name, c.kind === 'regression' ? `${k.toLocaleString('en-US')} studies, 3 moderators` : `${c.size.toLocaleString('en-US')} clusters × 5 = ${k.toLocaleString('en-US')}`,
      reml.fitS.toFixed(2), String(reml.feval ?? ''), ours[1] ? ours[1].fitS.toFixed(3) : '',
      r ? (r.error ?? (r.fit_s ?? NaN).toFixed(2)) : 'not run', r?.fit_s ? (r.fit_s / reml.fitS).toFixed(1) : '',
      comp(reml.components), rComp ? comp(rComp) : '',
      r?.loglik !== undefined ? (reml.loglik - r.loglik).toExponential(2) : '',
    ]);
    results.push({ case: name, k, ours, metafor: r });
  }
  const m = machine();
  const git = gitState(root);
  const date = new Date();
  const table = mdTable(
    ['case', 'data', 'ours REML (s)', 'evals', 'ours DL (s)', 'metafor REML (s)', 'metafor / ours', 'τ² or σ² (ours)', 'τ² or σ² (metafor)', 'logLik ours − metafor'],
    rows,
  );
  console.log([machineLine(m), dateLine(date.toISOString(), git), '', table].join('\n'));
  writeFileSync(join(out, `meta-results-${fileStamp(date)}.json`), JSON.stringify({ machine: m, git, date: date.toISOString(), results }, null, 2));
}

await main();
