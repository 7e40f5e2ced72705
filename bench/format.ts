/**
 * Table formatting and the per-fit record of the GPU benchmarks. Browser-safe (no Node imports):
 * shared by bench/gpu.ts (Node, Dawn), bench/browser.ts and the page in bench/browser/.
 */
import type { LmmFit } from '../src/lmm/lmmFit.js';
import type { BandwidthResult } from './bandwidth.js';
import { nominalBandwidth } from './bandwidth.js';

export const f1 = (x: number | undefined | null, d = 1): string => (x === undefined || x === null || !Number.isFinite(x) ? '–' : x.toFixed(d));
export const sec = (ms: number | undefined | null): string => (ms === undefined || ms === null || !Number.isFinite(ms) ? '–' : (ms / 1000).toFixed(2));

/** A Markdown table: the first column left-aligned, the others right-aligned. */
export function mdTable(head: string[], rows: string[][]): string {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i === 0 ? ':--' : '--:')).join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** One fit of a GPU benchmark (webgpu or cpu backend). */
export interface FitRow {
  case: string;
  /** the backend the fit ran on (for `auto`, the one it chose) */
  backend: 'webgpu' | 'cpu';
  /** the fit asked for backend 'auto' (src/backend/select.ts: one measured evaluation on each decides) */
  auto?: boolean;
  n?: number;
  ngroups?: Record<string, number>;
  /** generating the data (gen) or reading the CSV (read), ms; not part of the fit */
  dataMs?: number;
  dataKind?: 'generate' | 'read';
  /** the fit's own timings (ms): frameMs, gramMs, gpuSetupMs, gpuUploadMs, gpuUploadBytes, gpuCompileMs, optimizeMs, perEvaluationMs, polishMs, solveMs, totalMs */
  timings?: Record<string, number>;
  /** wall clock around the lmer() call, ms */
  fitWallMs?: number;
  /** objective evaluations by the fit's backend (the GPU's for webgpu), and of the float64 polish */
  evals?: number;
  polishEvals?: number;
  objective?: number;
  theta?: number[];
  converged?: boolean;
  messages?: string[];
  /** fit.backend: device (adapter) and precision */
  device?: string;
  precision?: string;
  gpuCheck?: LmmFit['gpuCheck'];
  /** memory: peak RSS of the worker process (Node) or the page's JS heap after the fit (browser), MiB */
  memMB?: number;
  /** RSS (Node) or JS heap (browser) once the data existed, before the fit, MiB */
  memAfterDataMB?: number;
  error?: string;
}

/** The benchmark's record of a fit. */
export function fitRow(caseId: string, backend: 'webgpu' | 'cpu' | 'auto', fit: LmmFit, fitWallMs: number): FitRow {
  const polishEvals = fit.gpuCheck?.polishEvaluations ?? 0;
  return {
    case: caseId,
    backend: backend === 'auto' ? (fit.backend.name === 'webgpu' ? 'webgpu' : 'cpu') : backend,
    ...(backend === 'auto' ? { auto: true } : {}),
    n: fit.nobs,
    ngroups: fit.ngroups,
    timings: { ...fit.timings },
    fitWallMs,
    evals: fit.feval - polishEvals,
    polishEvals,
    objective: fit.objective,
    theta: Array.from(fit.theta),
    converged: fit.converged,
    messages: [...fit.messages],
    device: fit.backend.device,
    precision: fit.backend.precision,
    ...(fit.gpuCheck ? { gpuCheck: { ...fit.gpuCheck } } : {}),
  };
}

/** A row's backend as the tables show it: `auto (webgpu)` for an 'auto' fit that chose WebGPU. */
export function backendLabel(r: Pick<FitRow, 'backend' | 'auto'>): string {
  return r.auto ? `auto (${r.backend})` : r.backend;
}

/**
 * The per-fit table: a webgpu row and a cpu row per case. The LMM has no data pass on the GPU (the
 * rows are read once on the CPU into the float64 Gram matrix: 'Gram f64'); the GPU's setup is the
 * upload of the first block's Gram entries and the pipelines' compilation. memLabel names the
 * memory column (peak RSS in Node, JS heap in the browser).
 */
export function gpuTable(rows: FitRow[], memLabel = 'peak RSS (MiB)'): string {
  const head = [
    'case', 'backend', 'rows', 'groups', 'data (s)', 'frame (s)', 'Gram f64 (s)', 'GPU setup (s)', 'upload (s)', 'upload (MB)', 'compile (s)',
    'per eval (ms)', 'device eval: wait / host (ms)', 'evals (+ polish)', 'optimize (s)', 'polish (s)', 'solve (s)', 'fit total (s)', memLabel,
    'GPU f32 objective error', 'Δ objective (webgpu − cpu)',
  ];
  const cpuObjective = new Map<string, number>();
  for (const r of rows) if (r.backend === 'cpu' && !r.auto && r.objective !== undefined) cpuObjective.set(r.case, r.objective);
  const out: string[][] = [];
  for (const r of rows) {
    const t = r.timings ?? {};
    const gpu = r.backend === 'webgpu';
    const g = (x: string): string => (gpu ? x : '–');
    const ref = cpuObjective.get(r.case);
    const delta = gpu && ref !== undefined && r.objective !== undefined ? (r.objective - ref).toExponential(2) : '–';
    if (r.error) {
      out.push([r.case, backendLabel(r), 'failed: ' + r.error.replace(/\|/g, '\\|').slice(0, 160), ...head.slice(3).map(() => '–')]);
      continue;
    }
    out.push([
      r.case, backendLabel(r), r.n !== undefined ? r.n.toLocaleString('en-US') : '–',
      r.ngroups ? Object.values(r.ngroups).join(' / ') : '–',
      r.dataMs !== undefined ? `${sec(r.dataMs)} ${r.dataKind === 'read' ? '(read)' : '(gen)'}` : '–',
      sec(t.frameMs), sec(t.gramMs),
      g(sec(t.gpuSetupMs)), g(sec(t.gpuUploadMs)), g(f1((t.gpuUploadBytes ?? NaN) / 1e6, 2)), g(sec(t.gpuCompileMs)),
      f1(t.perEvaluationMs, 2), g(t.gpuEvalWaitMs !== undefined ? `${f1(t.gpuEvalWaitMs, 2)} / ${f1(t.gpuEvalHostMs, 2)}` : '–'), r.evals !== undefined ? `${r.evals}${gpu ? ` + ${r.polishEvals ?? 0}` : ''}` : '–',
      sec(t.optimizeMs), g(sec(t.polishMs)), sec(t.solveMs), sec(t.totalMs), f1(r.memMB, 0),
      gpu && r.gpuCheck ? r.gpuCheck.objectiveError.toExponential(2) : '–', delta,
    ]);
  }
  return mdTable(head, out);
}

/** Lines describing the adapter and its measured bandwidth, for the reports. */
export function bandwidthLines(adapterName: string | null, isSoftware: boolean | null, bw: BandwidthResult | null, bwError?: string): string[] {
  const lines: string[] = [];
  if (adapterName) lines.push(`Adapter: ${adapterName}${isSoftware ? ' — a software (CPU) implementation: the figures show overheads, not GPU speed' : ''}`);
  const nominal = adapterName ? nominalBandwidth(adapterName) : null;
  if (bw) {
    lines.push(`Measured bandwidth (${f1(bw.bytes / 2 ** 20, 0)} MiB buffer, best of ${bw.trials} × ${bw.passesPerTrial} passes): ` +
      `read kernel ${f1(bw.readGBps, 1)} GB/s, copyBufferToBuffer ${f1(bw.copyGBps, 1)} GB/s (read + write)` +
      (nominal ? `; nominal ${nominal.label}: the read kernel reaches ${f1((100 * bw.readGBps) / nominal.GBps, 0)}%` : ''));
  } else if (bwError) {
    lines.push(`Bandwidth measurement failed: ${bwError}`);
  }
  if (!nominal && adapterName) lines.push('Nominal bandwidth: unknown for this adapter (known: H100, H200, A100).');
  return lines;
}
