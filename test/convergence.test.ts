/**
 * lme4's convergence checks (src/model/convergence.ts, src/optim/deriv12.ts) and its check of the fixed
 * effects' scales (src/frame/scaleX.ts) against lme4 1.1-31 (test/oracle/convergence.R):
 *  - the rules alone: checkConv / checkHess on given derivatives and checkScaleX on given matrices,
 *    every branch, the same codes and messages;
 *  - lmer's derivatives at lme4's θ̂ (no optimizer): deriv12 of our criterion against lme4's;
 *  - the fits: our derivatives at our optimum, and the same messages as lme4's fits.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { buildLmm } from '../src/lmm/model.js';
import { formGram } from '../src/backend/cpu/gram.js';
import { CpuBackend } from '../src/backend/cpu/cpuBackend.js';
import { profiledCriterion } from '../src/lmm/deviance.js';
import { thetaDerivatives } from '../src/lmm/fit.js';
import { CHECK_CONV, checkConv, checkHess, derivsByDefault, scaledGradient, sprintfG } from '../src/model/convergence.js';
import { SCALE_X_MESSAGE, scaleXMessage } from '../src/frame/scaleX.js';
import type * as arrow from 'apache-arrow';
import { runMain } from './helpers/cliEngines.js';
import { frameWithout } from '../src/inference/fixedWithout.js';

const dir = join(import.meta.dirname, 'fixtures', 'convergence');
const dataDir = join(import.meta.dirname, 'fixtures', 'data');

interface Lme4Case {
  formula: string; data: string; reml?: boolean; family?: string; maxeval?: number;
  theta: number | number[]; beta: number | number[]; criterion: number;
  gradient: number | number[]; hessian: number | number[][];
  code: number | number[]; messages: string | string[]; warnings: string | string[];
}
const lme4 = JSON.parse(readFileSync(join(dir, 'lme4.json'), 'utf8')) as Record<string, Lme4Case>;
const checks = JSON.parse(readFileSync(join(dir, 'checks.json'), 'utf8')) as {
  checkConv: Record<string, { gradient: (number | 'NA')[]; hessian: number[][]; code: number | number[]; messages: string | string[] }>;
  checkScaleX: Record<string, { X: number[][]; warning: string | string[] }>;
};

const list = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);
const flat = (m: number | number[][]) => Float64Array.from([m].flat(2) as number[]);
/** lme4 prints component 1 whatever the component (which.max of a scalar); ours names it */
const anyComponent = (m: string) => m.replace(/component \d+\)/, 'component ·)');

const files: Record<string, string> = {
  sleepstudy: join(dataDir, 'sleepstudy.csv'), dyestuff: join(dataDir, 'dyestuff.csv'), penicillin: join(dataDir, 'penicillin.csv'),
  pastes: join(dataDir, 'pastes.csv'), cbpp: join(dataDir, 'cbpp.csv'), small_var: join(dir, 'small_var.csv'), income: join(dir, 'income.csv'),
};
const factors: Record<string, string[]> = { sleepstudy: ['Subject'], cbpp: ['herd', 'period'], small_var: ['g'], income: ['g'] };
const tables = new Map<string, arrow.Table>();
const table = (name: string) => {
  if (!tables.has(name)) tables.set(name, readCsv(readFileSync(files[name])).table);
  return tables.get(name)!;
};

describe('lme4 checkConv and checkHess on given derivatives (lme4 1.1-31)', () => {
  for (const [name, c] of Object.entries(checks.checkConv)) {
    it(name, () => {
      const gradient = Float64Array.from(c.gradient, (g) => (g === 'NA' ? NaN : g));
      const res = checkConv({ gradient, hessian: flat(c.hessian) });
      expect(res.code).toEqual(list(c.code));
      expect(res.messages.map(anyComponent)).toEqual(list(c.messages).map(anyComponent));
    });
  }

  it('names the component with the largest min(|scaled gradient|, |gradient|)', () => {
    const c = checks.checkConv.grad;
    const d = { gradient: Float64Array.from(c.gradient as number[]), hessian: flat(c.hessian) };
    const s = scaledGradient(d)!;
    const m = Array.from(s, (v, i) => Math.min(Math.abs(v), Math.abs(d.gradient[i])));
    const at = m.indexOf(Math.max(...m)) + 1;
    expect(checkConv(d).messages[0]).toContain(`component ${at})`);
  });

  it('checkHess names the Hessian it checks', () => {
    expect(checkHess(Float64Array.from([1, 0, 0, -1]), 2, 1e-6, 'fixed-effect').messages[0]).toBe('Model failed to converge: degenerate fixed-effect Hessian with 1 negative eigenvalues');
  });

  it("R's %g", () => {
    for (const [x, s] of [[3.33786, '3.33786'], [0.002, '0.002'], [0.0915125, '0.0915125'], [1e-5, '1e-05'], [123456789, '1.23457e+08'], [999999.7, '1e+06'], [12.5, '12.5'], [-0.5, '-0.5'], [100000, '100000'], [0.0001, '0.0001']] as const) {
      expect(sprintfG(x)).toBe(s);
    }
  });

  it("lme4's rule for when the derivatives are computed (lme4 ≥ 2.0: nobs < 1e4, parameters < 10 or 20)", () => {
    expect(derivsByDefault(9999, 9, false)).toBe(true);
    expect(derivsByDefault(10000, 1, false)).toBe(false);
    expect(derivsByDefault(100, 10, false)).toBe(false);
    expect(derivsByDefault(100, 19, true)).toBe(true);
    expect(CHECK_CONV).toEqual({ gradTol: 0.002, hessTol: 1e-6 });
  });
});

describe('lme4 checkScaleX on given model matrices', () => {
  for (const [name, c] of Object.entries(checks.checkScaleX)) {
    it(name, () => {
      const n = c.X.length, p = c.X[0].length;
      const X = new Float64Array(n * p);
      for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) X[j * n + i] = c.X[i][j];
      expect(scaleXMessage(X, n, p)).toBe(list(c.warning)[0] ?? null);
    });
  }
});

describe("lmer's derivatives at lme4's θ̂ (deriv12 of our criterion, no optimizer)", () => {
  for (const [name, c] of Object.entries(lme4)) {
    if (c.family) continue;
    it(name, async () => {
      const model = buildLmm(c.formula, table(c.data), { REML: c.reml, factors: factors[c.data] });
      const reference = new CpuBackend(formGram(model), model.theta.length);
      const criterion = profiledCriterion(model);
      const d = await thetaDerivatives(model, (x) => criterion(reference.evaluate(x)), Float64Array.from(list(c.theta)));
      const g = list(c.gradient), H = flat(c.hessian);
      // the criterion at a point agrees with lme4's to ~1e-13 relative (|f| ≤ 2e3: ~2e-10); central
      // differences divide that by 2δ = 2e-4 (the gradient: ≤ 1e-6 absolute) and by δ² = 1e-8 (the
      // Hessian: ~2e-2 absolute, on entries of 10 to 1e3: 1e-4 relative to the largest)
      const hmax = Math.max(...Array.from(H, Math.abs));
      for (let i = 0; i < g.length; i++) expect(Math.abs(d.gradient[i] - g[i])).toBeLessThan(1e-6);
      for (let e = 0; e < H.length; e++) expect(Math.abs(d.hessian[e] - H[e])).toBeLessThan(1e-4 * hmax);
      // and lme4's checks on them
      expect(checkConv(d).messages.map(anyComponent)).toEqual(list(c.messages).map(anyComponent));
    });
  }
});

describe("the fits' checks and messages against lme4's", () => {
  for (const [name, c] of Object.entries(lme4)) {
    // nloptwrap's stop after 15 evaluations leaves lme4 short of the optimum: ours (moment start) is not
    if (c.maxeval) continue;
    it(name, async () => {
      const data = table(c.data);
      const fit = c.family
        ? await glmer(c.formula, data, { family: c.family as 'binomial', factors: factors[c.data] })
        : await lmer(c.formula, data, { REML: c.reml, factors: factors[c.data] });
      const d = fit.derivatives!;
      expect(d).not.toBeNull();
      const H = flat(c.hessian), ours = flat(d.hessian);
      const hmax = Math.max(...Array.from(H, Math.abs));
      // lmer: at our optimum (θ̂ within ~1e-4 of lme4's, whose own stops are nloptwrap's): the Hessian
      // moves by its third derivatives times Δθ, a few 1e-3 of its largest entry. glmer: lme4's deviance
      // runs PIRLS to its own tolerance, and that noise over δ² = 1e-8 moves lme4's Hessian: cbpp's at
      // lme4's optimum changes by up to 0.69 (1.1% of its largest entry, 65.5) with tolPwrss = 1e-12
      // instead of the default (measured in R, lme4:::deriv12 of update(fit, devFunOnly = TRUE, …))
      const tol = c.family ? 2e-2 : 5e-3;
      for (let e = 0; e < H.length; e++) expect(Math.abs(ours[e] - H[e])).toBeLessThan(tol * hmax);
      // both gradients below the check's tolerance unless lme4's is above it (the income GLMM: a step
      // of 1e-4 in the income coefficient moves η by ~5)
      const g = list(c.gradient);
      for (let i = 0; i < g.length; i++) {
        if (Math.abs(g[i]) < CHECK_CONV.gradTol) expect(Math.abs(d.gradient[i])).toBeLessThan(CHECK_CONV.gradTol);
      }
      expect(fit.convergence).not.toBeNull();
      // the same messages (max|grad|'s value is the gradient's at each one's own optimum: to 2 digits)
      const twoDigits = (m: string) => anyComponent(m).replace(/max\|grad\| = ([\d.e+-]+)/, (_, v: string) => `max|grad| = ${Number(v).toPrecision(2)}`);
      expect(fit.convergence!.messages.map(twoDigits)).toEqual(list(c.messages).map(twoDigits));
      const warned = list(c.warnings).filter((w) => w === SCALE_X_MESSAGE);
      expect(fit.messages.filter((m) => m === SCALE_X_MESSAGE)).toEqual(warned);
      for (const m of fit.convergence!.messages) expect(fit.summary()).toContain(m);
      const json = fit.toJSON() as { derivs: unknown; check_conv: unknown };
      expect(json.derivs).toEqual(d);
      expect(json.check_conv).toEqual(fit.convergence);
    });
  }

  it("lme4's max|grad| at a point short of the optimum, from our derivatives there", async () => {
    const c = lme4.sleepstudy_maxeval;
    const model = buildLmm(c.formula, table(c.data), { factors: factors[c.data] });
    const reference = new CpuBackend(formGram(model), model.theta.length);
    const criterion = profiledCriterion(model);
    const d = await thetaDerivatives(model, (x) => criterion(reference.evaluate(x)), Float64Array.from(list(c.theta)));
    expect(checkConv(d).messages.map(anyComponent)).toEqual(list(c.messages).map(anyComponent));
  });

  it('large data and singular fits are not checked; calcDerivs forces the check or turns it off', async () => {
    const data = table('sleepstudy');
    const off = await lmer('Reaction ~ Days + (Days | Subject)', data, { factors: ['Subject'], calcDerivs: false });
    expect(off.derivatives).toBeNull();
    expect(off.convergence).toBeNull();
    expect(off.timings.derivsMs).toBeUndefined();
    // a singular fit (Dyestuff2's batch variance is 0): no derivatives, lme4's singular message
    const dyestuff2 = await lmer('Yield ~ 1 + (1 | Batch)', readCsv(readFileSync(join(dataDir, 'dyestuff2.csv'))).table, {});
    expect(dyestuff2.singular).toBe(true);
    expect(dyestuff2.convergence).toBeNull();
    expect(dyestuff2.derivatives).toBeNull();
    expect(dyestuff2.messages).toContain("boundary (singular) fit: see help('isSingular')");
    // with 10,000 rows or more, none (lme4 ≥ 2.0's rule) unless asked for
    const rows = 10_000;
    const big = { y: Float64Array.from({ length: rows }, (_, i) => Math.sin(i * 1.7) + (i % 50) * 0.02), g: Array.from({ length: rows }, (_, i) => `g${i % 50}`) };
    expect((await lmer('y ~ 1 + (1 | g)', big)).convergence).toBeNull();
    const forced = await lmer('y ~ 1 + (1 | g)', big, { calcDerivs: true });
    expect(forced.convergence).toEqual({ code: [], messages: [] });
    expect(forced.derivatives!.gradient).toHaveLength(1);
    const g = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', table('cbpp'), { family: 'binomial', factors: ['herd', 'period'], calcDerivs: false });
    expect(g.convergence).toBeNull();
    expect(g.derivatives).not.toBeNull();
  });

  it('the CLI: the checks in the summary and the JSON, --no-calc-derivs turns them off', async () => {
    const args = ['fit', join(dir, 'income.csv'), 'yb ~ income + (1 | g)', '--family', 'binomial', '--factors', 'g', '--quiet'];
    const text = await runMain(args);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`${SCALE_X_MESSAGE}\nModel failed to converge with max|grad| = `);
    expect(text.stdout).toContain('Model is nearly unidentifiable: very large eigenvalue\n - Rescale variables?');
    const off = JSON.parse((await runMain([...args, '--no-calc-derivs', '--json'])).stdout) as { check_conv: unknown; derivs: unknown; messages: string[] };
    expect(off.check_conv).toBeNull();
    expect(off.messages).toEqual([SCALE_X_MESSAGE]);
    // the derivatives of Var(β̂) are computed all the same
    expect(off.derivs).not.toBeNull();
  });

  it("the commands that print something else than the fit: lme4's warnings on stderr (not with --quiet, not from fit)", async () => {
    const args = ['anova', join(dir, 'income.csv'), 'yb ~ income + (1 | g)', '--family', 'binomial', '--factors', 'g'];
    const loud = await runMain(args);
    expect(loud.code).toBe(0);
    expect(loud.stdout.split('\n')[0]).toBe('Analysis of Variance Table');
    expect(loud.stderr).toContain(`mixedgpu: warning: yb ~ income + (1 | g): ${SCALE_X_MESSAGE}\n`);
    expect(loud.stderr).toMatch(/mixedgpu: warning: yb ~ income \+ \(1 \| g\): Model failed to converge with max\|grad\| = 3\.3\d+ \(tol = 0\.002, component 3\)\n/);
    expect(loud.stderr).toContain('Model is nearly unidentifiable: very large eigenvalue\n - Rescale variables?');
    expect((await runMain([...args, '--quiet'])).stderr).toBe('');
    // fit prints them in its summary (and its JSON's messages), not again on stderr
    const fit = await runMain(['fit', ...args.slice(1)]);
    expect(fit.stderr).not.toContain('warning');
    expect(fit.stdout).toContain(SCALE_X_MESSAGE);
  });

  it("a reduced model's frame carries its own X's scales message in place of the full model's", async () => {
    const fit = await glmer('yb ~ income + (1 | g)', table('income'), { family: 'binomial', factors: ['g'] });
    expect(fit.model.frame.messages.filter((m) => m === SCALE_X_MESSAGE)).toHaveLength(1);
    // without income, X is the intercept alone: no scales message (glmer drop1's refit, src/inference/fixedWithout.ts)
    expect(frameWithout(fit.model.frame, 'income').messages).not.toContain(SCALE_X_MESSAGE);
  });

  it('calcDerivs must be a boolean', async () => {
    await expect(lmer('Reaction ~ Days + (1 | Subject)', table('sleepstudy'), { calcDerivs: 'yes' as unknown as boolean })).rejects.toThrow(/calcDerivs/);
  });
});
