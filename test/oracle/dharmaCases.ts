/**
 * The cases of DHARMa's residual diagnostics (test/dharma.test.ts): a model of a data set in
 * test/fixtures/data, the simulations' settings, and the grouping of recalculateResiduals.
 * test/oracle/exportDharmaSimulations.ts writes our simulations of each to test/fixtures/dharma/, which
 * test/oracle/dharma.R gives to DHARMa 0.5.0's own code. A case with `zeroInflated` is a glmmTMB-style
 * zero-inflated or hurdle fit (src/zeroinfl: `zeroInflated(formula, data, { family, ziformula })`).
 */
import type * as arrow from 'apache-arrow';
import { glmer } from '../../src/fit/glmer.js';
import { lmer } from '../../src/fit/lmer.js';
import { zeroInflated } from '../../src/zeroinfl/zeroInflated.js';
import type { ZiFamily } from '../../src/zeroinfl/model.js';
export interface DharmaCase {
  name: string;
  data: string;
  formula: string;
  family?: 'binomial' | 'poisson';
  factors: string[];
  nsim: number;
  seed: number;
  /** a column to aggregate the residuals by (recalculateResiduals), or none */
  group?: string;
  simulateREs?: 'conditional' | 'unconditional';
  /** a zero-inflated or hurdle fit (glmmTMB's family and ziformula) instead of lmer/glmer */
  zeroInflated?: { family: ZiFamily; ziformula: string };
}

/** the case's fit */
export async function fitDharmaCase(c: DharmaCase, data: arrow.Table) {
  if (c.zeroInflated) return zeroInflated(c.formula, data, { ...c.zeroInflated, factors: c.factors });
  return c.family ? glmer(c.formula, data, { family: c.family, factors: c.factors }) : lmer(c.formula, data, { factors: c.factors });
}

export const DHARMA_CASES: DharmaCase[] = [
  { name: 'cbpp', data: 'cbpp.csv', formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', family: 'binomial', factors: ['period', 'herd'], nsim: 250, seed: 123, group: 'herd' },
  { name: 'overdispersed', data: 'dharma_overdispersed.csv', formula: 'y ~ x + (1 | g)', family: 'poisson', factors: ['g'], nsim: 250, seed: 123, group: 'g' },
  { name: 'zip', data: 'dharma_zip.csv', formula: 'y ~ x + (1 | g)', family: 'poisson', factors: ['g'], nsim: 250, seed: 7 },
  { name: 'sleepstudy', data: 'sleepstudy.csv', formula: 'Reaction ~ Days + (Days | Subject)', factors: ['Subject'], nsim: 100, seed: 123, group: 'Subject' },
  { name: 'dyestuff_unconditional', data: 'dyestuff.csv', formula: 'Yield ~ 1 + (1 | Batch)', factors: ['Batch'], nsim: 250, seed: 11, simulateREs: 'unconditional' },
  { name: 'zip_zeroinfl', data: 'dharma_zip.csv', formula: 'y ~ x + (1 | g)', zeroInflated: { family: 'poisson', ziformula: '~ 1' }, factors: ['g'], nsim: 250, seed: 7, group: 'g' },
  { name: 'salamanders_hurdle_nb', data: 'salamanders.csv', formula: 'count ~ mined + (1 | site)', zeroInflated: { family: 'truncated_nbinom2', ziformula: '~ mined' }, factors: [], nsim: 250, seed: 123, group: 'site' },
];
