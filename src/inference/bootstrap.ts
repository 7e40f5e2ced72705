/**
 * The parametric bootstrap of a linear mixed model (lme4's bootMer with its default FUN of
 * confint(method = "boot"): the SDs and correlations, σ and β of each refit), at scale:
 *
 * - the design and the data do not change between replicates, only y: each batch of replicates is
 *   simulated and reduced to the y-dependent parts of the Gram matrix in one pass over the rows
 *   (bootstrapGram.ts, or the WebGPU kernel), and every refit works on the Gram matrix alone;
 * - refits are warm-started from the fit. At θ̂ all replicates share the factor of the
 *   y-independent part, so one second-order jet factorization (jetFactor.ts) plus a cheap jet solve
 *   per replicate gives each replicate's exact gradient g_r and Hessian H_r there; then Newton steps
 *   θ ← θ − H_r⁻¹ g(θ) with the exact gradient at the replicate's own θ (first-order jets) converge in
 *   two or three steps. A replicate whose Newton iterates leave the parameter space (a boundary fit)
 *   or do not converge is refitted from θ̂ by the core's optimizer, as a fit is (optimizeObjective on
 *   lmmObjective: the θ optimizer's scaling, restarts from the boundary and boundary snap).
 *
 * Percentile intervals follow boot's perc.ci (norm.inter interpolation of the order statistics).
 */
import { OptionError } from '../errors/errors.js';
import { BlockedCholesky } from '../linalg/blockedCholesky.js';
import type { GramMatrix } from '../linalg/gram.js';
import { mapBeta } from '../model/fixedTransform.js';
import type { LmmModel } from '../lmm/model.js';
import { fillTemplate } from '../linalg/template.js';
import { thetaToInternal, thetaToOriginal } from '../model/reparam.js';
import { type SyncLmmBackend, lmmObjective, profiledDeviance } from '../lmm/deviance.js';
import { LMM_OPTIMIZER } from '../lmm/fit.js';
import { Evaluations, abortError, macrotask } from '../model/control.js';
import { optimizeObjective } from '../model/fitObjective.js';
import { solveLmm } from '../lmm/solution.js';
import { choleskyInPlace, solveLower, solveLowerT } from '../linalg/dense.js';
import { type BootstrapGramBatch, type BootstrapGramInput, bootstrapGramCpu } from '../backend/cpu/bootstrapGram.js';
import { bootstrapGramGroupSums, isOneFactorRows } from '../backend/cpu/bootstrapGroupSums.js';
import { JetSpace } from './jet.js';
import { JetFactorization, schurJets } from './jetFactor.js';
import { thetaTemplates } from './templates.js';
import { thetaToSdcor, varianceParameterNames } from './lmmProfile.js';
import { CounterNormal } from '../model/random.js';
import { BCA_MIN_REPLICATES, type BootType, bootCi, checkBootType, jackknifeInfluence } from './bootCi.js';
import { type Jackknife, jackknifeBlock, jackknifeLmm } from './jackknife.js';
import { OneFactorDeviance, type OneFactorEvaluation, type ResponseParts, isOneFactor } from './oneFactorDeviance.js';

export interface BootstrapProgress {
  done: number;
  nsim: number;
  elapsedMs: number;
}

export interface BootstrapOptions {
  /** number of replicates (≥ 1) */
  nsim: number;
  /** the random seed (an integer; default 1) */
  seed?: number;
  /** replicates simulated per pass over the rows (default 64) */
  batchSize?: number;
  /** 'newton' (default): the warm-started Newton refit, the core's optimizer as fallback; 'bobyqa': the core's optimizer only (BOBYQA on scaled θ) */
  refit?: 'newton' | 'bobyqa';
  /**
   * one grouping factor: refit a batch's replicates together, in rounds of one pass over the levels
   * (oneFactorDeviance.ts; default true); false: each replicate by itself (the general path)
   */
  batchedRefit?: boolean;
  /** where the batches' Gram parts are formed (default: the CPU pass) */
  gramSource?: (input: BootstrapGramInput) => BootstrapGramBatch | Promise<BootstrapGramBatch>;
  onProgress?: (p: BootstrapProgress) => void;
  signal?: AbortSignal;
  /**
   * also refit without each level of a grouping factor (jackknife.ts; BCa's influence values): true
   * for the model's only grouping factor, or the factor's name
   */
  jackknife?: boolean | string;
  /**
   * simulate with these parameters instead of the fit's (simr's powerSim with fixef and sigma
   * changed, powerSim.ts): β_c in the backends' coordinates, σ, and the templates b* = σ T u* is drawn
   * with (default the internal T_c(θ̂); full q × q matrices: the CPU row pass only)
   */
  simulateAt?: { betaC: Float64Array; sigma: number; templates?: Float64Array[] };
  /**
   * each replicate's statistics instead of confint's: `at` receives the factor of the replicate's
   * Gram matrix (factored at its internal θ̂), that θ̂, its σ̂ and β̂_c (powerSim's tests)
   */
  statistic?: { names: string[]; at: (chol: BlockedCholesky, theta: Float64Array, sigma: number, betaC: Float64Array) => Float64Array };
}

export interface BootstrapInput {
  model: LmmModel;
  /** the fit's Gram matrix (read only: the bootstrap works on a copy of its y parts) */
  gram: GramMatrix;
  /** lme4's θ̂ of the fit */
  theta: ArrayLike<number>;
}

export interface BootstrapResult {
  /** lme4's names: sd_…, cor_…, sigma, then the fixed effects */
  names: string[];
  /** the statistics at the fit */
  t0: Float64Array;
  /** the statistics of each replicate (rows), NaN where a refit failed */
  t: Float64Array[];
  /** the refit's deviance (REML criterion for a REML fit) of each replicate */
  deviance: Float64Array;
  /** how each replicate was refitted */
  refits: { newton: number; bobyqa: number; failed: number };
  /** how each replicate was refitted (absent where all were by one method: the glmer bootstrap's) */
  refitOf?: ('newton' | 'bobyqa' | 'failed')[];
  nsim: number;
  seed: number;
  timings: { gramMs: number; refitMs: number; totalMs: number };
  /** the statistics refitted without each level of a grouping factor (BCa's influence values; jackknife.ts) */
  jackknife?: Jackknife;
}

export async function bootstrapLmm({ model, gram, theta }: BootstrapInput, options: BootstrapOptions): Promise<BootstrapResult> {
  const t0 = performance.now();
  const { nsim } = options;
  if (!Number.isInteger(nsim) || nsim < 1) throw new OptionError('nsim', `nsim must be a whole number ≥ 1, got ${nsim}`);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed)) throw new OptionError('seed', `seed must be an integer, got ${seed}`);
  const batchSize = Math.max(1, Math.min(options.batchSize ?? 64, nsim));
  const { frame, blocks, reml } = model;
  const { n, p } = frame;
  const nt = model.theta.length;
  const lower = model.theta.lower;
  // BCa's jackknife: its factor checked before the replicates
  if (options.jackknife && options.statistic) throw new OptionError('jackknife', 'the jackknife computes confint\'s statistics: not with a custom statistic');
  const jackBlock = options.jackknife ? jackknifeBlock(model, options.jackknife) : -1;
  // a private copy of the y parts: A_Xk's last row, A_XX's last row and column
  const work: GramMatrix = { ...gram, AXk: gram.AXk.map((a) => Float64Array.from(a)), AXX: Float64Array.from(gram.AXX) };
  const chol = new BlockedCholesky(work, nt);
  const thetaC = thetaToInternal(model, theta);
  chol.factor(thetaC);
  const sol = solveLmm(chol, n, reml);
  const templates = blocks.map((b) => { const T = new Float64Array(b.q * b.q); fillTemplate(b, thetaC, T); return T; });
  const custom = options.statistic;
  const names = custom ? custom.names : [...varianceParameterNames(frame.reTerms), ...frame.xnames];
  const stats = custom
    ? (th: Float64Array, sigma: number, betaC: Float64Array) => custom.at(chol, th, sigma, betaC)
    : (th: Float64Array, sigma: number, betaC: Float64Array) =>
      Float64Array.from([...thetaToSdcor(frame.reTerms, thetaToOriginal(model, th), sigma), ...mapBeta(model.fixed, betaC)]);
  const t0stats = stats(thetaC, sol.sigma, sol.beta);
  const simBeta = options.simulateAt?.betaC ?? sol.beta, simSigma = options.simulateAt?.sigma ?? sol.sigma;
  const rng = new CounterNormal(seed);
  // one grouping factor: the levels' sufficient statistics (O(levels) a replicate); else the row pass
  const source = options.gramSource ?? (isOneFactorRows(model.rows.blocks) ? bootstrapGramGroupSums : bootstrapGramCpu);
  const objective = (th: Float64Array) => {
    chol.factor(th);
    return profiledDeviance({ ldL2: chol.ldL2, ldRX2: chol.ldRX2, pwrss: chol.pwrss }, n, p, reml, model.sumLogW);
  };
  // the fallback refit: the fit's objective on the replicate's Gram matrix (the work copy), optimized from θ̂ as a fit is
  const replicateBackend: SyncLmmBackend = {
    name: 'cpu', device: 'CPU (JavaScript, float64)', precision: 'float64',
    evaluate: (th) => { chol.factor(th); return { ldL2: chol.ldL2, ldRX2: chol.ldRX2, pwrss: chol.pwrss }; },
  };
  const refitObjective = { ...lmmObjective(model, replicateBackend, replicateBackend), start: thetaC };
  const useNewton = (options.refit ?? 'newton') === 'newton';
  // the shared second-order jet factor at θ̂ (y-independent rows)
  const J2 = new JetSpace(nt, 2);
  const J1 = new JetSpace(nt, 1);
  const shared = useNewton ? new JetFactorization(J2, chol, thetaTemplates(J2, blocks, null, thetaC)) : null;
  // one grouping factor: the replicates of a batch are refitted together from θ̂ with the fit's Hessian there
  let oneFactor: { ev: OneFactorDeviance; H0: Float64Array } | null = null;
  if (shared && (options.batchedRefit ?? true) && isOneFactor(work)) {
    const j0 = devianceJet(J2, shared.ldL2, shared.S, n, p, reml, model.sumLogW);
    const H0 = j0 ? Float64Array.from(J2.unpack(j0).hessian) : null;
    if (H0 && choleskyOk(H0, nt)) oneFactor = { ev: new OneFactorDeviance(work, nt, n, reml, model.sumLogW), H0 };
  }
  const dof = reml ? n - p : n;
  const t: Float64Array[] = [];
  const deviances: number[] = [];
  const refits = { newton: 0, bobyqa: 0, failed: 0 };
  const refitOf: ('newton' | 'bobyqa' | 'failed')[] = [];
  let gramMs = 0, refitMs = 0;
  for (let start = 0; start < nsim; start += batchSize) {
    if (options.signal?.aborted) throw abortError();
    const replicates = Array.from({ length: Math.min(batchSize, nsim - start) }, (_, r) => start + r);
    const tg = performance.now();
    const batch = await source({ n, p, X: model.rows.X, blocks: model.rows.blocks, betaC: simBeta, templates: options.simulateAt?.templates ?? templates, sigma: simSigma, rng, replicates });
    gramMs += performance.now() - tg;
    const tr = performance.now();
    const together = oneFactor
      ? batchedNewton(oneFactor.ev, { B: batch.B, AZy: batch.AZy[0], AXy: batch.AXy, yy: batch.yy }, thetaC, lower, oneFactor.H0)
      : null;
    for (let r = 0; r < batch.B; r++) {
      if (options.signal?.aborted) throw abortError();
      const done = together?.[r];
      if (done) {
        refits.newton++;
        refitOf.push('newton');
        deviances.push(done.evaluation.value);
        // a custom statistic reads the replicate's factor: its y parts in the Gram copy, factored at θ̂_r
        if (custom) { setResponse(work, batch, r); chol.factor(done.theta); }
        t.push(stats(done.theta, Math.sqrt(done.evaluation.pwrss / dof), done.evaluation.betaC));
        continue;
      }
      setResponse(work, batch, r);
      let th: Float64Array | null = null;
      if (shared) {
        th = newtonRefit(shared, work, chol, thetaC, lower, n, p, reml, model.sumLogW, J2, J1);
        if (th) { refits.newton++; refitOf.push('newton'); }
      }
      if (!th) {
        const res = await optimizeObjective(refitObjective, LMM_OPTIMIZER, new Evaluations({ signal: options.signal }));
        if (Number.isFinite(res.fval)) { th = Float64Array.from(res.x); refits.bobyqa++; refitOf.push('bobyqa'); }
      }
      if (!th) {
        refits.failed++;
        refitOf.push('failed');
        t.push(new Float64Array(names.length).fill(NaN));
        deviances.push(NaN);
        continue;
      }
      deviances.push(objective(th));
      const s = solveLmm(chol, n, reml);
      t.push(stats(th, s.sigma, s.beta));
    }
    refitMs += performance.now() - tr;
    options.onProgress?.({ done: t.length, nsim, elapsedMs: performance.now() - t0 });
    // a turn of the event loop between batches: the Newton refits never yield, so without it an
    // abort sent as a message (a browser worker's Cancel) would not be seen before the end
    if (options.signal) await macrotask();
  }
  const jackknife = jackBlock >= 0 ? await jackknifeLmm(model, jackBlock, thetaC, stats, options.signal) : undefined;
  return {
    names, t0: t0stats, t, deviance: Float64Array.from(deviances), refits, refitOf, nsim, seed,
    timings: { gramMs, refitMs, totalMs: performance.now() - t0 }, ...(jackknife ? { jackknife } : {}),
  };
}

/** Writes replicate r's y parts into the Gram copy: A_Xk's last row, A_XX's last row and column. */
function setResponse(g: GramMatrix, batch: BootstrapGramBatch, r: number): void {
  const p = g.p, p1 = p + 1, B = batch.B;
  g.AXk.forEach((A, k) => {
    const m = A.length / p1;
    const src = batch.AZy[k];
    const o = p * m;
    for (let c = 0; c < m; c++) A[o + c] = src[c * B + r];
  });
  for (let j = 0; j < p; j++) g.AXX[p * p1 + j] = g.AXX[j * p1 + p] = batch.AXy[j * B + r];
  g.AXX[p * p1 + p] = batch.yy[r];
}

/**
 * The replicate's optimum by a quasi-Newton method from θ̂: the exact gradient and Hessian at θ̂
 * from the shared jet factor, then steps d = −H⁻¹g with the deviance and its exact gradient at
 * each iterate (one first-order jet factorization), a backtracking line search (Armijo), and BFGS
 * updates of H, until the Newton step is below 1e-8 of θ's scale. Null when an iterate would
 * leave the bounds (a boundary fit: the core's optimizer handles it), H is not positive definite at θ̂, or 30
 * steps do not converge.
 */
function newtonRefit(
  shared: JetFactorization, work: GramMatrix, chol: BlockedCholesky, theta0: Float64Array, lower: Float64Array,
  n: number, p: number, reml: boolean, sumLogW: number, J2: JetSpace, J1: JetSpace,
): Float64Array | null {
  const nt = theta0.length;
  const p1 = p + 1;
  // the replicate's y parts as rows of A_Xk (the last row of the work copy) and S's last row
  const AZy = work.AXk.map((A) => A.subarray(p * (A.length / p1)));
  const AXy = work.AXX.subarray(p * p1, p * p1 + p);
  const { SXy, Syy } = shared.responseRow(AZy, AXy, work.AXX[p * p1 + p]);
  const S = J2.alloc(p1 * p1);
  const nc2 = J2.nc;
  for (let a = 0; a < p; a++) for (let b = 0; b <= a; b++) J2.copy(shared.S, (a * p1 + b) * nc2, S, (a * p1 + b) * nc2);
  for (let b = 0; b < p; b++) J2.copy(SXy, b * nc2, S, (p * p1 + b) * nc2);
  J2.copy(Syy, 0, S, (p * p1 + p) * nc2);
  const j0 = devianceJet(J2, shared.ldL2, S, n, p, reml, sumLogW);
  if (!j0) return null;
  const u0 = J2.unpack(j0);
  const H = Float64Array.from(u0.hessian);
  if (!choleskyOk(H, nt)) return null;
  /** the deviance and its gradient at θ (first-order jets; also the value) */
  const evaluate = (th: Float64Array) => {
    const jf = new JetFactorization(J1, chol, thetaTemplates(J1, work.blocks, null, th));
    const f = devianceJet(J1, jf.ldL2, jf.S, n, p, reml, sumLogW);
    return f ? { value: f[0], gradient: Float64Array.from(J1.unpack(f).gradient) } : null;
  };
  let th: Float64Array = Float64Array.from(theta0);
  let f = u0.value;
  let g: Float64Array = Float64Array.from(u0.gradient);
  for (let it = 0; it < 30; it++) {
    const L = Float64Array.from(H);
    try { choleskyInPlace(L, nt, 'H'); } catch { return null; }
    const d = Float64Array.from(g, (v) => -v);
    solveLower(L, nt, d);
    solveLowerT(L, nt, d);
    const slope = d.reduce((acc, v, k) => acc + v * g[k], 0);
    // converged: the Newton step is below 1e-8 of θ's scale (the deviance is then within about
    // (1e-8)² × its curvature of the optimum); that last step is taken without another evaluation
    if (Math.max(...Array.from(d, Math.abs)) <= 1e-8 * Math.max(1, ...Array.from(th, Math.abs))) {
      const last = th.map((v, k) => v + d[k]);
      return last.some((v, k) => v < lower[k]) ? th : Float64Array.from(last);
    }
    // backtracking (Armijo) on the jets' values; a step that would cross a bound means the
    // optimum may be on it (BOBYQA's case)
    let alpha = 1;
    let next: { th: Float64Array; value: number; gradient: Float64Array } | null = null;
    for (let bt = 0; bt < 30; bt++) {
      const cand = Float64Array.from(th, (v, k) => v + alpha * d[k]);
      if (cand.some((v, k) => v < lower[k])) return null;
      const e = evaluate(cand);
      if (!e) return null;
      if (stepAccepted(f, slope, alpha, e.value, e.gradient, d)) { next = { th: cand, ...e }; break; }
      alpha /= 2;
    }
    if (!next) return null;
    bfgsUpdate(H, nt, next.th.map((v, k) => v - th[k]), next.gradient.map((v, k) => v - g[k]));
    th = next.th;
    f = next.value;
    g = next.gradient;
  }
  return null;
}

/**
 * The quasi-Newton refits of newtonRefit for all replicates of a batch at once (one grouping factor):
 * each round evaluates every replicate still running at its own iterate in one pass over the levels
 * (OneFactorDeviance: the deviance, its exact gradient, β̂ and r²). Each starts at θ̂ with the fit's
 * Hessian there (a replicate's differs from it by O(1/√levels)), then takes steps d = −H⁻¹g with a
 * backtracking (Armijo) line search and BFGS updates of H, until the Newton step is below 1e-8 of
 * θ's scale; the replicate's result is that last iterate (its step, below 1e-8, is not taken). Null
 * for a replicate whose iterate would leave the bounds, whose line search or H fails, or that has
 * not converged in 30 steps: those go through the general path.
 */
function batchedNewton(
  ev: OneFactorDeviance, y: ResponseParts, theta0: Float64Array, lower: Float64Array, H0: Float64Array,
): ({ theta: Float64Array; evaluation: OneFactorEvaluation } | null)[] {
  const nt = theta0.length, B = y.B;
  type State = { th: Float64Array; e: OneFactorEvaluation; H: Float64Array; d: Float64Array; slope: number; alpha: number; steps: number; backtracks: number };
  const state: (State | null)[] = new Array(B).fill(null);
  const result: ({ theta: Float64Array; evaluation: OneFactorEvaluation } | null)[] = new Array(B).fill(null);
  const all = Array.from({ length: B }, (_, r) => r);
  const thetas = new Float64Array(B * nt);
  for (let r = 0; r < B; r++) thetas.set(theta0, r * nt);
  ev.evaluate(y, all, thetas).forEach((e, r) => {
    if (e) state[r] = { th: Float64Array.from(theta0), e, H: Float64Array.from(H0), d: new Float64Array(nt), slope: 0, alpha: 1, steps: 0, backtracks: 0 };
  });
  /** the Newton direction at the state's iterate; false when H is not positive definite */
  const direction = (s: State): boolean => {
    const L = Float64Array.from(s.H);
    try { choleskyInPlace(L, nt, 'H'); } catch { return false; }
    const d = Float64Array.from(s.e.gradient, (v) => -v);
    solveLower(L, nt, d);
    solveLowerT(L, nt, d);
    s.d = d;
    s.slope = d.reduce((acc, v, k) => acc + v * s.e.gradient[k], 0);
    s.alpha = 1;
    s.backtracks = 0;
    return true;
  };
  for (let r = 0; r < B; r++) {
    const s = state[r];
    if (s && !direction(s)) state[r] = null;
  }
  for (;;) {
    // converged replicates leave; the others propose a candidate
    const cols: number[] = [];
    const cand: number[] = [];
    for (let r = 0; r < B; r++) {
      const s = state[r];
      if (!s) continue;
      if (Math.max(...Array.from(s.d, Math.abs)) <= 1e-8 * Math.max(1, ...Array.from(s.th, Math.abs))) {
        result[r] = { theta: s.th, evaluation: s.e };
        state[r] = null;
        continue;
      }
      const c = Array.from(s.th, (v, k) => v + s.alpha * s.d[k]);
      if (c.some((v, k) => v < lower[k])) { state[r] = null; continue; }
      cols.push(r);
      cand.push(...c);
    }
    if (cols.length === 0) break;
    const evals = ev.evaluate(y, cols, Float64Array.from(cand));
    cols.forEach((r, i) => {
      const s = state[r]!;
      const e = evals[i];
      if (!e) { state[r] = null; return; }
      if (!stepAccepted(s.e.value, s.slope, s.alpha, e.value, e.gradient, s.d)) {
        s.alpha /= 2;
        if (++s.backtracks >= 30) state[r] = null;
        return;
      }
      const next = Float64Array.from(cand.slice(i * nt, (i + 1) * nt));
      bfgsUpdate(s.H, nt, next.map((v, k) => v - s.th[k]), e.gradient.map((v, k) => v - s.e.gradient[k]));
      s.th = next;
      s.e = e;
      if (++s.steps >= 30 || !direction(s)) state[r] = null;
    });
  }
  return result;
}

/**
 * The line search's test of the step α d from a point with deviance f and slope gᵀd < 0, given the
 * deviance and gradient at the candidate: Armijo's sufficient decrease, f' ≤ f + 10⁻⁴ α gᵀd; or, where
 * the change in the deviance is below its resolution (10⁻¹³ |f|: at a million rows a sum of about
 * 3·10⁶ whose last digits are rounding), the gradient's: the slope along d at the candidate has
 * fallen, |g'ᵀd| ≤ 0.9 |gᵀd| (the exact gradient still tells where the minimum lies when the values
 * cannot; without it the search stalls near the optimum).
 */
function stepAccepted(f: number, slope: number, alpha: number, fNew: number, gNew: ArrayLike<number>, d: ArrayLike<number>): boolean {
  if (fNew <= f + 1e-4 * alpha * slope) return true;
  if (!(Math.abs(fNew - f) <= 1e-13 * Math.max(1, Math.abs(f)))) return false;
  let slopeNew = 0;
  for (let k = 0; k < d.length; k++) slopeNew += gNew[k] * d[k];
  return Math.abs(slopeNew) <= 0.9 * Math.abs(slope);
}

/** BFGS: H ← H − H s sᵀ H / sᵀHs + y yᵀ / yᵀs (skipped unless yᵀs > 0) */
function bfgsUpdate(H: Float64Array, nt: number, sv: Float64Array, yv: Float64Array): void {
  const ys = yv.reduce((acc, v, k) => acc + v * sv[k], 0);
  if (!(ys > 0)) return;
  const Hs = new Float64Array(nt);
  for (let a = 0; a < nt; a++) for (let b = 0; b < nt; b++) Hs[a] += H[a * nt + b] * sv[b];
  const sHs = Hs.reduce((acc, v, k) => acc + v * sv[k], 0);
  for (let a = 0; a < nt; a++) for (let b = 0; b < nt; b++) H[a * nt + b] += (yv[a] * yv[b]) / ys - (Hs[a] * Hs[b]) / sHs;
}

/** The profiled deviance (REML or ML) as a jet, from log|L|² and S; null if r² ≤ 0. */
function devianceJet(J: JetSpace, ldL2: Float64Array, S: Float64Array, n: number, p: number, reml: boolean, sumLogW: number): Float64Array | null {
  const { ldRX2, pwrss } = schurJets(J, S, p);
  if (!(pwrss[0] > 0)) return null;
  const f = J.alloc(1);
  J.axpy(1, ldL2, 0, f, 0);
  const dof = reml ? n - p : n;
  if (reml) J.axpy(1, ldRX2, 0, f, 0);
  // dof (1 + log(2π r² / dof)) − Σ log w
  J.addLog(pwrss, 0, dof, f, 0);
  f[0] += dof * (1 + Math.log((2 * Math.PI) / dof)) - sumLogW;
  return f;
}

function choleskyOk(H: Float64Array, n: number): boolean {
  try {
    choleskyInPlace(Float64Array.from(H), n, 'H');
    return true;
  } catch {
    return false;
  }
}

export interface PercentileInterval {
  name: string;
  lower: number | null;
  upper: number | null;
}

/**
 * boot.ci's intervals of each statistic (bootCi.ts): perc (default, lme4's confint), basic, norm, or
 * bca (its influence values from the result's jackknife: error when it has none).
 */
export function bootstrapIntervals(result: BootstrapResult, level = 0.95, type: BootType = 'perc'): { intervals: PercentileInterval[]; warnings: string[] } {
  if (!(level > 0 && level < 1)) throw new OptionError('level', `level must be between 0 and 1, got ${level}`);
  type = checkBootType(type);
  const jack = result.jackknife;
  if (type === 'bca') {
    if (!jack) throw new OptionError('type', 'BCa intervals need the jackknife over a grouping factor\'s levels: bootstrap with { jackknife: true } (or the factor\'s name)');
    const finite = result.t.filter((row) => row.some((x) => Number.isFinite(x))).length;
    if (finite < BCA_MIN_REPLICATES) throw new OptionError('nsim', `BCa intervals need at least ${BCA_MIN_REPLICATES} bootstrap replicates, got ${finite}${finite < result.nsim ? ` (of ${result.nsim})` : ''}`);
  }
  const warnings: string[] = [];
  const intervals = result.names.map((name, k) => {
    const L = jack ? jackknifeInfluence(jack.t.map((row) => row[k])) : undefined;
    const ci = bootCi(result.t0[k], result.t.map((row) => row[k]), type, level, L);
    for (const w of ci.warnings) warnings.push(`${name}: ${w}`);
    return { name, lower: ci.lower, upper: ci.upper };
  });
  return { intervals, warnings: [...new Set(warnings)] };
}

/** boot's percentile intervals (perc.ci with norm.inter) of each statistic. */
export function percentileIntervals(result: BootstrapResult, level = 0.95): { intervals: PercentileInterval[]; warnings: string[] } {
  return bootstrapIntervals(result, level, 'perc');
}
