// The summary of bench/gpu-run.sh: reads the raw JSON of its runners (bench/gpu.ts → gpu-results-*.json,
// bench/run.ts → results-*.json with glmmResults, bench/kinship.ts → kinship-results-*.json,
// bench/browser.ts → browser-results-*.json, adapter.json)
// and writes one summary.json and summary.md, with issue 15's targets for an H100/H200-class GPU:
// 10M rows / 100k groups y ~ x + w + (x | g) under 2 s, its data pass at ≥ 50% of the measured read
// bandwidth, InstEval under 0.5 s, the 1M-row binomial GLMM under 5 s.
//   node bench/gpu-summary.mjs RAW_DIR OUT_DIR [--quick 0|1]
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [rawDir, outDir] = process.argv.slice(2);
const quick = process.argv.includes('--quick') && process.argv[process.argv.indexOf('--quick') + 1] === '1';
if (!rawDir || !outDir) { console.error('usage: node bench/gpu-summary.mjs RAW_DIR OUT_DIR [--quick 0|1]'); process.exit(2); }
const files = readdirSync(rawDir);
const read = (f) => JSON.parse(readFileSync(join(rawDir, f), 'utf8'));
const pick = (re) => files.filter((f) => re.test(f)).sort().map(read);

const adapter = files.includes('adapter.json') ? read('adapter.json') : null;
const lmmRuns = pick(/^gpu-results-.*\.json$/);
const glmmRuns = pick(/^results-.*\.json$/);
const browserRuns = pick(/^browser-results-.*\.json$/);
const kinshipRuns = pick(/^kinship-results-.*\.json$/);
const browserSkipped = files.includes('browser-skipped.txt') ? readFileSync(join(rawDir, 'browser-skipped.txt'), 'utf8').trim() : null;

const lmm = lmmRuns.flatMap((r) => r.results);
const bandwidth = lmmRuns.find((r) => r.bandwidth)?.bandwidth ?? null;
const glmm = glmmRuns.flatMap((r) => (r.glmmResults ?? []).flatMap((c) => [
  ...c.ours.map((o) => ({ case: c.case, formula: c.formula, ...o })),
  ...c.oursErrors.map((e) => ({ case: c.case, formula: c.formula, backend: e.backend, error: e.error })),
]));
const kinship = kinshipRuns.flatMap((r) => (r.results ?? []).map((x) => ({ levels: r.args?.levels, records: r.args?.records, ...x })));
// the page's adapter (bench/browser.ts records it as `page`, from the page's info()) on its WebGPU rows
const browser = browserRuns.flatMap((r) => (r.results ?? []).map((x) => ({
  ...x, adapter: x.backend === 'cpu' ? null : r.page?.adapterName ?? r.adapter?.name ?? r.adapterName ?? null,
})));

const s = (ms) => (ms === undefined || ms === null || !Number.isFinite(ms) ? '–' : (ms / 1000).toFixed(3));
const findLmm = (id, backend) => lmm.find((r) => r.case === id && r.backend === backend && !r.auto && !r.error);
const findGlmm = (id, backend) => glmm.find((r) => r.case === id && r.backend === backend && !r.error);
// an 'auto' GLMM fit's choice, from its backend label ("webgpu (…), float32 …" or "cpu (…), float64")
const glmmChosen = (o) => String(o.backendLabel ?? '').split(' ')[0] || '?';

// the targets (each: measured, limit, met); a case that was not run says so
const targets = [];
const t10 = findLmm('10m', 'webgpu');
targets.push({ target: '10M rows / 100k groups y ~ x + w + (x | g), webgpu, whole lmer() call', limit: '< 2 s',
  measured: t10 ? `${s(t10.timings?.totalMs)} s` : 'not run', met: t10 ? t10.timings.totalMs < 2000 : null });
// the LMM has no data pass on the GPU: the rows are read once on the CPU into the float64 Gram matrix,
// and the GPU receives the first block's entries of it (src/backend/webgpu/blockdiag.ts)
targets.push({ target: '10M rows: data pass bandwidth / measured read bandwidth', limit: '≥ 50%',
  measured: t10 ? `no GPU data pass: the rows are read once on the CPU (float64 Gram matrix ${s(t10.timings?.gramMs)} s); the GPU gets ${((t10.timings?.gpuUploadBytes ?? NaN) / 1e6).toFixed(1)} MB of Gram entries (upload ${s(t10.timings?.gpuUploadMs)} s)` : 'not run',
  met: null });
const ti = findLmm('insteval', 'webgpu');
targets.push({ target: 'InstEval y ~ service + (1 | s) + (1 | d) + (1 | dept:service), webgpu', limit: '< 0.5 s',
  measured: ti ? `${s(ti.timings?.totalMs)} s` : 'not run', met: ti ? ti.timings.totalMs < 500 : null });
const tg = findGlmm('glmm1m', 'webgpu');
targets.push({ target: '1M-row binomial GLMM y ~ x + w + (1 | g), 50k groups, webgpu', limit: '< 5 s',
  measured: tg ? `${s(tg.timings?.totalMs)} s` : 'not run', met: tg ? tg.timings.totalMs < 5000 : null });
// with --auto: the same cases as the backend rule fits them (its choice in brackets), where they were run
for (const [id, label, limit, r, chosen] of [
  ['10m', '10M rows / 100k groups y ~ x + w + (x | g), whole lmer() call', 2000, lmm.find((x) => x.case === '10m' && x.auto && !x.error), (x) => x.backend],
  ['insteval', 'InstEval', 500, lmm.find((x) => x.case === 'insteval' && x.auto && !x.error), (x) => x.backend],
  ['glmm1m', '1M-row binomial GLMM', 5000, findGlmm('glmm1m', 'auto'), (x) => glmmChosen(x)],
]) {
  if (r) targets.push({ target: `${label}, auto (${chosen(r)})`, limit: `< ${limit / 1000} s`, measured: `${s(r.timings?.totalMs)} s`, met: r.timings.totalMs < limit });
}

const summary = {
  date: new Date().toISOString(),
  quick,
  machine: lmmRuns[0]?.machine ?? glmmRuns[0]?.machine ?? kinshipRuns[0]?.machine ?? null,
  git: lmmRuns[0]?.git ?? glmmRuns[0]?.git ?? kinshipRuns[0]?.git ?? null,
  adapter, bandwidth, targets,
  lmm, glmm, kinship, browser, browserSkipped,
  commands: [...lmmRuns, ...glmmRuns, ...kinshipRuns, ...browserRuns].map((r) => r.command).filter(Boolean),
};
writeFileSync(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');

const md = [];
const table = (head, rows) => [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i ? '--:' : ':--')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
md.push(`# GPU run ${summary.date}${quick ? ' (quick sizes: targets not comparable)' : ''}`);
md.push('');
const m = summary.machine;
if (m) md.push(`Machine: ${m.cpu ?? ''} (${m.cores ?? '?'} cores), ${m.memGiB ?? m.memoryGiB ?? '?'} GiB; node ${m.node ?? ''}; commit ${summary.git?.commit ?? '?'}${summary.git?.modified?.length ? ' (modified)' : ''}${m.hugePages ? `; huge pages ${m.hugePages}` : ''}`);
md.push(`Adapter: ${adapter ? `${adapter.adapterName}${adapter.isSoftware ? ' (software)' : ''}` : 'unknown'}` +
  (bandwidth ? `; measured read ${bandwidth.readGBps.toFixed(1)} GB/s, copy ${bandwidth.copyGBps.toFixed(1)} GB/s` : ''));
md.push('');
md.push(table(['target', 'limit', 'measured', 'met'], targets.map((t) => [t.target, t.limit, t.measured, t.met === null ? '–' : t.met ? 'yes' : 'no'])));
md.push('');
if (!lmm.length) md.push('LMM (bench/gpu.ts): not run');
else {
md.push('LMM (bench/gpu.ts):');
md.push('');
md.push(table(['case', 'backend', 'rows', 'frame (s)', 'Gram f64 (s)', 'GPU setup (s)', 'upload (MB)', 'upload (ms)', 'per eval (ms)', 'device eval: wait / host / dense upload (ms)', 'evals (+ polish)', 'optimize (s)', 'polish (s)', 'fit total (s)', 'f32 objective error', 'objective'],
  lmm.map((r) => r.error ? [r.case, r.auto ? `auto (${r.backend})` : r.backend, `failed: ${String(r.error).replace(/\|/g, '/').slice(0, 120)}`, '', '', '', '', '', '', '', '', '', '', '', ''] : [
    r.case, r.auto ? `auto (${r.backend})` : r.backend, (r.n ?? 0).toLocaleString('en-US'), s(r.timings?.frameMs), s(r.timings?.gramMs),
    r.backend === 'webgpu' ? s(r.timings?.gpuSetupMs) : '–', r.backend === 'webgpu' ? ((r.timings?.gpuUploadBytes ?? NaN) / 1e6).toFixed(2) : '–',
    r.backend === 'webgpu' ? (r.timings?.gpuUploadMs ?? NaN).toFixed(1) : '–', (r.timings?.perEvaluationMs ?? NaN).toFixed(2),
    r.timings?.gpuEvalWaitMs !== undefined ? `${r.timings.gpuEvalWaitMs.toFixed(2)} / ${r.timings.gpuEvalHostMs.toFixed(2)} / ${r.timings.gpuDenseUploadMs !== undefined ? r.timings.gpuDenseUploadMs.toFixed(2) : '–'}` : '–',
    `${r.evals}${r.backend === 'webgpu' ? ` + ${r.polishEvals ?? 0}` : ''}`, s(r.timings?.optimizeMs), r.backend === 'webgpu' ? s(r.timings?.polishMs) : '–',
    s(r.timings?.totalMs), r.gpuCheck ? r.gpuCheck.objectiveError.toExponential(2) : '–', String(r.objective),
  ])));
}
md.push('');
if (glmm.length) {
  md.push('GLMM (bench/run.ts, binomial; Laplace unless nAGQ says otherwise):');
  md.push('');
  // the polish: its evaluations (device and float64 together) and, when the Newton polish was tried, its Hessian's source
  const polishOf = (o) => o.polishEvals === undefined ? '–'
    : `${o.polishEvals}${o.newton ? ` (Newton, ${o.newton.hessian ?? 'no'} Hessian${o.newton.ok ? '' : ', then BOBYQA'}: ${o.newton.f64Evaluations} float64)` : ''}`;
  md.push(table(['case', 'formula', 'nAGQ', 'backend', 'rows', 'setup (s)', 'stage 1 (s)', 'stage 2 (s)', 'polish (s)', 'polish evals', 'Hessian (s)', 'evals (1 + 2 + all)', 'fit total (s)', 'f32 objective error', '−2ℓ'],
    glmm.map((o) => o.error ? [o.case, o.formula ?? '', '', o.backend, `failed: ${String(o.error).replace(/\|/g, '/').slice(0, 120)}`, '', '', '', '', '', '', '', '', '', ''] : [
      o.case, (o.formula ?? '').replace(/\|/g, '\\|'), String(o.nAGQ ?? 1), o.backend === 'auto' ? `auto (${glmmChosen(o)})` : o.backend, o.n.toLocaleString('en-US'), s((o.timings.frameMs ?? 0) + (o.timings.setupMs ?? 0) + (o.timings.gpuSetupMs ?? 0)),
      s(o.timings.stage1Ms), s(o.timings.stage2Ms), s(o.timings.polishMs), polishOf(o), s(o.timings.hessianMs),
      `${o.fevalStage1} + ${o.fevalStage2} + ${o.feval}`, s(o.timings.totalMs),
      o.gpuObjectiveError !== undefined ? o.gpuObjectiveError.toExponential(2) : '–', String(o.objective),
    ])));
  md.push('');
}
if (kinship.length) {
  md.push('Kinship (bench/kinship.ts, y ~ x + (1 | id), dense K, REML):');
  md.push('');
  md.push(table(['levels', 'backend', 'device', 'rows', 'frame + K factor (s)', 'Gram + F transform (s)', 'per eval (ms)', 'evals (+ polish)', 'fit total (s)', 'peak RSS (MiB)', 'f32 objective error', 'REML criterion'],
    kinship.map((r) => r.error ? [String(r.levels), r.backend, `failed: ${String(r.error).replace(/\|/g, '/').slice(0, 120)}`, '', '', '', '', '', '', '', '', ''] : [
      String(r.levels), r.backend, r.device, (r.rows ?? 0).toLocaleString('en-US'), s(r.timings?.frameMs), s(r.timings?.gramMs),
      (r.timings?.perEvaluationMs ?? NaN).toFixed(0), `${r.feval}${r.gpuCheck?.polishEvaluations !== undefined ? ` + ${r.gpuCheck.polishEvaluations}` : ''}`,
      (r.totalS ?? NaN).toFixed(1), (r.peakRssMiB ?? NaN).toFixed(0),
      r.gpuCheck && Number.isFinite(r.gpuCheck.objectiveError) ? r.gpuCheck.objectiveError.toExponential(2) : '–', String(r.objective),
    ])));
  md.push('');
}
if (browser.length) {
  md.push('Browser (bench/browser.ts, headless Chromium):');
  md.push('');
  md.push(table(['case', 'backend', 'rows', 'GPU setup (ms)', 'per eval (ms)', 'fit total (s)', 'adapter'],
    browser.map((r) => r.error ? [r.case, r.backend, `failed: ${String(r.error).slice(0, 120)}`, '', '', '', ''] : [
      r.case, r.backend, (r.n ?? 0).toLocaleString('en-US'), r.backend === 'webgpu' ? (r.timings?.gpuSetupMs ?? NaN).toFixed(1) : '–',
      (r.timings?.perEvaluationMs ?? NaN).toFixed(2), s(r.timings?.totalMs), r.adapter ?? '–',
    ])));
} else {
  md.push(`Browser: ${browserSkipped ?? 'not run'}`);
}
md.push('');
md.push('Commands:');
for (const c of summary.commands) md.push(`- \`${c}\``);
writeFileSync(join(outDir, 'summary.md'), md.join('\n') + '\n');
console.log(`summary: ${join(outDir, 'summary.json')}, ${join(outDir, 'summary.md')}`);
