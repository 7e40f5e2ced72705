/**
 * The browser app's ANOVA (afex) card with afex's method = "nested-KR" and per_parameter, in Node (no
 * browser): the worker's run on a kept fit's formula and data equals the library's mixed() of the same call
 * (anova(), nice(), print(mixed), exactly), its printout is afex 1.2-1's line for line
 * (test/fixtures/afex/nested.json, test/oracle/afex_nested.R), and the card's table shows pbkrtest's F.scaling
 * (afex's anova() number to 4 significant digits, against the fixture's at 1e-3 relative: the printed
 * rounding, well inside the library's own 1e-6 agreement checked in test/afexNested.test.ts) beside nice()'s
 * cells; the per-parameter box's patterns (split at commas), its refusal for S and KR and for a bad pattern,
 * and its state in the address.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { mixed } from '../../src/afex/mixed.js';
import { runAfex, type AfexContext } from '../../demo/src/afexRun.js';
import { type AfexFields, AfexFieldError, afexFieldsOf, afexRequest, afexTable, afexUrlOf, perParameterPatterns, readAfexUrl, writeAfexUrl } from '../../demo/src/afex.js';
import type { FitRequest } from '../../demo/src/protocol.js';
import type { StoredFit } from '../../demo/src/fitting.js';
import { loadDataFile } from '../helpers/inference.js';

interface NestedCase { name: string; data: string; factors: string[]; formula: string; per_parameter: string[] | string; columns: string[]; rows: Record<string, number | string | null>[]; printed: string[] }
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'afex', 'nested.json'), 'utf8')) as { cases: NestedCase[] };
const byName = (n: string) => fixture.cases.find((c) => c.name === n)!;
const ctx = (): AfexContext => ({ signal: new AbortController().signal, onProgress: () => {} });
const stored = (request: Partial<FitRequest>): StoredFit => ({
  id: 1, fit: null as unknown as StoredFit['fit'],
  request: { formula: '', factors: [], reml: true, backend: 'cpu', family: 'gaussian', dataName: 'dd.csv', ...request },
});
const fields = (over: Partial<AfexFields> = {}): AfexFields => ({ method: 'S', type: '3', testIntercept: false, expandRe: false, nsim: '1000', seed: '1', perParameter: '', ...over });
const yieldNow = () => new Promise((r) => setTimeout(r, 0));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('ANOVA (afex) card: nested-KR and per_parameter', () => {
  test.each([
    ['sleepstudy_dq nested-KR (F.scaling < 1)', {}],
    ['obk nested-KR type 3', {}],
    ['obk nested-KR per_parameter phase', { perParameter: 'phase' }],
    ['obk LRT per_parameter phase$ test_intercept', { method: 'LRT', perParameter: 'phase$, Intercept', testIntercept: true }],
  ] as [string, Partial<AfexFields>][])('%s: the library\'s mixed(), afex\'s printout, F.scaling in the table', async (name, over) => {
    const c = byName(name);
    const data = loadDataFile(c.data);
    const req = afexRequest(fields({ method: 'nested-KR', ...over }));
    const patterns = typeof c.per_parameter === 'string' ? [c.per_parameter] : c.per_parameter;
    expect(req.perParameter ?? []).toEqual(patterns);
    const m = await runAfex(stored({ formula: c.formula, factors: c.factors }), data, req, ctx());
    await yieldNow();
    const lib = await mixed(c.formula, data, { method: req.method, type: req.type, testIntercept: req.testIntercept, ...(patterns.length ? { perParameter: patterns } : {}), factors: c.factors, dataName: 'dd' });
    expect(m.columns).toEqual(c.columns);
    expect(m.anova).toEqual(lib.anova());
    expect(m.nice).toEqual(lib.nice());
    expect(m.text).toBe(lib.print().join('\n'));
    expect(m.text.split('\n')).toEqual(c.printed);
    const t = afexTable(m);
    const heads = t.columns.map((x) => x.head);
    expect(t.rows.map((r) => r.cells[0])).toEqual(c.rows.map((r) => r.effect));
    if (req.method === 'nested-KR') {
      expect(heads).toEqual(['Effect', 'df', 'F.scaling', 'F', 'p.value']);
      expect(t.title).toMatch(/nested-KR-method.*KRmodcomp/);
      t.rows.forEach((r, i) => expect(rel(Number(r.cells[2]), c.rows[i]!['F.scaling'] as number)).toBeLessThan(1e-3));
    } else {
      expect(heads).toEqual(['Effect', 'df', 'Chisq', 'p.value']);
    }
    // the other cells are nice()'s, as afex prints them
    for (const r of t.rows) {
      const line = c.printed.find((l) => new RegExp(`^\\d+\\s+${r.key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s`).test(l));
      expect(line, r.key).toBeDefined();
      for (const [k, cell] of r.cells.entries()) if (k > 0 && heads[k] !== 'F.scaling') expect(line).toContain(String(cell).trim());
    }
  }, 120_000);

  test('the per-parameter box: patterns, refusals, the address', () => {
    expect(perParameterPatterns(' phase$ , Intercept,, ')).toEqual(['phase$', 'Intercept']);
    expect(perParameterPatterns('')).toEqual([]);
    for (const method of ['S', 'KR']) {
      const e = (() => { try { afexRequest(fields({ method, perParameter: 'phase' })); } catch (x) { return x; } return null; })();
      expect(e).toBeInstanceOf(AfexFieldError);
      expect((e as AfexFieldError).field).toBe('perParameter');
      expect((e as Error).message).toMatch(new RegExp(`not ${method}`));
    }
    expect(() => afexRequest(fields({ method: 'LRT', perParameter: 'phase(' }))).toThrow(/'phase\(' is not a regular expression/);
    expect(afexRequest(fields({ method: 'nested-KR' }))).toEqual({ method: 'nested-KR', type: 3, testIntercept: false, expandRe: false });
    const q = new URLSearchParams();
    writeAfexUrl(q, afexUrlOf(fields({ method: 'nested-KR', perParameter: 'phase$, Intercept' })));
    expect(q.get('xmethod')).toBe('nested-KR');
    const back = afexFieldsOf(readAfexUrl(new URLSearchParams(q.toString())));
    expect([back.method, back.perParameter]).toEqual(['nested-KR', 'phase$, Intercept']);
  });
});
