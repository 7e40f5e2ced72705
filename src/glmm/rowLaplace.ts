/**
 * The Laplace approximation of a mixed model's likelihood over a per-row kernel, shared by the
 * cumulative link mixed models (src/ordinal/laplace.ts) and the zero-inflated and hurdle count
 * models (src/zeroinfl/laplace.ts). A subclass gives the row kernel: each row's log-likelihood ℓ_i as
 * a function of its random-effects part ζ_i = z_iᵀb, with ℓ′_i = dℓ_i/dζ_i and W_i = −d²ℓ_i/dζ_i²
 * (the observed information), at its current fixed parameters.
 *
 *   h(u) = −Σ_i ℓ_i(ζ_i) + ½‖u‖²,   ζ = ZΛu
 *   ∇h = u − ΛᵀZᵀℓ′,   ∇²h = ΛᵀZᵀWZΛ + I = L Lᵀ
 *   Newton: L Lᵀ u_new = ΛᵀZᵀW (ζ + ℓ′/W)   (a penalized weighted least-squares problem with
 *           working response z = ζ + ℓ′/W: the blocked Cholesky of src/linalg and lmer's solve,
 *           src/lmm/solution.ts, on the weighted Gram matrix of weightedGram.ts), the step halved
 *           while h increases
 *   −log L ≈ h(ũ) + ½ log|L Lᵀ|    (L at ũ with the observed W: the exact Hessian of h at the mode)
 *
 * Safeguard (a kernel that is not log-concave, e.g. a zero-inflated row, whose W may be negative):
 * where ΛᵀZᵀWZΛ + I is not positive definite at an iterate, the step takes the kernel's
 * `stepWeights` instead (positive weights, Fisher-scoring-like), still with step halving; the
 * Laplace determinant is always the observed one at ũ, and +∞ where that is not positive definite.
 *
 * ũ is converged until max|∇h| < 1e-10, so the objective is smooth in the parameters.
 *
 * Two linear predictors (glmmTMB's random effects in the zero-inflation model): each column of a
 * block belongs to predictor a ∈ {0: the conditional model's η, 1: the zero model's η_zi}, so that
 * ζ_a = Z_a Λ_a u and each row's ℓ_i(ζ_0,i, ζ_1,i) has a gradient (ℓ′_0, ℓ′_1) and a 2 × 2 observed
 * information W_i = −∇²ℓ_i = [[W_00, W_01], [W_01, W_11]]. Then
 *   ∇h = u − ΛᵀΣ_a Z_aᵀℓ′_a,   ∇²h = Λᵀ[Z_0 Z_1]ᵀ W [Z_0 Z_1]Λ + I = L Lᵀ
 * with W the block matrix of the rows' 2 × 2 informations (cross term included). Its Gram matrix is
 * formed by the one-weight pass on three pseudo-rows per row, each a rank-one piece of
 *   W_i = (W_00 − W_01) e₀e₀ᵀ + (W_11 − W_01) e₁e₁ᵀ + W_01 (e₀ + e₁)(e₀ + e₁)ᵀ
 * (pseudo-row 0 carries only the conditional columns of z_i, pseudo-row 1 only the zero model's, pseudo-row 2
 * both; the weights may be negative, the sum is W_i), so the blocked Cholesky factors it unchanged,
 * the zero model's terms being more terms (merged with the conditional ones on the same factor, as
 * lmer's (1 | g) + (0 + x | g)). The Newton right-hand side is ΛᵀZᵀ(Wζ + ℓ′), per column of its
 * predictor: r_a,i = Σ_b W_ab,i ζ_b,i + ℓ′_a,i.
 *
 * Fixed effects integrated out (glmmTMB's REML = TRUE, TMB's random = c("b", "beta")): given the
 * conditional model's X (n × p), β joins the inner variables under a flat prior, ζ_0 = ZΛu + Xβ, and
 *   h(u, β) = −Σ_i ℓ_i(ζ_i) + ½‖u‖²,   ∇_β h = −Xᵀℓ′_0,
 *   ∇²h = [ΛᵀZᵀWZΛ + I, ΛᵀZᵀWX; XᵀWZΛ, XᵀWX],  its Cholesky [L, 0; R_ZXᵀ, R_XXᵀ] (lme4's, with X in the Gram matrix)
 *   Newton: the penalized weighted least-squares solve of lmer for (u, β) jointly, working response z = ζ + ℓ′/W
 *   −log L_R ≈ h(ũ, β̃) + ½ log|L Lᵀ| + ½ log|R_XXᵀR_XX| − (p/2) log 2π
 * (the Laplace approximation over (u, β): ½ log of the joint Hessian's determinant, −(p/2) log 2π for the p
 * dimensions of β that have no normalized prior; u's −(q/2) log 2π cancels its prior's constant). With two
 * predictors X is on pseudo-rows 0 and 2 (β enters η_0 only): Σ over them of w x xᵀ is XᵀW_00X.
 */
import { BlockedCholesky } from '../linalg/blockedCholesky.js';
import { NotPositiveDefiniteError } from '../linalg/dense.js';
import { applyTemplate, fillTemplate } from '../linalg/template.js';
import { solveLmm } from '../lmm/solution.js';
import type { RandomBlock } from '../model/lambda.js';
import { WeightedGramCpu } from './weightedGram.js';

/** What a fit on a row-kernel Laplace objective (clmm, zeroInflated) reports after each evaluation (as lmer's FitProgress). */
export interface LaplaceFitProgress {
  /** objective evaluations so far (the optimizer's, the restarts' and Newton steps', the Hessian's) */
  feval: number;
  /** the objective −log L at the last evaluation */
  objective: number;
  /** the lowest objective so far */
  best: number;
  elapsedMs: number;
}

/** The options such a fit shares (clmm's, zeroInflated's); both run on the CPU only. */
export interface LaplaceFitOptions {
  /** 'cpu' (default); these fits run on the CPU only, so 'webgpu' is refused */
  backend?: 'cpu' | 'webgpu' | 'auto';
  /** the evaluation budget of the optimizer (default 10,000) */
  maxfun?: number;
  /** a label for the data in the summary */
  dataName?: string;
  /** aborts the fit */
  signal?: AbortSignal;
  /** called after each objective evaluation (it changes nothing of the fit) */
  onProgress?: (p: LaplaceFitProgress) => void;
}

/** The conditional model's fixed effects integrated out with the random effects (REML): X, n × p column-major. */
export interface InnerFixedEffects { X: Float64Array; p: number }

/** max|∇h| at which the conditional modes are taken as converged */
const GRAD_TOL = 1e-10;
const MAX_ITER = 100;
const MAX_HALVINGS = 40;

export abstract class RowLaplace {
  readonly n: number;
  readonly blocks: RandomBlock[];
  /** the number of linear predictors (1, or 2 with the zero model's random effects) */
  readonly nPred: 1 | 2;
  /** per block, the predictor of each of its columns (all 0 with one predictor) */
  readonly predictors: Int8Array[];
  /** ζ = ZΛu at the modes (with two predictors: ζ_0 then ζ_1, 2n entries) */
  readonly zeta: Float64Array;
  /** ℓ′ and W at the modes (two predictors: ℓ′_0 then ℓ′_1; W_00, W_11, W_01 by thirds of 3n) */
  readonly grad: Float64Array;
  readonly weight: Float64Array;
  /** the modes ũ per block (level-major) */
  u: Float64Array[];
  /** REML: the number of fixed effects integrated out (0 otherwise), their X (n × p) and modes β̃ */
  readonly pInner: number;
  readonly Xinner: Float64Array | null;
  beta: Float64Array;
  /** REML: log|R_XXᵀR_XX| at the last evaluation (0 otherwise) */
  ldRX2 = 0;
  /** lme4's θ at the last parameters, and the templates T */
  theta: Float64Array;
  readonly T: Float64Array[];
  /** h(ũ) = −Σ ℓ + ½‖ũ‖² and log|L Lᵀ| at the last evaluation */
  h = NaN;
  ldL2 = NaN;
  /** Newton iterations in all */
  iterations = 0;
  /** Newton steps that took the safeguard's weights */
  safeguardedSteps = 0;
  /** evaluations whose inner iteration did not converge */
  notConverged = 0;
  readonly chol: BlockedCholesky;
  private readonly gram: WeightedGramCpu;
  private readonly z: Float64Array;
  private readonly trial: Float64Array;
  private readonly stepW: Float64Array;
  /** two predictors' work arrays: zeros for the pass's response column, r_0 and r_1 */
  private zero3: Float64Array | null = null;
  private r2: Float64Array | null = null;

  /**
   * `predictors`: per block, the linear predictor of each column (0 the conditional model's, 1 the zero
   * model's); omitted, or all 0, for one predictor.
   */
  constructor(n: number, blocks: RandomBlock[], nTheta: number, predictors?: Int8Array[], inner?: InnerFixedEffects) {
    this.n = n;
    this.pInner = inner?.p ?? 0;
    this.Xinner = inner && inner.p > 0 ? inner.X : null;
    this.beta = new Float64Array(this.pInner);
    this.blocks = blocks;
    this.predictors = predictors ?? blocks.map((b) => new Int8Array(b.q));
    this.nPred = this.predictors.some((v) => v.some((a) => a === 1)) ? 2 : 1;
    const nz = this.nPred * n;
    const nw = this.nPred === 1 ? n : 3 * n;
    this.zeta = new Float64Array(nz);
    this.grad = new Float64Array(nz);
    this.weight = new Float64Array(nw);
    this.z = new Float64Array(nw);
    this.trial = new Float64Array(nz);
    this.stepW = new Float64Array(nw);
    this.u = blocks.map((b) => new Float64Array(b.nl * b.q));
    this.theta = new Float64Array(nTheta);
    this.T = blocks.map((b) => new Float64Array(b.q * b.q));
    this.gram = new WeightedGramCpu({ n: nw, X: this.pseudoRowX(), p: this.pInner, blocks: this.nPred === 1 ? blocks : this.pseudoRowBlocks() });
    this.chol = new BlockedCholesky(this.gram.gram, nTheta);
  }

  /**
   * The blocks on the three pseudo-rows per row of two predictors: rows [0, n) the conditional columns
   * of z_i (the zero model's set to 0), [n, 2n) the zero model's columns, [2n, 3n) all of z_i.
   */
  private pseudoRowBlocks(): RandomBlock[] {
    const n = this.n;
    return this.blocks.map((b, k) => {
      const q = b.q;
      const pred = this.predictors[k];
      const codes = new Int32Array(3 * n);
      const Z = new Float64Array(3 * n * q);
      for (let part = 0; part < 3; part++) {
        for (let i = 0; i < n; i++) {
          const r = part * n + i;
          codes[r] = b.codes[i];
          for (let s = 0; s < q; s++) if (part === 2 || pred[s] === part) Z[r * q + s] = b.Z[i * q + s];
        }
      }
      return { ...b, codes, Z };
    });
  }

  /** REML's X on the Gram pass's rows: X itself (one predictor), or on pseudo-rows 0 and 2 (two); empty without REML */
  private pseudoRowX(): Float64Array {
    const X = this.Xinner;
    if (!X) return new Float64Array(0);
    if (this.nPred === 1) return X;
    const n = this.n;
    const out = new Float64Array(3 * n * this.pInner);
    for (let r = 0; r < this.pInner; r++) {
      const col = X.subarray(r * n, r * n + n);
      out.set(col, r * 3 * n);
      out.set(col, r * 3 * n + 2 * n);
    }
    return out;
  }

  /**
   * Σ_i ℓ_i at ζ (ζ = null: 0), and (when `grad` is given) ℓ′_i into grad and W_i = −ℓ″_i into
   * weight; −Infinity where a row is outside the model's support.
   */
  abstract rowLogLik(zeta: Float64Array | null, grad?: Float64Array, weight?: Float64Array): number;

  /**
   * The safeguard's positive step weights at the current ζ (after rowLogLik with derivatives), or
   * false where the kernel has none (then an indefinite system ends the iteration).
   */
  stepWeights(_out: Float64Array): boolean {
    return false;
  }

  /** Sets lme4's θ and the templates T from it. */
  setTheta(theta: Float64Array): void {
    this.theta = theta;
    this.blocks.forEach((b, k) => fillTemplate(b, this.theta, this.T[k]));
  }

  /** ζ = ZΛu (+ Xβ with REML's β) into out (two predictors: ζ_a = Z_aΛ_a u into out[a n + i]) */
  zetaOf(u: Float64Array[], out: Float64Array, beta?: Float64Array): void {
    out.fill(0);
    const n = this.n;
    const X = this.Xinner;
    if (X && beta) {
      for (let r = 0; r < this.pInner; r++) {
        const br = beta[r];
        for (let i = 0; i < n; i++) out[i] += X[r * n + i] * br;
      }
    }
    this.blocks.forEach((bk, k) => {
      const q = bk.q;
      const b = applyTemplate(this.T[k], q, bk.nl, u[k]);
      const { codes, Z } = bk;
      if (this.nPred === 2) {
        const pred = this.predictors[k];
        for (let i = 0; i < n; i++) {
          const c = codes[i] * q;
          for (let s = 0; s < q; s++) out[pred[s] * n + i] += Z[i * q + s] * b[c + s];
        }
        return;
      }
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
    const ll = this.rowLogLik(zeta, derivatives ? this.grad : undefined, derivatives ? this.weight : undefined);
    let uu = 0;
    for (const v of u) for (let c = 0; c < v.length; c++) uu += v[c] * v[c];
    return -ll + 0.5 * uu;
  }

  /** max|∇h| = max|u − ΛᵀZᵀℓ′| (and REML's |Xᵀℓ′_0|) at the current ℓ′ */
  private maxGradient(u: Float64Array[]): number {
    const n = this.n;
    let mx = 0;
    const X = this.Xinner;
    if (X) {
      for (let r = 0; r < this.pInner; r++) {
        let v = 0;
        for (let i = 0; i < n; i++) v += X[r * n + i] * this.grad[i];
        mx = Math.max(mx, Math.abs(v));
      }
    }
    this.blocks.forEach((bk, k) => {
      const q = bk.q;
      const r = new Float64Array(bk.nl * q);
      const { codes, Z } = bk;
      const pred = this.predictors[k];
      for (let i = 0; i < n; i++) for (let s = 0; s < q; s++) r[codes[i] * q + s] += Z[i * q + s] * this.grad[pred[s] * n + i];
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
   * Factors L Lᵀ = ΛᵀZᵀWZΛ + I at the weights W (the observed ones unless given); returns false where
   * it is not positive definite. A row's W may be negative; the Newton system only needs L Lᵀ > 0.
   */
  private factorAt(withResponse: boolean, weight: Float64Array = this.weight): boolean {
    const n = this.n;
    const { grad, zeta, z } = this;
    if (this.nPred === 2) return this.factorAt2(withResponse, weight);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(weight[i])) return false;
      z[i] = withResponse && weight[i] !== 0 ? zeta[i] + grad[i] / weight[i] : zeta[i];
    }
    this.gram.form(weight, z);
    return this.tryFactor();
  }

  /** The Cholesky factor at θ of the Gram matrix just formed; false where it is not positive definite. */
  private tryFactor(): boolean {
    try {
      this.chol.factor(this.theta);
    } catch (err) {
      if (err instanceof NotPositiveDefiniteError) return false;
      throw err;
    }
    return true;
  }

  /**
   * factorAt with two predictors: the Gram matrix of the pseudo-rows at the weights
   * (W_00 − W_01, W_11 − W_01, W_01), then its right-hand side Zₖᵀ r per column (r_a = Σ_b W_ab ζ_b + ℓ′_a,
   * ℓ′ left out without the response).
   */
  private factorAt2(withResponse: boolean, weight: Float64Array): boolean {
    const n = this.n;
    const { grad, zeta, z } = this;
    for (let i = 0; i < 3 * n; i++) if (!Number.isFinite(weight[i])) return false;
    for (let i = 0; i < n; i++) {
      const w01 = weight[2 * n + i];
      z[i] = weight[i] - w01;
      z[n + i] = weight[n + i] - w01;
      z[2 * n + i] = w01;
    }
    // (the pass's working-response column is unused: the right-hand side is set below)
    this.zero3 ??= new Float64Array(3 * n);
    const g = this.gram.form(z, this.zero3);
    this.r2 ??= new Float64Array(2 * n);
    const r0 = this.r2.subarray(0, n);
    const r1 = this.r2.subarray(n, 2 * n);
    for (let i = 0; i < n; i++) {
      const z0 = zeta[i], z1 = zeta[n + i];
      const w00 = weight[i], w11 = weight[n + i], w01 = weight[2 * n + i];
      r0[i] = w00 * z0 + w01 * z1 + (withResponse ? grad[i] : 0);
      r1[i] = w01 * z0 + w11 * z1 + (withResponse ? grad[n + i] : 0);
    }
    this.blocks.forEach((bk, k) => {
      const q = bk.q;
      const pred = this.predictors[k];
      // the working response's row of A_Xk (after REML's p rows of X)
      const m = bk.nl * q;
      const rhs = g.AXk[k].subarray(this.pInner * m, (this.pInner + 1) * m);
      rhs.fill(0);
      const { codes, Z } = bk;
      for (let i = 0; i < n; i++) {
        const c = codes[i] * q;
        for (let s = 0; s < q; s++) rhs[c + s] += Z[i * q + s] * (pred[s] === 0 ? r0[i] : r1[i]);
      }
    });
    // REML: Xᵀr_0, X's right-hand side (the working response's column of A_XX; its own entry unused)
    const X = this.Xinner;
    if (X) {
      const p = this.pInner, p1 = p + 1;
      for (let r = 0; r < p; r++) {
        let v = 0;
        for (let i = 0; i < n; i++) v += X[r * n + i] * r0[i];
        g.AXX[r * p1 + p] = v;
        g.AXX[p * p1 + r] = v;
      }
      g.AXX[p * p1 + p] = 0;
    }
    return this.tryFactor();
  }

  /**
   * h(ũ) + ½ log|L Lᵀ| at the current θ and fixed parameters (REML: h(ũ, β̃) + ½ log|L Lᵀ| + ½ log|R_XXᵀR_XX|
   * − (p/2) log 2π); +∞ where it is not defined.
   */
  laplace(): number {
    if (!this.modes()) return Infinity;
    if (this.pInner > 0) return this.h + 0.5 * (this.ldL2 + this.ldRX2) - 0.5 * this.pInner * Math.log(2 * Math.PI);
    return this.h + 0.5 * this.ldL2;
  }

  /**
   * Newton's iteration for ũ (REML: and β̃) from the last modes (or u = 0, β at its last value, where that
   * fails); false where h is not finite.
   */
  modes(): boolean {
    if (this.newton(this.u.map((v) => Float64Array.from(v)), Float64Array.from(this.beta))) return true;
    return this.newton(this.u.map((v) => new Float64Array(v.length)), Float64Array.from(this.betaStart ?? this.beta));
  }

  /** REML: β's starting value for a restart of the inner iteration (the caller's, e.g. g(ȳ) for the intercept) */
  betaStart: Float64Array | null = null;

  private newton(u: Float64Array[], beta: Float64Array): boolean {
    let h = (this.zetaOf(u, this.zeta, beta), this.hAt(u, this.zeta, true));
    if (!Number.isFinite(h)) return false;
    let converged = false;
    for (let it = 0; it < MAX_ITER; it++) {
      if (this.maxGradient(u) < GRAD_TOL) { converged = true; break; }
      if (!this.factorAt(true)) {
        // the safeguard: positive weights where the observed system is indefinite
        if (!this.stepWeights(this.stepW) || !this.factorAt(true, this.stepW)) return false;
        this.safeguardedSteps++;
      }
      const sol = solveLmm(this.chol, this.weight.length, false);
      const uNew = sol.u;
      this.iterations++;
      // the step, halved while h increases (REML: in (u, β) jointly)
      const step = uNew.map((v, k) => v.map((x, c) => x - u[k][c]));
      const stepBeta = Float64Array.from(beta, (b, r) => sol.beta[r] - b);
      let s = 1;
      let accepted = false;
      let maxStep = 0;
      for (const v of step) for (const x of v) maxStep = Math.max(maxStep, Math.abs(x));
      for (const x of stepBeta) maxStep = Math.max(maxStep, Math.abs(x));
      // (each trial's ℓ′ and W are computed with it: the accepted one's are the next iteration's)
      for (let k = 0; k <= MAX_HALVINGS; k++) {
        const uTry = u.map((v, b) => v.map((x, c) => x + s * step[b][c]));
        const betaTry = Float64Array.from(beta, (b, r) => b + s * stepBeta[r]);
        this.zetaOf(uTry, this.trial, betaTry);
        const hTry = this.hAt(uTry, this.trial, true);
        if (hTry <= h || (Number.isFinite(hTry) && hTry - h <= 1e-13 * Math.abs(h))) {
          u = uTry;
          beta = betaTry;
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
    // L at ũ, with the observed W
    if (!this.factorAt(false)) return false;
    this.u = u;
    this.beta = beta;
    this.h = h;
    this.ldL2 = this.chol.ldL2;
    this.ldRX2 = this.pInner > 0 ? this.chol.ldRX2 : 0;
    return Number.isFinite(h);
  }
}
