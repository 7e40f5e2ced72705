/** Shared checks of the relmat tests (test/relmat.test.ts, test/gpu/relmat.test.ts). */
import { expect } from 'vitest';
import type { MixedFit } from '../../src/results/mixedFit.js';

export interface RanefRef { group: string; levels: string[]; values: Record<string, number[]>; condsd?: Record<string, number[]> }

/** conditional modes (and SDs, where given) of the fit against a reference, by level name, to `tol` */
export function checkModes(fit: MixedFit, ranef: RanefRef[], tol: number): void {
  for (const rr of ranef) {
    const g = fit.ranef.find((x) => x.group === rr.group)!;
    const pos = new Map(g.levels.map((l, i) => [l, i]));
    for (const [cn, vals] of Object.entries(rr.values)) {
      rr.levels.forEach((lev, i) => {
        expect(Math.abs(g.values[cn][pos.get(lev)!] - vals[i])).toBeLessThan(tol);
        if (rr.condsd) expect(Math.abs(g.condsd[cn][pos.get(lev)!] - rr.condsd[cn][i])).toBeLessThan(tol);
      });
    }
  }
}
