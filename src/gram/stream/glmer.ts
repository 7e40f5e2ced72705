/**
 * glmer from record batches: the model's shapes by the LMM's first passes (./streamSource.ts), the
 * response checked and PIRLS's row summaries in one pass, then the core's fit with PIRLS on one pass
 * over the batches per evaluation (../glmm.ts, ./glmmPass.ts). Browser-safe.
 */
import { parseFormula, usesDot } from '../../formula/parse.js';
import type { Formula } from '../../formula/types.js';
import type { GlmmFit } from '../../glmm/glmmFit.js';
import { type GramGlmerOptions, engineFamily, engineGlmmFormula, glmerFromGram, refuseEngineGlmerOptions } from '../glmm.js';
import type { BatchSource } from './batch.js';
import { StreamGlmmPasses } from './glmmPass.js';
import { type StreamGramOptions, gramFromStream } from './streamSource.js';

export interface StreamGlmerOptions extends Omit<StreamGramOptions, 'weights'>, GramGlmerOptions {}

export async function glmerStream(source: BatchSource, formula: string | Formula, options: StreamGlmerOptions): Promise<GlmmFit> {
  refuseEngineGlmerOptions(options, 'stream');
  const family = engineFamily('stream', options.family, options.link);
  const parsed = typeof formula === 'string' ? parseFormula(formula, usesDot(formula) ? { dataColumns: [...(await source.schema()).keys()] } : {}) : formula;
  const { formula: f, response } = engineGlmmFormula(parsed, family.family);
  const gram = await gramFromStream(source, f, options);
  const passes = new StreamGlmmPasses(source, gram, response.kind === 'cbind' ? response.failures : null, family, options.batchSize);
  const rows = await passes.rowSummary(response.label);
  return glmerFromGram(gram, family, rows, passes, response.label, options, source.name);
}
