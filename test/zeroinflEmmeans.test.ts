/**
 * emmeans of glmmTMB fits (src/zeroinfl/emmBasis.ts, src/zeroinfl/emmeans.ts) against emmeans 1.8.4 on
 * glmmTMB 1.1.5's fits (its own emm_basis.glmmTMB; test/oracle/zeroinfl_emmeans.R, fixtures in
 * test/fixtures/zeroinfl_emmeans): Salamanders ZIP `count ~ mined + spp + (1 | site)`, ziformula
 * `~ mined` — the conditional component on the log scale and back-transformed (rates, ratios), Tukey
 * over the 7 species and trt.vs.ctrl, a `by` case, proportional weights; the zero-inflation component on
 * the logit scale and as probabilities (odds ratios) —; a hurdle NB2 with dispformula `~ mined` (the
 * conditional component with holm, the zero (hurdle) model, the dispersion component, also
 * back-transformed); a beta GLMM `yb ~ x + f + (1 | g)` (logit: responses and odds ratios, a covariate
 * at `at` values, the overall mean); a zero-inflated NB1 `count ~ mined + cover + (1 | site)` with `~ cover`
 * (the `response` label of a non-Poisson log link, a covariate at `at` values by `mined` with poly
 * contrasts, the zero model's mean at the covariate's mean and at `at` values); a gaussian `yg ~ x + f + (1 | g)` with dispformula `~ f` (the
 * identity link: no back-transformation; the dispersion component, log σ², with trt.vs.ctrl and as
 * ratios); a ZIP with an offset log(w) (the grid's offset, w at its mean, and a constant `offset: 0`).
 * df = df.residual(fit) throughout (glmmTMB's). Worst seen (EMM_REPORT=1): 1.3e-10 at glmmTMB's
 * parameters; from our fit 3e-7 (estimates), 5.8e-5 (SEs, interval ends), 3.9e-5 (p-values).
 *
 * Two levels:
 *  - at glmmTMB's parameters (fit$fit$par and vcov(fit, full = TRUE) from the fixture): the grid, the
 *    basis and the delta method alone; means, SEs, interval ends and t ratios within 1e-8 relative
 *    (an estimate or interval end near 0 relative to its SE), p-values within 1e-8 relative or 1e-12
 *    absolute;
 *  - at our own fit, against emmeans on glmmTMB's fit moved to its tight optimum (Newton steps on TMB's
 *    gradient to max|gradient| < 1e-10, the sdreport there: glmmTMB's nlminb stops up to ~1e-5 away in
 *    the parameters, which moves the means by more than that): the estimates (means, contrasts) within
 *    1e-5 relative to their SE (or to themselves where larger); SEs, interval ends and t ratios within
 *    1e-4 relative and p-values 1e-3 relative: the SEs' tolerance is the fit's (test/zeroinfl.test.ts:
 *    SEs within 1e-4 of TMB's, central differences of the Laplace objective here, TMB's exact Hessian
 *    there).
 * A back-transformed mean's interval ends g⁻¹(η ± t SE) are compared on the link scale, where they are
 * computed (to 1e-4 relative to max(|end|, SE)): on the response scale the SE's relative error is
 * multiplied by t SE (a dispersion mean with SE 2 on the log scale: 3.9×).
 * emmeans's notes are compared as lists, less the interaction NOTE.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { readCsv } from '../src/io/csv.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';
import { buildZeroInflatedModel, type ZiFamily } from '../src/zeroinfl/model.js';
import type { ZeroInflatedFit } from '../src/zeroinfl/zeroInflatedFit.js';
import { type ZiEmmeansOptions, zeroInflatedEmmeansAt } from '../src/zeroinfl/emmeans.js';
import type { EmmGrid } from '../src/inference/emmeans.js';
import { expectEmmContrasts } from './helpers/emmContrasts.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import { type ZeroinflArgs, runZeroinfl } from '../src/cli/zeroinflCommand.js';

const fixtures = join(import.meta.dirname, 'fixtures');
type Cell = string | number | null;
interface Table { columns: string[]; rows: Cell[][]; mesg: string[] | string }
interface Results { emm: Table; printed: string; contrasts: { args: { method: string; adjust?: string }; result: Table; printed: string }[] }
interface Case extends Results {
  name: string; model: string; specs: string; component: string;
  options: { type?: string; weights?: string; at?: Record<string, number[]>; offset?: number } | unknown[];
  /** emmeans of glmmTMB's fit moved to its tight optimum (parameters and sdreport there) */
  tight: Results;
}
interface Params { par: number[]; names: string[]; vcov: number[]; df_residual: number; objective: number }
interface Model { data: string; formula: string; ziformula: string; dispformula: string; family: ZiFamily }
const fx = JSON.parse(readFileSync(join(fixtures, 'zeroinfl_emmeans', 'zeroinfl_emmeans.json'), 'utf8')) as {
  models: Record<string, Model>;
  params: Record<string, Params>;
  tightParams: Record<string, Params>;
  refused: Record<string, boolean>;
  cases: Case[];
};
const table = (f: string) => readCsv(readFileSync(join(fixtures, 'data', f), 'utf8')).table;
// Salamanders with the offset case's exposure w = 1 + (row number mod 3), as the oracle adds it
const sal = table('salamanders.csv');
const DATA = {
  salamanders: sal.assign(arrow.tableFromArrays({ w: Float64Array.from({ length: sal.numRows }, (_, i) => 1 + ((i + 1) % 3)) })),
  tmbfamilies: table('tmbfamilies.csv'),
} as Record<string, ReturnType<typeof table>>;
const list = (x: string[] | string) => (Array.isArray(x) ? x : [x]);
const notes = (m: string[]) => m.filter((x) => !x.startsWith('NOTE'));
const optionsOf = (m: Model) => ({ family: m.family, ziformula: m.ziformula, dispformula: m.dispformula });

function emmOptions(c: Case): ZiEmmeansOptions {
  const o = (Array.isArray(c.options) ? {} : c.options) as { type?: string; weights?: string; at?: Record<string, number[]>; offset?: number };
  return {
    component: c.component as ZiEmmeansOptions['component'],
    ...(o.type ? { type: o.type as 'response' } : {}),
    ...(o.weights ? { weights: o.weights as 'proportional' } : {}),
    ...(o.at ? { at: o.at } : {}),
    ...(o.offset !== undefined ? { offset: o.offset } : {}),
  };
}

/** the worst differences seen, by tolerance class (printed with EMM_REPORT=1) */
const worst = new Map<string, { v: number; at: string }>();
afterAll(() => {
  if (process.env.EMM_REPORT) for (const [k, w] of worst) console.log(`worst ${k}: ${w.v.toExponential(2)} (${w.at})`);
});

function close(ours: number, theirs: Cell, tol: number, what: string, kind: 'p' | 'value', scale = 0) {
  if (theirs !== null && theirs !== 'Inf' && Number.isFinite(Number(theirs))) {
    const t = Number(theirs), d = Math.abs(ours - t);
    const v = kind === 'p' ? (d <= 1e-12 ? 0 : d / t) : d === 0 ? 0 : d / Math.max(Math.abs(t), scale);
    const key = `${kind} @ ${tol}`;
    if (!(v <= (worst.get(key)?.v ?? -1))) worst.set(key, { v, at: what });
  }
  if (theirs === null) {
    expect(Number.isNaN(ours), `${what}: ${ours} for emmeans's NA`).toBe(true);
    return;
  }
  const t = theirs === 'Inf' ? Infinity : Number(theirs);
  if (t === Infinity) { expect(ours, what).toBe(Infinity); return; }
  const d = Math.abs(ours - t);
  const ok = kind === 'p' ? d <= Math.max(tol * t, 1e-12) : d <= tol * Math.max(Math.abs(t), scale);
  expect(ok, `${what}: ${ours} vs emmeans ${t} (difference ${d.toExponential(2)})`).toBe(true);
}

/** printed: whether our printout is emmeans's, line for line (at glmmTMB's own parameters) */
interface Tolerances { est: number; tol: number; p: number; printed?: boolean }

function checkCase(c: Case, ref: Results, g: EmmGrid, { est: etol, tol, p: ptol, printed }: Tolerances) {
  const nv = g.variables.length;
  // the link of a back-transformed grid, from emmeans's note
  const tran = /back-transformed from the (\w+) scale/.exec(list(ref.emm.mesg).join('\n'))?.[1];
  const link = tran === 'logit' ? (m: number) => Math.log(m / (1 - m)) : Math.log;
  if (g.backTransformed) expect(tran, `${c.name}: emmeans's note of the back-transformation`).toBeDefined();
  expect(g.variables.map((v) => v.name)).toEqual(ref.emm.columns.slice(0, nv));
  expect(g.backTransformed ? g.responseLabel : g.estimateName).toBe(ref.emm.columns[nv]);
  expect(g.rows.length).toBe(ref.emm.rows.length);
  g.rows.forEach((r, i) => {
    const exp = ref.emm.rows[i];
    g.variables.forEach((v, k) => expect(String(r.levels[v.name])).toBe(String(exp[k])));
    const response = g.backTransformed;
    const ours = response ? [r.response!, r.responseSE!, r.df, r.responseLower!, r.responseUpper!] : [r.emmean, r.SE, r.df, r.lower, r.upper];
    const se = response ? r.responseSE! : r.SE;
    ours.forEach((v, k) => {
      const what = `${c.name} row ${i + 1} ${ref.emm.columns[nv + k]}`;
      // a back-transformed interval end g⁻¹(η ± t SE) on the link scale, where it is computed: on the
      // response scale the SE's error is multiplied by t SE (a wide interval of exp(η))
      if (response && k >= 3) close(v === 0 ? -Infinity : link(v), exp[nv + k] === null ? null : link(Number(exp[nv + k])), tol, what, 'value', r.SE);
      else close(v, exp[nv + k], k === 0 ? etol : tol, what, 'value', k === 1 ? 0 : se);
    });
  });
  expect(notes(g.messages)).toEqual(notes(list(ref.emm.mesg)));
  if (printed) expect(g.toString().split('\n'), `${c.name}: print(emmeans)`).toEqual(`${ref.printed}\n`.split('\n'));
  expectEmmContrasts(g, ref.contrasts, c.name, { est: etol, tol, p: ptol, printed }, close, notes);
}

const yieldTask = () => new Promise((r) => setTimeout(r, 0));

describe("glmmTMB emmeans against emmeans 1.8.4 at glmmTMB's parameters", () => {
  const models = new Map<string, ReturnType<typeof buildZeroInflatedModel>>();
  const modelOf = (name: string) => {
    let m = models.get(name);
    if (!m) {
      const spec = fx.models[name];
      models.set(name, (m = buildZeroInflatedModel(spec.formula, DATA[spec.data], optionsOf(spec))));
    }
    return m;
  };
  for (const c of fx.cases) {
    it(c.name, async () => {
      await yieldTask();
      const model = modelOf(c.model);
      const par = fx.params[c.model];
      const { p, pz, pd, nPar } = model;
      expect(par.par.length).toBe(nPar);
      expect(par.df_residual).toBe(model.n - nPar);
      // (β, γ, δ)'s block of vcov(fit, full = TRUE)
      const k = p + pz + pd;
      const V = new Float64Array(k * k);
      for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) V[a * k + b] = par.vcov[a * nPar + b];
      const x = par.par;
      const g = zeroInflatedEmmeansAt(model, { beta: x.slice(0, p), gamma: x.slice(p, p + pz), delta: x.slice(p + pz, k), V }, par.df_residual, c.specs, emmOptions(c));
      checkCase(c, c, g, { est: 1e-8, tol: 1e-8, p: 1e-8, printed: true });
    });
  }
});

describe("glmmTMB emmeans against emmeans 1.8.4 at glmmTMB's tight optimum, from our fit", () => {
  const fits = new Map<string, Promise<ZeroInflatedFit>>();
  const fitOf = (name: string) => {
    let f = fits.get(name);
    if (!f) {
      const spec = fx.models[name];
      fits.set(name, (f = zeroInflated(spec.formula, DATA[spec.data], optionsOf(spec))));
    }
    return f;
  };
  for (const c of fx.cases) {
    it(c.name, async () => {
      const fit = await fitOf(c.model);
      expect(fit.dfResid).toBe(fx.params[c.model].df_residual);
      // our optimum is glmmTMB's tight one
      expect(Math.abs(fit.objective - fx.tightParams[c.model].objective)).toBeLessThan(1e-8);
      checkCase(c, c.tight, fit.emmeans(c.specs, emmOptions(c)), { est: 1e-5, tol: 1e-4, p: 1e-3 });
    });
  }
});

describe('glmmTMB emmeans: the printout, JSON and bad input', () => {
  const zipP = zeroInflated('count ~ mined + spp + (1 | site)', DATA.salamanders, { ziformula: '~ mined' });
  const betaP = zeroInflated('yb ~ x + f + (1 | g)', DATA.tmbfamilies, { family: 'beta_family' });

  it("the printout and JSON: the rate, the ratio contrasts, glmmTMB's residual df", async () => {
    const fit = await zipP;
    const g = fit.emmeans('~ mined', { type: 'response' });
    expect(g.toString().split('\n')[0]).toMatch(/^ mined +rate +SE +df +lower\.CL +upper\.CL$/);
    expect(g.toString().split('\n')[1]).toMatch(/ 633 /);
    expect(g.pairs().toString().split('\n')[0]).toMatch(/^ contrast +ratio +SE +df +null +t\.ratio +p\.value$/);
    const json = g.toJSON() as { ddf: string; rows: Record<string, unknown>[] };
    expect(json.ddf).toBe('residual');
    expect(json.rows[0].df).toBe(633);
    expect(json.rows[0].rate).toBeCloseTo(2.43, 2);
    // the zero model's probabilities are labelled 'response' (emmeans's inv.lbl without a family), its contrasts odds ratios
    const zi = fit.emmeans('~ mined', { component: 'zi', type: 'response' });
    expect(zi.toString().split('\n')[0]).toMatch(/^ mined +response +SE/);
    expect(zi.pairs().toString().split('\n')[0]).toMatch(/odds\.ratio/);
    // by groups from specs or the option are the same means
    const a = fit.emmeans('~ mined | spp').rows.map((r) => r.emmean);
    const b = fit.emmeans('~ mined', { by: 'spp' }).rows.map((r) => r.emmean);
    expect(b).toEqual(a);
  });

  it('refuses what glmmTMB 1.1.5 refuses, with the reason', async () => {
    const fit = await zipP;
    expect(fx.refused).toEqual({ zip_disp: true, beta_disp: true, zip_response: true });
    // a Poisson family has no dispersion parameter; a beta fit's dispformula ~ 1 has no disp block in glmmTMB's vcov
    expect(() => fit.emmeans('~ mined', { component: 'disp' })).toThrow(ModelError);
    expect(() => fit.emmeans('~ mined', { component: 'disp' })).toThrow(/no dispersion parameter/);
    const beta = await betaP;
    expect(() => beta.emmeans('~ f', { component: 'disp' })).toThrow(/dispformula '~ 1'/);
    expect(() => beta.emmeans('~ f', { component: 'zi' })).toThrow(/no zero-inflation model \(ziformula '~ 0'\)/);
    expect(() => fit.emmeans('~ mined', { component: 'response' as 'cond' })).toThrow(OptionError);
    expect(() => fit.emmeans('~ mined', { component: 'response' as 'cond' })).toThrow(/cond, zi and disp/);
    expect(() => fit.emmeans('~ mined', { component: 'cmean' as 'cond' })).toThrow(/component 'cmean'/);
    expect(() => fit.emmeans('~ mined', { component: 'count' as 'cond' })).toThrow(/component must be one of cond, zi, disp, not "count"/);
  });

  it('names the bad variable, option or value', async () => {
    const fit = await zipP;
    // spp is in the conditional model, not the zero model
    expect(() => fit.emmeans('~ spp', { component: 'zi' })).toThrow(/'spp' is not a variable of the reference grid of component 'zi' \(its variables: mined\); it is a variable of the cond component/);
    expect(() => fit.emmeans('~ site')).toThrow(/'site'.*groups random effects/);
    expect(() => fit.emmeans('~ nope')).toThrow(OptionError);
    expect(() => fit.emmeans('~ mined', { ddf: 'kenward-roger' } as never)).toThrow(/unknown emmeans option 'ddf'.*df\.residual/);
    expect(() => fit.emmeans('~ mined', { type: 'prob' as 'link' })).toThrow(/type must be 'link' or 'response'/);
    expect(() => fit.emmeans('~ mined', { weights: 'heavy' as 'equal' })).toThrow(/weights must be/);
    expect(() => fit.emmeans('~ mined', { at: { mined: 'maybe' } })).toThrow(/'maybe' is not a level of 'mined'/);
    expect(() => fit.emmeans('~ mined', { level: 2 })).toThrow(OptionError);
    expect(() => fit.emmeans('~ mined', { offset: Number.NaN })).toThrow(/offset must be a finite number, not NaN/);
  });

  it('a fit without a positive definite Hessian has no standard errors', async () => {
    const fit = await zipP;
    const broken = Object.create(fit) as typeof fit;
    Object.defineProperty(broken, 'vcov', { value: new Float64Array(fit.vcov.length).fill(NaN) });
    expect(() => broken.emmeans('~ mined')).toThrow(/not positive definite/);
  });
});

describe('mixedgpu zeroinfl --emmeans (CLI)', () => {
  const file = join(fixtures, 'data', 'salamanders.csv');
  const formula = 'count ~ mined + spp + (1 | site)';
  const run = async (args: ZeroinflArgs) => {
    let out = '', err = '';
    const code = await runZeroinfl(args, { stdout: (s: string) => { out += s; }, stderr: (s: string) => { err += s; } });
    return { code, out, err };
  };

  it('prints the means of a component and their contrasts, and their JSON', async () => {
    const ref = fx.cases.find((c) => c.name === 'zip_zi_response')!;
    const r = await run({ file, formula, zi: '~ mined', emmeans: '~ mined', component: 'zi', type: 'response', contrast: 'pairwise', quiet: true });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^ mined +response +SE +df/);
    expect(r.out).toMatch(/contrast +odds\.ratio/);
    const j = await run({ file, formula, zi: '~ mined', emmeans: 'mined', component: 'zi', type: 'response', contrast: 'pairwise', json: true });
    expect(j.code).toBe(0);
    const out = JSON.parse(j.out) as { emmeans: { ddf: string; rows: { response: number; df: number }[] }; contrasts: { ratio_label: string; rows: Record<string, number>[] } };
    expect(out.emmeans.ddf).toBe('residual');
    out.emmeans.rows.forEach((row, i) => {
      expect(row.df).toBe(633);
      close(row.response, ref.tight.emm.rows[i][1], 1e-5, `CLI row ${i + 1}`, 'value', Number(ref.tight.emm.rows[i][2]));
    });
    expect(out.contrasts.ratio_label).toBe('odds.ratio');
    close(out.contrasts.rows[0]['odds.ratio'], ref.tight.contrasts[0].result.rows[0][1], 1e-5, 'CLI odds ratio', 'value', Number(ref.tight.contrasts[0].result.rows[0][2]));
  });

  it("refuses a bad --component, --type, and the means' options without --emmeans", async () => {
    const c = await run({ file, formula, emmeans: '~ mined', component: 'response' });
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/--component must be one of cond, zi, disp/);
    const t = await run({ file, formula, emmeans: '~ mined', type: 'rate' });
    expect(t.err).toMatch(/--type must be link or response, got 'rate'/);
    const s = await run({ file, formula, component: 'zi' });
    expect(s.code).toBe(1);
    expect(s.err).toMatch(/--component is an option of the means: give --emmeans SPECS/);
    const o = await run({ file, formula, emmeans: '~ mined', offset: 'none' });
    expect(o.err).toMatch(/--offset must be a number, got 'none'/);
    const m = await run({ file, formula, emmeans: '~ mined', predict: 'response' });
    expect(m.err).toMatch(/give one of --predict, --emmeans/);
    // a variable of the conditional model asked of the zero model: the library's error, named
    const v = await run({ file, formula, zi: '~ mined', emmeans: '~ spp', component: 'zi', quiet: true });
    expect(v.code).toBe(1);
    expect(v.err).toMatch(/'spp' is not a variable of the reference grid of component 'zi'/);
  });
});
