/** The float64 CPU backend: the Gram matrix formed on the CPU and the blocked Cholesky per θ. */
import { BlockedCholesky } from '../../linalg/blockedCholesky.js';
import type { DenseKernelKind } from '../../linalg/denseArena.js';
import type { GramMatrix } from '../../linalg/gram.js';
import type { Float64Reference, ObjectiveParts } from '../../lmm/deviance.js';

export class CpuBackend implements Float64Reference {
  readonly name = 'cpu';
  readonly device = 'CPU (JavaScript, float64)';
  readonly precision = 'float64' as const;
  readonly chol: BlockedCholesky;
  readonly gramAgain?: () => GramMatrix;

  /**
   * `kernels`: the dense crossed blocks in WebAssembly SIMD (default, where available) or JavaScript;
   * `gramAgain`: how to form `gram` again (Float64Reference.gramAgain)
   */
  constructor(gram: GramMatrix, nTheta: number, kernels: DenseKernelKind = 'wasm', gramAgain?: () => GramMatrix) {
    this.chol = new BlockedCholesky(gram, nTheta, kernels);
    if (gramAgain) this.gramAgain = gramAgain;
  }

  evaluate(theta: Float64Array): ObjectiveParts {
    this.chol.factor(theta);
    return { ldL2: this.chol.ldL2, ldRX2: this.chol.ldRX2, pwrss: this.chol.pwrss };
  }
}
