/**
 * `mixedgpu gee` (src/cli/geeCommand.ts) against geepack's geeglm (test/oracle/geepack.R's fixtures):
 * the printout from its coefficient table on as R prints it, --json's estimates (1e-6 relative, as
 * test/gee.test.ts), --std-err jack, --anova's and --qic's numbers, and refusals as exit code 1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from './helpers/cliEngines.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const J: any = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'gee', 'cases.json'), 'utf8'));
const data = (f: string) => join(import.meta.dirname, 'fixtures', 'gee', f);
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('mixedgpu gee', () => {
  it('ohio, binomial, exchangeable: the summary as geepack prints it', async () => {
    const c = J.cases.ohio_exchangeable;
    const out = await runMain(['gee', data('ohio.csv'), 'resp ~ age + smoke', '--id', 'id', '--family', 'binomial', '--corstr', 'exchangeable', '--epsilon', '1e-12', '--maxit', '100']);
    expect(out.code).toBe(0);
    const lines = out.stdout.replace(/\n$/, '').split('\n');
    const want: string[] = c.printout;
    expect(lines.slice(lines.indexOf(' Coefficients:'))).toEqual(want.slice(want.indexOf(' Coefficients:')));
    expect(lines).toContain('geeglm(formula = resp ~ age + smoke, family = binomial, data = ohio, id = id, corstr = "exchangeable")');
  });

  it('dietox, ar1 with waves, --std-err jack --json --anova', async () => {
    const c = J.cases.dietox_ar1_jack;
    const out = await runMain(['gee', data('dietox.csv'), 'Weight ~ Time + Cu', '--id', 'Pig', '--corstr', 'ar1', '--waves', 'Time', '--std-err', 'jack', '--epsilon', '1e-12', '--maxit', '100', '--json', '--anova']);
    expect(out.code).toBe(0);
    const j = JSON.parse(out.stdout);
    expect(j.std_err).toBe('jack');
    expect(j.clusters).toBe(72);
    j.coefficients.forEach((r: { term: string; estimate: number; std_err: number }, i: number) => {
      expect(r.term).toBe(c.xnames[i]);
      expect(rel(r.estimate, c.beta[i])).toBeLessThan(1e-6);
      expect(rel(r.std_err, c.coef['Std.err'][i])).toBeLessThan(1e-6);
    });
    expect(rel(j.scale.estimate, c.gamma)).toBeLessThan(1e-6);
    expect(rel(j.correlation[0].estimate, c.alpha)).toBeLessThan(1e-6);
    const a = J.anova.dietox_ar1;
    j.anova.forEach((r: { term: string; df: number; x2: number }, i: number) => {
      expect(r.term).toBe(a.rows[i]);
      expect(r.df).toBe(a.df[i]);
      // anova.geeglm uses the sandwich (geese$vbeta) whatever std.err is
      expect(rel(r.x2, a.x2[i])).toBeLessThan(1e-6);
    });
  });

  it('--anova prints anova.geeglm\'s table as R does', async () => {
    const out = await runMain(['gee', data('ohio.csv'), 'resp ~ age + smoke', '--id', 'id', '--family', 'binomial', '--corstr', 'exchangeable', '--epsilon', '1e-12', '--maxit', '100', '--anova']);
    expect(out.code).toBe(0);
    const want: string[] = J.anova.ohio_exchangeable.printout;
    const lines = out.stdout.replace(/\n$/, '').split('\n');
    expect(lines.slice(lines.indexOf(want[0]))).toEqual(want);
  });

  it('--qic', async () => {
    const q = J.qic.epil_exchangeable;
    const out = await runMain(['gee', data('epil.csv'), 'y ~ lbase * trt + lage + V4', '--id', 'subject', '--family', 'poisson', '--corstr', 'exchangeable', '--epsilon', '1e-12', '--maxit', '100', '--qic', '--json']);
    expect(out.code).toBe(0);
    const j = JSON.parse(out.stdout);
    expect(rel(j.qic.QIC, q.QIC)).toBeLessThan(1e-6);
    expect(rel(j.qic.CIC, q.CIC)).toBeLessThan(1e-6);
  });

  it('refuses a missing --id, an unknown column and a bad --maxit with the reason', async () => {
    let out = await runMain(['gee', data('ohio.csv'), 'resp ~ age', '--family', 'binomial']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/--id is required/);
    out = await runMain(['gee', data('ohio.csv'), 'resp ~ age', '--id', 'child', '--family', 'binomial']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/id column 'child'/);
    out = await runMain(['gee', data('ohio.csv'), 'resp ~ age', '--id', 'id', '--maxit', '2.5']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/--maxit must be a positive whole number/);
  });
});
