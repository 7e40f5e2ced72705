/**
 * The checks test/tmbfamilies.test.ts, tmbfamilies2.test.ts and tmbfamilies3.test.ts make of a glmmTMB-family
 * fit against their glmmTMB 1.1.5 / performance 0.10.2 fixtures (the same fixture layout from the oracle scripts).
 */
import type * as arrow from 'apache-arrow';
import { expect } from 'vitest';
import { ModelError } from '../../src/errors/errors.js';
import type { ZeroInflatedFit } from '../../src/zeroinfl/zeroInflatedFit.js';
import { type ZeroinflArgs, runZeroinfl } from '../../src/cli/zeroinflCommand.js';

export const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
/** jsonlite writes a one-element vector as a scalar */
export const arr = <T>(v: T | T[]): T[] => ([] as T[]).concat(v);

/**
 * The fit against glmmTMB's record: nobs and df exactly; each parameter within 1e-5 of the converged
 * optimum (`tight`, the oracle's refit; glmmTMB's own nlminb optimum within 5e-5: it stops up to 1.8e-5
 * from the converged one); the objective at most glmmTMB's (1e-12) and the converged one's (1e-10);
 * logLik, AIC, BIC 1e-8; SEs 1e-4; the coefficient tables; σ 1e-5 (NaN where glmmTMB has none); the
 * first random-effects SD 1e-5 (unless `sd` is false); predictions of every type 1e-5; ranef 1e-5.
 * `skip(k)`: a parameter on a flat ridge, its value and SE not compared.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function expectTmbFit(fit: ZeroInflatedFit, ref: any, options: { tight?: number[]; skip?: (k: number) => boolean; sd?: boolean } = {}): void {
  const tight = options.tight ?? ref.tight.par;
  const skip = options.skip ?? (() => false);
  expect(fit.nobs).toBe(ref.nobs);
  expect(fit.df).toBe(ref.df);
  fit.par.forEach((v, k) => {
    if (skip(k)) return;
    expect(Math.abs(v - tight[k])).toBeLessThan(1e-5 * Math.max(1, Math.abs(tight[k])));
    expect(Math.abs(v - ref.par[k])).toBeLessThan(5e-5 * Math.max(1, Math.abs(ref.par[k])));
  });
  expect(fit.objective - ref.objective_at_opt).toBeLessThan(1e-12 * ref.objective_at_opt);
  expect(rel(fit.objective, ref.tight.value)).toBeLessThan(1e-10);
  expect(rel(fit.logLik, ref.loglik)).toBeLessThan(1e-8);
  expect(rel(fit.AIC, ref.aic)).toBeLessThan(1e-8);
  expect(rel(fit.BIC, ref.bic)).toBeLessThan(1e-8);
  expect(fit.dfResid).toBe(ref.df_resid);
  for (let k = 0; k < fit.df; k++) {
    if (!skip(k)) expect(rel(Math.sqrt(fit.vcov[k * fit.df + k]), Math.sqrt(ref.vcov_full[k][k]))).toBeLessThan(1e-4);
  }
  expectCoefTables(fit, ref);
  if (ref.sigma === null) expect(fit.sigma).toBeNaN();
  else expect(rel(fit.sigma, ref.sigma)).toBeLessThan(1e-5);
  if (options.sd !== false) expect(rel(fit.varCorr[0].sd, arr<number>(ref.sd_re)[0])).toBeLessThan(1e-5);
  for (const type of ['response', 'conditional', 'zprob', 'disp'] as const) {
    const pr = fit.predict(type);
    const want: number[] = ref[`predict_${type}`];
    pr.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5 * Math.max(Math.abs(want[i]), type === 'zprob' ? 1 : 0)));
  }
  fit.predict('link').forEach((v, i) => expect(Math.abs(v - ref.predict_link[i])).toBeLessThan(1e-5 * Math.max(1, Math.abs(ref.predict_link[i]))));
  const re = fit.ranef[0];
  ref.ranef.levels.forEach((l: string | number, k: number) => expect(Math.abs(re.values[re.levels.indexOf(String(l))] - ref.ranef.values[k])).toBeLessThan(1e-5));
}

/**
 * print.summary.glmmTMB's head: the family, formula and zero-inflation/dispersion formula lines exactly
 * (and present in ours where in R's), the information line and its values, the dispersion line
 * (dispformula ~ 1) or its absence, and whether there is a "Dispersion model:" table.
 */
export function expectTmbPrintoutHead(text: string[], rLines: string[]): void {
  for (const l of rLines.filter((x) => /^( Family:|Formula:|Zero inflation:|Dispersion: )/.test(x))) expect(text).toContain(l);
  expect(text.some((l) => l.startsWith('Zero inflation:'))).toBe(rLines.some((l) => l.startsWith('Zero inflation:')));
  expect(text.some((l) => l.startsWith('Dispersion: '))).toBe(rLines.some((l) => l.startsWith('Dispersion: ')));
  const at = rLines.findIndex((l) => l.includes('df.resid'));
  expect(text).toContain(rLines[at]);
  expect(text).toContain(rLines[at + 1]);
  const dline = rLines.find((l) => /^Dispersion (parameter|estimate)/.test(l));
  if (dline) expect(text).toContain(dline);
  else expect(text.some((l) => /^Dispersion (parameter|estimate)/.test(l))).toBe(false);
  expect(text.includes('Dispersion model:')).toBe(rLines.includes('Dispersion model:'));
}

/**
 * A coefficient table of the printout (its last `header`, e.g. "Conditional model:"): the column header
 * exactly, each of its `nRows` rows' name exactly and numbers to the printed digits (the last printed
 * digit may differ by one: glmmTMB prints at its own optimum, 1.8e-5 from ours).
 */
export function expectPrintedTable(text: string[], rLines: string[], header: string, nRows: number): void {
  const theirs = rLines.lastIndexOf(header);
  const ours = text.lastIndexOf(header);
  expect(ours, header).toBeGreaterThanOrEqual(0);
  expect(text[ours + 1]).toBe(rLines[theirs + 1]);
  for (let k = 2; k <= nRows + 1; k++) {
    const a = text[ours + k].trim().split(/\s+/), b = rLines[theirs + k].trim().split(/\s+/);
    expect(a[0]).toBe(b[0]);
    expect(a.length).toBe(b.length);
    for (let c = 1; c < 4; c++) expect(Math.abs(Number(a[c]) - Number(b[c]))).toBeLessThanOrEqual(1.5e-3 * Math.max(1e-2, Math.abs(Number(b[c]))));
  }
}

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

/** `mixedgpu zeroinfl` with these arguments: its exit code and what it wrote to stdout and stderr. */
export async function runZeroinflCli(args: Record<string, string | boolean>): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await runZeroinfl(args as unknown as ZeroinflArgs, { stdout: (s: string) => { out += s; }, stderr: (s: string) => { err += s; } });
  return { code, out, err };
}
