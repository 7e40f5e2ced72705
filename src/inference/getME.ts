/**
 * lme4's getME(fit, name) (lme4 1.1-31, getME.merMod) for lmer and glmer fits: the model's pieces in
 * lme4's parametrization and order. Our internal θ and Z M (src/model/reparam.ts) do not leak: every
 * piece is computed from the model as the formula defines it and lme4's θ.
 *
 * Order of the random effects (lme4's): the terms in lme4's order (by number of levels, largest first),
 * each term's columns level-major, so term t, level g, column s is column Gp[t] + g q_t + s of Z, of
 * b and of u; a (x || g) model's two terms are two terms (not one block of two columns as our fit holds).
 *
 * Sparse results (Z, Zt, Lambda, Lambdat) are compressed sparse columns with 0-based indices, the
 * layout of R's dgCMatrix (slots i, p, x): column j's entries are x[p[j] .. p[j+1]) in rows i[...].
 * Dense matrices (X, RX, RZX) are arrays of rows.
 *
 * R_X and R_ZX: the penalized system in lme4's parametrization re-factored at θ̂ (as src/lmm/assemble.ts
 * re-factors; the rows scaled by √W; for R_ZX a term per block, in lme4's order):
 *   L Lᵀ = ΛᵀZᵀWZΛ + I,   R_ZX = L⁻¹ΛᵀZᵀWX,   R_XᵀR_X = XᵀWX − R_ZXᵀR_ZX,
 * W the prior weights (lmer) or the GLMM's working weights w μ'(η)²/V(μ) at μ̂ (lme4's sqrtXwt²).
 * L is in Z's own column order: lme4's L has a fill-reducing permutation P (L@perm) and its RZX is
 * L⁻¹PΛᵀZᵀWX, so the two agree where P = I (one term, or crossed terms such as Penicillin's); where P
 * permutes (a || model, nested factors) only R_ZXᵀR_ZX = XᵀWX − R_XᵀR_X and R_X agree.
 *
 * u = Λ⁺ b per level and term: the penalized least-squares (or PIRLS) solution has no component in
 * Λ's null space (‖u‖² is penalized and ZΛu does not see it), so Λu = b gives it also at a singular θ̂.
 *
 * The per-term names (Ztlist, mmList, p_i, Tlist, ST, Tp) are src/inference/getMETerms.ts's, A and the
 * sparse factor L (in lme4's column order, perm = identity) src/inference/getMEFactor.ts's, devfun (a
 * function of lme4's parameters) src/inference/devfun.ts's. 'ALL' is refused (ask for the names).
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { BlockedCholesky } from '../linalg/blockedCholesky.js';
import { formGramCpu } from '../backend/cpu/gram.js';
import { symmetricEigen } from '../linalg/symmetricEigen.js';
import { buildRandomBlocks } from '../model/lambda.js';
import type { MixedModel } from '../model/mixedModel.js';
import { named } from '../results/components.js';
import { rxFromVcov } from './lme4Anova.js';
import { glmmDevfun, lmmDevfun } from './devfun.js';
import { lambdatZt, lme4L } from './getMEFactor.js';
import { mmList, pI, stList, tList, tP, ztList } from './getMETerms.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';

/** A sparse matrix as R's dgCMatrix: compressed sparse columns, 0-based row indices. */
export interface SparseMatrix {
  format: 'csc';
  nrow: number;
  ncol: number;
  /** column pointers (ncol + 1): column j's entries are at p[j] .. p[j + 1] − 1 */
  p: Int32Array;
  /** the row (0-based) of each entry */
  i: Int32Array;
  x: Float64Array;
}

/** lme4's devcomp: the deviance's components and the dimensions. */
export interface DevComp {
  cmp: { ldL2: number; ldRX2: number; wrss: number; ussq: number; pwrss: number; drsum: number; REML: number; dev: number; sigmaML: number; sigmaREML: number };
  dims: Record<string, number>;
}

/** the names getME answers, as lme4 1.1-31 spells them */
export const GETME_NAMES = [
  'X', 'Z', 'Zt', 'Lambda', 'Lambdat', 'Lind', 'theta', 'beta', 'fixef', 'u', 'b', 'y', 'mu', 'offset', 'weights',
  'flist', 'cnms', 'Gp', 'n', 'N', 'p', 'q', 'k', 'l_i', 'q_i', 'm_i', 'm', 'lower', 'sigma', 'REML', 'is_REML',
  'devcomp', 'RX', 'RZX', 'glmer.nb.theta',
  'Ztlist', 'mmList', 'L', 'A', 'ST', 'Tlist', 'Tp', 'n_rtrms', 'n_rfacs', 'p_i', 'devfun',
] as const;
export type GetMEName = (typeof GETME_NAMES)[number];

/**
 * the names that need the model's rows (refused for a fit whose rows are in an engine or a file); R_X
 * and devcomp come from what the fit holds there (R_XᵀR_X = σ̂² Var(β̂)⁻¹; log|L|² and the penalized RSS
 * are invariant under the internal parametrization), R_ZX would need ΛᵀZᵀX in lme4's parametrization
 */
const NEEDS_ROWS: ReadonlySet<string> = new Set(['X', 'Z', 'Zt', 'y', 'mu', 'offset', 'weights', 'flist', 'RZX', 'Ztlist', 'mmList', 'L', 'A']);

/** What getME reads of a GLMM's family (src/glmm/family.ts's GlmFamily has it). */
interface FamilyFunctions {
  family: string;
  hasScale?: true;
  linkfun(mu: number): number;
  muEta(eta: number): number;
  variance(mu: number): number;
}

/** What getME reads of a fit (LmmFit and GlmmFit both have it). */
export interface GetMEFit {
  model: MixedModel & { reml?: boolean; family?: FamilyFunctions; source?: { engine: string; name: string } };
  theta: Float64Array;
  beta: Float64Array;
  sigma: number;
  objective: number;
  /** Var(β̂) (an LMM's: σ̂² R_X⁻¹R_X⁻ᵀ) */
  vcov: number[][];
  /** an LMM's log|L|², log|R_X|² and penalized RSS at θ̂ */
  parts?: { ldL2: number; ldRX2: number; pwrss: number };
  mu: Float64Array;
  conditionalModes(k: number): Float64Array;
  /** a GLMM's: Σ deviance residuals, log|L|² at the converged weights */
  pirls?: { devResid: number; ldL2: number };
  nAGQ?: number;
  nbSize?: number | null;
}

/** lme4's layout of the random-effects terms: per term its offset in Z's columns (Gp) and in θ. */
export interface TermLayout {
  /** column offsets: Gp[t] is term t's first column, Gp[k] = q */
  Gp: number[];
  /** θ offsets: term t's template entries are θ[thetaOff[t] ..] (its lower triangle column by column) */
  thetaOff: number[];
  /** per term, its block in the model and its first column there */
  blockOf: { block: number; col: number }[];
}

export function termLayout(model: MixedModel): TermLayout {
  const terms = model.frame.reTerms;
  const Gp = [0];
  const thetaOff: number[] = [];
  let th = 0;
  for (const t of terms) {
    Gp.push(Gp[Gp.length - 1] + t.q * t.levels.length);
    thetaOff.push(th);
    th += (t.q * (t.q + 1)) / 2;
  }
  const blockOf = terms.map((_, t) => {
    for (let k = 0; k < model.blocks.length; k++) {
      const m = model.blocks[k].terms.find((e) => e.term === t);
      if (m) return { block: k, col: m.col };
    }
    throw new Error(`internal: term ${t} is in no block`);
  });
  return { Gp, thetaOff, blockOf };
}

/** θ index of the template entry T_t[i, j] (i ≥ j): the lower triangle column by column */
function thetaIndex(off: number, q: number, i: number, j: number): number {
  return off + j * q - (j * (j - 1)) / 2 + (i - j);
}

/** Z (n × q) in lme4's column order, compressed sparse columns: row i of term t has q_t entries at its level */
export function lme4Z(model: MixedModel): SparseMatrix {
  const { n, reTerms } = model.frame;
  const { Gp } = termLayout(model);
  const q = Gp[Gp.length - 1];
  // count the entries of each column, then place them (rows in increasing order within a column)
  const count = new Int32Array(q + 1);
  reTerms.forEach((t, k) => { for (let r = 0; r < n; r++) for (let s = 0; s < t.q; s++) count[Gp[k] + t.codes[r] * t.q + s + 1]++; });
  const p = new Int32Array(q + 1);
  for (let j = 0; j < q; j++) p[j + 1] = p[j] + count[j + 1];
  const next = p.slice(0, q);
  const i = new Int32Array(p[q]);
  const x = new Float64Array(p[q]);
  reTerms.forEach((t, k) => {
    for (let r = 0; r < n; r++) {
      for (let s = 0; s < t.q; s++) {
        const c = Gp[k] + t.codes[r] * t.q + s;
        i[next[c]] = r;
        x[next[c]++] = t.Z[r * t.q + s];
      }
    }
  });
  return { format: 'csc', nrow: n, ncol: q, p, i, x };
}

/** the transpose of a compressed-sparse-column matrix (rows in increasing order within each column) */
export function transposeSparse(A: SparseMatrix): SparseMatrix {
  const count = new Int32Array(A.nrow + 1);
  for (let e = 0; e < A.i.length; e++) count[A.i[e] + 1]++;
  const p = new Int32Array(A.nrow + 1);
  for (let r = 0; r < A.nrow; r++) p[r + 1] = p[r] + count[r + 1];
  const next = p.slice(0, A.nrow);
  const i = new Int32Array(A.i.length);
  const x = new Float64Array(A.i.length);
  for (let j = 0; j < A.ncol; j++) {
    for (let e = A.p[j]; e < A.p[j + 1]; e++) { const d = next[A.i[e]]++; i[d] = j; x[d] = A.x[e]; }
  }
  return { format: 'csc', nrow: A.ncol, ncol: A.nrow, p, i, x };
}

/**
 * Λᵀ (q × q, upper triangular) at lme4's θ and lme4's Lind (1-based θ index of each stored entry):
 * column c = Gp[t] + g q_t + s of Λᵀ is row c of Λ, whose entries are T_t[s, j] for j ≤ s, at rows Gp[t] + g q_t + j.
 */
export function lme4Lambdat(model: MixedModel, theta: ArrayLike<number>): { Lambdat: SparseMatrix; Lind: Int32Array } {
  const { reTerms } = model.frame;
  const { Gp, thetaOff } = termLayout(model);
  const q = Gp[Gp.length - 1];
  const nnz = reTerms.reduce((s, t) => s + t.levels.length * (t.q * (t.q + 1)) / 2, 0);
  const p = new Int32Array(q + 1), i = new Int32Array(nnz), x = new Float64Array(nnz), Lind = new Int32Array(nnz);
  let e = 0;
  reTerms.forEach((t, k) => {
    for (let g = 0; g < t.levels.length; g++) {
      for (let s = 0; s < t.q; s++) {
        const c = Gp[k] + g * t.q + s;
        for (let j = 0; j <= s; j++) {
          const th = thetaIndex(thetaOff[k], t.q, s, j);
          i[e] = Gp[k] + g * t.q + j;
          x[e] = theta[th];
          Lind[e++] = th + 1;
        }
        p[c + 1] = e;
      }
    }
  });
  return { Lambdat: { format: 'csc', nrow: q, ncol: q, p, i, x }, Lind };
}

/** the fit's b̂ in lme4's order (our blocks hold a grouping factor's terms side by side, level-major) */
export function lme4B(fit: GetMEFit): Float64Array {
  const model = fit.model;
  const { Gp, blockOf } = termLayout(model);
  const b = new Float64Array(Gp[Gp.length - 1]);
  model.frame.reTerms.forEach((t, k) => {
    const { block, col } = blockOf[k];
    const modes = fit.conditionalModes(block);
    const qb = model.blocks[block].q;
    for (let g = 0; g < t.levels.length; g++) for (let s = 0; s < t.q; s++) b[Gp[k] + g * t.q + s] = modes[g * qb + col + s];
  });
  return b;
}

/** u = Λ⁺ b, per term and level: T_t⁺ b_g = (T_tᵀT_t)⁺ T_tᵀ b_g (eigenvalues below 1e-12 × the largest count as zero) */
export function lme4U(model: MixedModel, theta: ArrayLike<number>, b: Float64Array): Float64Array {
  const { Gp, thetaOff } = termLayout(model);
  const u = new Float64Array(b.length);
  model.frame.reTerms.forEach((t, k) => {
    const q = t.q;
    const T = new Float64Array(q * q);
    for (let j = 0; j < q; j++) for (let i = j; i < q; i++) T[i * q + j] = theta[thetaIndex(thetaOff[k], q, i, j)];
    // TᵀT = V diag(λ) Vᵀ, (TᵀT)⁺ = V diag(1/λ for λ > tol) Vᵀ
    const TtT = new Float64Array(q * q);
    for (let r = 0; r < q; r++) for (let c = 0; c < q; c++) { let a = 0; for (let s = 0; s < q; s++) a += T[s * q + r] * T[s * q + c]; TtT[r * q + c] = a; }
    const { values, vectors } = symmetricEigen(TtT, q);
    const tol = 1e-12 * Math.max(values[0], 0);
    const P = new Float64Array(q * q);
    for (let e = 0; e < q; e++) {
      if (!(values[e] > tol)) continue;
      for (let r = 0; r < q; r++) for (let c = 0; c < q; c++) P[r * q + c] += (vectors[r * q + e] * vectors[c * q + e]) / values[e];
    }
    const Ttb = new Float64Array(q);
    for (let g = 0; g < t.levels.length; g++) {
      const o = Gp[k] + g * q;
      for (let r = 0; r < q; r++) { let a = 0; for (let s = 0; s < q; s++) a += T[s * q + r] * b[o + s]; Ttb[r] = a; }
      for (let r = 0; r < q; r++) { let a = 0; for (let s = 0; s < q; s++) a += P[r * q + s] * Ttb[s]; u[o + r] = a; }
    }
  });
  return u;
}

/**
 * A grouping factor's terms split into blocks of their own (R_ZX's order, lme4's) make the later ones'
 * diagonal blocks dense: R_ZX is refused where such a block would have more rows than this
 * (the fit's own factor keeps the factor's terms in one block-diagonal block).
 */
export const MAX_SPLIT_TERM_ROWS = 4096;

/**
 * The blocked factor of the penalized system in lme4's parametrization at θ with row weights W (the
 * model's rows; no internal θ, no centred X): L Lᵀ = ΛᵀZᵀWZΛ + I, L_XZ = R_ZXᵀ, L_XX's leading p × p
 * = R_Xᵀ (Bates et al. 2015, eq. 18), the response's row zero. `blocks`: the model's own by default.
 */
export function lme4Cholesky(model: MixedModel, theta: ArrayLike<number>, W: Float64Array | null, blocks = model.blocks): BlockedCholesky {
  const { n, p, X } = model.frame;
  const sw = W ? W.map(Math.sqrt) : null;
  const Xw = sw ? X.map((v, e) => v * sw[e % n]) : X;
  const rowsBlocks = blocks.map((b) => (sw ? { ...b, Z: b.Z.map((v, e) => v * sw[Math.floor(e / b.q)]) } : b));
  const gram = formGramCpu({ n, X: Xw, p, y: new Float64Array(n), blocks: rowsBlocks });
  const chol = new BlockedCholesky(gram, theta.length);
  chol.factor(Float64Array.from(theta));
  return chol;
}

/**
 * The penalized system in lme4's parametrization factored at θ with row weights W (module comment):
 * R_X (p × p upper triangular, rows), log|L|² and log|R_X|², and with `order: 'terms'` R_ZX (q × p, rows).
 * R_X, log|L|² and log|R_X|² do not depend on the order of Z's columns: 'blocks' factors the model's own
 * blocks (a grouping factor's terms side by side, block diagonal as in the fit); R_ZX does, and 'terms'
 * factors one block per term in lme4's order.
 */
export function lme4Factor(model: MixedModel, theta: ArrayLike<number>, W: Float64Array | null, order: 'blocks' | 'terms'): { RX: number[][]; RZX: number[][] | null; ldL2: number; ldRX2: number } {
  const { p, reTerms } = model.frame;
  let blocks = model.blocks;
  if (order === 'terms') {
    // one block per term, in lme4's order (distinct names keep a grouping factor's terms apart), θ as lme4's
    blocks = buildRandomBlocks(reTerms.map((t, k) => ({ ...t, group: `${t.group}\u0000${k}` }))).blocks;
    const seen = new Set<string>();
    reTerms.forEach((t) => {
      if (seen.has(t.group) && t.q * t.levels.length > MAX_SPLIT_TERM_ROWS) {
        throw new ModelError(`getME('RZX'): the grouping factor '${t.group}' has several terms; in lme4's column order its term '${t.text}' makes a dense block of ${t.q * t.levels.length} rows (more than ${MAX_SPLIT_TERM_ROWS}) in the factor of ΛᵀZᵀWZΛ + I; RX and devcomp do not need that order`);
      }
      seen.add(t.group);
    });
  }
  const chol = lme4Cholesky(model, theta, W, blocks);
  const p1 = p + 1;
  // R_X = (leading p × p of L_XX)ᵀ
  const RX = Array.from({ length: p }, (_, r) => Array.from({ length: p }, (_, s) => (s >= r ? chol.LXX[s * p1 + r] : 0)));
  if (order === 'blocks') return { RX, RZX: null, ldL2: chol.ldL2, ldRX2: chol.ldRX2 };
  // R_ZX = L_XZᵀ: row (term k, column c) holds L_XZ[r, c] for r < p
  const RZX: number[][] = [];
  blocks.forEach((_, k) => {
    const m = chol.m[k];
    const L = chol.LXk[k];
    for (let c = 0; c < m; c++) RZX.push(Array.from({ length: p }, (_, r) => L[r * m + c]));
  });
  return { RX, RZX, ldL2: chol.ldL2, ldRX2: chol.ldRX2 };
}

/**
 * R_X, log|R_X|² and log|L|² of a fit whose rows are elsewhere: R_X = Lᵀ with L Lᵀ = σ̂² Var(β̂)⁻¹, log|L|²
 * the fit's (det(ΛᵀZᵀWZΛ + I) = det(I + ZΛΛᵀZᵀW) does not change with the internal parametrization)
 */
function rxWithoutRows(fit: GetMEFit): { RX: number[][]; ldL2: number; ldRX2: number } {
  const p = fit.model.frame.p;
  const L = rxFromVcov(fit);
  const RX = Array.from({ length: p }, (_, r) => Array.from({ length: p }, (_, s) => (s >= r ? L[s * p + r] : 0)));
  let ldRX2 = 0;
  for (let j = 0; j < p; j++) ldRX2 += 2 * Math.log(L[j * p + j]);
  if (!fit.parts) throw new Error('internal: a fit without rows and without its criterion\'s parts');
  return { RX, ldL2: fit.parts.ldL2, ldRX2 };
}

/** the row weights of the penalized system: prior weights (lmer), working weights w μ'(η)²/V(μ) at μ̂ (glmer) */
export function systemWeights(fit: GetMEFit): Float64Array | null {
  const { model } = fit;
  const w = model.frame.weights ?? null;
  const fam = model.family;
  if (!fam) return w;
  const mu = fit.mu;
  const { n } = model.frame;
  const eta = mu.map((m) => fam.linkfun(m));
  return Float64Array.from({ length: n }, (_, r) => ((w ? w[r] : 1) * fam.muEta(eta[r]) ** 2) / fam.variance(mu[r]));
}

/** lme4's devcomp at the fit's optimum */
function devcomp(fit: GetMEFit, u: Float64Array, f: { ldL2: number; ldRX2: number }): DevComp {
  const { model } = fit;
  const { n, p, y } = model.frame;
  const w = model.frame.weights ?? null;
  const fam = model.family;
  let ussq = 0;
  for (const v of u) ussq += v * v;
  let wrss = 0;
  if (model.source && fit.parts) {
    // rows elsewhere (an lmer fit): wrss = r² − ‖u‖², r² the penalized RSS at θ̂ (the same in any parametrization)
    wrss = fit.parts.pwrss - ussq;
  } else {
    // wrss = Σ w (y − μ̂)² (lmer), Σ w (y − μ̂)²/V(μ̂) (glmer: the weighted Pearson residuals' squares)
    const mu = fit.mu;
    for (let r = 0; r < n; r++) { const d = y[r] - mu[r]; wrss += ((w ? w[r] : 1) * d * d) / (fam ? fam.variance(mu[r]) : 1); }
  }
  const pwrss = wrss + ussq;
  const q = u.length;
  const glmm = fam !== undefined;
  const reml = !glmm && model.reml === true;
  const cmp = {
    // ldL2: a GLMM's at PIRLS's converged weights, as its Laplace deviance uses it
    ldL2: glmm && fit.pirls ? fit.pirls.ldL2 : f.ldL2, ldRX2: f.ldRX2, wrss, ussq, pwrss,
    drsum: glmm && fit.pirls ? fit.pirls.devResid : NaN,
    REML: reml ? fit.objective : NaN, dev: reml ? NaN : fit.objective,
    // mkMerMod's: √(pwrss/n) where the family has a scale (lmer; glmer's Gamma, inverse.gaussian), the REML one lmer's only
    sigmaML: glmm && !fam.hasScale ? NaN : Math.sqrt(pwrss / n), sigmaREML: glmm ? NaN : Math.sqrt(pwrss / (n - p)),
  };
  const dims: Record<string, number> = {
    N: n, n, p, nmp: n - p, q, nth: fit.theta.length,
    ...(glmm ? { nAGQ: fit.nAGQ ?? 1, compDev: 1 } : {}),
    useSc: glmm ? (fam.hasScale ? 1 : 0) : 1, reTrms: model.frame.reTerms.length, spFe: 0,
    REML: reml ? p : 0, GLMM: glmm ? 1 : 0, NLMM: 0,
  };
  return { cmp, dims };
}

/** the distinct grouping factors (lme4's flist), in the order of their first term */
function flistOf<T extends { group: string }>(terms: T[]): T[] {
  const seen = new Set<string>();
  return terms.filter((t) => !seen.has(t.group) && seen.add(t.group));
}

/** an array's rows as number[][] (X is n × p column-major) */
function columnMajorRows(A: Float64Array, n: number, p: number): number[][] {
  return Array.from({ length: n }, (_, r) => Array.from({ length: p }, (_, c) => A[c * n + r]));
}

/**
 * getME(fit, name) of lme4 1.1-31 (module comment). Throws OptionError for a name it does not provide
 * (listing those it does), ModelError for what a fit cannot give: a fit with a known covariance (relmat:
 * not an lme4 model), the names that need the rows of a fit whose rows are in an engine, glmer.nb.theta
 * of a fit that is not a negative binomial's.
 */
export function getME(fit: GetMEFit, name: string): unknown {
  if (name === 'ALL') {
    throw new OptionError('name', `getME: 'ALL' (lme4's every name at once, a function among them) is not provided: ask for the names (${GETME_NAMES.join(', ')})`);
  }
  if (!(GETME_NAMES as readonly string[]).includes(name)) {
    throw new OptionError('name', `getME: '${name}' is not a name this getME provides; it provides ${GETME_NAMES.join(', ')}`);
  }
  const { model } = fit;
  if (model.known.some((k) => k)) {
    throw new ModelError(`getME: this fit has a grouping factor with a known covariance matrix (relmat), which lme4's merMod has no place for: its Z and Λ are not lme4's`);
  }
  if (model.source && NEEDS_ROWS.has(name)) {
    throw new ModelError(`getME('${name}'): the rows of this fit are in ${model.source.engine} (${model.source.name}), not in memory; '${name}' needs them (what needs no rows: ${GETME_NAMES.filter((s) => !NEEDS_ROWS.has(s)).join(', ')})`);
  }
  const { frame } = model;
  const { n, p, reTerms } = frame;
  const layout = termLayout(model);
  const q = layout.Gp[layout.Gp.length - 1];
  const isGlmm = model.family !== undefined;
  switch (name as GetMEName) {
    case 'X': return { names: frame.xnames.slice(), rows: columnMajorRows(frame.X, n, p) };
    case 'Z': return lme4Z(model);
    case 'Zt': return transposeSparse(lme4Z(model));
    case 'Lambdat': return lme4Lambdat(model, fit.theta).Lambdat;
    case 'Lambda': return transposeSparse(lme4Lambdat(model, fit.theta).Lambdat);
    case 'Lind': return lme4Lambdat(model, fit.theta).Lind;
    case 'theta': return named(model.theta.names, fit.theta);
    case 'beta': return Float64Array.from(fit.beta);
    case 'fixef': return named(frame.xnames, fit.beta);
    case 'b': return lme4B(fit);
    case 'u': return lme4U(model, fit.theta, lme4B(fit));
    case 'y': return Float64Array.from(frame.y);
    case 'mu': return Float64Array.from(fit.mu);
    case 'offset': return frame.offset ? Float64Array.from(frame.offset) : new Float64Array(n);
    case 'weights': return frame.weights ? Float64Array.from(frame.weights) : new Float64Array(n).fill(1);
    case 'flist': return flistOf(reTerms).map((t) => ({ name: t.group, codes: Int32Array.from(t.codes), levels: t.levels.slice() }));
    case 'cnms': return reTerms.map((t) => ({ group: t.group, names: t.cnames.slice() }));
    case 'Gp': return layout.Gp.slice();
    case 'n': case 'N': return n;
    case 'p': return p;
    case 'q': return q;
    case 'k': return reTerms.length;
    case 'l_i': return flistOf(reTerms).map((t) => t.levels.length);
    case 'q_i': return reTerms.map((t) => t.q * t.levels.length);
    case 'm_i': return reTerms.map((t) => (t.q * (t.q + 1)) / 2);
    case 'm': return fit.theta.length;
    case 'lower': return Float64Array.from(model.theta.lower);
    case 'sigma': return fit.sigma;
    case 'REML': return !isGlmm && model.reml ? p : 0;
    case 'is_REML': return !isGlmm && model.reml === true;
    case 'RX': return model.source ? rxWithoutRows(fit).RX : lme4Factor(model, fit.theta, systemWeights(fit), 'blocks').RX;
    case 'RZX': return lme4Factor(model, fit.theta, systemWeights(fit), 'terms').RZX;
    case 'devcomp': return devcomp(fit, lme4U(model, fit.theta, lme4B(fit)), model.source ? rxWithoutRows(fit) : lme4Factor(model, fit.theta, systemWeights(fit), 'blocks'));
    case 'Ztlist': return ztList(model);
    case 'mmList': return mmList(model);
    case 'p_i': return pI(model);
    case 'Tlist': return tList(model, fit.theta);
    case 'ST': return stList(model, fit.theta);
    case 'Tp': return tP(model);
    case 'n_rtrms': return reTerms.length;
    case 'n_rfacs': return flistOf(reTerms).length;
    case 'A': return lambdatZt(model, fit.theta);
    case 'L': return lme4L(model, fit.theta, systemWeights(fit));
    case 'devfun': return isGlmm ? glmmDevfun(fit as unknown as GlmmFit) : lmmDevfun(fit as unknown as LmmFit);
    case 'glmer.nb.theta': {
      if (model.family?.family !== 'negative.binomial' || fit.nbSize == null) throw new ModelError(`getME('glmer.nb.theta'): this fit is not a negative binomial's (glmer.nb); it has no size θ`);
      return fit.nbSize;
    }
  }
}

/** A JSON-ready form of a getME result (typed arrays as arrays, sparse matrices with their slots, NaN and ±Infinity as null/strings). */
export function getMEJson(value: unknown): unknown {
  if (value instanceof Float64Array || value instanceof Int32Array) return Array.from(value, jsonNumber);
  if (typeof value === 'number') return jsonNumber(value);
  if (Array.isArray(value)) return value.map(getMEJson);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, getMEJson(v)]));
  return value;
}
function jsonNumber(v: number): number | string | null {
  if (Number.isNaN(v)) return null;
  if (v === Infinity) return 'Inf';
  if (v === -Infinity) return '-Inf';
  return v;
}
