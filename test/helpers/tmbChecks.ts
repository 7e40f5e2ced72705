/**
 * The checks test/tmbfamilies.test.ts and test/tmbfamilies2.test.ts make of a glmmTMB-family fit against
 * their glmmTMB 1.1.5 / performance 0.10.2 fixtures (the same fixture layout from both oracle scripts).
 */
import type * as arrow from 'apache-arrow';
import { expect } from 'vitest';
import { ModelError } from '../../src/errors/errors.js';
import type { ZeroInflatedFit } from '../../src/zeroinfl/zeroInflatedFit.js';

const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
/** jsonlite writes a one-element vector as a scalar */
const arr = <T>(v: T | T[]): T[] => ([] as T[]).concat(v);

/** the conditional, zero-inflation (none for '~ 0') and dispersion (glmmTMB's unless '~ 1') tables: names exact, SEs 1e-4, z 1e-4 × max(1, |z|) */
export function expectCoefTables(fit: ZeroInflatedFit, ref: Record<string, { rownames: string | string[]; se: number | number[]; z: number | number[] } | null>): void {
  const tables: [keyof ZeroInflatedFit, string][] = [['cond', 'cond'], ['zi', 'zi'], ['dispersion', 'disp']];
  for (const [ours, theirs] of tables) {
    const rows = fit[ours] as ZeroInflatedFit['cond'];
    const t = ref[theirs];
    if (t === null) {
      expect(theirs === 'zi' ? rows.length : Number(fit.model.dispConstant || fit.model.pd === 0)).toBe(theirs === 'zi' ? 0 : 1);
      continue;
    }
    expect(rows.map((r) => r.name)).toEqual(arr(t.rownames));
    rows.forEach((r, k) => {
      expect(rel(r.se, arr<number>(t.se)[k])).toBeLessThan(1e-4);
      expect(Math.abs(r.z - arr<number>(t.z)[k])).toBeLessThan(1e-4 * Math.max(1, Math.abs(arr<number>(t.z)[k])));
    });
  }
}

/** Pearson residuals, check_overdispersion and check_zeroinflation at 1e-5, or refused where glmmTMB/performance stop or give NA */
export function expectPearsonAndChecks(fit: ZeroInflatedFit, ref: {
  pearson: number[] | null;
  overdispersion: { chisq: number; rdf: number; p: number } | null;
  zeroinflation: { predicted: number; observed: number } | null;
}): void {
  if (ref.pearson === null) {
    expect(() => fit.residuals('pearson')).toThrow(ModelError);
  } else {
    const want = ref.pearson;
    fit.residuals('pearson').forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(want[i]))));
  }
  if (ref.overdispersion === null) {
    expect(() => fit.checkOverdispersion()).toThrow(ModelError);
  } else {
    const o = fit.checkOverdispersion();
    expect(rel(o.chisq, ref.overdispersion.chisq)).toBeLessThan(1e-5);
    expect(o.rdf).toBe(ref.overdispersion.rdf);
    expect(Math.abs(o.p - ref.overdispersion.p)).toBeLessThan(1e-5);
  }
  if (ref.zeroinflation === null) {
    expect(() => fit.checkZeroinflation()).toThrow(ModelError);
  } else {
    const z = fit.checkZeroinflation()!;
    expect(z.predictedZeros).toBe(ref.zeroinflation.predicted);
    expect(z.observedZeros).toBe(ref.zeroinflation.observed);
  }
}

/**
 * predict(newdata) of every type, with the random effects (a new level at b = 0) and without, against
 * glmmTMB's values (`want[type]`, `want[type + '_population']`; '-Inf' as R writes it): 1e-8 relative,
 * of max(1, |w|) on the link scales and for zprob
 */
export function expectNewdataPredictions(fit: ZeroInflatedFit, nd: arrow.Table, want: Record<string, (number | string)[]>): void {
  for (const type of ['response', 'conditional', 'zprob', 'link', 'zlink', 'disp'] as const) {
    for (const [ours, key] of [[fit.predict(nd, { type, allowNewLevels: true }), type], [fit.predict(nd, { type, groups: false }), `${type}_population`]] as const) {
      const w: (number | string)[] = want[key];
      expect(ours.length).toBe(w.length);
      w.forEach((v, i) => {
        if (v === '-Inf') { expect(ours[i]).toBe(-Infinity); return; }
        const x = v as number;
        const scale = type === 'link' || type === 'zlink' || type === 'zprob' ? Math.max(1, Math.abs(x)) : Math.abs(x);
        if (!(Math.abs(ours[i] - x) <= 1e-8 * scale)) throw new Error(`${type} row ${i + 1}: ${ours[i]} vs glmmTMB's ${x}`);
      });
    }
  }
}

/**
 * nsim conditional draws against the model's mean m and variance v per row: every row's mean of the draws
 * within 4.5 standard errors of m (rows with v = 0 skipped), and Σ(y − m)²/Σ Var within 1 ± 0.05
 */
export function expectDrawMoments(y: ArrayLike<number>[], m: Float64Array, v: Float64Array): void {
  const nsim = y.length;
  let maxZ = 0, ss = 0, vs = 0;
  for (let i = 0; i < m.length; i++) {
    let s = 0;
    for (const yr of y) s += yr[i];
    const mean = s / nsim;
    if (v[i] > 0) maxZ = Math.max(maxZ, Math.abs(mean - m[i]) / Math.sqrt(v[i] / nsim));
    for (const yr of y) ss += (yr[i] - m[i]) ** 2;
    vs += nsim * v[i];
  }
  expect(maxZ).toBeLessThan(4.5);
  expect(Math.abs(ss / vs - 1)).toBeLessThan(0.05);
}
