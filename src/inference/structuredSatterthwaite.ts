/**
 * Satterthwaite's ddf for a fit with covariance structures (glmmTMB's ar1, cs, diag, toep;
 * src/model/covStructure.ts): lmerTest's recipe (satterthwaite.ts) with the variance parameters
 * varpar = (x, σ) — the structures' ψ and the other terms' free θ — instead of (θ, σ). With
 * θ = θ(x) and d̃(x, σ) = d(θ(x), σ), the chain rule on satterthwaite.ts's derivatives in θ:
 *
 *   ∂²d̃/∂x_a∂x_b = Σ_kl G_ka (∂²d/∂θ_k∂θ_l) G_lb + Σ_k (∂d/∂θ_k) ∂²θ_k/∂x_a∂x_b,   G = ∂θ/∂x
 *   ∂²d̃/∂x_a∂σ   = Σ_k G_ka ∂²d/∂θ_k∂σ,      ∂²d̃/∂σ² = ∂²d/∂σ²
 *   ∂Var(β̂)/∂x_a = Σ_k G_ka ∂Var(β̂)/∂θ_k,   ∂Var(β̂)/∂σ unchanged
 *
 * G is covStructure.ts's exact Jacobian; ∂²θ/∂x² its central differences (step 1e-5: error ~1e-10,
 * where lmerTest differentiates its deviance numerically twice). The second term matters: at a
 * structured optimum ∂d̃/∂x = 0 but ∂d/∂θ ≠ 0. At that optimum the df do not depend on how the
 * structure is parametrized (H transforms as a tensor where the gradient vanishes).
 */
import { type CovParameters, thetaJacobian } from '../model/covStructure.js';
import { ModelError } from '../errors/errors.js';
import { type VarparCovariance, varparFromHessian } from './satterthwaite.js';

/** the step of the central differences of ∂θ/∂x */
const STEP = 1e-5;

/** lmerTest's parts (satterthwaite.ts) in θ turned into the structures' coordinates (x, σ) at x. */
export function structuredVarparCovariance(sat: VarparCovariance, par: CovParameters, x: Float64Array): VarparCovariance {
  const nt = par.thetaLength, nx = par.length;
  const npT = nt + 1, np = nx + 1;
  const G = thetaJacobian(par, x);
  if (!G) throw new ModelError("Satterthwaite's method: the covariance structure is not positive definite at the fit's parameters");
  // ∂²θ_k/∂x_a∂x_b by central differences of G along x_b
  const D2: Float64Array[] = [];
  for (let b = 0; b < nx; b++) {
    const xp = Float64Array.from(x), xm = Float64Array.from(x);
    xp[b] += STEP; xm[b] -= STEP;
    const Gp = thetaJacobian(par, xp), Gm = thetaJacobian(par, xm);
    if (!Gp || !Gm) throw new ModelError("Satterthwaite's method: the covariance structure is at the edge of positive definiteness at the fit's parameters");
    D2.push(Gp.map((v, e) => (v - Gm[e]) / (2 * STEP)));
  }
  const H = sat.hessian, g = sat.gradient;
  const hessian = new Float64Array(np * np);
  for (let a = 0; a < nx; a++) {
    for (let b = 0; b < nx; b++) {
      let v = 0;
      for (let k = 0; k < nt; k++) {
        const gk = G[k * nx + a];
        if (gk !== 0) for (let l = 0; l < nt; l++) v += gk * H[k * npT + l] * G[l * nx + b];
        v += g[k] * D2[b][k * nx + a];
      }
      hessian[a * np + b] = v;
    }
    let c = 0;
    for (let k = 0; k < nt; k++) c += G[k * nx + a] * H[k * npT + nt];
    hessian[a * np + nx] = hessian[nx * np + a] = c;
  }
  hessian[nx * np + nx] = H[nt * npT + nt];
  // symmetrize the differenced part
  for (let a = 0; a < nx; a++) for (let b = 0; b < a; b++) hessian[a * np + b] = hessian[b * np + a] = (hessian[a * np + b] + hessian[b * np + a]) / 2;
  const p2 = sat.vcovBeta.length;
  const jacobian: Float64Array[] = [];
  for (let a = 0; a < nx; a++) {
    const J = new Float64Array(p2);
    for (let k = 0; k < nt; k++) {
      const gk = G[k * nx + a];
      if (gk !== 0) for (let e = 0; e < p2; e++) J[e] += gk * sat.jacobian[k][e];
    }
    jacobian.push(J);
  }
  jacobian.push(sat.jacobian[nt]);
  const { vcovVarpar, warnings } = varparFromHessian(hessian, np);
  return {
    ...sat, varpar: Float64Array.from([...Array.from(x), sat.sigma]), hessian, gradient: new Float64Array(nx), vcovVarpar, jacobian, warnings,
  };
}
