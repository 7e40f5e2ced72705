/**
 * Inference on a streamed fit, from the A the stream formed (no rows, no pass): the fit, then
 * lmerTest's Satterthwaite and Kenward–Roger tables, the type III anova and lme4's profile
 * intervals, each timed; the process's peak RSS (VmHWM) at the end. Data: generate.ts's file.
 *
 *   npx vite-node bench/gram/inference.ts -- --file data.parquet --formula 'y ~ x + w + (x | g)' --factors g,h
 */
import { openBatchSource } from '../../src/gram/stream/node.js';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import '../../src/inference/methods.js';
import { readFileSync } from 'node:fs';

/** peak resident set size of this process (kB → MB), from /proc (as run.ts) */
function peakRssMB(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const arg = (k: string, d?: string) => { const i = process.argv.indexOf(`--${k}`); return i > 0 ? process.argv[i + 1] : d; };

async function main(): Promise<void> {
  const file = arg('file');
  if (!file) throw new Error('--file FILE.parquet');
  const formula = arg('formula', 'y ~ x + w + (x | g)')!;
  const factors = arg('factors', 'g,h')!.split(',');
  const seconds = (t0: number) => ((performance.now() - t0) / 1000).toFixed(2);
  let t0 = performance.now();
  const src = await openBatchSource(file);
  let fit;
  try {
    fit = (await lmerStream(src, formula, { factors, residualQuantiles: false })).fit;
  } finally {
    await src.close();
  }
  console.log(`fit: ${seconds(t0)} s (${fit.nobs} rows, ${formula})`);
  t0 = performance.now();
  const sat = fit.coefficients({ ddf: 'satterthwaite' });
  console.log(`Satterthwaite table: ${seconds(t0)} s; df ${sat.map((r) => `${r.name} ${r.df.toFixed(1)}`).join(', ')}`);
  t0 = performance.now();
  const kr = fit.coefficients({ ddf: 'kenward-roger' });
  console.log(`Kenward-Roger table: ${seconds(t0)} s; df ${kr.map((r) => `${r.name} ${r.df.toFixed(1)}`).join(', ')}`);
  t0 = performance.now();
  fit.anova();
  console.log(`anova III (Satterthwaite's parts cached): ${seconds(t0)} s`);
  t0 = performance.now();
  const ci = await fit.confint({ method: 'profile' });
  console.log(`profile intervals: ${seconds(t0)} s`);
  for (const [name, [lo, hi]] of Object.entries(ci.intervals)) console.log(`  ${name}: [${lo}, ${hi}]`);
  console.log(`peak RSS ${peakRssMB().toFixed(0)} MB`);
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
