/**
 * An engine's glmer fit against the in-memory glmer fit of the same rows (test/gram/glmer.test.ts,
 * glmerLinks.test.ts, glmerClickhouse.test.ts): the Laplace deviance within 1e-7 relative, θ and β
 * within 1e-5 (relative to max(1, |v|)), standard errors within 1e-4 and the conditional modes within
 * 1e-5 of the largest — both are float64 PIRLS to the same tight tolerances, so they differ by the
 * optimizer's path only. And the deviance at fixed (θ, β) through DuckDB, the stream and memory.
 */
import type { Table } from 'apache-arrow';
import { expect } from 'vitest';
import type { GlmerOptions } from '../../src/fit/glmer.js';
import type { GlmFamily } from '../../src/glmm/family.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import { buildGlmm } from '../../src/glmm/model.js';
import { PirlsEngine } from '../../src/glmm/pirls.js';
import { ghRule } from '../../src/glmm/rmath.js';
import { parseFormula } from '../../src/formula/parse.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import type { AgqPassRunner } from '../../src/gram/agq.js';
import { EngineWeightedGram, type GlmmPassRunner, type GlmmRowSummary, engineFamily, engineGlmmFormula, gramGlmm } from '../../src/gram/glmm.js';
import type { GramSourceResult } from '../../src/gram/source.js';
import { type DuckDbEngine, duckdbSource } from '../../src/gram/sql/duckdb.js';
import { SqlAgqPass } from '../../src/gram/sql/agqPass.js';
import { SqlGlmmPasses } from '../../src/gram/sql/glmmPass.js';
import { gramFromSql } from '../../src/gram/sql/sqlSource.js';
import { StreamAgqPass } from '../../src/gram/stream/agqPass.js';
import { StreamGlmmPasses } from '../../src/gram/stream/glmmPass.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { gramFromStream } from '../../src/gram/stream/streamSource.js';

export const DEV_TOL = 1e-7;
export const EST_TOL = 1e-5;

export const near = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(b));

/** the engine's fit equals the in-memory fit of the same rows (the tolerances above) */
export function expectSameFit(ours: GlmmFit, memory: GlmmFit): void {
  expect(ours.nobs).toBe(memory.nobs);
  expect(ours.ngroups).toEqual(memory.ngroups);
  expect(ours.model.frame.xnames).toEqual(memory.model.frame.xnames);
  expect(Math.abs(ours.objective - memory.objective) / Math.abs(memory.objective)).toBeLessThan(DEV_TOL);
  expect(Math.abs(ours.deviance - memory.deviance) / Math.abs(memory.deviance)).toBeLessThan(1e-6);
  ours.theta.forEach((t, k) => expect(near(t, memory.theta[k])).toBeLessThan(EST_TOL));
  ours.beta.forEach((b, j) => expect(near(b, memory.beta[j])).toBeLessThan(EST_TOL));
  for (const [name, se] of Object.entries(memory.se)) expect(Math.abs(ours.se[name] - se) / se).toBeLessThan(1e-4);
  const mine = ours.ranef;
  memory.ranef.forEach((g, k) => {
    expect(mine[k].levels).toEqual(g.levels);
    for (const [col, values] of Object.entries(g.values)) {
      const scale = Math.max(...values.map(Math.abs));
      mine[k].values[col].forEach((v, i) => expect(Math.abs(v - values[i]) / scale).toBeLessThan(EST_TOL));
    }
  });
}


/** a point (θ, β) and the rule at which to evaluate the deviance: nAGQ 1 is the Laplace deviance */
export interface DeviancePoint { theta: number[]; beta: number[]; nAGQ: number }

/**
 * The engine's PIRLS and AGQ pass as glmerFromGram composes them (src/gram/glmm.ts), without its
 * optimizer: the deviance at fixed (θ, β) — Laplace's at nAGQ 1, the AGQ pass's otherwise.
 */
function engineDeviance(res: GramSourceResult, runner: GlmmPassRunner, rows: GlmmRowSummary, agq: AgqPassRunner, yname: string, family: GlmFamily, factors: string[]) {
  const model = gramGlmm(res, family, rows, yname, { factors });
  const full = new EngineWeightedGram(runner, res.gram, res.summary.p, model.transforms);
  const u = new EngineWeightedGram(runner, res.gram, 0, model.transforms, agq);
  const engine = new PirlsEngine(model.pirls, { grams: { full, u } });
  return async (theta: number[], beta: number[], nAGQ: number) => {
    const r = await engine.runAsync(thetaToInternal(model, theta), beta);
    return nAGQ === 1 ? r.laplace : engine.agqValue(ghRule(nAGQ));
  };
}

/**
 * The deviance at each point by DuckDB, by the stream (batches of 50 rows) and in memory
 * (src/glmm/pirls.ts, src/glmm/agq.ts): `check(k, sql, stream, memory)` compares them. Each engine
 * makes one quadrature pass per point with nAGQ > 1 (checked here).
 */
export async function engineDeviances(
  duck: DuckDbEngine, file: string, table: Table, formula: string, o: GlmerOptions, points: DeviancePoint[],
  check: (k: number, sql: number, stream: number, memory: number) => void,
): Promise<void> {
  const family = engineFamily('duckdb', o.family, o.link);
  const factors = o.factors ?? [];
  const { formula: f, response } = engineGlmmFormula(parseFormula(formula), family.family);
  const sqlRes = await gramFromSql(duck, { from: duckdbSource(file), name: file }, f, { factors: o.factors });
  const sqlPasses = new SqlGlmmPasses(duck, sqlRes, duckdbSource(file), response, family);
  const sqlAgq = new SqlAgqPass(duck, sqlRes, duckdbSource(file), response, family);
  const sqlDev = engineDeviance(sqlRes, sqlPasses, await sqlPasses.rowSummary(), sqlAgq, response.label, family, factors);
  const src = await openBatchSource(file);
  try {
    const stRes = await gramFromStream(src, f, { factors: o.factors, batchSize: 50 });
    const stPasses = new StreamGlmmPasses(src, stRes, response.kind === 'cbind' ? response.failures : null, family, 50);
    const stAgq = new StreamAgqPass(stPasses, stRes, family);
    const stDev = engineDeviance(stRes, stPasses, await stPasses.rowSummary(response.label), stAgq, response.label, family, factors);
    const model = buildGlmm(formula, table, o);
    const memory = new PirlsEngine(model.pirls);
    for (const [k, pt] of points.entries()) {
      memory.reset();
      const r = memory.run(thetaToInternal(model, pt.theta), pt.beta);
      const mem = pt.nAGQ === 1 ? r.laplace : memory.agq(ghRule(pt.nAGQ));
      check(k, await sqlDev(pt.theta, pt.beta, pt.nAGQ), await stDev(pt.theta, pt.beta, pt.nAGQ), mem);
    }
    const quadrature = points.filter((p) => p.nAGQ > 1).length;
    expect(sqlAgq.stats.passes).toBe(quadrature);
    expect(stAgq.stats.passes).toBe(quadrature);
  } finally {
    await src.close();
  }
}
