/**
 * emtrends and joint_tests of glmmTMB fits (src/zeroinfl/emmeans.ts) against emmeans 1.8.4 on glmmTMB
 * 1.1.5's fits (test/oracle/zeroinfl_emtrends.R, fixtures in test/fixtures/zeroinfl_emtrends):
 * a zero-inflated NB1 `count ~ mined + cover + (1 | site)` with ziformula `~ cover` (the slope of cover
 * in the conditional and the zero-inflation components), a ZIP `count ~ mined * cover + spp + (1 | site)`
 * with `~ mined` (slopes by mined and their difference, slopes of spp by mined whose pairwise contrasts
 * are 0/0; joint tests of the conditional component, by mined, and of the zero model), a hurdle NB2's
 * dispersion component (`~ mined`), a beta GLMM `yb ~ x + f + (1 | g)` (trt.vs.ctrl of equal slopes), a
 * gaussian `yg ~ x + f + (1 | g)` with dispformula `~ f` (the overall slope; joint tests of cond and disp).
 * emtrends's slope is emmeans's forward difference with delta.var = 0.001 of the variable's range;
 * df = df.residual(fit) (glmmTMB's), so the tests are t and F tests.
 *
 * Two levels:
 *  - at glmmTMB's parameters (fit$fit$par and vcov(fit, full = TRUE)): slopes, SEs, interval ends, t
 *    ratios and F ratios within 1e-8 relative (an estimate or interval end near 0 relative to its SE), p-values 1e-8
 *    relative or 1e-12 absolute; df exactly; and the printouts (print.summary_emm, joint_tests's table)
 *    line for line;
 *  - from our own fit, against emmeans at glmmTMB's tight optimum (test/zeroinflEmmeans.test.ts's
 *    reasons): slopes within 1e-6 relative to their SE, SEs within 1e-5 relative, interval ends
 *    est ± t SE within 1e-6 + 2 × 1e-5 relative to max(|end|, SE) (t ≈ 2 times the SE's error),
 *    F ratios 1e-5 relative, p-values 1e-4 relative (or 1e-12 absolute).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';
import { buildZeroInflatedModel, type ZiFamily } from '../src/zeroinfl/model.js';
import type { ZeroInflatedFit } from '../src/zeroinfl/zeroInflatedFit.js';
import { type ZiEmtrendsOptions, zeroInflatedEmtrendsAt, zeroInflatedJointTestsAt } from '../src/zeroinfl/emmeans.js';
import type { EmmGrid } from '../src/inference/emmeans.js';
import type { JointTests } from '../src/inference/jointTests.js';
import type { ZiEmmParameters } from '../src/zeroinfl/emmBasis.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import { type ZeroinflArgs, runZeroinfl } from '../src/cli/zeroinflCommand.js';

const fixtures = join(import.meta.dirname, 'fixtures');
type Cell = string | number | null;
interface Table { columns: string[]; rows: Cell[][]; mesg?: string[] | string }
interface TrendResults { emm: Table; printed: string[]; contrasts: { args: { method: string }; result: Table; printed: string[] }[] }
interface JointResults { table: Table; printed: string[] }
interface Case {
  name: string; kind: 'emtrends' | 'joint_tests'; model: string; component: 'cond' | 'zi' | 'disp';
  specs?: string; var?: string; by?: string;
  emm?: Table; printed: string[]; contrasts?: TrendResults['contrasts']; table?: Table;
  tight: TrendResults & JointResults;
}
interface Params { par: number[]; vcov: number[]; df_residual: number; objective: number }
interface Model { data: string; formula: string; ziformula: string; dispformula: string; family: ZiFamily }
const fx = JSON.parse(readFileSync(join(fixtures, 'zeroinfl_emtrends', 'zeroinfl_emtrends.json'), 'utf8')) as {
  models: Record<string, Model>; params: Record<string, Params>; tightParams: Record<string, Params>; cases: Case[];
};
const DATA = {
  salamanders: readCsv(readFileSync(join(fixtures, 'data', 'salamanders.csv'), 'utf8')).table,
  tmbfamilies: readCsv(readFileSync(join(fixtures, 'data', 'tmbfamilies.csv'), 'utf8')).table,
} as Record<string, ReturnType<typeof readCsv>['table']>;
const optionsOf = (m: Model) => ({ family: m.family, ziformula: m.ziformula, dispformula: m.dispformula });
const list = (x: string[] | string | undefined) => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** the worst differences seen, relative, by tolerance (printed with EMM_REPORT=1) */
const worst = new Map<number, { v: number; at: string }>();
afterAll(() => {
  if (process.env.EMM_REPORT) for (const [tol, w] of worst) console.log(`tolerance ${tol}: worst ${w.v.toExponential(2)} at ${w.at}`);
});

/** a value against emmeans's (null: NA or NaN, our NaN), relative to max(|theirs|, scale) */
function close(ours: number, theirs: Cell, tol: number, what: string, scale = 0) {
  if (theirs === null) { expect(Number.isNaN(ours), `${what}: ${ours} for emmeans's NA`).toBe(true); return; }
  const t = Number(theirs);
  const d = Math.abs(ours - t);
  const rel = d / Math.max(Math.abs(t), scale, 1e-300);
  if (d > 1e-12 && !(rel <= (worst.get(tol)?.v ?? -1))) worst.set(tol, { v: rel, at: what });
  expect(d <= tol * Math.max(Math.abs(t), scale) || d <= 1e-12, `${what}: ${ours} vs emmeans ${t} (difference ${d.toExponential(2)})`).toBe(true);
}

interface Tol { est: number; se: number; F: number; p: number; printed: boolean }

function checkTrend(c: Case, ref: { emm: Table; printed: string[]; contrasts: TrendResults['contrasts'] }, g: EmmGrid, tol: Tol) {
  const nv = g.variables.length;
  expect(g.variables.map((v) => v.name)).toEqual(ref.emm.columns.slice(0, nv));
  expect(g.estimateName).toBe(ref.emm.columns[nv]);
  expect(g.rows.length).toBe(ref.emm.rows.length);
  g.rows.forEach((r, i) => {
    const exp = ref.emm.rows[i];
    g.variables.forEach((v, k) => expect(String(r.levels[v.name])).toBe(String(exp[k])));
    const what = `${c.name} row ${i + 1}`;
    close(r.emmean, exp[nv], tol.est, `${what} slope`, r.SE);
    close(r.SE, exp[nv + 1], tol.se, `${what} SE`);
    expect(r.df, `${what} df`).toBe(exp[nv + 2]);
    // an interval end est ± t SE carries the slope's error and t (≈ 2) times the SE's
    close(r.lower, exp[nv + 3], tol.est + 2 * tol.se, `${what} lower`, r.SE);
    close(r.upper, exp[nv + 4], tol.est + 2 * tol.se, `${what} upper`, r.SE);
  });
  expect(g.annotations).toEqual(list(ref.emm.mesg));
  if (tol.printed) expect(g.toString().split('\n'), `${c.name}: print(emtrends)`).toEqual([...ref.printed, '']);
  for (const k of ref.contrasts) {
    const res = g.contrast(k.args.method as 'pairwise');
    expect(res.rows.length).toBe(k.result.rows.length);
    const nb = res.by.length;
    expect(res.by).toEqual(k.result.columns.slice(1, 1 + nb));
    res.rows.forEach((r, i) => {
      const exp = k.result.rows[i].filter((_, j) => j === 0 || j > nb);
      const what = `${c.name} ${k.args.method} ${r.contrast}`;
      expect(r.contrast).toBe(exp[0]);
      res.by.forEach((b, j) => expect(String(r.by[b])).toBe(k.result.rows[i][1 + j]));
      close(r.estimate, exp[1], tol.est, `${what} estimate`, r.SE);
      close(r.SE, exp[2], tol.se, `${what} SE`);
      expect(r.df).toBe(exp[3]);
      // (0/0 where two slopes are equal: emmeans's NaN)
      close(r.ratio, exp[6], tol.se, `${what} t ratio`, 1);
      close(r.p, exp[7], tol.p, `${what} p`);
    });
    if (tol.printed) expect(res.toString().split('\n'), `${c.name}: print(contrast ${k.args.method})`).toEqual([...k.printed, '']);
  }
}

function checkJoint(c: Case, ref: JointResults, j: JointTests, tol: Tol) {
  const cols = ref.table.columns;
  expect(j.rows.length).toBe(ref.table.rows.length);
  // emmeans's table is ordered by term, its printout by the by groups
  const key = (term: Cell, by: Cell) => `${term}|${by ?? ''}`;
  const theirs = new Map(ref.table.rows.map((r) => [key(r[0], c.by ? r[1] : null), r]));
  const o = c.by ? 1 : 0;
  for (const r of j.rows) {
    const exp = theirs.get(key(r.term, c.by ? String(r.by[c.by]) : null))!;
    const what = `${c.name} ${r.term}`;
    expect(exp, what).toBeDefined();
    expect(r.df1, what).toBe(exp[1 + o]);
    expect(r.df2, what).toBe(exp[2 + o]);
    // emmeans's F.ratio is rounded to 3 decimals
    expect(Math.abs(r.F - Number(exp[3 + o])), `${what} F: ${r.F} vs ${exp[3 + o]}`).toBeLessThanOrEqual(5e-4 + tol.F * r.F);
    close(r.p, exp[4 + o], tol.p, `${what} p`);
  }
  expect(cols.slice(0, 1)).toEqual(['model term']);
  if (tol.printed) expect(j.toString().split('\n'), `${c.name}: print(joint_tests)`).toEqual([...ref.printed, '']);
}

function paramsAt(model: ReturnType<typeof buildZeroInflatedModel>, par: Params): ZiEmmParameters {
  const { p, pz, pd, nPar } = model;
  expect(par.par.length).toBe(nPar);
  const k = p + pz + pd;
  const V = new Float64Array(k * k);
  for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) V[a * k + b] = par.vcov[a * nPar + b];
  const x = par.par;
  return { beta: x.slice(0, p), gamma: x.slice(p, p + pz), delta: x.slice(p + pz, k), V };
}

const trendOptions = (c: Case): ZiEmtrendsOptions => ({ var: c.var!, component: c.component });
const yieldTask = () => new Promise((r) => setTimeout(r, 0));

describe("glmmTMB emtrends and joint_tests against emmeans 1.8.4 at glmmTMB's parameters", () => {
  const models = new Map<string, ReturnType<typeof buildZeroInflatedModel>>();
  const modelOf = (name: string) => {
    let m = models.get(name);
    if (!m) {
      const spec = fx.models[name];
      models.set(name, (m = buildZeroInflatedModel(spec.formula, DATA[spec.data], optionsOf(spec))));
    }
    return m;
  };
  const tol: Tol = { est: 1e-8, se: 1e-8, F: 1e-8, p: 1e-8, printed: true };
  for (const c of fx.cases) {
    it(`${c.kind} ${c.name}`, async () => {
      await yieldTask();
      const model = modelOf(c.model);
      const par = fx.params[c.model];
      expect(par.df_residual).toBe(model.n - model.nPar);
      const at = paramsAt(model, par);
      if (c.kind === 'emtrends') checkTrend(c, { emm: c.emm!, printed: c.printed, contrasts: c.contrasts! }, zeroInflatedEmtrendsAt(model, at, par.df_residual, c.specs!, trendOptions(c)), tol);
      else checkJoint(c, { table: c.table!, printed: c.printed }, zeroInflatedJointTestsAt(model, at, par.df_residual, { component: c.component, ...(c.by ? { by: c.by } : {}) }), tol);
    });
  }
});

describe("glmmTMB emtrends and joint_tests from our fit, against emmeans at glmmTMB's tight optimum", () => {
  const fits = new Map<string, Promise<ZeroInflatedFit>>();
  const fitOf = (name: string) => {
    let f = fits.get(name);
    if (!f) {
      const spec = fx.models[name];
      fits.set(name, (f = zeroInflated(spec.formula, DATA[spec.data], optionsOf(spec))));
    }
    return f;
  };
  const tol: Tol = { est: 1e-6, se: 1e-5, F: 1e-5, p: 1e-4, printed: false };
  for (const c of fx.cases) {
    it(`${c.kind} ${c.name}`, async () => {
      const fit = await fitOf(c.model);
      expect(Math.abs(fit.objective - fx.tightParams[c.model].objective)).toBeLessThan(1e-8);
      if (c.kind === 'emtrends') checkTrend(c, c.tight, fit.emtrends(c.specs!, trendOptions(c)), tol);
      else checkJoint(c, c.tight, fit.jointTests({ component: c.component, ...(c.by ? { by: c.by } : {}) }), tol);
    }, 60_000);
  }
});

describe('glmmTMB emtrends and joint_tests: bad input', () => {
  const model = buildZeroInflatedModel(fx.models.zinb1.formula, DATA.salamanders, optionsOf(fx.models.zinb1));
  const at = () => paramsAt(model, fx.params.zinb1);
  const df = fx.params.zinb1.df_residual;
  it('names the variable, the component, the option', () => {
    expect(() => zeroInflatedEmtrendsAt(model, at(), df, '~ mined', { var: 'spp' })).toThrow(OptionError);
    expect(() => zeroInflatedEmtrendsAt(model, at(), df, '~ mined', { var: 'mined' })).toThrow(/'mined' is not a numeric variable of the cond component's fixed part \(its covariates: cover\)/);
    expect(() => zeroInflatedEmtrendsAt(model, at(), df, '~ 1', { var: 'cover', component: 'zi', deltaVar: 0 })).toThrow(/nonzero deltaVar/);
    expect(() => zeroInflatedEmtrendsAt(model, at(), df, '~ mined', { var: 'cover', type: 'response' } as unknown as ZiEmtrendsOptions)).toThrow(/unknown emtrends option 'type'.*linear predictor's scale/);
    expect(() => zeroInflatedEmtrendsAt(model, at(), df, '~ mined', {} as ZiEmtrendsOptions)).toThrow(/needs options.var/);
    expect(() => zeroInflatedJointTestsAt(model, at(), df, { component: 'zi', by: 'mined' })).toThrow(/by: 'mined' is not a variable of the zi component's fixed part \(its variables: cover\)/);
    expect(() => zeroInflatedJointTestsAt(model, at(), df, { component: 'disp' })).toThrow(ModelError);
    expect(() => zeroInflatedJointTestsAt(model, at(), df, { component: 'both' as 'zi' })).toThrow(/component must be one of cond, zi, disp/);
    expect(() => zeroInflatedJointTestsAt(model, at(), df, { ddf: 'satterthwaite' } as never)).toThrow(/unknown joint tests option 'ddf'/);
    expect(() => zeroInflatedJointTestsAt(model, at(), df, { component: 'zi', by: 'cover' })).toThrow(/no variables besides the by variables/);
  });
});

describe('mixedgpu zeroinfl --emmeans --trend and --joint-tests (CLI)', () => {
  const run = async (extra: Record<string, unknown>) => {
    const out: string[] = [], err: string[] = [];
    const m = fx.models.zinb1;
    const code = await runZeroinfl({ file: join(fixtures, 'data', 'salamanders.csv'), formula: m.formula, family: m.family, zi: m.ziformula, quiet: true, ...extra } as ZeroinflArgs,
      { stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); }, stderrIsTTY: false });
    return { code, out: out.join(''), err: err.join('') };
  };
  const ref = (name: string) => fx.cases.find((c) => c.name === name)!;
  it("prints emtrends's slopes and contrasts, and joint_tests, as emmeans prints them at glmmTMB's tight optimum", async () => {
    const t = await run({ emmeans: '~ mined', trend: 'cover', contrast: 'pairwise' });
    expect(t.code, t.err).toBe(0);
    const c = ref('zinb1_cond_cover');
    expect(t.out.split('\n')).toEqual([...c.tight.printed, '', ...c.tight.contrasts[0].printed, '']);
    const j = await run({ jointTests: true, component: 'zi' });
    expect(j.code, j.err).toBe(0);
    expect(j.out.split('\n')).toEqual([...ref('zinb1_zi').tight.printed, '']);
    const json = await run({ jointTests: true, component: 'zi', json: true });
    const rows = (JSON.parse(json.out) as { joint_tests: { rows: { model_term: string; df1: number; df2: number }[] } }).joint_tests.rows;
    expect(rows.map((r) => [r.model_term, r.df1, r.df2])).toEqual([['cover', 1, fx.params.zinb1.df_residual]]);
  }, 60_000);
  it('refuses what is not for slopes or joint tests, naming the option', async () => {
    const a = await run({ emmeans: '~ mined', trend: 'cover', type: 'response' });
    expect(a.code).toBe(1);
    expect(a.err).toMatch(/--type and --offset are for means, not for the slopes of --trend/);
    const b = await run({ jointTests: true, at: 'cover=1' });
    expect(b.code).toBe(1);
    expect(b.err).toMatch(/--at is an option of the means.*--joint-tests takes --component and --by/);
    const c = await run({ jointTests: true, component: 'both' });
    expect(c.err).toMatch(/--component must be one of cond, zi, disp/);
    const d = await run({ jointTests: true, emmeans: '~ mined' });
    expect(d.err).toMatch(/give one of --emmeans, --joint-tests/);
  });
});
