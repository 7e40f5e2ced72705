/**
 * DHARMa's recalculateResiduals(simulationOutput, group) (aggregateBy = sum, method "PIT"): the observed,
 * simulated and fitted responses summed within each group,
 *   y_g = Σ_{i ∈ g} yᵢ,   s_{g,r} = Σ_{i ∈ g} s_{i,r},   ŷ_g = Σ_{i ∈ g} ŷᵢ,
 * and the scaled residuals of the sums (scaledResiduals.ts), one per group. The groups are in the order
 * of R's factor levels: numbers by value, other labels sorted as strings (JavaScript's code-unit order,
 * which can differ from R's locale collation; each residual carries its label).
 */
import { DataError } from '../errors/errors.js';
import { type DharmaResiduals, createDharma } from './dharma.js';

export function recalculateResiduals(d: DharmaResiduals, group: ArrayLike<string | number>): DharmaResiduals {
  if (group.length !== d.nObs) throw new DataError(`recalculateResiduals: the group has ${group.length} values, the residuals ${d.nObs} (one per observation used by the fit)`);
  const values = Array.from(group);
  if (values.some((v) => v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)))) throw new DataError('recalculateResiduals: the group has missing values');
  const numeric = values.every((v) => typeof v === 'number');
  const labels = [...new Set(values.map(String))];
  if (numeric) labels.sort((a, b) => Number(a) - Number(b));
  else labels.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const index = new Map(labels.map((l, g) => [l, g]));
  const codes = values.map((v) => index.get(String(v))!);
  const G = labels.length;
  const sum = (x: ArrayLike<number>) => {
    const out = new Float64Array(G);
    for (let i = 0; i < d.nObs; i++) out[codes[i]] += x[i];
    return out;
  };
  const out = createDharma(d.simulatedResponse.map(sum), sum(d.observedResponse), sum(d.fittedPredictedResponse), d.integerResponse, d.seed, d.messages, 1);
  return { ...out, groups: labels };
}
