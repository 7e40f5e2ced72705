/**
 * lme4's coef(fit): per grouping factor, each level's coefficients, β̂ plus the level's conditional
 * modes b̂_g where a random-effects column has the name of a fixed-effects one:
 *   coef_g[name] = β̂[name] + b̂_g[name],
 * with lme4's columns: the random-effects columns without a fixed effect first (their β̂ taken as 0,
 * lme4's fill), then the fixed effects in their order; the factors in ranef's order.
 */
import type { RandomBlock } from '../model/lambda.js';
import { lme4BlockOrder } from './components.js';

export interface CoefGroup {
  group: string;
  levels: string[];
  /** per column name, the coefficient of each level */
  values: Record<string, number[]>;
}

/** coef(fit) from the blocks, the fixed effects' names and β̂, and each block's modes `b[k]` (nl · q, level-major). */
export function coefGroups(blocks: readonly RandomBlock[], xnames: readonly string[], beta: ArrayLike<number>, b: readonly Float64Array[]): CoefGroup[] {
  const order = lme4BlockOrder(blocks);
  // lme4: the random-effects names missing from the fixed effects, over every factor, filled with 0 before them
  const missing: string[] = [];
  for (const k of order) for (const name of blocks[k].cnames) if (!xnames.includes(name) && !missing.includes(name)) missing.push(name);
  return order.map((k) => {
    const blk = blocks[k], q = blk.q, nl = blk.nl;
    const values: Record<string, number[]> = {};
    for (const name of missing) values[name] = new Array<number>(nl).fill(0);
    xnames.forEach((name, j) => { values[name] = new Array<number>(nl).fill(beta[j]); });
    blk.cnames.forEach((name, s) => {
      const col = values[name];
      for (let g = 0; g < nl; g++) col[g] += b[k][g * q + s];
    });
    return { group: blk.group, levels: blk.levels, values };
  });
}
