/**
 * DHARMa's testUniformity: R's one-sample Kolmogorov–Smirnov test of the scaled residuals against
 * U(0, 1), ks.test(res, "punif", alternative) — exact where n < 100 and no residuals tie, else the
 * asymptotic distribution (src/stats/ksTest.ts).
 */
import { type KsAlternative, ksTestUniform } from '../stats/ksTest.js';
import type { HTest } from './htest.js';

export interface UniformityTest extends HTest {
  exact: boolean;
  /** ks.test warns that ties should not be present (DHARMa suppresses the warning) */
  ties: boolean;
}

/** testUniformity(simulationOutput, alternative) (header) */
export function uniformityTest(scaledResiduals: ArrayLike<number>, alternative: KsAlternative = 'two.sided', dataName = 'simulationOutput$scaledResiduals'): UniformityTest {
  const ks = ksTestUniform(scaledResiduals, alternative);
  return {
    method: ks.method, dataName, statistic: { name: ks.statisticName, value: ks.statistic }, pValue: ks.pValue,
    alternative, alternativeText: ks.alternativeText, exact: ks.exact, ties: ks.ties,
  };
}
