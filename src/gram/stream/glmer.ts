/**
 * glmer from record batches: the model's shapes by the LMM's first passes (./streamSource.ts), the
 * response checked and PIRLS's row summaries in one pass, then the core's fit with PIRLS on one pass
 * over the batches per evaluation (../glmm.ts, ./glmmPass.ts), and for nAGQ > 1 adaptive quadrature's
 * rows term in one more pass per evaluation (../agq.ts, ./agqPass.ts). Browser-safe.
 */
import { parseFormula, usesDot } from '../../formula/parse.js';
import type { Formula } from '../../formula/types.js';
import type { GlmmFit } from '../../glmm/glmmFit.js';
import { type GramGlmerOptions, engineFamily, engineGlmmFormula, glmerFromGram, refuseEngineGlmerOptions } from '../glmm.js';
import type { BatchSource } from './batch.js';
import { StreamAgqPass } from './agqPass.js';
import { StreamGlmmPasses } from './glmmPass.js';
import { type StreamGramOptions, gramAndFrames } from './streamSource.js';
import { cacheBudget } from './batchCache.js';
import { streamUsedRows } from './usedRowsScan.js';
import { keepUsedRows, usedRowsScan } from '../usedRows.js';

export interface StreamGlmerOptions extends Omit<StreamGramOptions, 'weights'>, GramGlmerOptions {}

export async function glmerStream(source: BatchSource, formula: string | Formula, options: StreamGlmerOptions): Promise<GlmmFit> {
  refuseEngineGlmerOptions(options, 'stream');
  const family = engineFamily('stream', options.family, options.link);
  const parsed = typeof formula === 'string' ? parseFormula(formula, usesDot(formula) ? { dataColumns: [...(await source.schema()).keys()] } : {}) : formula;
  const { formula: f, response } = engineGlmmFormula(parsed, family.family);
  const { gram, frames } = await gramAndFrames(source, f, options);
  // the GLMM's batches kept between its passes (cacheBytes), the first pass reading the Gram passes' kept frames
  const passes = new StreamGlmmPasses(source, gram, response.kind === 'cbind' ? response.failures : null, family, options.batchSize, cacheBudget(options.cacheBytes), frames);
  const rows = await passes.rowSummary(response.label);
  // adaptive quadrature's pass (nAGQ > 1; glmerFromGram refuses it for more than one scalar term)
  const agq = (options.nAGQ ?? 1) > 1 && gram.blocks.length === 1 ? new StreamAgqPass(passes, gram, family) : undefined;
  const fit = await glmerFromGram(gram, family, rows, passes, response.label, options, source.name, agq);
  passes.cache.clear();
  // later scans over the rows used (ggeffects's default values of a covariate: ../usedRows.ts)
  keepUsedRows(fit.model.source!, usedRowsScan(streamUsedRows(source, gram.spec, options.batchSize), fit.model.source!, gram.summary.nInput, gram.summary.n));
  return fit;
}
