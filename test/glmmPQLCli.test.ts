/**
 * `mixedgpu glmmpql` (src/cli/glmmpqlCommand.ts) against MASS's glmmPQL (test/oracle/glmmpql.R): the
 * printout's lines as R's (its words; the fixed-effects table's names, DF and p-values), the JSON's
 * estimates at the library test's tolerance (test/glmmPQL.test.ts: 2e-6 relative against the tight
 * record), --verbose's iteration messages, and refusals as exit code 1 with the reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from './helpers/cliEngines.js';
import { expectRel } from './helpers/nlmeChecks.js';

const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'glmmpql', `${name}.json`), 'utf8'));
const data = (f: string) => join(import.meta.dirname, 'fixtures', 'data', f);

describe('mixedgpu glmmpql', () => {
  it('bacteria (the ?glmmPQL example): the summary as R prints it, iterations with --verbose', async () => {
    const f = fixture('bacteria');
    const out = await runMain(['glmmpql', data('bacteria.csv'), f.ours.fixed, '--random', f.ours.random, '--family', 'binomial', '--verbose']);
    expect(out.code).toBe(0);
    expect(out.stderr).toBe(Array.from({ length: f.niterTight }, (_, k) => `iteration ${k + 1}\n`).join(''));
    const lines = out.stdout.replace(/\n$/, '').split('\n');
    const theirs = (f.tight.print as string).split('\n');
    expect(lines.length).toBe(theirs.length);
    for (const l of ['Linear mixed-effects model fit by maximum likelihood', '  Data: bacteria ', '  AIC BIC logLik', '   NA  NA     NA', ' Formula: ~1 | ID', ' Structure: fixed weights', ' Formula: ~invwt ', 'Fixed effects:  yy ~ trt + I(week > 2) ', 'Number of Observations: 220', 'Number of Groups: 50 ']) expect(lines).toContain(l);
    // the fixed-effects table: names, DF and p-values as R's
    const k = theirs.findIndex((l) => l.startsWith('Fixed effects:'));
    const cols = (l: string) => { const t = l.trim().split(/\s+/); return [t[0], t[t.length - 3], t[t.length - 1]]; };
    expect(lines.slice(k + 1, k + 6).map(cols)).toEqual(theirs.slice(k + 1, k + 6).map(cols));
  });

  it('cbpp as cbind with --json: the estimates, σ and iterations', async () => {
    const f = fixture('cbpp_cbind');
    const out = await runMain(['glmmpql', data('cbpp.csv'), f.ours.fixed, '--random', f.ours.random, '--family', 'binomial', '--factors', 'herd,period', '--json']);
    expect(out.code).toBe(0);
    const j = JSON.parse(out.stdout);
    expect(j.logLik).toBeNull();
    expect(j.iterations).toBe(f.niterTight);
    expect(j.converged).toBe(true);
    j.fixed.forEach((r: { name: string; Value: number; StdError: number; DF: number }, i: number) => {
      expect(r.name).toBe(f.tight.fixef.names[i]);
      expectRel(r.Value, f.tight.fixef.Value[i], 2e-6, `β ${r.name}`);
      expectRel(r.StdError, f.tight.fixef['Std.Error'][i], 2e-6, `SE ${r.name}`);
      expect(r.DF).toBe(f.tight.fixef.DF[i]);
    });
    expectRel(j.sigma, f.tight.sigma, 2e-6, 'σ');
  });

  it('a Poisson fit with corAR1 and --niter 2: the correlation lines, a note that η had not converged', async () => {
    const f = fixture('sim_ar1');
    const out = await runMain(['glmmpql', data('pql_sim.csv'), f.ours.fixed, '--random', f.ours.random, '--family', 'poisson', '--correlation', f.ours.correlation, '--niter', '2']);
    expect(out.code).toBe(0);
    expect(out.stderr).toMatch(/note: glmmpql: the linear predictor had not converged after niter = 2 lme fits/);
    for (const l of ['Correlation Structure: AR(1)', ' Formula: ~time | id ']) expect(out.stdout.split('\n')).toContain(l);
  });

  it('refusals: no --random, no --family, a bad --niter, a family not taken, a binomial response outside [0, 1]', async () => {
    const b = data('bacteria.csv');
    const cases: [string[], RegExp][] = [
      [['glmmpql', b, 'yy ~ trt', '--family', 'binomial'], /--random is required/],
      [['glmmpql', b, 'yy ~ trt', '--random', '~ 1 | ID'], /--family is required/],
      [['glmmpql', b, 'yy ~ trt', '--random', '~ 1 | ID', '--family', 'binomial', '--niter', '2.5'], /--niter must be a whole number ≥ 1, got '2.5'/],
      [['glmmpql', b, 'yy ~ trt', '--random', '~ 1 | ID', '--family', 'negbin'], /family must be one of binomial, quasibinomial, poisson, quasipoisson, Gamma, got "negbin"/],
      [['glmmpql', b, 'week ~ trt', '--random', '~ 1 | ID', '--family', 'binomial'], /the response 'week' is \d+ in row \d+: a binomial response must be 0\/1/],
    ];
    for (const [args, re] of cases) {
      const out = await runMain(args);
      expect(out.code, args.join(' ')).toBe(1);
      expect(out.stderr).toMatch(re);
    }
  });
});
