/**
 * lme4 1.1-31's nlmer and R 4.2.2's self-starting models against R (test/oracle/nlmer.R →
 * test/fixtures/nlmer/*.json; data in test/fixtures/data: Orange.csv, Theoph.csv, micmen.csv, asymp.csv, and
 * logis200.csv: 200 groups, where PNLS's L by level blocks matters).
 *
 * Tolerances (relative, |ours − R| ≤ tol · max(1, |R|) for a scalar, · max |R| over a vector):
 *  - the models' values and gradients: 1e-12 (the same expressions as R's deriv);
 *  - the Laplace deviance at lme4's (θ, β) and at a moved point, conditional modes converged
 *    (tolPwrss 1e-16 in both; at lme4's 1e-10 the value depends on the start of u by ~1e-7): 1e-8;
 *  - the fitted optimum: deviance 1e-6 and ours ≤ lme4's + 1e-6 · |dev|; θ and β 1e-6 (our optimizers
 *    follow lme4's path: the same Nelder–Mead on the same warm-started function); SEs 1e-3 (lme4's
 *    finite-difference Hessian of a function with ~1e-7 noise where lme4 uses it); σ, fitted,
 *    residuals, ranef, VarCorr 1e-6; the stage-1 (nAGQ = 0) fit's deviance 1e-6, θ 1e-6;
 *  - the summary printout: R's lines exactly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FitError, FormulaError, OptionError, DataError } from '../src/errors/errors.js';
import { readTableFile } from '../src/io/node.js';
import { nlmerDevianceAt } from '../src/nlmer/fit.js';
import { parseNlFormula } from '../src/nlmer/formula.js';
import { buildNlmerModel } from '../src/nlmer/model.js';
import { nlmer } from '../src/nlmer/nlmer.js';
import type { NlmerFit } from '../src/nlmer/nlmerFit.js';
import { SELF_START_MODELS } from '../src/nlmer/selfStart.js';
import { runNlmer } from '../src/cli/nlmerCommand.js';
import { buildProgram } from '../src/cli/program.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'nlmer');
const dataDir = join(import.meta.dirname, 'fixtures', 'data');

interface FitFixture {
  formula: string; data: string; start: Record<string, number>; n: number;
  theta: number[] | number; beta: Record<string, number>; deviance: number; sigma: number; logLik: number; AIC: number; BIC: number; df_resid: number;
  vcov: number[][]; vcov_source: 'hessian' | 'RX'; se: number[]; feval: number;
  ranef: Record<string, { levels: string[]; values: Record<string, number[]> }>;
  varcorr: { grp: string[]; var1: (string | null)[]; var2: (string | null)[]; vcov: number[]; sdcor: number[] };
  fitted: number[]; residuals: number[]; summary: string[];
  stage1: { theta: number[] | number; beta: number[]; deviance: number };
  devfun: { at: number[]; value: number; moved: number[]; moved_value: number };
  predict?: { age: number[]; Tree: string[]; population: number[]; conditional: number[] };
}
const load = <T>(name: string): T => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as T;
const arr = (v: number[] | number) => (Array.isArray(v) ? v : [v]);
const table = (file: string) => readTableFile(join(dataDir, file)).table;

function close(ours: ArrayLike<number>, r: ArrayLike<number>, tol: number, what: string) {
  expect(ours.length, `${what}: length`).toBe(r.length);
  let scale = 1;
  for (let i = 0; i < r.length; i++) scale = Math.max(scale, Math.abs(r[i]));
  for (let i = 0; i < r.length; i++) expect(Math.abs(ours[i] - r[i]), `${what}[${i}]: ${ours[i]} vs ${r[i]}`).toBeLessThanOrEqual(tol * scale);
}

describe("R's self-starting models: values and gradients (R's deriv)", () => {
  const cases = load<{ model: string; covariates: Record<string, number[]>; cases: { parameters: Record<string, number>; value: number[]; gradient: number[][] }[] }[]>('selfstart.json');
  it('covers the ten models', () => {
    expect(cases.map((c) => c.model).sort()).toEqual([...SELF_START_MODELS.keys()].sort());
  });
  for (const c of cases) {
    it(`${c.model}: value and gradient to 1e-12`, () => {
      const m = SELF_START_MODELS.get(c.model)!;
      expect(Object.keys(c.covariates)).toEqual(m.covariates);
      const n = c.covariates[m.covariates[0]].length;
      for (const k of c.cases) {
        expect(Object.keys(k.parameters)).toEqual(m.parameters);
        const p = m.parameters.map((nm) => k.parameters[nm]);
        const g = new Float64Array(p.length);
        for (let i = 0; i < n; i++) {
          const v = m.eval(m.covariates.map((cv) => c.covariates[cv][i]), p, g);
          expect(Math.abs(v - k.value[i]), `${c.model} value row ${i}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(k.value[i])));
          for (let j = 0; j < p.length; j++) {
            expect(Math.abs(g[j] - k.gradient[j][i]), `${c.model} ∂/∂${m.parameters[j]} row ${i}`).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(k.gradient[j][i])));
          }
        }
      }
    });
  }
});

const CASES = ['orange', 'theoph', 'micmen', 'asymp', 'logis200'] as const;
const fits = new Map<string, NlmerFit>();
async function fitOf(name: string): Promise<{ fit: NlmerFit; fx: FitFixture }> {
  const fx = load<FitFixture>(`${name}.json`);
  if (!fits.has(name)) fits.set(name, await nlmer(fx.formula, table(fx.data), { start: fx.start, dataName: fx.data.replace(/\.csv$/, '') }));
  return { fit: fits.get(name)!, fx };
}

describe('lme4 nlmer: the Laplace deviance at given (θ, β)', () => {
  for (const name of CASES) {
    it(`${name}: at lme4's optimum and at a moved point, to 1e-8`, () => {
      const fx = load<FitFixture>(`${name}.json`);
      const f = parseNlFormula(fx.formula, Object.keys(fx.start));
      const model = buildNlmerModel(f, table(fx.data));
      expect(model.n).toBe(fx.n);
      const nth = model.nTheta;
      for (const [x, v] of [[fx.devfun.at, fx.devfun.value], [fx.devfun.moved, fx.devfun.moved_value]] as const) {
        const ours = nlmerDevianceAt(model, x.slice(0, nth), x.slice(nth));
        expect(Math.abs(ours - v) / Math.abs(v), `${name} at ${x.join(', ')}: ${ours} vs ${v}`).toBeLessThanOrEqual(1e-8);
      }
    });
  }
});

describe('lme4 nlmer: the fits', () => {
  for (const name of CASES) {
    it(`${name}: optimum, estimates, SEs, σ, ranef, VarCorr, fitted, residuals`, async () => {
      const { fit, fx } = await fitOf(name);
      const dev = fit.deviance();
      expect(Math.abs(dev - fx.deviance) / fx.deviance).toBeLessThanOrEqual(1e-6);
      expect(dev).toBeLessThanOrEqual(fx.deviance + 1e-6 * fx.deviance);
      close(fit.theta, arr(fx.theta), 1e-6, 'theta');
      close(Object.values(fit.fixef()), Object.values(fx.beta), 1e-6, 'beta');
      expect(Object.keys(fit.fixef())).toEqual(Object.keys(fx.beta));
      expect(fit.vcovSource).toBe(fx.vcov_source);
      fit.se().forEach((s, c) => expect(Math.abs(s - fx.se[c]) / fx.se[c], `SE ${c}`).toBeLessThanOrEqual(1e-3));
      expect(Math.abs(fit.sigma - fx.sigma) / fx.sigma).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(fit.logLik() - fx.logLik) / Math.abs(fx.logLik)).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(fit.AIC() - fx.AIC) / fx.AIC).toBeLessThanOrEqual(1e-6);
      expect(Math.abs(fit.BIC() - fx.BIC) / fx.BIC).toBeLessThanOrEqual(1e-6);
      expect(fit.dfResidual()).toBe(fx.df_resid);
      close(fit.fitted(), fx.fitted, 1e-6, 'fitted');
      close(fit.residuals(), fx.residuals, 1e-6, 'residuals');
      for (const g of fit.ranef()) {
        const r = fx.ranef[g.group];
        for (const [nm, vals] of Object.entries(g.values)) {
          // R's levels are the data's factor levels (Orange's Tree is an ordered factor); match by name
          close(r.levels.map((lv) => vals[g.levels.indexOf(lv)]), r.values[nm], 1e-6, `ranef ${g.group} ${nm}`);
        }
      }
      const vc = fit.varCorr();
      expect(vc.map((r) => r.group)).toEqual(fx.varcorr.grp);
      expect(vc.map((r) => r.var1)).toEqual(fx.varcorr.var1);
      close(vc.map((r) => r.vcov), fx.varcorr.vcov, 1e-6, 'VarCorr vcov');
      close(vc.map((r) => r.sdcor), fx.varcorr.sdcor, 1e-6, 'VarCorr sdcor');
    }, 120_000);

    it(`${name}: lme4's summary printout`, async () => {
      const { fit, fx } = await fitOf(name);
      expect(fit.summary().split('\n')).toEqual(fx.summary);
    }, 120_000);

    it(`${name}: the first stage alone (nAGQ = 0)`, async () => {
      const fx = load<FitFixture>(`${name}.json`);
      const fit0 = await nlmer(fx.formula, table(fx.data), { start: fx.start, nAGQ: 0 });
      expect(Math.abs(fit0.deviance() - fx.stage1.deviance) / fx.stage1.deviance).toBeLessThanOrEqual(1e-6);
      close(fit0.theta, arr(fx.stage1.theta), 1e-6, 'stage-1 theta');
      close(fit0.beta, fx.stage1.beta, 1e-6, 'stage-1 beta');
    }, 120_000);
  }

  it('predict: population and with the trees\' effects at new rows, new levels', async () => {
    const { fit, fx } = await fitOf('orange');
    const pr = fx.predict!;
    const nd = { age: pr.age, Tree: pr.Tree };
    close(fit.predict(nd, { level: 'population' }), pr.population, 1e-10, 'population');
    close(fit.predict(nd), pr.conditional, 1e-10, 'conditional');
    expect(Array.from(fit.predict({ age: [1000], Tree: ['9'] }, { allowNewLevels: true }))).toEqual(Array.from(fit.predict({ age: [1000], Tree: ['9'] }, { level: 'population' })));
    expect(() => fit.predict({ age: [1000], Tree: ['9'] })).toThrow(/level '9' of grouping factor 'Tree' is not in the fit/);
    expect(Number.isNaN(fit.predict({ age: [null], Tree: ['1'] })[0])).toBe(true);
    const json = fit.toJSON();
    expect(json.class).toBe('nlmerMod');
    expect(JSON.parse(JSON.stringify(json)).fixef).toEqual(fit.fixef());
  }, 120_000);
});

describe('nlmer: bad input', () => {
  const orange = () => table('Orange.csv');
  const F = 'circumference ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree';
  it('a parameter of the model missing from start', async () => {
    await expect(nlmer(F, orange(), { start: { Asym: 200, xmid: 725 } })).rejects.toThrow(FormulaError);
    await expect(nlmer(F, orange(), { start: { Asym: 200, xmid: 725 } })).rejects.toThrow(/parameter 'scal' has no starting value/);
  });
  it('a parameter in start that the model lacks', async () => {
    await expect(nlmer(F, orange(), { start: { Asym: 200, xmid: 725, scal: 350, extra: 1 } })).rejects.toThrow(/parameter 'extra' of start is not a parameter of SSlogis/);
  });
  it('no start, or a non-finite start value', async () => {
    await expect(nlmer(F, orange(), {} as never)).rejects.toThrow(OptionError);
    await expect(nlmer(F, orange(), { start: { Asym: Number.NaN, xmid: 725, scal: 350 } })).rejects.toThrow(/start value of 'Asym' must be a finite number/);
  });
  it('an unknown model function', async () => {
    await expect(nlmer('circumference ~ SSfoo(age, Asym, xmid, scal) ~ Asym | Tree', orange(), { start: { Asym: 200, xmid: 725, scal: 350 } })).rejects.toThrow(/unknown nonlinear model function 'SSfoo'/);
  });
  it('a random-effects term on a name that is not a parameter, and 1 in the mixed part', async () => {
    await expect(nlmer('circumference ~ SSlogis(age, Asym, xmid, scal) ~ (age | Tree)', orange(), { start: { Asym: 200, xmid: 725, scal: 350 } })).rejects.toThrow(/'age' in \(age \| Tree\) is not one/);
    await expect(nlmer('circumference ~ SSlogis(age, Asym, xmid, scal) ~ (1 | Tree)', orange(), { start: { Asym: 200, xmid: 725, scal: 350 } })).rejects.toThrow(/1 is not meaningful in a nonlinear model formula/);
    await expect(nlmer('circumference ~ SSlogis(age, Asym, xmid, scal) ~ age + (Asym | Tree)', orange(), { start: { Asym: 200, xmid: 725, scal: 350 } })).rejects.toThrow(/'age' is not one/);
  });
  it('a formula without three parts, a missing column', async () => {
    await expect(nlmer('circumference ~ SSlogis(age, Asym, xmid, scal)', orange(), { start: { Asym: 200, xmid: 725, scal: 350 } })).rejects.toThrow(/three parts/);
    await expect(nlmer('circumference ~ SSlogis(Age, Asym, xmid, scal) ~ Asym | Tree', orange(), { start: { Asym: 200, xmid: 725, scal: 350 } })).rejects.toThrow(DataError);
  });
  it('a non-finite model value names the row', async () => {
    await expect(nlmer('rate ~ SSmicmen(conc, Vm, K) ~ Vm | g', table('micmen.csv'), { start: { Vm: 200, K: -0.02 } })).rejects.toThrow(FitError);
    await expect(nlmer('rate ~ SSmicmen(conc, Vm, K) ~ Vm | g', table('micmen.csv'), { start: { Vm: 200, K: -0.02 } })).rejects.toThrow(/SSmicmen is not finite \(-?Infinity\) at row 1 \(conc = 0.02; Vm = 200, K = -0.02\)/);
  });
  it('nAGQ > 1 refused as lme4, and unknown or refused options', async () => {
    await expect(nlmer(F, orange(), { start: { Asym: 200, xmid: 725, scal: 350 }, nAGQ: 2 })).rejects.toThrow(/nAGQ > 1 not yet implemented for nlmer models/);
    await expect(nlmer(F, orange(), { start: { Asym: 200, xmid: 725, scal: 350 }, weights: 'w' } as never)).rejects.toThrow(OptionError);
    await expect(nlmer(F, orange(), { start: { Asym: 200, xmid: 725, scal: 350 }, optimizer: 'lbfgs' as never })).rejects.toThrow(/optimizer "lbfgs" is not offered/);
  });
});

describe('mixedgpu nlmer (CLI)', () => {
  const capture = () => {
    const out: string[] = [], err: string[] = [];
    return { out, err, io: { stdout: (t: string) => { out.push(t); }, stderr: (t: string) => { err.push(t); } } };
  };
  const file = join(dataDir, 'Orange.csv');
  const F = 'circumference ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree';
  it("prints lme4's summary, the data named by the file", async () => {
    const c = capture();
    expect(await runNlmer({ file, formula: F, start: 'Asym=200,xmid=725,scal=350' }, c.io)).toBe(0);
    const fx = load<FitFixture>('orange.json');
    expect(c.out.join('').trimEnd().split('\n')).toEqual(fx.summary);
    expect(c.err.join('')).toMatch(/falling back to var-cov estimated from RX/);
  }, 120_000);
  it('--json gives the fit as JSON', async () => {
    const c = capture();
    expect(await runNlmer({ file, formula: F, start: 'Asym=200,xmid=725,scal=350', json: true, quiet: true }, c.io)).toBe(0);
    const j = JSON.parse(c.out.join(''));
    const fx = load<FitFixture>('orange.json');
    expect(Math.abs(j.deviance - fx.deviance) / fx.deviance).toBeLessThanOrEqual(1e-6);
    expect(Object.keys(j.fixef)).toEqual(['Asym', 'xmid', 'scal']);
    expect(c.err).toEqual([]);
  }, 120_000);
  it("the command's options map to runNlmer's arguments", () => {
    const cmd = buildProgram().commands.find((c) => c.name() === 'nlmer')!;
    expect(cmd.options.map((x) => [x.long, x.attributeName()])).toEqual(expect.arrayContaining([
      ['--start', 'start'], ['--nagq', 'nagq'], ['--optimizer', 'optimizer'], ['--json', 'json'], ['--factors', 'factors'], ['--quiet', 'quiet'],
    ]));
    expect(cmd.registeredArguments.map((a) => a.name())).toEqual(['file', 'formula']);
  });
  it('bad --start, --nagq and a bad formula are errors with exit code 1', async () => {
    for (const [args, msg] of [
      [{ start: undefined }, /--start is required/],
      [{ start: 'Asym=200,xmid=abc,scal=350' }, /'xmid=abc' is not name=number/],
      [{ start: 'Asym=200,xmid=725,scal=350', nagq: '2' }, /--nagq must be 0 or 1/],
      [{ start: 'Asym=200,xmid=725', formula: F }, /parameter 'scal' has no starting value/],
    ] as const) {
      const c = capture();
      expect(await runNlmer({ file, formula: F, ...args }, c.io)).toBe(1);
      expect(c.err.join('')).toMatch(msg);
    }
  });
});

describe('nlmer formula (lme4 nlformula)', () => {
  const P = ['Asym', 'xmid', 'scal'];
  it("fixed effects: a fixed term written first leads (lme4's ~ 0 + nobars + pnames: xmid, Asym, scal)", () => {
    const f = parseNlFormula('circumference ~ SSlogis(age, Asym, xmid, scal) ~ xmid + (Asym | Tree)', P);
    expect(f.fixed).toEqual(['xmid', 'Asym', 'scal']);
    expect(f.random).toEqual([{ parameters: ['Asym'], group: ['Tree'], groupLabel: 'Tree' }]);
  });
  it('a bare bar is one term; two terms on one factor; named model arguments', () => {
    expect(parseNlFormula('circumference ~ SSlogis(age, Asym, xmid, scal) ~ Asym + xmid | Tree', P).random)
      .toEqual([{ parameters: ['Asym', 'xmid'], group: ['Tree'], groupLabel: 'Tree' }]);
    const two = parseNlFormula('circumference ~ SSlogis(age, Asym, xmid, scal) ~ (Asym | Tree) + (0 + xmid | Tree)', P);
    expect(two.random.map((r) => r.parameters)).toEqual([['Asym'], ['xmid']]);
    const model = buildNlmerModel(two, table('Orange.csv'));
    expect([model.q, model.nTheta, Array.from(model.lower), Array.from(model.theta0)]).toEqual([10, 2, [0, 0], [1, 1]]);
    const named = parseNlFormula('conc ~ SSfol(input = Time, Dose = Dose, lKe, lKa, lCl) ~ lKe | Subject', ['lKe', 'lKa', 'lCl']);
    expect(named.covariates).toEqual(['Dose', 'Time']);
  });
  it('a correlated term: θ is the template lower triangle by columns, 1 on the diagonal', () => {
    const f = parseNlFormula('conc ~ SSfol(Dose, Time, lKe, lKa, lCl) ~ (lKe + lKa + lCl | Subject)', ['lKe', 'lKa', 'lCl']);
    const model = buildNlmerModel(f, table('Theoph.csv'));
    expect([model.n, model.q, model.nTheta]).toEqual([132, 36, 6]);
    expect(Array.from(model.theta0)).toEqual([1, 0, 0, 1, 0, 1]);
    expect(Array.from(model.lower)).toEqual([0, -Infinity, -Infinity, 0, -Infinity, 0]);
  });
});
