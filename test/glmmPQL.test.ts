/**
 * glmmPQL (src/pql) against MASS 7.3-58.2's glmmPQL on nlme 3.1-162 (test/oracle/glmmpql.R,
 * test/fixtures/glmmpql): bacteria (binomial 0/1, the ?glmmPQL example; also probit), cbpp (proportions
 * with weights, and cbind), grouseticks (Poisson; nested ~ 1 | LOCATION/BROOD), a Poisson simulation with
 * corAR1, one with an offset and one with a random slope, a Gamma(log) simulation.
 *
 * Tolerances. The lme of each iteration is fitted by ML; its criterion is flat in the variance
 * parameters: given MASS's last working data (zz, invwt), our lme reaches a log-likelihood at least
 * nlme's (higher by 1e-12 to 3e-10 — checked below at 1e-11 relative), yet nlme's random-effect SDs
 * differ from ours by up to 1.7e-6 relative (gamma_log, both with nlme's default control and with the
 * tight one, lmeControl(tolerance = 1e-10, msTol = 1e-14, niterEM = 0, …), which glmmPQL passes on to
 * every lme) and its tight ticks fit's β from its own default fit by 7e-7: nlme's optimizer stops in
 * that flat direction, where a change of 1e-6 in an SD moves the log-likelihood by ~1e-10. So against
 * the `tight` record: β, SE, t, σ, the fitted values and the last working data at 2e-6 relative, the
 * random-effect SDs and corAR1's Phi at 5e-6, DF and the number of iterations exactly, p as t's error
 * moves it; against the `default` record (what a user of MASS gets), which differs from nlme's own tight
 * one by up to 1.1e-6 in β, SE and σ and 6.8e-6 in the SDs and Phi (sim_ar1), 1e-5 and 2e-5. The printout:
 * every line's words as R's and its numbers to R's printed digits (±1 in the last digit R printed) or
 * the record's SD tolerance (5e-6 tight, 2e-5 default).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import * as arrow from 'apache-arrow';
import { lme } from '../src/nlme/lme.js';
import { glmmPQL } from '../src/pql/glmmPQL.js';
import type { GlmmPqlFit } from '../src/pql/glmmPQLFit.js';
import { expectRel, expectVec } from './helpers/nlmeChecks.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fixture = (name: string): any => JSON.parse(readFileSync(`test/fixtures/glmmpql/${name}.json`, 'utf8'));
const DATA: Record<string, string> = { bacteria: 'bacteria', cbpp: 'cbpp', grouseticks: 'grouseticks', pql_sim: 'pql_sim', pql_gamma: 'pql_gamma' };
const table = (name: string, factors: string[] = []) => readCsv(readFileSync(`test/fixtures/data/${DATA[name]}.csv`, 'utf8'), { factors }).table;
const arr = <T>(x: T | T[]): T[] => ([] as T[]).concat(x);

/** The case's fit as the oracle's `ours` describes it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function fitCase(f: any, extra: Record<string, unknown> = {}): Promise<GlmmPqlFit> {
  const o = f.ours;
  const factors = o.factors ? arr<string>(o.factors) : [];
  return glmmPQL(o.fixed, o.random, table(f.data, factors), {
    family: o.family, ...(o.link ? { link: o.link } : {}), ...(o.weights ? { weights: o.weights } : {}),
    ...(o.correlation ? { correlation: o.correlation } : {}), ...(factors.length ? { factors } : {}), dataName: f.data, ...extra,
  });
}

/** Our numbers against one of the oracle's records (`tight` or `default`) at relative tolerance tol (the SDs and Phi at sdTol). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function expectAsMass(fit: GlmmPqlFit, r: any, tol: number, sdTol: number): void {
  const fx = r.fixef;
  expect(fit.tTable.map((t) => t.name)).toEqual(arr(fx.names));
  fit.tTable.forEach((t, j) => {
    expectRel(t.Value, arr<number>(fx.Value)[j], tol, `β ${t.name}`, tol * arr<number>(fx['Std.Error'])[j]);
    expectRel(t.StdError, arr<number>(fx['Std.Error'])[j], tol, `SE ${t.name}`);
    expect(t.DF, `DF ${t.name}`).toBe(arr<number>(fx.DF)[j]);
    expectRel(t.t, arr<number>(fx.t)[j], tol, `t ${t.name}`, tol);
    // p = 2 P(T_DF > |t|): |d log p / dt| ≤ |t| + 1, so t's relative error tol moves p by ≤ tol |t| (|t| + 1) relative
    expectRel(t.p, arr<number>(fx.p)[j], tol * Math.max(1, Math.abs(t.t) * (Math.abs(t.t) + 1)), `p ${t.name}`, 1e-12);
  });
  expectRel(fit.sigma, r.sigma, tol, 'σ');
  for (const l of fit.varCorrLevels) l.stdDev.forEach((v, k) => expectRel(v, arr<number>(r.reSD[l.level])[k], sdTol, `SD of ${l.level} ${l.names[k]}`));
  expectVec(fit.fitted(), r.fitted, tol, 'fitted (link, level Q)');
  expectVec(fit.fitted({ level: 0 }), r.fitted0, tol, 'fitted (link, level 0)');
  expectVec(fit.fitted({ type: 'response' }), r.response, tol, 'fitted (response)');
  expectVec(fit.predict(undefined, { type: 'response' }), r.response, tol, 'predict(type = "response")');
  expectVec(fit.ranef.values['(Intercept)'], arr(r.ranef), sdTol, 'ranef (innermost level)');
  if (r.corStruct) expectRel(fit.corStruct!.values[0], arr<number>(r.corStruct)[0], sdTol, 'Phi');
}

/** The printout as R's: the same lines, words equal, numbers to R's printed digits (±1 in its last digit) or tol relative. */
function expectPrintAsR(ours: string, theirs: string, tol: number): void {
  const a = ours.split('\n');
  const b = theirs.split('\n');
  expect(a.length, 'lines').toBe(b.length);
  const num = /^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/;
  a.forEach((line, i) => {
    const ta = line.trim().split(/\s+/);
    const tb = b[i].trim().split(/\s+/);
    expect(ta.length, `line ${i + 1}: '${line}' vs '${b[i]}'`).toBe(tb.length);
    ta.forEach((t, k) => {
      const u = tb[k];
      if (!num.test(u) || !num.test(t)) { expect(t, `line ${i + 1}`).toBe(u); return; }
      const dec = /\.(\d+)/.exec(u.split('e')[0]);
      const exp = /e([-+]?\d+)$/.exec(u);
      const ulp = 10 ** (-(dec ? dec[1].length : 0) + (exp ? Number(exp[1]) : 0));
      const d = Math.abs(Number(t) - Number(u));
      if (!(d <= 1.0001 * ulp || d <= tol * Math.abs(Number(u)))) expect.fail(`line ${i + 1}: ${t} vs R's ${u} ('${line}' vs '${b[i]}')`);
    });
  });
}

const CASES = ['bacteria', 'bacteria_probit', 'cbpp_prop', 'cbpp_cbind', 'ticks', 'ticks_nested', 'sim_ar1', 'sim_offset', 'sim_slope', 'gamma_log'];

describe('glmmPQL as MASS 7.3-58.2', () => {
  for (const name of CASES) {
    it(`${name}: the fit, the iterations and the printout as MASS's`, async () => {
      const f = fixture(name);
      const said: string[] = [];
      const fit = await fitCase(f, { verbose: (m: string) => said.push(m) });
      expect(fit.converged).toBe(true);
      expect(fit.iterations).toBe(f.niterTight);
      expect(said).toEqual(Array.from({ length: f.niterTight }, (_, k) => `iteration ${k + 1}`));
      expect(fit.nobs).toBe(f.nobs);
      expect(fit.logLik).toBeNull();
      expectAsMass(fit, f.tight, 2e-6, 5e-6);
      expectAsMass(fit, f.default, 1e-5, 2e-5);
      // the last lme's working data: zz (MASS's excludes the offset: ours is lme's response with the offset in its formula) and invwt
      const lme = fit.lme;
      const off = lme.model.frame.offset;
      expectVec(lme.model.frame.y.map((v, i) => v - (off ? off[i] : 0)), f.tight.zz, 2e-6, 'zz');
      const g = new Float64Array(fit.nobs);
      lme.rc.vf!.sd(new Float64Array(0), g);
      expectVec(g.map((v) => v * v), f.tight.invwt, 2e-6, 'invwt (varFixed: g² = invwt)');
      expectPrintAsR(fit.summary(), f.tight.print, 5e-6);
      expectPrintAsR(fit.summary(), f.default.print, 2e-5);
    });
  }

  for (const name of CASES) {
    it(`${name}: the lme stage on MASS's last working data reaches nlme's log-likelihood or more`, async () => {
      const f = fixture(name);
      const factors = f.ours.factors ? arr<string>(f.ours.factors) : [];
      for (const which of ['tight', 'default']) {
        const r = f[which];
        const t = table(f.data, factors).assign(new arrow.Table({ zz: arrow.vectorFromArray(r.zz, new arrow.Float64()), invwt: arrow.vectorFromArray(r.invwt, new arrow.Float64()) }));
        const m = await lme(f.lmeFixed, t, { random: f.ours.random, method: 'ML', weights: 'varFixed(~invwt)', ...(f.ours.correlation ? { correlation: f.ours.correlation } : {}), factors });
        const tol = 1e-11 * Math.abs(r.lmeLogLik);
        expect(m.logLik, `${which}: logLik ${m.logLik} vs nlme ${r.lmeLogLik}`).toBeGreaterThan(r.lmeLogLik - tol);
        expectRel(m.logLik, r.lmeLogLik, 1e-9, `${which}: logLik`);
      }
    });
  }

  it('bacteria: predict on new rows, link and response scales, levels 1 and 0 (MASS predict.glmmPQL)', async () => {
    const f = fixture('bacteria');
    const fit = await fitCase(f);
    const nd = f.newdata.slice(0, 3);
    const p = f.tight.predictNew;
    expectVec(fit.predict(nd), p.link1.slice(0, 3), 1e-6, 'link, level 1');
    expectVec(fit.predict(nd, { type: 'response' }), p.response1.slice(0, 3), 1e-6, 'response, level 1');
    expectVec(fit.predict(f.newdata, { level: 0 }), p.link0, 1e-6, 'link, level 0');
    expectVec(fit.predict(f.newdata, { level: 0, type: 'response' }), p.response0, 1e-6, 'response, level 0');
  });
});


describe('glmmPQL: options, edge cases and refusals', () => {
  const bacteria = () => table('bacteria');
  const FIXED = 'yy ~ trt + I(week > 2)';

  it('quasibinomial is the binomial fit (PQL estimates σ either way), its family recorded', async () => {
    const f = fixture('bacteria');
    const fit = await glmmPQL(FIXED, '~ 1 | ID', bacteria(), { family: 'quasibinomial' });
    expectAsMass(fit, f.tight, 2e-6, 5e-6);
    expect(fit.toJSON().call).toMatchObject({ fn: 'glmmPQL', family: 'quasibinomial', link: 'logit' });
  });

  it('a factor response (n/y: the first level failure, as MASS\'s bacteria$y) is the 0/1 fit', async () => {
    const f = fixture('bacteria');
    const rows = bacteria().toArray().map((r) => { const o = r.toJSON(); return { ...o, y: o.yy === 1 ? 'y' : 'n' }; });
    const fit = await glmmPQL('y ~ trt + I(week > 2)', '~ 1 | ID', rows, { family: 'binomial' });
    expectAsMass(fit, f.tight, 2e-6, 5e-6);
  });

  it('a data column named zz or invwt: the working columns take other names, the fit is the same', async () => {
    const f = fixture('bacteria');
    const t = bacteria();
    const clash = t.assign(new arrow.Table({ zz: arrow.vectorFromArray(Array.from({ length: t.numRows }, () => 1), new arrow.Float64()), invwt: arrow.vectorFromArray(Array.from({ length: t.numRows }, () => 2), new arrow.Float64()) }));
    const fit = await glmmPQL(FIXED, '~ 1 | ID', clash, { family: 'binomial' });
    expectAsMass(fit, f.tight, 2e-6, 5e-6);
    expect(fit.summary()).toContain(' Formula: ~invwt.1 ');
  });

  it('niter = 2: the last lme returned, converged false, a message saying so', async () => {
    const fit = await glmmPQL(FIXED, '~ 1 | ID', bacteria(), { family: 'binomial', niter: 2 });
    expect(fit.iterations).toBe(2);
    expect(fit.converged).toBe(false);
    expect(fit.messages.join('\n')).toMatch(/had not converged after niter = 2 lme fits/);
  });

  it('rows with a missing response or prior weight are dropped from the glm and every lme alike', async () => {
    const t = table('cbpp', ['herd', 'period']);
    const rows = t.toArray().map((r) => ({ ...r.toJSON() }));
    rows[3].incidence = null;
    rows[10].size = null;
    const fit = await glmmPQL('incidence/size ~ period', '~ 1 | herd', rows, { family: 'binomial', weights: 'size', factors: ['herd', 'period'] });
    expect(fit.nobs).toBe(t.numRows - 2);
    expect(fit.converged).toBe(true);
  });

  it('refusals: a binomial response outside [0, 1], a zero prior weight, a family or link not taken, no random, a bar in fixed, niter', async () => {
    const t = bacteria();
    const rows = t.toArray().map((r) => ({ ...r.toJSON() }));
    rows[5].yy = 2;
    await expect(glmmPQL(FIXED, '~ 1 | ID', rows, { family: 'binomial' })).rejects.toThrow(/the response 'yy' .*row 6/);
    const cb = table('cbpp', ['herd', 'period']).toArray().map((r) => ({ ...r.toJSON(), w: 1 }));
    cb[7].w = 0;
    await expect(glmmPQL('cbind(incidence, size - incidence) ~ period', '~ 1 | herd', cb, { family: 'binomial', weights: 'w', factors: ['herd', 'period'] }))
      .rejects.toThrow(/working weight w = a μ'\(η\)²\/V\(μ\) of row 8 is 0 \(at the glm start\): its prior weight is 0 .*drop the row/);
    // @ts-expect-error: not a family glmmPQL takes here
    await expect(glmmPQL(FIXED, '~ 1 | ID', t, { family: 'tweedie' })).rejects.toThrow(/family must be one of binomial, quasibinomial, poisson, quasipoisson, Gamma, got "tweedie"/);
    await expect(glmmPQL(FIXED, '~ 1 | ID', t, { family: 'binomial', link: 'inverse' })).rejects.toThrow(/binomial family takes the links .*got "inverse"/);
    // @ts-expect-error: random is required
    await expect(glmmPQL(FIXED, undefined, t, { family: 'binomial' })).rejects.toThrow(/random is required/);
    await expect(glmmPQL('yy ~ trt + (1 | ID)', '~ 1 | ID', t, { family: 'binomial' })).rejects.toThrow(/has a '\|' term: give the random effects as random/);
    await expect(glmmPQL('yy ~ .', '~ 1 | ID', t, { family: 'binomial' })).rejects.toThrow(/'\.' in the fixed formula 'yy ~ \.' is not taken/);
    await expect(glmmPQL(FIXED, '~ 1 | ID', t, { family: 'binomial', niter: 0 })).rejects.toThrow(/niter must be a whole number ≥ 1, got 0/);
    // @ts-expect-error: an unknown option
    await expect(glmmPQL(FIXED, '~ 1 | ID', t, { family: 'binomial', nAGQ: 2 })).rejects.toThrow(/unknown option 'nAGQ'/);
  });

  it('an lme that stops before its optimum stops PQL with the iteration named', async () => {
    await expect(glmmPQL(FIXED, '~ 1 | ID', bacteria(), { family: 'binomial', maxfun: 3 })).rejects.toThrow(/the lme of iteration 1 did not converge .*PQL cannot proceed/);
  });

  it('a signal: aborted before the fit, or during the second lme fit, rejects with an AbortError', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(glmmPQL(FIXED, '~ 1 | ID', bacteria(), { family: 'binomial', signal: ac.signal })).rejects.toMatchObject({ name: 'AbortError' });
    const ac2 = new AbortController();
    const said: string[] = [];
    const fit = glmmPQL(FIXED, '~ 1 | ID', bacteria(), { family: 'binomial', signal: ac2.signal, verbose: (m) => { said.push(m); if (m === 'iteration 2') ac2.abort(); } });
    await expect(fit).rejects.toMatchObject({ name: 'AbortError' });
    expect(said).toEqual(['iteration 1', 'iteration 2']);
  });

  it('predict: type must be link or response', async () => {
    const fit = await glmmPQL(FIXED, '~ 1 | ID', bacteria(), { family: 'binomial' });
    // @ts-expect-error: not a type
    expect(() => fit.fitted({ type: 'probability' })).toThrow(/type must be 'link' or 'response', got "probability"/);
  });
});
