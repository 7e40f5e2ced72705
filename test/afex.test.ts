/**
 * afex 1.2-1's mixed() (src/afex/) against afex itself: test/oracle/afex.R → test/fixtures/afex/mixed.json
 * (every lme4 fit there run to tight tolerances; the data in test/fixtures/data: afex's sk2011.1 (subjects
 * × items: id × content), obk.long, md_16.1, and lme4's sleepstudy and cbpp).
 *
 * Tolerances (worst seen in brackets):
 *  - LRT: χ² within 1e-7 absolute of afex's (lmer [5e-13], the binomial glmer [4.4e-9]), its p within
 *    1e-6 relative, Df and Chi Df exact; the fits' log-likelihoods within 1e-8 (lmer [5e-13]) and
 *    1e-7 (glmer [7e-9]) of lme4's;
 *  - KR, S at lme4's θ (our full model assembled there: its design, contr.sum coding and random part
 *    are afex's): F and den df within 1e-6 relative; at our own optimum within 1e-6 too, except the
 *    singular sk2011 fit, where the REML criterion is flat along the boundary: our optimum is 2.3e-11
 *    better than lme4's and θ differs by 4e-7 relative, which moves type's tiny F (0.0118) by 1.3e-5
 *    relative (1.6e-7 absolute) and Satterthwaite's den df by 1.6e-6: there 2e-5 relative;
 *  - PB: the observed statistic as LRT's; pbkrtest's draws are R's and ours are not, so Pr(>PB) agrees
 *    only within Monte-Carlo error: 4 standard errors of the difference of two independent estimates,
 *    4 √(2 p (1 − p) / nsim) + 1/nsim;
 *  - the printout (print.mixed) character for character: from afex's own numbers through our
 *    formatting for every case, and from our fits for every case but one (sleepstudy S type 2: R's den
 *    df is 17.00000017, 1.7e-7 from a whole number, which afex prints "17.00"; ours is 17 within √ε,
 *    printed "17": the test checks that the two differ only there).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { type MixedAnova, type MixedOptions, lmerTestRows, mixed, mixedHeading } from '../src/afex/mixed.js';
import { nestedDesigns } from '../src/afex/nestedDesigns.js';
import { afexFormulaParts, withoutBars } from '../src/afex/formulaParts.js';
import { formatCFixed, makeStat, printMixed, roundPs } from '../src/afex/print.js';
import { runMixed } from '../src/cli/mixedCommand.js';
import { buildProgram } from '../src/cli/program.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';
import { fitAtTheta } from './helpers/atTheta.js';
import { loadDataFile, rel } from './helpers/inference.js';

interface AfexCase {
  name: string; data: string; factors: string[]; formula: string; method: 'KR' | 'S' | 'LRT' | 'PB'; type: 2 | 3;
  test_intercept: boolean; expand_re: boolean; family: string | null; nsim: number | null;
  columns: string[]; rows: ({ effect: string } & Record<string, number | null>)[]; heading: string[]; printed: string[];
  messages: string[]; warnings: string[];
  full: { logLik: number; df: number; REML: boolean; beta: number[]; xnames: string[]; theta: number[]; formula: string }[];
  restricted: { effect: string; logLik: number; df: number; xnames: string[]; formula: string }[];
  pb?: { tobs: number; df: number; p_LRT: number; p_PB: number }[];
}

const cases = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'afex', 'mixed.json'), 'utf8')) as AfexCase[];
const byName = (n: string) => cases.find((c) => c.name === n)!;

const optionsOf = (c: AfexCase): MixedOptions => ({
  method: c.method, type: c.type, testIntercept: c.test_intercept, expandRe: c.expand_re, factors: c.factors, dataName: 'dd',
  ...(c.family ? { family: c.family as 'binomial' } : {}), ...(c.nsim ? { argsTest: { nsim: c.nsim, seed: 1 } } : {}),
});
const yieldNow = () => new Promise((r) => setTimeout(r, 0));
const results = new Map<string, MixedAnova>();
async function run(c: AfexCase): Promise<MixedAnova> {
  let m = results.get(c.name);
  if (!m) {
    m = await mixed(c.formula, loadDataFile(c.data), optionsOf(c));
    results.set(c.name, m);
    await yieldNow();
  }
  return m;
}

/** afex's numbers as our rows, for the printout from afex's own table */
function afexRows(c: AfexCase) {
  return c.rows.map((r) => ({
    effect: r.effect, numDf: r['num Df'] ?? undefined, denDf: r['den Df'] ?? undefined, F: r.F ?? undefined,
    Chisq: r.Chisq ?? undefined, chiDf: r['Chi Df'] ?? undefined, Df: r.Df ?? undefined,
    p: (r['Pr(>F)'] ?? r['Pr(>Chisq)']) as number | null, pPB: r['Pr(>PB)'] ?? undefined,
  }));
}

describe("afex's mixed(): the tables against afex 1.2-1", () => {
  for (const c of cases.filter((x) => x.method !== 'PB')) {
    it(c.name, async () => {
      const m = await run(c);
      expect(m.columns).toEqual(c.columns);
      const a = m.anova();
      expect(a.map((r) => r.Effect)).toEqual(c.rows.map((r) => r.effect));
      const singular = c.name.startsWith('sk2011');
      a.forEach((r, i) => {
        const ref = c.rows[i];
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
          expect(rel(r['Pr(>F)'] as number, ref['Pr(>F)']!)).toBeLessThan(singular ? 2e-5 : 1e-5);
        }
      });
      // the fits: the full model(s) and the nested ones, their log-likelihoods and df as lme4's
      const llTol = c.family ? 1e-7 : 1e-8;
      expect(m.fullModels.length).toBe(c.full.length);
      m.fullModels.forEach((f, k) => {
        expect(f.df).toBe(c.full[k].df);
        expect(Math.abs(f.logLik - c.full[k].logLik)).toBeLessThan(singular ? 1e-7 : llTol);
      });
      expect(m.restrictedModels.map((r) => r.effect)).toEqual(c.restricted.map((r) => r.effect));
      m.restrictedModels.forEach((r, k) => {
        expect(r.fit.df).toBe(c.restricted[k].df);
        expect(Math.abs(r.fit.logLik - c.restricted[k].logLik)).toBeLessThan(llTol);
      });
      // the full model's fixed effects are afex's (contr.sum coding: names and estimates)
      const full = m.fullModel;
      expect(full.model.frame.xnames).toEqual(c.full[c.full.length - 1].xnames);
      full.beta.forEach((b, j) => expect(Math.abs(b - c.full[c.full.length - 1].beta[j])).toBeLessThan(1e-5 * Math.max(1, Math.abs(b))));
      // afex's messages (check_contrasts, the numeric variables, REML, lme4's singular-fit note) among ours
      for (const msg of c.messages) expect(m.messages).toContain(msg.replace(/\n$/, ''));
      expect(m.heading).toEqual(c.heading);
      // the printout: ours, and afex's numbers through our formatting
      expect(printMixed({ method: c.method, rows: afexRows(c), heading: c.heading })).toEqual(c.printed);
      if (c.name === 'sleepstudy S type 2') {
        const ours = m.print();
        expect(ours.filter((l, i) => l !== c.printed[i])).toEqual(['  Effect    df         F p.value', '1   Days 1, 17 45.85 ***   <.001']);
      } else {
        expect(m.print()).toEqual(c.printed);
      }
    }, 60_000);
  }

  it("KR and S at lme4's θ: our full model assembled at afex's optimum gives afex's F and df to 1e-6", async () => {
    for (const c of cases.filter((x) => x.method === 'KR' || x.method === 'S')) {
      const m = await run(c);
      const full = m.fullModel as LmmFit;
      const at = fitAtTheta(full.model, c.full[0].theta);
      const { rows } = lmerTestRows(at, c.method as 'KR' | 'S', c.type, c.test_intercept);
      rows.forEach((r, i) => {
        const ref = c.rows[i];
        expect(r.effect).toBe(ref.effect);
        expect(rel(r.F!, ref.F!)).toBeLessThan(1e-6);
        expect(rel(r.denDf!, ref['den Df']!)).toBeLessThan(1e-6);
      });
      await yieldNow();
    }
  }, 120_000);
});

describe("afex's mixed(): PB (pbkrtest's PBmodcomp, lmer and glmer)", () => {
  for (const c of cases.filter((x) => x.method === 'PB')) {
    it(c.name, async () => {
      const m = await run(c);
      expect(m.columns).toEqual(c.columns);
      const a = m.anova();
      a.forEach((r, i) => {
        const ref = c.rows[i];
        expect(r.Effect).toBe(ref.effect);
        expect(r['Chi Df']).toBe(ref['Chi Df']);
        expect(Math.abs((r.Chisq as number) - ref.Chisq!)).toBeLessThan(1e-7);
        expect(rel(r['Pr(>Chisq)'] as number, ref['Pr(>Chisq)']!)).toBeLessThan(1e-6);
        // the bootstrap p-value within Monte-Carlo error of pbkrtest's
        const p = ref['Pr(>PB)']!, nsim = c.nsim!;
        expect(Math.abs((r['Pr(>PB)'] as number) - p)).toBeLessThan(4 * Math.sqrt((2 * p * (1 - p)) / nsim) + 1 / nsim);
      });
      // pbkrtest's reference distribution: nsim replicates, the observed statistic as afex's
      expect(m.tests.length).toBe(c.rows.length);
      const t = m.tests[0] as { nsim: number; ref: Float64Array; summary: { samples: { nsim: number } } };
      expect(t.nsim).toBe(c.nsim);
      expect(t.ref.length).toBe(c.nsim);
      expect(m.heading).toEqual(c.heading);
      expect(printMixed({ method: 'PB', rows: afexRows(c), heading: c.heading })).toEqual(c.printed);
      // the same seed, the same draws
      const again = await mixed(c.formula, loadDataFile(c.data), optionsOf(c));
      expect(again.anova()).toEqual(a);
    }, 120_000);
  }
});

describe("afex's mixed(): PB of type 2", () => {
  it("each term against the full model of its order: the statistics are LRT type 2's (afex's), nsim replicates each", async () => {
    const c = byName('obk LRT type 2');
    const m = await mixed(c.formula, loadDataFile(c.data), { method: 'PB', type: 2, factors: c.factors, argsTest: { nsim: 20, seed: 2 } });
    expect(m.columns).toEqual(['Chisq', 'Chi Df', 'Pr(>Chisq)', 'Pr(>PB)']);
    expect(m.fullModels.length).toBe(2);
    expect(m.restrictedModels.map((r) => r.full)).toEqual([0, 0, 1]);
    m.anova().forEach((r, i) => {
      expect(Math.abs((r.Chisq as number) - c.rows[i].Chisq!)).toBeLessThan(1e-7);
      expect(r['Chi Df']).toBe(c.rows[i]['Chi Df']);
      // PBtest's p: (1 + #{t_r > t_obs}) / (1 + npos), a multiple of 1/(1 + npos) with npos ≤ 20
      const p = r['Pr(>PB)'] as number;
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThanOrEqual(1);
    });
    for (const t of m.tests as { ref: Float64Array }[]) expect(t.ref.length).toBe(20);
  }, 120_000);
});

describe("afex's rules", () => {
  it("nested designs: the columns afex's restricted formulas remove (type 3 and 2, test_intercept)", () => {
    // afex's restricted formulas name the columns removed: `m.matrix[, -2:-3]`, `m.matrix[, c(-2L, -3L, -6L)]`, `m.matrix[, -1L]`
    const removed = (formula: string): number[] => {
      const inner = /m\.matrix\[, (.*?)\] \+/.exec(formula)![1].replace(/L/g, '');
      const parts = inner.startsWith('c(') ? inner.slice(2, -1).split(',').map((s) => s.trim()) : [inner];
      return parts.flatMap((s) => {
        const range = /^-(\d+):-(\d+)$/.exec(s);
        if (range) { const a = Number(range[1]), b = Number(range[2]); return Array.from({ length: b - a + 1 }, (_, k) => a + k - 1); }
        return [-Number(s) - 1];
      });
    };
    // obk: treatment (2 columns), phase (2), treatment:phase (4), the intercept column 0
    const terms = [{ label: 'treatment', order: 1, columns: [1, 2] }, { label: 'phase', order: 1, columns: [3, 4] }, { label: 'treatment:phase', order: 2, columns: [5, 6, 7, 8] }];
    for (const name of ['obk LRT type 3', 'obk LRT type 3 test_intercept', 'obk LRT type 2']) {
      const c = byName(name);
      const d = nestedDesigns(9, 0, terms, c.type, c.test_intercept);
      expect(d.restricted.map((r) => r.effect)).toEqual(c.restricted.map((r) => r.effect));
      d.restricted.forEach((r, k) => {
        const drop = Array.from({ length: 9 }, (_, j) => j).filter((j) => !r.keep.includes(j));
        expect(drop).toEqual(removed(c.restricted[k].formula));
      });
      expect(d.full.length).toBe(c.full.length);
    }
    // type 2: F_1 keeps the main effects (afex's `m.matrix[, -6:-9]`), F_2 is X
    expect(nestedDesigns(9, 0, terms, 2, false).full).toEqual([[0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5, 6, 7, 8]]);
    expect(() => nestedDesigns(1, 0, [], 3, false)).toThrow(/no fixed-effects term to test/);
  });

  it("the formula as afex splits it: random-effects terms, the fixed part as written, all.vars's order", () => {
    const p = afexFormulaParts('response ~ instruction * type + (type | id) + (1 | content)');
    expect(p.random).toEqual(['type | id', '1 | content']);
    expect(p.fixedText).toBe('instruction * type');
    expect(p.variables).toEqual(['response', 'instruction', 'type', 'id', 'content']);
    expect(afexFormulaParts('cbind(incidence, size - incidence) ~ period + (1 | herd)').variables).toEqual(['incidence', 'size', 'period', 'herd']);
    expect(afexFormulaParts('y ~ (x || g) + a').fixedText).toBe('a');
    expect(withoutBars(' (1 | g) ')).toBe('1');
    expect(withoutBars(' 0 + x + (0 + x | g)')).toBe('0 + x');
  });

  it("the heading: paste0(\"Model: \", deparse(formula)) prefixes each line of a long formula (R's output)", () => {
    expect(mixedHeading(3, 'LRT', 'response ~ instruction*type*plausibility + (type + plausibility | id) + (1|content)', 'sk', null)).toEqual([
      'Mixed Model Anova Table (Type 3 tests, LRT-method)\n',
      'Model: response ~ instruction * type * plausibility + (type + plausibility | ',
      'Model:     id) + (1 | content)',
      'Data: sk',
    ]);
  });

  it("afex's formatting: formatC's ties to even, round_ps, the symbols (R's values)", () => {
    // R: formatC(c(0.125, 2.675, 0.0049999, 0.9996, 0.0625, 0.3125, 1.005), digits = 2, format = "f")
    expect([0.125, 2.675, 0.0049999, 0.9996, 0.0625, 0.3125, 1.005].map((x) => formatCFixed(x, 2))).toEqual(['0.12', '2.67', '0.00', '1.00', '0.06', '0.31', '1.00']);
    // R: afex_options("round_ps")(c(0.125, 0.9996, 0.99949, 0.0005, 0.05, 0.0999, 1e-5, 0.0625))
    expect([0.125, 0.9996, 0.99949, 0.0005, 0.05, 0.0999, 1e-5, 0.0625].map(roundPs)).toEqual(['.125', '>.999', '.999', '<.001', '.050', '.100', '<.001', '.062']);
    expect([0.2, 0.09, 0.049, 0.009, 0.0009, null].map((p) => makeStat(3.14159, p))).toEqual(['3.14', '3.14 +', '3.14 *', '3.14 **', '3.14 ***', '3.14']);
  });
});

describe("afex's mixed(): options and bad input", () => {
  const obk = () => loadDataFile('obk_long.csv');
  const F = 'value ~ treatment * phase + (1 | id)';

  it('refuses what afex refuses, and options it does not know, by name', async () => {
    await expect(mixed(F, obk(), { method: 'KR', family: 'poisson', factors: ['id'] })).rejects.toThrow(/GLMMs can only be estimated with 'LRT' or 'PB'/);
    await expect(mixed(F, obk(), { method: 'KR', REML: false })).rejects.toThrow(/Kenward-Roger's method is only available for REML model fits/);
    await expect(mixed(F, obk(), { method: 'F' as 'KR' })).rejects.toThrow(/Only methods "KR", "PB", "LRT", or "nested-KR" currently implemented/);
    await expect(mixed(F, obk(), { type: 1 as 2 })).rejects.toThrow(/type must be 3 \(default\) or 2/);
    await expect(mixed(F, obk(), { perParameter: ['treatment'] })).rejects.toThrow(/perParameter is for methods "LRT", "PB" and "nested-KR"/);
    await expect(mixed(F, obk(), { per_parameter: ['a'] } as unknown as MixedOptions)).rejects.toThrow(/unknown option 'per_parameter' \(perParameter\)/);
    await expect(mixed(F, obk(), { method: 'LRT', argsTest: { nsim: 10 } })).rejects.toThrow(/argsTest .* is for method "PB"/);
    await expect(mixed(F, obk(), { method: 'PB', argsTest: { nsim: 10, cl: 2 } as unknown as { nsim: number } })).rejects.toThrow(/argsTest takes nsim and seed, not 'cl'/);
    await expect(mixed('value ~ treatment', obk())).rejects.toThrow(/no random-effects terms/);
    await expect(mixed('value ~ treatment + (0 | id)', obk(), { expandRe: true, factors: ['id'] })).rejects.toThrow(/random-effects term '0 \| id' has no intercept and no terms/);
    await expect(mixed('value ~ nothere + (1 | id)', obk())).rejects.toThrow(/nothere/);
    await expect(mixed(F, obk(), { testIntercept: 'yes' as unknown as boolean })).rejects.toThrow(/testIntercept must be true or false/);
  });

  it('S is the default method and 3 the default type (afex_options); the S warning on test_intercept', async () => {
    const m = await mixed(F, obk(), { factors: ['id'], testIntercept: true });
    expect(m.method).toBe('S');
    expect(m.heading[0]).toBe('Mixed Model Anova Table (Type 3 tests, S-method)\n');
    expect(m.messages).toContain('Cannot test intercept with Satterthwaite approximation.');
    expect(m.anova().map((r) => r.Effect)).toEqual(['treatment', 'phase', 'treatment:phase']);
    const ref = byName('obk S type 3');
    m.anova().forEach((r, i) => expect(rel(r.F as number, ref.rows[i].F!)).toBeLessThan(1e-6));
  });

  it('check_contrasts = FALSE keeps treatment coding (no message); lmerTest\'s type 3 does not depend on it', async () => {
    const m = await mixed(F, obk(), { factors: ['id'], checkContrasts: false, method: 'KR' });
    expect(m.fullModel.model.frame.xnames).toContain('treatmentB');
    expect(m.messages.some((x) => x.startsWith('Contrasts set to contr.sum'))).toBe(false);
    const ref = byName('obk KR type 3 test_intercept');
    m.anova().forEach((r, i) => expect(rel(r.F as number, ref.rows[i + 1].F!)).toBeLessThan(1e-6));
  });

  it("a factor in a random-effects term is coded as afex codes it (contr.sum columns re1.*, lme4's Z)", async () => {
    const m = await run(byName('sk2011 KR type 3'));
    expect(m.fullModel.formula).toBe('response ~ instruction * type + (1 + re1.type1 | id) + (1 | content)');
    // lme4's θ under afex's coding: the same parametrization, so the same θ to the optimum's precision
    const theta = byName('sk2011 KR type 3').full[0].theta;
    Array.from(m.fullModel.theta).forEach((t, k) => expect(Math.abs(t - theta[k])).toBeLessThan(1e-5));
    const e = await run(byName('obk LRT expand_re'));
    expect(e.fullModel.formula).toBe('value ~ treatment * phase + (1 + re1.phase1 + re1.phase2 || id)');
    expect(e.restrictedModels[0].formula).toBe('value ~ 0 + Intercept + phase1 + phase2 + treatment1_by_phase1 + treatment2_by_phase1 + treatment1_by_phase2 + treatment2_by_phase2 + (1 + re1.phase1 + re1.phase2 || id)');
  });

  it('data in several record batches (a multi-batch Arrow file): the added re1.* columns follow them, the table as from one batch', async () => {
    const c = byName('obk LRT expand_re');
    const one = loadDataFile(c.data);
    const cut = Math.floor(one.numRows / 3);
    const batches = new arrow.Table([...one.slice(0, cut).batches, ...one.slice(cut).batches]);
    expect(batches.batches.length).toBeGreaterThan(1);
    const a = await mixed(c.formula, one, optionsOf(c));
    const b = await mixed(c.formula, batches, optionsOf(c));
    expect(b.rows).toEqual(a.rows);
  });

  it("all_fit: every fit refitted by allFit's optimizers, the best kept; the table as without it", async () => {
    const c = byName('obk LRT type 3');
    const m = await mixed(c.formula, loadDataFile(c.data), { ...optionsOf(c), allFit: true });
    expect(m.allFitSelected!.length).toBe(1 + c.restricted.length);
    m.anova().forEach((r, i) => expect(Math.abs((r.Chisq as number) - c.rows[i].Chisq!)).toBeLessThan(1e-6));
  }, 120_000);

  it('missing values: the rows afex keeps (complete cases of the formula\'s variables), with its note', async () => {
    const t = obk();
    const rows: Record<string, unknown>[] = [];
    for (let i = 0; i < t.numRows; i++) {
      const r = t.get(i)!.toJSON() as Record<string, unknown>;
      rows.push(i === 3 ? { ...r, value: null } : i === 10 ? { ...r, phase: null } : { ...r });
    }
    const m = await mixed(F, rows, { factors: ['id'], method: 'LRT' });
    expect(m.messages).toContain('Due to missing values, reduced number of observations to 238');
    for (const f of [m.fullModel, ...m.restrictedModels.map((r) => r.fit)]) expect(f.nobs).toBe(238);
  });

  it('JSON: the table under afex\'s column names, the fits, the messages', async () => {
    const m = await run(byName('obk LRT type 2'));
    const j = JSON.parse(JSON.stringify(m)) as { anova_table: Record<string, unknown>[]; full_model: unknown[]; restricted_models: { effect: string; compared_with: number }[]; nice: { Chisq: string }[] };
    expect(Object.keys(j.anova_table[0])).toEqual(['Effect', 'Df', 'Chisq', 'Chi Df', 'Pr(>Chisq)']);
    expect(j.full_model.length).toBe(2);
    expect(j.restricted_models.map((r) => r.compared_with)).toEqual([0, 0, 1]);
    expect(j.nice.map((r) => r.Chisq)).toEqual(['5.93 +', '66.67 ***', '38.89 ***']);
  });
});

describe('mixedgpu mixed', () => {
  const data = (f: string) => join(import.meta.dirname, 'fixtures', 'data', f);
  async function capture(runIt: (io: { stdout: (s: string) => void; stderr: (s: string) => void }) => Promise<number>) {
    const out: string[] = [], err: string[] = [];
    const code = await runIt({ stdout: (s) => out.push(s), stderr: (s) => err.push(s) });
    return { code, stdout: out.join(''), stderr: err.join('') };
  }

  it("prints afex's table (the Data line names the file); --json; --type 2; --family binomial with LRT", async () => {
    const c = byName('obk KR type 2');
    const r = await capture((io) => runMixed({ file: data('obk_long.csv'), formula: c.formula, method: 'KR', type: '2', factors: 'id' }, io));
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${c.printed.map((l) => (l === 'Data: dd' ? 'Data: obk_long' : l)).join('\n')}\n`);
    expect(r.stderr).toContain('mixedgpu: note: Contrasts set to contr.sum for the following variables: treatment, phase, id');
    const g = byName('cbpp LRT');
    const j = await capture((io) => runMixed({ file: data('cbpp.csv'), formula: g.formula, method: 'LRT', family: 'binomial', factors: 'herd,period', json: true, quiet: true }, io));
    expect(j.code).toBe(0);
    const out = JSON.parse(j.stdout) as { anova_table: Record<string, number>[] };
    expect(Math.abs(out.anova_table[0].Chisq - g.rows[0].Chisq!)).toBeLessThan(1e-7);
    expect(j.stderr).toBe('');
  });

  it('the command and its options are registered', () => {
    const cmd = buildProgram().commands.find((c) => c.name() === 'mixed')!;
    expect(cmd.options.map((o) => o.long)).toEqual(expect.arrayContaining(['--method', '--type', '--test-intercept', '--expand-re', '--all-fit', '--no-check-contrasts', '--nsim', '--seed', '--ml', '--family', '--factors', '--json']));
    // commander's attribute names are the ones runMixed reads
    expect(cmd.options.map((o) => o.attributeName())).toEqual(expect.arrayContaining(['testIntercept', 'expandRe', 'allFit', 'checkContrasts']));
  });

  it('refuses bad arguments by name', async () => {
    const f = data('obk_long.csv');
    const F = 'value ~ treatment * phase + (1 | id)';
    const bad = async (a: Record<string, unknown>, re: RegExp) => {
      const r = await capture((io) => runMixed({ file: f, formula: F, factors: 'id', ...a } as Parameters<typeof runMixed>[0], io));
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(re);
    };
    await bad({ method: 'F' }, /Only methods "KR", "PB", "LRT", or "nested-KR" currently implemented/);
    await bad({ method: 'F2' }, /unknown --method 'F2'/);
    await bad({ type: '1' }, /--type must be 3 or 2/);
    await bad({ method: 'KR', nsim: '10' }, /--nsim and --seed are for --method PB/);
    await bad({ method: 'PB', nsim: '1' }, /--nsim must be a whole number ≥ 2/);
    await bad({ method: 'KR', family: 'binomial' }, /GLMMs can only be estimated with 'LRT' or 'PB'/);
    await bad({ method: 'LRT', ml: true }, /--ml is for --method KR, S and nested-KR/);
    await bad({ contrasts: 'treatment=contr.helmert' }, /--contrasts is not available with mixed/);
    await bad({ link: 'logit' }, /--link and --nagq are for a GLMM/);
  });
});
