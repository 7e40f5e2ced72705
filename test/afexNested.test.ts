/**
 * afex 1.2-1's mixed() with method = "nested-KR" and per_parameter, and afex's refusals of method = "F"
 * (src/afex/): test/oracle/afex_nested.R → test/fixtures/afex/nested.json (every lme4 fit there run to
 * tight tolerances; the data in test/fixtures/data as test/afex.test.ts's).
 *
 * Tolerances (those of test/afex.test.ts's KR and LRT cases; worst seen in brackets):
 *  - nested-KR at our optimum: num Df exact; F, den Df and F.scaling within 1e-6 relative of afex's
 *    [F 1.3e-7, den Df 2.8e-8, F.scaling 3.4e-10], Pr(>F) within 1e-5 [4.4e-7]; on the singular sk2011
 *    fit (REML criterion flat along the boundary, see test/afex.test.ts) 2e-5 [F 3.4e-6]; the REML fits'
 *    log-likelihoods within 1e-8 of lme4's [3.6e-12] (sk2011: 1e-7);
 *  - nested-KR with each full model assembled at lme4's θ (the machinery alone): F, ddf and F.scaling
 *    within 1e-9 relative of pbkrtest's [9e-14];
 *  - per_parameter with LRT: χ² within 1e-7 absolute [lmer 4.1e-12, glmer 4.3e-9], its p within 1e-6
 *    relative, Df and Chi Df exact, log-likelihoods within 1e-8 (lmer) and 1e-7 (the binomial glmer
 *    [6.8e-9]);
 *  - the printout (print.mixed) character for character, from our fits and from afex's numbers.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type MixedAnova, type MixedOptions, mixed } from '../src/afex/mixed.js';
import { nestedDesigns, perParameterTerms } from '../src/afex/nestedDesigns.js';
import { printMixed } from '../src/afex/print.js';
import { runMixed } from '../src/cli/mixedCommand.js';
import { buildProgram } from '../src/cli/program.js';
import { krModcomp } from '../src/inference/modcomp.js';
import { GlmmFit } from '../src/glmm/glmmFit.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import { fitAtTheta } from './helpers/atTheta.js';
import { loadDataFile, rel } from './helpers/inference.js';

interface NestedCase {
  name: string; data: string; factors: string[]; formula: string; method: 'nested-KR' | 'LRT'; type: 2 | 3;
  test_intercept: boolean; family: string | null; per_parameter: string[];
  columns: string[]; rows: ({ effect: string } & Record<string, number | null>)[]; heading: string[]; printed: string[];
  messages: string[]; warnings: string[];
  full: { logLik: number; df: number; REML: boolean; beta: number[]; xnames: string[]; theta: number[]; formula: string }[];
  restricted: { effect: string; logLik: number; df: number; REML: boolean; xnames: string[]; formula: string }[];
  kr?: { Ftest: { stat: number; ndf: number; ddf: number; 'F.scaling': number; 'p.value': number } }[];
}
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'afex', 'nested.json'), 'utf8')) as {
  cases: NestedCase[]; errors: { name: string; error: string }[];
};
const cases = fixture.cases;
const byName = (n: string) => cases.find((c) => c.name === n)!;
const afexError = (n: string) => fixture.errors.find((e) => e.name === n)!.error;

const optionsOf = (c: NestedCase): MixedOptions => ({
  method: c.method, type: c.type, testIntercept: c.test_intercept, factors: c.factors, dataName: 'dd',
  ...(c.family ? { family: c.family as 'binomial' } : {}), ...(c.per_parameter.length > 0 ? { perParameter: c.per_parameter } : {}),
});
const yieldNow = () => new Promise((r) => setTimeout(r, 0));
const results = new Map<string, MixedAnova>();
async function run(c: NestedCase): Promise<MixedAnova> {
  let m = results.get(c.name);
  if (!m) {
    m = await mixed(c.formula, loadDataFile(c.data), optionsOf(c));
    results.set(c.name, m);
    await yieldNow();
  }
  return m;
}

/** afex's numbers as our rows, for the printout from afex's own table */
function afexRows(c: NestedCase) {
  return c.rows.map((r) => ({
    effect: r.effect, numDf: r['num Df'] ?? undefined, denDf: r['den Df'] ?? undefined, F: r.F ?? undefined,
    Chisq: r.Chisq ?? undefined, chiDf: r['Chi Df'] ?? undefined, Df: r.Df ?? undefined,
    p: (r['Pr(>F)'] ?? r['Pr(>Chisq)']) as number | null,
  }));
}

describe("afex's mixed(): nested-KR and per_parameter against afex 1.2-1", () => {
  for (const c of cases) {
    it(c.name, async () => {
      const m = await run(c);
      expect(m.method).toBe(c.method);
      expect(m.columns).toEqual(c.columns);
      const a = m.anova();
      expect(a.map((r) => r.Effect)).toEqual(c.rows.map((r) => r.effect));
      const singular = c.name.startsWith('sk2011');
      a.forEach((r, i) => {
        const ref = c.rows[i];
        expect(Object.keys(r)).toEqual(['Effect', ...c.columns]);
        if (c.method === 'LRT') {
          expect(r.Df).toBe(ref.Df);
          expect(r['Chi Df']).toBe(ref['Chi Df']);
          expect(Math.abs((r.Chisq as number) - ref.Chisq!)).toBeLessThan(1e-7);
          expect(rel(r['Pr(>Chisq)'] as number, ref['Pr(>Chisq)']!)).toBeLessThan(1e-6);
        } else {
          expect(r['num Df']).toBe(ref['num Df']);
          const tol = singular ? 2e-5 : 1e-6;
          expect(rel(r.F as number, ref.F!)).toBeLessThan(tol);
          expect(rel(r['den Df'] as number, ref['den Df']!)).toBeLessThan(tol);
          expect(rel(r['F.scaling'] as number, ref['F.scaling']!)).toBeLessThan(1e-6);
          expect(rel(r['Pr(>F)'] as number, ref['Pr(>F)']!)).toBeLessThan(singular ? 2e-5 : 1e-5);
        }
      });
      // the fits: REML for nested-KR (afex leaves lmer's default), ML for LRT; log-likelihoods and df as lme4's
      const llTol = c.family ? 1e-7 : singular ? 1e-7 : 1e-8;
      expect(m.fullModels.length).toBe(c.full.length);
      m.fullModels.forEach((f, k) => {
        expect(f.df).toBe(c.full[k].df);
        expect(f instanceof GlmmFit ? false : f.reml).toBe(c.full[k].REML);
        expect(Math.abs(f.logLik - c.full[k].logLik)).toBeLessThan(llTol);
      });
      expect(m.restrictedModels.map((r) => r.effect)).toEqual(c.restricted.map((r) => r.effect));
      m.restrictedModels.forEach((r, k) => {
        expect(r.fit.df).toBe(c.restricted[k].df);
        expect(r.fit instanceof GlmmFit ? false : r.fit.reml).toBe(c.restricted[k].REML);
        expect(Math.abs(r.fit.logLik - c.restricted[k].logLik)).toBeLessThan(llTol);
      });
      // the full model's fixed effects are afex's (contr.sum: names; per_parameter's effects are these names)
      expect(m.fullModel.model.frame.xnames).toEqual(c.full[c.full.length - 1].xnames);
      for (const msg of c.messages) expect(m.messages).toContain(msg.replace(/\n$/, ''));
      expect(m.heading).toEqual(c.heading);
      expect(printMixed({ method: c.method, rows: afexRows(c), heading: c.heading })).toEqual(c.printed);
      expect(m.print()).toEqual(c.printed);
    }, 60_000);
  }

  it("nested-KR at lme4's θ: each full model assembled at afex's optimum, KRmodcomp against the nested fit gives afex's F, ddf and F.scaling to 1e-9", async () => {
    for (const c of cases.filter((x) => x.method === 'nested-KR')) {
      const m = await run(c);
      const at = m.fullModels.map((f, k) => fitAtTheta((f as LmmFit).model, c.full[k].theta));
      for (const [i, r] of m.restrictedModels.entries()) {
        const kr = await krModcomp(at[r.full], r.fit as LmmFit);
        const ref = c.kr![i].Ftest;
        expect(kr.Ftest.ndf).toBe(ref.ndf);
        expect(rel(kr.Ftest.stat, ref.stat)).toBeLessThan(1e-9);
        expect(rel(kr.Ftest.ddf, ref.ddf)).toBeLessThan(1e-9);
        expect(rel(kr.Ftest.Fscaling, ref['F.scaling'])).toBeLessThan(1e-9);
      }
      await yieldNow();
    }
  }, 120_000);

  it('nested-KR: the tests are KRmodcomp results (Ftest and FtestU) and the JSON has afex\'s columns', async () => {
    const m = await run(byName('obk nested-KR type 2'));
    expect(m.restrictedModels.map((r) => r.full)).toEqual([0, 0, 1]);
    expect(m.tests.length).toBe(3);
    const t = m.tests[1] as { Ftest: { stat: number }; FtestU: { stat: number } };
    expect(t.Ftest.stat).toBe(m.rows[1].F);
    const j = JSON.parse(JSON.stringify(m)) as { method: string; anova_table: Record<string, unknown>[]; nice: Record<string, string>[]; full_model: { REML: boolean }[] };
    expect(j.method).toBe('nested-KR');
    expect(Object.keys(j.anova_table[0])).toEqual(['Effect', 'num Df', 'den Df', 'F.scaling', 'F', 'Pr(>F)']);
    expect(j.nice.map((r) => `${r.df} ${r.F} ${r['p.value']}`)).toEqual(['2, 13 2.91 + .090', '2, 222 38.48 *** <.001', '4, 218 10.33 *** <.001']);
    expect(j.full_model.map((f) => f.REML)).toEqual([true, true]);
  });

  it("nested-KR with REML = false: ML fits, pbkrtest's REML refit of each full model (the same F), afex's likelihood check on", async () => {
    const c = byName('obk nested-KR type 3');
    const m = await mixed(c.formula, loadDataFile(c.data), { ...optionsOf(c), REML: false });
    expect(m.fullModel.logLik).not.toBeCloseTo(c.full[0].logLik, 3);
    expect(m.messages.some((x) => /refitted with REML, as pbkrtest does/.test(x))).toBe(true);
    m.rows.forEach((r, i) => expect(rel(r.F!, c.rows[i].F!)).toBeLessThan(1e-6));
  });
});

describe("afex's per_parameter: which effects are split (perParameterTerms)", () => {
  // obk: treatment (2 columns), phase (2), treatment:phase (4), the intercept column 0
  const xnames = ['(Intercept)', 'treatment1', 'treatment2', 'phase1', 'phase2', 'treatment1:phase1', 'treatment2:phase1', 'treatment1:phase2', 'treatment2:phase2'];
  const terms = [{ label: 'treatment', order: 1, columns: [1, 2] }, { label: 'phase', order: 1, columns: [3, 4] }, { label: 'treatment:phase', order: 2, columns: [5, 6, 7, 8] }];

  it("grep over the labels: every term a pattern matches, one term per column named by X's column; the intercept kept whole", () => {
    const t = perParameterTerms(terms, xnames, ['treatment'], true);
    expect(t.map((x) => x.label)).toEqual(['treatment1', 'treatment2', 'phase', 'treatment1:phase1', 'treatment2:phase1', 'treatment1:phase2', 'treatment2:phase2']);
    expect(t.map((x) => x.columns)).toEqual([[1], [2], [3, 4], [5], [6], [7], [8]]);
    // afex's fixture case: c("phase$", "Intercept") with test_intercept
    const c = byName('obk LRT per_parameter phase$ test_intercept');
    const d = nestedDesigns(9, 0, perParameterTerms(terms, xnames, c.per_parameter, true), 3, true);
    expect(d.restricted.map((r) => r.effect)).toEqual(c.restricted.map((r) => r.effect));
    expect(d.restricted.map((r) => r.keep.length)).toEqual(c.restricted.map((r) => r.df - 2));
    // a pattern that matches only the intercept changes nothing (afex drops it)
    expect(perParameterTerms(terms, xnames, ['Intercept'], true)).toEqual(terms);
  });

  it("PB with perParameter: the same nested pairs as LRT's per_parameter (afex's statistics), nsim replicates each", async () => {
    const c = byName('obk LRT per_parameter treatment');
    const m = await mixed(c.formula, loadDataFile(c.data), { method: 'PB', perParameter: c.per_parameter, factors: c.factors, argsTest: { nsim: 20, seed: 3 } });
    expect(m.anova().map((r) => r.Effect)).toEqual(c.rows.map((r) => r.effect));
    m.anova().forEach((r, i) => {
      expect(Math.abs((r.Chisq as number) - c.rows[i].Chisq!)).toBeLessThan(1e-7);
      expect(r['Chi Df']).toBe(c.rows[i]['Chi Df']);
    });
    for (const t of m.tests as { ref: Float64Array }[]) expect(t.ref.length).toBe(20);
  }, 120_000);

  it('refuses a pattern that is not a regular expression or matches no effect, by name', () => {
    expect(() => perParameterTerms(terms, xnames, ['treat('], true)).toThrow(/perParameter 'treat\(' is not a regular expression/);
    expect(() => perParameterTerms(terms, xnames, ['phase', 'gender'], true)).toThrow(/perParameter 'gender' matches none of the model's effects \(\(Intercept\), treatment, phase, treatment:phase\)/);
  });
});

describe("afex's mixed(): nested-KR, F and per_parameter refused as afex refuses them", () => {
  const obk = () => loadDataFile('obk_long.csv');
  const F = 'value ~ treatment * phase + (1 | id)';
  const cbpp = 'cbind(incidence, size - incidence) ~ period + (1 | herd)';

  it("afex's messages: method F, per_parameter with type 2, nested-KR of a GLMM", async () => {
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    await expect(mixed(F, obk(), { method: 'F' as 'KR', factors: ['id'] })).rejects.toThrow(new RegExp(esc(afexError('method F'))));
    await expect(mixed(F, obk(), { method: 'LRT', type: 2, perParameter: 'treatment', factors: ['id'] })).rejects.toThrow(new RegExp(esc(afexError('per_parameter type 2'))));
    await expect(mixed(cbpp, loadDataFile('cbpp.csv'), { method: 'nested-KR', family: 'binomial', factors: ['herd', 'period'] })).rejects.toThrow(new RegExp(esc(afexError('nested-KR glmer'))));
    // afex's order: a GLMM's methods before "F"
    await expect(mixed(cbpp, loadDataFile('cbpp.csv'), { method: 'F' as 'KR', family: 'binomial', factors: ['herd', 'period'] })).rejects.toThrow(new RegExp(esc(afexError('nested-KR glmer'))));
  });

  it('per_parameter: refused with KR and S (afex ignores it there), of the wrong type, or matching nothing', async () => {
    await expect(mixed(F, obk(), { method: 'KR', perParameter: 'phase', factors: ['id'] })).rejects.toThrow(/perParameter is for methods "LRT", "PB" and "nested-KR".*afex ignores per_parameter/);
    await expect(mixed(F, obk(), { method: 'LRT', perParameter: [] as string[], factors: ['id'] })).rejects.toThrow(/perParameter must be a regular expression or a list of them/);
    await expect(mixed(F, obk(), { method: 'LRT', perParameter: 3 as unknown as string, factors: ['id'] })).rejects.toThrow(/perParameter must be a regular expression/);
    await expect(mixed(F, obk(), { method: 'LRT', perParameter: 'hour', factors: ['id'] })).rejects.toThrow(/perParameter 'hour' matches none of the model's effects/);
    await expect(mixed(F, obk(), { method: 'nested-KR' as 'KR', per_parameter: 'phase' } as unknown as MixedOptions)).rejects.toThrow(/unknown option 'per_parameter' \(perParameter\)/);
  });
});

describe('mixedgpu mixed --method nested-KR --per-parameter', () => {
  const data = (f: string) => join(import.meta.dirname, 'fixtures', 'data', f);
  async function capture(runIt: (io: { stdout: (s: string) => void; stderr: (s: string) => void }) => Promise<number>) {
    const out: string[] = [], err: string[] = [];
    const code = await runIt({ stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  it("prints afex's table (the Data line names the file); --json has F.scaling", async () => {
    const c = byName('obk nested-KR per_parameter phase');
    const r = await capture((io) => runMixed({ file: data('obk_long.csv'), formula: c.formula, method: 'nested-kr', perParameter: ['phase'], factors: 'id' }, io));
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${c.printed.map((l) => (l === 'Data: dd' ? 'Data: obk_long' : l)).join('\n')}\n`);
    const j = await capture((io) => runMixed({ file: data('obk_long.csv'), formula: c.formula, method: 'nested-KR', perParameter: 'phase', factors: 'id', json: true, quiet: true }, io));
    expect(j.code).toBe(0);
    const out = JSON.parse(j.stdout) as { anova_table: Record<string, number>[] };
    expect(out.anova_table.map((x) => x.Effect)).toEqual(c.rows.map((x) => x.effect));
    out.anova_table.forEach((x, i) => expect(rel(x['F.scaling'], c.rows[i]['F.scaling']!)).toBeLessThan(1e-6));
  });

  it('refuses bad arguments by name; the option is registered', async () => {
    const f = data('obk_long.csv');
    const F = 'value ~ treatment * phase + (1 | id)';
    const bad = async (a: Record<string, unknown>, re: RegExp) => {
      const r = await capture((io) => runMixed({ file: f, formula: F, factors: 'id', ...a } as Parameters<typeof runMixed>[0], io));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(re);
    };
    await bad({ method: 'KR', perParameter: ['phase'] }, /--per-parameter is for --method LRT, PB and nested-KR/);
    await bad({ method: 'LRT', perParameter: ['ph('] }, /perParameter 'ph\(' is not a regular expression/);
    await bad({ method: 'F' }, /Only methods "KR", "PB", "LRT", or "nested-KR" currently implemented/);
    await bad({ method: 'nested' }, /unknown --method 'nested' \(choose KR, S, LRT, PB or nested-KR/);
    const cmd = buildProgram().commands.find((x) => x.name() === 'mixed')!;
    const opt = cmd.options.find((o) => o.long === '--per-parameter')!;
    expect(opt.attributeName()).toBe('perParameter');
  });
});
