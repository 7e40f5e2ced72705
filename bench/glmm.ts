/**
 * The GLMM cases of bench/run.ts: a binomial GLMM (glmer, Laplace) on seeded synthetic data
 * (./synth.ts with `family: 'binomial'`), our fit on each backend asked for (each in its own child
 * process) and lme4's glmer on the same data (bench/lme4.R with FAMILY binomial, default
 * glmerControl(), nAGQ = 1).
 *
 * Cases (y ~ Bernoulli(logit⁻¹(2 + 0.5 x − 0.3 w + b0_g + b1_g x)), b0 SD 1, b1 SD 0.5, corr 0.3):
 *   glmm1m          1,000,000 rows, 50,000 groups, y ~ x + w + (1 | g)
 *   glmm1m-slope    1,000,000 rows, 50,000 groups, y ~ x + w + (x | g)
 *   glmm200k        200,000 rows, 10,000 groups, y ~ x + w + (1 | g)
 *   glmm200k-slope  200,000 rows, 10,000 groups, y ~ x + w + (x | g)
 *   glmm1m-crossed  y ~ x + w + (1 | g) + (1 | h), h a crossed factor of 1,000 levels (a dense block)
 *   glmm1m-nested   y ~ x + w + (1 | g) + (1 | g:h), h of 4 levels (200,000 g:h levels at 1m)
 *   glmm1m-agq      y ~ x + w + (1 | g) with nAGQ = 9 (no lme4 run: bench/lme4.R fits nAGQ = 1)
 *   (and the same three at 200k)
 * --rows / --groups override the size (the label becomes glmm-<rows>x<groups>[-slope|-crossed|-nested|-agq]).
 */
import type { BenchCase } from './common.js';
import { f1, gc, mdTable, sec } from './common.js';
import { generateLmmData, type SynthColumns } from './synth.js';
import { writeColumnsCsv } from './write-csv.js';
import { glmer } from '../src/fit/glmer.js';
import { rowChunksHelped, rowChunksShared } from '../src/linalg/rowThreads.js';

export type GlmmBackend = 'cpu' | 'webgpu' | 'auto';

export interface GlmmCase extends BenchCase {
  family: 'binomial';
  /** adaptive Gauss–Hermite points (default 1: Laplace) */
  nAGQ?: number;
}

export const GLMM_CASES = [
  'glmm1m', 'glmm1m-slope', 'glmm1m-crossed', 'glmm1m-nested', 'glmm1m-agq',
  'glmm200k', 'glmm200k-slope', 'glmm200k-crossed', 'glmm200k-nested', 'glmm200k-agq',
] as const;
/** a crossed factor h of 1,000 levels (./synth.ts `crossed`) */
export const GLMM_CROSSED_FORMULA = 'y ~ x + w + (1 | g) + (1 | h)';
/** h of 4 levels nested in g: the g:h levels (4 per group) */
export const GLMM_NESTED_FORMULA = 'y ~ x + w + (1 | g) + (1 | g:h)';

export const GLMM_INTERCEPT_FORMULA = 'y ~ x + w + (1 | g)';
export const GLMM_SLOPE_FORMULA = 'y ~ x + w + (x | g)';

/** The GLMM case of this name, or null when the name is not a GLMM case. */
export function makeGlmmCase(name: string, o: { rows?: number; groups?: number; seed: number }): GlmmCase | null {
  const m = /^glmm(1m|200k)(-slope|-crossed|-nested|-agq)?$/.exec(name);
  if (!m) return null;
  const [n, groups] = m[1] === '1m' ? [1_000_000, 50_000] : [200_000, 10_000];
  const overridden = o.rows !== undefined || o.groups !== undefined;
  const nn = o.rows ?? n;
  const gg = o.groups ?? groups;
  const variant = m[2] ?? '';
  const formula = { '-slope': GLMM_SLOPE_FORMULA, '-crossed': GLMM_CROSSED_FORMULA, '-nested': GLMM_NESTED_FORMULA }[variant] ?? GLMM_INTERCEPT_FORMULA;
  const crossed = variant === '-crossed' ? 1000 : variant === '-nested' ? 4 : 0;
  return {
    id: overridden ? `glmm-${nn}x${gg}${variant}` : name,
    formula,
    REML: false,
    factors: [],
    family: 'binomial',
    ...(variant === '-agq' ? { nAGQ: 9 } : {}),
    source: { kind: 'synthetic', n: nn, groups: gg, seed: o.seed, ...(crossed ? { crossed } : {}) },
  };
}

/** Our fit of a GLMM case on one backend (the worker's record). */
export interface GlmmOursResult {
  backend: GlmmBackend;
  /** the fit's backend label: name (device), precision */
  backendLabel: string;
  n: number;
  ngroups: Record<string, number>;
  /** generating the data in memory, ms (not part of the fit) */
  dataMs: number;
  /** glmer()'s timings (ms): frameMs, setupMs, gpuSetupMs, stage1Ms, stage2Ms, polishMs, hessianMs, assembleMs, totalMs, … */
  timings: Record<string, number>;
  /** wall clock around the glmer() call */
  fitWallMs: number;
  /** CPU time (user + system) of this process during the glmer() call, ms (the comparable figure on a shared machine) */
  fitCpuMs?: number;
  /** evaluations: stage 1 (θ, nAGQ = 0), stage 2 (θ and β; the float64 polish included for webgpu), all (with the Hessian's) */
  fevalStage1: number;
  fevalStage2: number;
  feval: number;
  polishEvals?: number;
  /** the Newton polish, when tried (src/model/polish.ts): converged or why not, its Hessian's source, its evaluations */
  newton?: { ok: boolean; reason: string; steps: number; hessian?: string; deviceEvaluations: number; f64Evaluations: number };
  nAGQ: number;
  /** −2ℓ (Laplace) at the optimum */
  objective: number;
  theta: number[];
  fixef: Record<string, number>;
  se: Record<string, number>;
  converged: boolean;
  messages: string[];
  gpuObjectiveError?: number;
  peakRssMB: number;
  csv?: { path: string; bytes: number; ms: number };
  /** chunks of PIRLS's row work computed by helper threads during the fit (src/linalg/rowThreads.ts) */
  rowChunksHelped: number;
  /** chunks of the jobs run while helpers were there to share them, by any thread */
  rowChunksShared: number;
}

/** The worker's part: generate the data, fit it, and write the CSV for R when asked. */
export async function glmmWorker(spec: GlmmCase, backend: GlmmBackend, csvPath: string | null): Promise<GlmmOursResult> {
  if (spec.source.kind !== 'synthetic') throw new Error('GLMM cases are synthetic');
  gc();
  const t0 = performance.now();
  const d = generateLmmData({ n: spec.source.n, groups: spec.source.groups, seed: spec.source.seed, family: spec.family, crossed: spec.source.crossed });
  const dataMs = performance.now() - t0;
  const columns: SynthColumns = d.columns;
  gc();
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  const helped0 = rowChunksHelped(), shared0 = rowChunksShared();
  const fit = await glmer(spec.formula, d.table, { family: spec.family, factors: spec.factors, backend, nAGQ: spec.nAGQ ?? 1 });
  const fitWallMs = performance.now() - t1;
  const c2 = process.cpuUsage(c1);
  const rowHelped = rowChunksHelped() - helped0, rowShared = rowChunksShared() - shared0;
  console.error(`[${spec.id}] PIRLS row work: ${rowHelped} of ${rowShared} chunks (of jobs shared with helpers) by helper threads`);
  const check = fit.gpuCheck;
  const res: GlmmOursResult = {
    backend,
    backendLabel: `${fit.backend.name} (${fit.backend.device}), ${fit.backend.precision}`,
    n: fit.nobs,
    ngroups: fit.ngroups,
    dataMs,
    timings: fit.timings,
    fitWallMs,
    fitCpuMs: (c2.user + c2.system) / 1e3,
    rowChunksHelped: rowHelped,
    rowChunksShared: rowShared,
    fevalStage1: fit.stage1.feval,
    fevalStage2: fit.feval2,
    feval: fit.feval,
    ...(check ? { polishEvals: check.polishEvaluations, gpuObjectiveError: check.objectiveError, ...(check.newton ? { newton: check.newton } : {}) } : {}),
    nAGQ: spec.nAGQ ?? 1,
    objective: fit.objective,
    theta: Array.from(fit.theta),
    fixef: fit.fixef,
    se: fit.se,
    converged: fit.converged,
    messages: fit.messages,
    peakRssMB: process.resourceUsage().maxRSS / 1024,
  };
  if (csvPath) {
    const t2 = performance.now();
    const bytes = writeColumnsCsv(csvPath, columns, { digits: columns.y.length <= 2_000_000 ? 0 : 10 });
    res.csv = { path: csvPath, bytes, ms: performance.now() - t2 };
  }
  return res;
}

/** bench/lme4.R's line for a glmer fit. */
export interface GlmerResult {
  read_s: number;
  fit_s: number;
  /** the fit's user + system CPU seconds */
  fit_cpu_s?: number;
  /** −2ℓ (Laplace) */
  objective: number;
  theta: number[];
  feval: number;
  fixef: Record<string, number>;
  fixef_se: Record<string, number>;
  nobs: number;
  ngroups: Record<string, number>;
  messages: string[];
  peak_rss_mb: number | null;
  R: string;
  lme4: string;
  blas: string | null;
  wall_s: number;
}

export interface GlmmCaseResult {
  case: string;
  formula: string;
  family: string;
  source: GlmmCase['source'];
  /** our fits, one per backend asked for */
  ours: GlmmOursResult[];
  oursErrors: { backend: GlmmBackend; error: string }[];
  glmer?: GlmerResult;
  glmerError?: string;
  glmerSkipped?: string;
}

/** One row per fit (ours per backend, then glmer), with glmer's time over ours and the −2ℓ difference. */
export function glmmMarkdownTable(results: GlmmCaseResult[]): string {
  const head = [
    'case', 'fit', 'rows', 'groups', 'data (s)', 'frame + setup (s)', 'stage 1 (s)', 'stage 2 (s)', 'Hessian (s)',
    'evals (stage 1 + 2 + Hessian)', 'fit total (s)', 'peak RSS (MiB)', 'glmer / this', 'fit CPU (s)', 'glmer / this (CPU)', '−2ℓ − glmer\'s',
  ];
  const rows: string[][] = [];
  for (const r of results) {
    const l = r.glmer;
    for (const o of r.ours) {
      const t = o.timings;
      const setup = (t.frameMs ?? 0) + (t.setupMs ?? 0) + (t.gpuSetupMs ?? 0);
      const hessEvals = o.feval - o.fevalStage1 - o.fevalStage2;
      const stage2 = o.polishEvals ? `${o.fevalStage2 - o.polishEvals} (+ ${o.polishEvals} polish)` : String(o.fevalStage2);
      const stage2s = o.polishEvals ? `${sec(t.stage2Ms)} (+ ${sec(t.polishMs)} polish)` : sec(t.stage2Ms);
      rows.push([
        r.case, `ours, ${o.backend === 'auto' ? `auto (${o.backendLabel.split(' ')[0]})` : o.backend}`, o.n.toLocaleString('en-US'), Object.values(o.ngroups).join(' / '), `${sec(o.dataMs)} (gen)`,
        sec(setup), sec(t.stage1Ms), stage2s, sec(t.hessianMs), `${o.fevalStage1} + ${stage2} + ${hessEvals}`,
        sec(t.totalMs), f1(o.peakRssMB, 0),
        l ? `${((l.fit_s * 1000) / t.totalMs!).toFixed(2)}×` : '–',
        sec(o.fitCpuMs),
        l?.fit_cpu_s !== undefined && o.fitCpuMs ? `${((l.fit_cpu_s * 1000) / o.fitCpuMs).toFixed(2)}×` : '–',
        l ? (o.objective - l.objective).toExponential(2) : '–',
      ]);
    }
    for (const e of r.oursErrors) rows.push([r.case, `ours, ${e.backend}`, ...Array(head.length - 3).fill('–'), 'failed']);
    if (l) {
      rows.push([
        r.case, 'lme4 glmer', l.nobs.toLocaleString('en-US'), Object.values(l.ngroups).join(' / '), `${l.read_s.toFixed(2)} (read)`,
        '–', '–', '–', '–', `${l.feval} (last optimizer)`, l.fit_s.toFixed(2), f1(l.peak_rss_mb ?? undefined, 0), '1×',
        l.fit_cpu_s !== undefined ? l.fit_cpu_s.toFixed(2) : '–', '1×', '0',
      ]);
    } else {
      rows.push([r.case, 'lme4 glmer', ...Array(head.length - 3).fill('–'), r.glmerSkipped ? 'no R' : 'R failed']);
    }
  }
  return mdTable(head, rows);
}

/** Notes under the table: non-convergence, warnings, failures, and where the estimates differ. */
export function glmmNotes(r: GlmmCaseResult): string[] {
  const notes: string[] = [];
  for (const o of r.ours) {
    if (!o.converged) notes.push(`ours (${o.backend}) did not converge`);
    if (o.messages.length) notes.push(`ours (${o.backend}): ${o.messages.join('; ')}`);
    if (o.gpuObjectiveError !== undefined) notes.push(`GPU f32 objective error at the GPU optimum ${o.gpuObjectiveError.toExponential(2)}`);
    if (r.glmer) {
      const l = r.glmer;
      const dTheta = Math.max(...o.theta.map((t, k) => Math.abs(t - l.theta[k]!)));
      const dBeta = Math.max(...Object.entries(o.fixef).map(([k, v]) => Math.abs(v - l.fixef[k]!) / Math.max(1e-12, l.fixef_se[k]!)));
      notes.push(`ours (${o.backend}) − glmer: max |Δθ| ${dTheta.toExponential(1)}, max |Δβ| ${dBeta.toExponential(1)} standard errors`);
    }
  }
  for (const e of r.oursErrors) notes.push(`ours (${e.backend}): ${e.error}`);
  const lw = r.glmer?.messages ?? [];
  if (lw.length) notes.push(`glmer: ${lw.join('; ')}`);
  if (r.glmerError) notes.push(`glmer: ${r.glmerError}`);
  return notes;
}
