/**
 * `mixedgpu lme` and `mixedgpu gls` (src/cli/lmeCommand.ts) against nlme 3.1-162
 * (test/fixtures/nlme, test/oracle/nlme.R, nlme2.R and nlme4.R): the printout's structure lines as nlme prints them, the
 * JSON's logLik to 1e-6 relative, and refusals as exit code 1 with the reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from './helpers/cliEngines.js';

const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'nlme', `${name}.json`), 'utf8'));
const data = (f: string) => join(import.meta.dirname, 'fixtures', 'data', f);

describe('mixedgpu lme / gls', () => {
  it('lme with corAR1 on Ovary: nlme\'s summary lines', async () => {
    const f = fixture('ovary_ar1');
    const out = await runMain(['lme', data('Ovary.csv'), f.ours.fixed, '--random', f.ours.random, '--correlation', f.ours.correlation, '--factors', 'Mare']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const lines = out.stdout.split('\n');
    expect(lines[0]).toBe('Linear mixed-effects model fit by REML');
    expect(lines[1]).toBe('  Data: Ovary ');
    for (const l of ['Correlation Structure: AR(1)', ' Formula: ~1 | Mare ', ' Parameter estimate(s):', 'Number of Observations: 308', 'Number of Groups: 11 ']) expect(lines).toContain(l);
    // the AIC line to nlme's printed digits; the fixed-effects table's heading, names, DF and p-values
    // (its Value, Std.Error and t-value columns agree to ~1e-7: their 7th digits may differ)
    const theirs = (f.print as string).split('\n');
    expect(lines[3]).toBe(theirs[3]);
    const k = theirs.findIndex((l) => l.startsWith('Fixed effects:'));
    const at = lines.indexOf(theirs[k]);
    expect(lines.slice(at, at + 2)).toEqual(theirs.slice(k, k + 2));
    const cols = (l: string) => { const t = l.trim().split(/\s+/); return [t[0], t[3], t[5]]; };
    expect(lines.slice(at + 2, at + 5).map(cols)).toEqual(theirs.slice(k + 2, k + 5).map(cols));
  });

  it('lme with corARMA(p = 1, q = 1) on Ovary (test/oracle/nlme2.R): the structure lines, the JSON\'s logLik', async () => {
    const f = fixture('ovary_arma11');
    const args = ['lme', data('Ovary.csv'), f.ours.fixed, '--random', f.ours.random, '--correlation', f.ours.correlation, '--factors', 'Mare'];
    const out = await runMain(args);
    expect(out.code).toBe(0);
    const lines = out.stdout.split('\n');
    for (const l of ['Correlation Structure: ARMA(1,1)', ' Formula: ~1 | Mare ', '      Phi1     Theta1 ']) expect(lines).toContain(l);
    const j = JSON.parse((await runMain([...args, '--json'])).stdout);
    expect(Math.abs(j.logLik - f.logLik) / Math.abs(f.logLik)).toBeLessThan(1e-6);
  });

  it('lme with varPower() (nlme\'s form ~ fitted(.)) on Orthodont (test/oracle/nlme2.R): the structure lines, the JSON\'s logLik at the fixed point', async () => {
    const f = fixture('ortho_varpower_fitted');
    const args = ['lme', data('Orthodont.csv'), f.ours.fixed, '--random', f.ours.random, '--weights', f.ours.weights];
    const out = await runMain(args);
    expect(out.code).toBe(0);
    const lines = out.stdout.split('\n');
    for (const l of ['Variance function:', ' Structure: Power of variance covariate', ' Formula: ~fitted(.) ']) expect(lines).toContain(l);
    const j = JSON.parse((await runMain([...args, '--json'])).stdout);
    expect(Math.abs(j.logLik - f.logLik) / Math.abs(f.logLik)).toBeLessThan(1e-6);
  });

  it('lme with varIdent by ML, as JSON', async () => {
    const f = fixture('ortho_varident_ml');
    const out = await runMain(['lme', data('Orthodont.csv'), f.ours.fixed, '--random', f.ours.random, '--weights', f.ours.weights, '--ml', '--json']);
    expect(out.code).toBe(0);
    const j = JSON.parse(out.stdout);
    expect(Math.abs(j.logLik - f.logLik) / Math.abs(f.logLik)).toBeLessThan(1e-6);
    expect(j.call.method).toBe('ML');
    expect(j.varStruct.names).toEqual(['Female', 'Male']);
    expect(j.fixed.map((r: { DF: number }) => r.DF)).toEqual(f.fixef.DF);
  });

  it('gls with corCompSymm by ML', async () => {
    const f = fixture('gls_cs_ml');
    const out = await runMain(['gls', data('Orthodont.csv'), f.ours.model, '--correlation', f.ours.correlation, '--ml', '--json']);
    expect(out.code).toBe(0);
    const j = JSON.parse(out.stdout);
    expect(Math.abs(j.logLik - f.logLik) / Math.abs(f.logLik)).toBeLessThan(1e-6);
    expect(Math.abs(j.corStruct.values[0] - f.corStruct.constrained)).toBeLessThan(1e-3);
  });

  it('gls with corSymm and varIdent (test/oracle/nlme4.R): nlme\'s General correlation lines, the JSON\'s logLik', async () => {
    const f = fixture('gls_symm_varident');
    const args = ['gls', data('Orthodont.csv'), f.ours.model, '--weights', f.ours.weights, '--correlation', f.ours.correlation];
    const out = await runMain(args);
    expect(out.code).toBe(0);
    const lines = out.stdout.split('\n');
    const theirs = (f.print as string).split('\n');
    // the structure's lines and the correlation matrix (nlme prints its entries to 3 decimals)
    const at = theirs.indexOf('Correlation Structure: General');
    expect(at).toBeGreaterThan(0);
    for (const l of theirs.slice(at, at + 9)) expect(lines).toContain(l);
    const j = JSON.parse((await runMain([...args, '--json'])).stdout);
    expect(Math.abs(j.logLik - f.logLik) / Math.abs(f.logLik)).toBeLessThan(1e-6);
  });

  it('lme with varComb (test/oracle/nlme4.R): nlme\'s Combination lines', async () => {
    const f = fixture('ortho_varcomb_power');
    const out = await runMain(['lme', data('Orthodont.csv'), f.ours.fixed, '--random', f.ours.random, '--weights', f.ours.weights]);
    expect(out.code).toBe(0);
    const lines = out.stdout.split('\n');
    for (const l of ['Combination of variance functions: ', ' Structure: Different standard deviations per stratum', ' Formula: ~1 | Sex ', ' Structure: Power of variance covariate', ' Formula: ~age ']) expect(lines).toContain(l);
  });

  it('--intervals: nlme\'s intervals after the summary, and in the JSON', async () => {
    const f = fixture('ovary_ar1');
    const args = ['lme', data('Ovary.csv'), f.ours.fixed, '--random', f.ours.random, '--correlation', f.ours.correlation, '--factors', 'Mare', '--intervals'];
    const out = await runMain(args);
    expect(out.code).toBe(0);
    const lines = out.stdout.split('\n');
    for (const l of ['Approximate 95% confidence intervals', ' Fixed effects:', ' Random Effects:', '  Level: Mare ', ' Correlation structure:', ' Within-group standard error:']) expect(lines).toContain(l);
    const j = JSON.parse((await runMain([...args, '--json'])).stdout);
    const r = f.intervals;
    j.intervals.fixed.lower.forEach((v: number, i: number) => expect(Math.abs(v - r.fixed.lower[i]) / Math.abs(r.fixed.lower[i])).toBeLessThan(1e-3));
    expect(Math.abs(j.intervals.corStruct.upper[0] - ([] as number[]).concat(r.corStruct.upper)[0])).toBeLessThan(1e-3);
  });

  it('refusals: exit code 1 and the reason', async () => {
    const a = await runMain(['lme', data('Orthodont.csv'), 'distance ~ age', '--random', '~ 1 | Subject', '--correlation', 'corNatural(form = ~ 1 | Subject, value = c(0.5, 0.2))']);
    expect(a.code).toBe(1);
    expect(a.stderr).toMatch(/value must give the 6 correlations of 4 positions/);
    const b = await runMain(['lme', data('Orthodont.csv'), 'distance ~ age', '--random', '~ 1 | Subject', '--weights', 'varPower(form = ~ 1)']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/varPower needs a covariate/);
  });
});
