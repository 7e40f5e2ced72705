/**
 * glmer through an SQL engine: the model's shapes by the LMM's first passes (./sqlSource.ts: levels,
 * X's columns, the pattern of crossed factors), the response checked and PIRLS's row summaries by one
 * query, then the core's fit with PIRLS on the engine's passes (../glmm.ts, ./glmmPass.ts) and, for
 * nAGQ > 1, adaptive quadrature's rows term in one more query per evaluation (../agq.ts, ./agqPass.ts).
 */
import { parseFormula, usesDot } from '../../formula/parse.js';
import type { Formula } from '../../formula/types.js';
import type { GlmmFit } from '../../glmm/glmmFit.js';
import { type GramGlmerOptions, engineFamily, engineGlmmFormula, glmerFromGram, refuseEngineGlmerOptions } from '../glmm.js';
import type { SqlEngine } from './engine.js';
import { SqlAgqPass } from './agqPass.js';
import { SqlGlmmPasses } from './glmmPass.js';
import { type SqlGramOptions, type SqlSourceRef, gramFromSql } from './sqlSource.js';
import { sqlUsedRows } from './usedRowsScan.js';
import { keepUsedRows, usedRowsScan } from '../usedRows.js';

export interface SqlGlmerOptions extends Omit<SqlGramOptions, 'weights'>, GramGlmerOptions {}

export async function glmerSql(engine: SqlEngine, source: SqlSourceRef, formula: string | Formula, options: SqlGlmerOptions): Promise<GlmmFit> {
  refuseEngineGlmerOptions(options, engine.name);
  const family = engineFamily(engine.name, options.family, options.link);
  const parsed = typeof formula === 'string' ? parseFormula(formula, usesDot(formula) ? { dataColumns: [...(await engine.schema(source.from)).keys()] } : {}) : formula;
  const { formula: f, response } = engineGlmmFormula(parsed, family.family);
  const gram = await gramFromSql(engine, source, f, options);
  const passes = new SqlGlmmPasses(engine, gram, source.from, response, family);
  const rows = await passes.rowSummary();
  // adaptive quadrature's pass (nAGQ > 1; glmerFromGram refuses it for more than one scalar term)
  const agq = (options.nAGQ ?? 1) > 1 && gram.blocks.length === 1 ? new SqlAgqPass(engine, gram, source.from, response, family) : undefined;
  const fit = await glmerFromGram(gram, family, rows, passes, response.label, options, source.name, agq);
  // later scans over the rows used (ggeffects's default values of a covariate: ../usedRows.ts)
  keepUsedRows(fit.model.source!, usedRowsScan(sqlUsedRows(engine, gram.spec, source.from, gram.keyAliases), fit.model.source!, gram.summary.nInput, gram.summary.n));
  return fit;
}
