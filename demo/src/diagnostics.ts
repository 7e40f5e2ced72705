/**
 * Worker side: what the diagnostics panel draws, computed over every observation and sent as small
 * typed arrays — residuals against fitted values with a binned smoother, the normal QQ plot of the
 * scaled residuals, the scale–location plot, a normal QQ plot of each term's conditional modes and,
 * for GLMMs, binned residuals (Gelman & Hill) and randomized quantile residuals (Dunn & Smyth).
 * Scatter plots show an evenly spread subset of at most MAX_POINTS observations; the smoothers,
 * bins and quantiles use all of them.
 */
import type { GlmmFit, LmmFit } from '../../src/index.js';
import { dbinomLog, dpoisLog } from '../../src/glmm/rmath.js';
import { qnorm } from '../../src/stats/distributions.js';
import { mulberry32 } from '../../src/stats/mulberry32.js';
import type { BinnedMsg, DiagnosticsMsg, QqMsg } from './protocol.js';

export const MAX_POINTS = 4000;
export const MAX_QQ = 2000;

/** Evenly spread indices 0 … n−1, at most `max` of them. */
export function spread(n: number, max: number): Int32Array {
  if (n <= max) return Int32Array.from({ length: n }, (_, i) => i);
  return Int32Array.from({ length: max }, (_, k) => Math.floor((k * n) / max));
}

/** R's ppoints: (i − a) / (n + 1 − 2a), a = 3/8 for n ≤ 10, else 1/2 (i = 1 … n). */
export function ppoint(i: number, n: number): number {
  const a = n <= 10 ? 3 / 8 : 0.5;
  return (i - a) / (n + 1 - 2 * a);
}

/**
 * Normal QQ points of `values` (at most MAX_QQ, at evenly spread ranks) and R's qqline: the line
 * through the first and third quartiles of the sample and of N(0, 1).
 */
export function qqPoints(values: ArrayLike<number>, max = MAX_QQ): QqMsg {
  const sorted = Float64Array.from(values).filter((v) => Number.isFinite(v)).sort();
  const n = sorted.length;
  const m = Math.min(n, max);
  const theoretical = new Float64Array(m);
  const sample = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const r = m === n ? k : Math.round((k * (n - 1)) / (m - 1));
    theoretical[k] = qnorm(ppoint(r + 1, n));
    sample[k] = sorted[r]!;
  }
  const quant = (p: number) => {
    // R's quantile type 7
    const h = (n - 1) * p;
    const lo = Math.floor(h);
    return sorted[lo]! + (h - lo) * ((sorted[Math.min(n - 1, lo + 1)] ?? sorted[lo]!) - sorted[lo]!);
  };
  const z = qnorm(0.75);
  const slope = n > 1 ? (quant(0.75) - quant(0.25)) / (2 * z) : 1;
  const intercept = n > 0 ? quant(0.75) - slope * z : 0;
  return { n, theoretical, sample, slope, intercept };
}

/**
 * Bins with equal counts along x (nearly equal beyond 50,000 values; shared by every y): for each y, the mean x and
 * mean y of each bin, and ±2 standard errors of the mean y (the binned-residual plot's band when y
 * is a residual).
 */
export function binnedMeansOf(x: Float64Array, ys: Float64Array[], bins: number): BinnedMsg[] {
  const n = x.length;
  // the edges: quantiles of x, from an evenly spread 50,000 of its values when there are more
  // (bins of nearly equal counts without sorting millions)
  const sortedX = Float64Array.from(spread(n, 50_000), (i) => x[i]!).sort();
  const m = sortedX.length;
  const nb = Math.max(1, Math.min(bins, n));
  const edges = new Float64Array(nb - 1);
  for (let b = 1; b < nb; b++) edges[b - 1] = sortedX[Math.floor((b * m) / nb)]!;
  const bin = new Int32Array(n);
  const count = new Int32Array(nb);
  const sx = new Float64Array(nb);
  for (let i = 0; i < n; i++) {
    const xi = x[i]!;
    // the first bin whose upper edge exceeds xi (ties stay in one bin)
    let lo = 0, hi = nb - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xi < edges[mid]!) hi = mid; else lo = mid + 1;
    }
    bin[i] = lo;
    count[lo]!++;
    sx[lo] += xi;
  }
  const keep = Array.from(count.keys()).filter((b) => count[b]! > 0);
  return ys.map((y) => {
    const sy = new Float64Array(nb), syy = new Float64Array(nb);
    for (let i = 0; i < n; i++) {
      const b = bin[i]!;
      sy[b] += y[i]!;
      syy[b] += y[i]! * y[i]!;
    }
    const mx = new Float64Array(keep.length), my = new Float64Array(keep.length), se2 = new Float64Array(keep.length);
    const cnt = new Int32Array(keep.length);
    keep.forEach((b, k) => {
      const c = count[b]!;
      cnt[k] = c;
      mx[k] = sx[b]! / c;
      my[k] = sy[b]! / c;
      const v = c > 1 ? Math.max(0, (syy[b]! - c * my[k]! * my[k]!) / (c - 1)) : 0;
      se2[k] = 2 * Math.sqrt(v / c);
    });
    return { x: mx, y: my, twoSe: se2, count: cnt };
  });
}

export function binnedMeans(x: Float64Array, y: Float64Array, bins: number): BinnedMsg {
  return binnedMeansOf(x, [y], bins)[0]!;
}

/** Σ_{j ≤ k} exp(logDensity(j)), 0 for k < 0. */
function cdf(k: number, logDensity: (j: number) => number): number {
  let s = 0;
  for (let j = 0; j <= k; j++) s += Math.exp(logDensity(j));
  return Math.min(1, s);
}

/**
 * Dunn & Smyth's randomized quantile residuals r = Φ⁻¹(u), u uniform on [F(y⁻), F(y)] under the
 * fitted μ: standard normal when the model is right, also for binary and count responses. Null
 * when the response is not a count (binomial: successes = y·weights must be whole numbers).
 */
export function quantileResiduals(family: string, y: Float64Array, weights: Float64Array, mu: Float64Array, idx: Int32Array, seed = 1): Float64Array | null {
  const rand = mulberry32(seed);
  const out = new Float64Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    let lo: number, hi: number;
    if (family === 'binomial') {
      const trials = weights[i]!;
      const succ = y[i]! * trials;
      if (!Number.isInteger(trials) || Math.abs(succ - Math.round(succ)) > 1e-8) return null;
      const s = Math.round(succ);
      const dens = (j: number) => dbinomLog(j, trials, mu[i]!);
      lo = cdf(s - 1, dens);
      hi = cdf(s, dens);
    } else if (family === 'poisson') {
      const c = y[i]!;
      if (!Number.isInteger(c) || c > 1e6) return null;
      const dens = (j: number) => dpoisLog(j, mu[i]!);
      lo = cdf(c - 1, dens);
      hi = cdf(c, dens);
    } else return null;
    const u = lo + rand() * (hi - lo);
    out[k] = qnorm(Math.min(1 - 1e-16, Math.max(1e-300, u)));
  }
  return out;
}

function pick(a: Float64Array, idx: Int32Array): Float64Array {
  return Float64Array.from(idx, (i) => a[i]!);
}

/** Everything the diagnostics panel draws, and the arrays to transfer. */
export function diagnosticsOf(fit: LmmFit | GlmmFit, glmm: boolean): { msg: DiagnosticsMsg; transfer: Transferable[] } {
  const modesQQ: DiagnosticsMsg['modesQQ'] = [];
  for (const g of fit.ranef) {
    for (const [cname, values] of Object.entries(g.values)) modesQQ.push({ group: g.group, cname, ...qqPoints(values) });
  }
  let msg: DiagnosticsMsg;
  if (!glmm) {
    const lmm = fit as LmmFit;
    const fitted = lmm.fitted;
    // lme4's scaled residuals: Pearson residuals / σ
    const scaled = lmm.pearsonResiduals;
    for (let i = 0; i < scaled.length; i++) scaled[i] = scaled[i]! / lmm.sigma;
    const idx = spread(fitted.length, MAX_POINTS);
    const root = scaled.map((r) => Math.sqrt(Math.abs(r)));
    const [smooth, rootSmooth] = binnedMeansOf(fitted, [scaled, root], 30);
    msg = {
      kind: 'lmer', n: fitted.length, fittedLabel: 'fitted value', residualLabel: 'scaled residual (Pearson / σ)',
      fitted: pick(fitted, idx), resid: pick(scaled, idx),
      smooth: smooth!,
      scaleLoc: { y: pick(root, idx), smooth: rootSmooth! },
      qq: qqPoints(scaled), modesQQ, binned: null, quantileQQ: null,
    };
  } else {
    const g = fit as GlmmFit;
    const mu = g.fitted;
    const pearson = g.residuals('pearson');
    const response = g.residuals('response');
    const idx = spread(mu.length, MAX_POINTS);
    const { y, weights } = g.model.pirls;
    const rqr = quantileResiduals(g.family, y, weights, mu, spread(mu.length, MAX_QQ));
    const root = pearson.map((r) => Math.sqrt(Math.abs(r)));
    const [smooth, rootSmooth] = binnedMeansOf(mu, [pearson, root], 30);
    msg = {
      kind: 'glmer', n: mu.length, fittedLabel: `fitted ${g.family === 'binomial' ? 'probability' : 'mean'} μ̂`, residualLabel: 'Pearson residual',
      fitted: pick(mu, idx), resid: pick(pearson, idx),
      smooth: smooth!,
      scaleLoc: { y: pick(root, idx), smooth: rootSmooth! },
      qq: qqPoints(g.residuals('deviance')),
      modesQQ,
      binned: binnedMeans(mu, response, Math.max(5, Math.min(50, Math.floor(Math.sqrt(mu.length))))),
      quantileQQ: rqr ? qqPoints(rqr) : null,
    };
  }
  return { msg, transfer: transferOf(msg) };
}

/** the typed arrays of a diagnostics message, to transfer rather than copy */
export function transferOf(msg: DiagnosticsMsg): Transferable[] {
  const transfer: Transferable[] = [];
  const add = (a: Float64Array | Int32Array) => { if (!transfer.includes(a.buffer)) transfer.push(a.buffer); };
  const addQ = (q: QqMsg) => { add(q.theoretical); add(q.sample); };
  const addB = (b: BinnedMsg) => { add(b.x); add(b.y); add(b.twoSe); add(b.count); };
  add(msg.fitted); add(msg.resid); addB(msg.smooth); add(msg.scaleLoc.y); addB(msg.scaleLoc.smooth); addQ(msg.qq);
  for (const m of msg.modesQQ) addQ(m);
  if (msg.binned) addB(msg.binned);
  if (msg.quantileQQ) addQ(msg.quantileQQ);
  return transfer;
}

/** fitted values and residuals of every observation used, with its row number in the data (1-based) */
export function residualsCsv(fit: LmmFit | GlmmFit, glmm: boolean): string {
  const rows = fit.model.frame.rows;
  const lines: string[] = [];
  if (!glmm) {
    const lmm = fit as LmmFit;
    const f = lmm.fitted;
    const r = lmm.residuals();
    lines.push('row,fitted,residual,scaled_residual');
    for (let i = 0; i < f.length; i++) lines.push(`${(rows ? rows[i]! : i) + 1},${f[i]},${r[i]},${r[i]! / lmm.sigma}`);
  } else {
    const g = fit as GlmmFit;
    const mu = g.fitted;
    const eta = g.linearPredictor;
    const dev = g.residuals('deviance');
    const pr = g.residuals('pearson');
    const resp = g.residuals('response');
    lines.push('row,fitted,linear_predictor,response_residual,pearson_residual,deviance_residual');
    for (let i = 0; i < mu.length; i++) lines.push(`${(rows ? rows[i]! : i) + 1},${mu[i]},${eta[i]},${resp[i]},${pr[i]},${dev[i]}`);
  }
  return lines.join('\n') + '\n';
}
