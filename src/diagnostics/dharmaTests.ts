/**
 * DHARMa's tests and printouts on a DHARMa result (dharma.ts): testUniformity, testDispersion,
 * testZeroInflation, testOutliers and testResiduals (the first, second and fourth together), each with
 * DHARMa 0.5.0's statistic, p-value and alternative; print.DHARMa's lines.
 */
import { CounterNormal } from '../model/random.js';
import type { KsAlternative } from '../stats/ksTest.js';
import { formatR } from '../results/rFormat.js';
import type { DharmaResiduals } from './dharma.js';
import { type OutlierOptions, type OutlierTest, outlierTest } from './outliers.js';
import { type SimAlternative, type SimulationTest, checkSimAlternative, dispersionTest, zeroInflationTest } from './simulationTest.js';
import { type UniformityTest, uniformityTest } from './uniformity.js';
import { OptionError } from '../errors/errors.js';

export function testUniformity(d: DharmaResiduals, options: { alternative?: KsAlternative } = {}): UniformityTest {
  return uniformityTest(d.scaledResiduals, options.alternative ?? 'two.sided');
}

export function testDispersion(d: DharmaResiduals, options: { alternative?: SimAlternative } = {}): SimulationTest {
  return dispersionTest(d, checkSimAlternative(options.alternative));
}

export function testZeroInflation(d: DharmaResiduals, options: { alternative?: SimAlternative } = {}): SimulationTest {
  return zeroInflationTest(d, checkSimAlternative(options.alternative));
}

/** testOutliers; the bootstrap's draws from the result's seed */
export function testOutliers(d: DharmaResiduals, options: OutlierOptions = {}): OutlierTest {
  if (options === null || typeof options !== 'object') throw new OptionError('options', 'testOutliers: the options must be an object such as { type: \'binomial\' }');
  return outlierTest(d, options, new CounterNormal(d.seed));
}

/** testResiduals: uniformity, dispersion and outliers with their defaults */
export function testResiduals(d: DharmaResiduals): { uniformity: UniformityTest; dispersion: SimulationTest; outliers: OutlierTest } {
  return { uniformity: testUniformity(d), dispersion: testDispersion(d), outliers: testOutliers(d) };
}

/** print.DHARMa: the heading and the first 20 residuals (cat's 7 significant digits; " ..." from 20 residuals on, as R's test length < 20) */
export function printDharma(d: DharmaResiduals): string[] {
  const shown = Array.from(d.scaledResiduals.subarray(0, 20), (v) => formatR([v], 7)[0]);
  return [
    `Object of Class DHARMa with simulated residuals based on ${d.nSim} simulations with refit = FALSE . See ?DHARMa::simulateResiduals for help. `,
    ' ',
    `Scaled residual values: ${shown.join(' ')}${d.nObs >= 20 ? ' ...' : ''}`,
  ];
}
