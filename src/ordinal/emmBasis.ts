/**
 * emmeans's reference grid and basis of a cumulative link mixed model (emmeans 1.8.4's emm_basis.clm,
 * which emm_basis.clmm calls, and its post-grid hook for the probability modes): the grid of the fixed
 * part (src/inference/referenceGrid.ts: factors' levels, covariates at their means, `at`, the rows
 * per cell as weights), each cell's design row x_c without the intercept, and by `mode`:
 *
 *   latent            the latent variable's mean, emmeans's sign convention and `rescale` = (r₁, r₂):
 *                       ℓ_c = (−r₂ m, r₂ x_c) on (α − r₁/r₂, β),  m = the column means of J_Θ,
 *                     so that with flexible thresholds EMM_c = r₁ + r₂ (x_cᵀβ − mean(Θ));
 *   linear.predictor  per cut point j (the pseudo-factor `cut`, varying slowest):
 *                       η_cj = Θ_j − x_cᵀβ,  ℓ_cj = (J_Θ[j, ·], −x_c),
 *                     on the link's scale (emmeans's tran: its inverse F gives `cumprob` with type 'response');
 *   cum.prob          P(Y ≤ j) = F(η_cj) per cell and cut (emmeans's regrid to the response scale);
 *   exc.prob          P(Y > j) = 1 − F(η_cj);
 *   prob              P(Y = k) = F(η_ck) − F(η_c,k−1) (η_c0 = −∞, η_cJ = +∞), the pseudo-factor of
 *                     the response's categories varying fastest (emmeans's .diff_cum contrast);
 *   mean.class        Σ_k k P(Y = k), k the categories' values (their labels as numbers).
 *
 * The probability modes are regridded as emmeans regrids them: the grid's values v_r are the new
 * estimates, their covariance G V Gᵀ with G the gradient of v in (α, β) (the delta method,
 * ∂F(η)/∂(α, β) = f(η) (J_Θ[j, ·], −x_c)), and the means average these values over the grid with the
 * cells' weights (mean.class has no weights: emmeans's grid of it keeps none). Where the fit dropped
 * aliased columns (an empty cell), a cell outside the row space of the full model matrix is not
 * estimable, and so is every mean or contrast that puts weight on it (emmeans's nonEst). V is the fit's
 * Hessian-based vcov restricted to the thresholds' parameters and the coefficients, as
 * emm_basis.clmm restricts it; the df are asymptotic (z statistics).
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import type { Scale } from '../inference/emmeans.js';
import { type GridVariable, type ReferenceGrid, isEstimable, referenceGrid } from '../inference/referenceGrid.js';
import { intervalProbability } from './links.js';
import type { ClmmModel } from './model.js';
import { thresholdsOf } from './thresholds.js';

export const CLMM_EMM_MODES = ['latent', 'linear.predictor', 'cum.prob', 'exc.prob', 'prob', 'mean.class'] as const;
export type ClmmEmmMode = (typeof CLMM_EMM_MODES)[number];

/** The parameters the means are computed at: α, β and Var(α, β), (n_α + p)² row-major. */
export interface ClmmEmmParameters {
  alpha: ArrayLike<number>;
  beta: ArrayLike<number>;
  V: ArrayLike<number>;
}

/** A mode's grid (its model-matrix rows in the coordinates of `beta`), the estimates' coordinates and their covariance. */
export interface ClmmEmmBasis {
  grid: ReferenceGrid;
  beta: Float64Array;
  V: Float64Array;
  p: number;
  scale: Scale;
  /** the estimate's name in the printout: emmean, cumprob, exc.prob, prob, mean.class */
  estName: string;
  /** notes for the user */
  messages: string[];
}

/** the most values a probability mode regrids (their covariance is rows × rows) */
export const MAX_REGRID_ROWS = 4000;

const IDENTITY: Scale = { tran: null, linkinv: (x) => x, muEta: () => 1, label: 'response', ratio: null };

/** emmeans's .diff_cum labels of the categories: the cut names' parts, or 1 … J where those are not J distinct labels. */
function classLabels(cutNames: string[]): string[] {
  const parts = [...new Set(cutNames.flatMap((c) => c.split('|')))];
  return parts.length === cutNames.length + 1 ? parts : Array.from({ length: cutNames.length + 1 }, (_, k) => String(k + 1));
}

/** The grid and basis of `mode` at the parameters `params`. */
export function clmmEmmBasis(model: ClmmModel, params: ClmmEmmParameters, options: { mode?: ClmmEmmMode; at?: unknown; rescale?: [number, number] } = {}): ClmmEmmBasis {
  const mode = options.mode ?? 'latent';
  if (!(CLMM_EMM_MODES as readonly unknown[]).includes(mode)) throw new OptionError('mode', `mode must be one of ${CLMM_EMM_MODES.join(', ')}, not ${showValue(mode)}`);
  const rescale = options.rescale ?? [0, 1];
  if (!Array.isArray(rescale) || rescale.length !== 2 || !rescale.every((v) => typeof v === 'number' && Number.isFinite(v)) || rescale[1] === 0) {
    throw new OptionError('rescale', `rescale must be two finite numbers [shift, scale] with a nonzero scale (emmeans's rescale = c(0, 1)), not ${showValue(rescale)}`);
  }
  if (options.rescale !== undefined && mode !== 'latent') throw new OptionError('rescale', `rescale is for mode 'latent' (the latent variable's scale), not '${mode}'`);
  const { nAlpha, p, thresholds, link } = model;
  const np = nAlpha + p;
  if (params.alpha.length !== nAlpha || params.beta.length !== p || params.V.length !== np * np) {
    throw new ModelError(`emmeans: the parameters must be ${nAlpha} thresholds' parameters, ${p} coefficients and their ${np} × ${np} covariance (got ${params.alpha.length}, ${params.beta.length} and ${params.V.length} values)`);
  }
  const base = referenceGrid(model, options.at);
  // with aliased columns dropped: whether each cell's design row is in the row space of the full model
  // matrix (estimability::is.estble; emmeans's nonEst)
  const est = base.estimability;
  const cellEstimable = est ? Array.from({ length: base.rows }, (_, c) => isEstimable(est.nullBasis, est.Xfull.subarray(c * est.pFull, c * est.pFull + est.pFull))) : null;
  const P = model.frame.p;
  if (model.frame.xnames[0] !== '(Intercept)' || P !== p + 1) throw new Error('internal: a clmm frame has the intercept first');
  const G = base.rows;
  // each cell's x_c (the frame's design row without its intercept) and x_cᵀβ
  const x = (c: number) => base.X.subarray(c * P + 1, c * P + P);
  const xb = Float64Array.from({ length: G }, (_, c) => {
    const xc = x(c);
    let s = 0;
    for (let a = 0; a < p; a++) s += xc[a] * params.beta[a];
    return s;
  });
  const nTheta = thresholds.nTheta;
  const J = thresholds.jacobian;
  const Theta = thresholdsOf(thresholds, params.alpha);
  const V0 = Float64Array.from(params.V);
  const messages: string[] = [];
  const pseudo = (name: string) => {
    if (base.variables.some((v) => v.name === name)) throw new ModelError(`emmeans: the fixed part has a variable named '${name}', the name of mode '${mode}''s pseudo-factor; rename it`);
  };

  if (mode === 'latent') {
    const [r1, r2] = rescale;
    // m = the column means of J_Θ; ℓ_c = (−r₂ m, r₂ x_c), and α − r₁/r₂ in place of α (emmeans's intcpt shift)
    const m = new Float64Array(nAlpha);
    for (let j = 0; j < nTheta; j++) for (let a = 0; a < nAlpha; a++) m[a] += J[j * nAlpha + a] / nTheta;
    const X = new Float64Array(G * np);
    for (let c = 0; c < G; c++) {
      for (let a = 0; a < nAlpha; a++) X[c * np + a] = -r2 * m[a];
      const xc = x(c);
      for (let a = 0; a < p; a++) X[c * np + nAlpha + a] = r2 * xc[a];
    }
    const beta = new Float64Array(np);
    for (let a = 0; a < nAlpha; a++) beta[a] = params.alpha[a] - r1 / r2;
    for (let a = 0; a < p; a++) beta[nAlpha + a] = params.beta[a];
    // (a linear function is estimable where its frame coordinates are: ℓ's α part stands for the intercept)
    return { grid: { ...base, X, offset: new Float64Array(G) }, beta, V: V0, p: np, scale: IDENTITY, estName: 'emmean', messages };
  }

  const cut: GridVariable = { name: 'cut', kind: 'factor', values: [...thresholds.thetaNames], counted: true };
  // the design row of η_cj = Θ_j − x_cᵀβ in (α, β): (J_Θ[j, ·], −x_c)
  const etaRow = (c: number, j: number, out: Float64Array, weight: number) => {
    for (let a = 0; a < nAlpha; a++) out[a] += weight * J[j * nAlpha + a];
    const xc = x(c);
    for (let a = 0; a < p; a++) out[nAlpha + a] -= weight * xc[a];
  };
  if (mode === 'linear.predictor') {
    pseudo('cut');
    const rows = G * nTheta;
    const X = new Float64Array(rows * np);
    const counts = new Float64Array(rows);
    for (let j = 0; j < nTheta; j++) for (let c = 0; c < G; c++) {
      const r = c + G * j;
      etaRow(c, j, X.subarray(r * np, r * np + np), 1);
      counts[r] = base.counts[c];
    }
    const beta = Float64Array.from([...Array.from(params.alpha), ...Array.from(params.beta)]);
    const scale: Scale = {
      tran: link.name, linkinv: (e) => link.lower(e), muEta: (e) => link.density(e), label: 'cumprob',
      ratio: link.name === 'logit' ? { label: 'odds.ratio', scale: 'log odds ratio' } : null,
    };
    // each cut's row is estimable where its cell's is: the cell's full design row, repeated for each cut
    let estimability: ReferenceGrid['estimability'] = null;
    if (est) {
      const Xfull = new Float64Array(rows * est.pFull);
      for (let j = 0; j < nTheta; j++) Xfull.set(est.Xfull.subarray(0, G * est.pFull), G * j * est.pFull);
      estimability = { ...est, Xfull };
    }
    return { grid: { variables: [...base.variables, cut], rows, X, offset: new Float64Array(rows), counts, estimability }, beta, V: V0, p: np, scale, estName: 'emmean', messages };
  }

  // the probability modes: each grid row's value v_r and its gradient g_r in (α, β), then emmeans's regrid
  const eta = (c: number, j: number) => (j < 0 ? -Infinity : j >= nTheta ? Infinity : Theta[j] - xb[c]);
  const dens = (c: number, j: number) => (j < 0 || j >= nTheta ? 0 : link.density(eta(c, j)));
  let variables: GridVariable[];
  let rows: number;
  let values: Float64Array;
  let gradient: Float64Array;
  let counts: Float64Array;
  let estName: string;
  /** each regridded row's cell */
  let cellOf: (r: number) => number;
  if (mode === 'cum.prob' || mode === 'exc.prob') {
    pseudo('cut');
    rows = G * nTheta;
    variables = [...base.variables, cut];
    values = new Float64Array(rows);
    gradient = new Float64Array(rows * np);
    counts = new Float64Array(rows);
    const exc = mode === 'exc.prob';
    for (let j = 0; j < nTheta; j++) for (let c = 0; c < G; c++) {
      const r = c + G * j;
      // P(Y ≤ j) = F(η), P(Y > j) = 1 − F(η); ∂/∂(α, β) = ±f(η) (J_Θ[j, ·], −x_c)
      values[r] = exc ? link.upper(eta(c, j)) : link.lower(eta(c, j));
      etaRow(c, j, gradient.subarray(r * np, r * np + np), (exc ? -1 : 1) * dens(c, j));
      counts[r] = base.counts[c];
    }
    estName = exc ? 'exc.prob' : 'cumprob';
    cellOf = (r) => r % G;
  } else {
    const response = model.formula.response;
    const respName = response.kind === 'expr' && response.expr.type === 'var' ? response.expr.name : 'class';
    const labels = classLabels(thresholds.thetaNames);
    const K = nTheta + 1;
    // P(Y = k) per cell and its gradient f(η_k) ℓ_k − f(η_{k−1}) ℓ_{k−1}
    const probRow = (c: number, k: number, g: Float64Array, weight: number): number => {
      if (k < nTheta) etaRow(c, k, g, weight * dens(c, k));
      if (k > 0) etaRow(c, k - 1, g, -weight * dens(c, k - 1));
      return intervalProbability(link, eta(c, k), eta(c, k - 1));
    };
    if (mode === 'prob') {
      pseudo(respName);
      rows = G * K;
      variables = [{ name: respName, kind: 'factor', values: labels, counted: true }, ...base.variables];
      values = new Float64Array(rows);
      gradient = new Float64Array(rows * np);
      counts = new Float64Array(rows);
      for (let c = 0; c < G; c++) for (let k = 0; k < K; k++) {
        const r = k + K * c;
        values[r] = probRow(c, k, gradient.subarray(r * np, r * np + np), 1);
        counts[r] = base.counts[c];
      }
      estName = 'prob';
      cellOf = (r) => Math.floor(r / K);
    } else {
      // mean.class: Σ_k v_k P(Y = k), v_k the categories' labels as numbers (emmeans's as.numeric of
      // them); labels that are not numbers count by their positions 1 … J
      let lf = labels.map(Number);
      if (!lf.every(Number.isFinite)) {
        lf = labels.map((_, k) => k + 1);
        messages.push(`mean.class: the categories of '${respName}' (${labels.join(', ')}) are not numbers; the mean class counts them by their positions 1 … ${K}`);
      }
      rows = G;
      variables = base.variables;
      values = new Float64Array(rows);
      gradient = new Float64Array(rows * np);
      // emmeans's mean.class grid keeps no weights: every weighting is equal there
      counts = new Float64Array(rows);
      for (let c = 0; c < G; c++) {
        const g = gradient.subarray(c * np, c * np + np);
        for (let k = 0; k < K; k++) values[c] += lf[k] * probRow(c, k, g, lf[k]);
      }
      estName = 'mean.class';
      cellOf = (r) => r;
    }
  }
  // a non-estimable cell's values: left out (0, no gradient) and marked by a null basis of unit
  // vectors in the regridded coordinates, so that a mean or contrast with weight on them is nonEst
  let estimability: ReferenceGrid['estimability'] = null;
  if (cellEstimable) {
    const nullBasis: Float64Array[] = [];
    for (let r = 0; r < rows; r++) {
      if (cellEstimable[cellOf(r)]) continue;
      values[r] = 0;
      gradient.fill(0, r * np, r * np + np);
      const e = new Float64Array(rows);
      e[r] = 1;
      nullBasis.push(e);
    }
    if (nullBasis.length > 0) {
      const Xfull = new Float64Array(rows * rows);
      for (let r = 0; r < rows; r++) Xfull[r * rows + r] = 1;
      estimability = { nullBasis, Xfull, pFull: rows, kept: Array.from({ length: rows }, (_, r) => r) };
    }
  }
  // emmeans's regrid: the values are the new coordinates (X = I), with covariance G V Gᵀ (rows × rows)
  if (rows > MAX_REGRID_ROWS) {
    throw new ModelError(`emmeans: mode '${mode}' would regrid ${rows} values (the reference grid's ${G} cells${mode === 'mean.class' ? '' : ` × ${mode === 'prob' ? nTheta + 1 : nTheta} ${mode === 'prob' ? 'categories' : 'cut points'}`}), more than ${MAX_REGRID_ROWS}: use 'at' to choose fewer values`);
  }
  const V = new Float64Array(rows * rows);
  const GV = new Float64Array(rows * np);
  for (let r = 0; r < rows; r++) for (let a = 0; a < np; a++) {
    let s = 0;
    for (let b = 0; b < np; b++) s += gradient[r * np + b] * V0[b * np + a];
    GV[r * np + a] = s;
  }
  for (let r = 0; r < rows; r++) for (let s = r; s < rows; s++) {
    let v = 0;
    for (let a = 0; a < np; a++) v += GV[r * np + a] * gradient[s * np + a];
    V[r * rows + s] = V[s * rows + r] = v;
  }
  const X = new Float64Array(rows * rows);
  for (let r = 0; r < rows; r++) X[r * rows + r] = 1;
  return { grid: { variables, rows, X, offset: new Float64Array(rows), counts, estimability }, beta: values, V, p: rows, scale: IDENTITY, estName, messages };
}
