/**
 * DHARMa's simulation tests of a summary of the data (testGeneric, DHARMa 0.5.0): the summary T of the
 * observed response against its values T_r on the S simulated responses,
 *   statistic  ratioObsSim = T(y) / mean_r T_r
 *   p-value    (getP)  greater:   mean_r [T_r ≥ T(y)]
 *                      less:      mean_r [T_r ≤ T(y)]
 *                      two.sided: min(1, 2 min(mean_r [T_r ≤ T(y)], mean_r [T_r ≥ T(y)]))
 * testDispersion (type "DHARMa", refit = FALSE) is that test with T(x) = var(x − ŷ) / v̂, ŷ the fitted
 * population-level response (DHARMa's fittedPredictedResponse) and v̂ = sd(all simulated values)², its
 * statistic named "dispersion"; testZeroInflation has T(x) = #{i : xᵢ = 0}.
 */
import { OptionError } from '../errors/errors.js';
import type { HTest } from './htest.js';

export const SIM_ALTERNATIVES = ['two.sided', 'greater', 'less'] as const;
export type SimAlternative = (typeof SIM_ALTERNATIVES)[number];

/** what the simulation tests read of a DHARMa result */
export interface SimulationData {
  observedResponse: ArrayLike<number>;
  simulatedResponse: readonly ArrayLike<number>[];
  fittedPredictedResponse: ArrayLike<number>;
}

export interface SimulationTest extends HTest {
  /** T(y) */
  observed: number;
  /** T_r, r = 1 … S */
  simulated: Float64Array;
}

export function checkSimAlternative(a: unknown): SimAlternative {
  if (a === undefined) return 'two.sided';
  if (typeof a !== 'string' || !(SIM_ALTERNATIVES as readonly string[]).includes(a)) {
    throw new OptionError('alternative', `alternative must be one of ${SIM_ALTERNATIVES.map((x) => `'${x}'`).join(', ')}, not ${JSON.stringify(a)}`);
  }
  return a as SimAlternative;
}

/** DHARMa's getP(simulated, observed, alternative) (header) */
export function simulationP(simulated: ArrayLike<number>, observed: number, alternative: SimAlternative): number {
  const S = simulated.length;
  let le = 0, ge = 0;
  for (let r = 0; r < S; r++) {
    if (simulated[r] <= observed) le++;
    if (simulated[r] >= observed) ge++;
  }
  if (alternative === 'greater') return ge / S;
  if (alternative === 'less') return le / S;
  return Math.min(Math.min(le / S, ge / S) * 2, 1);
}

/** R's mean(x): the sum over n, refined by the mean of the deviations (as R's two passes) */
export function meanR(x: ArrayLike<number>): number {
  const n = x.length;
  let s = 0;
  for (let i = 0; i < n; i++) s += x[i];
  const m = s / n;
  if (!Number.isFinite(m)) return m;
  let c = 0;
  for (let i = 0; i < n; i++) c += x[i] - m;
  return m + c / n;
}

/** R's var(x): Σ (xᵢ − x̄)² / (n − 1) */
export function varianceR(x: ArrayLike<number>): number {
  const n = x.length;
  const m = meanR(x);
  let s = 0;
  for (let i = 0; i < n; i++) { const d = x[i] - m; s += d * d; }
  return s / (n - 1);
}

/** R's var(c(x₁, x₂, …)) of the arrays' values together, without copying them into one */
export function varianceOfAll(xs: readonly ArrayLike<number>[]): number {
  let N = 0, s = 0;
  for (const x of xs) { N += x.length; for (let i = 0; i < x.length; i++) s += x[i]; }
  let m = s / N;
  if (Number.isFinite(m)) {
    let c = 0;
    for (const x of xs) for (let i = 0; i < x.length; i++) c += x[i] - m;
    m += c / N;
  }
  let ss = 0;
  for (const x of xs) for (let i = 0; i < x.length; i++) { const dv = x[i] - m; ss += dv * dv; }
  return ss / (N - 1);
}

/** testGeneric(simulationOutput, summary, alternative, methodName) (header) */
export function genericTest(d: SimulationData, summary: (x: ArrayLike<number>) => number, alternative: SimAlternative, method: string, dataName = 'simulationOutput'): SimulationTest {
  const observed = summary(d.observedResponse);
  const simulated = Float64Array.from(d.simulatedResponse, (s) => summary(s));
  return {
    method, dataName, statistic: { name: 'ratioObsSim', value: observed / meanR(simulated) },
    pValue: simulationP(simulated, observed, alternative), alternative, observed, simulated,
  };
}

/** testDispersion(simulationOutput, alternative, type = "DHARMa") with refit = FALSE (header) */
export function dispersionTest(d: SimulationData, alternative: SimAlternative = 'two.sided', dataName?: string): SimulationTest {
  // v̂ = sd(simulatedResponse)²: the sample variance of all n × S simulated values
  const n = d.observedResponse.length;
  const sdAll = Math.sqrt(varianceOfAll(d.simulatedResponse));
  const expectedVar = sdAll * sdAll;
  const fitted = d.fittedPredictedResponse;
  const resid = new Float64Array(n);
  // T(x) = var(x − ŷ) / v̂
  const spread = (x: ArrayLike<number>) => {
    for (let i = 0; i < n; i++) resid[i] = x[i] - fitted[i];
    return varianceR(resid) / expectedVar;
  };
  const t = genericTest(d, spread, alternative, 'DHARMa nonparametric dispersion test via sd of residuals fitted vs. simulated', dataName);
  return { ...t, statistic: { name: 'dispersion', value: t.statistic.value } };
}

/** testZeroInflation(simulationOutput, alternative) (header) */
export function zeroInflationTest(d: SimulationData, alternative: SimAlternative = 'two.sided', dataName?: string): SimulationTest {
  const countZeros = (x: ArrayLike<number>) => { let z = 0; for (let i = 0; i < x.length; i++) if (x[i] === 0) z++; return z; };
  return genericTest(d, countZeros, alternative, 'DHARMa zero-inflation test via comparison to expected zeros with simulation under H0 = fitted model', dataName);
}
