/**
 * coxme fits against the oracle (test/oracle/coxme.R: the Laplace IPL maximized in R over θ with
 * survival 3.5.3's partial likelihood): θ̂ and β̂ to 1e-5 relative, se(coef) to 1e-4 relative, the
 * log-likelihoods (NULL, Integrated, Fitted, Penalized) to 1e-8, the penalized df to 1e-5, b̂ to 1e-5.
 * Bad input is refused with messages that name the problem.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import { coxme } from '../../src/index.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures');
const table = (name: string) => readCsv(readFileSync(join(fixtures, 'data', name), 'utf8')).table;
const arr = (x: number | number[]): number[] => (Array.isArray(x) ? x : [x]);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
interface Fixture {
  formula: string; data: string; ties: 'efron' | 'breslow'; n: number; nInput: number; nevent: number;
  fit: {
    theta: number | number[]; beta: number | number[]; se: number | number[]; ipl: number; ppl: number; pl: number; null: number;
    df_penalized: number; ranef: Record<string, Record<string, number | string>[]>;
  };
}
const load = (name: string): Fixture => JSON.parse(readFileSync(join(fixtures, 'coxme', `${name}.json`), 'utf8'));

describe.each(['rats', 'kidney', 'lung', 'sim_nested', 'sim_crossed', 'sim_slope', 'sim_breslow', 'sim_counting'])('coxme fit: %s', (name) => {
  const ref = load(name);
  const fit = coxme(ref.formula, table(ref.data), { ties: ref.ties });
  it('θ̂, β̂ to 1e-5 relative; se(coef) to 1e-4', () => {
    arr(ref.fit.theta).forEach((v, k) => expect(rel(fit.theta[k], v)).toBeLessThan(1e-5));
    arr(ref.fit.beta).forEach((v, j) => expect(rel(fit.beta[j], v)).toBeLessThan(1e-5));
    arr(ref.fit.se).forEach((v, j) => expect(rel(fit.se[j], v)).toBeLessThan(1e-4));
  });
  it('log-likelihoods to 1e-8, penalized df to 1e-5, rows and events', () => {
    expect(rel(fit.loglik.integrated, ref.fit.ipl)).toBeLessThan(1e-8);
    expect(rel(fit.loglik.penalized, ref.fit.ppl)).toBeLessThan(1e-8);
    expect(rel(fit.loglik.fitted, ref.fit.pl)).toBeLessThan(1e-8);
    expect(rel(fit.loglik.null, ref.fit.null)).toBeLessThan(1e-10);
    expect(rel(fit.df.penalized, ref.fit.df_penalized)).toBeLessThan(1e-5);
    expect(fit.n).toBe(ref.n);
    expect(fit.nDropped).toBe(ref.nInput - ref.n);
    expect(fit.nevent).toBe(ref.nevent);
    expect(fit.logLik()).toEqual({ value: fit.loglik.integrated, df: fit.xnames.length + fit.theta.length, nobs: ref.nevent });
  });
  it('ranef b̂ = Λû by level to 1e-5 (absolute, on the log-hazard scale)', () => {
    const re = fit.ranef();
    for (const [group, rows] of Object.entries(ref.fit.ranef)) {
      expect(Object.keys(re[group]).length).toBe(rows.length);
      for (const row of rows) {
        for (const [cn, v] of Object.entries(row)) if (cn !== 'level' && cn !== '_row') expect(Math.abs(re[group][String(row.level)][cn] - Number(v))).toBeLessThan(1e-5);
      }
    }
  });
});

describe('coxme printout and accessors', () => {
  const fit = coxme('Surv(time, status) ~ rx + (1 | litter)', table('rats_f.csv'), { dataName: 'rats' });
  it('prints coxme\'s sections', () => {
    const out = fit.print();
    expect(out).toContain('Cox mixed-effects model fit by maximum likelihood');
    expect(out).toContain('  events, n = 40, 150');
    expect(out).toMatch(/Log-likelihood -185\.6556 +-180\.8263 +-167\.399/);
    expect(out).toMatch(/Integrated loglik +9\.66 +2\.00/);
    expect(out).toMatch(/rx 0\.9137535 +2\.493665 0\.3228805 2\.83 0\.0047/);
    expect(out).toMatch(/litter Intercept 0\.6639542 0\.4408352/);
  });
  it('VarCorr, fixef, vcov', () => {
    const vc = fit.VarCorr().litter;
    expect(vc.sd[0]).toBeCloseTo(0.6639542, 6);
    expect(vc.variance[0][0]).toBeCloseTo(0.6639542 ** 2, 6);
    expect(Object.keys(fit.fixef())).toEqual(['rx']);
    expect(fit.vcov()[0][0]).toBeCloseTo(fit.se[0] ** 2, 14);
  });
  it('a fixed θ gives the oracle\'s IPL there (coxme\'s vfixed)', () => {
    const ref = JSON.parse(readFileSync(join(fixtures, 'coxme', 'rats.json'), 'utf8'));
    const f = coxme('Surv(time, status) ~ rx + (1 | litter)', table('rats_f.csv'), { fixedTheta: arr(ref.at_theta[0].theta) });
    expect(rel(f.loglik.integrated, ref.at_theta[0].ipl)).toBeLessThan(1e-8);
  });
});

describe('coxme refuses bad input', () => {
  const rows = (over: Partial<Record<string, unknown>>[] = []) => {
    const base = Array.from({ length: 40 }, (_, i) => ({ t: 1 + (i % 7), d: i % 3 === 0 ? 0 : 1, x: (i * 37) % 11, g: `g${i % 5}`, one: 'a' }));
    over.forEach((o, i) => Object.assign(base[i], o));
    return base;
  };
  it('negative times', () => {
    expect(() => coxme('Surv(t, d) ~ x + (1 | g)', rows([{ t: -1 }]))).toThrow(/'t' is negative \(-1\) in row 1/);
  });
  it('status not 0/1', () => {
    expect(() => coxme('Surv(t, d) ~ x + (1 | g)', rows([{ d: 3 }]))).toThrow(/status 'd' is 3 in row 1: status must be 0 \(censored\) or 1 \(event\)/);
  });
  it('status 1/2 is Surv\'s coding (2 = event); logical status', () => {
    const r = rows().map((o) => ({ ...o, d2: o.d + 1, dl: o.d === 1 }));
    const a = coxme('Surv(t, d) ~ x + (1 | g)', r, { fixedTheta: [0.3] });
    const b = coxme('Surv(t, d2) ~ x + (1 | g)', r, { fixedTheta: [0.3] });
    const c = coxme('Surv(t, dl) ~ x + (1 | g)', r, { fixedTheta: [0.3] });
    expect(b.loglik.integrated).toBe(a.loglik.integrated);
    expect(c.loglik.integrated).toBe(a.loglik.integrated);
    expect(b.messages.join('\n')).toMatch(/1 = censored, 2 = event/);
  });
  it('a response that is not Surv()', () => {
    expect(() => coxme('t ~ x + (1 | g)', rows())).toThrow(/the response of a Cox model is Surv\(time, status\)/);
    expect(() => coxme('Surv(t) ~ x + (1 | g)', rows())).toThrow(/Surv\(\) takes 2 arguments/);
    expect(() => coxme('Surv(t, nosuch) ~ x + (1 | g)', rows())).toThrow(/status column 'nosuch' is not in the data/);
  });
  it('a grouping factor with one level overall', () => {
    expect(() => coxme('Surv(t, d) ~ x + (1 | one)', rows())).toThrow(/one/);
  });
  it('no random-effects term', () => {
    expect(() => coxme('Surv(t, d) ~ x', rows())).toThrow(/no random-effects terms/);
  });
  it('NA rows are dropped and counted', () => {
    const r = rows([{ x: null }, { t: null }, { d: null }]);
    const fit = coxme('Surv(t, d) ~ x + (1 | g)', r, { fixedTheta: [0.3] });
    expect(fit.n).toBe(37);
    expect(fit.nDropped).toBe(3);
    expect(fit.print()).toContain('(3 observations deleted due to missingness)');
  });
  it('counting-process start not before stop; bad options', () => {
    const r = rows().map((o) => ({ ...o, s: 0 }));
    r[4].s = 9;
    expect(() => coxme('Surv(s, t, d) ~ x + (1 | g)', r)).toThrow(/row 5: the start time 's' \(9\) is not before the stop time 't'/);
    expect(() => coxme('Surv(t, d) ~ x + (1 | g)', rows(), { ties: 'exact' as never })).toThrow(/ties/);
    expect(() => coxme('Surv(t, d) ~ x + (1 | g)', rows(), { nosuch: 1 } as never)).toThrow(/nosuch/);
  });
  it('strata() inside an interaction; an unknown function points into the formula', () => {
    expect(() => coxme('Surv(t, d) ~ x + x:strata(g) + (1 | g)', rows())).toThrow(/strata\(\) must be a term of its own/);
    expect(() => coxme('Surv(t, d) ~ x + (1 | g) + foo(x)', rows())).toThrow(/unknown function 'foo'/);
  });
  it('more coefficients than the dense Newton takes', () => {
    const big = Array.from({ length: 8004 }, (_, i) => ({ t: 1 + (i % 7), d: i % 3 === 0 ? 0 : 1, x: i % 11, g: `g${i % 4002}` }));
    expect(() => coxme('Surv(t, d) ~ x + (1 | g)', big)).toThrow(/4002 random effects and 1 fixed effects.*at most 4000 coefficients/);
  });
  it('a formula without an intercept', () => {
    expect(() => coxme('Surv(t, d) ~ 0 + x + (1 | g)', rows())).toThrow(/keeps its intercept/);
  });
});

describe('coxme strata', () => {
  it('strata(s) gives separate risk sets: the PL of a stratified fit is the sum over the strata at fixed θ', async () => {
    const { buildCoxmeModel } = await import('../../src/survival/model.js');
    const { riskSchedule } = await import('../../src/survival/riskSets.js');
    const { coxLogLik } = await import('../../src/survival/partialLikelihood.js');
    const t = table('coxsim.csv');
    const m = buildCoxmeModel('Surv(time, status) ~ x1 + strata(x2) + (1 | centre)', t);
    expect(m.strataLevels).toEqual(['a', 'b', 'c']);
    expect(m.xnames).toEqual(['x1']);
    const eta = Float64Array.from({ length: m.n }, (_, i) => Math.sin(i));
    const all = coxLogLik(eta, riskSchedule(m.stop, m.start, m.status, m.strata), 'efron');
    let sum = 0;
    for (let s = 0; s < 3; s++) {
      const rows = Array.from({ length: m.n }, (_, i) => i).filter((i) => m.strata![i] === s);
      const pick = (a: Float64Array) => Float64Array.from(rows, (i) => a[i]);
      sum += coxLogLik(pick(eta), riskSchedule(pick(m.stop), null, Uint8Array.from(rows, (i) => m.status[i]), null), 'efron');
    }
    expect(Math.abs(all - sum)).toBeLessThan(1e-9);
  });
  it('PL at η (both ties), the IPL at fixed θ and the fit equal the oracle\'s (test/oracle/coxme_strata.R)', async () => {
    const { buildCoxmeModel } = await import('../../src/survival/model.js');
    const { riskSchedule } = await import('../../src/survival/riskSets.js');
    const { coxLogLik } = await import('../../src/survival/partialLikelihood.js');
    const ref = JSON.parse(readFileSync(join(fixtures, 'coxme', 'sim_strata.json'), 'utf8'));
    const t = table('coxsim.csv');
    const m = buildCoxmeModel(ref.formula, t);
    const rs = riskSchedule(m.stop, m.start, m.status, m.strata);
    for (const c of ref.pl_at_eta) expect(Math.abs(coxLogLik(Float64Array.from(c.eta), rs, c.ties) - c.loglik)).toBeLessThan(1e-10 * Math.abs(c.loglik));
    const f0 = coxme(ref.formula, t, { fixedTheta: ref.at_theta[0].theta });
    expect(rel(f0.loglik.integrated, ref.at_theta[0].ipl)).toBeLessThan(1e-8);
    const fit = coxme(ref.formula, t);
    expect(rel(fit.theta[0], ref.fit.theta[0])).toBeLessThan(1e-5);
    expect(rel(fit.beta[0], ref.fit.beta[0])).toBeLessThan(1e-5);
    expect(rel(fit.se[0], ref.fit.se[0])).toBeLessThan(1e-4);
    expect(rel(fit.loglik.integrated, ref.fit.ipl)).toBeLessThan(1e-8);
    expect(rel(fit.loglik.null, ref.fit.null)).toBeLessThan(1e-10);
    expect(rel(fit.df.penalized, ref.fit.df_penalized)).toBeLessThan(1e-5);
  });
});

describe('mixedgpu coxme (CLI)', () => {
  const run = async (args: Record<string, unknown>) => {
    let out = '', err = '';
    const { runCoxme } = await import('../../src/cli/coxmeCommand.js');
    const code = await runCoxme(args, { stdout: (s: string) => { out += s; }, stderr: (s: string) => { err += s; } } as never);
    return { code, out, err };
  };
  it('prints coxme\'s printout and --json', async () => {
    const file = join(fixtures, 'data', 'rats_f.csv');
    const a = await run({ file, formula: 'Surv(time, status) ~ rx + (1 | litter)' });
    expect(a.code).toBe(0);
    expect(a.out).toContain('  Data: rats_f');
    expect(a.out).toMatch(/litter Intercept 0\.6639542/);
    const b = await run({ file, formula: 'Surv(time, status) ~ rx + (1 | litter)', json: true, ties: 'breslow' });
    expect(b.code).toBe(0);
    const j = JSON.parse(b.out);
    expect(j.ties).toBe('breslow');
    expect(j.coefficients[0].name).toBe('rx');
    const c = await run({ file, formula: 'Surv(time, status) ~ rx + (1 | litter)', fixedTheta: 'x' });
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/--fixed-theta must be numbers/);
  });
});

describe('coxme errors name the data\'s columns', () => {
  it('an unknown grouping column is listed among the data\'s columns only', () => {
    let msg = '';
    try { coxme('Surv(time, status) ~ rx + (1 | nosuch)', table('rats_f.csv')); } catch (e) { msg = (e as Error).message; }
    expect(msg).toMatch(/nosuch/);
    expect(msg).not.toMatch(/coxme\.row/);
  });
});
