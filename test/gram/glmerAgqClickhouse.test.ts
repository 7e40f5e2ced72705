/**
 * Adaptive quadrature's SQL pass (src/gram/sql/agqPass.ts) on ClickHouse 18.16 over a two-shard
 * Distributed table: the AGQ deviance at lme4's fixed (θ, β) of cbpp (binomial, cbind, nAGQ = 9;
 * test/fixtures/reference-tight), the engine's PIRLS passes (src/gram/sql/glmmPass.ts) and its AGQ
 * pass composed as glmerFromGram composes them, equals lme4's deviance function within 1e-8 and the
 * in-memory AGQ deviance within 1e-9 relative (the DuckDB and stream cases: test/gram/glmerAgq.test.ts);
 * and glmer(nAGQ = 9) through ClickHouse (glmerSql) equals the in-memory fit at the engines' tolerances
 * (test/helpers/engineGlmm.ts) and lme4's tight optimum (−2ℓ within 1e-7, checkEstimates); and the
 * cauchit link's Laplace and AGQ deviances at lme4's fixed (θ, β) (binomial_cauchit, cbpp_cauchit).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import { parseFormula } from '../../src/formula/parse.js';
import { buildGlmm } from '../../src/glmm/model.js';
import { PirlsEngine } from '../../src/glmm/pirls.js';
import { ghRule } from '../../src/glmm/rmath.js';
import { EngineWeightedGram, engineFamily, engineGlmmFormula, gramGlmm } from '../../src/gram/glmm.js';
import { SqlAgqPass } from '../../src/gram/sql/agqPass.js';
import { clickhouseSource } from '../../src/gram/sql/clickhouse.js';
import { SqlGlmmPasses } from '../../src/gram/sql/glmmPass.js';
import { glmerSql } from '../../src/gram/sql/glmer.js';
import { glmer } from '../../src/fit/glmer.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import { expectSameFit } from '../helpers/engineGlmm.js';
import { gramFromSql } from '../../src/gram/sql/sqlSource.js';
import { thetaToInternal } from '../../src/model/reparam.js';
import { clickhouseTestsMissing, loadSharded, useCluster } from '../helpers/clickhouse.js';
import { checkEstimates, loadTight, optionsOf } from '../helpers/glmmParity.js';
import { loadData } from '../helpers/reference.js';

const missing = clickhouseTestsMissing();

describe.skipIf(missing !== null)('the AGQ pass on ClickHouse (two shards)', () => {
  const ch = useCluster();

  it('cbpp, nAGQ = 5 and 9: the deviance at fixed (θ, β) equals the in-memory AGQ deviance and lme4\'s', async () => {
    const t = loadTight('cbpp_binomial_agq');
    const o = optionsOf(t);
    const table = loadData(t);
    const dist = await loadSharded(ch.cluster, 'cbpp_agq', table);
    const family = engineFamily('clickhouse', o.family, o.link);
    const { formula: f, response } = engineGlmmFormula(parseFormula(t.formula), family.family);
    const from = clickhouseSource(dist);
    const res = await gramFromSql(ch.engine, { from, name: dist }, f, { factors: o.factors });
    const passes = new SqlGlmmPasses(ch.engine, res, from, response, family);
    const agq = new SqlAgqPass(ch.engine, res, from, response, family);
    const model = gramGlmm(res, family, await passes.rowSummary(), response.label, { factors: o.factors });
    const engine = new PirlsEngine(model.pirls, {
      grams: { full: new EngineWeightedGram(passes, res.gram, res.summary.p, model.transforms), u: new EngineWeightedGram(passes, res.gram, 0, model.transforms, agq) },
    });
    const mm = buildGlmm(t.formula, table, o);
    const memory = new PirlsEngine(mm.pirls);
    for (const nAGQ of [5, 9]) {
      for (const pt of t.objective_at) {
        await engine.runAsync(thetaToInternal(model, pt.theta), pt.beta);
        const v = await engine.agqValue(ghRule(nAGQ));
        memory.reset();
        memory.run(thetaToInternal(mm, pt.theta), pt.beta);
        const mem = memory.agq(ghRule(nAGQ));
        expect(Math.abs(v - mem) / mem).toBeLessThan(1e-9);
        if (nAGQ === 9) expect(Math.abs(v - pt.value)).toBeLessThan(1e-8);
      }
    }
    expect(agq.stats.passes).toBe(2 * t.objective_at.length);
  }, 300_000);
  it('cbpp, glmer(nAGQ = 9) through ClickHouse equals the in-memory fit and lme4\'s optimum', async () => {
    const t = loadTight('cbpp_binomial_agq');
    const o = optionsOf(t);
    const table = loadData(t);
    const dist = await loadSharded(ch.cluster, 'cbpp_agq_fit', table);
    const ours = await glmerSql(ch.engine, { from: clickhouseSource(dist), name: dist }, t.formula, { ...o, nAGQ: 9 });
    const memory = (await glmer(t.formula, table, { ...o, nAGQ: 9 })) as GlmmFit;
    expect(ours.nAGQ).toBe(9);
    expectSameFit(ours, memory);
    // lme4 converged at nAGQ = 9 (the tight reference), as glmerAgq.test.ts checks DuckDB and the stream
    expect(Math.abs(ours.objective - t.deviance_laplace)).toBeLessThan(1e-7);
    checkEstimates(ours, t);
  }, 600_000);

  // binomial(cauchit) (src/gram/sql/links.ts: pcauchy by atan, ClickHouse's own): at lme4's fixed (θ, β),
  // the Laplace deviance of test/fixtures/links binomial_cauchit (0/1) and the AGQ deviance of
  // test/fixtures/links_agq cbpp_cauchit (cbind), against lme4's deviance function and memory's (1e-9,
  // as test/gram/glmerCauchit.test.ts checks DuckDB and the stream; a fit there takes ~1300 passes)
  it('binomial(cauchit): the Laplace and AGQ deviances at lme4\'s fixed (θ, β) equal lme4\'s and memory\'s', async () => {
    const fixtures = join(import.meta.dirname, '..', 'fixtures');
    type Pt = { theta: number[]; beta: number[]; value: number; nAGQ: number };
    const binary = JSON.parse(readFileSync(join(fixtures, 'links', 'binomial_cauchit.json'), 'utf8'));
    const cbpp = JSON.parse(readFileSync(join(fixtures, 'links_agq', 'cbpp_cauchit.json'), 'utf8'));
    const cases: [string, string, string, string[], Pt[]][] = [
      ['cauchit_01', join(fixtures, 'links', binary.data), binary.formula, ['g'], (binary.objective_at as Pt[]).map((p) => ({ ...p, nAGQ: 1 }))],
      ['cauchit_cbpp', join(fixtures, cbpp.data), cbpp.formula, ['herd', 'period'], (cbpp.fits as { nAGQ: number; objective_at: Pt[] }[]).flatMap((f) => f.objective_at.map((p) => ({ ...p, nAGQ: f.nAGQ })))],
    ];
    let checked = 0;
    for (const [name, file, formula, factors, points] of cases) {
      const table = readCsv(readFileSync(file, 'utf8')).table;
      const dist = await loadSharded(ch.cluster, name, table, 50);
      const family = engineFamily('clickhouse', 'binomial', 'cauchit');
      const { formula: f, response } = engineGlmmFormula(parseFormula(formula), family.family);
      const from = clickhouseSource(dist);
      const res = await gramFromSql(ch.engine, { from, name: dist }, f, { factors });
      const passes = new SqlGlmmPasses(ch.engine, res, from, response, family);
      const agq = new SqlAgqPass(ch.engine, res, from, response, family);
      const model = gramGlmm(res, family, await passes.rowSummary(), response.label, { factors });
      const engine = new PirlsEngine(model.pirls, {
        grams: { full: new EngineWeightedGram(passes, res.gram, res.summary.p, model.transforms), u: new EngineWeightedGram(passes, res.gram, 0, model.transforms, agq) },
      });
      const mm = buildGlmm(formula, table, { family: 'binomial', link: 'cauchit', factors });
      const memory = new PirlsEngine(mm.pirls);
      for (const pt of points) {
        const r = await engine.runAsync(thetaToInternal(model, pt.theta), pt.beta);
        const v = pt.nAGQ === 1 ? r.laplace : await engine.agqValue(ghRule(pt.nAGQ));
        memory.reset();
        const m = memory.run(thetaToInternal(mm, pt.theta), pt.beta);
        const mem = pt.nAGQ === 1 ? m.laplace : memory.agq(ghRule(pt.nAGQ));
        expect(Math.abs(v - mem) / mem, `${name} nAGQ ${pt.nAGQ}`).toBeLessThan(1e-9);
        expect(Math.abs(v - pt.value) / pt.value, `${name} nAGQ ${pt.nAGQ}`).toBeLessThan(1e-9);
        checked++;
      }
    }
    expect(checked).toBeGreaterThanOrEqual(8);
  }, 300_000);
});
