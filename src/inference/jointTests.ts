/**
 * emmeans's joint_tests(fit, by): an F test of every model term (and every set of variables within a
 * term) through estimated marginal means — the "type III" table emmeans users read for any model,
 * with the df methods of the means (Kenward–Roger or Satterthwaite for lmer, ∞ for glmer).
 *
 * The reference grid is emmeans's with cov.reduce = meanint: each factor at its levels, each covariate
 * at mean − 1 and mean + 1 (a covariate with two values kept at them, cov.keep = 2). For each set S of
 * the grid's variables (by variables aside) lying within one fixed-effects term, in emmeans's order
 * (by |S|, then depth first in the grid's order):
 *   - the means of S (and by) averaged over the other variables with equal weights (emmeans(fit, S));
 *   - their interaction contrasts, the Kronecker product of each variable's consecutive differences
 *     (level j+1 − level j), the first variable fastest: rows ℓ_1 … ℓ_m of L, within each by group;
 *   - emmeans's test(joint = TRUE): rows that are all zero dropped, entries below 1e-7 zeroed, an
 *     orthonormal basis Q of L's row space from R's QR of Lᵀ (LINPACK dqrdc2: a row whose residual
 *     falls below 1e-7 of its norm is dependent, note "d"; then diagonal entries that zapsmall sets to
 *     0 are dropped), r = rank, and
 *       z = Q β̂,   F = zᵀ (Q V Qᵀ)⁻¹ z / r,   df2 = min_i ν(q_i),   p = P(F(r, df2) > F),
 *     V and ν(·) the means' covariance and df (src/inference/emmeans.ts inferenceOf).
 * Then "(confounded)": the joint test of all consecutive differences of the grid's cells, less the
 * terms' tests, as emmeans computes it (from the rounded F ratios it prints):
 *   df1 = df1_all − Σ df1_S,   F = (df1_all F_all − df1_tests F_tests) / df1,   on df2_all;
 * kept where df1 > 0.
 * emmeans rounds df2 to 2 decimals and F to 3 in its table; here F and df2 are kept whole (the
 * printout rounds), p is from them (emmeans's), and the confounded row is computed from the rounded
 * values as emmeans does.
 * Refused, with the reason: a contrast that is not estimable (an empty cell of a rank-deficient fit:
 * emmeans's estimability subspace depends on its own null basis), nested designs (referenceGrid.ts).
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { pfUpper } from '../stats/distributions.js';
import { termVariables } from '../frame/covariates.js';
import { roundR, zapsmall } from '../results/rFormat.js';
import { type EmmDdf, type EmmInferenceMethod, type Inference, type LinearFunction, averageGrid, formatLevel, inferenceOf, quadForm } from './emmeans.js';
import { type AtValues, type GridModel, type GridValue, type ReferenceGrid, digit, gridSizes, isEstimable, referenceGrid } from './referenceGrid.js';

export interface JointTestsOptions {
  /** variables whose levels form separate tables (emmeans's `by`) */
  by?: string | string[];
  /** lmer's df method (default: kenward-roger for REML fits and ML fits given their remlRefit, satterthwaite for ML fits without); glmer: asymptotic */
  ddf?: EmmDdf;
  /** an ML fit's REML refit (`await fit.remlFit()`) for emmeans's Kenward–Roger df of an ML fit (EmmeansOptions.remlRefit) */
  remlRefit?: LmmFit;
  /** the "(confounded)" row (emmeans's showconf, default true) */
  showConfounded?: boolean;
  /** rows with df1 = 0 (emmeans's show0df, default false) */
  show0df?: boolean;
}

export interface JointTestRow {
  /** `A`, `A:B`, or `(confounded)` */
  term: string;
  /** the by variables' values */
  by: Record<string, GridValue>;
  df1: number;
  /** the smallest df of the basis's rows (∞ for glmer); NaN where there is no test */
  df2: number;
  F: number;
  p: number;
  /** emmeans's note: 'd' (df1 reduced by linear dependence), 'e' (by rows that are zero), 'd e', or '' */
  note: string;
}

const DEP_MSG = 'd: df1 reduced due to linear dependence';
const EST_MSG = 'e: df1 reduced due to non-estimability';

/** emmeans's joint tests of the model terms: their table and notes. */
export class JointTests {
  constructor(readonly rows: JointTestRow[], readonly by: string[], readonly ddf: EmmInferenceMethod, readonly messages: string[]) {}

  toString(): string { return formatJointTests(this); }

  toJSON(): Record<string, unknown> {
    const num = (x: number) => (x === Infinity ? 'Inf' : Number.isNaN(x) ? null : x);
    return {
      by: this.by, ddf: this.ddf,
      rows: this.rows.map((r) => ({ model_term: r.term, ...r.by, df1: r.df1, df2: num(r.df2), F_ratio: num(r.F), p_value: num(r.p), ...(r.note ? { note: r.note.trim() } : {}) })),
      messages: this.messages,
    };
  }
}

/** What a joint test needs: the means' covariance and df, the grid's estimability, β̂ */
interface TestContext {
  inference: Inference;
  est: ReferenceGrid['estimability'];
  beta: Float64Array;
}

/** One joint test's result, with the basis's rows (emmeans's est.fcns) for the confounded row. */
interface JointTest {
  df1: number;
  df2: number;
  F: number;
  p: number;
  /** bit 1: linear dependence, bit 2: rows dropped as zero */
  flag: number;
  /** Qᵀ's rows in the full design's coordinates, zapsmall'ed */
  basis: Float64Array[];
}

/** emmeans's joint_tests(fit, by). */
export function jointTests(fit: LmmFit | GlmmFit, options: JointTestsOptions = {}): JointTests {
  if (options === null || typeof options !== 'object') throw new OptionError('options', `joint tests options must be an object, not ${showValue(options)}`);
  const known = ['by', 'ddf', 'remlRefit', 'showConfounded', 'show0df'];
  for (const k of Object.keys(options)) if (!known.includes(k)) throw new OptionError(k, `unknown joint tests option '${k}' (options: ${known.join(', ')})`);
  for (const k of ['showConfounded', 'show0df'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new OptionError(k, `${k} must be true or false, not ${showValue(options[k])}`);
  }
  const by = checkJointBy(options.by);
  const messages: string[] = [];
  const inference = inferenceOf(fit, options.ddf, messages, options.remlRefit);
  return jointTestsOn(fit.model, inference, fit.beta, messages, { ...options, by }, "the model's fixed part");
}

/** the by option of joint tests: variable names */
export function checkJointBy(x: unknown): string[] {
  const by = x === undefined ? [] : Array.isArray(x) ? x : [x];
  for (const b of by) if (typeof b !== 'string' || b.length === 0) throw new OptionError('by', `by must be variable names, not ${showValue(x)}`);
  return by as string[];
}

/**
 * The joint tests of a model's fixed part (`gridModel`: its formula, frame and design) at β̂ with the
 * means' covariance and df (`inference`): lmer's and glmer's above, a glmmTMB component's
 * (src/zeroinfl/emmeans.ts). `what` names the model part in errors.
 */
export function jointTestsOn(gridModel: GridModel, inference: Inference, beta: Float64Array, messages: string[], options: { by: string[]; showConfounded?: boolean; show0df?: boolean }, what: string): JointTests {
  const by = options.by;
  // emmeans's meanint: each covariate at its mean ± 1, unless it has two values (kept)
  const frame = gridModel.frame;
  const at: AtValues = {};
  for (const [name, c] of frame.covariates ?? []) if (!(c.values && c.values.length === 2)) at[name] = [c.mean - 1, c.mean + 1];
  const grid = referenceGrid(gridModel, at);
  const names = grid.variables.map((v) => v.name);
  for (const b of by) if (!names.includes(b)) throw new OptionError('by', `by: '${b}' is not a variable of ${what} (its variables: ${names.join(', ')})`);
  const facs = names.filter((v) => !by.includes(v));
  if (facs.length === 0) throw new ModelError(`joint tests: there are no factors or covariates to test (${what} has no variables besides the by variables)`);
  const ctx: TestContext = { inference, est: grid.estimability, beta };
  const sizes = gridSizes(grid);
  const byIdx = by.map((b) => names.indexOf(b));
  const nBy = byIdx.reduce((s, k) => s * sizes[k], 1);
  // the terms' variables: a set S is tested when it lies within some term
  const termSets = frame.formula.fixed.terms.map((t) => termVariables(t));
  const testable = (S: string[]) => termSets.some((set) => S.every((v) => set.has(v)));

  const tests: { k: number; term: string; results: JointTest[] }[] = [];
  const visit = (these: number[]) => {
    if (these.length > 0 && testable(these.map((i) => facs[i]))) {
      const S = these.map((i) => names.indexOf(facs[i]));
      tests.push({ k: these.length, term: these.map((i) => facs[i]).join(':'), results: termTests(grid, S, byIdx, ctx) });
    }
    const last = these.length > 0 ? these[these.length - 1] : -1;
    for (let i = last + 1; i < facs.length; i++) visit([...these, i]);
  };
  visit([]);
  // emmeans orders the tests by their number of variables (a stable sort of the depth-first order)
  const ordered = tests.map((t, i) => ({ t, i })).sort((a, b) => a.t.k - b.t.k || a.i - b.i).map((x) => x.t);
  const byValues = (g: number) => {
    const out: Record<string, GridValue> = {};
    const bySizes = byIdx.map((k) => sizes[k]);
    by.forEach((b, m) => { out[b] = grid.variables[byIdx[m]].values[digit(g, bySizes, m)]; });
    return out;
  };
  const rows: JointTestRow[] = [];
  const noteText = (flag: number) => ['', ' d', '   e', ' d e'][flag];
  for (const t of ordered) t.results.forEach((res, g) => rows.push({ term: t.term, by: byValues(g), df1: res.df1, df2: res.df2, F: res.F, p: res.p, note: noteText(res.flag) }));
  if ((options.showConfounded ?? true) && tests.length > 0) {
    const all = cellContrasts(grid, byIdx, ctx);
    for (let g = 0; g < nBy; g++) {
      const ref = all[g];
      // the terms' bases in the order emmeans keeps them (the depth-first order), stacked
      const stacked = tests.flatMap((t) => t.results[g].basis);
      const tst = stacked.length > 0 ? jointTest(stacked.map((u) => ({ u })), ctx) : null;
      const df1 = ref.df1 - (tst?.df1 ?? 0);
      const F = (ref.df1 * roundR(ref.F, 3) - (tst ? tst.df1 * roundR(tst.F, 3) : 0)) / df1;
      const df2 = roundR(ref.df2, 2);
      rows.push({ term: '(confounded)', by: byValues(g), df1, df2, F, p: pfUpper(F, df1, df2), note: '' });
    }
  }
  const shown = (options.show0df ?? false) ? rows : rows.filter((r) => r.df1 > 0);
  // emmeans lists each by group's rows together (in the printout; its table is ordered by term)
  const groupOf = (r: JointTestRow) => JSON.stringify(by.map((b) => r.by[b]));
  const groupOrder = [...new Set(shown.map(groupOf))];
  const final = by.length === 0 ? shown : groupOrder.flatMap((key) => shown.filter((r) => groupOf(r) === key));
  if (final.some((r) => r.note.includes('d'))) messages.push(DEP_MSG);
  if (final.some((r) => r.note.includes('e'))) messages.push(EST_MSG);
  if (!final.some((r) => r.note !== '')) for (const r of final) r.note = '';
  return new JointTests(final, by, inference.method, messages);
}

/**
 * The joint test of the variables S (grid indices) in each by group: the means of S and the by
 * variables averaged over the others with equal weights, their interaction contrasts (each variable's
 * consecutive differences, the first variable fastest), tested jointly.
 */
function termTests(grid: ReferenceGrid, S: number[], byIdx: number[], ctx: TestContext): JointTest[] {
  const sizes = gridSizes(grid);
  const use = [...S, ...byIdx];
  const avgd = grid.variables.map((_, k) => k).filter((k) => !use.includes(k) && sizes[k] > 1);
  const { functions } = averageGrid(grid, use, avgd, 'equal', undefined);
  const nS = S.map((k) => sizes[k]);
  const block = nS.reduce((s, n) => s * n, 1);
  const nCon = nS.map((n) => n - 1);
  const nRows = nCon.reduce((s, n) => s * n, 1);
  const nBy = functions.length / block;
  const out: JointTest[] = [];
  for (let g = 0; g < nBy; g++) {
    const means = functions.slice(g * block, (g + 1) * block);
    const L: { u: Float64Array; f?: LinearFunction }[] = [];
    for (let c = 0; c < nRows; c++) {
      // the coefficient of the mean with levels (l_1 … l_m): Π_i (−1 at l_i = c_i, +1 at l_i = c_i + 1)
      const coef = new Float64Array(block);
      for (let e = 0; e < block; e++) {
        let w = 1;
        for (let i = 0; i < S.length && w !== 0; i++) {
          const l = digit(e, nS, i), ci = digit(c, nCon, i);
          w *= l === ci ? -1 : l === ci + 1 ? 1 : 0;
        }
        coef[e] = w;
      }
      L.push(combine(means, coef, grid));
    }
    out.push(jointTest(L, ctx));
  }
  return out;
}

/** Σ_e c_e ℓ_e in the coordinates of the test (the full design's where the fit dropped columns), with its estimability */
function combine(fs: LinearFunction[], coef: Float64Array, grid: ReferenceGrid): { u: Float64Array; estimable: boolean } {
  const full = grid.estimability !== null;
  const dim = full ? grid.estimability!.pFull : fs[0].l.length;
  const u = new Float64Array(dim);
  let estimable = true;
  fs.forEach((f, e) => {
    const w = coef[e];
    if (w === 0) return;
    if (!f.estimable) estimable = false;
    const src = full ? f.full! : f.l;
    for (let j = 0; j < dim; j++) u[j] += w * src[j];
  });
  return { u, estimable };
}

/** "(confounded)"'s reference: the joint test of all consecutive differences of the grid's cells in each by group */
function cellContrasts(grid: ReferenceGrid, byIdx: number[], ctx: TestContext): JointTest[] {
  const sizes = gridSizes(grid);
  const inner = grid.variables.map((_, k) => k).filter((k) => !byIdx.includes(k));
  // the grid's rows themselves as linear functions, grouped by the by variables (cells in grid order)
  const { functions } = averageGrid(grid, [...inner, ...byIdx], [], 'equal', undefined);
  const block = inner.reduce((s, k) => s * sizes[k], 1);
  const out: JointTest[] = [];
  for (let g = 0; g < functions.length / block; g++) {
    const cells = functions.slice(g * block, (g + 1) * block);
    const L = [];
    for (let c = 0; c + 1 < block; c++) {
      const coef = new Float64Array(block);
      coef[c] = -1;
      coef[c + 1] = 1;
      L.push(combine(cells, coef, grid));
    }
    out.push(jointTest(L, ctx));
  }
  return out;
}

/**
 * emmeans's test(joint = TRUE) of the rows L (coordinates `u`: the fit's β, or the full design's
 * where the fit dropped aliased columns).
 */
function jointTest(L: { u: Float64Array; estimable?: boolean }[], ctx: TestContext): JointTest {
  const { inference, est, beta } = ctx;
  let flag = 0;
  // rows with NaN or all zero are dropped (note e)
  const kept = L.filter((row) => !(row.u.some((x) => Number.isNaN(x)) || row.u.every((x) => x === 0)));
  if (kept.length < L.length) flag |= 2;
  if (est && kept.some((row) => row.estimable === false || !isEstimable(est.nullBasis, row.u))) {
    throw new ModelError('joint tests: a contrast of the means is not estimable (an empty cell of a fit with aliased columns); emmeans tests it in a subspace built from its own null basis, which is not matched here');
  }
  // zapsm: entries below 1e-7 set to 0
  const rows = kept.map((row) => row.u.map((x) => (Math.abs(x) < 1e-7 ? 0 : x)));
  // QR of Lᵀ by dqrdc2's rule, as Gram–Schmidt on L's rows in order (twice, for orthogonality): a row
  // whose residual is below 1e-7 of its own norm is dependent; |R_jj| is the residual's norm
  const Q: Float64Array[] = [];
  const diag: number[] = [];
  for (const r0 of rows) {
    const norm0 = Math.hypot(...r0);
    const r = Float64Array.from(r0);
    for (let pass = 0; pass < 2; pass++) for (const q of Q) {
      let d = 0;
      for (let a = 0; a < r.length; a++) d += q[a] * r[a];
      for (let a = 0; a < r.length; a++) r[a] -= d * q[a];
    }
    const nr = Math.hypot(...r);
    if (norm0 === 0 || nr < 1e-7 * norm0) continue;
    Q.push(r.map((x) => x / nr));
    diag.push(nr);
  }
  if (Q.length === 0) return { df1: 0, df2: NaN, F: NaN, p: NaN, flag: 3, basis: [] };
  if (Q.length < rows.length) flag |= 1;
  // R: nz = which(zapsmall(diag(tR)) != 0)
  const zapped = zapsmall(diag, 7);
  const basisFull = Q.filter((_, j) => zapped[j] !== 0);
  const r = basisFull.length;
  // Q's rows in the fit's β coordinates
  const restrict = (q: Float64Array) => (est ? Float64Array.from(est.kept, (a) => q[a]) : q);
  const tQ = basisFull.map(restrict);
  const { p, V } = inference;
  const z = tQ.map((q) => q.reduce((s, x, j) => s + x * beta[j], 0));
  const zcov = new Float64Array(r * r);
  for (let a = 0; a < r; a++) for (let b = a; b < r; b++) {
    let s = 0;
    if (a === b) s = quadForm(tQ[a], V, p);
    else for (let i = 0; i < p; i++) { let t = 0; for (let j = 0; j < p; j++) t += V[i * p + j] * tQ[b][j]; s += tQ[a][i] * t; }
    zcov[a * r + b] = zcov[b * r + a] = s;
  }
  const w = solve(zcov, Float64Array.from(z), r);
  // emmeans's zapsmall of the basis (its est.fcns)
  const flat = zapsmall(basisFull.flatMap((q) => Array.from(q)), 7);
  const basis = basisFull.map((q, j) => Float64Array.from(flat.slice(j * q.length, (j + 1) * q.length)));
  if (!w) return { df1: r, df2: NaN, F: NaN, p: NaN, flag: 1, basis };
  const F = z.reduce((s, x, a) => s + x * w[a], 0) / r;
  const df2 = Math.min(...tQ.map((q) => inference.df(q)));
  return { df1: r, df2, F, p: pfUpper(F, r, df2), flag, basis };
}

/** x = A⁻¹ b by Gaussian elimination with partial pivoting (R's solve); null when A is singular */
function solve(A0: Float64Array, b: Float64Array, n: number): Float64Array | null {
  const A = Float64Array.from(A0);
  const scale = Math.max(...Array.from(A, Math.abs));
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(A[r * n + c]) > Math.abs(A[piv * n + c])) piv = r;
    if (!(Math.abs(A[piv * n + c]) > 1e-14 * scale)) return null;
    if (piv !== c) {
      for (let k = 0; k < n; k++) [A[c * n + k], A[piv * n + k]] = [A[piv * n + k], A[c * n + k]];
      [b[c], b[piv]] = [b[piv], b[c]];
    }
    for (let r = c + 1; r < n; r++) {
      const f = A[r * n + c] / A[c * n + c];
      if (f === 0) continue;
      for (let k = c; k < n; k++) A[r * n + k] -= f * A[c * n + k];
      b[r] -= f * b[c];
    }
  }
  for (let c = n - 1; c >= 0; c--) {
    let s = b[c];
    for (let k = c + 1; k < n; k++) s -= A[c * n + k] * b[k];
    b[c] = s / A[c * n + c];
  }
  return b;
}

/** emmeans's printout of joint tests: per by group, the table (df2 with up to 2 decimals, F with 3) and the notes. */
export function formatJointTests(x: JointTests): string {
  const out: string[] = [];
  const groups = new Map<string, JointTestRow[]>();
  for (const r of x.rows) {
    const key = x.by.map((b) => `${b} = ${formatLevel(r.by[b])}`).join(', ');
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(r);
  }
  const hasNote = x.rows.some((r) => r.note !== '');
  for (const [key, rows] of groups) {
    if (key) out.push(`${key}:`);
    const df2 = column(rows.map((r) => roundR(r.df2, 2)), 2);
    // F.ratio as emmeans's test statistics: format(round(F, 3), nsmall = 3)
    const F = fixed3(rows.map((r) => r.F));
    // R: the confounded row's 0/0 is NaN; a test that could not be done is NA
    const na = (r: JointTestRow) => (r.term === '(confounded)' ? 'NaN' : 'NA');
    const cells = rows.map((r, i) => [r.term, String(r.df1), df2[i], Number.isNaN(r.F) ? na(r) : F[i], Number.isNaN(r.p) ? na(r) : r.p < 1e-4 ? '<.0001' : r.p.toFixed(4), ...(hasNote ? [r.note] : [])]);
    const header = ['model term', 'df1', 'df2', 'F.ratio', 'p.value', ...(hasNote ? ['note'] : [])];
    const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
    const line = (row: string[]) => ' ' + row.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join(' ');
    out.push(line(header), ...cells.map(line), '');
  }
  // emmeans's notes, each followed by a space (cat(paste(msg, "\n")))
  out.push(...x.messages.map((m) => `${m} `));
  return out.join('\n') + '\n';
}

/** format(round(x, 3), nsmall = 3): 3 decimals, right-justified to a common width */
function fixed3(values: number[]): string[] {
  const s = values.map((v) => (Number.isFinite(v) ? roundR(v, 3).toFixed(3) : String(v)));
  const w = Math.max(...s.map((x) => x.length));
  return s.map((x) => x.padStart(w));
}

/** R's format of a numeric column of values rounded to `max` decimals: the fewest decimals that show every value */
function column(values: number[], max: number): string[] {
  let dec = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    while (dec < max && roundR(v, dec) !== v) dec++;
  }
  return values.map((v) => (Number.isNaN(v) ? 'NA' : v === Infinity ? 'Inf' : v.toFixed(dec)));
}
