/**
 * nlme's intervals(fit): approximate confidence intervals. Fixed effects: β̂ ± t_{1−α/2, DF} SE (lme: nlme's
 * DF, and an ML fit's SE without summary's N/(N − p); gls: N − p). The variance parameters: on nlme's "natural" scale η — the random effects' log SDs and
 * their correlations' log((1 + r)/(1 − r)), the variance function's and correlation structure's
 * unconstrained parameters (corSymm: each correlation's log((1 + ρ)/(1 − ρ)), nlme's corNatural), log σ — by the normal approximation η̂ ± z_{1−α/2} √V_kk with
 * V = (−∇²ℓ(η̂))⁻¹, the Hessian of the (restricted) log-likelihood at a given σ (not profiled),
 *   −2ℓ(θ, ψ, σ) = log|L_θ|² [+ log|R_X|²] + (n [− p]) log(2πσ²) + r²(θ, ψ)/σ² + log|R(ψ)|,
 * by central differences with steps 1e-3 and 5e-4 on η and Richardson's extrapolation (`step` for a check); the ends mapped back to SDs, correlations, σ and the
 * structures' constrained parameters.
 */
import { NotPositiveDefiniteError, spdInverse } from '../linalg/dense.js';
import { symmetricEigen } from '../linalg/symmetricEigen.js';
import { devianceAtSigma } from '../lmm/deviance.js';
import { FitError, OptionError } from '../errors/errors.js';
import { qnorm, qt } from '../stats/distributions.js';
import { evaluateLme, modelRows } from './objective.js';
import { evaluateGls } from './gls.js';
import type { LmeFit } from './lmeFit.js';
import type { GlsFit } from './glsFit.js';
import type { ResidualCovariance } from './whitening.js';
import { fillBlockTheta, levelUnits, naturalParameters } from './pdMat.js';

export interface IntervalTable { names: string[]; lower: number[]; est: number[]; upper: number[] }

export interface NlmeIntervals {
  level: number;
  fixed: IntervalTable;
  /** the random effects' SDs and correlations (lme; several levels: theirs in turn, outermost first) */
  reStruct: IntervalTable | null;
  /** each level's (lme), outermost first */
  reStructLevels?: { level: string; table: IntervalTable }[];
  corStruct: IntervalTable | null;
  varStruct: IntervalTable | null;
  /** σ: [lower, est, upper] */
  sigma: [number, number, number];
}

function checkLevel(level: number): void {
  if (!(level > 0 && level < 1)) throw new OptionError('level', `level must be strictly between 0 and 1, got ${level}`);
}

/**
 * The Hessian of f at x: central differences with steps h and h/2, combined by Richardson's
 * extrapolation H = (4 H(h/2) − H(h)) / 3, which removes the O(h²) term.
 */
function hessian(f: (x: Float64Array) => number, x: Float64Array, h: number): Float64Array {
  const a = centralHessian(f, x, h), b = centralHessian(f, x, h / 2);
  return b.map((v, i) => (4 * v - a[i]) / 3);
}

function centralHessian(f: (x: Float64Array) => number, x: Float64Array, h: number): Float64Array {
  const k = x.length;
  const H = new Float64Array(k * k);
  const at = (d: [number, number][]) => { const y = Float64Array.from(x); for (const [i, s] of d) y[i] += s * h; return f(y); };
  const f0 = f(x);
  for (let i = 0; i < k; i++) {
    H[i * k + i] = (at([[i, 1]]) - 2 * f0 + at([[i, -1]])) / (h * h);
    for (let j = 0; j < i; j++) {
      const v = (at([[i, 1], [j, 1]]) - at([[i, 1], [j, -1]]) - at([[i, -1], [j, 1]]) + at([[i, -1], [j, -1]])) / (4 * h * h);
      H[i * k + j] = v; H[j * k + i] = v;
    }
  }
  return H;
}

/**
 * The smallest eigenvalue of the Hessian relative to its largest, λ_min/λ_max, below which intervals()
 * refuses. On a ridge of the likelihood (a random intercept and corCompSymm or corSymm in the same
 * groups: only σ_b² + σ² and σ_b² + ρσ² identified) the Hessian is singular and ours gives
 * λ_min/λ_max of 4e-11 to 6e-9 (its finite-difference noise; Orthodont's two ridges, steps 1e-3 to
 * 1e-2); the fits whose intervals are tested against nlme's have 2.3e-4 (Orthodont's varPower with
 * random slopes) and more. 1e-6 lies between, 2.4 decades from each; an eigenvalue that small would
 * give a combination of the natural parameters an SD of √(2/λ_min) ≥ 60 on the log scale.
 */
export const HESSIAN_RATIO_MIN = 1e-6;

/**
 * V = 2 H⁻¹ for H the Hessian of −2ℓ. Refused (a FitError) where H's eigenvalues λ_max ≥ … ≥ λ_min
 * (symmetricEigen) have λ_min ≤ HESSIAN_RATIO_MIN λ_max, or λ_max ≤ 0: nlme's "Non-positive definite
 * approximate variance-covariance", which nlme's intervals() gives where its own Hessian (fdHess) has
 * an eigenvalue ≤ 0. On a ridge nlme's fdHess is noisy enough that nlme refuses or not by where it
 * stops (test/oracle/nlme5.R: each of Orthodont's two ridges is refused at one of nlme's two fits, the
 * default control's and the tight one's, and given nonsense-wide or arbitrary intervals at the other);
 * ours refuses at both.
 */
function approximateCovariance(H: Float64Array, k: number): Float64Array {
  const ev = symmetricEigen(H, k).values;
  const lmax = ev[0], lmin = ev[k - 1];
  if (!(lmax > 0 && lmin > HESSIAN_RATIO_MIN * lmax)) {
    throw new FitError(`intervals: Non-positive definite approximate variance-covariance: the Hessian of the log-likelihood in the variance parameters (on nlme's natural scale) has smallest eigenvalue ${lmin.toPrecision(3)}, ${(lmin / lmax).toPrecision(3)} of its largest (${lmax.toPrecision(3)}), below ${HESSIAN_RATIO_MIN.toExponential()}: a parameter is not identified (a ridge of the likelihood: a random intercept and a correlation structure in the same groups identify only their sums) or at a boundary, and nlme's approximate intervals do not exist (the fixed effects' are in tTable: Value ± t × Std.Error)`);
  }
  try {
    return spdInverse(H, k, 'the Hessian').inv.map((v) => 2 * v);
  } catch (e) {
    if (!(e instanceof NotPositiveDefiniteError)) throw e;
    throw new FitError(`intervals: Non-positive definite approximate variance-covariance: the Hessian of the log-likelihood in the variance parameters could not be inverted (smallest eigenvalue ${lmin.toPrecision(3)}, largest ${lmax.toPrecision(3)})`);
  }
}

/** The structures' rows of the intervals: each free parameter's ends mapped to nlme's constrained value. */
function structTable(rc: ResidualCovariance, which: 'vf' | 'cor', psi: Float64Array, lo: Float64Array, hi: Float64Array): IntervalTable | null {
  const s = rc[which];
  if (!s || s.nPar === 0) return null;
  const off = which === 'vf' ? 0 : rc.vf?.nPar ?? 0;
  const own = (v: Float64Array) => v.slice(off, off + s.nPar);
  const est = s.estimates(own(psi));
  const nat = which === 'cor' ? rc.cor?.natural : undefined;
  if (nat) {
    // the ends on nlme's natural scale (lo and hi hold η there), each mapped on its own
    return { names: est.names, lower: nat.values(own(lo)), est: est.values, upper: nat.values(own(hi)) };
  }
  // the free parameters' values: the last nPar (varIdent's first stratum is fixed at 1), or a
  // varComb's places of them
  const shift = est.values.length - s.nPar;
  const free = ('free' in est && est.free) || Array.from({ length: s.nPar }, (_, j) => shift + j);
  const pick = (v: ArrayLike<number>) => free.map((j) => v[j]);
  // the whole vector of lower (upper) ends mapped at once, as nlme's intervals (coef(lmeSt) <- lower):
  // the same as one coordinate at a time except where a constrained value depends on several
  // unconstrained ones (corARMA with p or q ≥ 2, corSymm)
  return {
    names: free.map((j) => est.names[j]),
    lower: pick(s.estimates(own(lo)).values),
    est: pick(est.values),
    upper: pick(s.estimates(own(hi)).values),
  };
}

/**
 * ψ on nlme's natural scale (the correlation structure's part, where it has one: corSymm) and back
 * (null where η gives no valid structure: the criterion +∞ there).
 */
function naturalPsi(rc: ResidualCovariance): { from(psi: Float64Array): Float64Array; to(eta: Float64Array): Float64Array | null } {
  const nat = rc.cor?.natural;
  const off = rc.vf?.nPar ?? 0;
  if (!nat) return { from: (psi) => psi, to: (eta) => eta };
  return {
    from(psi) { const out = Float64Array.from(psi); out.set(nat.from(psi.slice(off)), off); return out; },
    to(eta) {
      const x = nat.to(eta.slice(off));
      if (!x) return null;
      const out = Float64Array.from(eta); out.set(x, off); return out;
    },
  };
}

export function lmeIntervals(fit: LmeFit, level = 0.95, step = 1e-3): NlmeIntervals {
  checkLevel(level);
  const { model, rc } = fit;
  const { n, p } = model.frame;
  const reml = fit.method === 'REML';
  // per level (outermost first): its parameters on nlme's natural scale (pdMat.ts)
  const lv = fit.varCorrLevels;
  // (pdBlocked: each of its blocks' in turn, on its columns)
  const parts = fit.levels.flatMap((l, k) => levelUnits(l, model.blocks[l.block]).map((u) => {
    const block = model.blocks[l.block];
    const cols = Array.from({ length: u.q }, (_, i) => u.col + i);
    const vc = { stdDev: cols.map((c) => lv[k].stdDev[c]), corr: cols.map((r) => cols.map((c) => lv[k].corr[r][c])) };
    return { level: k, unit: u, block, nat: naturalParameters(u.pd, cols.map((c) => block.cnames[c]), u.lhs, vc) };
  }));
  // η = (per level its natural parameters; ψ; log σ)
  const offsets: number[] = [];
  const etaRe: number[] = [];
  for (const part of parts) { offsets.push(etaRe.length); etaRe.push(...part.nat.eta); }
  const nRe = etaRe.length, nPsi = fit.psi.length;
  const nat = naturalPsi(rc);
  const eta0 = Float64Array.from([...etaRe, ...nat.from(fit.psi), Math.log(fit.sigma)]);
  const base = modelRows(model);
  const m2ll = (eta: Float64Array): number => {
    const sigma = Math.exp(eta[eta.length - 1]);
    const theta = new Float64Array(model.theta.length);
    for (const [t, { block, unit, nat }] of parts.entries()) {
      // Ψ/σ² = Λ Λᵀ; θ its lower Cholesky factor, at the block's θ indices
      const D = nat.relPsi(eta.subarray(offsets[t], offsets[t] + nat.eta.length), sigma);
      if (!fillBlockTheta(block, D, theta, unit.col, unit.q)) return Infinity;
    }
    const psi = nat.to(eta.slice(nRe, nRe + nPsi));
    if (!psi) return Infinity;
    const ev = evaluateLme(model, rc, base, theta, psi);
    const dev = { ldL2: ev.chol.ldL2, ldRX2: ev.chol.ldRX2, pwrss: ev.chol.pwrss };
    return devianceAtSigma(dev, n, p, reml, 0, sigma * sigma) + ev.logDetR;
  };
  const k = eta0.length;
  const V = approximateCovariance(hessian(m2ll, eta0, step), k);
  const z = qnorm(1 - (1 - level) / 2);
  const lo = eta0.map((e, i) => e - z * Math.sqrt(V[i * k + i]));
  const hi = eta0.map((e, i) => e + z * Math.sqrt(V[i * k + i]));
  const reStructLevels = fit.levels.map((l, k) => {
    const table: IntervalTable = { names: [], lower: [], est: [], upper: [] };
    parts.forEach(({ level: pk, nat }, t) => {
      if (pk !== k) return;
      const o = offsets[t], m = nat.eta.length;
      table.names.push(...nat.names);
      table.lower.push(...nat.back(lo.subarray(o, o + m)));
      table.est.push(...nat.back(eta0.subarray(o, o + m)));
      table.upper.push(...nat.back(hi.subarray(o, o + m)));
    });
    return { level: l.name, table };
  });
  const reStruct: IntervalTable = {
    names: reStructLevels.flatMap((l) => l.table.names), lower: reStructLevels.flatMap((l) => l.table.lower),
    est: reStructLevels.flatMap((l) => l.table.est), upper: reStructLevels.flatMap((l) => l.table.upper),
  };
  const psiLo = lo.slice(nRe, nRe + nPsi), psiHi = hi.slice(nRe, nRe + nPsi);
  // lme's intervals take Var(β̂) without the ML fit's N/(N − p) (nlme's summary scales it, intervals does not)
  const unscale = reml ? 1 : Math.sqrt((n - p) / n);
  const fixed = fixedTable(fit.tTable.map((r) => ({ ...r, StdError: r.StdError * unscale })), level);
  return {
    level, fixed, reStruct, reStructLevels,
    corStruct: structTable(rc, 'cor', fit.psi, psiLo, psiHi),
    varStruct: structTable(rc, 'vf', fit.psi, psiLo, psiHi),
    sigma: [Math.exp(lo[k - 1]), fit.sigma, Math.exp(hi[k - 1])],
  };
}

/**
 * nlme's apVar of a gls fit: V = 2 H⁻¹, H the Hessian of −2ℓ(η) (restricted for REML) at a given σ in
 * η = (ψ on nlme's natural scale, log σ), at the estimates η̂ (a FitError where H is not positive
 * definite: nlme's "Non-positive definite approximate variance-covariance"); `toPsi` maps η's first
 * k − 1 entries back to ψ.
 */
export function glsApVar(fit: GlsFit, step = 1e-3): { V: Float64Array; k: number; eta0: Float64Array; toPsi(eta: Float64Array): Float64Array | null } {
  const { frame, rc } = fit;
  const reml = fit.method === 'REML';
  const df = frame.n - (reml ? frame.p : 0);
  const nat = naturalPsi(rc);
  const eta0 = Float64Array.from([...nat.from(fit.psi), Math.log(fit.sigma)]);
  const k = eta0.length;
  const m2ll = (eta: Float64Array): number => {
    const s2 = Math.exp(2 * eta[k - 1]);
    const psi = nat.to(eta.slice(0, k - 1));
    if (!psi) return Infinity;
    const ev = evaluateGls(frame, rc, psi, reml);
    return df * Math.log(2 * Math.PI * s2) + ev.pwrss / s2 + (reml ? ev.ldXtX : 0) + ev.logDetR;
  };
  return { V: approximateCovariance(hessian(m2ll, eta0, step), k), k, eta0, toPsi: (eta) => nat.to(eta) };
}

export function glsIntervals(fit: GlsFit, level = 0.95, step = 1e-3): NlmeIntervals {
  checkLevel(level);
  const { rc } = fit;
  const { V, k, eta0 } = glsApVar(fit, step);
  const z = qnorm(1 - (1 - level) / 2);
  const lo = eta0.map((e, i) => e - z * Math.sqrt(V[i * k + i]));
  const hi = eta0.map((e, i) => e + z * Math.sqrt(V[i * k + i]));
  return {
    level, fixed: fixedTable(fit.tTable, level), reStruct: null,
    corStruct: structTable(rc, 'cor', fit.psi, lo, hi),
    varStruct: structTable(rc, 'vf', fit.psi, lo, hi),
    sigma: [Math.exp(lo[k - 1]), fit.sigma, Math.exp(hi[k - 1])],
  };
}

function fixedTable(t: { name: string; Value: number; StdError: number; DF: number }[], level: number): IntervalTable {
  const half = t.map((r) => qt(1 - (1 - level) / 2, r.DF) * r.StdError);
  return { names: t.map((r) => r.name), lower: t.map((r, j) => r.Value - half[j]), est: t.map((r) => r.Value), upper: t.map((r, j) => r.Value + half[j]) };
}
