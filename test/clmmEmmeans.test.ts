/**
 * emmeans of clmm fits (src/ordinal/emmBasis.ts, src/ordinal/emmeans.ts) against emmeans 1.8.4 on
 * ordinal 2022.11-16's clmm (test/oracle/clmm_emmeans.R, fixtures in test/fixtures/clmm_emmeans):
 * wine `rating ~ temp + contact + (1 | judge)` in every mode (latent, with rescale; linear.predictor by
 * `cut`, also back-transformed with odds ratios; cum.prob; exc.prob; prob with the response's
 * categories as a pseudo-factor; mean.class), pairs() with Tukey, trt.vs.ctrl (dunnettx), holm,
 * consec with Šidák, `by` groups; equidistant (logit) and symmetric (probit) thresholds, whose
 * Jacobian J_Θ enters every mode (and rescale's shift of every threshold parameter, emmeans's);
 * the interaction `temp * contact`; unbalanced cells with
 * proportional and cells weights (emmeans's mean.class grid keeps none); an empty cell (an aliased
 * column: nonEst means and contrasts in every mode); a probit fit with a
 * covariate at its mean and at `at` values; soup `SURENESS ~ PRODID + DAY + (1 | RESP)` with Tukey
 * over 6 products.
 *
 * Two levels, as the other emmeans tests:
 *  - at ordinal's parameters (R's α̂, β̂ and vcov restricted to them, as emm_basis.clmm): the grid, the
 *    basis and the delta method alone. Means, SEs and interval ends within 1e-8 relative (an estimate
 *    or interval end near 0 relative to its SE; worst seen 2.3e-9), p-values within 1e-8 relative or
 *    1e-12 absolute (all within 1e-12 absolute);
 *  - at our own fit, against emmeans on ordinal's fit moved to its tight optimum (the inner modes
 *    converged to 1e-12, nlminb and Newton steps; ordinal's own nlminb stops up to 3.4e-5 away in the
 *    parameters on these fits, which moves the means by more than the machinery's error), with clmm's
 *    Hessian there: the estimates (means, contrasts) within 1e-5 relative to their SE (worst seen
 *    5.4e-6); SEs, interval ends and z ratios within 5e-4 relative (worst seen 3.5e-4) and p-values 5e-3
 *    relative (worst 3e-3, a p of 7e-9). The SEs' tolerance is the fits' Hessians': both are deriv12's
 *    central differences (δ = 1e-4) at the same optimum, of the objective with clmm's inner modes
 *    stopped at max|grad| < 1e-4 in R and converged to 1e-10 here, and they differ by up to ~1e-4
 *    relative in Var(α̂, β̂) (test/clmm.test.ts: SEs within 5e-4 of clmm's); R's objective with its
 *    inner iteration at 1e-12 is no better a reference, its step halving fails at some of deriv12's
 *    points and its Hessian moves by ~1%.
 * emmeans's notes are compared as lists, less the interaction NOTE (emmeans prints it as a message).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as arrow from 'apache-arrow';
import { readCsv } from '../src/io/csv.js';
import { clmm } from '../src/ordinal/clmm.js';
import type { ClmmFit } from '../src/ordinal/clmmFit.js';
import { type ClmmEmmeansOptions, clmmEmmeansAt } from '../src/ordinal/emmeans.js';
import type { EmmGrid } from '../src/inference/emmeans.js';
import { expectEmmContrasts } from './helpers/emmContrasts.js';
import { buildClmmModel } from '../src/ordinal/model.js';
import { ModelError, OptionError } from '../src/errors/errors.js';

const fixtures = join(import.meta.dirname, 'fixtures');
type Cell = string | number | null;
interface Table { columns: string[]; rows: Cell[][]; mesg: string[] | string }
interface Results { emm: Table; printed: string; contrasts: { args: { method: string; by?: string; adjust?: string }; result: Table; printed: string }[] }
interface Case extends Results {
  name: string; model: string; specs: string; mode: string;
  options: { rescale?: number[]; type?: string; weights?: string; at?: Record<string, number[]> } | unknown[];
  /** emmeans at ordinal's tight optimum (coefficients and deriv12's Hessian there) */
  tight: Results;
}
const fx = JSON.parse(readFileSync(join(fixtures, 'clmm_emmeans', 'clmm_emmeans.json'), 'utf8')) as {
  models: Record<string, { data: string; formula: string; link: string; threshold?: string; drop?: number[]; emptyCell?: boolean }>;
  params: Record<string, { coef: number[]; names: string[]; vcov: number[]; logLik: number }>;
  tightParams: Record<string, { coef: number[]; objective: number }>;
  cases: Case[];
};

const csv = (name: string) => readFileSync(join(fixtures, 'data', name), 'utf8');
// wine with x = (bottle − 4.5) / 4, as the oracle adds it; wine_unbal without rows 1–5 and 20–21,
// wine_empty without the cell (warm, yes)
function wineTable(drop: number[] = [], emptyCell = false): arrow.Table {
  const lines = csv('wine.csv').trim().split('\n');
  const kept = [lines[0], ...lines.slice(1).filter((line, i) => !drop.includes(i + 1) && !(emptyCell && /,warm,yes,/.test(line)))];
  const t = readCsv(kept.join('\n')).table;
  return t.assign(arrow.tableFromArrays({ x: Float64Array.from(t.getChild('bottle')!.toArray() as Float64Array, (b) => (b - 4.5) / 4) }));
}
const dataOf = (m: { data: string; drop?: number[]; emptyCell?: boolean }) => (m.data === 'soup' ? readCsv(csv('soup.csv')).table : wineTable(m.drop ?? [], m.emptyCell === true));
const factorsOf = (m: { data: string }) => (m.data === 'soup' ? ['RESP', 'PRODID', 'DAY'] : ['judge']);
const list = (x: string[] | string) => (Array.isArray(x) ? x : [x]);
const notes = (m: string[]) => m.filter((x) => !x.startsWith('NOTE') && !x.startsWith("'weights' requested"));

function optionsOf(c: Case): ClmmEmmeansOptions {
  const o = (Array.isArray(c.options) ? {} : c.options) as { rescale?: number[]; type?: string; weights?: string; at?: Record<string, number[]> };
  return {
    mode: c.mode as ClmmEmmeansOptions['mode'],
    ...(o.rescale ? { rescale: o.rescale as [number, number] } : {}),
    ...(o.type ? { type: o.type as 'response' } : {}),
    ...(o.weights ? { weights: o.weights as 'proportional' } : {}),
    ...(o.at ? { at: o.at } : {}),
  };
}

/** the worst differences seen, by tolerance class (printed with EMM_REPORT=1) */
const worst = new Map<string, { v: number; at: string }>();
afterAll(() => {
  if (process.env.EMM_REPORT) for (const [k, w] of worst) console.log(`worst ${k}: ${w.v.toExponential(2)} (${w.at})`);
});

function close(ours: number, theirs: Cell, tol: number, what: string, kind: 'p' | 'value', scale = 0) {
  if (theirs !== null && theirs !== 'Inf') {
    const t = Number(theirs), d = Math.abs(ours - t);
    const v = kind === 'p' ? (d <= 1e-12 ? 0 : d / t) : d / Math.max(Math.abs(t), scale);
    const key = `${kind} @ ${tol}`;
    if (!(v <= (worst.get(key)?.v ?? -1))) worst.set(key, { v, at: what });
  }
  if (theirs === null) {
    expect(Number.isNaN(ours) || ours === Infinity, `${what}: ${ours} for emmeans's NA`).toBe(true);
    return;
  }
  const t = theirs === 'Inf' ? Infinity : Number(theirs);
  if (t === Infinity) { expect(ours, what).toBe(Infinity); return; }
  const d = Math.abs(ours - t);
  const ok = kind === 'p' ? d <= Math.max(tol * t, 1e-12) : d <= tol * Math.max(Math.abs(t), scale);
  expect(ok, `${what}: ${ours} vs emmeans ${t} (difference ${d.toExponential(2)})`).toBe(true);
}

/** tolerances: the estimates, the rest (SEs, interval ends, z ratios), the p-values */
interface Tolerances { est: number; tol: number; p: number; /** whether our printout is emmeans's, line for line (at ordinal's own parameters) */ printed?: boolean }

function checkCase(c: Case, ref: Results, g: EmmGrid, { est: etol, tol, p: ptol, printed }: Tolerances) {
  const nv = g.variables.length;
  expect(g.variables.map((v) => v.name)).toEqual(ref.emm.columns.slice(0, nv));
  // the estimate's column: emmeans's name (emmean, cumprob, exc.prob, prob, mean.class)
  expect(g.backTransformed ? g.responseLabel : g.estimateName).toBe(ref.emm.columns[nv]);
  expect(g.rows.length).toBe(ref.emm.rows.length);
  g.rows.forEach((r, i) => {
    const exp = ref.emm.rows[i];
    g.variables.forEach((v, k) => expect(String(r.levels[v.name])).toBe(String(exp[k])));
    const response = g.backTransformed;
    const ours = response ? [r.response!, r.responseSE!, r.df, r.responseLower!, r.responseUpper!] : [r.emmean, r.SE, r.df, r.lower, r.upper];
    const se = response ? r.responseSE! : r.SE;
    // an SE relative to itself, or to the estimate where rounding leaves it at ~1e-10 of it (a sum of
    // probabilities, whose SE is 0: emmeans's G V Gᵀ cancels to 0 in its order of operations, ours to 2e-10)
    const est = Math.abs(ours[0]);
    ours.forEach((v, k) => close(v, exp[nv + k], k === 0 ? etol : tol, `${c.name} row ${i + 1} ${ref.emm.columns[nv + k]}`, 'value', k === 1 ? est : se));
  });
  expect(notes(g.messages)).toEqual(notes(list(ref.emm.mesg)));
  if (printed) expect(g.toString().split('\n'), `${c.name}: print(emmeans)`).toEqual(`${ref.printed}\n`.split('\n'));
  expectEmmContrasts(g, ref.contrasts, c.name, { est: etol, tol, p: ptol, printed }, close, notes);
}

const yieldTask = () => new Promise((r) => setTimeout(r, 0));

describe('clmm emmeans against emmeans 1.8.4 at ordinal\'s parameters', () => {
  const models = new Map<string, ReturnType<typeof buildClmmModel>>();
  const modelOf = (name: string) => {
    let m = models.get(name);
    if (!m) {
      const spec = fx.models[name];
      models.set(name, (m = buildClmmModel(spec.formula, dataOf(spec), { link: spec.link as 'logit', threshold: (spec.threshold ?? 'flexible') as 'flexible', factors: factorsOf(spec) })));
    }
    return m;
  };
  for (const c of fx.cases) {
    it(c.name, async () => {
      await yieldTask();
      const model = modelOf(c.model);
      const par = fx.params[c.model];
      expect(par.names).toEqual([...model.thresholds.alphaNames, ...model.xnames]);
      const na = model.nAlpha;
      const g = clmmEmmeansAt(model, { alpha: par.coef.slice(0, na), beta: par.coef.slice(na), V: par.vcov }, c.specs, optionsOf(c));
      checkCase(c, c, g, { est: 1e-8, tol: 1e-8, p: 1e-8, printed: true });
    });
  }
});

describe('clmm emmeans against emmeans 1.8.4 at ordinal\'s tight optimum, from our fit', () => {
  const fits = new Map<string, Promise<ClmmFit>>();
  const fitOf = (name: string) => {
    let f = fits.get(name);
    if (!f) {
      const spec = fx.models[name];
      fits.set(name, (f = clmm(spec.formula, dataOf(spec), { link: spec.link as 'logit', threshold: (spec.threshold ?? 'flexible') as 'flexible', factors: factorsOf(spec) })));
    }
    return f;
  };
  for (const c of fx.cases) {
    it(c.name, async () => {
      const fit = await fitOf(c.model);
      // our optimum is ordinal's tight one
      expect(Math.abs(fit.logLik + fx.tightParams[c.model].objective)).toBeLessThan(1e-7);
      checkCase(c, c.tight, fit.emmeans(c.specs, optionsOf(c)), { est: 1e-5, tol: 5e-4, p: 5e-3 });
    });
  }
});

describe('clmm emmeans: the printout, JSON and bad input', () => {
  const wine = wineTable();
  const fitP = clmm('rating ~ temp + contact + (1 | judge)', wine, { factors: ['judge'] });

  it('the printout and JSON name the mode\'s estimate and the pseudo-factor', async () => {
    const fit = await fitP;
    const prob = fit.emmeans('~ rating | temp', { mode: 'prob' });
    // emmeans's blocks: one table per temp
    expect(prob.toString().split('\n').slice(0, 2)).toEqual(['temp = cold:', expect.stringMatching(/^ rating +prob +SE +df +asymp\.LCL +asymp\.UCL$/)]);
    expect(prob.toString()).toContain('\ntemp = warm:\n');
    const json = prob.toJSON() as { rows: Record<string, unknown>[] };
    expect(json.rows).toHaveLength(10);
    expect(Object.keys(json.rows[0])).toEqual(['rating', 'temp', 'prob', 'SE', 'df', 'lower', 'upper']);
    // each temperature's probabilities sum to 1
    for (const t of ['cold', 'warm']) expect(prob.rows.filter((r) => r.levels.temp === t).reduce((s, r) => s + r.emmean, 0)).toBeCloseTo(1, 12);
    const lp = fit.emmeans('~ temp', { mode: 'linear.predictor', type: 'response' });
    expect(lp.toString().split('\n')[0]).toMatch(/^ temp +cumprob +SE +df/);
    expect(lp.pairs().toString().split('\n')[0]).toMatch(/contrast +odds\.ratio +SE +df +null +z\.ratio +p\.value/);
    expect(fit.emmeans('~ temp', { mode: 'mean.class' }).toString()).toMatch(/mean\.class/);
    // the cut pseudo-factor's levels are the thresholds' names
    expect(fit.emmeans('~ cut', { mode: 'cum.prob' }).rows.map((r) => r.levels.cut)).toEqual(['1|2', '2|3', '3|4', '4|5']);
  });

  it('bad options are errors of the package\'s types that name the option and value', async () => {
    const fit = await fitP;
    expect(() => fit.emmeans('~ temp', { mode: 'probability' as never })).toThrow(OptionError);
    expect(() => fit.emmeans('~ temp', { mode: 'probability' as never })).toThrow(/mode must be one of latent, linear\.predictor.*probability/);
    expect(() => fit.emmeans('~ temp', { mode: 'prob', rescale: [0, 2] })).toThrow(/rescale is for mode 'latent'/);
    expect(() => fit.emmeans('~ temp', { rescale: [1, 0] })).toThrow(/nonzero scale/);
    expect(() => fit.emmeans('~ temp', { ddf: 'satterthwaite' as never })).toThrow(/asymptotic \(z\) inference/);
    expect(() => fit.emmeans('~ temp', { offset: 1 } as never)).toThrow(/unknown emmeans option 'offset'/);
    expect(() => fit.emmeans('~ cut')).toThrow(/'cut' is not a variable of the reference grid of mode 'latent'.*pseudo-factor of modes linear\.predictor/);
    expect(() => fit.emmeans('~ rating', { mode: 'cum.prob' })).toThrow(/pseudo-factor of mode 'prob'/);
    expect(() => fit.emmeans('~ judge')).toThrow(/groups random effects/);
    expect(() => fit.emmeans('~ temp', { at: { temp: 'hot' } })).toThrow(/'hot' is not a level of 'temp'/);
    expect(() => fit.emmeans('~ temp', { weights: 'heavy' as never })).toThrow(OptionError);
    expect(() => fit.emmeans('~ temp', { level: 95 })).toThrow(/level must be a number between 0 and 1/);
    expect(() => fit.emmeans('~ temp', { adjust: 'tukeyy' as never })).toThrow(OptionError);
  });

  it('mean.class: no weights (emmeans\'s grid keeps none), with emmeans\'s warning; labels that are not numbers count by position', async () => {
    const fit = await fitP;
    const eq = fit.emmeans('~ temp', { mode: 'mean.class' });
    const prop = fit.emmeans('~ temp', { mode: 'mean.class', weights: 'proportional' });
    expect(prop.rows.map((r) => r.emmean)).toEqual(eq.rows.map((r) => r.emmean));
    expect(prop.messages).toContain("'weights' requested but no weighting information is available");
    const words = wine.assign(arrow.tableFromArrays({ grade: Array.from(wine.getChild('rating')!.toArray() as Float64Array, (r) => ['e', 'd', 'c', 'b', 'a'][r - 1]) }));
    const wf = await clmm('grade ~ temp + contact + (1 | judge)', words, { factors: ['judge'], levels: ['e', 'd', 'c', 'b', 'a'] });
    const mc = wf.emmeans('~ temp', { mode: 'mean.class' });
    expect(mc.messages.some((m) => /not numbers; the mean class counts them by their positions 1 … 5/.test(m))).toBe(true);
    // the same classes 1 … 5 as the numeric ratings
    mc.rows.forEach((r, i) => expect(r.emmean).toBeCloseTo(eq.rows[i].emmean, 6));
  });

  it('a fit whose Hessian is not positive definite has no means; an aliased covariate leaves the means estimable', async () => {
    const fit = await fitP;
    const broken = Object.assign(Object.create(Object.getPrototypeOf(fit)), fit, { vcov: null }) as ClmmFit;
    expect(() => broken.emmeans('~ temp')).toThrow(ModelError);
    expect(() => broken.emmeans('~ temp')).toThrow(/variance-covariance matrix of the clmm fit is not defined/);
    // x2 = 2x + 1: aliased with x and the intercept, dropped by the frame
    const dup = wine.assign(arrow.tableFromArrays({ x2: Float64Array.from(wine.getChild('x')!.toArray() as Float64Array, (v) => 2 * v + 1) }));
    const model = buildClmmModel('rating ~ temp + contact + x + x2 + (1 | judge)', dup, { factors: ['judge'] });
    expect(model.xnames).toEqual(['tempwarm', 'contactyes', 'x']);
    const np = model.nAlpha + model.p;
    const V = new Float64Array(np * np);
    for (let a = 0; a < np; a++) V[a * np + a] = 0.1;
    for (const mode of ['latent', 'linear.predictor', 'prob', 'mean.class'] as const) {
      const g = clmmEmmeansAt(model, { alpha: [-1, 1, 4, 6], beta: [3, 2, 0.5], V }, '~ temp', { mode });
      expect(g.rows.every((r) => Number.isFinite(r.emmean) && r.SE >= 0), mode).toBe(true);
    }
  });
});

describe('clmm emmeans: small models', () => {
  it('an intercept-only model: the overall mean in every mode is the thresholds\' (F(Θ_j) at b = 0)', async () => {
    const wine = wineTable();
    const fit = await clmm('rating ~ 1 + (1 | judge)', wine, { factors: ['judge'] });
    const F = (x: number) => 1 / (1 + Math.exp(-x));
    const cum = Array.from(fit.Theta, F);
    const prob = fit.emmeans('~ rating', { mode: 'prob' });
    expect(prob.rows.map((r) => r.levels.rating)).toEqual(['1', '2', '3', '4', '5']);
    prob.rows.forEach((r, k) => expect(r.emmean).toBeCloseTo((k < 4 ? cum[k] : 1) - (k > 0 ? cum[k - 1] : 0), 14));
    fit.emmeans('~ cut', { mode: 'exc.prob' }).rows.forEach((r, j) => expect(r.emmean).toBeCloseTo(1 - cum[j], 14));
    const latent = fit.emmeans('~ 1');
    expect(latent.rows[0].levels['1']).toBe('overall');
    expect(latent.rows[0].emmean).toBeCloseTo(-fit.Theta.reduce((a, b) => a + b, 0) / 4, 12);
    const mc = fit.emmeans('~ 1', { mode: 'mean.class' }).rows[0].emmean;
    expect(mc).toBeCloseTo(prob.rows.reduce((a, r, k) => a + (k + 1) * r.emmean, 0), 12);
  });

  it('two categories: one cut point, and P(Y = 2) = 1 − P(Y ≤ 1) with the same SE', async () => {
    const wine = wineTable();
    const two = wine.assign(arrow.tableFromArrays({ rating2: Float64Array.from(wine.getChild('rating')!.toArray() as Float64Array, (r) => (r <= 2 ? 1 : 2)) }));
    const fit = await clmm('rating2 ~ temp + (1 | judge)', two, { factors: ['judge'] });
    const cum = fit.emmeans('~ temp', { mode: 'cum.prob' });
    const prob = fit.emmeans('~ rating2 | temp', { mode: 'prob' });
    expect(cum.rows).toHaveLength(2);
    expect(prob.rows).toHaveLength(4);
    cum.rows.forEach((r) => {
      const p2 = prob.rows.find((q) => q.levels.temp === r.levels.temp && q.levels.rating2 === '2')!;
      expect(p2.emmean).toBeCloseTo(1 - r.emmean, 14);
      expect(p2.SE).toBeCloseTo(r.SE, 12);
    });
  });
});

describe('mixedgpu clmm --emmeans (CLI)', () => {
  const run = async (args: Record<string, string | boolean>) => {
    let out = '', err = '';
    const { runClmm } = await import('../src/cli/clmmCommand.js');
    const code = await runClmm(args as never, { stdout: (s: string) => { out += s; }, stderr: (s: string) => { err += s; } } as never);
    return { code, out, err };
  };
  const file = join(fixtures, 'data', 'wine.csv');
  const formula = 'rating ~ temp + contact + (1 | judge)';

  it('prints the means and their contrasts, or their JSON', async () => {
    const r = await run({ file, formula, factors: 'judge', emmeans: '~ temp | rating', mode: 'prob', contrast: 'pairwise' });
    expect(r.code, r.err).toBe(0);
    const lines = r.out.split('\n');
    expect(lines.slice(0, 2)).toEqual(['rating = 1:', expect.stringMatching(/^ temp +prob +SE +df +asymp\.LCL +asymp\.UCL$/)]);
    expect(r.out).toMatch(/\nrating = 5:\n contrast +estimate +SE +df +z\.ratio +p\.value\n cold - warm /);
    const ref = fx.cases.find((c) => c.name === 'prob_pairs')!;
    const j = await run({ file, formula, factors: 'judge', emmeans: '~ temp | rating', mode: 'prob', contrast: 'pairwise', json: true });
    const out = JSON.parse(j.out) as { emmeans: { rows: { prob: number }[] }; contrasts: { rows: { estimate: number }[] } };
    out.emmeans.rows.forEach((row, i) => close(row.prob, ref.tight.emm.rows[i][2], 1e-5, `CLI row ${i + 1}`, 'value', Number(ref.tight.emm.rows[i][3])));
    expect(out.contrasts.rows).toHaveLength(5);
    const lat = await run({ file, formula, factors: 'judge', emmeans: 'temp,contact', rescale: '0,2' });
    expect(lat.code, lat.err).toBe(0);
    expect(lat.out.split('\n')[0]).toMatch(/^ temp +contact +emmean/);
  });

  it('refuses a bad --mode, --rescale, and the means\' options without --emmeans', async () => {
    const m = await run({ file, formula, factors: 'judge', emmeans: '~ temp', mode: 'odds' });
    expect(m.code).toBe(1);
    expect(m.err).toMatch(/--mode must be one of latent, linear\.predictor, cum\.prob, exc\.prob, prob, mean\.class, got 'odds'/);
    const r = await run({ file, formula, factors: 'judge', emmeans: '~ temp', rescale: '1' });
    expect(r.err).toMatch(/--rescale must be two numbers/);
    const s = await run({ file, formula, factors: 'judge', mode: 'prob' });
    expect(s.code).toBe(1);
    expect(s.err).toMatch(/--mode is an option of the means: give --emmeans SPECS/);
    const w = await run({ file, formula, factors: 'judge', emmWeights: 'cells' });
    expect(w.err).toMatch(/--emm-weights is an option of the means/);
  });
});
