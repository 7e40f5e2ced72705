/**
 * Seeded fuzzing helpers (test/fuzz/*.test.ts). Each fuzz test runs a few seconds in the suite;
 * MIXEDGPU_FUZZ=long runs 100 times as many cases (`MIXEDGPU_FUZZ=long npx vitest run test/fuzz`,
 * or `npm run fuzz`), and MIXEDGPU_FUZZ_SEED=n changes the seed. A failure prints the seed and
 * the case, so that it can be replayed.
 */
import { isPackageError } from '../../src/errors/errors.js';

export const LONG = process.env.MIXEDGPU_FUZZ === 'long';
export const SEED = Number(process.env.MIXEDGPU_FUZZ_SEED ?? 20240917);

/** The number of cases: `base` in the suite, 100 × base in the long mode. */
export function cases(base: number): number {
  return LONG ? base * 100 : base;
}

/** mulberry32: a small seeded PRNG with uniform(), int(n), pick(array), chance(p). */
export class Rand {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  uniform(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
  chance(p: number): boolean {
    return this.uniform() < p;
  }
}

/** What one case did: 'ok', or the name of the package error it threw. */
export type Outcome = 'ok' | string;

/**
 * Runs `f` (sync or async) and returns its outcome. An error that is not the package's own, or a
 * call that takes longer than `limitMs`, fails with the case shown.
 */
export async function probe(what: string, limitMs: number, f: () => unknown): Promise<Outcome> {
  const t0 = performance.now();
  let outcome: Outcome = 'ok';
  try {
    await f();
  } catch (e) {
    if (!isPackageError(e)) {
      const err = e as Error;
      throw new Error(`fuzz (seed ${SEED}): ${what}\nthrew ${err?.name}: ${err?.message}\n${err?.stack ?? ''}`);
    }
    outcome = (e as Error).name;
  }
  const ms = performance.now() - t0;
  if (ms > limitMs) throw new Error(`fuzz (seed ${SEED}): ${what}\ntook ${ms.toFixed(0)} ms, more than ${limitMs} ms`);
  return outcome;
}

/** Counts of outcomes, for a test to check that the cases reached both success and errors. */
export function tally(outcomes: Outcome[]): Record<string, number> {
  const t: Record<string, number> = {};
  for (const o of outcomes) t[o] = (t[o] ?? 0) + 1;
  return t;
}
