/**
 * The model frame's variables on one batch of rows, evaluated as the in-memory frame evaluates them
 * (src/frame/columns.ts evalExpr; src/frame/modelFrame.ts's na.omit), and the transformed columns of
 * the second pass (src/model/fixedTransform.ts, lambda.ts): the same arithmetic in the same order,
 * so the same doubles per row.
 */
import { evalExpr, formatNumberLevel } from '../../frame/columns.js';
import type { Column, DataColumn, ScaleParams } from '../../frame/columns.js';
import type { GroupSpec } from '../assemble.js';
import { CUT_KEY, type CutVar, type DesignColumn, type FrameSpec, INTERACTION_KEY, INTERACTION_SEP, LOGICAL_KEY, columnFactor } from '../frameSpec.js';
import { binCode } from '../../frame/factorBuilders.js';
import { type LevelKey, numericLevelKey } from '../levels.js';
import type { FrameSummary } from '../moments.js';
import { monoKey } from '../frameSpec.js';
import type { Batch } from './batch.js';

/** A batch's model variables. */
export interface BatchFrame {
  n: number;
  /** 1 where the row is complete (na.omit keeps it) */
  ok: Uint8Array;
  /** numeric variables by label */
  vars: Map<string, Float64Array>;
  /** the response y */
  y: Float64Array;
  /** the offset o₁ + o₂ + … (null without offsets) */
  off: Float64Array | null;
  /** the working response y − (o₁ + o₂ + …) */
  yp: Float64Array;
  /** prior weights, or null */
  w: Float64Array | null;
  /** factor keys by column (factor variables and grouping components) */
  keys: Map<string, (LevelKey | null)[]>;
  /** a raw numeric column of the batch (the fixed part's covariates, `z` of `log(z)`, for emmeans's grid) */
  column: (name: string) => Float64Array;
  /** the values that are ±∞ in complete rows (not used: ok = 0), in the in-memory frame's order */
  infinite: InfiniteValues[];
  /** per spec.levelTests entry: whether a row of the batch (complete or not) holds its level */
  levelSeen: Uint8Array;
}

/** A variable's ±∞ values in a batch's complete rows: how many, and the first (row in the batch, value). */
export interface InfiniteValues {
  /** the value's place in the order of the checks */
  index: number;
  label: string;
  what: string;
  count: number;
  first: number;
  value: number;
}

/**
 * A batch's columns as a formula's expressions read them: numbers, and the factors compared with a
 * level (`sex == "F"`: spec.levelTests' columns) as factors of the batch's own values (their labels
 * compared as memory compares them; the levels' presence is checked over the whole input instead,
 * by checkLevelTests, and spec.scales' 'compare' entries skip memory's check per batch).
 */
function numericSource(batch: Batch, spec?: FrameSpec): (name: string) => DataColumn {
  const compared = new Set(spec?.levelTests.map((t) => t.column) ?? []);
  return (name) => {
    const v = batch.columns.get(name);
    if (!v) throw new Error(`internal: column '${name}' not read`);
    if (compared.has(name)) {
      const labels = v instanceof Float64Array ? Array.from(v, (x) => (Number.isNaN(x) ? null : formatNumberLevel(x))) : v;
      const levels: string[] = [];
      const index = new Map<string, number>();
      const codes = Int32Array.from(labels, (l) => {
        if (l === null) return -1;
        let k = index.get(l);
        if (k === undefined) { k = levels.length; index.set(l, k); levels.push(l); }
        return k;
      });
      return { kind: 'factor', codes, levels };
    }
    if (!(v instanceof Float64Array)) throw new Error(`'${name}' is a factor and cannot be used in arithmetic`);
    return { kind: 'numeric', values: v };
  };
}

/** The arguments x of the formula's poly/ns/bs calls (spec.bases) on one batch, every row, for their coefficients. */
export function basisArguments(spec: FrameSpec, batch: Batch): Float64Array[] {
  const source = numericSource(batch, spec);
  return spec.bases.map((b) => (evalExpr(b.arg, source, b.label, batch.n, spec.scales) as { values: Float64Array }).values);
}

/**
 * The arguments of the formula's scale() calls (spec.scaled) on one batch, for their centres and
 * scales (a summary inside one, `scale(x - mean(x))`, its value from the pre-pass, spec.scales).
 */
export function scaleArguments(spec: FrameSpec, batch: Batch): Float64Array[] {
  const source = numericSource(batch);
  return spec.scaled.map((s) => asValues(evalExpr(s.arg, source, s.label, batch.n, summariesOf(spec)), batch.n));
}

/** The arguments of the formula's whole-column summaries (spec.summaries) on one batch, every row. */
export function summaryArguments(spec: FrameSpec, batch: Batch): Float64Array[] {
  const source = numericSource(batch, spec);
  return spec.summaries.map((c) => asValues(evalExpr(c.arg, source, c.label, batch.n, spec.scales), batch.n));
}

/** spec.scales' summaries alone (memory's evaluator records a scale()'s centre where it finds none: not here) */
function summariesOf(spec: FrameSpec): ScaleParams {
  return new Map([...spec.scales].filter(([, p]) => 'fn' in p && p.fn === 'summary'));
}

/** a numeric column's values (a constant broadcast to the batch's n rows) */
function asValues(c: Column, n: number): Float64Array {
  if (c.kind !== 'numeric') throw new Error('internal: a summary\'s or scale()\'s argument is not numeric');
  return c.values.length === n ? c.values : new Float64Array(n).fill(c.values[0]);
}

export function evaluateBatch(spec: FrameSpec, batch: Batch): BatchFrame {
  const { n } = batch;
  const raw = (name: string) => {
    const v = batch.columns.get(name);
    if (!v) throw new Error(`internal: column '${name}' not read`);
    return v;
  };
  const source = numericSource(batch, spec);
  // scale(): the centres and scales of the whole column (spec.scales, from streamSource.ts's passes)
  // poly/ns/bs: memory's basis with the pre-pass's coefficients (../basisPass.ts), once per call and batch
  const matrices = new Map<string, Float64Array[]>();
  const numeric = (label: string, e: Parameters<typeof evalExpr>[0]) => {
    const b = spec.basisColumns.get(label);
    if (!b) return (evalExpr(e, source, label, n, spec.scales) as { values: Float64Array }).values;
    let m = matrices.get(b.call.key);
    if (!m) {
      if (!spec.scales.has(b.call.key)) throw new Error(`internal: the coefficients of '${b.call.label}' are not known yet`);
      m = (evalExpr(b.call.call, source, b.call.label, n, spec.scales) as { columns: Float64Array[] }).columns;
      matrices.set(b.call.key, m);
    }
    return m[b.index];
  };
  // na.omit: NA and NaN are missing; ±∞ in a complete row is an error (below), as in memory
  const ok = new Uint8Array(n).fill(1);
  const finite: { label: string; what: string; v: Float64Array }[] = [];
  const mark = (v: Float64Array, label: string, what: string) => {
    for (let i = 0; i < n; i++) if (Number.isNaN(v[i])) ok[i] = 0;
    finite.push({ label, what, v });
  };
  const y = numeric(spec.yname, spec.response);
  mark(y, spec.yname, 'response');
  let w: Float64Array | null = null;
  if (spec.weights) { w = raw(spec.weights) as Float64Array; mark(w, spec.weights, 'weight'); }
  const vars = new Map<string, Float64Array>();
  for (const [label, e] of spec.numeric) { const v = numeric(label, e); vars.set(label, v); mark(v, label, 'variable'); }
  let yp = y;
  let off: Float64Array | null = null;
  if (spec.offsets.length > 0) {
    const offset = (off = new Float64Array(n));
    spec.offsets.forEach((e, k) => {
      const v = numeric(`offset #${k + 1}`, e);
      mark(v, `offset #${k + 1}`, 'offset');
      for (let i = 0; i < n; i++) offset[i] += v[i];
    });
    yp = new Float64Array(n);
    for (let i = 0; i < n; i++) yp[i] = y[i] - offset[i];
  }
  const keys = new Map<string, (LevelKey | null)[]>();
  const factorKeys = (column: string, kind: string, logical?: Parameters<typeof evalExpr>[0], cut?: CutVar) => {
    if (keys.has(column)) return;
    const inter = spec.factors.get(column.slice(INTERACTION_KEY.length))?.interaction ?? spec.removed.factors.get(column.slice(INTERACTION_KEY.length))?.interaction;
    if (column.startsWith(INTERACTION_KEY) && inter) {
      // interaction(): the components' keys joined by INTERACTION_SEP (numbers as their shortest decimals), none where one is missing
      for (const p of inter.parts) factorKeys(p.column, p.kind);
      const parts = inter.parts.map((p) => keys.get(p.column)!);
      const k = Array.from({ length: n }, (_, i) => (parts.some((p) => p[i] === null) ? null : parts.map((p) => String(p[i])).join(INTERACTION_SEP)));
      keys.set(column, k);
      for (let i = 0; i < n; i++) if (k[i] === null) ok[i] = 0;
      return;
    }
    if (cut) {
      // cut(): the index of the row's interval (memory's binCode), none outside the breaks or where x is missing
      const x = numeric(column.slice(CUT_KEY.length), cut.arg);
      const k = Array.from(x, (v) => { const b = binCode(v, cut.breaks!, cut.args.right, cut.args.includeLowest); return b < 0 ? null : b; });
      keys.set(column, k);
      for (let i = 0; i < n; i++) if (k[i] === null) ok[i] = 0;
      return;
    }
    if (logical) {
      // R's logical (memory's evalExpr: a factor FALSE, TRUE; NA missing)
      const c = evalExpr(logical, source, column.slice(LOGICAL_KEY.length), n, spec.scales) as { codes: Int32Array };
      const k = Array.from(c.codes, (code) => (code < 0 ? null : code === 1 ? 'TRUE' : 'FALSE'));
      keys.set(column, k);
      for (let i = 0; i < n; i++) if (k[i] === null) ok[i] = 0;
      return;
    }
    const v = raw(column);
    const k: (LevelKey | null)[] = v instanceof Float64Array
      ? (kind === 'numeric' ? Array.from(v, (x) => (Number.isNaN(x) ? null : numericLevelKey(x))) : Array.from(v, (x) => (Number.isNaN(x) ? null : String(x))))
      : v;
    keys.set(column, k);
    for (let i = 0; i < n; i++) if (k[i] === null) ok[i] = 0;
  };
  for (const f of spec.factors.values()) factorKeys(f.column, f.kind, f.logical, f.cut);
  for (const comps of spec.groups.values()) for (const f of comps) factorKeys(f.column, f.kind);
  // variables only in removed terms (`y ~ a - x`): in na.omit's marks only, as in memory
  for (const [label, e] of spec.removed.numeric) {
    const v = numeric(label, e);
    for (let i = 0; i < n; i++) if (Number.isNaN(v[i])) ok[i] = 0;
  }
  for (const f of spec.removed.factors.values()) {
    if (f.cut || f.interaction) {
      factorKeys(f.column, f.kind, undefined, f.cut);
      continue;
    }
    if (f.logical) {
      const c = evalExpr(f.logical, source, f.column.slice(LOGICAL_KEY.length), n, spec.scales) as { codes: Int32Array };
      for (let i = 0; i < n; i++) if (c.codes[i] < 0) ok[i] = 0;
      continue;
    }
    const v = raw(f.column);
    if (v instanceof Float64Array) { for (let i = 0; i < n; i++) if (Number.isNaN(v[i])) ok[i] = 0; } else for (let i = 0; i < n; i++) if (v[i] === null) ok[i] = 0;
  }
  // ±∞ among the complete rows, per value in the in-memory frame's order; such rows are not used
  const infinite: InfiniteValues[] = [];
  finite.forEach(({ label, what, v }, index) => {
    let count = 0;
    let first = -1;
    for (let i = 0; i < n; i++) {
      if (ok[i] && (v[i] === Infinity || v[i] === -Infinity)) { if (first < 0) first = i; count++; }
    }
    if (count > 0) infinite.push({ index, label, what, count, first, value: v[first] });
  });
  for (const { index } of infinite) {
    const v = finite[index].v;
    for (let i = 0; i < n; i++) if (v[i] === Infinity || v[i] === -Infinity) ok[i] = 0;
  }
  const column = (name: string) => raw(name) as Float64Array;
  // the factors' levels compared with: whether this batch holds them (in any row)
  const levelSeen = Uint8Array.from(spec.levelTests, (t) => {
    const v = raw(t.column);
    if (v instanceof Float64Array) return v.some((x) => !Number.isNaN(x) && formatNumberLevel(x) === t.level) ? 1 : 0;
    return v.some((x) => x === t.key) ? 1 : 0;
  });
  return { n, ok, vars, y, off, yp, w, keys, infinite, column, levelSeen };
}

/** The products of numeric variables (monomials) of a frame, by key. */
export function monomials(frame: BatchFrame, monos: string[][]): Float64Array[] {
  return monos.map((m) => {
    let v = frame.vars.get(m[0])!;
    for (let k = 1; k < m.length; k++) {
      const next = frame.vars.get(m[k])!;
      const out = new Float64Array(frame.n);
      for (let i = 0; i < frame.n; i++) out[i] = v[i] * next[i];
      v = out;
    }
    return v;
  });
}

/** The second pass's columns of a batch: [x_c √w … y_c √w], y_c, and each group's z_c √w (row-major n × q). */
export interface CentredBatch {
  /** [X_c y_c] scaled by √w: p + 1 columns */
  v: Float64Array[];
  /** y_c unweighted */
  yc: Float64Array;
  /** per group (in `groups` order): n × q row-major */
  z: Float64Array[];
  /** per group: Z as the formula defines it, and Z C unweighted (n × q row-major) */
  zRaw: Float64Array[];
  zUnweighted: Float64Array[];
}

/**
 * The columns of the model matrices on a batch: a column is the product of its numeric variables
 * where its factors are at its levels, else 0 (src/frame/modelMatrix.ts's values).
 */
export function designColumns(frame: BatchFrame, summary: FrameSummary): (col: DesignColumn) => Float64Array {
  const { n } = frame;
  const monoIndex = new Map(summary.plan.monos.map((m, k) => [monoKey(m), k] as const));
  const monoValues = monomials(frame, summary.plan.monos);
  return (col) => {
    const mono = col.mono.length ? monoValues[monoIndex.get(monoKey(col.mono))!] : null;
    const out = new Float64Array(n);
    const conds = col.ind.map(({ factor, level }) => ({ keys: frame.keys.get(summary.plan.spec.factors.get(factor)!.column)!, key: summary.levels.get(factor)!.keys[level] }));
    if (col.coded) {
      // contrast-coded factors: the product with C[l, j] at each factor's level l (columnFactor)
      const rowKeys = new Map([...col.ind.map((d) => d.factor), ...col.coded.map((c) => c.factor)].map((f) => [f, {
        keys: frame.keys.get(summary.plan.spec.factors.get(f)!.column)!, index: summary.levels.get(f)!.index,
      }] as const));
      for (let i = 0; i < n; i++) {
        const c = columnFactor(col, (f) => { const r = rowKeys.get(f)!; const k = r.keys[i]; return k === null ? -1 : (r.index.get(k) ?? -1); });
        out[i] = c === 0 ? 0 : mono ? mono[i] * c : c;
      }
      return out;
    }
    for (let i = 0; i < n; i++) {
      let at = true;
      for (const c of conds) if (c.keys[i] !== c.key) { at = false; break; }
      out[i] = at ? (mono ? mono[i] : 1) : 0;
    }
    return out;
  };
}

export function centreBatch(frame: BatchFrame, summary: FrameSummary, groups: GroupSpec[]): CentredBatch {
  const { n } = frame;
  const column = designColumns(frame, summary);
  const sw = frame.w ? Float64Array.from(frame.w, Math.sqrt) : null;
  const S = summary;
  const hasIntercept = S.intercept >= 0;
  const xc = S.xcols.map((col, j) => {
    const x = column(col);
    if (hasIntercept && j !== S.intercept) { const m = S.means[j]; for (let i = 0; i < n; i++) x[i] -= m; }
    return x;
  });
  // y_c = y' − x_c,0 β₀,0 − … in column order, skipping β₀,j = 0 (fixedTransform.ts)
  const yc = Float64Array.from(frame.yp);
  S.beta0.forEach((b, j) => { if (b !== 0) { const x = xc[j]; for (let i = 0; i < n; i++) yc[i] -= x[i] * b; } });
  const weigh = (a: Float64Array) => { if (!sw) return a; const out = new Float64Array(n); for (let i = 0; i < n; i++) out[i] = a[i] * sw[i]; return out; };
  const v = [...xc.map(weigh), weigh(yc)];
  const zRaw: Float64Array[] = [];
  const zUnweighted: Float64Array[] = [];
  const z = groups.map((g) => {
    const q = g.zcols.length;
    const raw = new Float64Array(n * q);
    const zu = new Float64Array(n * q);
    const out = sw ? new Float64Array(n * q) : zu;
    g.zcols.forEach((col, s) => {
      const c = column(col);
      for (let i = 0; i < n; i++) raw[i * q + s] = c[i];
      // Z_c = Z C: column s minus m_s times the intercept column (1)
      if (g.centre && s > 0) { const m = g.centre[s]; for (let i = 0; i < n; i++) c[i] -= m; }
      for (let i = 0; i < n; i++) zu[i * q + s] = c[i];
      if (sw) for (let i = 0; i < n; i++) out[i * q + s] = c[i] * sw[i];
    });
    zRaw.push(raw);
    zUnweighted.push(zu);
    return out;
  });
  return { v, yc, z, zRaw, zUnweighted };
}
