/**
 * `mixedgpu fit`: the command as a function with in-memory output writers (no process spawned).
 * Numeric parity with lme4 is tested elsewhere; here: what goes to stdout / stderr and exit codes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFit, type CliIO, type FitArgs } from '../src/cli/fitCommand.js';

const data = join(import.meta.dirname, 'fixtures', 'data');
const sleepstudy = join(data, 'sleepstudy.csv');
const FORMULA = 'Reaction ~ Days + (Days | Subject)';
const cbpp = join(data, 'cbpp.csv');
const CBPP = 'cbind(incidence, size - incidence) ~ period + (1 | herd)';
const grouseticks = join(data, 'grouseticks.csv');
const GROUSE = 'TICKS ~ YEAR + cHEIGHT + (1 | BROOD) + (1 | LOCATION)';
/** lme4 1.1-31 run to convergence (test/oracle/glmer_tight.R) */
const tight = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'reference-tight', `${name}_tight.json`), 'utf8')) as {
  loglik: number; fixef: Record<string, number>; theta: number[];
};

function memoryIO(tty = false): CliIO & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); }, stderrIsTTY: tty };
}

async function run(args: FitArgs, tty = false) {
  const io = memoryIO(tty);
  const code = await runFit(args, io);
  return { code, stdout: io.out.join(''), stderr: io.err.join('') };
}

describe('mixedgpu fit', () => {
  it('--json prints one JSON object with the fit\'s fields', async () => {
    const { code, stdout, stderr } = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', json: true });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as Record<string, unknown>;
    for (const key of ['formula', 'reml', 'nobs', 'ngroups', 'theta', 'sigma', 'fixef', 'se', 'vcov', 'varcorr', 'loglik', 'aic', 'bic', 'remlcrit', 'singular', 'ranef', 'backend', 'messages']) {
      expect(json).toHaveProperty(key);
    }
    expect(json.formula).toBe(FORMULA);
    expect(json.reml).toBe(true);
    expect(json.nobs).toBe(180);
    expect(json.ngroups).toEqual({ Subject: 18 });
    expect(Object.keys(json.fixef as object)).toEqual(['(Intercept)', 'Days']);
    expect(json.backend).toBe('cpu');
    expect((json.varcorr as unknown[]).length).toBe(4);
  });

  it('--ml fits by maximum likelihood', async () => {
    const { code, stdout } = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', json: true, ml: true });
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as Record<string, unknown>;
    expect(json.reml).toBe(false);
    expect(json).toHaveProperty('deviance');
    expect(json).not.toHaveProperty('remlcrit');
  });

  it('prints the summary by default, with the file name as the data name', async () => {
    const { code, stdout } = await run({ file: sleepstudy, formula: FORMULA, factors: ['Subject'] });
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Linear mixed model fit by REML \['lmerMod'\]\n/);
    expect(stdout).toContain('Formula: Reaction ~ Days + (Days | Subject)\n   Data: sleepstudy\n');
    expect(stdout).toContain('Number of obs: 180, groups:  Subject, 18');
    expect(stdout).toContain('Backend: cpu');
  });

  it('shows progress on a terminal stderr only, never on stdout', async () => {
    const tty = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', json: true }, true);
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/evaluations, REML criterion \d/);
    expect(() => JSON.parse(tty.stdout)).not.toThrow();
    const quiet = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', json: true, quiet: true }, true);
    expect(quiet.stderr).toBe('');
  });

  it('an unknown backend is a clear error', async () => {
    const { code, stdout, stderr } = await run({ file: sleepstudy, formula: FORMULA, backend: 'tpu' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe("mixedgpu: error: unknown backend 'tpu' (choose one of cpu, webgpu, auto)\n");
  });

  it('--threads takes a positive integer or auto; anything else is a clear error', async () => {
    const bad = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', threads: '0' });
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toBe("mixedgpu: error: --threads must be a positive integer or auto, got '0'\n");
    const one = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', threads: '1', json: true });
    expect(one.code).toBe(0);
    const auto = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', threads: 'auto', json: true });
    // the same fit, timings apart
    const strip = (out: string) => JSON.parse(out, (k, v) => (k === 'timings_ms' ? undefined : v));
    expect(strip(auto.stdout)).toEqual(strip(one.stdout));
  });

  it('a missing file is an error naming the file', async () => {
    const { code, stdout, stderr } = await run({ file: join(data, 'no_such_file.csv'), formula: FORMULA });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^mixedgpu: error: .*no_such_file\.csv/);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a malformed formula is an error with the caret message', async () => {
    const { code, stdout, stderr } = await run({ file: sleepstudy, formula: 'Reaction ~ Days + (Days | Subject', factors: 'Subject' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^mixedgpu: error: /);
    expect(stderr).toContain('Reaction ~ Days + (Days | Subject');
    expect(stderr).toContain('^');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('a missing column is an error naming the column', async () => {
    const { code, stdout, stderr } = await run({ file: sleepstudy, formula: 'Reaction ~ Dayz + (1 | Subject)', factors: 'Subject' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^mixedgpu: error: .*'Dayz'/);
  });

  it('--ml with --reml is an error', async () => {
    const { code, stderr } = await run({ file: sleepstudy, formula: FORMULA, ml: true, reml: true });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^mixedgpu: error: --ml and --reml/);
  });
});

describe('mixedgpu fit --family (glmer)', () => {
  it('prints lme4\'s glmer summary for cbpp (binomial, cbind response)', async () => {
    const { code, stdout, stderr } = await run({ file: cbpp, formula: CBPP, factors: 'herd,period', family: 'binomial' });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    // R: print(summary(glmer(cbind(incidence, size - incidence) ~ period + (1 | herd), cbpp, binomial)))
    // with glmer run to convergence (test/glmm.test.ts has the whole text)
    expect(stdout).toMatch(new RegExp('^' + [
      'Generalized linear mixed model fit by maximum likelihood \\(Laplace',
      '  Approximation\\) \\[glmerMod\\]',
      ' Family: binomial  \\( logit \\)',
      'Formula: cbind\\(incidence, size - incidence\\) ~ period \\+ \\(1 \\| herd\\)',
      '   Data: cbpp',
      '',
      '     AIC      BIC   logLik deviance df.resid ',
      '   194.1    204.2    -92.0    184.1       51 ',
      '',
    ].join('\n')));
    expect(stdout).toContain([
      'Random effects:',
      ' Groups Name        Variance Std.Dev.',
      ' herd   (Intercept) 0.4125   0.6423  ',
      'Number of obs: 56, groups:  herd, 15',
      '',
      'Fixed effects:',
      '            Estimate Std. Error z value Pr(>|z|)    ',
      '(Intercept)  -1.3985     0.2325  -6.016 1.79e-09 ***',
      'period2      -0.9923     0.3066  -3.236 0.001212 ** ',
      'period3      -1.1287     0.3266  -3.455 0.000549 ***',
      'period4      -1.5803     0.4274  -3.697 0.000218 ***',
      '---',
    ].join('\n'));
    expect(stdout).toMatch(/\nBackend: cpu \(CPU \(JavaScript, float64\)\); \d+ evaluations; converged; Var\(fixed effects\) from the finite-difference Hessian\n$/);
  });

  it('--json prints GlmmFit.toJSON() for cbpp', async () => {
    const { code, stdout, stderr } = await run({ file: cbpp, formula: CBPP, factors: ['herd', 'period'], family: 'binomial', json: true });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ formula: CBPP, kind: 'glmer', family: 'binomial', link: 'logit', nAGQ: 1, reml: false, nobs: 56, ngroups: { herd: 15 }, sigma: 1, converged: true, backend: 'cpu', vcov_method: 'hessian' });
    const ref = tight('cbpp_binomial');
    expect(Math.abs((json.loglik as number) - ref.loglik)).toBeLessThan(1e-6);
    expect(Object.keys(json.fixef as object)).toEqual(Object.keys(ref.fixef));
    for (const [k, v] of Object.entries(ref.fixef)) expect((json.fixef as Record<string, number>)[k]).toBeCloseTo(v, 4);
    expect((json.coefficients as { name: string }[]).map((c) => c.name)).toEqual(Object.keys(ref.fixef));
    expect((json.varcorr as { group: string }[]).map((r) => r.group)).toEqual(['herd']);
  });

  it('--json for grouseticks (poisson, two grouping factors)', async () => {
    const { code, stdout, stderr } = await run({ file: grouseticks, formula: GROUSE, factors: 'YEAR,BROOD,LOCATION,INDEX', family: 'poisson', json: true });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const json = JSON.parse(stdout) as Record<string, unknown>;
    expect(json).toMatchObject({ kind: 'glmer', family: 'poisson', link: 'log', nAGQ: 1, nobs: 403, ngroups: { BROOD: 118, LOCATION: 63 }, converged: true });
    const ref = tight('grouseticks_poisson');
    expect(Math.abs((json.loglik as number) - ref.loglik)).toBeLessThan(1e-6);
    for (const [k, v] of Object.entries(ref.fixef)) expect((json.fixef as Record<string, number>)[k]).toBeCloseTo(v, 4);
    (json.theta as number[]).forEach((t, i) => expect(t).toBeCloseTo(ref.theta[i], 3));
  });

  it('--link, --nagq and --weights reach glmer', async () => {
    const probit = JSON.parse((await run({ file: cbpp, formula: CBPP, factors: 'herd,period', family: 'binomial', link: 'probit', json: true })).stdout);
    expect(probit).toMatchObject({ family: 'binomial', link: 'probit' });
    const agq = await run({ file: cbpp, formula: CBPP, factors: 'herd,period', family: 'binomial', nagq: '9' });
    expect(agq.code).toBe(0);
    expect(agq.stdout.split('\n').slice(0, 2)).toEqual([
      'Generalized linear mixed model fit by maximum likelihood (Adaptive',
      '  Gauss-Hermite Quadrature, nAGQ = 9) [glmerMod]',
    ]);
    const props = await run({ file: cbpp, formula: 'incidence / size ~ period + (1 | herd)', factors: 'herd,period', family: 'binomial', weights: 'size', json: true });
    expect(props.code).toBe(0);
    expect(JSON.parse(props.stdout).loglik).toBeCloseTo(tight('cbpp_binomial').loglik, 6);
  });

  it('shows glmer\'s progress on a terminal stderr only', async () => {
    const tty = await run({ file: cbpp, formula: CBPP, factors: 'herd,period', family: 'binomial', json: true }, true);
    expect(tty.code).toBe(0);
    expect(tty.stderr).toMatch(/stage 1 \(nAGQ = 0\): \d+ evaluations, deviance \d/);
    expect(tty.stderr).toMatch(/stage 2: \d+ evaluations, deviance \d/);
    expect(() => JSON.parse(tty.stdout)).not.toThrow();
  });

  it('an unknown family is a clear error', async () => {
    const { code, stdout, stderr } = await run({ file: cbpp, formula: CBPP, factors: 'herd,period', family: 'quasipoisson' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe("mixedgpu: error: unknown family 'quasipoisson' (choose one of binomial, poisson, negative.binomial, Gamma, inverse.gaussian, gaussian; without --family the model is a linear mixed model)\n");
  });

  it('a link the family does not have is an error', async () => {
    const bin = await run({ file: cbpp, formula: CBPP, factors: 'herd,period', family: 'binomial', link: 'sqrt' });
    expect(bin.code).toBe(1);
    expect(bin.stdout).toBe('');
    expect(bin.stderr).toBe("mixedgpu: error: link 'sqrt' is not available for the binomial family (choose one of logit, probit, cloglog, cauchit, log)\n");
    const pois = await run({ file: grouseticks, formula: GROUSE, family: 'poisson', link: 'logit' });
    expect(pois.code).toBe(1);
    expect(pois.stderr).toBe("mixedgpu: error: link 'logit' is not available for the poisson family (choose one of log, identity, sqrt)\n");
  });

  it('--nagq > 1 with two grouping factors is glmer\'s error', async () => {
    const { code, stdout, stderr } = await run({ file: grouseticks, formula: GROUSE, factors: 'YEAR,BROOD,LOCATION,INDEX', family: 'poisson', nagq: '5' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('mixedgpu: error: nAGQ > 1 is only available for models whose random effects have a single grouping factor (this model has (1 | BROOD) + (1 | LOCATION): the factors BROOD, LOCATION): with several factors the levels are not independent, so the quadrature does not separate by level; use nAGQ = 1 (the Laplace approximation)\n');
  });

  it('--nagq must be a whole number from 0 to 25', async () => {
    for (const nagq of ['x', '1.5', '-1', '26']) {
      const { code, stderr } = await run({ file: cbpp, formula: CBPP, factors: 'herd,period', family: 'binomial', nagq });
      expect(code).toBe(1);
      expect(stderr).toBe(`mixedgpu: error: --nagq must be a whole number from 0 to 25, got '${nagq}'\n`);
    }
  });

  it('--link and --nagq without --family are errors (--weights is for lmer too)', async () => {
    const { code, stdout, stderr } = await run({ file: cbpp, formula: CBPP, factors: 'herd,period', link: 'logit', nagq: '1', weights: 'size' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('mixedgpu: error: --link, --nagq are for generalized linear mixed models: add --family (binomial, poisson, negative.binomial, Gamma, inverse.gaussian or gaussian)\n');
  });

  it('--reml with --family is an error (a GLMM is fitted by maximum likelihood)', async () => {
    const { code, stderr } = await run({ file: cbpp, formula: CBPP, factors: 'herd,period', family: 'binomial', reml: true });
    expect(code).toBe(1);
    expect(stderr).toBe('mixedgpu: error: --reml is for linear mixed models: a GLMM is fitted by maximum likelihood\n');
  });

  it('--backend webgpu with --family fits on WebGPU or fails clearly, never silently on the CPU', async () => {
    // test/gpu/ covers the WebGPU fits themselves; here only: the choice reaches glmer
    const { code, stdout, stderr } = await run({ file: cbpp, formula: CBPP, factors: 'herd,period', family: 'binomial', backend: 'webgpu', json: true });
    if (code === 0) {
      const json = JSON.parse(stdout) as Record<string, unknown>;
      expect(json.backend).toBe('webgpu');
      expect(json.precision).toMatch(/float32/);
    } else {
      expect(stdout).toBe('');
      expect(stderr).toMatch(/^mixedgpu: error: .*WebGPU/);
    }
  });

  it('--backend auto fits a GLMM on the CPU and says so', async () => {
    const { code, stderr } = await run({ file: cbpp, formula: CBPP, factors: 'herd,period', family: 'binomial', backend: 'auto', json: true });
    expect(code).toBe(0);
    expect(stderr).toBe('mixedgpu: note: --backend auto used cpu (CPU (JavaScript, float64))\n');
  });

  it('a cbind response without --family is lmer\'s error, not a GLMM', async () => {
    const { code, stdout, stderr } = await run({ file: cbpp, formula: CBPP, factors: 'herd,period' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^mixedgpu: error: /);
  });
});
