/**
 * Parity with lme4 1.1-31 on standard data sets beyond the reference cases: the data of lme4, nlme
 * and MASS that users of lme4 and nlme fit first (test/oracle/datasets.R writes the CSVs and runs the
 * reference cases' two R scripts on them): cake (p = 18, a nested grouping term), ergoStool, Rail,
 * MathAchieve (7,185 students in 160 schools, random slopes), Assay (crossed-in-nested), Milk (ML,
 * slopes), Wafer (slopes at two nested levels), BodyWeight; glmer: Arabidopsis (Poisson, crossed),
 * bacteria (binomial, a comparison in the formula), epil (Poisson, Laplace and AGQ with 9 nodes).
 *
 * The lmer cases were fitted by lme4 to tight optimizer tolerances (test/oracle/lme4_reference.R's
 * `tight`), the glmer cases to the exact Laplace / AGQ optimum (test/oracle/glmer_tight.R); the
 * tolerances are those of test/lmer.test.ts and test/glmm.test.ts: two levels each, the objective at
 * lme4's parameters (no optimizer) and the fitted optimum.
 */
import { describe, it } from 'vitest';
import { DATASETS_FOLDER as FOLDER, DATASET_GLMER_CASES as GLMER_CASES, DATASET_LMER_CASES as LMER_CASES } from './helpers/reference.js';
import { checkGlmerCase, checkLmerCase } from './helpers/referenceSuite.js';

describe('lmer on more data sets: the model at lme4\'s θ and the fitted optimum match lme4', () => {
  for (const name of LMER_CASES) it(name, async () => { await checkLmerCase(name, FOLDER); });
});

describe('glmer on more data sets: the deviance at lme4\'s parameters and the fitted optimum match lme4', () => {
  for (const name of GLMER_CASES) it(name, async () => { await checkGlmerCase(name, FOLDER); });
});
