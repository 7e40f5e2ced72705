/**
 * `mixedgpu lme|gls --emmeans SPECS --type response` (src/cli/lmeCommand.ts) and `mixedgpu glmmpql --emmeans
 * SPECS [--type response] [--mode asymptotic] [--regrid]` (src/cli/glmmpqlCommand.ts) against emmeans 1.8.4
 * (test/oracle/nlme_emmeans_response.R → test/fixtures/nlme_emmeans_response): the printouts as emmeans's
 * line for line (the library test, test/nlmeEmmeansResponse.test.ts, checks every number), the JSON's
 * back-transformed columns to its tolerance (1e-4 relative), --type shared with --anova, and refusals as
 * exit code 1 with the reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from './helpers/cliEngines.js';
import { expectRel } from './helpers/nlmeChecks.js';

const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'nlme_emmeans_response', `${name}.json`), 'utf8'));
const data = (f: string) => join(import.meta.dirname, 'fixtures', 'data', f);
const printed = (...records: { print: string[] }[]) => records.map((r) => `${r.print.join('\n')}\n`).join('\n');

describe('mixedgpu lme / gls / glmmpql --emmeans --type response', () => {
  it('lme log(y): the means back-transformed and their ratio, as emmeans prints them', async () => {
    const f = fixture('lme_log');
    const out = await runMain(['lme', data('Orthodont.csv'), f.ours.fixed, '--random', f.ours.random, '--emmeans', '~ Sex', '--type', 'response', '--contrast', 'pairwise']);
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
    expect(out.stdout).toBe(printed(f.emmeans.Sex_response, f.emmeans.Sex_pairs_response));
    // on the log scale without --type
    const link = await runMain(['lme', data('Orthodont.csv'), f.ours.fixed, '--random', f.ours.random, '--emmeans', 'Sex', '--contrast', 'pairwise']);
    expect(link.stdout).toBe(printed(f.emmeans.Sex, f.emmeans.Sex_pairs));
  });

  it('gls log(y) with --anova and --emmeans --type response: each takes its --type', async () => {
    const f = fixture('gls_log');
    const base = ['gls', data('Orthodont.csv'), f.ours.model, '--correlation', f.ours.correlation, '--emmeans', '~ Sex', '--type', 'response'];
    const out = await runMain(base);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(printed(f.emmeans.Sex_response));
    const both = await runMain([...base, '--anova', '--json']);
    expect(both.code).toBe(0);
    const j = JSON.parse(both.stdout);
    expect(j.emmeans.type).toBe('response');
    expect(j.anova.rows.map((r: { term: string }) => r.term)).toEqual(['(Intercept)', 'age', 'Sex', 'age:Sex']);
    const marginal = await runMain(['gls', data('Orthodont.csv'), f.ours.model, '--correlation', f.ours.correlation, '--anova', '--type', 'marginal', '--emmeans', '~ Sex', '--json']);
    expect(marginal.code).toBe(0);
    expect(JSON.parse(marginal.stdout).emmeans.type).toBe('link');
  });

  it('glmmpql binomial: logit means, probabilities, odds ratios, as emmeans prints them', async () => {
    const f = fixture('pql_binomial');
    const base = ['glmmpql', data('bacteria.csv'), f.ours.fixed, '--random', f.ours.random, '--family', 'binomial', '--emmeans', '~ trt'];
    let out = await runMain([...base, '--contrast', 'pairwise']);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(printed(f.emmeans.trt, f.emmeans.trt_pairs));
    out = await runMain([...base, '--type', 'response', '--contrast', 'pairwise']);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(printed(f.emmeans.trt_response, f.emmeans.trt_pairs_response));
    out = await runMain([...base, '--type', 'response', '--mode', 'asymptotic']);
    expect(out.stdout).toBe(printed(f.emmeans.trt_asym_response));
  });

  it('glmmpql poisson --json: rates and ratios with their containment df', async () => {
    const f = fixture('pql_poisson');
    const out = await runMain(['glmmpql', data('grouseticks.csv'), f.ours.fixed, '--random', f.ours.random, '--family', 'poisson', '--factors', 'YEAR,BROOD,LOCATION', '--emmeans', 'YEAR', '--type', 'response', '--contrast', 'pairwise', '--json']);
    expect(out.code).toBe(0);
    const j = JSON.parse(out.stdout);
    expect(j.emmeans.ddf).toBe('containment');
    expect(j.emmeans.response_label).toBe('rate');
    j.emmeans.rows.forEach((r: Record<string, number>, i: number) => {
      const R = f.emmeans.YEAR_response.table[i];
      expectRel(r.rate, R.rate, 1e-4, 'rate');
      expectRel(r.response_SE, R.SE, 1e-4, 'SE');
      expect(r.df).toBe(R.df);
      expectRel(r.response_lower, R['lower.CL'], 1e-4, 'lower');
    });
    expect(j.contrasts.ratio_label).toBe('ratio');
    j.contrasts.rows.forEach((r: Record<string, number>, i: number) => expectRel(r.ratio, f.emmeans.YEAR_pairs_response.table[i].ratio, 1e-4, 'ratio'));
  });

  it('--regrid: probabilities as the grid, their differences (glmmpql); a log response\'s means (lme)', async () => {
    const f = fixture('pql_cbind');
    let out = await runMain(['glmmpql', data('cbpp.csv'), f.ours.fixed, '--random', f.ours.random, '--family', 'binomial', '--factors', 'herd,period', '--emmeans', '~ period', '--regrid', '--contrast', 'pairwise']);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(printed(f.emmeans.period_regrid, f.emmeans.period_regrid_pairs));
    const l = fixture('lme_log');
    out = await runMain(['lme', data('Orthodont.csv'), l.ours.fixed, '--random', l.ours.random, '--emmeans', '~ Sex', '--regrid', '--json']);
    expect(out.code).toBe(0);
    const j = JSON.parse(out.stdout);
    expect(j.emmeans.ddf).toBe('inherited from containment when re-gridding');
    j.emmeans.rows.forEach((r: Record<string, number>, i: number) => expectRel(r.response, l.emmeans.Sex_regrid.table[i].response, 1e-4, 'response'));
  });

  it('refuses --type and the means\' options without --emmeans, a --type of neither table, Satterthwaite on glmmPQL', async () => {
    const lmeBase = ['lme', data('Orthodont.csv'), 'log(distance) ~ age + Sex', '--random', '~ 1 | Subject'];
    let out = await runMain([...lmeBase, '--type', 'response']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/--type is an option of the means for 'response': give --emmeans SPECS/);
    out = await runMain([...lmeBase, '--anova', '--type', 'response']);
    expect(out.stderr).toMatch(/--type is an option of the means for 'response'.*--anova's types are sequential and marginal/);
    out = await runMain([...lmeBase, '--emmeans', '~ Sex', '--type', 'marginal']);
    expect(out.stderr).toMatch(/--type is an option of --anova \(nlme's anova\(fit\)\) for 'marginal'; the means' types are link and response/);
    out = await runMain([...lmeBase, '--emmeans', '~ Sex', '--anova', '--type', 'prob']);
    expect(out.stderr).toMatch(/--type must be sequential or marginal \(--anova\) or link or response \(--emmeans\), not 'prob'/);
    out = await runMain([...lmeBase, '--emmeans', '~ Sex', '--type', 'prob']);
    expect(out.stderr).toMatch(/type must be 'link' or 'response', not "prob"/);
    const pql = ['glmmpql', data('bacteria.csv'), 'yy ~ trt + I(week > 2)', '--random', '~ 1 | ID', '--family', 'binomial'];
    out = await runMain([...pql, '--type', 'response']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/--type is an option of the means: give --emmeans SPECS/);
    out = await runMain([...pql, '--regrid']);
    expect(out.stderr).toMatch(/--regrid is an option of the means/);
    out = await runMain([...pql, '--contrast', 'pairwise']);
    expect(out.stderr).toMatch(/--contrast is an option of the means/);
    out = await runMain([...pql, '--emmeans', '~ trt', '--mode', 'satterthwaite']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/mode must be 'containment' or 'asymptotic' for a glmmPQL fit/);
  });
});
