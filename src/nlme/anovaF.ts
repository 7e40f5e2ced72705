/**
 * nlme's anova(fit) of one lme or gls fit: the Wald F tests of the fixed effects (anova.lme and
 * anova.gls with a single object). With Var(β̂) = V and nlme's factor V⁻¹ = RᵀR (R upper triangular,
 * in X's column order), c₀ = Rβ̂ (nlme's c0 = solve(t(varFixFact), β̂)):
 *   sequential  F_t = Σ_{j ∈ t} c₀_j² / |t|          (each term after the terms before it: type I)
 *   marginal    F_t = β̂_tᵀ (V_tt)⁻¹ β̂_t / |t|        (each term after all others: nlme's qr.qty(qr(vFix[, t]), c0))
 *   Terms / L   F = (Lβ̂)ᵀ (L V Lᵀ)⁺ (Lβ̂) / r,  r = rank(L)  (one joint test; Terms: L the rows of I for their columns)
 * on F(numDF, denDF): lme's denDF nlme's containment DF of the terms (fixDF$terms) or, for L, of the
 * columns it involves (which must share one); gls's N − p. adjustSigma (lme: default true; gls:
 * default false) sets Var(β̂) of an ML fit as nlme does: lme's with σ̂² N/(N − p), gls's with σ̂²_ML.
 */
import { ModelError, OptionError, showValue } from '../errors/errors.js';
import { choleskyInPlace, spdInverse } from '../linalg/dense.js';
import { symmetricEigen } from '../linalg/symmetricEigen.js';
import { formatR, printMatrix, printNamedVector, roundR, zapsmall } from '../results/rFormat.js';
import { pfUpper } from '../stats/distributions.js';
import type { ModelFrame } from '../frame/modelFrame.js';
import { termColumns } from '../inference/termColumns.js';

/** What the F tests read of a fit. */
export interface FTestSource {
  kind: 'lme' | 'gls';
  beta: ArrayLike<number>;
  /** Var(β̂) as the tests use it (adjustSigma applied), p × p */
  V: number[][];
  xnames: string[];
  /** the terms' labels ('(Intercept)', 'age', 'age:Sex') and each one's columns of X */
  termNames: string[];
  assign: number[][];
  /** lme: each term's and each column's denominator DF (nlme's fixDF); gls: N − p */
  denDF: { terms: number[]; X: number[] } | number;
}

export type NlmeAnovaType = 'sequential' | 'marginal';

/** nlme's L: a vector (its first entries, or named by coefficient), or several rows (an array, or rows by name) */
export type NlmeL = number[] | Record<string, number> | (number[] | Record<string, number>)[] | Record<string, number[] | Record<string, number>>;

export interface NlmeAnovaOptions {
  /** 'sequential' (default: each term after those before it) or 'marginal' (each term after all others) */
  type?: NlmeAnovaType;
  /** one joint F test of these terms (labels, or nlme's 1-based term numbers, the intercept's term first) */
  terms?: string | number | (string | number)[];
  /** one F test of the linear combinations Lβ = 0 */
  L?: NlmeL;
  /** an ML fit's Var(β̂) with σ̂ made REML-like, σ̂² N/(N − p) (nlme's default: true for lme, false for gls) */
  adjustSigma?: boolean;
}

export interface NlmeFRow { term: string; numDF: number; denDF: number; F: number; p: number }

export interface NlmeFTable {
  kind: 'lme' | 'gls';
  rows: NlmeFRow[];
  /** nlme's label: 'F-test for: age, age:Sex', 'F-test for linear combination(s)', gls's 'Denom. DF: 104' first */
  label: string[];
  /** the L form's matrix on the coefficients it involves (nlme's attr(, "L")) */
  L: { rowNames: string[]; colNames: string[]; values: number[][] } | null;
}

const KNOWN = ['type', 'terms', 'L', 'adjustSigma'];
const LINEAR = 'F-test for linear combination(s)';

/** Checks the options of anova(fit) (the fit's kind names itself in the messages). */
export function checkAnovaOptions(options: unknown): NlmeAnovaOptions {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new OptionError('options', `anova options must be an object, not ${showValue(options)}`);
  const o = options as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!KNOWN.includes(k)) throw new OptionError(k, `unknown anova option '${k}' (options: ${KNOWN.join(', ')})`);
  if (o.type !== undefined && o.type !== 'sequential' && o.type !== 'marginal') throw new OptionError('type', `type must be 'sequential' or 'marginal', not ${showValue(o.type)}`);
  if (o.adjustSigma !== undefined && typeof o.adjustSigma !== 'boolean') throw new OptionError('adjustSigma', `adjustSigma must be true or false, not ${showValue(o.adjustSigma)}`);
  if (o.terms !== undefined && o.L !== undefined) throw new OptionError('L', 'give terms or L, not both (nlme uses L and ignores Terms)');
  if (o.type !== undefined && (o.terms !== undefined || o.L !== undefined)) throw new OptionError('type', 'type chooses the table of all terms; a terms or L test is one joint test of its own');
  return o as NlmeAnovaOptions;
}

/** The upper Cholesky factor R of V⁻¹ = RᵀR, times β: c₀ = Rβ (R_ij for j ≥ i from the lower factor of V⁻¹ = L Lᵀ, R = Lᵀ). */
function sequentialEffects(V: number[][], beta: ArrayLike<number>): Float64Array {
  const p = beta.length;
  const Vinv = spdInverse(V.flat(), p, 'Var(β̂)').inv;
  choleskyInPlace(Vinv, p, 'Var(β̂)⁻¹');
  const c0 = new Float64Array(p);
  for (let i = 0; i < p; i++) { let s = 0; for (let j = i; j < p; j++) s += Vinv[j * p + i] * beta[j]; c0[i] = s; }
  return c0;
}

/** (Lβ)ᵀ (L V Lᵀ)⁺ (Lβ) and r = rank(L V Lᵀ) = rank(L) (eigenvalues above 1e-10 of the largest) */
function waldQuadratic(L: number[][], V: number[][], beta: ArrayLike<number>): { q: number; rank: number } {
  const m = L.length, p = beta.length;
  const a = L.map((row) => row.reduce((s, v, j) => s + v * beta[j], 0));
  const LV = L.map((row) => Array.from({ length: p }, (_, c) => row.reduce((s, v, j) => s + v * V[j][c], 0)));
  const S = new Float64Array(m * m);
  for (let r = 0; r < m; r++) for (let c = 0; c < m; c++) S[r * m + c] = LV[r].reduce((s, v, j) => s + v * L[c][j], 0);
  const { values, vectors } = symmetricEigen(S, m);
  const tol = 1e-10 * Math.max(values[0], 0);
  let q = 0, rank = 0;
  for (let k = 0; k < m; k++) {
    if (!(values[k] > tol)) continue;
    rank++;
    // aᵀ S⁺ a = Σ_k (u_kᵀa)² / λ_k over the nonzero eigenvalues
    let u = 0;
    for (let r = 0; r < m; r++) u += vectors[r * m + k] * a[r];
    q += (u * u) / values[k];
  }
  return { q, rank };
}

const isRecord = (x: unknown): x is Record<string, unknown> => x !== null && typeof x === 'object' && !Array.isArray(x);

/** nlme's L as full rows on the p coefficients, with the rows' names */
function lRows(L: NlmeL, xnames: string[]): { rows: number[][]; names: string[] | null } {
  const p = xnames.length;
  const oneRow = (x: unknown, where: string): number[] => {
    const out = new Array<number>(p).fill(0);
    if (Array.isArray(x)) {
      if (x.length > p) throw new OptionError('L', `L${where} has ${x.length} entries: it must have at most ${p} (the coefficients ${xnames.join(', ')})`);
      x.forEach((v, j) => { out[j] = num(v, where); });
    } else if (isRecord(x)) {
      for (const [k, v] of Object.entries(x)) {
        const j = xnames.indexOf(k);
        if (j < 0) throw new OptionError('L', `L${where}: effect '${k}' not matched (the coefficients: ${xnames.join(', ')})`);
        out[j] = num(v, where);
      }
    } else throw new OptionError('L', `L${where} must be numbers (an array, or an object by coefficient name), not ${showValue(x)}`);
    return out;
  };
  const num = (v: unknown, where: string): number => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new OptionError('L', `L${where} has the entry ${showValue(v)}: each must be a finite number`);
    return v;
  };
  if (Array.isArray(L) && L.length > 0 && L.every((r) => Array.isArray(r) || isRecord(r))) return { rows: (L as unknown[]).map((r, i) => oneRow(r, `'s row ${i + 1}`)), names: null };
  if (Array.isArray(L)) return { rows: [oneRow(L, '')], names: null };
  if (isRecord(L)) {
    const vals = Object.values(L);
    if (vals.length > 0 && vals.every((v) => Array.isArray(v) || isRecord(v))) return { rows: Object.entries(L).map(([k, v]) => oneRow(v, `'s row '${k}'`)), names: Object.keys(L) };
    return { rows: [oneRow(L, '')], names: null };
  }
  throw new OptionError('L', `L must be a vector of coefficients, an object by coefficient name, or several such rows, not ${showValue(L)}`);
}

/** The terms' indices from labels or nlme's 1-based numbers. */
function termIndices(terms: NlmeAnovaOptions['terms'], names: string[]): number[] {
  const list = Array.isArray(terms) ? terms : [terms];
  if (list.length === 0) throw new OptionError('terms', 'terms is empty: name one or more terms');
  if (list.every((t) => typeof t === 'number')) {
    for (const t of list as number[]) {
      if (!Number.isInteger(t) || t < 1 || t > names.length) throw new OptionError('terms', `terms must be between 1 and ${names.length} (the terms: ${names.join(', ')}), got ${showValue(t)}`);
    }
    return (list as number[]).map((t) => t - 1);
  }
  if (list.every((t) => typeof t === 'string')) {
    const bad = (list as string[]).filter((t) => !names.includes(t));
    if (bad.length) throw new OptionError('terms', `${bad.length > 1 ? 'terms' : 'term'} ${bad.map((t) => `'${t}'`).join(', ')} not matched (the terms: ${names.join(', ')})`);
    return (list as string[]).map((t) => names.indexOf(t));
  }
  throw new OptionError('terms', `terms can only be term labels or term numbers, not ${showValue(terms)}`);
}

/** The fixed-effects terms of a frame as nlme's assign: '(Intercept)' (column 0) and each term's columns of X (terms without columns left out). */
export function fixedTermAssign(frame: ModelFrame): { termNames: string[]; assign: number[][] } {
  const termNames: string[] = [], assign: number[][] = [];
  if (frame.xnames[0] === '(Intercept)') { termNames.push('(Intercept)'); assign.push([0]); }
  termColumns(frame).forEach((cols, t) => {
    if (cols.length === 0) return;
    termNames.push(frame.formula.fixed.terms[t].label); assign.push(cols);
  });
  return { termNames, assign };
}

/** Stage: the F table (or the single joint test) of anova(fit). */
export function nlmeAnovaF(src: FTestSource, options: NlmeAnovaOptions): NlmeFTable {
  const { beta, V, assign, termNames, xnames } = src;
  const p = xnames.length;
  const glsDF = typeof src.denDF === 'number' ? src.denDF : null;
  const label: string[] = glsDF !== null ? [`Denom. DF: ${glsDF}`] : [];
  const dfOf = (ds: number[], what: string, by: string[]): number => {
    const u = [...new Set(ds)];
    if (u.length > 1) throw new ModelError(`anova: ${what} (${by.map((b, i) => `${b}: ${ds[i]}`).join(', ')})`);
    return u[0];
  };
  if (options.terms === undefined && options.L === undefined) {
    const type = options.type ?? 'sequential';
    const c0 = type === 'sequential' ? sequentialEffects(V, beta) : null;
    const rows = termNames.map((term, t) => {
      const cols = assign[t];
      const numDF = cols.length;
      let ss: number;
      if (c0) ss = cols.reduce((s, j) => s + c0[j] ** 2, 0);
      else {
        // β̂_tᵀ (V_tt)⁻¹ β̂_t
        const Vtt = cols.flatMap((a) => cols.map((b) => V[a][b]));
        const inv = spdInverse(Vtt, numDF, `Var(β̂) of the term '${term}'`).inv;
        ss = 0;
        for (let a = 0; a < numDF; a++) for (let b = 0; b < numDF; b++) ss += beta[cols[a]] * inv[a * numDF + b] * beta[cols[b]];
      }
      const denDF = glsDF ?? (src.denDF as { terms: number[] }).terms[t];
      const F = ss / numDF;
      return { term, numDF, denDF, F, p: pfUpper(F, numDF, denDF) };
    });
    return { kind: src.kind, rows, label: glsDF !== null ? label : [], L: null };
  }
  let L: number[][], Lmat: NlmeFTable['L'] = null, denDF: number;
  if (options.L === undefined) {
    const idx = termIndices(options.terms, termNames);
    denDF = glsDF ?? dfOf(idx.map((t) => (src.denDF as { terms: number[] }).terms[t]), 'terms must all have the same denominator DF', idx.map((t) => termNames[t]));
    label.push(`F-test for: ${idx.map((t) => termNames[t]).join(', ')}`);
    L = idx.flatMap((t) => assign[t]).map((j) => Array.from({ length: p }, (_, c) => (c === j ? 1 : 0)));
  } else {
    const { rows, names } = lRows(options.L, xnames);
    // nlme drops the rows of zeros, and tests on the columns L involves
    const keep = rows.map((r) => r.some((v) => v !== 0));
    L = rows.filter((_, i) => keep[i]);
    if (L.length === 0) throw new OptionError('L', 'L has no nonzero entry: there is nothing to test');
    const rowNames = names ? names.filter((_, i) => keep[i]) : L.map((_, i) => String(i + 1));
    const used = xnames.map((_, j) => L.some((r) => r[j] !== 0));
    const usedIdx = used.flatMap((u, j) => (u ? [j] : []));
    denDF = glsDF ?? dfOf(usedIdx.map((j) => (src.denDF as { X: number[] }).X[j]), 'L may only involve fixed effects with the same denominator DF', usedIdx.map((j) => xnames[j]));
    label.push(LINEAR);
    Lmat = { rowNames, colNames: usedIdx.map((j) => xnames[j]), values: L.map((r) => usedIdx.map((j) => r[j])) };
  }
  const { q, rank } = waldQuadratic(L, V, beta);
  if (rank === 0) throw new ModelError('anova: L has rank 0: there is nothing to test');
  const F = q / rank;
  return { kind: src.kind, rows: [{ term: '1', numDF: rank, denDF, F, p: pfUpper(F, rank, denDF) }], label, L: Lmat };
}

/** print(anova(fit)) as nlme's print.anova.lme prints one model's table. */
export function formatAnovaF(t: NlmeFTable): string {
  const lines: string[] = [];
  // gls's label lines after the first start with a space (nlme's paste(lab, …))
  // (cat(lab): a label ends in a space, from paste, but for 'F-test for linear combination(s)')
  t.label.forEach((l, i) => lines.push(`${i > 0 && t.kind === 'gls' ? ' ' : ''}${l}${l === LINEAR ? '' : ' '}`));
  if (t.L) {
    const z = zapsmall(t.L.values.flat(), 7);
    const cells = formatR(z, 7);
    const nc = t.L.colNames.length;
    if (t.L.values.length > 1) {
      lines.push(...printMatrix(t.L.colNames.map((_, c) => t.L!.values.map((__, r) => cells[r * nc + c])), t.L.rowNames, t.L.colNames, true));
    } else if (nc > 1) lines.push(...printNamedVector(cells, t.L.colNames));
    else lines.push(`[1] ${cells[0]}`);
  }
  const ps = t.rows.map((r) => roundR(r.p, 4));
  const pf = formatR(ps, 7).map((s, k) => (ps[k] === 0 ? '<.0001' : s));
  const cols = [t.rows.map((r) => String(r.numDF))];
  const names = ['numDF'];
  if (t.kind === 'lme') { cols.push(t.rows.map((r) => String(r.denDF))); names.push('denDF'); }
  cols.push(formatR(zapsmall(t.rows.map((r) => r.F), 7), 7), pf);
  names.push('F-value', 'p-value');
  lines.push(...printMatrix(cols, t.rows.map((r) => r.term), names, true));
  return lines.join('\n');
}

/** anova(fit)'s JSON: the rows (gls: denDF N − p in each), the label and L. */
export function anovaFJSON(t: NlmeFTable): Record<string, unknown> {
  return { label: t.label, rows: t.rows.map((r) => ({ term: r.term, numDF: r.numDF, denDF: r.denDF, F: r.F, p: r.p })), ...(t.L ? { L: t.L } : {}) };
}
