/**
 * nlme's correlation structures (corStruct): within each group g of rows, Cor(ε_g) = C_g(φ), with
 * parameters in nlme's unconstrained parametrization. A structure gives, at its parameters, the
 * whitening of each group by C_g's inverse Cholesky factor and log|C| = Σ_g log|C_g|. One file per
 * structure (corAR1.ts, corARMA.ts, corCAR1.ts, corCompSymm.ts, corSymm.ts, corNatural.ts, corExp.ts, corGaus.ts,
 * corSpher.ts, corLin.ts, corRatio.ts on corSpatial.ts); this one
 * reads the call and the groups.
 */
import type * as arrow from 'apache-arrow';
import { ModelError, OptionError } from '../errors/errors.js';
import { type FrameRows, factorColumn, numericColumn } from './covariates.js';
import { type StructCall, parseStructCall } from './structSpec.js';
import { corAR1 } from './corAR1.js';
import { corCAR1 } from './corCAR1.js';
import { corCompSymm } from './corCompSymm.js';
import { corExp } from './corExp.js';
import { corGaus } from './corGaus.js';
import { corARMA } from './corARMA.js';
import { corSymm } from './corSymm.js';
import { corNatural } from './corNatural.js';
import { corSpher } from './corSpher.js';
import { corLin } from './corLin.js';
import { corRatio } from './corRatio.js';

/** A structure at its parameters. */
export interface CorrelationFactor {
  /** log|C| over all groups */
  logDet: number;
  /** v ← L_g⁻¹ v for the rows of group g (v: the group's m rows × k columns, row-major, in the group's order) */
  whiten(g: number, v: Float64Array, k: number): void;
}

export interface CorStructure {
  text: string;
  /** nlme's "Correlation Structure:" line */
  structure: string;
  /** nlme's "Formula:" line */
  formula: string;
  nPar: number;
  start: Float64Array;
  /** the groups' rows (observation indices), each in the structure's order */
  groups: Int32Array[];
  /** the grouping variable (null: one group) */
  group: string | null;
  factor(x: Float64Array): CorrelationFactor;
  /**
   * the parameter estimates nlme prints (constrained); `matrix`: the values are the lower triangle of
   * a correlation matrix with these dimnames, printed as one (corSymm)
   */
  estimates(x: Float64Array): { names: string[]; values: number[]; matrix?: string[] };
  /**
   * nlme's "natural" parametrization for intervals() where it differs from the unconstrained one
   * (corSymm: each correlation's log((1 + ρ)/(1 − ρ)), nlme's corNatural): x → η, η → x (null where η
   * gives no valid structure), and η → the printed values (each end mapped on its own, as nlme's)
   */
  natural?: { from(x: Float64Array): Float64Array; to(eta: Float64Array): Float64Array | null; values(eta: Float64Array): number[] };
  /**
   * corSpher and corLin, whose criterion has a kink wherever the range crosses a distance and several
   * local maxima: the unconstrained range's (the structure's first parameter's) values to scan for the
   * optimizer's starts (optimize.ts minimizeScanned), one in each smooth piece of the range's line
   */
  rangeScan?: number[];
}

export interface CorContext {
  table: arrow.Table;
  frame: FrameRows;
  /** the grouping variable when the call names none (lme: the random effects', `A/B` for nested levels), or null */
  defaultGroup: string | null;
}

export const COR_STRUCTURES = ['corAR1', 'corARMA', 'corCAR1', 'corCompSymm', 'corSymm', 'corNatural', 'corExp', 'corGaus', 'corSpher', 'corLin', 'corRatio'];

/** Reads `correlation = 'corAR1(form = ~ time | Subject)'` and friends. */
export function corStructure(text: string, ctx: CorContext): CorStructure {
  const call = parseStructCall(text, 'correlation');
  switch (call.name) {
    case 'corAR1': return corAR1(call, ctx);
    case 'corARMA': return corARMA(call, ctx);
    case 'corCAR1': return corCAR1(call, ctx);
    case 'corCompSymm': return corCompSymm(call, ctx);
    case 'corExp': return corExp(call, ctx);
    case 'corGaus': return corGaus(call, ctx);
    case 'corSymm': return corSymm(call, ctx);
    case 'corNatural': return corNatural(call, ctx);
    case 'corSpher': return corSpher(call, ctx);
    case 'corLin': return corLin(call, ctx);
    case 'corRatio': return corRatio(call, ctx);
    default:
      throw new OptionError('correlation', `correlation: unknown correlation structure '${call.name}' in '${text}' (available: ${COR_STRUCTURES.join(', ')})`);
  }
}

/**
 * The groups of a structure's rows: by the call's grouping variable (or the default), each group's
 * rows in data order, or sorted by the covariate when there is one (ties and non-finite times are
 * the caller's to refuse).
 */
export function corGroups(call: StructCall, ctx: CorContext): { groups: Int32Array[]; group: string | null; time: Float64Array | null } {
  const what = `correlation ${call.text}`;
  const group = call.group ?? ctx.defaultGroup;
  const n = ctx.frame.n;
  const time = call.covariate === null ? null : numericColumn(ctx.table, call.covariate, ctx.frame, what);
  let lists: number[][];
  if (group === null) lists = [Array.from({ length: n }, (_, i) => i)];
  else {
    // nested `A/B`: the groups are the combinations of A's and B's levels (nlme's innermost groups)
    const factors = group.split('/').map((g) => factorColumn(ctx.table, g, ctx.frame, what));
    const index = new Map<string, number>();
    lists = [];
    for (let i = 0; i < n; i++) {
      const key = factors.map((f) => f.codes[i]).join(',');
      let c = index.get(key);
      if (c === undefined) { c = lists.length; index.set(key, c); lists.push([]); }
      lists[c].push(i);
    }
  }
  if (time) for (const l of lists) l.sort((a, b) => time[a] - time[b] || a - b);
  return { groups: lists.map((l) => Int32Array.from(l)), group, time };
}

/** A covariate's ties within a group: refused, naming the group's first row and the value. */
export function refuseTies(call: StructCall, groups: Int32Array[], time: Float64Array, rows: Int32Array | null): void {
  for (const g of groups) {
    for (let j = 1; j < g.length; j++) {
      if (time[g[j]] === time[g[j - 1]]) {
        const r = (rows ? rows[g[j]] : g[j]) + 1;
        throw new ModelError(`correlation ${call.text}: the covariate '${call.covariate}' has the value ${time[g[j]]} twice in one group (row ${r}): times must be distinct within a group`);
      }
    }
  }
}
