/**
 * Adaptive Gauss–Hermite quadrature's rows term as one SQL query (../agq.ts AgqPassRunner): the
 * modes b loaded as a table and joined to the rows (./residuals.ts ResidualSql, whose fitted value
 * is η = offset + Xβ + z b[g]), the per-level shifts c_g = M t / L_gg as a second table joined by
 * the same keys, then per row, for each node z_k ≠ 0 (src/glmm/family.ts, lme4's clamps at machine ε):
 *
 *   η_k = η + z c_g z_k,   μ_k = g⁻¹(η_k),   d_k = d(y, μ_k)
 *   μ by the link as the PIRLS passes evaluate it (./links.ts linkInverseSql: logit, probit, cloglog,
 *   log, sqrt, identity), and the unit deviance of the family:
 *   binomial  d = 2 wt [y log(y/μ) + (1 − y) log((1 − y)/(1 − μ))]
 *   poisson   d = 2 wt [y log(y/μ) − (y − μ)]
 *
 * and one GROUP BY of the grouping factor summing d_k − d_0 per node (compensated sums, as the
 * PIRLS passes, ./glmmPass.ts): K columns per level, one scan of the rows whatever K. A cbind(s, f)
 * response is y = s/(s + f) with prior weight wt = s + f; 0/1 and count responses wt = 1.
 */
import type { GlmFamily } from '../../glmm/family.js';
import type { AgqPassRunner } from '../agq.js';
import { type GroupSpec, groupSpecs } from '../assemble.js';
import type { GlmmEngineResponse, GlmmPassState } from '../glmm.js';
import type { GramSourceResult } from '../source.js';
import type { FrameLayer } from './dialect.js';
import { type SqlEngine, type TableColumn, inStage } from './engine.js';
import { type GramQuery, SqlFrame } from './generate.js';
import { COMPENSATED_UP_TO, keyString, responseLayerSql, unitDevianceSql } from './glmmPass.js';
import { linkInverseSql } from './links.js';
import { R, ResidualSql } from './residuals.js';

const Q = {
  y: '__mg_qy',
  wt: '__mg_qwt',
  f: '__mg_qf',
  c: '__mg_qc',
  delta: '__mg_qdelta',
  eta: (k: number) => `__mg_qe${k}`,
  mu: (k: number) => `__mg_qmu${k}`,
  d: (k: number) => `__mg_qd${k}`,
  /** the prefix of node k's link layers' aliases */
  link: (k: number) => `__mg_ql${k}_`,
};

export class SqlAgqPass implements AgqPassRunner {
  readonly stats = { passes: 0, queries: 0, ms: 0 };
  private readonly frame: SqlFrame;
  private readonly groups: GroupSpec[];
  private readonly group: GroupSpec;
  /** level key → level code of the single grouping factor */
  private readonly codes = new Map<string, number>();
  private readonly failures: string | null;
  private readonly tag = Math.random().toString(36).slice(2, 10);

  constructor(private readonly engine: SqlEngine, private readonly res: GramSourceResult, private readonly from: string, response: GlmmEngineResponse, private readonly family: GlmFamily) {
    this.frame = new SqlFrame(engine.dialect, res.spec, res.keyAliases);
    // the failures' column joins layer 0 before any query reads it
    this.failures = response.kind === 'cbind' ? this.frame.numeric(response.failures, response.failuresLabel) : null;
    this.groups = groupSpecs(res.spec, res.summary);
    const blk = res.blocks[0];
    this.group = this.groups.find((g) => g.label === blk.group)!;
    const keys = res.levelKeys.get(blk.group)!;
    for (let c = 0; c < blk.nl; c++) this.codes.set(keyString(keys.map((col) => col[c])), c);
  }

  /** the shifts' table: the factor's key columns (as the frame keys it) and c_g */
  private shiftTable(shift: Float64Array): { name: string; columns: TableColumn[]; data: (string[] | Float64Array)[]; keys: string[] } {
    const blk = this.res.blocks[0];
    const keys = this.res.levelKeys.get(blk.group)!;
    const columns: TableColumn[] = this.group.components.map((f) => ({ name: this.frame.key(f), kind: f.kind === 'numeric' ? 'numeric' : 'text' }));
    const data: (string[] | Float64Array)[] = this.group.components.map((f, c) => (f.kind === 'numeric' ? Float64Array.from(keys[c] as number[]) : (keys[c] as string[])));
    columns.push({ name: Q.c, kind: 'numeric' });
    data.push(Float64Array.from(shift));
    return { name: `__mg_agq_${this.tag}`, columns, data, keys: columns.slice(0, -1).map((c) => c.name) };
  }

  async rowSums(state: GlmmPassState, shift: Float64Array, nodes: ArrayLike<number>): Promise<Float64Array> {
    const { engine, res } = this;
    const d = engine.dialect;
    const t0 = performance.now();
    const blk = res.blocks[0];
    const K = nodes.length;
    const out = new Float64Array(blk.nl * K);
    const active = Array.from({ length: K }, (_, k) => k).filter((k) => nodes[k] !== 0);
    const rs = new ResidualSql(this.frame, res.summary, this.groups, res, { beta: state.beta, b: state.b, sigma: 1 });
    const table = this.shiftTable(shift);
    // per row: y, wt (the response), δ = z c_g; η_k = η + δ z_k; μ_k; d_k (k = 0: η itself, node index K)
    const first: FrameLayer = [...responseLayerSql(d, this.failures, Q), [Q.delta, `(${R.z(0, 0)} * ${Q.c})`]];
    const etas: FrameLayer = [[Q.eta(K), R.fit], ...active.map((k): [string, string] => [Q.eta(k), `(${R.fit} + (${Q.delta} * ${d.double(nodes[k])}))`])];
    // μ_k = g⁻¹(η_k) with lme4's clamps, by the PIRLS passes' link expressions (./links.ts): their layers
    // merged by depth across the nodes, then μ_k
    const nodesK = [K, ...active];
    const inverses = nodesK.map((k) => linkInverseSql(d, this.family.link, Q.eta(k), `${Q.link(k)}`));
    const depth = Math.max(0, ...inverses.map((inv) => inv.layers.length));
    const linkLayers: FrameLayer[] = Array.from({ length: depth }, (_, j) => inverses.flatMap((inv) => inv.layers[j] ?? []));
    const mus: FrameLayer = nodesK.map((k, j) => [Q.mu(k), inverses[j].mu]);
    const binomial = this.family.family === 'binomial';
    const devs: FrameLayer = nodesK.map((k) => [Q.d(k), unitDevianceSql(d, binomial, Q.y, Q.wt, Q.mu(k))]);
    const comp = blk.nl <= COMPENSATED_UP_TO;
    const select = active.map((k) => (comp ? d.kahanSum(`(${Q.d(k)} - ${Q.d(K)})`) : d.plainSum(`(${Q.d(k)} - ${Q.d(K)})`)));
    const keys = this.group.components.map((f) => this.frame.key(f));
    await rs.withTables(engine, async () => {
      await engine.createTable(table.name, table.columns, table.data, 'loading the quadrature\'s scales');
      try {
        const rel = rs.relation(this.from);
        const joined = d.name === 'duckdb'
          ? `(SELECT * FROM ${rel} AS __mg_aq LEFT JOIN ${d.ident(table.name)} AS __mg_aj USING (${table.keys.join(', ')}))`
          : `(SELECT * FROM ${rel} ANY LEFT JOIN ${d.ident(table.name)} USING ${table.keys.join(', ')})`;
        const q: GramQuery = {
          stage: `glmer: adaptive quadrature pass (per level of ${blk.group}, ${active.length} nodes)`,
          keys: this.group.components.map((f) => f.kind), values: select.length,
          sql: d.query({ source: joined, layers: [first, etas, ...linkLayers, mus, devs], select: [...keys, ...select], groupBy: keys }),
        };
        const r = await inStage(engine.name, q.stage, () => engine.run(q));
        this.stats.queries++;
        for (let row = 0; row < r.rows; row++) {
          const c = this.codes.get(keyString(r.keys.map((col) => col[row])));
          if (c === undefined) throw new Error(`internal: ${engine.name}: a level of ${blk.group} in the quadrature's pass that the first passes did not see`);
          // added, not assigned: a level may come back once per ClickHouse shard (as the PIRLS passes add them)
          active.forEach((k, j) => { out[c * K + k] += r.values[j][row]; });
        }
      } finally {
        await engine.dropTable(table.name).catch(() => {});
      }
    });
    this.stats.passes++;
    this.stats.ms += performance.now() - t0;
    return out;
  }
}
