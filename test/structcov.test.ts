/**
 * Structured covariances of random effects (glmmTMB's ar1, cs, diag, toep, ou; src/model/covStructure.ts,
 * src/lmm/structured.ts) against glmmTMB 1.1.5 (test/oracle/structcov.R → test/fixtures/structcov/).
 *
 * Two levels, REML and ML:
 *  1. the machinery at glmmTMB's optimum: glmmTMB's own parameters (its theta: log-SDs and
 *     transformed correlations; σ from its betad = log σ²) mapped by our ψ → θ give the Cholesky
 *     factor of glmmTMB's VarCorr (≤ 1e-9 absolute), and lme4's profiled criterion there equals the
 *     oracle's dense evaluation (V₀ = Z(Σ/σ²)Zᵀ + I in R) to 1e-9 relative; Satterthwaite's ddf of
 *     each coefficient (varpar = the structures' parameters and σ, src/inference/structuredSatterthwaite.ts)
 *     equal the oracle's (lmerTest's recipe with analytic derivatives of the dense criterion, checked
 *     there against lmerTest itself) to 1e-6 relative (observed ≤ 7e-8, sleepstudy's cs; ≤ 2e-9 elsewhere);
 *  2. the fit: our optimum's criterion is glmmTMB's −2ℓ or lower, by at most 1e-6 (glmmTMB's nlminb
 *     stops at ~1e-6; observed: ours lower by ≤ 3e-8); β and σ to 1e-5 relative, SDs to 2e-5
 *     relative and the correlations to 2e-5 absolute (observed ≤ 1e-5, glmmTMB's own convergence);
 *     the SEs are lme4's, σ²(X'V₀⁻¹X)⁻¹, which the oracle evaluates at glmmTMB's optimum (2e-5
 *     relative): glmmTMB's own SEs invert the observed Hessian of all its parameters, whose β–θ
 *     cross terms are not zero in a finite sample (they differ from lme4's by up to 1.4% here);
 *     logLik's df, AIC and BIC are glmmTMB's (df exactly).
 * `us(…)` is lme4's unstructured term: sleepstudy's us(Days | Subject) equals (Days | Subject) (the
 * same θ and criterion bit for bit) and lme4 1.1-31's tight fit (criterion 1e-10 relative).
 * Cases: an ar1 term beside (1 | site) and beside (1 | subject) on its own factor, cs, toep, ou
 * (irregular times) on simulated repeated measures; sleepstudy's ar1(0 + Daysf | Subject),
 * cs(0 + Daysf | Subject) (glmmTMB from several starts: from its default one it ends on a boundary
 * with a higher criterion, where ours, from its default start, does not) and diag(1 + Days | Subject).
 * Then the ψ → θ derivative against central differences, glmmTMB's rules and every refusal, the
 * features that work on a structured fit, and the CLI.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lmer, glmer } from '../src/index.js';
import { buildLmm } from '../src/lmm/model.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import { type CovParameters, structureCorrelation, thetaJacobian, thetaOfParameters, structureParameterCount } from '../src/model/covStructure.js';
import { FormulaError, ModelError, OptionError } from '../src/errors/errors.js';
import { fitAtTheta } from './helpers/atTheta.js';
import { loadDataFile } from './helpers/inference.js';
import { anovaModels } from '../src/inference/fitInference.js';
import { runFit } from '../src/cli/fitCommand.js';
import { describeFrame } from '../src/gram/frameSpec.js';
import { parseFormula } from '../src/formula/parse.js';
import { updateFormula } from '../src/formula/update.js';

interface Term { group: string; names: string | string[]; sd: number | number[]; corr: number[][] }
interface Case {
  name: string; data: string; formula: string; reml: boolean; beta: number[]; se: number[]; xnames: string[]; sigma: number;
  terms: Term[]; theta: number[]; betad: number; loglik: number; df: number; aic: number; bic: number; objective_at: number; se_lme4: number[];
  satterthwaite_df: number[];
}
const ref = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'structcov', 'structcov.json'), 'utf8')) as {
  cases: Case[]; us: { reml: boolean; theta: number[]; objective: number; beta: number[]; sigma: number }[];
};
const arr = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
// the oracle's factor timef is factor(time) here (the CSV holds the numeric time)
// and ou's numFactor(t_irr) the factor of t_irr, whose levels are the times
const ours = (formula: string) => formula.replace(/0 \+ timef/g, '0 + factor(time)').replace(/0 \+ Daysf/g, '0 + factor(Days)')
  .replace('ou(times + 0 | subject)', 'ou(0 + factor(t_irr) | subject)');
const data = (c: { data: string }) => loadDataFile(c.data);
const factors = (c: { data: string }) => (c.data === 'sleepstudy.csv' ? ['Subject'] : []);
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

/** the optimizer's x of glmmTMB's parameters: each term's log-SDs relative to σ, its correlation parameters as they are */
function xOfGlmmTmb(c: Case, par: CovParameters, model: ReturnType<typeof buildLmm>): Float64Array {
  const sigma = Math.exp(c.betad / 2);
  const x = new Float64Array(par.length);
  let k = 0;
  for (const r of model.formula.random) {
    const t = model.frame.reTerms.findIndex((rt) => rt.term === r);
    const q = model.frame.reTerms[t].q;
    const s = par.structured.find((st) => st.term === t);
    if (s) {
      const nsd = s.structure === 'ar1' || s.structure === 'ou' ? 1 : q;
      for (let m = 0; m < s.npar; m++) x[s.xOffset + m] = c.theta[k + m] - (m < nsd ? Math.log(sigma) : 0);
      k += s.npar;
    } else {
      // an ordinary scalar term (1 | g): glmmTMB's log-SD; θ = SD/σ
      expect(q).toBe(1);
      const f = par.free.find((e) => model.frame.reTerms.slice(0, t).reduce((a, rt) => a + (rt.q * (rt.q + 1)) / 2, 0) === e.theta)!;
      x[f.x] = Math.exp(c.theta[k]) / sigma;
      k += 1;
    }
  }
  expect(k).toBe(c.theta.length);
  return x;
}

/** VarCorr's name of each term: its group, `subject.1` for a factor's second term */
function vcGroups(model: ReturnType<typeof buildLmm>): string[] {
  const seen = new Map<string, number>();
  return model.frame.reTerms.map((rt) => {
    const k = seen.get(rt.group) ?? 0;
    seen.set(rt.group, k + 1);
    return k === 0 ? rt.group : `${rt.group}.${k}`;
  });
}

/** where a structured term's parameters start in glmmTMB's theta (its terms in the formula's order) */
function glmmTmbOffset(model: ReturnType<typeof buildLmm>, term: number): number {
  let k = 0;
  for (const r of model.formula.random) {
    const t = model.frame.reTerms.findIndex((rt) => rt.term === r);
    if (t === term) return k;
    const s = model.covariance!.structured.find((st) => st.term === t);
    k += s ? s.npar : (model.frame.reTerms[t].q * (model.frame.reTerms[t].q + 1)) / 2;
  }
  throw new Error('no such term');
}

/** vech(chol(Σ/σ²)) of glmmTMB's VarCorr, per term in our θ order */
function thetaOfVarCorr(c: Case, model: ReturnType<typeof buildLmm>): number[] {
  const out: number[] = [];
  const groups = vcGroups(model);
  for (const [k, rt] of model.frame.reTerms.entries()) {
    const term = c.terms.find((t) => t.group === groups[k])!;
    expect(arr(term.sd).length).toBe(rt.q);
    const sd = arr(term.sd), q = sd.length;
    const S = Array.from({ length: q }, (_, i) => Array.from({ length: q }, (_, j) => (sd[i] * sd[j] * term.corr[i][j]) / c.sigma ** 2));
    const L = S.map(() => new Array<number>(q).fill(0));
    for (let j = 0; j < q; j++) {
      let d = S[j][j];
      for (let k = 0; k < j; k++) d -= L[j][k] ** 2;
      L[j][j] = Math.sqrt(d);
      for (let i = j + 1; i < q; i++) { let v = S[i][j]; for (let k = 0; k < j; k++) v -= L[i][k] * L[j][k]; L[i][j] = v / L[j][j]; }
    }
    for (let j = 0; j < q; j++) for (let i = j; i < q; i++) out.push(L[i][j]);
  }
  return out;
}

describe('structured covariances: the criterion at glmmTMB\'s optimum', () => {
  for (const c of ref.cases) {
    it(`${c.name} (${c.reml ? 'REML' : 'ML'}): glmmTMB's parameters give its VarCorr and the oracle's criterion`, () => {
      const model = buildLmm(ours(c.formula), data(c), { REML: c.reml, factors: factors(c) });
      const par = model.covariance!;
      expect(par).not.toBeNull();
      expect(par.length + c.xnames.length + 1).toBe(c.df);
      const theta = thetaOfParameters(par, xOfGlmmTmb(c, par, model))!;
      const expected = thetaOfVarCorr(c, model);
      expect(theta.length).toBe(expected.length);
      for (let e = 0; e < expected.length; e++) expect(Math.abs(theta[e] - expected[e])).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(expected[e])));
      const at = fitAtTheta(model, theta);
      expect(relErr(at.objective, c.objective_at)).toBeLessThanOrEqual(1e-9);
      // lmerTest's Satterthwaite with varpar = (the structures' parameters, σ) at the same point
      at.coefficients().forEach((row, j) => expect(relErr(row.df, c.satterthwaite_df[j])).toBeLessThanOrEqual(1e-6));
    });
  }
});

describe('structured covariances: the fit against glmmTMB', () => {
  for (const c of ref.cases) {
    it(`${c.name} (${c.reml ? 'REML' : 'ML'})`, async () => {
      const fit = await lmer(ours(c.formula), data(c), { REML: c.reml, factors: factors(c) });
      expect(fit.converged).toBe(true);
      // ours at least as low as glmmTMB's, by at most 1e-6
      expect(fit.objective).toBeLessThanOrEqual(-2 * c.loglik + 1e-8);
      expect(-2 * c.loglik - fit.objective).toBeLessThanOrEqual(1e-6);
      expect(Object.keys(fit.fixef)).toEqual(c.xnames);
      c.xnames.forEach((x, j) => {
        expect(relErr(fit.fixef[x], c.beta[j])).toBeLessThanOrEqual(1e-5);
        expect(relErr(fit.se[x], c.se_lme4[j])).toBeLessThanOrEqual(2e-5);
      });
      expect(relErr(fit.sigma, c.sigma)).toBeLessThanOrEqual(1e-5);
      // SDs and correlations of every term, from VarCorr's rows
      for (const t of c.terms) {
        const names = arr(t.names);
        const rows = fit.varCorr.filter((r) => r.group === t.group);
        names.forEach((_, i) => {
          const row = rows.filter((r) => r.var2 === null)[i];
          expect(relErr(row.sdcor, arr(t.sd)[i])).toBeLessThanOrEqual(2e-5);
          for (let j = 0; j < i; j++) {
            const cr = rows.find((r) => r.var1 === rows.filter((x) => x.var2 === null)[j].var1 && r.var2 === row.var1)!;
            expect(Math.abs(cr.sdcor - t.corr[i][j])).toBeLessThanOrEqual(2e-5);
          }
        });
      }
      // glmmTMB's df, and its AIC and BIC (from its logLik: ours is higher by < 1e-6 / 2)
      expect(fit.df).toBe(c.df);
      expect(Math.abs(fit.AIC - c.aic)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(fit.BIC - c.bic)).toBeLessThanOrEqual(1e-6);
      if (!c.reml) expect(Math.abs(fit.logLik - c.loglik)).toBeLessThanOrEqual(5e-7);
      // the structures' estimates: ρ of ar1 and cs, each lag's of toep
      const s = fit.structures[0];
      const term = c.terms.find((t) => t.group === s.group)!;
      if (s.structure === 'ar1' || s.structure === 'cs') expect(Math.abs(s.rho[0] - term.corr[1][0])).toBeLessThanOrEqual(2e-5);
      if (s.structure === 'toep') s.rho.forEach((r, k) => expect(Math.abs(r - term.corr[k + 1][0])).toBeLessThanOrEqual(2e-5));
      // ou: the correlation at unit distance (times 0 and 1), and at 2 (times 3 and 5) its square
      if (s.structure === 'ou') {
        expect(Math.abs(s.rho[0] - term.corr[1][0])).toBeLessThanOrEqual(2e-5);
        expect(Math.abs(s.rho[0] ** 2 - term.corr[4][3])).toBeLessThanOrEqual(4e-5);
      }
      // glmmTMB's theta of the term (its log-SDs on Σ's scale, its correlation parameters): 1e-4
      // absolute (observed ≤ 3e-5)
      const k0 = glmmTmbOffset(fit.model, fit.model.covariance!.structured[0].term);
      s.parameters.forEach((p, m) => expect(Math.abs(p - c.theta[k0 + m])).toBeLessThanOrEqual(1e-4));
    });
  }

  it('us(…) is lme4\'s unstructured term: the same fit as (Days | Subject) and lme4\'s', async () => {
    for (const u of ref.us) {
      const a = await lmer('Reaction ~ Days + us(Days | Subject)', loadDataFile('sleepstudy.csv'), { REML: u.reml, factors: ['Subject'] });
      const b = await lmer('Reaction ~ Days + (Days | Subject)', loadDataFile('sleepstudy.csv'), { REML: u.reml, factors: ['Subject'] });
      expect(a.model.covariance).toBeNull();
      expect(Array.from(a.theta)).toEqual(Array.from(b.theta));
      expect(a.objective).toBe(b.objective);
      expect(relErr(a.objective, u.objective)).toBeLessThanOrEqual(1e-10);
      expect(a.df).toBe(b.df);
    }
  });
});

describe('the map ψ → θ', () => {
  it('its Jacobian is the central differences\' (every structure)', () => {
    const sim = loadDataFile('structcov.csv');
    const formulas = [
      'y_ar1 ~ time + ou(0 + factor(t_irr) | subject)',
      'y_toep ~ time + toep(0 + factor(time) | subject) + (1 | site)',
      'y_cs ~ time + cs(0 + factor(time) | subject)',
      'y_ar1 ~ time + ar1(0 + factor(time) | subject)',
      'y_ar1 ~ time + diag(1 + x | subject)',
    ];
    for (const f of formulas) {
      const par = buildLmm(f, sim).covariance!;
      const x = Float64Array.from({ length: par.length }, (_, k) => 0.3 * Math.sin(3 * k + 1));
      const J = thetaJacobian(par, x)!;
      const h = 1e-6;
      for (let m = 0; m < par.length; m++) {
        const xp = Float64Array.from(x), xm = Float64Array.from(x);
        xp[m] += h; xm[m] -= h;
        const tp = thetaOfParameters(par, xp)!, tm = thetaOfParameters(par, xm)!;
        for (let e = 0; e < par.thetaLength; e++) expect(Math.abs(J[e * par.length + m] - (tp[e] - tm[e]) / (2 * h))).toBeLessThanOrEqual(1e-7);
      }
    }
  });

  it('glmmTMB\'s transforms: ar1 ρ = a/√(1+a²) at every lag\'s power, cs ρ ∈ (−1/(q−1), 1), parameter counts', () => {
    const ar = structureCorrelation('ar1', 4, [Math.log(2), 1]);
    expect(ar.sd[3]).toBeCloseTo(2, 14);
    expect(ar.R[3 * 4]).toBeCloseTo((1 / Math.SQRT2) ** 3, 14);
    expect(structureCorrelation('cs', 5, [0, 0, 0, 0, 0, -40]).R[1]).toBeCloseTo(-0.25, 12);
    expect(structureCorrelation('cs', 5, [0, 0, 0, 0, 0, 40]).R[1]).toBeCloseTo(1, 12);
    expect([structureParameterCount('diag', 5), structureParameterCount('ar1', 5), structureParameterCount('cs', 5), structureParameterCount('toep', 5)]).toEqual([5, 2, 6, 9]);
    // a toep whose lags are not a correlation matrix: θ undefined (the criterion +∞)
    const par = buildLmm('y_toep ~ time + toep(0 + factor(time) | subject)', loadDataFile('structcov.csv')).covariance!;
    const x = new Float64Array(par.length);
    x[5] = -10; x[6] = 10; // ρ₁ ≈ −1, ρ₂ ≈ 1
    expect(thetaOfParameters(par, x)).toBeNull();
  });
});

describe('glmmTMB\'s rules and the errors', () => {
  const sim = () => loadDataFile('structcov.csv');
  const fitErr = async (f: string, options = {}) => {
    try { await lmer(f, sim(), options); } catch (e) { return e as Error; }
    throw new Error(`no error for ${f}`);
  };
  it('ar1 needs a factor of equally spaced times and no intercept', async () => {
    const a = await fitErr('y_ar1 ~ time + ar1(time | subject)');
    expect(a).toBeInstanceOf(ModelError);
    expect(a.message).toMatch(/ar1\(time \| subject\).*ar1 needs a factor of equally spaced times and no intercept.*has an intercept/);
    const b = await fitErr('y_ar1 ~ time + ar1(0 + time | subject)');
    expect(b.message).toMatch(/such as ar1\(0 \+ factor\(time\) \| subject\): its left-hand side 'time' is not a factor/);
    const c = await fitErr('y_ar1 ~ time + ar1(1 + factor(time) | subject)');
    expect(c.message).toMatch(/has an intercept/);
    const d = await fitErr('y_ar1 ~ time + ar1(0 + factor(I(time^2)) | subject)');
    expect(d.message).toMatch(/ar1 needs equally spaced times, but the levels of 'factor\(I\(time\^2\)\)' are 0, 1, 4, 9, 16/);
  });
  it('ou takes a factor whose levels are times', async () => {
    expect((await fitErr('y_ar1 ~ time + ou(0 + t_irr | subject)')).message).toMatch(/ou needs a factor whose levels are the times and no intercept, such as ou\(0 \+ factor\(t_irr\) \| subject\)/);
    expect((await fitErr('y_ar1 ~ time + ou(0 + site | subject)')).message).toMatch(/ou takes the levels of 'site' as times, but level 's1' is not a number/);
  });

  it('cs, ar1 and toep need two columns; errors point at the token', async () => {
    expect((await fitErr('y_cs ~ time + cs(1 | subject)')).message).toMatch(/cs\(1 \| subject\): cs needs at least 2 random effects/);
    const other = await fitErr('y_cs ~ time + homcs(0 + factor(time) | subject)');
    expect(other).toBeInstanceOf(FormulaError);
    expect(other.message).toMatch(/glmmTMB's covariance structure 'homcs' is not supported \(supported: us, diag, cs, ar1, toep, ou, exp, gau, mat, rr\)/);
    // exp(x) is still the exponential of x
    expect(parseFormula('y ~ exp(x) + (1 | g)').fixed.terms[0].label).toBe('exp(x)');
    const e = await fitErr('y_cs ~ time + cs(0 + factor(time) || subject)');
    expect(e).toBeInstanceOf(FormulaError);
    expect(e.message).toMatch(/'\|\|' inside cs/);
    expect(e.message).toContain('                              ^');
  });
  it('lmer\'s sigma, prior and start are refused with a structure; glmer refuses a family with a dispersion (test/glmerStructcov.test.ts)', async () => {
    for (const [option, value] of [['sigma', 1], ['prior', 'blme'], ['start', [1, 0, 1]]] as const) {
      const e = await fitErr('y_cs ~ time + cs(0 + factor(time) | subject)', { [option]: value });
      expect(e).toBeInstanceOf(OptionError);
      expect(e.message).toContain(`lmer: ${option} is not available with a covariance structure (cs(0 + factor(time) | subject))`);
    }
    const g = await glmer('y ~ ar1(0 + factor(time) | subject)', { y: [1, 2, 1, 3], time: [0, 1, 0, 1], subject: ['a', 'a', 'b', 'b'] }, { family: 'Gamma' }).catch((e: Error) => e);
    expect(g).toBeInstanceOf(ModelError);
    expect((g as Error).message).toMatch(/the covariance structure ar1\(0 \+ factor\(time\) \| subject\) is not available for the Gamma family, which has a dispersion parameter/);
  });
});

describe('the engines (stream, DuckDB, ClickHouse)', () => {
  it('describe a structured term as its unstructured one (A is the same; the fits: test/gram/formulaParity.test.ts)', () => {
    const schema = new Map([['y', 'numeric'], ['time', 'text'], ['subject', 'text']] as const);
    const spec = describeFrame(parseFormula('y ~ 1 + ar1(0 + time | subject)'), schema);
    expect(spec.random.map((r) => [r.term.structure, r.group])).toEqual([['ar1', 'subject']]);
    expect(spec.factors.get('time')).toEqual({ column: 'time', kind: 'text' });
    expect(() => describeFrame(parseFormula('y ~ 1 + us(1 | subject)'), schema)).not.toThrow();
  });
});

describe('a structured fit downstream', () => {
  let ar1: LmmFit, cs: LmmFit, toep: LmmFit;
  const fits = async () => {
    if (!ar1) {
      const sim = loadDataFile('structcov.csv');
      ar1 = await lmer('y_toep ~ time + x + ar1(0 + factor(time) | subject)', sim);
      cs = await lmer('y_toep ~ time + x + cs(0 + factor(time) | subject)', sim);
      toep = await lmer('y_toep ~ time + x + toep(0 + factor(time) | subject)', sim);
    }
  };

  it('Satterthwaite\'s t and F tests in the structure\'s parameters: the anova of one coefficient is its t test squared', async () => {
    await fits();
    const rows = ar1.coefficients();
    expect(rows.map((r) => r.name)).toEqual(['(Intercept)', 'time', 'x']);
    const a = ar1.anova({ type: 3 });
    const time = a.find((r) => r.term === 'time')!;
    const t = rows[1];
    expect(time.dendf).toBeCloseTo(t.df, 8);
    expect(time.F).toBeCloseTo(t.t ** 2, 8);
    const emm = ar1.emmeans('time', { ddf: 'satterthwaite', at: { time: [0, 4] } });
    expect(emm.rows.every((r) => r.df > 0 && Number.isFinite(r.df))).toBe(true);
    // lmerTest's drop1 (F tests of the marginal terms, no refits) and contrast: Satterthwaite's
    expect(ar1.drop1().find((r) => r.term === 'time')!.dendf).toBeCloseTo(t.df, 8);
    expect(ar1.contrast([0, 1, 0]).dendf).toBeCloseTo(t.df, 8);
  });

  it('works: Wald intervals, predictions, ranef, simulate, emmeans (asymptotic), update, anova between fits', async () => {
    await fits();
    const w = await ar1.confint({ method: 'wald' });
    expect(w.intervals.time[0]).toBeCloseTo(ar1.fixef.time - 1.959963984540054 * ar1.se.time, 10);
    expect(ar1.predict().length).toBe(900);
    expect(ar1.ranef[0].levels.length).toBe(90);
    expect(ar1.simulate(2, { seed: 1 }).y.length).toBe(2);
    const emm = ar1.emmeans('time', { ddf: 'asymptotic', at: { time: [0, 4] } });
    expect(emm.rows.length).toBe(2);
    // ML refits in the structures' parameters: anova's deviances are the ML fits'
    const ml = await lmer('y_toep ~ time + x + toep(0 + factor(time) | subject)', loadDataFile('structcov.csv'), { REML: false });
    const mlAr1 = await ar1.update({ REML: false });
    expect(mlAr1.model.covariance).not.toBeNull();
    // update.formula keeps a structured term as written (R's term label)
    expect(updateFormula('y ~ time + x + ar1(0 + factor(time) | subject)', '. ~ . - x')).toBe('y ~ time + ar1(0 + factor(time) | subject)');
    expect(updateFormula('y ~ x + ar1(0 + f | g) + (1 | h)', '. ~ . - ar1(0 + f | g) + cs(0 + f | g)')).toBe('y ~ x + (1 | h) + cs(0 + f | g)');
    const noX = await ar1.update('. ~ . - x');
    expect(noX.model.covariance!.structured[0].text).toBe('ar1(0 + factor(time) | subject)');
    expect(Object.keys(noX.fixef)).toEqual(['(Intercept)', 'time']);
    const t = await anovaModels([ar1, toep]);
    expect(t.messages).toContain('refitting model(s) with ML (instead of REML)');
    expect(t.models.map((r) => r.npar)).toEqual([ar1.df, toep.df]);
    expect(t.models[0].npar).toBe(3 + 2 + 1);
    expect(t.models[1].npar).toBe(3 + 9 + 1);
    expect(Math.abs(t.models[1].deviance - ml.objective)).toBeLessThanOrEqual(1e-6);
    expect(Math.abs(t.models[0].deviance - mlAr1.objective)).toBeLessThanOrEqual(1e-6);
    expect(t.tests[1]!.df).toBe(7);
    expect(t.tests[1]!.chisq).toBeCloseTo(t.models[0].deviance - t.models[1].deviance, 10);
    expect(cs.df).toBe(3 + 6 + 1);
  });

  it('allFit: every optimizer works in the structure\'s parameters and reaches the fit\'s optimum', async () => {
    await fits();
    const all = await ar1.allFit();
    expect(all.rows.length).toBeGreaterThanOrEqual(3);
    for (const row of all.rows) {
      expect(row.ok, row.optimizer).toBe(true);
      expect(row.fit!.model.covariance, row.optimizer).not.toBeNull();
      // 1e-6 absolute on logLik (the optimizers' own tolerances; observed ≤ 2e-8)
      expect(Math.abs(row.logLik - ar1.logLik), row.optimizer).toBeLessThanOrEqual(1e-6);
    }
  });

  it('refuses what works in θ: Satterthwaite and Kenward–Roger, profiles, bootstrap, ranova, exactRLRT, influence, power, KRmodcomp', async () => {
    await fits();
    const refused = async (what: RegExp, run: () => unknown, term = 'ar1(0 + factor(time) | subject)') => {
      let err: unknown = null;
      try { await run(); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(ModelError);
      expect((err as Error).message).toMatch(what);
      expect((err as Error).message).toContain(`covariance structure (${term})`);
    };
    await refused(/Kenward-Roger's method is not available/, () => ar1.coefficients({ ddf: 'kenward-roger' }));
    await refused(/a profile is not available/, () => ar1.confint({ method: 'profile' }));
    await refused(/parametric bootstrap is not available/, () => ar1.confint({ method: 'boot', nsim: 10 }));
    await refused(/not available/, () => ar1.ranova());
    await refused(/not available/, () => ar1.exactRLRT());
    await refused(/not available/, () => ar1.influence());
    await refused(/not available/, () => ar1.powerSim({ nsim: 2, test: 'time' }));
    await refused(/Kenward-Roger's method is not available/, () => ar1.emmeans('time'));
    await refused(/not available/, () => ar1.getME('devfun'));
    await refused(/Nakagawa's R2 and the ICC is not available/, () => ar1.r2());
    await refused(/ranova/, () => ar1.step());
    await refused(/KRmodcomp is not available/, () => toep.krModcomp(ar1) as unknown, 'toep(0 + factor(time) | subject)');
  });

  it('the summary prints glmmTMB\'s structure lines and the JSON has the structures', async () => {
    await fits();
    const s = ar1.summary();
    expect(s).toMatch(/subject\s+factor\(time\)0\s+[\d.]+\s+[\d.]+\s+0\.\d\d \(ar1\)/);
    expect(s).not.toMatch(/factor\(time\)1/);
    expect(s).toContain('Covariance structure: ar1(0 + factor(time) | subject), 2 parameters (glmmTMB\'s ar1)');
    expect(cs.summary()).toMatch(/factor\(time\)0\s+[\d.]+\s+[\d.]+\s+-?0\.\d\d \(cs\)\n\s+factor\(time\)1/);
    const j = ar1.toJSON() as Record<string, unknown>;
    const st = j.covariance_structures as { structure: string; sd: number[]; rho: number[]; parameters: number[] }[];
    expect(st[0].structure).toBe('ar1');
    expect(st[0].sd.length).toBe(1);
    expect(st[0].parameters[0]).toBeCloseTo(Math.log(st[0].sd[0]), 12);
    expect(j.df).toBe(6);
  });
});

describe('CLI: mixedgpu fit with structured terms', () => {
  it('prints the summary and the JSON', async () => {
    const out: string[] = [], err: string[] = [];
    const io = { stdout: (t: string) => { out.push(t); }, stderr: (t: string) => { err.push(t); } };
    const file = join(__dirname, 'fixtures', 'data', 'structcov.csv');
    const c = ref.cases.find((x) => x.name === 'ar1_site' && x.reml)!;
    expect(await runFit({ file, formula: ours(c.formula) }, io)).toBe(0);
    expect(out.join('')).toMatch(/0\.58 \(ar1\)/);
    out.length = 0;
    expect(await runFit({ file, formula: ours(c.formula), json: true }, io)).toBe(0);
    const j = JSON.parse(out.join(''));
    expect(j.df).toBe(c.df);
    expect(Math.abs(j.covariance_structures[0].rho[0] - c.terms[0].corr[1][0])).toBeLessThanOrEqual(2e-5);
  });

  it('--ddf satterthwaite prints lmerTest\'s table; --ddf kenward-roger is refused naming the structure', async () => {
    const out: string[] = [], err: string[] = [];
    const io = { stdout: (t: string) => { out.push(t); }, stderr: (t: string) => { err.push(t); } };
    const file = join(__dirname, 'fixtures', 'data', 'structcov.csv');
    const formula = 'y_cs ~ time + x + cs(0 + factor(time) | subject)';
    expect(await runFit({ file, formula, ddf: 'satterthwaite' }, io)).toBe(0);
    expect(out.join('')).toMatch(/Estimate Std\. Error\s+df t value Pr\(>\|t\|\)/);
    expect(await runFit({ file, formula, ddf: 'kenward-roger' }, io)).not.toBe(0);
    expect(err.join('')).toContain("Kenward-Roger's method is not available for a fit with a covariance structure (cs(0 + factor(time) | subject))");
  });
});

describe("MixedModels.jl's zerocorr(…) is diag(…)", () => {
  it('zerocorr(1 + Days | Subject) is the diag fit (lme4: (Days || Subject)), and so with a factor', async () => {
    const sleep = loadDataFile('sleepstudy.csv');
    const z = await lmer('Reaction ~ Days + zerocorr(1 + Days | Subject)', sleep, { factors: ['Subject'] });
    const d = await lmer('Reaction ~ Days + diag(1 + Days | Subject)', sleep, { factors: ['Subject'] });
    const bars = await lmer('Reaction ~ Days + (Days || Subject)', sleep, { factors: ['Subject'] });
    expect(Array.from(z.theta)).toEqual(Array.from(d.theta));
    expect(z.objective).toBe(d.objective);
    // lme4's double bar on a numeric covariate is the same model (its own θ layout)
    expect(relErr(z.objective, bars.objective)).toBeLessThan(1e-9);
    // a factor: every contrast column its own variance
    const zf = await lmer('Reaction ~ Days + zerocorr(1 + factor(Days > 4) | Subject)', sleep, { factors: ['Subject'] });
    const df = await lmer('Reaction ~ Days + diag(1 + factor(Days > 4) | Subject)', sleep, { factors: ['Subject'] });
    expect(Array.from(zf.theta)).toEqual(Array.from(df.theta));
    expect(zf.objective).toBe(df.objective);
  });

  it("names zerocorr in its errors, and update() treats it as one term", () => {
    expect(() => parseFormula('Reaction ~ Days + zerocorr(Days)')).toThrow(/'zerocorr' takes a random-effects term such as zerocorr\(0 \+ f \| g\)/);
    expect(() => parseFormula('Reaction ~ Days + zerocorr(1 + Days || Subject)')).toThrow(/'\|\|' inside zerocorr/);
    expect(updateFormula('Reaction ~ Days + zerocorr(1 + Days | Subject)', '. ~ . - zerocorr(1 + Days | Subject) + (1 | Subject)'))
      .toBe('Reaction ~ Days + (1 | Subject)');
  });
});
