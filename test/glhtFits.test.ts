/**
 * multcomp 1.4-22's glht() of nlme's lme (REML and ML) and gls, MASS's glmmPQL and glmmTMB 1.1.5 fits (a
 * component's coefficients) against R (test/oracle/glht_fits.R, fixtures in test/fixtures/glht_fits), at two levels:
 *   - at R's own β̂ and vcov (the fit's frame, R's numbers: GlhtModel): K, row names, type and df exactly;
 *     the estimates, covariance, statistics, the deterministic tests (univariate, holm, Shaffer), the Chisq
 *     and F global tests (F is multcomp's χ² with its warning where the fit has no df.residual: lme, gls,
 *     glmmPQL) and the univariate intervals at 1e-10 relative; single-step and Westfall p-values within
 *     4e-5 of references integrated to 2e-6 (ours to abseps 1e-5), the adjusted quantile within 2e-4;
 *     every printout line for line but the Fit line (R prints the call with the data's name);
 *   - at our fit: β̂ and vcov as the fits' own tests hold them — nlme's and glmmPQL's β within 2e-6 relative
 *     (test/nlmeEmmeansResponse.test.ts) and SEs 1e-4 (test/nlme.test.ts: our optimum's variance parameters
 *     differ from nlme's tight one in the 6th digit, Oats's SEs by 2e-6), glmmTMB's parameters 1e-6 ×
 *     max(1, |x|) of the converged optimum (Newton steps from glmmTMB's: its nlminb stops with a gradient up to
 *     3e-4 here) and SEs 1e-4 relative of its sdreport's (test/zeroinfl.test.ts) —, and glht's estimates and SEs
 *     within what those imply. glmmTMB's zero model's comparisons
 *     are R's matrix (multcomp's mcp finds only the conditional model's factors); ours by mcp give the same K.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { lme } from '../src/nlme/lme.js';
import { gls } from '../src/nlme/gls.js';
import { glmmPQL } from '../src/pql/glmmPQL.js';
import { zeroInflated } from '../src/zeroinfl/zeroInflated.js';
import type { ZeroInflatedFit } from '../src/zeroinfl/zeroInflatedFit.js';
import type { LmeFit } from '../src/nlme/lmeFit.js';
import { type GlhtGlobalResult, type GlhtModel, type GlhtTest, type GlhtTestResult, type HasGlhtModel, type Linfct, glht, mcp } from '../src/inference/glht.js';
import { printGlht, printGlhtConfint, printGlhtSummary } from '../src/inference/glhtPrint.js';
import { ModelError, OptionError } from '../src/errors/errors.js';
import { withoutFit } from './helpers/withoutFit.js';
import { close } from './helpers/closeR.js';

const fixtures = join(import.meta.dirname, 'fixtures');
interface Ours { kind: 'lme' | 'gls' | 'glmmPQL' | 'glmmTMB'; data: string; fixed?: string; random?: string; model?: string; correlation?: string; method?: 'REML' | 'ML'; family?: string; formula?: string; ziformula?: string; factors?: string[] }
interface Case {
  name: string; model: string; ours: Ours; linfct: { mcp?: Record<string, string>; K?: number[][]; rownames?: string[] }; component: string | null;
  beta: number[]; vcov: number[][]; df: number;
  K: number[][]; rownames: string[]; coefnames: string[]; rhs: number[]; alternative: string; type: string;
  estimate: number[]; covariance: number[][]; se: number[]; statistic: number[];
  tests: Record<string, { p: number[]; error: number }>;
  global: Record<'Chisq' | 'F', { type: 'Chisq' | 'F'; statistic: number; df: number[] | number; p: number; warning: string | null }>;
  confint: Record<'univariate' | 'adjusted', { quantile: number; lower: number[]; upper: number[] }>;
  prints: Record<string, string[]>; print_glht: string[];
  /** glmmTMB's component coefficients at the converged optimum (Newton steps from glmmTMB's) */
  converged: { beta: number[]; gradient: number } | null;
}
const fx = JSON.parse(readFileSync(join(fixtures, 'glht_fits', 'glht_fits.json'), 'utf8')) as { cases: Case[] };

const tables = new Map<string, ReturnType<typeof readCsv>['table']>();
function dataOf(o: Ours) {
  if (!tables.has(o.data)) tables.set(o.data, readCsv(readFileSync(join(fixtures, 'data', `${o.data}.csv`), 'utf8'), { factors: o.factors }).table);
  return tables.get(o.data)!;
}
const fits = new Map<string, Promise<HasGlhtModel>>();
function fitOf(c: Case): Promise<HasGlhtModel> {
  if (!fits.has(c.model)) {
    const o = c.ours, d = dataOf(o);
    fits.set(c.model, o.kind === 'lme' ? lme(o.fixed!, d, { random: o.random, method: o.method, dataName: o.data })
      : o.kind === 'gls' ? gls(o.model!, d, { correlation: o.correlation, method: o.method, dataName: o.data })
        : o.kind === 'glmmPQL' ? glmmPQL(o.fixed!, o.random!, d, { family: o.family as never, factors: o.factors, dataName: o.data })
          : zeroInflated(o.formula!, d, { family: o.family as never, ziformula: o.ziformula }));
  }
  return fits.get(c.model)!;
}

const component = (c: Case) => (c.component === null ? {} : { component: c.component });
const linfctOf = (c: Case): Linfct => (c.linfct.mcp ? mcp(c.linfct.mcp) : { K: c.linfct.K!, rowNames: c.linfct.rownames! });

describe("glht of lme, gls, glmmPQL and glmmTMB fits at R's β̂ and vcov", () => {
  for (const c of fx.cases) {
    it(c.name, async () => {
      const fit = await fitOf(c);
      // the fit's frame (its factors, contrasts, columns) with multcomp's β̂ and vcov
      const model: GlhtModel = { ...fit.glhtModel(c.component ?? undefined), beta: c.beta, vcov: c.vcov };
      const g = glht(model, linfctOf(c));
      expect(g.coefNames).toEqual(c.coefnames);
      expect(g.rowNames).toEqual(c.rownames);
      close(g.linfct.flat(), c.K.flat(), 0, 0, 'K');
      expect(g.type).toBe(c.type);
      expect(g.df).toBe(c.df);
      close(g.estimate, c.estimate, 1e-10, 1e-13, 'estimate');
      close(g.covariance.flat(), c.covariance.flat(), 1e-10, 1e-13, 'covariance');
      for (const [test, ref] of Object.entries(c.tests)) {
        const r = g.summary({ test: test as GlhtTest, abseps: 1e-5 }) as GlhtTestResult;
        close(r.statistic, c.statistic, 1e-10, 1e-12, `${test} statistic`);
        if (['univariate', 'holm', 'Shaffer'].includes(test)) close(r.pValue, ref.p, 1e-9, 1e-14, `${test} p`);
        else close(r.pValue, ref.p, 0, 4e-5 + ref.error, `${test} p`);
        if (['univariate', 'holm', 'Shaffer'].includes(test)) expect(withoutFit(printGlhtSummary(g, r)), test).toEqual(withoutFit(c.prints[test]));
      }
      for (const t of ['Chisq', 'F'] as const) {
        const r = g.summary({ test: t }) as GlhtGlobalResult;
        const e = c.global[t];
        expect(r.test).toBe(e.type);
        expect(r.warning ?? null).toBe(e.warning);
        close([r.statistic], [e.statistic], 1e-10, 0, `${t} statistic`);
        expect(r.df).toEqual([e.df].flat());
        close([r.pValue], [e.p], 1e-9, 1e-15, `${t} p`);
        // (the zero model's F: glmmTMB's df.residual, computed in the oracle — its parm has no printout of it)
        if (c.prints[t]) expect(printGlhtSummary(g, r), t).toEqual(c.prints[t]);
        else expect(`${c.name} ${t}`).toBe('tmb_sal_zi_dunnett F');
      }
      const u = g.confint({ calpha: 'univariate' });
      close(u.lower, c.confint.univariate.lower, 1e-10, 1e-12, 'univariate lower');
      close(u.upper, c.confint.univariate.upper, 1e-10, 1e-12, 'univariate upper');
      expect(withoutFit(printGlhtConfint(g, u))).toEqual(withoutFit(c.prints.confint_univariate));
      const a = g.confint({ abseps: 1e-5 });
      close([a.quantile], [c.confint.adjusted.quantile], 0, 2e-4, 'adjusted quantile');
      expect(withoutFit(printGlht(g))).toEqual(withoutFit(c.print_glht));
    });
  }
});

describe('glht of lme, gls, glmmPQL and glmmTMB fits: from our fit', () => {
  for (const c of fx.cases) {
    it(c.name, async () => {
      const fit = await fitOf(c);
      const m = fit.glhtModel(c.component ?? undefined);
      const tmb = c.ours.kind === 'glmmTMB';
      const seR = c.vcov.map((r, i) => Math.sqrt(r[i]));
      const se = m.vcov.map((r, i) => Math.sqrt(r[i]));
      // β̂ and its SEs as the fits' own tests hold them (see the header)
      if (tmb) close(Array.from(m.beta), c.converged!.beta, 1e-6, 1e-6, 'β');
      else close(Array.from(m.beta), c.beta, 2e-6, 0, 'β');
      close(se, seR, 1e-4, 0, 'SE');
      const g = glht(fit, linfctOf(c), component(c));
      close(g.linfct.flat(), c.K.flat(), 0, 0, 'K');
      // a contrast of two coefficients: twice their error (glmmTMB's at the converged optimum)
      const seH = c.se;
      const betaRef = tmb ? c.converged!.beta : c.beta;
      const estRef = c.K.map((row) => row.reduce((s, v, j) => s + v * betaRef[j], 0));
      close(g.estimate, estRef, 0, tmb ? 2e-6 * Math.max(1, ...estRef.map(Math.abs)) : 4e-6 * Math.max(...seH), 'estimate');
      close(g.covariance.map((r, i) => Math.sqrt(r[i])), seH, 2e-4, 0, 'SE of the hypotheses');
      const s = g.summary({ test: 'univariate' }) as GlhtTestResult;
      expect(s.pValue.length).toBe(c.rownames.length);
      // the Fit block: the fit's call as R prints it (R's ", control = …" and verbose left out; the data's name as
      // the file's, lower-cased; the glmmTMB fit here has none), broken where R's deparse breaks it
      const block = (lines: string[]) => { const at = lines.findIndex((l) => l.startsWith('Fit: ')); return lines.slice(at, lines.indexOf('', at)); };
      const printed = Object.values(c.prints).find((p) => p.some((l) => l.startsWith('Fit: lme') || l.startsWith('Fit: gls') || l.startsWith('Fit: glm')));
      // (the zero model's hypotheses are R's glht of parm(fixef(m)$zi, vcov(m)$zi): "Fit: NULL")
      if (!printed) { expect(c.component).toBe('zi'); return; }
      const ref = block(printed);
      const ours = block(printGlhtSummary(g, s));
      if (tmb) expect(ours.join('').replace(/\s+/g, ' ')).toBe(ref.join('').replace(/\s+/g, ' ').replace(/, (control|data|dispformula) = [^,)]+/g, ''));
      else expect(ours.map((l) => l.toLowerCase()), 'Fit').toEqual(ref.map((l) => l.replace(/, (control = \w+|verbose = FALSE)/, '').toLowerCase()));
    });
  }

  it("mcp on glmmTMB's zero model: the comparisons R gives as a matrix (multcomp's mcp2matrix finds only the conditional model's factors)", async () => {
    const c = fx.cases.find((x) => x.name === 'tmb_sal_zi_dunnett')!;
    const fit = await fitOf(c);
    const byMatrix = glht(fit, linfctOf(c), { component: 'zi' });
    const byMcp = (fit as ZeroInflatedFit).glht(mcp({ spp: 'Dunnett' }), { component: 'zi' });
    expect(byMcp.rowNames).toEqual(c.rownames);
    expect(byMcp.linfct).toEqual(byMatrix.linfct);
    expect(byMcp.estimate).toEqual(byMatrix.estimate);
    expect(byMcp.type).toBe('Dunnett');
  });

  it('refusals name the problem', async () => {
    const lmeCase = fx.cases.find((c) => c.ours.kind === 'lme')!;
    const tmbCase = fx.cases.find((c) => c.name === 'tmb_sal_dunnett')!;
    const l = await fitOf(lmeCase), t = await fitOf(tmbCase);
    // the fit's method is the function
    expect((l as LmeFit).glht(mcp({ Variety: 'Tukey' })).estimate).toEqual(glht(l, mcp({ Variety: 'Tukey' })).estimate);
    expect(() => glht(l, mcp({ Variety: 'Tukey' }), { component: 'zi' })).toThrow(OptionError);
    expect(() => glht(l, mcp({ Variety: 'Tukey' }), { component: 'zi' })).toThrow(/component is a glmmTMB fit's option .* an lme fit has one set/);
    expect(() => glht(t, mcp({ spp: 'Tukey' }), { component: 'both' })).toThrow(/component must be one of cond, zi, disp/);
    // the zero model of tmb_sal is ~ mined: spp is not in it
    expect(() => glht(t, mcp({ spp: 'Tukey' }), { component: 'zi' })).toThrow(ModelError);
    expect(() => glht(t, mcp({ spp: 'Tukey' }), { component: 'zi' })).toThrow(/'spp' was given in mcp\(\) but is not in the model's fixed effects \(mined\)/);
    // poisson: no dispersion coefficients
    expect(() => glht(t, mcp({ spp: 'Tukey' }), { component: 'disp' })).toThrow(/component 'disp' of this poisson fit has no coefficients/);
  });
});
