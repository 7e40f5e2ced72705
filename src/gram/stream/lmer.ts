/**
 * lmer from record batches: the Gram matrix in two passes (./streamSource.ts), the fit by the core
 * (../fit.ts), then the summary's scaled-residual quantiles in three more (./residuals.ts).
 * Browser-safe.
 */
import type { Formula } from '../../formula/types.js';
import type { LmmFit } from '../../lmm/lmmFit.js';
import { type GramLmerOptions, addResidualQuantiles, fitValues, lmerFromGram, refuseRelmatOption } from '../fit.js';
import type { GramSourceResult } from '../source.js';
import type { BatchSource } from './batch.js';
import { StreamResiduals, streamResidualQuantiles } from './residuals.js';
import { streamUsedRows } from './usedRowsScan.js';
import { keepUsedRows, usedRowsScan } from '../usedRows.js';
import { type StreamGramOptions, gramAndFrames } from './streamSource.js';

export interface StreamLmerOptions extends StreamGramOptions, GramLmerOptions {
  /** compute the summary's scaled-residual quantiles (three more passes; default true) */
  residualQuantiles?: boolean;
}

export interface StreamFit {
  fit: LmmFit;
  gram: GramSourceResult;
  residuals: StreamResiduals;
}

export async function lmerStream(source: BatchSource, formula: string | Formula, options: StreamLmerOptions = {}): Promise<StreamFit> {
  refuseRelmatOption(options, 'lmerStream');
  // the evaluated batches kept by the Gram passes (cacheBytes) serve the residuals' passes too
  const { gram, frames } = await gramAndFrames(source, formula, options);
  const fit = await lmerFromGram(gram, options, source.name);
  const residuals = new StreamResiduals(gram, fitValues(fit));
  // later scans over the rows used (ggeffects's default values of a covariate: ../usedRows.ts)
  keepUsedRows(fit.model.source!, usedRowsScan(streamUsedRows(source, gram.spec, options.batchSize), fit.model.source!, gram.summary.nInput, gram.summary.n));
  if (options.residualQuantiles ?? true) {
    await addResidualQuantiles(fit, gram.summary.nInput, 'passes', () => streamResidualQuantiles(source, residuals, options.batchSize, undefined, frames));
  }
  frames.clear();
  return { fit, gram, residuals };
}
