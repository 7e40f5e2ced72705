/** The float64 CPU backend: the Gram matrix formed on the CPU and the blocked Cholesky per θ. */
import { BlockedCholesky } from '../../model/blockedCholesky.js';
import type { GramMatrix } from '../../model/gram.js';
import type { LmmBackend, ObjectiveParts } from '../../model/objective.js';

export class CpuBackend implements LmmBackend {
  readonly name = 'cpu';
  readonly device = 'CPU (JavaScript, float64)';
  readonly precision = 'float64' as const;
  readonly chol: BlockedCholesky;

  constructor(gram: GramMatrix, nTheta: number) {
    this.chol = new BlockedCholesky(gram, nTheta);
  }

  evaluate(theta: Float64Array): ObjectiveParts {
    this.chol.factor(theta);
    return { ldL2: this.chol.ldL2, ldRX2: this.chol.ldRX2, pwrss: this.chol.pwrss };
  }
}
