/**
 * The shared pieces of the mitml tests (test/mitml.test.ts, test/mitmlD4.test.ts): the imputations of
 * test/fixtures/mitml/imputed_long.csv, the models of test/oracle/mitml.R, the comparisons with R's
 * numbers (1e-6 relative; p-values also 1e-12 absolute) and R's printouts after their Call lines.
 */
import { expect } from 'vitest';
import { readCsvFile } from '../../src/io/node.js';
import type { MiTest } from '../../src/inference/miTests.js';
import { type ImputedFits, lmerImputed } from '../../src/fit/imputed.js';

export const MITML_DIR = new URL('../fixtures/mitml/', import.meta.url);
export const mitmlTable = () => readCsvFile(new URL('imputed_long.csv', MITML_DIR).pathname).table;

export const REL = 1e-6;
export function close(a: number, b: number, rel = REL, abs = 0, what = ''): void {
  expect(Math.abs(a - b), `${what}: ${a} against R's ${b}`).toBeLessThanOrEqual(rel * Math.abs(b) + abs);
}
/** a test row (F, df1, df2, P(>F), RIV) against R's */
export function checkTest(t: MiTest, r: Record<string, number>, what = ''): void {
  close(t.F, r['F.value'], REL, 0, `${what} F`); expect(t.df1).toBe(r.df1); close(t.df2, r.df2, REL, 0, `${what} df2`);
  close(t.p, r['P(>F)'], 10 * REL, 1e-12, `${what} p`); close(t.riv, r.RIV, REL, 0, `${what} RIV`);
}
/** R's printout after its Call lines */
export const afterCall = (lines: string[]) => lines.slice(lines.findIndex((l) => l.startsWith('Final') || l.startsWith('Model comparison') || l.startsWith('Hypothesis test calculated'))).join('\n') + '\n';

/** lme4's fits in the oracle ran bobyqa to rhoend 1e-10 (glmer: 1e-9 with tolPwrss 1e-13), so that the weakly determined variance components are exact to ~1e-7; ours too */
export const TIGHT = { optimizer: { rhoend: 1e-10 } };
export const LMER = 'ReadAchiev ~ ReadDis + SES + Sex + (1 + Sex | ID)';
export const LMER0 = 'ReadAchiev ~ ReadDis + (1 + Sex | ID)';
export const GLMER = 'I(ReadAchiev > 500) ~ ReadDis + Sex + (1 | ID)';
export const GLMER0 = 'I(ReadAchiev > 500) ~ ReadDis + (1 | ID)';

/** the lmer model and its null model fitted to the 5 imputations by REML and by ML (tight) */
export async function fitLmerSets(table: ReturnType<typeof mitmlTable>): Promise<{ fits: ImputedFits; fits0: ImputedFits; ml: ImputedFits; ml0: ImputedFits }> {
  return {
    fits: await lmerImputed(LMER, table, TIGHT),
    fits0: await lmerImputed(LMER0, table, TIGHT),
    ml: await lmerImputed(LMER, table, { REML: false, ...TIGHT }),
    ml0: await lmerImputed(LMER0, table, { REML: false, ...TIGHT }),
  };
}
