/**
 * arm's sim(merMod, n.sims) (Gelman & Hill 2007; arm 1.13-1), which merTools's REsim and FEsim
 * summarize: joint draws of the random and fixed effects (b, β) from their distribution given θ̂,
 * for an LMM with a drawn residual scale.
 *
 * The penalized least-squares system at θ̂ in lme4's parametrization (Bates et al. 2015, eq. 18),
 *   R = [[L_Zᵀ, R_ZX], [0, R_X]],   RᵀR = [[ΛᵀZᵀWZΛ + I, ΛᵀZᵀWX], [XᵀWZΛ, XᵀWX]],
 * makes (u, β) given y and θ normal with mean (û, β̂) and covariance s² R⁻¹R⁻ᵀ, so one draw is
 *   R [δu; δβ] = s z,  z ~ N(0, I_{q+p}):
 *     R_X δβ = s z_β,   L_Zᵀ δu = s z_u − R_ZX δβ,
 *   β* = β̂ + δβ,   b* = b̂ + Λ δu.
 * s: an LMM's residual SD drawn from its scaled inverse χ², s² = pwrss / χ²_{n−p}
 * (arm's sampleCommonScale: 1/rgamma((n − p)/2, pwrss/2)), afresh for each draw; a GLMM's s = 1 (W
 * its working weights at μ̂, lme4's sqrtXwt²).
 *
 * Where we differ from arm 1.13-1 on purpose: arm multiplies δu by Λᵀ (its `t(getME(, "Lambda"))`)
 * instead of Λ — the same for random intercepts (Λ diagonal), not for correlated random slopes, whose
 * draws then do not have the covariance of b given y — and solves with lme4's factor without its
 * fill-reducing permutation (the identity for the models tested). Here b* = b̂ + Λ δu.
 *
 * Draws are counter-based (src/model/random.ts): draw r is a pure function of (seed, r), its z_β from
 * stream ARM_BETA (index j), z_u of block k from stream ARM_U + k (index level·q + column), its χ² from
 * streams ARM_SIGMA_N / ARM_SIGMA_U: n.sims draws are a prefix of n.sims + 1 draws.
 */
import { ModelError } from '../errors/errors.js';
import type { BlockedCholesky } from '../linalg/blockedCholesky.js';
import { solveLowerT } from '../linalg/dense.js';
import { applyTemplate } from '../linalg/template.js';
import { solveLZt } from '../lmm/solution.js';
import type { MixedModel } from '../model/mixedModel.js';
import { CounterNormal, gammaDraw } from '../model/random.js';
import { type GetMEFit, lme4Cholesky, systemWeights } from './getME.js';
import { refuseEngineRows, refuseKnownCovariance } from './knownCovariance.js';

/** the counter streams of a draw */
export const ARM_BETA = 0;
export const ARM_SIGMA_N = 1;
export const ARM_SIGMA_U = 2;
export const ARM_U = 3;

/** What the draws need of a fit: the factor at θ̂ in lme4's parametrization, the estimates and the scale's χ². */
export interface ArmSimSystem {
  chol: BlockedCholesky;
  /** β̂ (p) */
  beta: Float64Array;
  /** b̂ per block (nl · q, level-major) */
  b: Float64Array[];
  /** an LMM's scale: s² = pwrss / χ²_df; null for a GLMM (s = 1) */
  scale: { pwrss: number; df: number } | null;
}

/** Stage: the system of a fit (lmer or glmer with its rows in memory). */
export function armSimSystem(fit: GetMEFit, what: string): ArmSimSystem {
  const model = fit.model as MixedModel & GetMEFit['model'];
  refuseEngineRows(model, what);
  refuseKnownCovariance(model, what, "its draws treat each grouping factor's levels as independent a priori (Λ is the covariance's factor)");
  const W = systemWeights(fit);
  const chol = lme4Cholesky(model, fit.theta, W);
  const { n, p } = model.frame;
  let scale: ArmSimSystem['scale'] = null;
  if (!model.family) {
    // pwrss = ‖W^{1/2}(y − Xβ̂ − ZΛû)‖² + ‖û‖², invariant under the internal parametrization
    const pwrss = fit.parts?.pwrss;
    if (!(pwrss !== undefined && pwrss > 0)) throw new ModelError(`${what}: the fit's penalized residual sum of squares is not available`);
    if (n - p < 2) throw new ModelError(`${what}: the residual scale's χ² needs n − p ≥ 2 degrees of freedom, this fit has ${n - p}`);
    scale = { pwrss, df: n - p };
  }
  return { chol, beta: Float64Array.from(fit.beta), b: model.blocks.map((_, k) => Float64Array.from(fit.conditionalModes(k))), scale };
}

/** One joint draw (β*, b* per block) and its scale s. */
export interface ArmDraw {
  beta: Float64Array;
  b: Float64Array[];
  sigma: number;
}

/**
 * Stage: the draw for spherical z = (z_u per block, z_β) and scale s (module comment): solves
 * R [δu; δβ] = s z and returns (β̂ + δβ, b̂ + Λ δu). A pure function of its arguments (z is not changed).
 */
export function armSimFromNormals(system: ArmSimSystem, zu: Float64Array[], zBeta: Float64Array, s: number): ArmDraw {
  const { chol } = system;
  const p = chol.p1 - 1;
  const blocks = chol.gram.blocks;
  // R_X δβ = s z_β, R_X = (leading p × p of L_XX)ᵀ
  const dBeta = Float64Array.from(zBeta, (v) => s * v);
  solveLowerT(chol.LXX, p, dBeta, 0, 0, chol.p1);
  // w_k = s z_u,k − R_ZX,k δβ (R_ZX = L_XZᵀ: row c of block k is L_XZ[·, c])
  const w = blocks.map((_, k) => {
    const m = chol.m[k];
    const L = chol.LXk[k];
    const out = new Float64Array(m);
    for (let c = 0; c < m; c++) {
      let v = s * zu[k][c];
      for (let r = 0; r < p; r++) v -= L[r * m + c] * dBeta[r];
      out[c] = v;
    }
    return out;
  });
  // L_Zᵀ δu = w
  solveLZt(chol, w);
  // b* = b̂ + Λ δu, Λ's template T_k(θ̂) per level
  const b = blocks.map((blk, k) => {
    const db = applyTemplate(chol.T[k], blk.q, blk.nl, w[k]);
    const bk = system.b[k];
    for (let e = 0; e < db.length; e++) db[e] += bk[e];
    return db;
  });
  const beta = Float64Array.from(system.beta, (v, j) => v + dBeta[j]);
  return { beta, b, sigma: s };
}

/** Stage: draw r (0-based) under `rng` (module comment's streams). */
export function armSimDraw(system: ArmSimSystem, rng: CounterNormal, r: number): ArmDraw {
  const { chol } = system;
  const p = chol.p1 - 1;
  let s = 1;
  if (system.scale) {
    // s² = pwrss / χ²_{df},  χ²_{df} = 2 Gamma(df/2)
    const g = gammaDraw(rng, r, system.scale.df / 2, ARM_SIGMA_N, ARM_SIGMA_U);
    s = Math.sqrt(system.scale.pwrss / (2 * g));
  }
  const zBeta = Float64Array.from({ length: p }, (_, j) => rng.normal(r, ARM_BETA, j));
  const zu = chol.m.map((m, k) => Float64Array.from({ length: m }, (_, e) => rng.normal(r, ARM_U + k, e)));
  return armSimFromNormals(system, zu, zBeta, s);
}
