/**
 * Model comparison and term tests of glmmTMB fits (src/zeroinfl/anova.ts) against glmmTMB 1.1.5, car 3.1-1
 * and R 4.2's stats (test/oracle/tmb_anova.R, fixture test/fixtures/tmb_anova/tmb_anova.json):
 *   - anova(m0, m1, …): three nested zero-inflated Poisson fits on Salamanders, a ZIP against a ZINB (fits
 *     of different families, as glmmTMB allows), two REML gaussian fits with the same fixed effects; the
 *     table (order by Df, Df, AIC, BIC, logLik, deviance, Chisq, Chi Df, p) and glmmTMB's printout;
 *   - drop1(m, scope, test = "Chisq"): ZIP `count ~ mined`, `count ~ spp * mined` (drop.scope: the
 *     interaction; scope spp and spp:mined: spp inside the interaction gives Df 0, no p-value), a hurdle NB2,
 *     a gaussian with dispformula `~ x * f`; the refits are ours, R's moved to their tight optimum;
 *   - Anova(m, type, component): types II and III of the conditional, zero-inflation and dispersion
 *     models (interactions in each), at glmmTMB's tight parameters and vcov (the Wald stage alone) and at
 *     our own fit;
 *     and glmmTMB's type III of the zero model when the conditional model has no intercept (glmmTMB 1.1.5 omits
 *     the zero model's "(Intercept)" row there; here it is tested, with a note);
 *   - glmmTMB's and R's refusals (REML against ML, REML fits of other fixed effects, a trivial component,
 *     a scope term of the zero model).
 * Tolerances: the likelihood-ratio numbers (AIC, BIC, logLik, deviance, Chisq, LRT) 1e-8 relative and their
 * p-values 1e-8 relative: our fits and refits reach the tight optimum (test/zeroinfl.test.ts: the objective
 * to 1e-12); a Df-0 row's LRT (a term inside an interaction: the same model twice) within 1e-6 of 0.
 * Worst seen (TMB_ANOVA_REPORT=1): anova 2.0e-10, drop1 1.3e-10, Wald at glmmTMB's parameters 1.1e-12, Wald at
 * our fit 1.6e-4.
 * The Wald statistics at glmmTMB's parameters and vcov 1e-8 relative (p-values 1e-8 relative); at our own
 * fit 1e-3 relative (p-values 1e-3 relative): Var(x̂) here is the inverse of a central-difference Hessian
 * (Richardson-extrapolated), TMB's of the exact one, and the SEs agree to 1e-4 relative (test/zeroinfl.test.ts),
 * a χ² (a ratio of squares of such) to about twice that. The printouts line by line (the Wald tables: at
 * glmmTMB's parameters).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';
import { buildZeroInflatedModel, type ZiFamily } from '../src/zeroinfl/model.js';
import type { ZeroInflatedFit } from '../src/zeroinfl/zeroInflatedFit.js';
import { type TmbComponent, anovaTmb, tmbWaldAnovaAt } from '../src/zeroinfl/anova.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import { type ZeroinflArgs, runZeroinfl } from '../src/cli/zeroinflCommand.js';

interface Model { data: string; formula: string; zi: string; disp: string; family: ZiFamily; reml?: boolean }
interface Params { par: number[]; objective: number; loglik: number; df: number; vcov: number[][] | null; nobs: number }
type Num = number | null;
interface AnovaCase { label: string; models: string[]; order: string[]; Df: number[]; AIC: number[]; BIC: number[]; logLik: number[]; deviance: number[]; Chisq: Num[]; ChiDf: Num[]; p: Num[]; printed: string }
interface Drop1Case { label: string; model: string; scope: string[] | null; terms: string[]; Df: Num[]; AIC: number[]; LRT: Num[]; p: Num[]; printed: string }
interface WaldCase { model: string; type: 'II' | 'III'; component: TmbComponent; terms: string[]; Chisq: number[]; Df: number[]; p: number[]; printed: string }
const fx = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'tmb_anova', 'tmb_anova.json'), 'utf8')) as {
  models: Record<string, Model>; params: Record<string, Params>; anovas: AnovaCase[]; drop1: Drop1Case[]; Anova: WaldCase[];
  errors: Record<string, string>;
};
const table = (f: string) => readCsv(readFileSync(join(import.meta.dirname, 'fixtures', 'data', f), 'utf8')).table;
const DATA: Record<string, ReturnType<typeof table>> = {
  Salamanders: table('salamanders.csv'), tmbfamilies: table('tmbfamilies.csv'), sleepstudy: table('sleepstudy.csv'),
};
const optionsOf = (m: Model) => ({
  family: m.family, ziformula: m.zi, dispformula: m.disp, REML: m.reml === true, dataName: m.data,
  ...(m.data === 'sleepstudy' ? { factors: ['Subject'] } : {}),
});
const worst: Record<string, number> = {};
/** |a − b| / |b|, the worst of each kind kept for TMB_ANOVA_REPORT=1 */
const relOf = (kind: string) => (a: number, b: number) => {
  const r = a === b ? 0 : Math.abs(a - b) / Math.abs(b);
  worst[kind] = Math.max(worst[kind] ?? 0, r);
  return r;
};
let rel = relOf('lrt');
const lines = (s: string) => s.split('\n');
/** jsonlite's auto_unbox writes a vector of one as a scalar */
const list = <T,>(x: T | T[]): T[] => (Array.isArray(x) ? x : [x]);

const fits: Record<string, ZeroInflatedFit> = {};
const fit = (name: string) => fits[name];
afterAll(() => { if (process.env.TMB_ANOVA_REPORT) console.log(worst); });
beforeAll(async () => {
  // zip_noint is tested at glmmTMB's parameters only
  for (const [name, m] of Object.entries(fx.models)) if (name !== 'zip_noint') fits[name] = await zeroInflated(m.formula, DATA[m.data], optionsOf(m));
}, 600_000);

describe("glmmTMB's anova(m0, m1, …)", () => {
  for (const c of fx.anovas) {
    it(c.label, () => {
      rel = relOf('anova');
      const a = anovaTmb(c.models.map(fit), c.models);
      expect(a.names).toEqual(c.order);
      a.models.forEach((m, k) => {
        expect(m.npar).toBe(c.Df[k]);
        expect(rel(m.aic, c.AIC[k])).toBeLessThan(1e-8);
        expect(rel(m.bic, c.BIC[k])).toBeLessThan(1e-8);
        expect(rel(m.loglik, c.logLik[k])).toBeLessThan(1e-8);
        expect(rel(m.deviance, c.deviance[k])).toBeLessThan(1e-8);
      });
      a.tests.forEach((t, k) => {
        if (k === 0) { expect(t).toBeNull(); expect(c.Chisq[0]).toBeNull(); return; }
        expect(t!.df).toBe(c.ChiDf[k]);
        expect(rel(t!.chisq, c.Chisq[k]!)).toBeLessThan(1e-8);
        expect(rel(t!.p!, c.p[k]!)).toBeLessThan(1e-8);
      });
      expect(a.print).toEqual(lines(c.printed));
    });
  }

  it("refuses what glmmTMB refuses, with its reason", () => {
    expect(() => anovaTmb([fit('ss_s'), fit('ss_ml')])).toThrow(ModelError);
    expect(() => anovaTmb([fit('ss_s'), fit('ss_ml')])).toThrow(fx.errors.reml_ml);
    expect(() => anovaTmb([fit('ss_s'), fit('ss_0')])).toThrow(fx.errors.reml_fixed);
    expect(() => anovaTmb([fit('zip1')])).toThrow(/no single-model anova\(\) method for glmmTMB/);
    // other data, another response
    expect(() => anovaTmb([fit('zip1'), fit('gdisp')])).toThrow(/same data object/);
    expect(() => anovaTmb([fit('zip1'), fit('zip2')], ['a'])).toThrow(OptionError);
    expect(() => anovaTmb([fit('zip1'), { logLik: -1 } as never])).toThrow(/fit 2 is .* not a glmmTMB fit/);
  });

  it('models with the same number of parameters: no p-value (glmmTMB gives pchisq(χ², 0) = 0 for χ² > 0), a warning', async () => {
    const other = await zeroInflated('count ~ mined + cover + (1 | site)', DATA.Salamanders, { family: 'poisson', ziformula: '~1', dataName: 'Salamanders' });
    const a = anovaTmb([fit('zip1'), other], ['zip1', 'other']);
    expect(a.models.map((m) => m.npar)).toEqual([5, 5]);
    expect(a.tests[1]!.df).toBe(0);
    expect(a.tests[1]!.p).toBeNull();
    expect(a.tests[1]!.chisq).toBeCloseTo(2 * Math.max(0, other.logLik - fit('zip1').logLik), 10);
    expect(a.messages.join(' ')).toMatch(/same number of parameters \(5\): no test/);
  });

  it('replaces duplicated names by MODEL1, MODEL2, … with glmmTMB\'s warning', () => {
    const a = anovaTmb([fit('zip0'), fit('zip1')], ['m', 'm']);
    expect(a.names).toEqual(['MODEL1', 'MODEL2']);
    expect(a.messages).toContain('failed to find unique model names, assigning generic names');
  });
});

describe("stats' drop1(m, test = 'Chisq') of a glmmTMB fit", () => {
  for (const c of fx.drop1) {
    it(c.label, async () => {
      const f = fit(c.model);
      rel = relOf('drop1');
      const d = await f.drop1({ test: 'Chisq', ...(c.scope ? { scope: c.scope } : {}) });
      expect(d.rows.map((r) => r.term)).toEqual(list(c.terms));
      expect(rel(d.none.AIC, c.AIC[0])).toBeLessThan(1e-8);
      d.rows.forEach((r, k) => {
        expect(r.Df).toBe(c.Df[k + 1]);
        expect(rel(r.AIC, c.AIC[k + 1])).toBeLessThan(1e-8);
        if (c.Df[k + 1] === 0) {
          // a term inside an interaction: the same column space, LRT 0 up to the two optima's agreement
          expect(Math.abs(r.LRT!)).toBeLessThan(1e-6);
          expect(r.p).toBeNull();
          expect(c.p[k + 1]).toBeNull();
        } else {
          expect(rel(r.LRT!, c.LRT[k + 1]!)).toBeLessThan(1e-8);
          expect(rel(r.p!, c.p[k + 1]!)).toBeLessThan(1e-8);
        }
      });
      expect(d.print).toEqual(lines(c.printed));
    }, 300_000);
  }

  it('refuses a scope term of the zero-inflation model, with R\'s reason and where the term is', async () => {
    await expect(fit('zimc').drop1({ scope: ['mined'] })).rejects.toThrow(fx.errors.scope_zi);
    await expect(fit('zimc').drop1({ scope: ['mined'] })).rejects.toThrow(/term of the zero-inflation model/);
    await expect(fit('zimc').drop1({ test: 'F' as never })).rejects.toThrow(OptionError);
    await expect(fit('ss_s').drop1()).rejects.toThrow(/REML/);
  });
});

describe("car's Anova(m, type, component) of a glmmTMB fit", () => {
  // zip_noint: glmmTMB's quirk, tested below
  for (const c of fx.Anova.filter((c) => c.model !== 'zip_noint')) {
    const label = `${c.model}: type ${c.type}, component ${c.component}`;
    it(`${label}, at glmmTMB's parameters and vcov`, () => {
      const m = fx.models[c.model];
      const p = fx.params[c.model];
      const model = buildZeroInflatedModel(m.formula, DATA[m.data], optionsOf(m));
      rel = relOf('wald at glmmTMB');
      const a = tmbWaldAnovaAt(model, p.par, p.vcov!.flat(), { type: c.type, component: c.component });
      expect(a.rows.map((r) => r.term)).toEqual(list(c.terms));
      a.rows.forEach((r, k) => {
        expect(r.df).toBe(list(c.Df)[k]);
        expect(rel(r.chisq, list(c.Chisq)[k])).toBeLessThan(1e-8);
        expect(rel(r.p, list(c.p)[k])).toBeLessThan(1e-8);
      });
      expect(a.print).toEqual(lines(c.printed));
    });
    it(`${label}, at our fit`, () => {
      rel = relOf('wald at our fit');
      const a = fit(c.model).Anova({ type: c.type === 'II' ? 2 : 3, component: c.component });
      expect(a.rows.map((r) => r.term)).toEqual(list(c.terms));
      a.rows.forEach((r, k) => {
        expect(r.df).toBe(list(c.Df)[k]);
        expect(rel(r.chisq, list(c.Chisq)[k])).toBeLessThan(1e-3);
        expect(rel(r.p, list(c.p)[k])).toBeLessThan(1e-3);
      });
    });
  }

  it("type III of the zero model when the conditional model has no intercept: the zero model's own intercept tested, a note on glmmTMB's table", () => {
    const c = fx.Anova.find((x) => x.model === 'zip_noint')!;
    const m = fx.models.zip_noint;
    const model = buildZeroInflatedModel(m.formula, DATA[m.data], optionsOf(m));
    const p = fx.params.zip_noint;
    const a = tmbWaldAnovaAt(model, p.par, p.vcov!.flat(), { type: 'III', component: 'zi' });
    // glmmTMB 1.1.5 reads has.intercept of the conditional model: its table has the mined row only
    expect(list(c.terms)).toEqual(['mined']);
    expect(a.rows.map((r) => r.term)).toEqual(['(Intercept)', 'mined']);
    expect(rel(a.rows[1].chisq, list(c.Chisq)[0])).toBeLessThan(1e-8);
    expect(rel(a.rows[1].p, list(c.p)[0])).toBeLessThan(1e-8);
    // the intercept's row: z² of the zero model's intercept
    const k = model.p;
    expect(rel(a.rows[0].chisq, p.par[k] ** 2 / p.vcov![k][k])).toBeLessThan(1e-12);
    expect(a.messages.join(' ')).toMatch(/glmmTMB 1\.1\.5's type III table reads the conditional model's intercept/);
  });

  it('refuses a trivial component, as glmmTMB', () => {
    const msg = (e: string) => e.replace(/[‘’]/g, "'");
    expect(() => fit('zip1').Anova({ component: 'disp' })).toThrow(msg(fx.errors.trivial_disp));
    expect(() => fit('zinb2').Anova({ component: 'disp' })).toThrow(msg(fx.errors.trivial_disp_nb));
    expect(() => fit('gdisp').Anova({ component: 'zi' })).toThrow(msg(fx.errors.trivial_zi));
    expect(() => fit('zip1').Anova({ component: 'both' as never })).toThrow(OptionError);
    expect(() => fit('zip1').Anova({ type: 'I' as never })).toThrow(OptionError);
    expect(() => fit('zip1').Anova({ test: 'F' as never })).toThrow(/F tests currently unavailable/);
  });
});

describe('mixedgpu zeroinfl --compare, --anova, --drop1', () => {
  const file = join(import.meta.dirname, 'fixtures', 'data', 'salamanders.csv');
  const run = async (args: ZeroinflArgs) => {
    let out = '', err = '';
    const code = await runZeroinfl(args, { stdout: (s: string) => { out += s; }, stderr: (s: string) => { err += s; } });
    return { code, out, err };
  };
  // the CLI's "Data:" line is the file's name
  const asFile = (printed: string) => lines(printed).map((l) => l.replace(/^Data: Salamanders$/, 'Data: salamanders'));

  it("--compare: glmmTMB's anova of this fit and the others (m0, m1, …), a spec's own family", async () => {
    const r = await run({ file, formula: fx.models.zip0.formula, zi: '~mined', compare: [fx.models.zip1.formula], quiet: true });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    // the library's table of the same fits under the CLI's names (the table itself is compared with R's above)
    expect(r.out.trimEnd().split('\n')).toEqual(asFile(anovaTmb([fit('zip0'), fit('zip1')], ['m0', 'm1']).print.join('\n')));
    const j = await run({ file, formula: fx.models.zip1.formula, zi: '~mined', compare: [`${fx.models.zip1.formula}; family=nbinom2`], json: true });
    expect(j.code).toBe(0);
    const parsed = JSON.parse(j.out) as { names: string[]; heading: string[]; models: { npar: number; loglik: number }[]; tests: ({ chisq: number; df: number; p: number } | null)[] };
    expect(parsed.names).toEqual(['m0', 'm1']);
    expect(parsed.models.map((m) => m.npar)).toEqual([5, 6]);
    expect(rel(parsed.models[0].loglik, fx.params.zip1.loglik)).toBeLessThan(1e-8);
    expect(parsed.tests[1]!.df).toBe(1);
    expect(parsed.tests[1]!.chisq).toBeCloseTo(2 * Math.max(0, parsed.models[1].loglik - parsed.models[0].loglik), 10);
  }, 120_000);

  it("--anova 3 --component zi: car's Anova of the zero model", async () => {
    const ref = fx.Anova.find((c) => c.model === 'zip1' && c.component === 'zi')!;
    const r = await run({ file, formula: fx.models.zip1.formula, zi: '~mined', anova: '3', component: 'zi', quiet: true });
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n')).toEqual(lines(ref.printed));
  }, 60_000);

  it("--drop1: stats' drop1 table", async () => {
    const ref = fx.drop1.find((c) => c.model === 'zip1')!;
    const r = await run({ file, formula: fx.models.zip1.formula, zi: '~mined', drop1: true, quiet: true });
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n')).toEqual(lines(ref.printed));
  }, 60_000);

  it('refuses stray and bad options by name', async () => {
    for (const [args, msg] of [
      [{ scope: 'mined' }, /--scope and --test are options of --drop1/],
      [{ anova: 'I' }, /--anova takes the type II/],
      [{ anova: true, component: 'both' }, /--component must be one of cond, zi, disp/],
      [{ drop1: true, test: 'F' }, /unknown --test 'F'/],
      [{ compare: ['mined + cover'] }, /begin with the model's formula/],
      [{ compare: ['count ~ (1 | site); ziformula=~1'] }, /is not zi=~…, disp=~… or family=NAME/],
      [{ anova: true, drop1: true }, /give one of --anova, --drop1/],
    ] as [Partial<ZeroinflArgs>, RegExp][]) {
      const r = await run({ file, formula: fx.models.zip1.formula, zi: '~mined', ...args });
      expect(r.code).toBe(1);
      expect(r.err).toMatch(msg);
    }
  });
});
