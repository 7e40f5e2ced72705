/**
 * `mixedgpu lme|gls ... --anova` and `--emmeans` (src/cli/lmeCommand.ts) against nlme 3.1-162 and
 * emmeans 1.8.4 (test/fixtures/nlme_anova, test/oracle/nlme_anova.R): the printed tables' structure
 * (nlme's and emmeans's lines where the digits allow), the JSON's numbers to the library tests'
 * tolerances (test/nlmeAnova.test.ts), and refusals as exit code 1 with the reason.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from './helpers/cliEngines.js';

const fixture = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'nlme_anova', `${name}.json`), 'utf8'));
const orth = join(import.meta.dirname, 'fixtures', 'data', 'Orthodont.csv');
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('mixedgpu lme / gls --anova, --emmeans', () => {
  it('lme --anova: nlme\'s sequential table; --type marginal as JSON', async () => {
    const f = fixture('orth_ri');
    const base = ['lme', orth, 'distance ~ age * Sex', '--random', '~ 1 | Subject'];
    const out = await runMain([...base, '--anova']);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    // the heading, names, DFs and p-values exactly (an F's 7th digit may differ: the library test compares them to 1e-4)
    expect(lines[0]).toBe(f.anova.sequential.print[0]);
    const cols = (l: string) => { const t = l.trim().split(/\s+/); return [t[0], t[1], t[2], t[4]]; };
    expect(lines.slice(1).map(cols)).toEqual(f.anova.sequential.print.slice(1).map(cols));
    const j = JSON.parse((await runMain([...base, '--anova', '--type', 'marginal', '--json'])).stdout);
    expect(j.anova.rows.map((r: { term: string }) => r.term)).toEqual(f.anova.marginal.terms);
    expect(j.anova.rows.map((r: { denDF: number }) => r.denDF)).toEqual(f.anova.marginal.denDF);
    j.anova.rows.forEach((r: { F: number }, i: number) => expect(rel(r.F, f.anova.marginal.F[i])).toBeLessThan(1e-4));
  });

  it('lme --anova --terms and --L: nlme\'s joint tests', async () => {
    const f = fixture('orth_ri');
    const base = ['lme', orth, 'distance ~ age * Sex', '--random', '~ 1 | Subject', '--anova', '--json'];
    const t = JSON.parse((await runMain([...base, '--terms', 'age,age:Sex'])).stdout).anova;
    expect(t.label).toEqual(['F-test for: age, age:Sex']);
    expect([t.rows[0].numDF, t.rows[0].denDF]).toEqual([f.anova.terms.numDF, f.anova.terms.denDF]);
    expect(rel(t.rows[0].F, f.anova.terms.F)).toBeLessThan(1e-4);
    const L = JSON.parse((await runMain([...base, '--L', 'age=0,age:SexMale=1;age=1'])).stdout).anova;
    expect(rel(L.rows[0].F, f.anova.Lmat.F)).toBeLessThan(1e-4);
    const printed = (await runMain(['lme', orth, 'distance ~ age * Sex', '--random', '~ 1 | Subject', '--anova', '--L', 'age=1,age:SexMale=1'])).stdout.split('\n');
    expect(printed.slice(0, 3)).toEqual(f.anova.L.print.slice(0, 3));
  });

  it('gls --emmeans with --contrast pairwise: emmeans\'s Satterthwaite means and pairs, as it prints them', async () => {
    const f = fixture('gls_cs_varident');
    const out = await runMain(['gls', orth, 'distance ~ age * Sex', '--correlation', 'corCompSymm(form = ~ 1 | Subject)', '--weights', 'varIdent(form = ~ 1 | Sex)', '--emmeans', '~ Sex', '--contrast', 'pairwise']);
    expect(out.code).toBe(0);
    expect(out.stdout).toBe(`${f.emmeans.Sex.print.join('\n')}\n\n${f.emmeans.Sex_pairs.print.join('\n')}\n`);
  });

  it('lme --emmeans as JSON: containment df', async () => {
    const out = await runMain(['lme', join(import.meta.dirname, 'fixtures', 'data', 'Oats.csv'), 'yield ~ nitro * Variety', '--random', '~ 1 | Block/Variety', '--factors', 'nitro', '--emmeans', 'Variety', '--json']);
    expect(out.code).toBe(0);
    const j = JSON.parse(out.stdout);
    expect(j.emmeans.ddf).toBe('containment');
    expect(j.emmeans.rows.map((r: { df: number }) => r.df)).toEqual([5, 5, 5]);
  });

  it('refuses the options of the tables without them, and bad values', async () => {
    const base = ['lme', orth, 'distance ~ age * Sex', '--random', '~ 1 | Subject'];
    let out = await runMain([...base, '--type', 'marginal']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/--type is an option of --anova/);
    out = await runMain([...base, '--anova', '--type', 'III']);
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/type must be 'sequential' or 'marginal'/);
    out = await runMain([...base, '--anova', '--terms', 'Age']);
    expect(out.stderr).toMatch(/term 'Age' not matched/);
    out = await runMain([...base, '--anova', '--L', '0,1,x']);
    expect(out.stderr).toMatch(/--L: 'x' is not a number/);
    out = await runMain([...base, '--mode', 'asymptotic']);
    expect(out.stderr).toMatch(/--mode is an option of the means/);
    out = await runMain([...base, '--anova', '--intervals']);
    expect(out.stderr).toMatch(/leave out --intervals/);
  });
});
