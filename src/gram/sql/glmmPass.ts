/**
 * A GLMM's PIRLS passes as SQL (../glmm.ts GlmmPassRunner): per evaluation, the modes b_k of each
 * grouping factor loaded as a table keyed as the frame keys the factor and joined to the rows (the
 * relation of ./residuals.ts ResidualSql, whose fitted value is η = offset + Xβ + Σ_k z_kᵀ b_k), then
 * per row (src/glmm/family.ts, lme4's clamps at machine ε; μ = g⁻¹(η) and dμ/dη of each link: ./links.ts):
 *   binomial  V = max(ε, μ(1 − μ)), d = 2 wt [y log(y/μ) + (1 − y) log((1 − y)/(1 − μ))];  mustart (wt y + ½)/(wt + 1)
 *   poisson   V = μ, d = 2 wt [y log(y/μ) − (y − μ)];  mustart y + 0.1
 *   w = wt (dμ/dη)²/V,  r = (y − μ)/(dμ/dη)  (at mustart: η = g(mustart), z = η − offset + r whole);
 *   Newton's row where PIRLS asks (`observed`, a non-canonical link): w f and r/f, f the observed over
 *   the expected information (src/glmm/rowPass.ts observedRows)
 * and one GROUP BY query per grouping factor (Σ w z̃_s z̃_t; Σ w v z̃_s for v = X's columns and r; the
 * first factor's query also Σ w v_a v_b and Σ d, summed over its levels here) and one per pair of
 * factors (Σ w z̃_j,s z̃_k,t), with z̃ = z M the internal columns (src/model/reparam.ts). Sums are
 * compensated (Kahan) except for a factor of very many levels (few rows each), as the LMM's pass 2.
 * On ClickHouse the innermost query reads the (Distributed) table and the joins and groupings run
 * where the client connects; a query's rows are added up by key (a level may come once per shard).
 * A cbind(s, f) response is y = s/(s + f) with prior weight wt = s + f; 0/1 and count responses wt = 1.
 */
import { DataError } from '../../errors/errors.js';
import type { GramMatrix } from '../../linalg/gram.js';
import type { GlmFamily } from '../../glmm/family.js';
import type { BlockTransform } from '../../model/reparam.js';
import { type GroupSpec, groupSpecs } from '../assemble.js';
import { type GlmmEngineResponse, type GlmmPassRunner, muRangeError, pairEntries, type GlmmPassState, type GlmmRowSummary, RESPONSE_CHECKS } from '../glmm.js';
import type { LevelKey } from '../levels.js';
import type { GramSourceResult } from '../source.js';
import type { Dialect, FrameLayer } from './dialect.js';
import { type SqlEngine, inStage } from './engine.js';
import { A, type GramQuery, SqlFrame } from './generate.js';
import { R, ResidualSql } from './residuals.js';
import { OBSERVED_FLOOR } from '../../glmm/rowPass.js';
import { linkFunSql, linkInverseSql, observedFactorSql } from './links.js';


/** Plain sums beyond this many levels (as the LMM's pass 2, sqlSource.ts compensatedUpTo; also ./agqPass.ts) */
export const COMPENSATED_UP_TO = 131_072;

/** y log(y/m) with lme4's 0 at y = 0 */
export function ylogySql(d: Dialect, y: string, m: string): string {
  return d.ifThen(`${y} = 0`, d.double(0), `(${y} * ${d.call('log', `(${y} / ${m})`, 'the deviance')})`);
}

/**
 * The unit deviance wt · d(y, μ) of the aliases y, wt, μ:
 *   binomial  2 wt [y log(y/μ) + (1 − y) log((1 − y)/(1 − μ))],   poisson  2 wt [y log(y/μ) − (y − μ)]
 */
export function unitDevianceSql(d: Dialect, binomial: boolean, y: string, wt: string, mu: string): string {
  return binomial
    ? `(2 * ${wt} * (${ylogySql(d, y, mu)} + ${ylogySql(d, `(1 - ${y})`, `(1 - ${mu})`)}))`
    : `(2 * ${wt} * (${ylogySql(d, y, mu)} - (${y} - ${mu})))`;
}

/**
 * y and the prior weight wt as aliases over the frame's layers: the response itself and 1, or for
 * cbind(s, f) (the failures' expression `failures`, aliased f) y = s/(s + f) (0 where s + f = 0), wt = s + f.
 */
export function responseLayerSql(d: Dialect, failures: string | null, alias: { y: string; wt: string; f: string }): FrameLayer {
  if (!failures) return [[alias.y, A.y], [alias.wt, d.double(1)]];
  const m = `(${A.y} + ${alias.f})`;
  return [[alias.f, failures], [alias.y, d.ifThen(`${m} = 0`, d.double(0), `(${A.y} / ${m})`)], [alias.wt, m]];
}

const G = {
  y: '__mg_gy',
  wt: '__mg_gwt',
  f: '__mg_gf',
  eta: '__mg_ge',
  mu: '__mg_gmu',
  me: '__mg_gme',
  w: '__mg_gw',
  r: '__mg_gr',
  d: '__mg_gd',
  mu0: '__mg_gm0',
  f0: '__mg_gf0',
  of: '__mg_gof',
  bad: '__mg_gbad',
  zt: (k: number, j: number) => `__mg_gt${k}_${j}`,
  // the relation's X and Z columns and η (./residuals.ts)
  x: R.x,
  z: R.z,
  fit: R.fit,
};

/** key tuple → one string (components joined; numbers and strings kept apart) */
export function keyString(parts: (LevelKey | null)[]): string {
  return parts.map((k) => (typeof k === 'number' ? `n${k}` : `s${k}`)).join('\u0000');
}

export class SqlGlmmPasses implements GlmmPassRunner {
  readonly stats = { passes: 0, queries: 0, ms: 0 };
  private readonly frame: SqlFrame;
  private readonly groups: GroupSpec[];
  private readonly byBlock: GroupSpec[];
  /** per block: level key → level code */
  private readonly codes: Map<string, number>[];
  /** per pair (j > k): (code_j, code_k) → entry of A_jk's pattern */
  private readonly entries: Map<number, number>[][];
  private readonly failures: string | null;

  constructor(private readonly engine: SqlEngine, private readonly res: GramSourceResult, private readonly from: string, private readonly response: GlmmEngineResponse, private readonly family: GlmFamily) {
    this.frame = new SqlFrame(engine.dialect, res.spec, res.keyAliases);
    // the failures' columns join layer 0 before any query reads it
    this.failures = response.kind === 'cbind' ? this.frame.numeric(response.failures, response.failuresLabel) : null;
    this.groups = groupSpecs(res.spec, res.summary);
    const byLabel = new Map(this.groups.map((g) => [g.label, g] as const));
    this.byBlock = res.blocks.map((b) => byLabel.get(b.group)!);
    this.codes = res.blocks.map((b) => {
      const keys = res.levelKeys.get(b.group)!;
      const m = new Map<string, number>();
      for (let c = 0; c < b.nl; c++) m.set(keyString(keys.map((col) => col[c])), c);
      return m;
    });
    this.entries = pairEntries(res.gram);
  }

  /** y, the prior weight wt (and for cbind the failures) over the frame's layers */
  private responseLayer(): FrameLayer {
    return responseLayerSql(this.engine.dialect, this.failures, G);
  }

  /** the raw X and Z columns (as ResidualSql names them) over layers 0 and 1, for the summary query */
  private xzLayer(): FrameLayer {
    const { frame, res } = this;
    const S = res.summary;
    const layer: FrameLayer = [];
    S.xcols.forEach((col, j) => layer.push([G.x(j), frame.value(col, S)]));
    res.blocks.forEach((_, k) => this.byBlock[k].zcols.forEach((col, s) => layer.push([G.z(k, s), frame.value(col, S)])));
    return layer;
  }

  private sum(e: string, compensated = true): string {
    const d = this.engine.dialect;
    return compensated ? d.kahanSum(e) : d.plainSum(e);
  }

  /**
   * The response checked (the in-memory frame's errors: a binomial 0/1 response, counts ≥ 0 and whole)
   * and what PIRLS reads of the rows: aic − deviance, X's and Z's largest values, Z's column sums.
   */
  async rowSummary(): Promise<GlmmRowSummary> {
    const { engine, res } = this;
    const d = engine.dialect;
    const S = res.summary;
    const y = G.y, wt = G.wt;
    const select: string[] = [];
    const fam = this.family.family;
    const label = this.response.label;
    const checks: { pred: string; message: (count: number, min: number, max: number) => string }[] = [];
    if (fam === 'binomial' && this.response.kind === 'numeric') {
      checks.push({ pred: d.and([`${y} <> 0`, `${y} <> 1`]), message: (c, lo, hi) => RESPONSE_CHECKS.binary(label, c, lo, hi) });
    } else if (fam === 'binomial') {
      const [s, f] = [A.y, G.f];
      checks.push({ pred: d.or([`${s} < 0`, `${f} < 0`]), message: (c) => RESPONSE_CHECKS.negativeCounts(label, c) });
      checks.push({ pred: d.or([`${s} <> round(${s})`, `${f} <> round(${f})`]), message: (c) => RESPONSE_CHECKS.wholeCounts(label, c) });
    } else {
      checks.push({ pred: `${y} < 0`, message: (c, lo) => RESPONSE_CHECKS.poissonNegative(label, c, lo) });
      checks.push({ pred: `${y} <> round(${y})`, message: (c) => RESPONSE_CHECKS.poissonWhole(label, c) });
    }
    for (const c of checks) select.push(d.countIf(c.pred));
    select.push(d.min(y), d.max(y));
    // aic − Σ wt·d(y, μ) (constant in μ): binomial 0/1 0; cbind −2 Σ [log C(m, s) + s log(s/m) + f log(f/m)];
    // poisson 2 Σ wt [log Γ(y + 1) − y log y + y]
    if (fam === 'binomial' && this.failures) {
      const m = `(${A.y} + ${G.f})`;
      // lgamma of counts ≥ 0 only (DuckDB raises an error at lgamma(0); a negative count is the check's error)
      const lg = (c: string) => `lgamma(greatest(${c}, 0) + 1)`;
      const lchoose = `(${lg(m)} - ${lg(A.y)} - ${lg(G.f)})`;
      select.push(this.sum(d.ifThen(`${m} > 0`, `(-2 * (${lchoose} + ${ylogySql(d, A.y, m)} + ${ylogySql(d, G.f, m)}))`, d.double(0))));
    } else if (fam === 'poisson') {
      select.push(this.sum(`(2 * ${wt} * (lgamma(greatest(${y}, 0) + 1) - ${ylogySql(d, y, d.double(1))} + ${y}))`));
    } else select.push(d.double(0));
    const nx = S.xcols.length;
    /** the positions of the select list that are maxima (the others after min(y), max(y) are sums) */
    const maxima = new Set<number>();
    for (let j = 0; j < nx; j++) { maxima.add(select.length); select.push(d.max(`abs(${G.x(j)})`)); }
    res.blocks.forEach((b, k) => {
      for (let s = 0; s < b.q; s++) {
        maxima.add(select.length);
        select.push(d.max(`abs(${G.z(k, s)})`), this.sum(G.z(k, s)), this.sum(`(${G.z(k, s)} * ${G.z(k, s)})`));
      }
    });
    const q: GramQuery = {
      stage: 'glmer: the response and column summaries', keys: [], values: select.length,
      sql: d.query({ source: this.from, layers: [this.frame.layer0, this.frame.layer1, this.xzLayer(), this.responseLayer()], select, where: A.ok }),
    };
    const t = performance.now();
    const r = await engine.run(q);
    res.queries.push({ stage: q.stage, ms: performance.now() - t, rows: r.rows });
    res.rowsScanned += res.summary.nInput;
    // one row per ClickHouse shard (distributed_group_by_no_merge; one row on DuckDB): counts and sums
    // add up, the response's minimum and the largest |x|, |z| are the shards' min and max
    const lowest = checks.length;
    const merged = r.values.map((col, i) => {
      if (r.rows === 0) return NaN;
      let acc = col[0];
      for (let row = 1; row < r.rows; row++) {
        const x = col[row];
        if (i === lowest) acc = Math.min(acc, x);
        else if (maxima.has(i) || i === lowest + 1) acc = Math.max(acc, x);
        else acc += x;
      }
      return acc;
    });
    const v = (i: number) => merged[i];
    const lo = v(checks.length), hi = v(checks.length + 1);
    checks.forEach((c, i) => { if (v(i) > 0) throw new DataError(`${engine.name}: ${c.message(v(i), lo, hi)}`); });
    let o = checks.length + 2;
    const aicConst = v(o++);
    const colMaxX = Float64Array.from({ length: nx }, () => v(o++));
    const colMaxZ: Float64Array[] = [], zSum: Float64Array[] = [], zSq: Float64Array[] = [];
    res.blocks.forEach((b) => {
      const mx = new Float64Array(b.q), sm = new Float64Array(b.q), sq = new Float64Array(b.q);
      for (let s = 0; s < b.q; s++) { mx[s] = v(o++); sm[s] = v(o++); sq[s] = v(o++); }
      colMaxZ.push(mx); zSum.push(sm); zSq.push(sq);
    });
    return { aicConst, colMaxX, colMaxZ, zSum, zSq };
  }

  /** per row over the relation: y, wt, z̃, η, μ, dμ/dη, then w, r (or z at mustart) and the deviance */
  private rowLayers(state: GlmmPassState | null, transforms: readonly (BlockTransform | null)[], observed: boolean): FrameLayer[] {
    const d = this.engine.dialect;
    const eps = d.double(Number.EPSILON);
    const first: FrameLayer = [...this.responseLayer()];
    this.res.blocks.forEach((b, k) => {
      const M = transforms[k]?.M;
      for (let j = 0; j < b.q; j++) {
        // z̃_j = Σ_s z_s M_sj (M = C S: the diagonal and the intercept's row)
        const terms: string[] = [];
        for (let s = 0; s < b.q; s++) {
          const m = M ? M[s * b.q + j] : s === j ? 1 : 0;
          if (m !== 0) terms.push(m === 1 ? G.z(k, s) : `(${G.z(k, s)} * ${d.double(m)})`);
        }
        first.push([G.zt(k, j), terms.length ? terms.reduce((a, c) => `(${a} + ${c})`) : d.double(0)]);
      }
    });
    const binomial = this.family.family === 'binomial';
    const link = this.family.link;
    const off = this.res.spec.offsets.length ? A.off : d.double(0);
    // η of the state (the relation's fitted value), or R's starting η = g(mustart)
    const layers: FrameLayer[] = [first];
    if (state) layers.push([[G.eta, G.fit]]);
    else {
      layers.push([[G.mu0, binomial ? `((${G.wt} * ${G.y} + 0.5) / (${G.wt} + 1))` : `(${G.y} + 0.1)`]]);
      const g = linkFunSql(d, link, G.mu0, '__mg_gs');
      layers.push(...g.layers, [[G.eta, g.value]]);
    }
    // μ = g⁻¹(η), dμ/dη (./links.ts), V(μ)
    const inv = linkInverseSql(d, link, G.eta, '__mg_gi');
    layers.push(...inv.layers, [[G.mu, inv.mu], [G.me, inv.muEta]]);
    const variance = binomial ? `greatest(${eps}, (${G.mu} * (1 - ${G.mu})))` : G.mu;
    const dev = unitDevianceSql(d, binomial, G.y, G.wt, G.mu);
    // Fisher's weights, or Newton's (the observed information, w f) where PIRLS asks for them
    // (src/glmm/rowPass.ts observedRows): w f and r/f, f floored at OBSERVED_FLOOR (1 where NaN)
    const f0 = observed ? observedFactorSql(d, link, G.y, G.eta, G.mu, G.me) : null;
    if (f0) {
      const floor = d.double(OBSERVED_FLOOR);
      layers.push([[G.f0, f0]]);
      layers.push([[G.of, d.ifThen(d.or([d.isFinite(G.f0), d.isInfinite(G.f0)]), d.ifThen(`${G.f0} >= ${floor}`, G.f0, floor), d.double(1))]]);
    }
    const w = f0 ? `((${G.wt} * ${G.me} * ${G.me} * ${G.of}) / ${variance})` : `((${G.wt} * ${G.me} * ${G.me}) / ${variance})`;
    const r = f0 ? `((${G.y} - ${G.mu}) / (${G.me} * ${G.of}))` : `((${G.y} - ${G.mu}) / ${G.me})`;
    layers.push([
      [G.w, w],
      [G.r, state ? r : `((${G.eta} - ${off}) + ${r})`],
      [G.d, dev],
      // a row whose μ left the family's range (poisson's identity link: μ ≤ 0)
      [G.bad, this.family.muRange ? d.ifThen(d.isFinite(G.mu), d.ifThen(`${G.mu} > 0`, d.double(0), d.double(1)), d.double(1)) : d.double(0)],
    ]);
    return layers;
  }

  async pass(state: GlmmPassState | null, gram: GramMatrix, transforms: readonly (BlockTransform | null)[], observed = false): Promise<number> {
    const { engine, res } = this;
    const d = engine.dialect;
    const t0 = performance.now();
    const p = gram.p, p1 = p + 1;
    const S = res.summary;
    const beta = state?.beta ?? new Float64Array(S.p);
    const b = state?.b ?? res.blocks.map((blk) => new Float64Array(blk.nl * blk.q));
    const rs = new ResidualSql(this.frame, S, this.groups, res, { beta, b, sigma: 1 });
    const layers = this.rowLayers(state, transforms, observed);
    let bad = 0, lowest = Infinity;
    const V = [...Array.from({ length: p }, (_, j) => G.x(j)), G.r];
    const K = res.blocks.length;
    const keysOf = (k: number) => this.byBlock[k].components.map((f) => this.frame.key(f));
    const codeOf = (k: number, keys: (LevelKey | null)[]) => this.codes[k].get(keyString(keys));
    let dev = 0;
    // the groupings of one pass: per grouping factor (A_kk, A_Xk; the first also A_XX and Σ d) and per pair (A_jk)
    const parts: { keys: string[]; select: string[]; stage: string; reset(): void; add(keys: (LevelKey | null)[], v: (i: number) => number): void }[] = [];
    for (let k = 0; k < K; k++) {
      const blk = res.blocks[k];
      const q = blk.q, m = blk.nl * q;
      const comp = blk.nl <= COMPENSATED_UP_TO;
      const wz = (s: number) => `(${G.w} * ${G.zt(k, s)})`;
      const select: string[] = [];
      for (let s = 0; s < q; s++) for (let t = s; t < q; t++) select.push(this.sum(`(${wz(s)} * ${G.zt(k, t)})`, comp));
      for (const v of V) for (let s = 0; s < q; s++) select.push(this.sum(`(${wz(s)} * ${v})`, comp));
      if (k === 0) {
        for (let a = 0; a < V.length; a++) for (let c = a; c < V.length; c++) select.push(this.sum(`(${G.w} * ${V[a]} * ${V[c]})`, comp));
        select.push(this.sum(G.d, comp), d.plainSum(G.bad), d.min(G.mu));
      }
      const Akk = gram.Akk[k], AXk = gram.AXk[k];
      parts.push({
        keys: keysOf(k), select, stage: `per level of ${blk.group}`,
        reset: () => { Akk.fill(0); AXk.fill(0); if (k === 0) gram.AXX.fill(0); },
        // added, not assigned: an engine may return a level more than once (a ClickHouse shard each)
        add: (keys, v) => {
          const c = codeOf(k, keys);
          if (c === undefined) throw new Error(`internal: ${engine.name}: a level of ${blk.group} in a PIRLS pass that the first passes did not see`);
          let o = 0;
          for (let s = 0; s < q; s++) for (let t = s; t < q; t++) { const x = v(o++); Akk[c * q * q + s * q + t] += x; if (t !== s) Akk[c * q * q + t * q + s] += x; }
          for (let r = 0; r < V.length; r++) for (let s = 0; s < q; s++) AXk[r * m + c * q + s] += v(o++);
          if (k === 0) {
            for (let a = 0; a < p1; a++) for (let cc = a; cc < p1; cc++) { const x = v(o++); gram.AXX[a * p1 + cc] += x; if (cc !== a) gram.AXX[cc * p1 + a] += x; }
            dev += v(o++);
            bad += v(o++);
            lowest = Math.min(lowest, v(o++));
          }
        },
      });
    }
    for (let j = 1; j < K; j++) {
      for (let k = 0; k < j; k++) {
        const a = gram.Ajk[j][k];
        const qr = res.blocks[j].q, qc = res.blocks[k].q;
        const select: string[] = [];
        for (let s = 0; s < qr; s++) for (let t = 0; t < qc; t++) select.push(this.sum(`(${G.w} * ${G.zt(j, s)} * ${G.zt(k, t)})`));
        const kj = keysOf(j), kk = keysOf(k);
        const keys = [...new Set([...kj, ...kk])];
        // each factor's components among the part's distinct key aliases (a nested factor shares some)
        const ij = kj.map((n) => keys.indexOf(n)), ik = kk.map((n) => keys.indexOf(n));
        parts.push({
          keys, select, stage: `per pair of levels of ${res.blocks[j].group} and ${res.blocks[k].group}`,
          reset: () => a.values.fill(0),
          add: (kv, v) => {
            const cj = codeOf(j, ij.map((i) => kv[i])), ck = codeOf(k, ik.map((i) => kv[i]));
            const e = cj === undefined || ck === undefined ? undefined : this.entries[j][k].get(ck * res.blocks[j].nl + cj);
            if (e === undefined) throw new Error(`internal: ${engine.name}: a pair of levels of ${res.blocks[j].group} and ${res.blocks[k].group} in a PIRLS pass that the first passes did not see`);
            for (let x = 0; x < qr * qc; x++) a.values[e * qr * qc + x] += v(x);
          },
        });
      }
    }
    for (const part of parts) part.reset();
    const kindOf = new Map<string, GramQuery['keys'][number]>();
    for (let k = 0; k < K; k++) this.byBlock[k].components.forEach((f) => kindOf.set(this.frame.key(f), f.kind));
    await rs.withTables(engine, async () => {
      const rel = rs.relation(this.from);
      const run = async (q: GramQuery) => {
        const out = await inStage(engine.name, q.stage, () => engine.run(q));
        this.stats.queries++;
        return out;
      };
      if (parts.length === 1 || d.name !== 'duckdb') {
        // one query per grouping
        for (const part of parts) {
          const out = await run({
            stage: `glmer: PIRLS pass (${part.stage})`, keys: part.keys.map((k) => kindOf.get(k)!), values: part.select.length,
            sql: d.query({ source: rel, layers, select: [...part.keys, ...part.select], groupBy: part.keys }),
          });
          for (let row = 0; row < out.rows; row++) part.add(out.keys.map((col) => col[row]), (i) => out.values[i][row]);
        }
        return;
      }
      // DuckDB: every grouping in one scan (GROUPING SETS); grouping(keys) tells a row's set (a bit per key
      // not grouped), and each set reads its own aggregates
      const all = [...new Set(parts.flatMap((pt) => pt.keys))];
      const offsets: number[] = [];
      let o = 1;
      for (const part of parts) { offsets.push(o); o += part.select.length; }
      const mask = (keys: string[]) => all.reduce((acc, k, i) => acc | (keys.includes(k) ? 0 : 1 << (all.length - 1 - i)), 0);
      const setOf = new Map(parts.map((pt, i) => [mask(pt.keys), i] as const));
      const out = await run({
        stage: 'glmer: PIRLS pass (grouping sets)', keys: all.map((k) => kindOf.get(k)!), values: o,
        sql: `${d.query({ source: rel, layers, select: [...all, `CAST(grouping(${all.join(', ')}) AS DOUBLE)`, ...parts.flatMap((pt) => pt.select)] })} GROUP BY GROUPING SETS (${parts.map((pt) => `(${pt.keys.join(', ')})`).join(', ')})`,
      });
      for (let row = 0; row < out.rows; row++) {
        const i = setOf.get(out.values[0][row]);
        if (i === undefined) throw new Error(`internal: ${engine.name}: a PIRLS pass returned grouping ${out.values[0][row]}`);
        const part = parts[i];
        part.add(part.keys.map((k) => out.keys[all.indexOf(k)][row]), (x) => out.values[offsets[i] + x][row]);
      }
    });
    if (bad > 0) throw muRangeError(this.family, `${engine.name} (${this.from})`, bad, lowest);
    if (K > 0) gram.yty = gram.AXX[p * p1 + p];
    this.stats.passes++;
    this.stats.ms += performance.now() - t0;
    return dev;
  }
}
