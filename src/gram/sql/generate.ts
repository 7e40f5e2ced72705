/**
 * The model frame and the Gram matrix A = [Z X y]ᵀ W [Z X y] as SQL (one generator, two dialects).
 *
 * The frame is written as layers of named expressions over the source's columns:
 *   layer 0  the numeric columns as doubles (NULL → NaN), the factors' keys, the weights;
 *   layer 1  the formula's numeric variables (`log(x)`, `I(x^2)`), the working response
 *            y' = y − (o₁ + o₂ + …) and the na.omit predicate `ok` (every variable finite or present);
 *   layer 2  (second pass) the transformed columns of src/model/fixedTransform.ts and lambda.ts:
 *            x_c,j = x_j − mean_j, y_c = ((y' − x_c,0 β₀,0) − x_c,1 β₀,1) − …, z_c,s = z_s − m_s z_0,
 *            each times √w_i with prior weights — the same operations in the same order as the
 *            in-memory path, so the same doubles per row.
 * Queries:
 *   pass 1 (moments)  GROUP BY ok, the cell factors: count, Σu and covar_pop(u_a, u_b) of X's
 *                     monomials and y', Σ log w (see ../moments.ts), and per value that must be
 *                     finite, the complete rows where it is ±∞ (an error, as in the in-memory frame);
 *   pass 2 (per level) for each grouping factor, GROUP BY its key: Σ z_c z_cᵀ (A_kk), Σ [x_c y_c] z_cᵀ
 *                     (A_Xk), and for one of them also Σ [x_c y_c][x_c y_c]ᵀ (A_XX, summed over its
 *                     levels) and Σ y_c² (unweighted);
 *   pass 2 (per pair) for each pair of grouping factors, GROUP BY both keys: Σ z_c,j z_c,kᵀ (A_jk);
 *   distinct keys of dropped rows, for a text grouping factor when rows were dropped (R sorts
 *   levels numerically only when every value of the column looks like a number).
 * Sums are compensated (Kahan) float64 sums in the engine, except for a grouping factor of very
 * many levels (over `compensatedUpTo`, estimated in pass 1): its levels hold few rows each, where a
 * plain sum is as accurate as the in-memory pass, and DuckDB spills plain sums to disk but runs out
 * of memory with Kahan sums (1M levels, 100M rows, memory_limit 1 GB).
 */
import type { Expr } from '../../formula/types.js';
import type { GroupSpec } from '../assemble.js';
import { CUT_KEY, type CutVar, type DesignColumn, type FactorVar, type FrameSpec, INTERACTION_SEP, LOGICAL_KEY, comparedLevel } from '../frameSpec.js';
import { scaleCenterOf, scaleKey } from '../../frame/columns.js';
import type { FrameSummary, MomentPlan } from '../moments.js';
import type { Dialect, FrameLayer } from './dialect.js';
import { rowCallSql } from './rowSql.js';
import { REDUCTIONS } from '../../formula/functions.js';
import { basisColumnSql } from './basisColumns.js';

/** A query with the layout of its result: `keys` key columns first, then `sums` numeric columns. */
export interface GramQuery {
  stage: string;
  sql: string;
  /** kinds of the leading key columns */
  keys: ('numeric' | 'text' | 'bool')[];
  /** number of numeric columns after the keys */
  values: number;
}

/** Names of the frame's columns (prefixed so as not to clash with the user's). */
export const A = {
  col: (i: number) => `__mg_c${i}`,
  key: (i: number) => `__mg_k${i}`,
  w: '__mg_w',
  v: (i: number) => `__mg_v${i}`,
  yp: '__mg_yp',
  y: '__mg_y',
  off: '__mg_off',
  ok: '__mg_ok',
  sw: '__mg_sw',
  x: (j: number) => `__mg_x${j}`,
  yc: '__mg_yc',
  yw: '__mg_ycw',
  z: (g: number, s: number) => `__mg_z${g}_${s}`,
};

/** Per numeric factor column, raw value → its level key where the two differ (SqlFrame). */
export type KeyAliases = ReadonlyMap<string, ReadonlyMap<number, number>>;

/** The frame's first two layers, shared by both passes. */
export class SqlFrame {
  readonly layer0: FrameLayer = [];
  readonly layer1: FrameLayer = [];
  /** alias of each raw numeric column */
  private readonly colAlias = new Map<string, string>();
  /** alias of each factor key, by column */
  private readonly keyAlias = new Map<string, { alias: string; kind: FactorVar['kind'] }>();
  /** alias of each numeric variable, by label */
  readonly varAlias = new Map<string, string>();
  readonly hasWeights: boolean;

  /**
   * the numeric values that must be finite in a complete row, in the order the in-memory frame
   * checks them (src/frame/modelFrame.ts: response, weights, variables, offsets)
   */
  readonly finiteChecks: { label: string; what: string; expr: string }[] = [];
  /** the row is complete (na.omit keeps it): every key present, every numeric value not NaN (±∞ is present) */
  readonly present: string;

  /**
   * `aliases`: per numeric factor column, the values seen whose level key (numericLevelKey: the
   * double of its 15-digit label) differs from them, raw → key: the key expression maps them, so
   * that GROUP BY, a level's test in `value` and the residuals' join see one key per level
   */
  constructor(readonly d: Dialect, readonly spec: FrameSpec, readonly aliases: KeyAliases = new Map()) {
    const preds: string[] = [];
    const keys: string[] = [];
    const numeric = (e: Expr, label: string): string => this.expr(e, label);
    const vars: typeof this.finiteChecks = [];
    for (const [label, e] of spec.numeric) {
      const alias = A.v(this.varAlias.size);
      this.layer1.push([alias, numeric(e, label)]);
      this.varAlias.set(label, alias);
      preds.push(d.isFinite(alias));
      vars.push({ label, what: 'variable', expr: alias });
    }
    for (const f of spec.factors.values()) keys.push(this.keyPresentOf(f));
    for (const comps of spec.groups.values()) for (const f of comps) keys.push(this.keyPresentOf(f));
    // variables only in removed terms: present (not NULL, not NaN; ±∞ is present), nothing else
    for (const f of spec.removed.factors.values()) keys.push(this.keyPresentOf(f));
    for (const [label, e] of spec.removed.numeric) keys.push(d.keyPresent(numeric(e, label), 'numeric'));
    preds.push(...keys);
    this.layer1.push([A.y, numeric(spec.response, spec.yname)]);
    preds.push(d.isFinite(A.y));
    this.finiteChecks.push({ label: spec.yname, what: 'response', expr: A.y });
    let yp = A.y;
    const offsets: typeof this.finiteChecks = [];
    if (spec.offsets.length > 0) {
      const offs = spec.offsets.map((e, k) => numeric(e, `offset #${k + 1}`));
      offs.forEach((o, k) => {
        preds.push(d.isFinite(o));
        offsets.push({ label: `offset #${k + 1}`, what: 'offset', expr: o });
      });
      this.layer1.push([A.off, offs.reduce((a, b) => `(${a} + ${b})`)]);
      yp = `(${A.y} - ${A.off})`;
    }
    this.layer1.push([A.yp, yp]);
    this.hasWeights = spec.weights !== null;
    if (spec.weights !== null) {
      this.layer0.push([A.w, d.numericColumn(spec.weights)]);
      preds.push(d.isFinite(A.w));
      this.finiteChecks.push({ label: spec.weights, what: 'weight', expr: A.w });
    }
    this.finiteChecks.push(...vars, ...offsets);
    this.layer1.push([A.ok, d.and([...new Set(preds)])]);
    this.present = d.and([...new Set([...keys, ...this.finiteChecks.map((c) => d.or([d.isFinite(c.expr), d.isInfinite(c.expr)]))])]);
  }

  /** a numeric expression beyond the frame's variables (a GLMM's cbind failures) over layer 0's columns, which it adds to */
  numeric(e: Expr, label: string): string {
    return this.expr(e, label);
  }

  /** a numeric formula expression over layer 0's columns */
  private expr(e: Expr, label: string): string {
    const d = this.d;
    switch (e.type) {
      case 'num': return d.double(e.value);
      case 'var': return this.column(e.name);
      case 'neg': return `(-${this.expr(e.arg, label)})`;
      case 'binop': {
        const a = this.expr(e.left, label);
        const b = this.expr(e.right, label);
        return e.op === '^' ? d.pow(a, b) : `(${a} ${e.op} ${b})`;
      }
      case 'call': {
        if (e.basis) {
          // a column of poly/ns/bs (the numeric variable `label`), with the pre-pass's coefficients
          const b = this.spec.basisColumns.get(label);
          const coefs = b && this.spec.scales.get(b.call.key);
          if (!b || !coefs || !('fn' in coefs) || (coefs.fn !== 'poly' && coefs.fn !== 'ns' && coefs.fn !== 'bs')) throw new Error(`internal: the coefficients of '${label}' are not known yet`);
          return basisColumnSql(d, coefs, this.expr(b.call.arg, label), b.index);
        }
        if (REDUCTIONS.has(e.fn)) {
          // mean(x), sd(x), …: the constant the pre-pass computed over every row (../summaryPass.ts)
          const v = this.spec.scales.get(scaleKey(e));
          if (!v || !('fn' in v) || v.fn !== 'summary') throw new Error(`internal: the value of ${e.fn}() in '${label}' is not known yet`);
          return d.double(v.value);
        }
        const arg = this.expr(e.args[0], label);
        // round(x, 1), pmin(x, 0), ifelse(…), log(x, base), … (./rowSql.ts)
        const row = rowCallSql(d, e.fn, [arg, ...e.args.slice(1).map((a) => this.expr(a, label))], e.args.map((a) => (a.type === 'num' ? a.value : null)), label);
        if (row !== null) return row;
        if (e.fn !== 'scale') return d.call(e.fn, arg, label);
        // R's scale(e) = (e − centre)/scale, both from the whole column (sqlSource.ts's first queries)
        const p = scaleCenterOf(this.spec.scales, scaleKey(e));
        if (!p) throw new Error(`internal: the centre and scale of '${label}' are not known yet`);
        return `((${arg} - ${d.double(p.center)}) / ${d.double(p.scale)})`;
      }
      case 'compare': return this.compare(e, label);
      case 'and': {
        // R's &: FALSE wins over NA (FALSE & NA is FALSE), numbers are TRUE when not 0 (memory's evalNumeric)
        const a = this.expr(e.left, label);
        const b = this.expr(e.right, label);
        return d.ifThen(d.or([`${a} = ${d.double(0)}`, `${b} = ${d.double(0)}`]), d.double(0), d.ifThen(d.or([this.isNaN(a), this.isNaN(b)]), d.double(NaN), d.double(1)));
      }
      case 'not': {
        const a = this.expr(e.arg, label);
        return d.ifThen(this.isNaN(a), d.double(NaN), d.ifThen(`${a} = ${d.double(0)}`, d.double(1), d.double(0)));
      }
      default:
        // a string alone: refused by describeFrame (src/gram/frameSpec.ts) before any query
        throw new Error(`internal: '${label}': a ${e.type} expression in an SQL engine's frame`);
    }
  }

  /** whether a double is NaN (R's NA of a logical or of a number) */
  private isNaN(e: string): string {
    return this.d.not(this.d.or([this.d.isFinite(e), this.d.isInfinite(e)]));
  }

  /**
   * R's comparison as memory's evalCompare evaluates it: 1 (TRUE), 0 (FALSE), NaN (NA, an operand
   * missing); numbers with numbers, or a factor's key with a level's (describeFrame's levelTests)
   */
  private compare(e: Extract<Expr, { type: 'compare' }>, label: string): string {
    const d = this.d;
    const test = comparedLevel(this.spec, e);
    if (test) {
      const key = this.key({ column: test.column, kind: test.kind });
      const eq = e.op === '==' ? 1 : 0;
      const lit = typeof test.key === 'number' ? d.double(test.key) : d.text(test.key);
      return d.ifThen(d.keyPresent(key, test.kind), d.ifThen(`${key} = ${lit}`, d.double(eq), d.double(1 - eq)), d.double(NaN));
    }
    const a = this.expr(e.left, label);
    const b = this.expr(e.right, label);
    const op = e.op === '==' ? '=' : e.op === '!=' ? '<>' : e.op;
    return d.ifThen(d.or([this.isNaN(a), this.isNaN(b)]), d.double(NaN), d.ifThen(`(${a} ${op} ${b})`, d.double(1), d.double(0)));
  }

  /**
   * A frame of some calls' arguments alone (as numeric variables with their own labels), for a
   * pre-pass's queries: SqlFrame's layers without the model's other variables, factors and checks;
   * `args`: their aliases, in `labelled`'s order. `clearBases`: without the poly/ns/bs columns.
   */
  private static argumentFrame(d: Dialect, spec: FrameSpec, labelled: (readonly [string, Expr])[], clearBases: boolean): { frame: SqlFrame; args: string[] } {
    const numeric = new Map(labelled);
    const none = { numeric: new Map<string, Expr>(), factors: new Map<string, FactorVar>() };
    const argSpec: FrameSpec = {
      ...spec, numeric, factors: new Map(), groups: new Map(), removed: none, offsets: [], weights: null,
      response: { type: 'num', value: 0 }, yname: '(none)', ...(clearBases ? { basisColumns: new Map() } : {}),
    };
    const frame = new SqlFrame(d, argSpec);
    return { frame, args: [...numeric.keys()].map((l) => frame.varAlias.get(l)!) };
  }

  /** The scale() calls' arguments (`spec.scaled`), for the queries that give their centres and scales. */
  static scaleArguments(d: Dialect, spec: FrameSpec): { frame: SqlFrame; args: string[] } {
    return SqlFrame.argumentFrame(d, spec, spec.scaled.map((s, k) => [`${s.label} #${k}`, s.arg] as const), false);
  }

  /** The whole-column summaries' arguments (`spec.summaries`), for the pre-pass's queries (./summaryScan.ts). */
  static summaryArguments(d: Dialect, spec: FrameSpec): { frame: SqlFrame; args: string[] } {
    return SqlFrame.argumentFrame(d, spec, spec.summaries.map((c, k) => [`${c.what} #${k}`, c.arg] as const), true);
  }

  /** The poly/ns/bs calls' arguments (`spec.bases`), for the pre-pass's queries (./basisScan.ts). */
  static basisArguments(d: Dialect, spec: FrameSpec): { frame: SqlFrame; args: string[] } {
    return SqlFrame.argumentFrame(d, spec, spec.bases.map((b, k) => [`${b.label} #${k}`, b.arg] as const), true);
  }

  /** the alias of a raw numeric column (as a double) */
  column(name: string): string {
    let a = this.colAlias.get(name);
    if (!a) {
      a = A.col(this.colAlias.size);
      this.colAlias.set(name, a);
      this.layer0.push([a, this.d.numericColumn(name)]);
    }
    return a;
  }

  /** the alias of a factor's key (a column read as a factor; a logical variable's 'TRUE', 'FALSE' or NULL) */
  key(f: FactorVar): string {
    let k = this.keyAlias.get(f.column);
    if (!k) {
      k = { alias: A.key(this.keyAlias.size), kind: f.kind };
      this.keyAlias.set(f.column, k);
      if (f.interaction) {
        // interaction(): the components' keys as text joined by INTERACTION_SEP, NULL where one is missing
        const parts = f.interaction.parts.map((p) => ({ key: this.key(p), kind: p.kind }));
        const sep = this.d.text(INTERACTION_SEP);
        const texts = parts.flatMap((p, c) => (c === 0 ? [] : [sep]).concat([this.d.keyText(p.key, p.kind)]));
        this.layer1.push([k.alias, this.d.concatIf(this.d.and(parts.map((p) => this.d.keyPresent(p.key, p.kind))), texts)]);
        return k.alias;
      }
      if (f.cut) {
        // cut(): the index k of x's interval (memory's binCode), NaN outside the breaks or where x is missing
        this.layer1.push([k.alias, this.cutKey(f.cut, f.column.slice(CUT_KEY.length))]);
        return k.alias;
      }
      if (f.logical) {
        // over layer 0's columns, so in layer 1 (before `ok`, which tests it)
        this.layer1.push([k.alias, this.d.logicalKey(this.expr(f.logical, f.column.slice(LOGICAL_KEY.length)))]);
        return k.alias;
      }
      let e = this.d.factorKey(f.column, f.kind === 'numeric' ? 'numeric' : f.kind);
      const alias = f.kind === 'numeric' ? this.aliases.get(f.column) : undefined;
      if (alias && alias.size > 0) {
        const raw = e;
        e = [...alias].reduceRight((acc, [from, to]) => this.d.ifThen(`${raw} = ${this.d.double(from)}`, this.d.double(to), acc), raw);
      }
      this.layer0.push([k.alias, e]);
    }
    return k.alias;
  }

  /**
   * R's .bincode of x in SQL: interval k = (b_k, b_{k+1}] (right) or [b_k, b_{k+1}) (right = FALSE),
   * the first closed below (right) or the last closed above (left) with include.lowest; NaN elsewhere
   */
  private cutKey(cut: CutVar, label: string): string {
    const d = this.d;
    const b = cut.breaks;
    if (!b) throw new Error(`internal: the breaks of '${label}' are not known yet`);
    const x = this.expr(cut.arg, label);
    const { right, includeLowest } = cut.args;
    const last = b.length - 2;
    let acc = d.double(NaN);
    for (let k = last; k >= 0; k--) {
      const lo = d.double(b[k]), hi = d.double(b[k + 1]);
      let inside = right ? d.and([`${x} > ${lo}`, `${x} <= ${hi}`]) : d.and([`${x} >= ${lo}`, `${x} < ${hi}`]);
      if (includeLowest && right && k === 0) inside = d.or([inside, `${x} = ${lo}`]);
      if (includeLowest && !right && k === last) inside = d.or([inside, `${x} = ${hi}`]);
      acc = d.ifThen(inside, d.double(k), acc);
    }
    return d.ifThen(this.isNaN(x), d.double(NaN), acc);
  }

  private keyPresentOf(f: FactorVar): string {
    return this.d.keyPresent(this.key(f), f.kind);
  }

  /**
   * a model-matrix column's value: the product of its numeric variables where its factors are at its
   * levels, else 0; times the contrast weight C[l, j] of each contrast-coded factor at its level l
   */
  value(col: DesignColumn, summary: FrameSummary): string {
    const { d } = this;
    let v = this.monomial(col.mono) ?? d.constantColumn(1);
    for (const c of col.coded ?? []) {
      const f = this.spec.factors.get(c.factor)!;
      const keys = summary.levels.get(c.factor)!.keys;
      const key = this.key(f);
      // the weight of the row's level (0 for a key not among the levels: no such row is used)
      const w = keys.reduceRight((acc: string, k, l) => d.ifThen(`${key} = ${typeof k === 'number' ? d.double(k) : d.text(k)}`, d.double(c.weights[l]), acc), d.double(0));
      v = `(${v} * ${w})`;
    }
    if (col.ind.length === 0) return v;
    const conds = col.ind.map(({ factor, level }) => {
      const f = this.spec.factors.get(factor)!;
      const key = summary.levels.get(factor)!.keys[level];
      return `${this.key(f)} = ${typeof key === 'number' ? d.double(key) : d.text(key)}`;
    });
    return d.ifThen(d.and(conds), v, d.double(0));
  }

  /** the product of numeric variables (left to right), or null for the constant 1 */
  monomial(mono: readonly string[]): string | null {
    if (mono.length === 0) return null;
    return mono.map((l) => this.varAlias.get(l)!).reduce((a, b) => `(${a} * ${b})`);
  }
}

/** The first pass: moments per cell (../moments.ts). */
export function momentsQuery(frame: SqlFrame, plan: MomentPlan, source: string, maxCells: number): GramQuery {
  const { d, spec } = frame;
  const keys = plan.cellFactors.map((f) => frame.key(spec.factors.get(f)!));
  const u = [...plan.monos.map((m) => frame.monomial(m)!), A.yp, A.y];
  const select = [
    A.ok, ...keys, d.count,
    ...u.map((e) => d.kahanSum(e)),
    ...plan.pairs.map(([a, b]) => d.covarPop(u[a], u[b])),
  ];
  if (frame.hasWeights) {
    select.push(d.kahanSum(d.call('log', A.w, 'weights')), d.kahanSum(d.ifThen(`${A.w} <= 0`, '1', '0')), d.min(A.w));
  }
  // the fixed part's covariates (`z` of `log(z)`): Σ, min and max per cell (../gridCells.ts)
  for (const name of plan.covariates) {
    const v = frame.column(name);
    select.push(d.kahanSum(v), d.min(v), d.max(v));
  }
  // per factor compared with a level: the rows (complete or not) holding it (frameSpec.ts checkLevelTests)
  for (const t of spec.levelTests) {
    const key = frame.key({ column: t.column, kind: t.kind });
    select.push(d.countIf(`${key} = ${typeof t.key === 'number' ? d.double(t.key) : d.text(t.key)}`));
  }
  // per value that must be finite: the complete rows where it is ±∞ (an error, as in memory)
  for (const c of frame.finiteChecks) select.push(d.countIf(d.and([frame.present, d.isInfinite(c.expr)])));
  // each grouping factor's number of levels, estimated (it decides the second pass's sums)
  for (const comps of spec.groups.values()) select.push(d.approxDistinct(comps.map((f) => frame.key(f))));
  return {
    stage: 'pass 1 (moments)',
    sql: d.query({ source, layers: [frame.layer0, frame.layer1], select, groupBy: [A.ok, ...keys], limit: maxCells + 1 }),
    keys: ['numeric', ...plan.cellFactors.map((f) => spec.factors.get(f)!.kind)],
    values: select.length - 1 - keys.length,
  };
}

/**
 * Per covariate whose cells' minima and maxima take two values a < b (../gridCells.ts
 * twoValueCandidates): the rows whose value is neither, as aggregates that the second pass's first
 * per-level query carries (its rows are the used ones, WHERE ok; summed over the levels: 0 means the
 * covariate takes exactly the values a and b), so that no extra scan is needed.
 */
export function thirdValueCounts(frame: SqlFrame, candidates: { name: string; a: number; b: number }[]): string[] {
  const { d } = frame;
  return candidates.map(({ name, a, b }) => {
    const v = frame.column(name);
    return d.countIf(d.and([`${v} <> ${d.double(a)}`, `${v} <> ${d.double(b)}`]));
  });
}

/**
 * The centres and scales of the formula's scale() calls (spec.scaled), R's over every row where the
 * argument is not missing (NULL or NaN; ±∞ counts, as in memory): `centre` 0 asks for each one's count
 * and sum, else (the centres given) for Σ (e − centre)².
 */
export function scaleQuery(d: Dialect, spec: FrameSpec, source: string, centres?: number[]): GramQuery {
  const { frame, args } = SqlFrame.scaleArguments(d, spec);
  const select: string[] = [];
  args.forEach((e, k) => {
    const present = d.or([d.isFinite(e), d.isInfinite(e)]);
    if (!centres) select.push(d.countIf(present), d.kahanSum(d.ifThen(present, e, '0')));
    else {
      const dev = `(${e} - ${d.double(centres[k])})`;
      select.push(d.kahanSum(d.ifThen(present, `(${dev} * ${dev})`, '0')));
    }
  });
  return {
    stage: centres ? 'scale(): the sums of squares' : 'scale(): the centres',
    sql: d.query({ source, layers: [frame.layer0, frame.layer1], select }),
    keys: [],
    values: select.length,
  };
}

/** The second pass's layer: the transformed, weighted columns. */
export class CentredFrame {
  readonly layer2: FrameLayer = [];
  readonly v: string[] = [];
  readonly z = new Map<string, string[]>();
  /** per group: Z's columns as the formula defines them, and Z C unweighted (for the θ optimizer's scales) */
  readonly zRaw = new Map<string, { raw: string[]; unweighted: string[] }>();

  constructor(readonly frame: SqlFrame, readonly summary: FrameSummary, readonly groups: GroupSpec[]) {
    const { d } = frame;
    const S = summary;
    const weight = (e: string) => (frame.hasWeights ? `(${e} * ${A.sw})` : e);
    if (frame.hasWeights) this.layer2.push([A.sw, d.call('sqrt', A.w, 'weights')]);
    const hasIntercept = S.intercept >= 0;
    const xc: string[] = [];
    S.xcols.forEach((col, j) => {
      let e = frame.value(col, S);
      if (hasIntercept && j !== S.intercept) e = `(${e} - ${d.double(S.means[j])})`;
      this.layer2.push([A.x(j), e]);
      xc.push(A.x(j));
    });
    // y_c = y' − x_c,0 β₀,0 − …, in column order, skipping β₀,j = 0 (fixedTransform.ts)
    let yc = A.yp;
    S.beta0.forEach((b, j) => { if (b !== 0) yc = `(${yc} - (${xc[j]} * ${d.double(b)}))`; });
    this.layer2.push([A.yc, yc]);
    const xw = xc.map((x, j) => {
      if (!frame.hasWeights) return x;
      this.layer2.push([`${x}w`, weight(x)]);
      return `${x}w`;
    });
    let yw = A.yc;
    if (frame.hasWeights) { this.layer2.push([A.yw, weight(A.yc)]); yw = A.yw; }
    this.v = [...xw, yw];
    groups.forEach((g, gi) => {
      const raw: string[] = [];
      const unweighted: string[] = [];
      const names = g.zcols.map((col, s) => {
        const zr = `__mg_zr${gi}_${s}`;
        this.layer2.push([zr, frame.value(col, S)]);
        raw.push(zr);
        // Z_c = Z C: column s minus m_s times the intercept column (which is 1)
        const e = g.centre && s > 0 ? `(${zr} - ${d.double(g.centre[s])})` : zr;
        const zu = `__mg_zu${gi}_${s}`;
        this.layer2.push([zu, e]);
        unweighted.push(zu);
        if (!frame.hasWeights) return zu;
        const alias = A.z(gi, s);
        this.layer2.push([alias, weight(zu)]);
        return alias;
      });
      this.z.set(g.label, names);
      this.zRaw.set(g.label, { raw, unweighted });
    });
  }



  private layers(): FrameLayer[] {
    return [this.frame.layer0, this.frame.layer1, this.layer2];
  }

  private keysOf(g: GroupSpec): string[] {
    return g.components.map((f) => this.frame.key(f));
  }

  /** Σ a·b, compensated or plain */
  private dot(a: string, b: string, compensated = true): string {
    const d = this.frame.d;
    return compensated ? d.kahanSum(`(${a} * ${b})`) : d.plainSum(`(${a} * ${b})`);
  }

  /**
   * per level of group g: A_kk (s ≤ t), A_Xk ([x_c y_c] × z_c), and with `withXX` A_XX (r ≤ s) and
   * Σ y_c²; `compensated` false for factors of very many levels (few rows each); `extra`: aggregates
   * appended last (thirdValueCounts)
   */
  levelQuery(g: GroupSpec, source: string, withXX: boolean, maxLevels: number, compensated = true, extra: string[] = []): GramQuery {
    const z = this.z.get(g.label)!;
    const q = z.length;
    const select = [...this.keysOf(g)];
    const c = compensated;
    for (let s = 0; s < q; s++) for (let t = s; t < q; t++) select.push(this.dot(z[s], z[t], c));
    for (const v of this.v) for (let s = 0; s < q; s++) select.push(this.dot(v, z[s], c));
    if (withXX) {
      for (let r = 0; r < this.v.length; r++) for (let s = r; s < this.v.length; s++) select.push(this.dot(this.v[r], this.v[s], c));
      select.push(this.dot(A.yc, A.yc, c));
    }
    // the θ optimizer's column scales (src/lmm/thetaProblem.ts): Σ (Z C)_s² and the count over rows where Z_s ≠ 0
    const d = this.frame.d;
    const { raw, unweighted } = this.zRaw.get(g.label)!;
    for (let s = 0; s < q; s++) {
      const sq = d.ifThen(`${raw[s]} != 0`, `(${unweighted[s]} * ${unweighted[s]})`, d.double(0));
      select.push(c ? d.kahanSum(sq) : d.plainSum(sq), d.countIf(`${raw[s]} != 0`));
    }
    select.push(...extra);
    const keys = this.keysOf(g);
    return {
      stage: `pass 2 (per level of ${g.label})`,
      sql: this.frame.d.query({ source, layers: this.layers(), select, where: A.ok, groupBy: [...new Set(keys)], limit: maxLevels + 1 }),
      keys: g.components.map((f) => f.kind),
      values: select.length - keys.length,
    };
  }

  /** per pair of levels of groups a and b: Σ z_c,a z_c,bᵀ (q_a × q_b, row-major) */
  pairQuery(a: GroupSpec, b: GroupSpec, source: string, maxPairs: number, compensated = true): GramQuery {
    const za = this.z.get(a.label)!;
    const zb = this.z.get(b.label)!;
    const keys = [...this.keysOf(a), ...this.keysOf(b)];
    const select = [...keys];
    for (const s of za) for (const t of zb) select.push(this.dot(s, t, compensated));
    return {
      stage: `pass 2 (per pair of levels of ${a.label} and ${b.label})`,
      sql: this.frame.d.query({ source, layers: this.layers(), select, where: A.ok, groupBy: [...new Set(keys)], limit: maxPairs + 1 }),
      keys: [...a.components, ...b.components].map((f) => f.kind),
      values: za.length * zb.length,
    };
  }
}

/** The distinct keys of a text column in rows dropped for missing values (they decide R's level order). */
export function droppedKeysQuery(frame: SqlFrame, f: FactorVar, source: string): GramQuery {
  const { d } = frame;
  const key = frame.key(f);
  return {
    stage: `levels of '${f.column}' in dropped rows`,
    sql: d.query({ source, layers: [frame.layer0, frame.layer1], select: [key], where: d.and([d.not(A.ok), d.keyPresent(key, f.kind)]), groupBy: [key] }),
    keys: [f.kind],
    values: 0,
  };
}
