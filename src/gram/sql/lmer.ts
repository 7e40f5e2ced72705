/**
 * lmer through an SQL engine: the Gram matrix by queries (./sqlSource.ts), the fit by the core
 * (../fit.ts), then the summary's scaled-residual quantiles by queries (./residuals.ts). The result
 * keeps what writing the residuals back needs.
 */
import type { Formula } from '../../formula/types.js';
import type { LmmFit } from '../../lmm/lmmFit.js';
import { type GramLmerOptions, addResidualQuantiles, fitValues, lmerFromGram, refuseRelmatOption } from '../fit.js';
import type { GramSourceResult } from '../source.js';
import type { SqlEngine } from './engine.js';
import { type ResidualSql, residualQuantiles, residualSql } from './residuals.js';
import { type SqlGramOptions, type SqlSourceRef, gramFromSql } from './sqlSource.js';
import { sqlUsedRows } from './usedRowsScan.js';
import { keepUsedRows, usedRowsScan } from '../usedRows.js';

export interface SqlLmerOptions extends SqlGramOptions, GramLmerOptions {
  /** compute the summary's scaled-residual quantiles (three more scans; default true) */
  residualQuantiles?: boolean;
}

export interface SqlFit {
  fit: LmmFit;
  gram: GramSourceResult;
  /** the queries of fitted values and residuals (writeResiduals) */
  residuals: ResidualSql;
}

export async function lmerSql(engine: SqlEngine, source: SqlSourceRef, formula: string | Formula, options: SqlLmerOptions = {}): Promise<SqlFit> {
  refuseRelmatOption(options, 'lmerSql');
  const gram = await gramFromSql(engine, source, formula, options);
  const fit = await lmerFromGram(gram, options, source.name);
  const residuals = residualSql(engine, gram, fitValues(fit));
  // later scans over the rows used (ggeffects's default values of a covariate: ../usedRows.ts)
  keepUsedRows(fit.model.source!, usedRowsScan(sqlUsedRows(engine, gram.spec, source.from, gram.keyAliases), fit.model.source!, gram.summary.nInput, gram.summary.n));
  if (options.residualQuantiles ?? true) {
    await addResidualQuantiles(fit, gram.summary.nInput, 'scans', () => residualQuantiles(engine, residuals, source.from));
  }
  return { fit, gram, residuals };
}
