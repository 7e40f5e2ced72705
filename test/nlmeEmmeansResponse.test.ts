/**
 * emmeans on the response scale of nlme fits with a transformed response (lme and gls of log(y), sqrt(y),
 * log1p(y): src/nlme/emmeans.ts with src/inference/emmeans.ts's responseScale) and emmeans of MASS's
 * glmmPQL fits (src/pql/emmeans.ts: emm_basis.lme on the last lme with the family's link, linkScale)
 * against emmeans 1.8.4 (test/oracle/nlme_emmeans_response.R → test/fixtures/nlme_emmeans_response/*.json;
 * data in test/fixtures/data). Each record's numbers and printout are compared as test/nlmeAnova.test.ts
 * compares the nlme means (test/helpers/nlmeEmmChecks.ts): the means (back-transformed: response, prob,
 * rate), SEs (the delta method's), interval ends, ratios and odds ratios, t ratios 1e-4 relative;
 * containment's and df.error's df exactly, Satterthwaite's 1e-3; p-values 1e-3; the printout exactly. The
 * fits themselves are checked first: β and the SEs 2e-6 relative of the oracle's tight-control fits
 * (test/glmmPQL.test.ts's tolerance for glmmPQL; the lme and gls fits agree far closer).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OptionError } from '../src/errors/errors.js';
import { lme } from '../src/nlme/lme.js';
import { gls } from '../src/nlme/gls.js';
import { glmmPQL } from '../src/pql/glmmPQL.js';
import type { LmeFit } from '../src/nlme/lmeFit.js';
import type { GlsFit } from '../src/nlme/glsFit.js';
import type { GlmmPqlFit } from '../src/pql/glmmPQLFit.js';
import { expectRel, nlmeData } from './helpers/nlmeChecks.js';
import { type NlmeEmmCall, type NlmeEmmRecord, expectNlmeEmm } from './helpers/nlmeEmmChecks.js';

const data = nlmeData({ grouseticks: ['YEAR', 'BROOD', 'LOCATION'] });
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const fixture = (name: string): any => JSON.parse(readFileSync(`test/fixtures/nlme_emmeans_response/${name}.json`, 'utf8'));
const arr = <T>(x: T | T[]): T[] => ([] as T[]).concat(x);

const CASES = ['lme_log', 'lme_log_by', 'lme_sqrt', 'lme_log1p_ml', 'gls_log', 'pql_binomial', 'pql_poisson', 'pql_poisson_nested', 'pql_probit', 'pql_offset', 'pql_cbind', 'pql_gamma'];

const fits = new Map<string, Promise<LmeFit | GlsFit | GlmmPqlFit>>();
function fitOf(name: string): Promise<LmeFit | GlsFit | GlmmPqlFit> {
  if (!fits.has(name)) {
    const o = fixture(name).ours;
    const d = data(o.data);
    fits.set(name, o.family
      ? glmmPQL(o.fixed, o.random, d, { family: o.family, ...(o.link ? { link: o.link } : {}), ...(o.factors ? { factors: arr(o.factors) } : {}), dataName: o.data })
      : o.random
        ? lme(o.fixed, d, { random: o.random, method: o.method, dataName: o.data })
        : gls(o.model, d, { correlation: o.correlation, method: o.method, dataName: o.data }));
  }
  return fits.get(name)!;
}

/** the oracle's call (R's list(specs, pairs, options), at = list(age = c(8, 14)) as a list) as ours */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function callOf(c: any): NlmeEmmCall {
  const options: Record<string, unknown> = { ...(Array.isArray(c.options) ? {} : c.options) };
  if (options.at) options.at = Object.fromEntries(Object.entries(options.at as Record<string, unknown>).map(([k, v]) => [k, arr(v)]));
  return { specs: c.specs, pairs: c.pairs, options };
}

describe('emmeans on the response scale: lme and gls of a transformed response, glmmPQL on its link', () => {
  for (const name of CASES) {
    it(`${name}: the fit, the means and contrasts, their printouts`, async () => {
      const f = fixture(name);
      const fit = await fitOf(name);
      const beta = Array.from(fit.beta), se = fit.tTable.map((r) => r.StdError);
      arr<number>(f.beta).forEach((b, j) => expectRel(beta[j], b, 2e-6, `${name}: β${j}`, 2e-6 * arr<number>(f.se)[j]));
      arr<number>(f.se).forEach((s, j) => expectRel(se[j], s, 2e-6, `${name}: SE${j}`));
      for (const [k, e] of Object.entries<NlmeEmmRecord>(f.emmeans)) {
        const call = callOf(f.calls[k]);
        const { regrid, ...options } = call.options ?? {};
        const g = fit.emmeans(call.specs, options as never);
        expectNlmeEmm(regrid ? g.regrid() : g, call, e, `${name} ${k}`);
      }
    });
  }

  it('the grid keeps the link-scale numbers beside the back-transformed ones (SE by the delta method)', async () => {
    const fit = await fitOf('pql_binomial');
    const link = fit.emmeans('~ trt'), resp = fit.emmeans('~ trt', { type: 'response' });
    resp.rows.forEach((r, i) => {
      const l = link.rows[i];
      expect(r.emmean).toBe(l.emmean);
      expect(r.response).toBeCloseTo(1 / (1 + Math.exp(-l.emmean)), 14);
      // SE(μ̂) = μ′(η̂) SE(η̂), μ′ = μ(1 − μ) for the logit
      expect(r.responseSE).toBeCloseTo(r.response! * (1 - r.response!) * l.SE, 14);
      expect(r.responseLower).toBeCloseTo(1 / (1 + Math.exp(-l.lower)), 14);
    });
    const j = resp.toJSON() as { type: string; response_label: string; rows: Record<string, unknown>[] };
    expect(j.type).toBe('response');
    expect(j.response_label).toBe('prob');
    expect(Object.keys(j.rows[0])).toEqual(expect.arrayContaining(['trt', 'emmean', 'prob', 'response_SE', 'response_lower', 'response_upper']));
  });
});

describe('emmeans of lme, gls and glmmPQL fits: bad input', () => {
  it('names the option, the mode, the type', async () => {
    const p = await fitOf('pql_binomial') as GlmmPqlFit;
    const m = await fitOf('lme_log') as LmeFit;
    const g = await fitOf('gls_log') as GlsFit;
    // emmeans's own Satterthwaite on a glmmPQL fit fails (the oracle's record), as ours refuses it
    expect(fixture('pql_binomial').satterthwaite).toBe('Unable to estimate Satterthwaite parameters');
    expect(() => p.emmeans('~ trt', { mode: 'satterthwaite' as never })).toThrow(/mode must be 'containment' or 'asymptotic' for a glmmPQL fit, not "satterthwaite" .*Unable to estimate Satterthwaite parameters/);
    expect(() => p.emmeans('~ trt', { type: 'prob' as never })).toThrow(OptionError);
    expect(() => p.emmeans('~ trt', { type: 'prob' as never })).toThrow(/type must be 'link' or 'response', not "prob"/);
    expect(() => m.emmeans('~ Sex', { type: 'resp' as never })).toThrow(/type must be 'link' or 'response'/);
    expect(() => g.emmeans('~ Sex', { regrid: true } as never)).toThrow(/unknown emmeans option 'regrid' for a gls fit/);
    expect(() => p.emmeans('~ ID')).toThrow(/'ID' is not a variable of the model's fixed part .*it groups random effects/);
    expect(() => p.emmeans('~ trt', { ddf: 'asymptotic' } as never)).toThrow(/unknown emmeans option 'ddf' for a glmmPQL fit .*the df method is `mode`/);
  });

  it('regrid of an untransformed grid keeps its means, SEs and df (g the identity); the regridded grid regrids to itself', async () => {
    const m = await lme('distance ~ age + Sex', data('Orthodont'), { random: '~ 1 | Subject' });
    const a = m.emmeans('~ Sex'), b = a.regrid(), c = b.regrid();
    expect(b.estimateName).toBe('emmean');
    expect(b.ddf).toBe('inherited from containment when re-gridding');
    expect(c.ddf).toBe(b.ddf);
    b.rows.forEach((r, i) => {
      expect(r.emmean).toBeCloseTo(a.rows[i].emmean, 12);
      expect(r.SE).toBeCloseTo(a.rows[i].SE, 12);
      expect(r.df).toBe(a.rows[i].df);
      expect(c.rows[i].emmean).toBeCloseTo(r.emmean, 12);
    });
    // a contrast's df: the smallest among the means it involves (containment's 26 and 25)
    expect(a.rows.map((r) => r.df)).toEqual([26, 25]);
    expect(b.pairs().rows[0].df).toBe(25);
    expect(b.pairs().rows[0].estimate).toBeCloseTo(a.pairs().rows[0].estimate, 12);
  });

  it('an untransformed response: type response changes nothing (emmeans: no transformation to undo)', async () => {
    const o = (await fitOf('lme_log') as LmeFit);
    const m = await lme('distance ~ age + Sex', data('Orthodont'), { random: '~ 1 | Subject' });
    const a = m.emmeans('~ Sex'), b = m.emmeans('~ Sex', { type: 'response' });
    expect(b.backTransformed).toBe(false);
    expect(b.toString()).toBe(a.toString());
    expect(o.emmeans('~ Sex', { type: 'response' }).backTransformed).toBe(true);
  });
});
