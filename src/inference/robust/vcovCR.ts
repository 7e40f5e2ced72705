/**
 * clubSandwich 0.5.8's cluster-robust variance of an lmer fit's β̂ (vcovCR.lmerMod → vcov_CR, with the
 * working model's inverse variance as weights: inverse_var = TRUE, target Θ_j = V_j):
 *
 *   M = (Σ_j X_jᵀ W_j X_j)⁻¹,   W_j = V_j⁻¹                  (the bread: lme4's vcov(fit)/σ̂²)
 *   V^CR = M (Σ_j E_j e_j e_jᵀ E_jᵀ) M,   E_j = c X_jᵀ W_j A_j  (the estimating matrices, adjusted)
 *
 * with the adjustments of each type (J clusters, N rows, p coefficients):
 *   CR0  c = 1, A_j = I;   CR1  c = √(J/(J−1));   CR1p  c = √(J/(J−p));   CR1S  c = √(J(N−1)/((J−1)(N−p)));
 *   CR2  A_j = Uᵀ G_j^{-1/2} U,  G_j = U (V_j − X_j M X_jᵀ) Uᵀ,  UᵀU = V_j (Bell & McCaffrey; Pustejovsky &
 *        Tipton 2018), G_j's eigenvalues ≤ 1e-12 set to 0 as clubSandwich's matrix_power;
 *   CR3  A_j = (I − X_j M X_jᵀ W_j)⁻¹, so that E_j = (I − F_j M)⁻¹ X_jᵀW_j (push-through; p × p).
 *
 * CR2's A_j is computed in the low-rank form of src/inference/robust/cr2.ts (O(n_j (q_j + p)²)), or from
 * n_j × n_j matrices where prior weights vary within a cluster; the other types work in p × p per cluster.
 *
 * Kept for the small-sample tests (clubSandwich's get_GH with inverse_var): per cluster
 *   G_jG_jᵀ = M E_j V_j E_jᵀ M   (p × p; G_j = M E_j Uᵀ)   and   H_j = M E_j X_j L_M   (M = L_M L_Mᵀ).
 */
import { choleskyInPlace, invertGaussJordan } from '../../linalg/dense.js';
import { ModelError, OptionError } from '../../errors/errors.js';
import { LmmFit } from '../../lmm/lmmFit.js';
import { GlmmFit } from '../../glmm/glmmFit.js';
import { type Clusters, resolveClusters } from './clusters.js';
import { type ClusterPiece, clusterPieces } from './clusterPieces.js';
import { matmul, spdInverse } from '../../linalg/dense.js';
import { cr2Cluster } from './cr2.js';

export const CR_TYPES = ['CR0', 'CR1', 'CR1p', 'CR1S', 'CR2', 'CR3'] as const;
export type CrType = (typeof CR_TYPES)[number];

export interface VcovCROptions {
  /** the small-sample adjustment: 'CR2' (default), 'CR0', 'CR1', 'CR1p', 'CR1S', 'CR3' */
  type?: CrType;
  /** a grouping factor's name, or one cluster label per row; default the factor with the fewest levels */
  cluster?: string | ArrayLike<unknown>;
}

/** A cluster-robust variance with what its tests need (clubSandwich's vcovCR object and its attributes). */
export interface VcovCR {
  type: CrType;
  /** the clustering factor's name */
  cluster: string;
  /** the clusters' labels */
  clusterLevels: string[];
  /** the number of clusters J */
  J: number;
  /** the number of rows N */
  N: number;
  p: number;
  xnames: string[];
  beta: number[];
  /** the cluster-robust variance of β̂ (p × p) */
  vcov: number[][];
  /** the same, row-major */
  V: Float64Array;
  /** the bread M = (Σ X_jᵀ W_j X_j)⁻¹ (p × p) */
  bread: Float64Array;
  /** per cluster: M E_j V_j E_jᵀ M (p × p) */
  gg: Float64Array[];
  /** per cluster: M E_j X_j L_M (p × p) */
  h: Float64Array[];
}

/** Refuses what clubSandwich has no lmerMod method for, or what the working model here does not cover. */
export function checkRobustFit(fit: unknown): asserts fit is LmmFit {
  if (!(fit instanceof LmmFit)) {
    throw new ModelError(fit instanceof GlmmFit
      ? 'cluster-robust variance (vcovCR): clubSandwich 0.5.8 has no method for glmer fits (glmerMod), only for lmer fits (lmerMod); fit a linear mixed model with lmer'
      : 'cluster-robust variance (vcovCR): expected an lmer fit');
  }
  if (fit.model.source) {
    throw new ModelError(`cluster-robust variance (vcovCR): the rows of this fit are in ${fit.rowsSource}, not in memory; the sandwich needs each cluster's rows (X_j, Z_j, residuals): fit with the rows in memory`);
  }
  if (fit.model.known.some((k) => k)) {
    throw new ModelError('cluster-robust variance (vcovCR): a grouping factor with a known covariance matrix (relmat) is not supported: its levels are correlated across clusters');
  }
}

export function checkCrType(type: unknown): CrType {
  if (type === undefined) return 'CR2';
  if (typeof type !== 'string' || !(CR_TYPES as readonly string[]).includes(type)) {
    throw new OptionError('type', `type: '${String(type)}' is not a cluster-robust variance type; use one of ${CR_TYPES.join(', ')} (CR4, clubSandwich's for weighted least squares, is not offered)`);
  }
  return type as CrType;
}

const owners = new WeakMap<object, object>();

/** The fit a cluster-robust variance was computed for (null: not one of vcovCR's). */
export function fitOfVcov(v: object): object | null {
  return owners.get(v) ?? null;
}

/** Records the fit (an lmer fit, a meta-analysis) a cluster-robust variance belongs to. */
export function ownVcov<V extends object>(v: V, fit: object): V {
  owners.set(v, fit);
  return v;
}

/**
 * clubSandwich's vcovCR(fit, cluster, type) of an lmer fit. `denseCr2`: CR2 by each cluster's dense
 * n_j × n_j matrices even where the low-rank form applies (for the tests that compare the two).
 */
export function vcovCR(fit: LmmFit, options: VcovCROptions = {}, denseCr2 = false): VcovCR {
  checkRobustFit(fit);
  const type = checkCrType(options.type);
  const frame = fit.model.frame;
  const clusters: Clusters = resolveClusters(frame, options.cluster);
  const pieces = clusterPieces(fit, clusters, type === 'CR2' ? (denseCr2 ? 'always' : 'varying-weights') : 'never');
  const out = vcovFromPieces(pieces, type, { cluster: clusters.name, clusterLevels: clusters.levels, N: frame.n, xnames: frame.xnames, beta: fit.beta }, denseCr2);
  owners.set(out, fit);
  return out;
}

/**
 * The cluster-robust variance from each cluster's working model (X_j, e_j, F_j, g_j; V_j and X_jᵀW_j
 * where CR2 takes its n_j × n_j form): the stage lmer fits and meta-analyses (src/meta/robustMeta.ts) share.
 */
export function vcovFromPieces(
  pieces: ClusterPiece[], type: CrType,
  about: { cluster: string; clusterLevels: string[]; N: number; xnames: readonly string[]; beta: ArrayLike<number> },
  denseCr2 = false,
): VcovCR {
  const p = about.xnames.length;
  const N = about.N;
  const J = pieces.length;
  if (type === 'CR1p' && J <= p) throw new ModelError(`CR1p: the adjustment √(J/(J − p)) needs more clusters than coefficients (J = ${J}, p = ${p}); use CR2`);
  // M = (Σ F_j)⁻¹
  const sumF = new Float64Array(p * p);
  for (const pc of pieces) for (let k = 0; k < p * p; k++) sumF[k] += pc.F[k];
  const M = spdInverse(sumF, p, 'Σ XᵀV⁻¹X').inv;
  const LM = Float64Array.from(M);
  choleskyInPlace(LM, p, 'the bread (XᵀV⁻¹X)⁻¹');
  for (let i = 0; i < p; i++) for (let j = i + 1; j < p; j++) LM[i * p + j] = 0;
  const meat = new Float64Array(p * p);
  const gg: Float64Array[] = [];
  const h: Float64Array[] = [];
  const scalar = type === 'CR1' ? Math.sqrt(J / (J - 1)) : type === 'CR1p' ? Math.sqrt(J / (J - p)) : type === 'CR1S' ? Math.sqrt((J * (N - 1)) / ((J - 1) * (N - p))) : 1;
  for (const pc of pieces) {
    let u: Float64Array, EX: Float64Array, EVE: Float64Array;
    if (type === 'CR2') ({ u, EX, EVE } = cr2Cluster(pc, M, p, denseCr2));
    else if (type === 'CR3') ({ u, EX, EVE } = cr3Cluster(pc, M, p));
    else {
      // E_j = c X_jᵀW_j: E e = c g, E X = c F, E V Eᵀ = c² F
      u = pc.g.map((v) => v * scalar);
      EX = pc.F.map((v) => v * scalar);
      EVE = pc.F.map((v) => v * scalar * scalar);
    }
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) meat[a * p + b] += u[a] * u[b];
    gg.push(matmul(matmul(M, EVE, p, p, p), M, p, p, p));
    h.push(matmul(matmul(M, EX, p, p, p), LM, p, p, p));
  }
  const vcov = matmul(matmul(M, meat, p, p, p), M, p, p, p);
  const out = {
    type, cluster: about.cluster, clusterLevels: about.clusterLevels, J, N, p, xnames: [...about.xnames],
    beta: Array.from(about.beta), vcov: Array.from({ length: p }, (_, i) => Array.from(vcov.subarray(i * p, (i + 1) * p))),
  } as VcovCR;
  // what the tests need, kept out of JSON and printouts
  Object.defineProperties(out, { V: { value: vcov }, bread: { value: M }, gg: { value: gg }, h: { value: h } });
  return out;
}

/** CR3: E_j = B X_jᵀW_j with B = (I − F_j M)⁻¹: E e = B g, E X = B F, E V Eᵀ = B F Bᵀ. */
function cr3Cluster(pc: ClusterPiece, M: Float64Array, p: number): { u: Float64Array; EX: Float64Array; EVE: Float64Array } {
  const IFM = matmul(pc.F, M, p, p, p).map((v) => -v);
  for (let k = 0; k < p; k++) IFM[k * p + k] += 1;
  const B = invertGaussJordan(IFM, p);
  if (!B) throw new ModelError('CR3: I − X_j M X_jᵀ W_j is singular for a cluster (a coefficient estimated from that cluster alone); use CR2');
  const u = matmul(B, pc.g, p, p, 1);
  const EX = matmul(B, pc.F, p, p, p);
  const EVE = matmul(EX, transposeOf(B, p), p, p, p);
  return { u, EX, EVE };
}

function transposeOf(A: Float64Array, p: number): Float64Array {
  const T = new Float64Array(p * p);
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) T[j * p + i] = A[i * p + j];
  return T;
}
