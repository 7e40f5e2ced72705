/**
 * The Laplace approximation of a cumulative link mixed model's likelihood at given (α, β, θ)
 * (ordinal's getNLA and update.u), with the conditional modes ũ found by Newton's method:
 *
 *   h(u) = −Σ_i ℓ_i(ζ_i) + ½‖u‖²,   ζ = ZΛu                       (rowKernel.ts: ℓ, ℓ′, W)
 *   ∇h = u − ΛᵀZᵀℓ′,   ∇²h = ΛᵀZᵀWZΛ + I = L Lᵀ
 *   Newton: L Lᵀ u_new = ΛᵀZᵀW (ζ + ℓ′/W)   (a penalized weighted least-squares problem with
 *           working response z = ζ + ℓ′/W: the blocked Cholesky of src/linalg and lmer's solve,
 *           src/lmm/solution.ts, on the weighted Gram matrix of src/glmm/weightedGram.ts), the step
 *           halved while h increases
 *   −log L(α, β, θ) ≈ h(ũ) + ½ log|L Lᵀ|    (L at ũ; clmm's nll + log det L, whose (2π) terms cancel)
 *
 * ũ is converged until max|∇h| < 1e-10 (clmm's default stops at 1e-4, which leaves its objective up
 * to ~1e-5 from the converged one, test/oracle/clmm.R), so the objective is smooth in the parameters.
 * A zero probability, or ΛᵀZᵀWZΛ + I not positive definite (a cauchit link's negative W), makes the
 * objective +∞.
 * The state left behind (ũ, W, L at ũ) is what the quadrature (agq.ts), the conditional modes and
 * variances and the fitted values read.
 */
import { BlockedCholesky } from '../linalg/blockedCholesky.js';
import { NotPositiveDefiniteError } from '../linalg/dense.js';
import { applyTemplate, fillTemplate } from '../linalg/template.js';
import { solveLmm } from '../lmm/solution.js';
import { WeightedGramCpu } from '../glmm/weightedGram.js';
import type { ClmmModel } from './model.js';
import { thetaOfPsi } from './model.js';
import { fixedEtas, rowLogLik } from './rowKernel.js';
import { thresholdsOf } from './thresholds.js';

/** max|∇h| at which the conditional modes are taken as converged */
const GRAD_TOL = 1e-10;
const MAX_ITER = 100;
const MAX_HALVINGS = 40;

export class ClmmLaplace {
  readonly model: ClmmModel;
  /** fixed parts of η₁ and η₂ at the last parameters */
  readonly eta1: Float64Array;
  readonly eta2: Float64Array;
  /** ζ = ZΛu at the modes */
  readonly zeta: Float64Array;
  /** ℓ′ and W at the modes */
  readonly grad: Float64Array;
  readonly weight: Float64Array;
  /** the modes ũ per block (level-major) */
  u: Float64Array[];
  /** lme4's θ at the last parameters, and the templates T */
  theta: Float64Array;
  readonly T: Float64Array[];
  /** h(ũ) = −Σ ℓ + ½‖ũ‖² and log|L Lᵀ| at the last evaluation */
  h = NaN;
  ldL2 = NaN;
  /** Newton iterations in all (clmm's Niter) */
  iterations = 0;
  /** evaluations whose inner iteration did not converge */
  notConverged = 0;
  readonly chol: BlockedCholesky;
  private readonly gram: WeightedGramCpu;
  private readonly z: Float64Array;
  private readonly trial: Float64Array;

  constructor(model: ClmmModel) {
    this.model = model;
    const { n, blocks } = model;
    this.eta1 = new Float64Array(n);
    this.eta2 = new Float64Array(n);
    this.zeta = new Float64Array(n);
    this.grad = new Float64Array(n);
    this.weight = new Float64Array(n);
    this.z = new Float64Array(n);
    this.trial = new Float64Array(n);
    this.u = blocks.map((b) => new Float64Array(b.nl * b.q));
    this.theta = new Float64Array(model.nPsi);
    this.T = blocks.map((b) => new Float64Array(b.q * b.q));
    this.gram = new WeightedGramCpu({ n, X: new Float64Array(0), p: 0, blocks });
    this.chol = new BlockedCholesky(this.gram.gram, model.nPsi);
  }

  /** Splits the parameter vector (α, β, ψ) and sets η's fixed parts and θ. */
  setParameters(x: ArrayLike<number>): void {
    const m = this.model;
    const alpha = Array.prototype.slice.call(x, 0, m.nAlpha) as number[];
    const beta = Array.prototype.slice.call(x, m.nAlpha, m.nAlpha + m.p) as number[];
    const psi = Array.prototype.slice.call(x, m.nAlpha + m.p) as number[];
    fixedEtas(m.y, m.X, m.p, thresholdsOf(m.thresholds, alpha), beta, this.eta1, this.eta2);
    this.theta = thetaOfPsi(m, psi);
    m.blocks.forEach((b, k) => fillTemplate(b, this.theta, this.T[k]));
  }

  /** ζ = ZΛu into out */
  private zetaOf(u: Float64Array[], out: Float64Array): void {
    out.fill(0);
    const n = this.model.n;
    this.model.blocks.forEach((bk, k) => {
      const q = bk.q;
      const b = applyTemplate(this.T[k], q, bk.nl, u[k]);
      const { codes, Z } = bk;
      if (q === 1) { for (let i = 0; i < n; i++) out[i] += Z[i] * b[codes[i]]; return; }
      for (let i = 0; i < n; i++) {
        const c = codes[i] * q;
        let v = 0;
        for (let s = 0; s < q; s++) v += Z[i * q + s] * b[c + s];
        out[i] += v;
      }
    });
  }

  /** h(u) at ζ (with ℓ′ and W when asked) */
  private hAt(u: Float64Array[], zeta: Float64Array, derivatives: boolean): number {
    const ll = rowLogLik(this.model.link, this.eta1, this.eta2, zeta, this.model.weights, derivatives ? this.grad : undefined, derivatives ? this.weight : undefined);
    let uu = 0;
    for (const v of u) for (let c = 0; c < v.length; c++) uu += v[c] * v[c];
    return -ll + 0.5 * uu;
  }

  /** max|∇h| = max|u − ΛᵀZᵀℓ′| at the current ℓ′ */
  private maxGradient(u: Float64Array[]): number {
    const n = this.model.n;
    let mx = 0;
    this.model.blocks.forEach((bk, k) => {
      const q = bk.q;
      const r = new Float64Array(bk.nl * q);
      const { codes, Z } = bk;
      for (let i = 0; i < n; i++) for (let s = 0; s < q; s++) r[codes[i] * q + s] += Z[i * q + s] * this.grad[i];
      const T = this.T[k];
      for (let c = 0; c < bk.nl; c++) {
        for (let t = 0; t < q; t++) {
          // (Tᵀ r_c)_t = Σ_{s ≥ t} T[s][t] r_c,s
          let v = 0;
          for (let s = t; s < q; s++) v += T[s * q + t] * r[c * q + s];
          mx = Math.max(mx, Math.abs(u[k][c * q + t] - v));
        }
      }
    });
    return mx;
  }

  /**
   * Factors L Lᵀ = ΛᵀZᵀWZΛ + I at the current W; returns false where it is not positive definite.
   * A row's W may be negative (the cauchit link's tails: ordinal's C code for one scalar term takes
   * such points, its R code for other models refuses them); the Newton system only needs L Lᵀ > 0.
   */
  private factorAt(withResponse: boolean): boolean {
    const n = this.model.n;
    const { weight, grad, zeta, z } = this;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(weight[i])) return false;
      z[i] = withResponse && weight[i] !== 0 ? zeta[i] + grad[i] / weight[i] : zeta[i];
    }
    this.gram.form(weight, z);
    try {
      this.chol.factor(this.theta);
    } catch (err) {
      if (err instanceof NotPositiveDefiniteError) return false;
      throw err;
    }
    return true;
  }

  /**
   * −log L by the Laplace approximation at x = (α, β, ψ); +∞ where it is not defined (a zero
   * probability, a negative weight). Leaves ũ, ζ, ℓ′, W and L at ũ.
   */
  evaluate(x: ArrayLike<number>): number {
    this.setParameters(x);
    const finite = this.modes();
    if (!finite) return Infinity;
    return this.h + 0.5 * this.ldL2;
  }

  /** Newton's iteration for ũ from the last modes (or 0 where that fails); false where h is not finite. */
  modes(): boolean {
    if (this.newton(this.u.map((v) => Float64Array.from(v)))) return true;
    return this.newton(this.u.map((v) => new Float64Array(v.length)));
  }

  private newton(u: Float64Array[]): boolean {
    let h = (this.zetaOf(u, this.zeta), this.hAt(u, this.zeta, true));
    if (!Number.isFinite(h)) return false;
    let converged = false;
    for (let it = 0; it < MAX_ITER; it++) {
      if (this.maxGradient(u) < GRAD_TOL) { converged = true; break; }
      if (!this.factorAt(true)) return false;
      const uNew = solveLmm(this.chol, this.model.n, false).u;
      this.iterations++;
      // the step, halved while h increases
      const step = uNew.map((v, k) => v.map((x, c) => x - u[k][c]));
      let s = 1;
      let accepted = false;
      let maxStep = 0;
      for (const v of step) for (const x of v) maxStep = Math.max(maxStep, Math.abs(x));
      // (each trial's ℓ′ and W are computed with it: the accepted one's are the next iteration's)
      for (let k = 0; k <= MAX_HALVINGS; k++) {
        const uTry = u.map((v, b) => v.map((x, c) => x + s * step[b][c]));
        this.zetaOf(uTry, this.trial);
        const hTry = this.hAt(uTry, this.trial, true);
        if (hTry <= h || (Number.isFinite(hTry) && hTry - h <= 1e-13 * Math.abs(h))) {
          u = uTry;
          h = hTry;
          this.zeta.set(this.trial);
          accepted = true;
          break;
        }
        s /= 2;
      }
      // no step accepted: ℓ′ and W back at u
      if (!accepted) h = this.hAt(u, this.zeta, true);
      if (!accepted || s * maxStep < 1e-14) { converged = this.maxGradient(u) < 1e-6; break; }
    }
    if (!converged) this.notConverged++;
    // L at ũ
    if (!this.factorAt(false)) return false;
    this.u = u;
    this.h = h;
    this.ldL2 = this.chol.ldL2;
    return Number.isFinite(h);
  }
}
