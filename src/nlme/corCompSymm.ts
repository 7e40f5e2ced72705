/**
 * nlme's corCompSymm(form = ~ 1 | g): Cor(ε_i, ε_j) = ρ within a group, C_m = (1 − ρ) I + ρ 1 1ᵀ;
 * unconstrained x with ρ = (eˣ + inf)/(eˣ + 1), inf = −1/(m_max − 1) (m_max the largest group), which
 * keeps every C_m positive definite. Whitened by Helmert's contrasts (compSymmFactor).
 */
import { ModelError } from '../errors/errors.js';
import { type CorContext, type CorStructure, type CorrelationFactor, corGroups } from './correlation.js';
import { checkArgs, numberArg, type StructCall } from './structSpec.js';
import { formText } from './varFunction.js';

export function corCompSymm(call: StructCall, ctx: CorContext): CorStructure {
  checkArgs(call, ['value'], 'correlation');
  const { groups, group } = corGroups(call, ctx);
  const mMax = Math.max(...groups.map((g) => g.length));
  if (mMax < 2) throw new ModelError(`correlation ${call.text}: every group has one row: a within-group correlation cannot be estimated`);
  const inf = -1 / (mMax - 1);
  const rho0 = numberArg(call, 'value', 'correlation', 0);
  if (!(rho0 > inf && rho0 < 1)) throw new ModelError(`correlation ${call.text}: value must be in (${inf}, 1), got ${rho0}`);
  const rhoOf = (x: number) => (Math.exp(x) + inf) / (Math.exp(x) + 1);
  return {
    text: call.text,
    structure: 'Compound symmetry',
    formula: formText(call.covariate, group),
    nPar: 1,
    // ρ0 = (e^x + inf)/(e^x + 1)  ⇒  e^x = (ρ0 − inf)/(1 − ρ0)
    start: Float64Array.of(Math.log((rho0 - inf) / (1 - rho0))),
    groups,
    group,
    factor(x) { return compSymmFactor(groups, rhoOf(x[0])); },
    estimates(x) { return { names: ['Rho'], values: [rhoOf(x[0])] }; },
  };
}

/**
 * The whitening W_m of C_m by Helmert's orthogonal contrasts (W_m C_m W_mᵀ = I, the factor nlme uses,
 * so that the normalized residuals are nlme's):
 *   e_0 = Σ_j z_j / √(m (1 + (m − 1) ρ)),   e_i = (i z_i − Σ_{j<i} z_j) / √((1 − ρ) i (i + 1)),  i ≥ 1;
 * log|C_m| = (m − 1) log(1 − ρ) + log(1 + (m − 1) ρ).
 */
function compSymmFactor(groups: Int32Array[], rho: number): CorrelationFactor {
  let logDet = 0;
  for (const g of groups) {
    const m = g.length;
    const a = 1 + (m - 1) * rho;
    if (!(a > 0) || !(rho < 1)) throw new ModelError(`corCompSymm: the correlation ${rho} is not positive definite for a group of ${m} rows`);
    logDet += (m - 1) * Math.log1p(-rho) + Math.log(a);
  }
  return {
    logDet,
    whiten(gi, v, k) {
      const m = groups[gi].length;
      const s0 = 1 / Math.sqrt(m * (1 + (m - 1) * rho));
      for (let c = 0; c < k; c++) {
        // running sum of the rows before i; e_i written in place once z_i has been added
        let sum = 0;
        for (let i = 0; i < m; i++) {
          const z = v[i * k + c];
          if (i > 0) v[i * k + c] = (i * z - sum) / Math.sqrt((1 - rho) * i * (i + 1));
          sum += z;
        }
        v[c] = sum * s0;
      }
    },
  };
}
