/**
 * The lmer and glmer fits an oracle describes by name (test/oracle/parameters.R, tab_model.R, glht.R: formula, data
 * file under test/fixtures, factors, family, prior weights, REML, contrasts), fitted once for a test file.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from '../../src/io/csv.js';
import { lmer } from '../../src/fit/lmer.js';
import { glmer } from '../../src/fit/glmer.js';
import type { LmmFit } from '../../src/lmm/lmmFit.js';
import type { GlmmFit } from '../../src/glmm/glmmFit.js';
import type { Contrasts } from '../../src/frame/contrasts.js';

export interface FixtureModel { formula: string; data: string; factors: string[] | string; family?: string | null; weights?: string; reml?: boolean; contrasts?: Record<string, string> }

/** each model fitted (glmer with its family, else lmer with its weights and REML), keyed by name */
export async function fitFixtureModels(models: Record<string, FixtureModel>, dir: string): Promise<Map<string, LmmFit | GlmmFit>> {
  const fits = new Map<string, LmmFit | GlmmFit>();
  for (const [name, m] of Object.entries(models)) {
    const data = readCsv(readFileSync(join(dir, m.data))).table;
    const factors = [m.factors].flat();
    fits.set(name, m.family
      ? await glmer(m.formula, data, { family: m.family as 'binomial' | 'poisson', factors })
      : await lmer(m.formula, data, { factors, ...(m.weights ? { weights: m.weights } : {}), ...(m.reml === false ? { REML: false } : {}), ...(m.contrasts ? { contrasts: m.contrasts as Contrasts } : {}) }));
  }
  return fits;
}
