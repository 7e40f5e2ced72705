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
import { type KnownCovariance, type RelmatInput, knownCovariance, matchLevels } from './knownCovariance.js';

/** `relmat` as a user gives it: for a grouping factor, K (a matrix with level names, a sparse matrix, a pedigree) */
export type RelmatSpec = Record<string, RelmatInput | KnownCovariance>;

/** A block's known covariance: the factor over the block's levels and where it came from. */
export interface KnownBlock {
  group: string;
  /** F with F Fᵀ = K over the block's levels (in their order) */
  F: CovFactor;
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
    const F = kc.factor(m.levels);
    let inbreeding: Map<string, number> | null = null;
    if (kc.inbreeding) {
      const F0 = kc.inbreeding;
      inbreeding = new Map(kc.levels.map((l, i) => [l, F0[i]]));
    }
    const block = { ...b, levels: m.levels, nl: m.levels.length };
    const known: KnownBlock = { group: b.group, F, source: kc.source, extraLevels: m.extra, inbreeding };
    return { block, known };
  });
  return {
    blocks: [...plain, ...withK.map((x) => x.block)],
    known: [...plain.map(() => null), ...withK.map((x) => x.known)],
  };
}
