/**
 * A DHARMa result as a plain object (DHARMa's createDHARMa, method "PIT", refit = FALSE): the observed
 * response, the simulated responses, the fitted population-level response, and the scaled residuals
 * (scaledResiduals.ts). `createDharma` builds one from any simulations (DHARMa's createDHARMa);
 * src/diagnostics/simulateResiduals.ts from a fit.
 */
import { DataError, OptionError } from '../errors/errors.js';
import { CounterNormal } from '../model/random.js';
import { quantileResiduals } from './scaledResiduals.js';

export interface DharmaResiduals {
  nObs: number;
  nSim: number;
  /** the seed of the residuals' randomization (and of the simulations, for a fit's) */
  seed: number;
  integerResponse: boolean;
  method: 'PIT';
  refit: false;
  /** the observed response (a binomial's as counts of successes) */
  observedResponse: Float64Array;
  /** nSim simulated responses of nObs values each (simulatedResponse[r][i]) */
  simulatedResponse: Float64Array[];
  /** the fitted response without the random effects (predict(type = "response", re.form = ~0)) */
  fittedPredictedResponse: Float64Array;
  scaledResiduals: Float64Array;
  /** the PIT interval [mean(sims < y), mean(sims ≤ y)] of each residual */
  lower: Float64Array;
  upper: Float64Array;
  /** how many residuals were randomized */
  randomized: number;
  /** group labels, for residuals recalculated per group (recalculate.ts) */
  groups?: string[];
  messages: string[];
}

/** createDHARMa(simulatedResponse, observedResponse, fittedPredictedResponse, integerResponse, seed) */
export function createDharma(simulatedResponse: Float64Array[], observedResponse: Float64Array, fittedPredictedResponse: Float64Array | null, integerResponse: boolean, seed: number, messages: string[] = [], minObs = 3): DharmaResiduals {
  const nObs = observedResponse.length, nSim = simulatedResponse.length;
  if (nSim < 2) throw new OptionError('nsim', `scaled residuals need at least 2 simulations, got ${nSim}`);
  if (nObs < minObs) throw new DataError(`scaled residuals need at least ${minObs} observation${minObs === 1 ? '' : 's'}, got ${nObs}`);
  simulatedResponse.forEach((s, r) => {
    if (s.length !== nObs) throw new DataError(`simulation ${r + 1} has ${s.length} values, the observed response ${nObs}`);
    for (let i = 0; i < nObs; i++) if (Number.isNaN(s[i])) throw new DataError(`simulation ${r + 1} has NaN at observation ${i + 1}: scaled residuals cannot be computed`);
  });
  for (let i = 0; i < nObs; i++) if (Number.isNaN(observedResponse[i])) throw new DataError(`the observed response is NaN at observation ${i + 1}`);
  const msgs = [...messages];
  if (nSim < 10) msgs.push('simulatedResponse with less than 10 simulations provided. This rarely makes sense.');
  let fitted = fittedPredictedResponse;
  if (!fitted) {
    msgs.push('No fitted predicted response provided, using the mean of the simulations');
    fitted = new Float64Array(nObs);
    for (const s of simulatedResponse) for (let i = 0; i < nObs; i++) fitted[i] += s[i] / nSim;
  } else if (fitted.length !== nObs) throw new DataError(`fittedPredictedResponse has ${fitted.length} values, the observed response ${nObs}`);
  const q = quantileResiduals(simulatedResponse, observedResponse, new CounterNormal(seed));
  return {
    nObs, nSim, seed, integerResponse, method: 'PIT', refit: false, observedResponse, simulatedResponse,
    fittedPredictedResponse: fitted, scaledResiduals: q.residuals, lower: q.lower, upper: q.upper, randomized: q.randomized, messages: msgs,
  };
}
