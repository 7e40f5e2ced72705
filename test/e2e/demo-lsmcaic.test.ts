/**
 * The browser app's Least-squares means card (lmerTest's ls_means / difflsmeans) and the Model tests
 * card's conditional AIC (cAIC4), in Node (no browser): the worker's results (demo/src/lsMeansRun.ts,
 * demo/src/modelTestsRun.ts) equal the library's own fit.lsMeans and fit.cAIC — the same numbers, the
 * same printouts — and, through our fit, lmerTest's and cAIC4's (test/fixtures/inference/ls-means.json,
 * test/fixtures/caic/caic.json) at test/inference/lsMeans.test.ts's and test/caic.test.ts's tolerances for
 * a fit at its own optimum (ls_means relative 1e-5 of max(|value|, SE); cAIC 1e-6 relative, its printout
 * exactly). Then the page's logic: the request of the card's fields (each bad field named; the library's
 * refusals named by lsmFieldOf), the R call, the NA cells and CSV of non-estimable rows, the address's
 * settings; the cAIC table and its refusals; glmer's refits reported and stopped by Cancel.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lmer } from '../../src/fit/lmer.js';
import { glmer } from '../../src/fit/glmer.js';
import { readCsv } from '../../src/io/csv.js';
import { printLsMeans } from '../../src/inference/lsMeans.js';
import { printShowTests } from '../../src/inference/showTests.js';
import { formatCaic } from '../../src/inference/caic.js';
import { factorTerms } from '../../src/inference/lsMeansContrasts.js';
import '../../src/inference/methods.js';
import { dataText } from '../helpers/fitExtras.js';
import { lsmFieldOf, runLsMeans } from '../../demo/src/lsMeansRun.js';
import { LsmFieldError, defaultLsmFields, lsmCall, lsmCells, lsmCsv, lsmErrorText, lsmRequest, lsmUrlOf, readLsmUrl, writeLsmUrl } from '../../demo/src/lsMeansCard.js';
import { runModelTest } from '../../demo/src/modelTestsRun.js';
import { modelTestTables, testTableCsv, testsFor } from '../../demo/src/modelTests.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';
import { cardReply } from '../../demo/src/requests.js';
import type { LsmRequest, ModelTestMsg } from '../../demo/src/protocol.js';

interface RefRow { name: string; estimate: number | null; se: number; df: number; t: number; lower: number; upper: number; p: number }
interface Block { which: string[] | null; level: number; pairwise: boolean; satterthwaite: { rows: RefRow[] }; kenward_roger: { rows: RefRow[] } }
interface LsmCase { name: string; data: string; formula: string; factors: string[]; subset: string | null; ls_means: Block[] }
const lsmCases = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'inference', 'ls-means.json'), 'utf8')) as LsmCase[];
const caicFx = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'caic', 'caic.json'), 'utf8')).cases as Record<string, { formula: string; df: number; loglikelihood: number; caic: number; new: boolean; reducedFormula: string | null; printout: string }>;

/** the case's rows (the empty cell: without A = a2 and B = b3, the oracle's subset) */
function dataOf(c: LsmCase) {
  const text = dataText(c.data);
  if (!c.subset) return readCsv(text).table;
  const [head, ...lines] = text.trimEnd().split('\n');
  return readCsv([head, ...lines.filter((l) => !/^[^,]*,"a2","b3",/.test(l))].join('\n')).table;
}
const caseOf = (name: string) => lsmCases.find((c) => c.name === name)!;
const rel = (a: number, b: number, scale: number) => Math.abs(a - b) / (scale || 1);
const ctx = () => ({ signal: new AbortController().signal, onProgress: () => {} });

describe('Least-squares means card: the worker is the library', () => {
  for (const name of ['factorial_covariate', 'empty_cell']) {
    it(`${name}: every block of lmerTest's oracle, Satterthwaite and Kenward–Roger`, async () => {
      const c = caseOf(name);
      const fit = await lmer(c.formula, dataOf(c), { factors: c.factors });
      for (const b of c.ls_means) {
        for (const ddf of ['satterthwaite', 'kenward-roger'] as const) {
          const req: LsmRequest = { which: b.which, pairwise: b.pairwise, ddf, level: b.level };
          const m = runLsMeans(fit, req);
          const lib = fit.lsMeans({ ...(b.which ? { which: b.which } : {}), pairwise: b.pairwise, ddf, level: b.level });
          // the library's numbers and printouts, exactly
          expect(m.rows).toEqual(lib.rows);
          expect(m.text).toBe(printLsMeans(lib).join('\n'));
          expect(m.showTestsText).toBe(printShowTests(lib).join('\n'));
          expect(m.ddf).toBe(ddf);
          // lmerTest's, through our fit (two optimizers' optima: 1e-5 relative)
          const want = b[ddf === 'satterthwaite' ? 'satterthwaite' : 'kenward_roger'].rows;
          expect(m.rows.map((r) => r.name)).toEqual(want.map((r) => r.name));
          m.rows.forEach((r, i) => {
            const w = want[i]!;
            const where = `${name} ${ddf} ${r.name}`;
            if (w.estimate === null) {
              for (const k of ['estimate', 'se', 'df', 't', 'lower', 'upper', 'p'] as const) expect(r[k], where).toBeNaN();
              expect(lsmCells(r).slice(1)).toEqual(['NA', 'NA', 'NA', 'NA', 'NA', 'NA', 'NA']);
              return;
            }
            const scale = Math.max(Math.abs(w.estimate), w.se);
            for (const k of ['estimate', 'se', 'lower', 'upper'] as const) expect(rel(r[k], w[k]!, scale), `${where} ${k}`).toBeLessThan(1e-5);
            expect(rel(r.t, w.t, Math.max(Math.abs(w.t), 1)), `${where} t`).toBeLessThan(1e-5);
            expect(rel(r.df, w.df, w.df), `${where} df`).toBeLessThan(1e-5);
            expect(Math.abs(r.p - w.p), `${where} p`).toBeLessThan(Math.max(1e-5 * w.p, 1e-12));
          });
        }
      }
      if (name === 'empty_cell') {
        // the CSV writes lmerTest's NA rows as NA
        const m = runLsMeans(fit, { which: ['A:B'], pairwise: false, ddf: 'satterthwaite', level: 0.95 });
        const na = m.rows.find((r) => Number.isNaN(r.estimate))!;
        expect(lsmCsv(m).split('\n').find((l) => l.startsWith(`A:B,${na.name},`))).toBe(`A:B,${na.name},NA,NA,NA,NA,NA,NA,NA`);
      }
    }, 60_000);
  }

  it("the card's request, its refusals named, the R call, the address", async () => {
    const c = caseOf('factorial_covariate');
    const fit = await lmer(c.formula, dataOf(c), { factors: c.factors });
    const terms = factorTerms(fit.model.frame).map((t) => t.label);
    expect(terms).toEqual(['A', 'B', 'A:B']);
    const f = (over: Partial<ReturnType<typeof defaultLsmFields>>) => ({ ...defaultLsmFields(), ...over });
    expect(lsmRequest(f({}), terms)).toEqual({ which: null, pairwise: false, ddf: 'satterthwaite', level: 0.95 });
    const req = lsmRequest(f({ which: 'A', pairwise: true, ddf: 'kenward-roger', level: ' 0.9 ' }), terms);
    expect(req).toEqual({ which: ['A'], pairwise: true, ddf: 'kenward-roger', level: 0.9 });
    expect(lsmCall(req)).toBe('ls_means(fit, which = "A", level = 0.9, pairwise = TRUE, ddf = "Kenward-Roger")');
    expect(lsmCall({ which: null, pairwise: false, ddf: 'satterthwaite', level: 0.95 })).toBe('ls_means(fit)');
    const refused = (fields: ReturnType<typeof defaultLsmFields>, t: readonly string[] | null) => {
      try { lsmRequest(fields, t); } catch (e) { expect(e).toBeInstanceOf(LsmFieldError); return [(e as LsmFieldError).field, (e as Error).message]; }
      throw new Error('not refused');
    };
    expect(refused(f({ level: '1.5' }), terms)).toEqual(['level', "level: a number between 0 and 1 (exclusive), e.g. 0.95, not '1.5'"]);
    expect(refused(f({ level: '' }), terms)[0]).toBe('level');
    expect(refused(f({ which: 'x' }), terms)).toEqual(['which', "term: 'x' is not a factor term of the fixed part (A, B, A:B)"]);
    expect(refused(f({ ddf: 'asymptotic' }), terms)[0]).toBe('ddf');
    expect(refused(f({}), null)[1]).toMatch(/^term: lmerTest's ls_means is for lmer fits/);
    expect(refused(f({}), [])[1]).toMatch(/no factor term/);
    // the library's own refusal (a term with a covariate), named by its field
    let err: unknown;
    try { runLsMeans(fit, { which: ['x'], pairwise: false, ddf: 'satterthwaite', level: 0.95 }); } catch (e) { err = e; }
    expect(lsmFieldOf(err)).toBe('which');
    expect(lsmErrorText((err as Error).message, 'which')).toMatch(/^term: all\(which %in% factor_terms\) is not TRUE: 'x' is not a factor term/);
    const glmm = await glmer('y ~ A + (1 | g)', readCsv('y,A,g\n1,a,1\n0,b,1\n1,a,2\n1,b,2\n0,a,3\n1,b,3\n0,a,4\n0,b,4\n1,a,5\n0,b,5\n1,a,6\n1,b,6\n').table, { family: 'binomial', factors: ['g'] });
    expect(() => runLsMeans(glmm, req)).toThrow(/ls_means is for lmer fits/);
    expect(() => runLsMeans(undefined, req)).toThrow(/no longer kept/);
    // the address: lsm=1 with the term, pairwise and level; read back as written, the defaults left out
    const url = lsmUrlOf(f({ which: 'A:B', pairwise: true, level: '0.9' }));
    expect(url).toEqual({ which: 'A:B', pairwise: true, level: 0.9 });
    const q = new URLSearchParams();
    writeLsmUrl(q, url);
    expect(q.toString()).toBe('lsm=1&lsmw=A%3AB&lsmp=1&lsml=0.9');
    expect(readLsmUrl(q)).toEqual(url);
    expect(readLsmUrl(new URLSearchParams('lsm=1&lsml=7'))).toEqual({});
    expect(readLsmUrl(new URLSearchParams('lsmw=A'))).toBeUndefined();
    expect(lsmUrlOf(defaultLsmFields())).toEqual({});
    const s = writeUrlState({ example: 'sleepstudy', fit: true, lsm: url });
    expect(readUrlState(s).lsm).toEqual(url);
    // the worker's replies belong to the fit shown: a late one of another fit is dropped by the page's ledger
    expect(cardReply('lsMeansDone')).toBe('final');
    expect(cardReply('lsMeansError')).toBe('final');
  }, 60_000);
});

describe("Model tests card's cAIC: the worker is the library", () => {
  const sleep = () => readCsv(dataText('sleepstudy.csv'), { factors: ['Subject'] }).table;
  const tableOf = (m: ModelTestMsg) => modelTestTables(m)[0]!;

  it('is offered for lmer and glmer fits', () => {
    expect(testsFor('lmer').map((t) => t.kind)).toContain('caic');
    expect(testsFor('glmer').map((t) => t.kind)).toContain('caic');
  });

  it("lmer: cAIC4's numbers and printout, as the library gives them", async () => {
    const c = caicFx.sleep_slope_reml;
    const fit = await lmer(c.formula, sleep(), { factors: ['Subject'] });
    const m = await runModelTest(fit, { kind: 'caic' }, ctx());
    if (m.kind !== 'caic') throw new Error(m.kind);
    const lib = await fit.cAIC();
    expect(m.caic).toEqual(lib);
    expect(m.text).toBe(formatCaic(lib));
    expect(m.text).toBe(c.printout);
    expect(Math.abs(m.caic.caic - c.caic) / c.caic).toBeLessThan(1e-6);
    const t = tableOf(m);
    expect(t.rows.map((r) => r.cells)).toEqual([['Conditional log-likelihood', lib.loglikelihood], ['Degrees of freedom', lib.df], ['Conditional AIC', lib.caic]]);
    expect(t.caption).toBe('');
    expect(testTableCsv(t)).toBe(`statistic,value\nConditional log-likelihood,${lib.loglikelihood}\nDegrees of freedom,${lib.df}\nConditional AIC,${lib.caic}\n`);
  });

  it("lmer with a zero component: the reduced model's formula, as cAIC4 prints it", async () => {
    const c = caicFx.sleep_noise_singular_reml;
    const lines = dataText('sleepstudy.csv').trim().split('\n');
    const text = [`${lines[0]},"noise"`, ...lines.slice(1).map((l, i) => `${l},"${(i % 10) + 1}"`)].join('\n');
    const fit = await lmer(c.formula, readCsv(text, { factors: ['Subject', 'noise'] }).table, { factors: ['Subject', 'noise'] });
    const m = await runModelTest(fit, { kind: 'caic' }, ctx());
    if (m.kind !== 'caic') throw new Error(m.kind);
    expect(m.caic.new).toBe(true);
    expect(m.caic.reducedModel).toBe(c.reducedFormula);
    expect(tableOf(m).caption).toBe(`The model was refitted without its zero variance components: ${c.reducedFormula}.`);
    expect(m.text).toBe(c.printout);
  });

  it('glmer Poisson: each refit reported, the library\'s numbers; Cancel stops it; other families refused', async () => {
    // 12 groups of 5 Poisson counts with a group effect (a fixed LCG): one refit per positive count
    let s = 7;
    const u = () => { s = (s * 1103515245 + 12345) % 2147483648; return s / 2147483648; };
    const rpois = (mu: number) => { let k = 0, p = Math.exp(-mu), F = p; const x = u(); while (x > F) { k++; p *= mu / k; F += p; } return k; };
    const rows = ['y,x,g'];
    for (let g = 0; g < 12; g++) { const b = (u() - 0.5) * 1.6; for (let j = 0; j < 5; j++) { const x = j / 4; rows.push(`${rpois(Math.exp(0.6 + 0.5 * x + b))},${x},g${g}`); } }
    const fit = await glmer('y ~ x + (1 | g)', readCsv(rows.join('\n')).table, { family: 'poisson', factors: ['g'] });
    expect(fit.theta[0]).toBeGreaterThan(0.1);
    const positive = fit.model.frame.y.filter((v) => v > 0).length;
    const seen: number[] = [];
    const m = await runModelTest(fit, { kind: 'caic' }, { signal: new AbortController().signal, onProgress: (p) => { expect(p.total).toBe(positive); seen.push(p.done); } });
    if (m.kind !== 'caic') throw new Error(m.kind);
    expect(seen).toEqual(Array.from({ length: positive }, (_, i) => i + 1));
    const lib = await fit.cAIC();
    expect(m.caic).toEqual(lib);
    expect(m.text).toBe(formatCaic(lib));
    expect(m.caic.refits).toBe(positive);
    expect(tableOf(m).caption).toBe(`${positive} refits (one per positive count).`);
    expect(tableOf(m).title).toMatch(/Poisson: Säfken et al\.'s bias correction/);
    // Cancel after the third refit
    const ac = new AbortController();
    let calls = 0;
    await expect(runModelTest(fit, { kind: 'caic' }, { signal: ac.signal, onProgress: () => { if (++calls === 3) ac.abort(); } })).rejects.toThrow(/abort|cancel/i);
    expect(calls).toBe(3);
    // the library's refusal of another family, as the card shows it
    const gm = await glmer('TICKS + 1 ~ YEAR + (1 | BROOD)', readCsv(dataText('grouseticks.csv'), { factors: ['YEAR', 'BROOD'] }).table, { family: 'Gamma', factors: ['YEAR', 'BROOD'] });
    await expect(runModelTest(gm, { kind: 'caic' }, ctx())).rejects.toThrow(/Gamma family/);
  }, 60_000);
});
