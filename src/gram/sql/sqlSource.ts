/**
 * The Gram matrix of a linear mixed model from an SQL engine: the schema, the first pass (moments
 * per cell → levels, X's columns, the fixed-effects transform), the second pass (per-level and
 * per-pair sums), and the assembly (../assemble.ts). See ./generate.ts for the SQL.
 */
import { infiniteValueError } from '../../frame/checks.js';
import { parseFormula, usesDot } from '../../formula/parse.js';
import type { Formula } from '../../formula/types.js';
import { type GroupSums, type SecondPass, assembleGram, groupSpecs, mergeDuplicateKeys, pairKey } from '../assemble.js';
import { type FactorVar, type FrameSpecOptions, checkLevelTests, describeFrame, resolveCuts } from '../frameSpec.js';
import { type LevelKey, numericLevelKey } from '../levels.js';
import { type CellTable, type MomentPlan, mergeCells, momentPlan, summarizeFrame } from '../moments.js';
import type { GramSourceResult } from '../source.js';
import { EngineError, type QueryTiming, type SqlEngine, inStage } from './engine.js';
import { CentredFrame, type GramQuery, SqlFrame, droppedKeysQuery, momentsQuery, scaleQuery, thirdValueCounts } from './generate.js';
import { gridCells, twoValueCandidates } from '../gridCells.js';
import { scaleCentre, scaleParams } from '../../frame/columns.js';
import { basisCoefficients } from '../basisPass.js';
import { sqlBasisScan } from './basisScan.js';
import { summaryValues } from '../summaryPass.js';
import { sqlSummaryScan } from './summaryScan.js';

export interface SqlGramOptions extends FrameSpecOptions {
  /** the most levels a grouping factor may have (default 50 million) */
  maxLevels?: number;
  /** the most pairs of levels of two grouping factors (default 200 million) */
  maxPairs?: number;
  /** the most combinations of the fixed-effect factors' levels (default 100 000) */
  maxCells?: number;
  /**
   * compensated (Kahan) sums in the second pass for grouping factors of at most this many levels
   * (estimated in the first pass); plain sums beyond (default 131 072)
   */
  compensatedUpTo?: number;
}

/** The table or file an engine reads: its FROM item and how to name it in messages. */
export interface SqlSourceRef {
  /** a FROM item in the engine's SQL: a table, `read_parquet('x/*.parquet')` */
  from: string;
  /** the file, glob or table as the user gave it */
  name: string;
}

/** A pass-1 result as a cell table (see ../moments.ts). */
export function cellTable(plan: MomentPlan, res: GroupSums, weights: boolean): CellTable {
  const nf = plan.cellFactors.length;
  const M = plan.nvars;
  const n = res.values[0];
  const ok = Uint8Array.from(res.keys[0], (k) => (k === 1 ? 1 : 0));
  const sums = res.values.slice(1, 1 + M);
  // covar_pop · n: the centred co-moment Σ (u_a − ū_a)(u_b − ū_b)
  const comoments = res.values.slice(1 + M, 1 + M + plan.pairs.length).map((cov) => Float64Array.from(cov, (c, i) => c * n[i]));
  const t: CellTable = { ok, keys: res.keys.slice(1, 1 + nf), n, sums, comoments };
  if (weights) {
    const o = 1 + M + plan.pairs.length;
    t.logW = res.values[o];
    t.badW = res.values[o + 1];
    t.minW = res.values[o + 2];
  }
  const oc = 1 + M + plan.pairs.length + (weights ? 3 : 0);
  t.covariates = plan.covariates.map((_, k) => ({ sum: res.values[oc + 3 * k], min: res.values[oc + 3 * k + 1], max: res.values[oc + 3 * k + 2] }));
  // an engine may return a cell more than once (a ClickHouse shard each)
  return mergeCells(plan, t);
}

export async function gramFromSql(engine: SqlEngine, source: SqlSourceRef, formula: string | Formula, options: SqlGramOptions = {}): Promise<GramSourceResult> {
  // `.`: the table's columns (R's terms(formula, data =))
  const f = typeof formula === 'string' ? parseFormula(formula, usesDot(formula) ? { dataColumns: [...(await engine.schema(source.from)).keys()] } : {}) : formula;
  if (f.random.length === 0) throw new Error(`no random-effects terms in '${f.text}': a mixed model needs at least one term such as (1 | group)`);
  const maxLevels = options.maxLevels ?? 50_000_000;
  const maxPairs = options.maxPairs ?? 200_000_000;
  const maxCells = options.maxCells ?? 100_000;
  const queries: QueryTiming[] = [];
  let scans = 0;
  // each query scans the source once; rows with equal keys (one per ClickHouse shard) are summed
  // here, except the first pass's, whose co-moments merge by Chan's formula (cellTable)
  // numeric factor keys as their levels' keys (doubles with one label are one level), the raw
  // values that differ kept as aliases for the key expressions of later queries
  const aliases = new Map<string, Map<number, number>>();
  const canonical = (res: GroupSums, columns: (FactorVar | null)[]): GroupSums => {
    let keys = res.keys;
    columns.forEach((f, c) => {
      if (!f || f.kind !== 'numeric') return;
      let changed: (LevelKey | null)[] | null = null;
      res.keys[c].forEach((k, i) => {
        if (typeof k !== 'number') return;
        const to = numericLevelKey(k);
        if (Object.is(to, k)) return;
        if (!aliases.has(f.column)) aliases.set(f.column, new Map());
        aliases.get(f.column)!.set(k, to);
        changed ??= res.keys[c].slice();
        changed[i] = to;
      });
      if (changed) keys = keys.map((col, j) => (j === c ? changed! : col));
    });
    return keys === res.keys ? res : { ...res, keys };
  };
  const run = async (q: GramQuery, merge = true, columns: (FactorVar | null)[] = []): Promise<GroupSums> => {
    const t = performance.now();
    const raw = canonical(await engine.run(q), columns);
    const res = merge ? mergeDuplicateKeys(raw) : raw;
    queries.push({ stage: q.stage, ms: performance.now() - t, rows: res.rows });
    scans++;
    return res;
  };
  const t0 = performance.now();
  const schema = await engine.schema(source.from);
  queries.push({ stage: 'reading the schema', ms: performance.now() - t0, rows: schema.size });
  const spec = await inStage(engine.name, `the model frame of ${source.name}`, () => describeFrame(f, schema, options));
  if (spec.summaries.length > 0) {
    // mean(x), sd(x), …: their values over every row (../summaryPass.ts), before any query reads them
    await inStage(engine.name, 'whole-column summaries', () => summaryValues(spec.summaries, sqlSummaryScan(engine.dialect, spec, source.from, run), spec.scales));
  }
  // cut(): its breaks (a number of intervals from the range just found) and labels
  resolveCuts(spec);
  if (spec.scaled.length > 0) {
    // scale(): each centre (the mean), then Σ (e − centre)², over the whole column, before na.omit (as R)
    const first = await run(scaleQuery(engine.dialect, spec, source.from));
    const m = spec.scaled.map((_, k) => first.values[2 * k][0]);
    // the centre: the mean, 0 (center = FALSE) or the number given (R's scale(x, center =))
    const centres = spec.scaled.map((s, k) => scaleCentre(s.scaleArgs, m[k], first.values[2 * k + 1][0]));
    const second = await run(scaleQuery(engine.dialect, spec, source.from, centres));
    spec.scaled.forEach((s, k) => spec.scales.set(s.key, scaleParams(m[k], centres[k], second.values[k][0], s.label, s.scaleArgs)));
  }
  if (spec.bases.length > 0) {
    // poly/ns/bs: their coefficients and knots over every row (../basisPass.ts), before any query evaluates them
    await inStage(engine.name, 'poly/ns/bs: their coefficients', () => basisCoefficients(spec.bases, sqlBasisScan(engine.dialect, spec, source.from, run), spec.scales));
  }
  const plan = momentPlan(spec);
  let frame = await inStage(engine.name, `the model frame of ${source.name}`, () => new SqlFrame(engine.dialect, spec));

  // pass 1: moments per cell
  const r1 = await run(momentsQuery(frame, plan, source.from, maxCells), false, [null, ...plan.cellFactors.map((f) => spec.factors.get(f)!)]);
  // the fixed-effect factors' tests in pass 2 (value()) need their keys mapped in SQL
  if (aliases.size > 0) frame = new SqlFrame(engine.dialect, spec, aliases);
  // ±∞ in a complete row: the in-memory frame's error (NA/NaN/Inf), with the count of such rows
  const infAt = r1.values.length - spec.groups.size - frame.finiteChecks.length;
  for (const [c, check] of frame.finiteChecks.entries()) {
    let count = 0;
    for (const v of r1.values[infAt + c]) count += v;
    if (count > 0) throw infiniteValueError(check.label, check.what, count);
  }
  // each factor's level compared with (`sex == "F"`): among the column's values, over every row (as in memory)
  const testAt = infAt - spec.levelTests.length;
  await inStage(engine.name, 'pass 1 (moments)', () => checkLevelTests(spec, spec.levelTests.map((_, k) => r1.values[testAt + k].some((v) => v > 0))));
  const cells = cellTable(plan, r1, spec.weights !== null);
  // the estimated levels of each grouping factor: the last columns, summed over the complete cells
  const levelEstimate = new Map<string, number>();
  [...spec.groups.keys()].forEach((label, k) => {
    const col = r1.values[r1.values.length - spec.groups.size + k];
    let est = 0;
    for (let c = 0; c < r1.rows; c++) if (r1.keys[0][c] === 1) est += col[c];
    levelEstimate.set(label, est);
  });
  const upTo = options.compensatedUpTo ?? 131_072;
  const compensated = (label: string) => levelEstimate.get(label)! <= upTo;
  if (cells.n.length > maxCells) {
    throw new EngineError(engine.name, 'pass 1 (moments)', `the fixed-effect factors (${plan.cellFactors.join(', ')}) have more than ${maxCells} combinations of levels (the limit, maxCells)`);
  }
  let nInput = 0;
  for (let c = 0; c < cells.n.length; c++) nInput += cells.n[c];
  const summary = await inStage(engine.name, 'pass 1 (moments)', () => summarizeFrame(plan, cells, nInput));
  // emmeans's reference grid: a covariate whose cells' extremes take two values needs a count over
  // the rows to know it takes no third value (../gridCells.ts): the first per-level query carries it
  const candidates = twoValueCandidates(plan, cells);
  const thirdValues = new Map<string, number>();

  // pass 2: per-level and per-pair sums of the centred columns
  const groups = groupSpecs(spec, summary);
  const cf = new CentredFrame(frame, summary, groups);
  const levels = new Map<string, GroupSums>();
  for (const [gi, g] of groups.entries()) {
    const extra = gi === 0 ? thirdValueCounts(frame, candidates) : [];
    const res = await run(cf.levelQuery(g, source.from, gi === 0, maxLevels, compensated(g.label), extra), true, g.components);
    // the rows with a third value per candidate, summed over the levels, and their columns removed
    const counts = res.values.splice(res.values.length - extra.length, extra.length);
    if (gi === 0) candidates.forEach((c, k) => { let s = 0; for (const v of counts[k]) s += v; thirdValues.set(c.name, s); });
    if (res.rows > maxLevels) {
      throw new EngineError(engine.name, `pass 2 (per level of ${g.label})`, `the grouping factor '${g.label}' has more than ${maxLevels} levels (the limit, maxLevels)`);
    }
    levels.set(g.label, res);
  }
  const pairs = new Map<string, GroupSums>();
  for (let a = 0; a < groups.length; a++) {
    for (let b = a + 1; b < groups.length; b++) {
      const res = await run(cf.pairQuery(groups[a], groups[b], source.from, maxPairs, compensated(groups[a].label) && compensated(groups[b].label)), true, [...groups[a].components, ...groups[b].components]);
      if (res.rows > maxPairs) {
        throw new EngineError(engine.name, `pass 2 (pairs of ${groups[a].label} and ${groups[b].label})`, `more than ${maxPairs} pairs of levels (the limit, maxPairs)`);
      }
      pairs.set(pairKey(groups[a].label, groups[b].label), res);
    }
  }
  // R sorts a text factor's levels numerically only if every value in the input looks like a number
  const dropped = new Map<string, LevelKey[]>();
  if (summary.nDropped > 0) {
    const seen = new Set<string>();
    for (const g of groups) {
      for (const comp of g.components) {
        if (comp.kind !== 'text' || seen.has(comp.column)) continue;
        seen.add(comp.column);
        const res = await run(droppedKeysQuery(frame, comp, source.from));
        dropped.set(comp.column, res.keys[0].filter((k): k is LevelKey => k !== null));
      }
    }
  }
  const pass: SecondPass = { levels, pairs, xxGroup: groups[0].label, dropped };
  const grid = gridCells(plan, cells, summary, thirdValues);
  const assembled = await inStage(engine.name, 'assembling A', () => assembleGram(spec, summary, groups, pass));
  return { engine: engine.name, spec, summary, ...assembled, grid, rowsScanned: scans * nInput, queries, ...(aliases.size > 0 ? { keyAliases: aliases } : {}) };
}
