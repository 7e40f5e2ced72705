/**
 * The Gram matrix from per-level and per-pair sums (the second pass of an engine that does not hold
 * the rows), in the blocked layout of src/model/gram.ts, with the random-effects blocks and θ layout
 * of src/model/lambda.ts:
 *   A_kk[c]     = Σ_{i: g_k(i)=c} z_c z_cᵀ              (one GROUP BY g_k row per level c)
 *   A_Xk[:, c]  = Σ_{i: g_k(i)=c} [x_c y_c] z_cᵀ
 *   A_XX        = Σ_c Σ_{i: g(i)=c} [x_c y_c][x_c y_c]ᵀ (any one factor's levels partition the rows)
 *   A_jk[d, c]  = Σ_{i: g_j(i)=d, g_k(i)=c} z_c,j z_c,kᵀ  (one GROUP BY g_j, g_k row per pair present)
 * The levels are ordered as R orders them (./levels.ts); the blocks by number of levels as lme4.
 * Z is the internal Z M of lmer (centred single-term blocks, src/model/reparam.ts).
 */
import type { ReTerm } from '../frame/modelFrame.js';
import { checkReTerm, lme4TermOrder } from '../frame/modelFrame.js';
import { type BlockSparse, type GramMatrix, findInPattern, patternFromKeys } from '../linalg/gram.js';
import { type RandomBlock, type ThetaLayout, buildRandomBlocks } from '../model/lambda.js';
import type { DesignColumn, FactorVar, FrameSpec } from './frameSpec.js';
import { type LevelKey, type OrderedLevels, orderInteraction, orderLevels } from './levels.js';
import type { FrameSummary } from './moments.js';

/** Rows of a GROUP BY result: key columns and value columns. */
export interface GroupSums {
  rows: number;
  /** keys[component][row] */
  keys: (LevelKey | null)[][];
  /** values[aggregate][row] */
  values: Float64Array[];
}

/** A grouping factor of the model with its block's columns (the terms on it, in the order written). */
export interface GroupSpec {
  label: string;
  components: FactorVar[];
  zcols: DesignColumn[];
  /** means subtracted from columns 1.. when the block is centred, else null */
  centre: Float64Array | null;
}

/**
 * The grouping factors of a frame, each with its block's columns and centring (a block that is one
 * term with an intercept and other columns is centred: lambda.ts).
 */
export function groupSpecs(spec: FrameSpec, summary: FrameSummary): GroupSpec[] {
  return [...spec.groups].map(([label, components]) => {
    const terms = spec.random.map((r, k) => ({ r, k })).filter(({ r }) => r.group === label);
    const zcols = terms.flatMap(({ k }) => summary.zcols[k]);
    const centred = terms.length === 1 && zcols.length > 1 && zcols[0].name === '(Intercept)';
    const centre = centred ? Float64Array.from(zcols, (c, s) => (s === 0 ? 0 : summary.meanOf(c))) : null;
    return { label, components, zcols, centre };
  });
}

/** The second pass's results. */
export interface SecondPass {
  /** per level of each grouping factor (by label): zz (s ≤ t), then [x y] × z; for `xxGroup` also [x y] (r ≤ s) and Σ y_c² */
  levels: Map<string, GroupSums>;
  /** per pair of levels, keyed `${a}\u0000${b}` with a before b in the formula: z_a × z_b row-major */
  pairs: Map<string, GroupSums>;
  /** the grouping factor whose rows also carry A_XX (unless `xx` is given) */
  xxGroup: string;
  /** A_XX ((p+1)², row-major) and Σ y_c², summed directly over the rows */
  xx?: { AXX: Float64Array; yty: number };
  /**
   * per group: Σ (Z C)_s² and the count over the rows where Z_s ≠ 0, summed directly over the rows
   * (else read from the last 2q columns of the group's per-level sums)
   */
  zSquares?: Map<string, { sumSq: Float64Array; count: Float64Array }>;
  /** keys of text grouping components seen only in dropped rows, by column */
  dropped: Map<string, LevelKey[]>;
}

export const pairKey = (a: string, b: string) => `${a}\u0000${b}`;

/**
 * A row's keys as one Map key: a number when every key column has one component's keys (the
 * distinct values of each column numbered, mixed radix, exact below 2^53), else their JSON. Two rows
 * get the same id exactly when their keys are equal (as JSON.stringify of the keys would tell).
 */
export function rowIds(keys: (LevelKey | null)[][], rows: number): Float64Array | string[] {
  const dicts = keys.map(() => new Map<LevelKey | null, number>());
  const codes = keys.map((col, c) => {
    const d = dicts[c];
    const out = new Int32Array(rows);
    for (let i = 0; i < rows; i++) {
      let v = d.get(col[i]);
      if (v === undefined) { v = d.size; d.set(col[i], v); }
      out[i] = v;
    }
    return out;
  });
  let span = 1;
  for (const d of dicts) span *= Math.max(1, d.size);
  if (span > Number.MAX_SAFE_INTEGER) return Array.from({ length: rows }, (_, i) => JSON.stringify(keys.map((k) => k[i])));
  const id = new Float64Array(rows);
  for (let c = 0; c < keys.length; c++) {
    const radix = Math.max(1, dicts[c].size);
    const code = codes[c];
    for (let i = 0; i < rows; i++) id[i] = id[i] * radix + code[i];
  }
  return id;
}

/**
 * Rows with the same keys summed into one (compensated), in the order of their first occurrence: an
 * engine that returns partial results, e.g. ClickHouse's shards each returning their own groups,
 * gives the same sums as one GROUP BY. A result without repeated keys (DuckDB's) comes back as it is,
 * found so by sorting the rows' numeric ids (no string per row: 100M-row fits have millions of pairs).
 */
export function mergeDuplicateKeys(res: GroupSums): GroupSums {
  const ids = rowIds(res.keys, res.rows);
  if (ids instanceof Float64Array) {
    const sorted = Float64Array.from(ids).sort();
    let repeated = false;
    for (let i = 1; i < sorted.length && !repeated; i++) repeated = sorted[i] === sorted[i - 1];
    if (!repeated) return res;
  }
  const first = new Map<number | string, number>();
  const target = new Int32Array(res.rows);
  let unique = 0;
  for (let i = 0; i < res.rows; i++) {
    const key = ids[i];
    const f = first.get(key);
    if (f === undefined) { first.set(key, i); target[i] = unique++; } else target[i] = -1 - f;
  }
  if (unique === res.rows) return res;
  const comp = res.values.map(() => new Float64Array(res.rows));
  const values = res.values.map((v) => Float64Array.from(v));
  for (let i = 0; i < res.rows; i++) {
    if (target[i] >= 0) continue;
    const into = -1 - target[i];
    for (let c = 0; c < values.length; c++) {
      const a = values[c][into], b = res.values[c][i];
      const t = a + b;
      comp[c][into] += Math.abs(a) >= Math.abs(b) ? (a - t) + b : (b - t) + a;
      values[c][into] = t;
    }
  }
  const keep: number[] = [];
  for (let i = 0; i < res.rows; i++) if (target[i] >= 0) keep.push(i);
  return {
    rows: keep.length,
    keys: res.keys.map((k) => keep.map((i) => k[i])),
    values: values.map((v, c) => Float64Array.from(keep, (i) => v[i] + comp[c][i])),
  };
}

/**
 * A grouping factor's level code from its keys: by the key itself for a one-component factor, by
 * the keys' JSON for an interaction (one string per level, not per row, for the common case).
 */
class LevelCodes {
  private readonly single = new Map<LevelKey | null, number>();
  private readonly multi = new Map<string, number>();
  constructor(private readonly ncomp: number) {}
  private static json(keys: (LevelKey | null)[][], from: number, n: number, i: number): string {
    const parts: (LevelKey | null)[] = new Array(n);
    for (let c = 0; c < n; c++) parts[c] = keys[from + c][i];
    return JSON.stringify(parts);
  }
  set(keys: (LevelKey | null)[][], i: number, code: number): void {
    if (this.ncomp === 1) this.single.set(keys[0][i], code);
    else this.multi.set(LevelCodes.json(keys, 0, this.ncomp, i), code);
  }
  /** the code of the level whose components are keys[from .. from + ncomp)[i], or -1 */
  get(keys: (LevelKey | null)[][], from: number, i: number): number {
    const v = this.ncomp === 1 ? this.single.get(keys[from][i]) : this.multi.get(LevelCodes.json(keys, from, this.ncomp, i));
    return v ?? -1;
  }
}

export interface AssembledGram {
  gram: GramMatrix;
  /** each grouping factor's level keys by component, in level order: levelKeys.get(label)[component][level] */
  levelKeys: Map<string, LevelKey[][]>;
  /** the random-effects terms (levels, columns; no rows) in lme4's order */
  reTerms: ReTerm[];
  /** the random-effects blocks (levels, columns, Λ's template; no rows) */
  blocks: RandomBlock[];
  theta: ThetaLayout;
  /**
   * per block column: Σ (Z M)_s² and the count over the rows where Z_s ≠ 0 (the θ optimizer's
   * scales, src/lmm/thetaProblem.ts)
   */
  zSquares: { sumSq: Float64Array; count: Float64Array }[];
  /**
   * per block, the means m subtracted from columns 1.. when the block is centred (lmer's internal
   * parametrization, src/model/reparam.ts: Z M with M = I − e₀ mᵀ), else null; A is of Z M
   */
  centres: (Float64Array | null)[];
}

/** Neumaier sum of v[rows] */
function compensatedSum(v: Float64Array): number {
  let s = 0;
  let c = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    const t = s + x;
    c += Math.abs(s) >= Math.abs(x) ? (s - t) + x : (x - t) + s;
    s = t;
  }
  return s + c;
}

export function assembleGram(spec: FrameSpec, summary: FrameSummary, groups: GroupSpec[], pass: SecondPass): AssembledGram {
  const { n, p } = summary;
  const p1 = p + 1;
  // levels of each grouping factor, and the level code of each result row
  const levelInfo = new Map<string, { labels: string[]; code: Int32Array; codeOf: LevelCodes }>();
  const levelKeys = new Map<string, LevelKey[][]>();
  for (const g of groups) {
    const res = pass.levels.get(g.label)!;
    const comps: OrderedLevels[] = g.components.map((f, c) => {
      const present = res.keys[c].filter((k): k is LevelKey => k !== null);
      return orderLevels(f.kind, present, pass.dropped.get(f.column) ?? [], spec.levelOrder);
    });
    const { labels, code } = orderInteraction(comps, res.keys as LevelKey[][], res.rows);
    const codeOf = new LevelCodes(g.components.length);
    const keysByLevel: LevelKey[][] = g.components.map(() => new Array<LevelKey>(labels.length));
    for (let i = 0; i < res.rows; i++) {
      codeOf.set(res.keys, i, code[i]);
      res.keys.forEach((k, c) => { keysByLevel[c][code[i]] = k[i] as LevelKey; });
    }
    levelInfo.set(g.label, { labels, code, codeOf });
    levelKeys.set(g.label, keysByLevel);
  }

  // the random-effects terms without rows, in lme4's order (lme4TermOrder)
  const terms: ReTerm[] = spec.random.map((r, k) => {
    const levels = levelInfo.get(r.group)!.labels;
    const cols = summary.zcols[k];
    return {
      group: r.group, levels, codes: new Int32Array(0), cnames: cols.map((c) => c.name), q: cols.length,
      Z: new Float64Array(0), text: r.term.text, term: r.term, position: k,
    };
  });
  for (const t of terms) {
    if (t.q === 0) throw new Error(`random-effects term ${t.text} has no columns`);
    checkReTerm(t, n);
  }
  const reTerms = lme4TermOrder(terms.map((t) => t.levels.length)).map((k) => terms[k]);
  const { blocks, theta } = buildRandomBlocks(reTerms);
  const byLabel = new Map(groups.map((g) => [g.label, g] as const));
  // the centring means of each block's columns (src/model/reparam.ts's C), from the first pass
  const centres = blocks.map((b) => byLabel.get(b.group)!.centre);

  // A_kk and A_Xk
  const Akk: Float64Array[] = [];
  const AXk: Float64Array[] = [];
  for (const b of blocks) {
    const res = pass.levels.get(b.group)!;
    const { code } = levelInfo.get(b.group)!;
    const q = b.q;
    const akk = new Float64Array(b.nl * q * q);
    const axk = new Float64Array(p1 * b.nl * q);
    let col = 0;
    for (let s = 0; s < q; s++) {
      for (let t = s; t < q; t++, col++) {
        const v = res.values[col];
        for (let i = 0; i < res.rows; i++) akk[code[i] * q * q + s * q + t] = akk[code[i] * q * q + t * q + s] = v[i];
      }
    }
    const m = b.nl * q;
    for (let r = 0; r < p1; r++) {
      for (let s = 0; s < q; s++, col++) {
        const v = res.values[col];
        for (let i = 0; i < res.rows; i++) axk[r * m + code[i] * q + s] = v[i];
      }
    }
    Akk.push(akk);
    AXk.push(axk);
  }

  // A_XX and Σ y_c², given or summed over the levels of one factor
  let AXX: Float64Array;
  let yty: number;
  if (pass.xx) {
    ({ AXX, yty } = pass.xx);
  } else {
    const xx = pass.levels.get(pass.xxGroup)!;
    const qx = byLabel.get(pass.xxGroup)!.zcols.length;
    let col = (qx * (qx + 1)) / 2 + p1 * qx;
    AXX = new Float64Array(p1 * p1);
    for (let r = 0; r < p1; r++) {
      for (let s = r; s < p1; s++, col++) AXX[r * p1 + s] = AXX[s * p1 + r] = compensatedSum(xx.values[col]);
    }
    yty = compensatedSum(xx.values[col]);
  }

  // A_jk (j > k in block order) from the pair sums
  const Ajk: BlockSparse[][] = blocks.map(() => []);
  for (let j = 1; j < blocks.length; j++) {
    for (let k = 0; k < j; k++) {
      const bj = blocks[j], bk = blocks[k];
      const gj = byLabel.get(bj.group)!, gk = byLabel.get(bk.group)!;
      const forward = pass.pairs.get(pairKey(gj.label, gk.label));
      const res = forward ?? pass.pairs.get(pairKey(gk.label, gj.label));
      if (!res) throw new Error(`internal: no pair sums for '${bj.group}' and '${bk.group}'`);
      const first = forward ? gj : gk;
      const n1 = first.components.length;
      const rowCode = new Int32Array(res.rows);
      const colCode = new Int32Array(res.rows);
      const infoJ = levelInfo.get(bj.group)!, infoK = levelInfo.get(bk.group)!;
      // the keys of block j's factor come first in the row when the pair is forward
      const [fromJ, fromK] = forward ? [0, n1] : [n1, 0];
      for (let i = 0; i < res.rows; i++) {
        rowCode[i] = infoJ.codeOf.get(res.keys, fromJ, i);
        colCode[i] = infoK.codeOf.get(res.keys, fromK, i);
        if (rowCode[i] < 0 || colCode[i] < 0) throw new Error(`internal: a pair of levels of '${bj.group}' and '${bk.group}' not among their levels`);
      }
      const nrow = bj.nl;
      const keys = new Float64Array(res.rows);
      for (let i = 0; i < res.rows; i++) keys[i] = colCode[i] * nrow + rowCode[i];
      const pattern = patternFromKeys(keys, nrow, bk.nl);
      const qr = bj.q, qc = bk.q;
      const values = new Float64Array(pattern.rowIdx.length * qr * qc);
      const q1 = forward ? qr : qc;
      const q2 = forward ? qc : qr;
      for (let i = 0; i < res.rows; i++) {
        const e = findInPattern(pattern, colCode[i], rowCode[i]);
        for (let s = 0; s < q1; s++) {
          for (let t = 0; t < q2; t++) {
            const v = res.values[s * q2 + t][i];
            // value (s, t) is Σ z_first,s z_second,t
            if (forward) values[e * qr * qc + s * qc + t] += v;
            else values[e * qr * qc + t * qc + s] += v;
          }
        }
      }
      Ajk[j][k] = { pattern, qr, qc, values };
    }
  }
  const zSquares = blocks.map((b) => {
    const given = pass.zSquares?.get(b.group);
    if (given) return given;
    const res = pass.levels.get(b.group)!;
    const q = b.q;
    const last = res.values.length - 2 * q;
    return {
      sumSq: Float64Array.from({ length: q }, (_, s) => compensatedSum(res.values[last + 2 * s])),
      count: Float64Array.from({ length: q }, (_, s) => compensatedSum(res.values[last + 2 * s + 1])),
    };
  });
  return { gram: { n, p, blocks, Akk, Ajk, AXk, AXX, yty }, levelKeys, reTerms, blocks, theta, centres, zSquares };
}
