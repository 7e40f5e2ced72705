/**
 * The two passes over record batches, accumulated row by row in float64:
 *  - MomentAccumulator (pass 1): per cell of the fixed-effect factors, the count, compensated sums
 *    and Welford co-moments of X's monomials and y' (../moments.ts's CellTable), Σ log w; and every
 *    grouping factor's levels (present in complete rows, or only in dropped ones);
 *  - GramAccumulator (pass 2): per level of each grouping factor and per pair of levels, the sums
 *    the SQL engines compute with GROUP BY (../assemble.ts's SecondPass), and A_XX over all rows:
 *    plain float64 sums in input order, as src/backend/cpu/gram.ts forms them from the whole table.
 */
import type { GroupSpec, GroupSums, SecondPass } from '../assemble.js';
import { pairKey } from '../assemble.js';
import type { LevelKey } from '../levels.js';
import type { CellTable, FrameSummary, MomentPlan } from '../moments.js';
import { type BatchFrame, centreBatch, monomials } from './evaluate.js';

/** A row's level of a grouping factor as a map key: the key itself for one component, else the keys joined. */
export type LevelId = LevelKey;
export function levelIdOf(cols: (LevelKey | null)[][], i: number): LevelId {
  if (cols.length === 1) return cols[0][i] as LevelKey;
  let id = '';
  for (const c of cols) id += `${String(c[i])}\u0001`;
  return id;
}

/** Growable float64 columns. */
class Columns {
  data: Float64Array[];
  size = 0;
  constructor(readonly width: number, capacity = 1024) {
    this.data = Array.from({ length: width }, () => new Float64Array(capacity));
  }
  /** index of a new zeroed row */
  add(): number {
    if (this.size === this.data[0]?.length) this.data = this.data.map((d) => { const e = new Float64Array(d.length * 2); e.set(d); return e; });
    return this.size++;
  }
  finish(): Float64Array[] {
    return this.data.map((d) => d.slice(0, this.size));
  }
}

interface Cell {
  ok: 0 | 1;
  keys: (LevelKey | null)[];
  n: number;
  /** compensated sums: sum and compensation per variable */
  sum: Float64Array;
  comp: Float64Array;
  /** running means and co-moments (Welford) */
  mean: Float64Array;
  co: Float64Array;
  logW: number;
  badW: number;
  minW: number;
  /**
   * per plan covariate: compensated sum, min, max, and its first two distinct values (NaN: none yet)
   * and whether a third one occurred (../gridCells.ts)
   */
  cov: { sum: number; comp: number; min: number; max: number; v1: number; v2: number; many: 0 | 1 }[];
}

export class MomentAccumulator {
  private cells = new Map<string, Cell>();
  /** per group: the level combinations of complete rows (level id → component keys) */
  readonly groupLevels = new Map<string, Map<LevelId, LevelKey[]>>();
  /** text grouping components: keys seen in dropped rows */
  readonly dropped = new Map<string, Set<LevelKey>>();
  nInput = 0;
  /** per spec.levelTests entry: whether a row holds its level (frameSpec.ts checkLevelTests) */
  readonly levelSeen: Uint8Array;
  /** ±∞ in complete rows, per value checked (by its place in the checks): the count and the first (1-based input row, value) */
  readonly infinite = new Map<number, { label: string; what: string; count: number; row: number; value: number }>();

  constructor(readonly plan: MomentPlan, readonly groups: [string, { column: string; kind: string }[]][]) {
    this.levelSeen = new Uint8Array(plan.spec.levelTests.length);
    for (const [label, comps] of groups) {
      this.groupLevels.set(label, new Map());
      for (const c of comps) if (c.kind === 'text') this.dropped.set(c.column, new Set());
    }
  }

  add(frame: BatchFrame): void {
    const { plan } = this;
    const { n, ok } = frame;
    for (const f of frame.infinite) {
      const seen = this.infinite.get(f.index);
      if (seen) seen.count += f.count;
      else this.infinite.set(f.index, { label: f.label, what: f.what, count: f.count, row: this.nInput + f.first + 1, value: f.value });
    }
    this.nInput += n;
    frame.levelSeen.forEach((v, k) => { this.levelSeen[k] |= v; });
    const M = plan.nvars - 1;
    const u = [...monomials(frame, plan.monos), frame.yp, frame.y];
    const factorKeys = plan.cellFactors.map((f) => frame.keys.get(plan.spec.factors.get(f)!.column)!);
    const w = frame.w;
    const delta = new Float64Array(M + 1);
    const raw = plan.covariates.map((name) => frame.column(name));
    for (let i = 0; i < n; i++) {
      let id = ok[i] ? '1' : '0';
      for (const k of factorKeys) id += `\u0001${String(k[i])}`;
      let cell = this.cells.get(id);
      if (!cell) {
        const keys = factorKeys.map((k) => k[i]);
        cell = {
          ok: ok[i] as 0 | 1, keys, n: 0, sum: new Float64Array(M + 1), comp: new Float64Array(M + 1),
          mean: new Float64Array(M + 1), co: new Float64Array(plan.pairs.length), logW: 0, badW: 0, minW: Infinity,
          cov: plan.covariates.map(() => ({ sum: 0, comp: 0, min: Infinity, max: -Infinity, v1: NaN, v2: NaN, many: 0 as 0 | 1 })),
        };
        this.cells.set(id, cell);
      }
      cell.n++;
      if (!ok[i]) continue;
      // Welford: δ = u − mean_old; mean += δ/n; co_ab += δ_a (u_b − mean_b,new)
      const cn = cell.n;
      for (let v = 0; v <= M; v++) {
        const x = u[v][i];
        const s = cell.sum[v], t = s + x;
        cell.comp[v] += Math.abs(s) >= Math.abs(x) ? (s - t) + x : (x - t) + s;
        cell.sum[v] = t;
        delta[v] = x - cell.mean[v];
        cell.mean[v] += delta[v] / cn;
      }
      plan.pairs.forEach(([a, b], k) => { cell.co[k] += delta[a] * (u[b][i] - cell.mean[b]); });
      if (w) {
        const wi = w[i];
        if (wi > 0) cell.logW += Math.log(wi); else cell.badW++;
        cell.minW = Math.min(cell.minW, wi);
      }
      // the covariates: Σ (Neumaier), min, max, and up to two distinct values (a third sets `many`)
      for (let k = 0; k < raw.length; k++) {
        const x = raw[k][i];
        const c = cell.cov[k];
        const t = c.sum + x;
        c.comp += Math.abs(c.sum) >= Math.abs(x) ? (c.sum - t) + x : (x - t) + c.sum;
        c.sum = t;
        if (x < c.min) c.min = x;
        if (x > c.max) c.max = x;
        if (c.many || x === c.v1 || x === c.v2) continue;
        if (Number.isNaN(c.v1)) c.v1 = x;
        else if (Number.isNaN(c.v2)) c.v2 = x;
        else c.many = 1;
      }
    }
    for (const [label, comps] of this.groups) {
      const levels = this.groupLevels.get(label)!;
      const cols = comps.map((c) => frame.keys.get(c.column)!);
      for (let i = 0; i < n; i++) {
        if (!ok[i]) continue;
        const id = levelIdOf(cols, i);
        if (!levels.has(id)) levels.set(id, cols.map((c) => c[i] as LevelKey));
      }
      comps.forEach((c, ci) => {
        const set = this.dropped.get(c.column);
        if (!set) return;
        for (let i = 0; i < n; i++) if (!ok[i] && cols[ci][i] !== null) set.add(cols[ci][i] as LevelKey);
      });
    }
  }

  cellTable(): CellTable {
    const cells = [...this.cells.values()];
    const M = this.plan.nvars - 1;
    const t: CellTable = {
      ok: Uint8Array.from(cells, (c) => c.ok),
      keys: this.plan.cellFactors.map((_, f) => cells.map((c) => c.keys[f])),
      n: Float64Array.from(cells, (c) => c.n),
      sums: Array.from({ length: M + 1 }, (_, v) => Float64Array.from(cells, (c) => c.sum[v] + c.comp[v])),
      comoments: this.plan.pairs.map((_, k) => Float64Array.from(cells, (c) => c.co[k])),
    };
    if (this.plan.spec.weights) {
      t.logW = Float64Array.from(cells, (c) => c.logW);
      t.badW = Float64Array.from(cells, (c) => c.badW);
      t.minW = Float64Array.from(cells, (c) => c.minW);
    }
    t.covariates = this.plan.covariates.map((_, k) => ({
      sum: Float64Array.from(cells, (c) => c.cov[k].sum + c.cov[k].comp),
      min: Float64Array.from(cells, (c) => c.cov[k].min),
      max: Float64Array.from(cells, (c) => c.cov[k].max),
      many: Uint8Array.from(cells, (c) => c.cov[k].many),
    }));
    return t;
  }
}

export class GramAccumulator {
  private readonly index: Map<LevelId, number>[];
  private readonly levelSums: Columns[];
  private readonly pairIndex: Map<number, number>[] = [];
  private readonly pairSums: Columns[] = [];
  private readonly pairs: [number, number][] = [];
  private readonly p1: number;
  private readonly AXX: Float64Array;
  private yty = 0;
  private readonly zSquares: { sumSq: Float64Array; count: Float64Array }[];

  constructor(readonly summary: FrameSummary, readonly groups: GroupSpec[], readonly levels: Map<string, Map<LevelId, LevelKey[]>>) {
    this.p1 = summary.p + 1;
    this.AXX = new Float64Array(this.p1 * this.p1);
    this.zSquares = groups.map((g) => ({ sumSq: new Float64Array(g.zcols.length), count: new Float64Array(g.zcols.length) }));
    this.index = groups.map((g) => new Map([...levels.get(g.label)!.keys()].map((k, i) => [k, i] as const)));
    this.levelSums = groups.map((g, gi) => {
      const q = g.zcols.length;
      const width = (q * (q + 1)) / 2 + this.p1 * q;
      const c = new Columns(width, Math.max(1, this.index[gi].size));
      for (let i = 0; i < this.index[gi].size; i++) c.add();
      return c;
    });
    for (let a = 0; a < groups.length; a++) {
      for (let b = a + 1; b < groups.length; b++) {
        this.pairs.push([a, b]);
        this.pairIndex.push(new Map());
        this.pairSums.push(new Columns(groups[a].zcols.length * groups[b].zcols.length));
      }
    }
  }

  add(frame: BatchFrame): void {
    const { n, ok } = frame;
    const { v, z, zRaw, zUnweighted } = centreBatch(frame, this.summary, this.groups);
    // the θ optimizer's column scales, row by row as src/lmm/thetaProblem.ts sums them
    this.groups.forEach((g, gi) => {
      const q = g.zcols.length;
      const { sumSq, count } = this.zSquares[gi];
      const raw = zRaw[gi], zu = zUnweighted[gi];
      for (let i = 0; i < n; i++) {
        if (!ok[i]) continue;
        for (let s = 0; s < q; s++) {
          if (raw[i * q + s] === 0) continue;
          sumSq[s] += zu[i * q + s] ** 2;
          count[s]++;
        }
      }
    });
    const p1 = this.p1;
    const AXX = this.AXX;
    for (let i = 0; i < n; i++) {
      if (!ok[i]) continue;
      this.yty += v[p1 - 1][i] * v[p1 - 1][i];
      for (let r = 0; r < p1; r++) for (let s = 0; s <= r; s++) AXX[r * p1 + s] += v[r][i] * v[s][i];
    }
    // each row's level per group
    const codes = this.groups.map((g, gi) => {
      const cols = g.components.map((c) => frame.keys.get(c.column)!);
      const idx = this.index[gi];
      const out = new Int32Array(n).fill(-1);
      for (let i = 0; i < n; i++) if (ok[i]) out[i] = idx.get(levelIdOf(cols, i))!;
      return out;
    });
    this.groups.forEach((g, gi) => {
      const q = g.zcols.length;
      const Z = z[gi];
      const sums = this.levelSums[gi].data;
      const code = codes[gi];
      for (let i = 0; i < n; i++) {
        if (!ok[i]) continue;
        const c = code[i];
        let col = 0;
        for (let s = 0; s < q; s++) for (let t = s; t < q; t++) sums[col++][c] += Z[i * q + s] * Z[i * q + t];
        for (let r = 0; r < p1; r++) for (let s = 0; s < q; s++) sums[col++][c] += v[r][i] * Z[i * q + s];
      }
    });
    this.pairs.forEach(([a, b], k) => {
      const qa = this.groups[a].zcols.length, qb = this.groups[b].zcols.length;
      const idx = this.pairIndex[k];
      const acc = this.pairSums[k];
      const nb = this.index[b].size;
      for (let i = 0; i < n; i++) {
        if (!ok[i]) continue;
        const key = codes[a][i] * nb + codes[b][i];
        let e = idx.get(key);
        if (e === undefined) { e = acc.add(); idx.set(key, e); }
        const sums = acc.data;
        for (let s = 0; s < qa; s++) for (let t = 0; t < qb; t++) sums[s * qb + t][e] += z[a][i * qa + s] * z[b][i * qb + t];
      }
    });
  }

  /** the sums, keyed by the levels' component keys */
  secondPass(dropped: Map<string, Set<LevelKey>>): SecondPass {
    const levelKeys = this.groups.map((g) => [...this.levels.get(g.label)!.values()]);
    const levels = new Map<string, GroupSums>();
    this.groups.forEach((g, gi) => {
      const rows = levelKeys[gi].length;
      levels.set(g.label, { rows, keys: g.components.map((_, c) => levelKeys[gi].map((k) => k[c])), values: this.levelSums[gi].finish() });
    });
    const pairs = new Map<string, GroupSums>();
    this.pairs.forEach(([a, b], k) => {
      const nb = this.index[b].size;
      const entries = [...this.pairIndex[k].entries()].sort((x, y) => x[1] - y[1]);
      const ka = entries.map(([key]) => levelKeys[a][Math.floor(key / nb)]);
      const kb = entries.map(([key]) => levelKeys[b][key % nb]);
      const keys = [
        ...this.groups[a].components.map((_, c) => ka.map((t) => t[c])),
        ...this.groups[b].components.map((_, c) => kb.map((t) => t[c])),
      ];
      pairs.set(pairKey(this.groups[a].label, this.groups[b].label), { rows: entries.length, keys, values: this.pairSums[k].finish() });
    });
    const p1 = this.p1;
    const AXX = Float64Array.from(this.AXX);
    for (let r = 0; r < p1; r++) for (let s = r + 1; s < p1; s++) AXX[r * p1 + s] = AXX[s * p1 + r];
    return {
      levels, pairs, xxGroup: this.groups[0].label, xx: { AXX, yty: this.yty },
      zSquares: new Map(this.groups.map((g, gi) => [g.label, this.zSquares[gi]] as const)),
      dropped: new Map([...dropped].map(([c, s]) => [c, [...s]] as const)),
    };
  }
}
