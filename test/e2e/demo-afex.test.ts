/**
 * The browser app's ANOVA (afex) card, in Node (no browser): the worker's run (demo/src/afexRun.ts) on a
 * kept fit's formula and data equals the library's mixed() of the same call — anova(), nice(), the
 * messages and print(mixed), exactly (the same code on the same data) — and, where afex 1.2-1's own
 * printout is in test/fixtures/afex/mixed.json (test/oracle/afex.R), the card's printout is afex's line
 * for line and its table's cells are afex's nice() cells; a glmer fit's KR is the library's refusal;
 * PB's progress and Cancel; the card's request with each bad field named, its table and CSV, and its
 * state in the address (round trips; invalid values left out). The library's numbers against afex are
 * checked in test/afex.test.ts; this file checks that the card shows the library's.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { mixed } from '../../src/afex/mixed.js';
import { runAfex, type AfexContext } from '../../demo/src/afexRun.js';
import { type AfexFields, AfexFieldError, afexCsv, afexFieldsOf, afexRefusal, afexRequest, afexTable, afexUrlOf } from '../../demo/src/afex.js';
import type { AfexMsg, FitRequest } from '../../demo/src/protocol.js';
import type { StoredFit } from '../../demo/src/fitting.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';
import { loadDataFile } from '../helpers/inference.js';

interface AfexCase { name: string; data: string; factors: string[]; formula: string; printed: string[]; rows: Record<string, number | string | null>[] }
const cases = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'afex', 'mixed.json'), 'utf8')) as AfexCase[];
const byName = (n: string) => cases.find((c) => c.name === n)!;

const ctx = (signal = new AbortController().signal): AfexContext & { reports: { done: number; total: number; label: string }[] } => {
  const reports: { done: number; total: number; label: string }[] = [];
  return { signal, onProgress: (p) => reports.push(p), reports };
};
/** a kept fit as the worker keeps it: only its request is read by the card (mixed() refits from the data) */
const stored = (request: Partial<FitRequest>): StoredFit => ({
  id: 1, fit: null as unknown as StoredFit['fit'],
  request: { formula: '', factors: [], reml: true, backend: 'cpu', family: 'gaussian', dataName: 'dd.csv', ...request },
});
const fields = (over: Partial<AfexFields> = {}): AfexFields => ({ method: 'S', type: '3', testIntercept: false, expandRe: false, nsim: '1000', seed: '1', ...over });
const yieldNow = () => new Promise((r) => setTimeout(r, 0));

describe('ANOVA (afex) card (worker logic)', () => {
  test.each([
    ['obk LRT type 3', { method: 'LRT', type: '3' }],
    ['obk KR type 2', { method: 'KR', type: '2' }],
    ['obk LRT type 3 test_intercept', { method: 'LRT', type: '3', testIntercept: true }],
    ['obk LRT expand_re', { method: 'LRT', type: '3', expandRe: true }],
  ] as [string, Partial<AfexFields>][])('%s: the worker\'s result is the library\'s mixed(), and its printout afex 1.2-1\'s', async (name, f) => {
    const c = byName(name);
    const data = loadDataFile(c.data);
    const req = afexRequest(fields(f));
    const c1 = ctx();
    const m = await runAfex(stored({ formula: c.formula, factors: c.factors }), data, req, c1);
    await yieldNow();
    const lib = await mixed(c.formula, data, { method: req.method, type: req.type, testIntercept: req.testIntercept, expandRe: req.expandRe, factors: c.factors, dataName: 'dd' });
    expect(m.columns).toEqual(lib.columns);
    expect(m.anova).toEqual(lib.anova());
    expect(m.nice).toEqual(lib.nice());
    expect(m.messages).toEqual(lib.messages);
    expect(m.text).toBe(lib.print().join('\n'));
    expect(m.fullFormula).toBe(lib.fullFormulas[lib.fullFormulas.length - 1]);
    // afex's own printout (its Data: line names 'dd', as the worker's name of 'dd.csv')
    expect(m.text.split('\n')).toEqual(c.printed);
    // the card's cells are nice()'s, which print(mixed) shows: each row's Effect, df, statistic and p in afex's printed line
    const t = afexTable(m);
    expect(t.rows.map((r) => r.cells[0])).toEqual(c.rows.map((r) => r.effect));
    for (const r of t.rows) {
      const line = c.printed.find((l) => new RegExp(`^\\d+\\s+${r.key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s`).test(l));
      expect(line, r.key).toBeDefined();
      for (const cell of r.cells.slice(1)) expect(line).toContain(String(cell).trim());
    }
    // one report per fit and test, the last one the total
    expect(c1.reports.length).toBeGreaterThan(0);
    const last = c1.reports[c1.reports.length - 1]!;
    expect(last.done).toBe(last.total);
  }, 120_000);

  test("a glmer fit: KR and S are the library's refusal (afex's words); LRT is afex's table", async () => {
    const c = byName('cbpp LRT');
    const data = loadDataFile(c.data);
    const s = stored({ formula: c.formula, factors: c.factors, family: 'binomial', link: 'logit', nAGQ: 1 });
    for (const method of ['KR', 'S']) {
      await expect(runAfex(s, data, afexRequest(fields({ method })), ctx())).rejects.toThrow("GLMMs can only be estimated with 'LRT' or 'PB'.");
    }
    const m = await runAfex(s, data, afexRequest(fields({ method: 'LRT' })), ctx());
    expect(m.text.split('\n')).toEqual(c.printed);
  }, 120_000);

  test("PB: nsim and seed passed on (the library's table for the same draws), progress per fit and test, Cancel", async () => {
    const c = byName('md_16.1 PB');
    const data = loadDataFile(c.data);
    const s = stored({ formula: c.formula, factors: c.factors });
    const req = afexRequest(fields({ method: 'PB', nsim: '40', seed: '7' }));
    expect(req).toEqual({ method: 'PB', type: 3, testIntercept: false, expandRe: false, nsim: 40, seed: 7 });
    const c1 = ctx();
    const m = await runAfex(s, data, req, c1);
    const lib = await mixed(c.formula, data, { method: 'PB', argsTest: { nsim: 40, seed: 7 }, factors: c.factors, dataName: 'dd' });
    expect(m.anova).toEqual(lib.anova());
    expect(m.nice).toEqual(lib.nice());
    expect(m.columns).toEqual(['Chisq', 'Chi Df', 'Pr(>Chisq)', 'Pr(>PB)']);
    expect(c1.reports.map((r) => r.label)).toEqual(['full model 1', 'sex', 'PB sex']);
    expect(afexTable(m).title).toMatch(/parametric bootstrap \(40 simulations, seed 7\)/);
    // Cancel: an aborted signal stops it with an AbortError
    const ac = new AbortController();
    ac.abort();
    await expect(runAfex(s, data, req, ctx(ac.signal))).rejects.toMatchObject({ name: 'AbortError' });
  }, 120_000);

  test("a fit with blme's priors or a relatedness matrix is refused, naming why", async () => {
    expect(afexRefusal({ prior: 'blme' })).toMatch(/without priors/);
    expect(afexRefusal({ relmat: { group: 'g', id: 1 } })).toMatch(/relatedness matrix/);
    expect(afexRefusal({})).toBeNull();
    await expect(runAfex(stored({ formula: 'y ~ x + (1 | g)', prior: 'blme' }), loadDataFile('sleepstudy.csv'), afexRequest(fields()), ctx())).rejects.toThrow(/without priors/);
    await expect(runAfex(stored({ formula: 'y ~ x + (1 | g)' }), null, afexRequest(fields()), ctx())).rejects.toThrow(/load data first/);
  });

  test('the request: each bad field named', () => {
    expect(afexRequest(fields())).toEqual({ method: 'S', type: 3, testIntercept: false, expandRe: false });
    expect(afexRequest(fields({ method: 'KR', type: '2', testIntercept: true, expandRe: true, nsim: 'x' }))).toEqual({ method: 'KR', type: 2, testIntercept: true, expandRe: true });
    const bad: [Partial<AfexFields>, string, RegExp][] = [
      [{ method: 'F' }, 'method', /method: 'F' is not one of S, KR, LRT, PB/],
      [{ type: '1' }, 'type', /type 3 or 2, got '1'/],
      [{ method: 'PB', nsim: '0' }, 'nsim', /nsim: .* from 1 to 100000 .*got '0'/],
      [{ method: 'PB', nsim: '2.5' }, 'nsim', /got '2.5'/],
      [{ method: 'PB', nsim: '' }, 'nsim', /got ''/],
      [{ method: 'PB', seed: 'abc' }, 'seed', /seed: a whole number, got 'abc'/],
    ];
    for (const [f, field, re] of bad) {
      let err: unknown;
      try { afexRequest(fields(f)); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(AfexFieldError);
      expect((err as AfexFieldError).field).toBe(field);
      expect((err as Error).message).toMatch(re);
    }
  });

  test("the table's CSV: nice()'s text, then anova()'s numbers at full precision", () => {
    const m: AfexMsg = {
      request: { method: 'LRT', type: 3, testIntercept: false, expandRe: false },
      columns: ['Df', 'Chisq', 'Chi Df', 'Pr(>Chisq)'],
      anova: [{ Effect: 'treatment', Df: 6, Chisq: 7.123456789, 'Chi Df': 2, 'Pr(>Chisq)': 0.0284 }, { Effect: 'phase', Df: 6, Chisq: 0.5, 'Chi Df': 2, 'Pr(>Chisq)': null }],
      nice: { columns: ['Effect', 'df', 'Chisq', 'p.value'], rows: [{ Effect: 'treatment', df: '2', stat: '7.12 *', 'p.value': '.028' }, { Effect: 'phase', df: '2', stat: '0.50', 'p.value': 'NA' }] },
      messages: [], text: '', fullFormula: 'value ~ treatment + (1 | id)', elapsedMs: 1,
    };
    expect(afexCsv(m).trim().split(/\r?\n/)).toEqual([
      'Effect,df_printed,Chisq_printed,p.value_printed,Df,Chisq,Chi_Df,Pr_Chisq',
      'treatment,2,7.12 *,.028,6,7.123456789,2,0.0284',
      'phase,2,0.50,NA,6,0.5,2,NA',
    ]);
    expect(afexTable(m).caption).toBe('Model: value ~ treatment + (1 | id)');
  });

  test('the address: the card open with its settings, defaults left out, invalid values dropped', () => {
    const base = { example: 'sleepstudy' as const, formula: 'Reaction ~ Days + (Days | Subject)', fit: true };
    const round = (afex: ReturnType<typeof afexUrlOf>) => readUrlState(writeUrlState({ ...base, afex })).afex;
    expect(writeUrlState({ ...base, afex: {} })).toContain('afex=1');
    expect(round({})).toEqual({});
    const all = afexUrlOf(fields({ method: 'PB', type: '2', testIntercept: true, expandRe: true, nsim: '200', seed: '9' }));
    expect(all).toEqual({ method: 'PB', type: 2, testIntercept: true, expandRe: true, nsim: 200, seed: 9 });
    expect(round(all)).toEqual(all);
    expect(afexFieldsOf(all)).toEqual(fields({ method: 'PB', type: '2', testIntercept: true, expandRe: true, nsim: '200', seed: '9' }));
    expect(afexFieldsOf({})).toEqual(fields());
    expect(afexUrlOf(fields({ nsim: 'x', seed: '' }))).toEqual({});
    expect(readUrlState('?afex=1&xmethod=F&xtype=1&xnsim=-3&xseed=1.5&xint=yes').afex).toEqual({});
    expect(readUrlState('?example=sleepstudy').afex).toBeUndefined();
  });
});
