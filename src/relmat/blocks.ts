/**
 * The random-effects blocks of a model with known covariance matrices (`relmat: { group: K }`):
 * each such block's levels are matched to K's (a pedigree's animals without records are appended:
 * their values are predicted from their relatives'), its factor F (F Fᵀ = K over the block's
 * levels) is computed, and the block is moved after the others: the blocked Cholesky factors it
 * as a dense block (F mixes its levels), and the blocks before it keep their sparse structure.
 * θ's layout does not depend on the order of the blocks.
 */
import { OptionError } from '../errors/errors.js';
import type { CovFactor } from './covFactor.js';
import type { DenseArena } from '../linalg/denseArena.js';
import { type KnownCovariance, type RelmatInput, knownCovariance, matchLevels } from './knownCovariance.js';

/** `relmat` as a user gives it: for a grouping factor, K (a matrix with level names, a sparse matrix, a pedigree) */
export type RelmatSpec = Record<string, RelmatInput | KnownCovariance>;

/** A block's known covariance: the factor over the block's levels and where it came from. */
export interface KnownBlock {
  group: string;
  /** number of levels (K's order over the block's levels) */
  n: number;
  /**
   * F with F Fᵀ = K over the block's levels (in their order): a pedigree's or a sparse K's factor,
   * computed once and kept; a dense K's Cholesky factor, computed anew at each call (the caller
   * holds the n × n array: lmer does not, src/relmat/gram.ts)
   */
  factor(): CovFactor;
  /**
   * A dense K only (else null): its Cholesky factor L over the block's levels into the lower
   * triangle of `L` (n × n row-major), the strict upper triangle untouched (K's factor in a dense
   * block's own storage, src/relmat/gram.ts)
   */
  denseFactorInto: ((L: Float64Array, arena: DenseArena) => void) | null;
  source: KnownCovariance['source'];
  /** levels of K without rows in the data (a pedigree's ancestors), appended to the block's levels */
  extraLevels: number;
  /** a pedigree's inbreeding coefficients by level name, else null */
  inbreeding: Map<string, number> | null;
}

interface LevelBlock {
  group: string;
  levels: string[];
  nl: number;
}

function isKnownCovariance(x: RelmatInput | KnownCovariance): x is KnownCovariance {
  return typeof (x as KnownCovariance).factor === 'function' && Array.isArray((x as KnownCovariance).levels);
}

/**
 * The blocks with each relmat block's levels extended and the relmat blocks last, and the known
 * factor of each (null for the others).
 */
export function attachKnownCovariances<B extends LevelBlock>(blocks: B[], relmat: RelmatSpec | undefined): { blocks: B[]; known: (KnownBlock | null)[] } {
  const names = relmat ? Object.keys(relmat) : [];
  if (names.length === 0) return { blocks, known: blocks.map(() => null) };
  for (const g of names) {
    if (!blocks.some((b) => b.group === g)) {
      throw new OptionError('relmat', `relmat: '${g}' is not a grouping factor of the formula (its grouping factors: ${blocks.map((b) => b.group).join(', ')})`);
    }
  }
  const plain = blocks.filter((b) => !names.includes(b.group));
  const withK = blocks.filter((b) => names.includes(b.group)).map((b) => {
    const spec = relmat![b.group];
    const kc = isKnownCovariance(spec) ? spec : knownCovariance(b.group, spec);
    const m = matchLevels(b.group, kc, b.levels);
    const order = m.levels;
    // a dense K's factor is formed where it is used (n × n); a sparse one (a pedigree's) is kept
    const into = kc.factorInto;
    const F = into ? null : kc.factor(order);
    let inbreeding: Map<string, number> | null = null;
    if (kc.inbreeding) {
      const F0 = kc.inbreeding;
      inbreeding = new Map(kc.levels.map((l, i) => [l, F0[i]]));
    }
    const block = { ...b, levels: m.levels, nl: m.levels.length };
    const known: KnownBlock = {
      group: b.group, n: order.length, source: kc.source, extraLevels: m.extra, inbreeding,
      factor: () => F ?? kc.factor(order),
      denseFactorInto: into ? (L, arena) => into.call(kc, order, L, arena) : null,
    };
    return { block, known };
  });
  return {
    blocks: [...plain, ...withK.map((x) => x.block)],
    known: [...plain.map(() => null), ...withK.map((x) => x.known)],
  };
}
