/**
 * The browser app's Regression table card (sjPlot 2.8.12's tab_model of kept fits), in Node (no browser):
 * the worker's table (demo/src/tabModelRun.ts) is the library's tabModel of the same fits — HTML, page and text
 * byte for byte — and through it sjPlot's own tables (test/fixtures/tabmodel/tab_model.json: every case the
 * card can reach, compared as whole strings); the page's sanitizer leaves every one of sjPlot's 23 tables
 * unchanged (its allow-list covers sjPlot's markup) and turns anything else into text; the labels the user
 * types are escaped; the library's refusals name the fit; a streamed fit's columns equal the in-memory fit's;
 * the card's fields as the library's options (each bad field named), the cells and CSV, the address.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import type { GlmmFit, LmmFit } from '../../src/index.js';
import { type TabModelOptions, tabModel } from '../../src/tabmodel/tabModel.js';
import { lmerStream } from '../../src/gram/stream/lmer.js';
import { openBatchSource } from '../../src/gram/stream/node.js';
import { fitFixtureModels } from '../helpers/fixtureModels.js';
import { runTabModel, tableCells } from '../../demo/src/tabModelRun.js';
import {
  TM_SWITCHES, TmFieldError, type TmFields, defaultTmFields, escapeHtml, readTmUrl, sanitizeTableHtml, tmCsv, tmFieldsOf, tmFitName, tmOptions,
  tmRunsFromLink, tmUrlOf, toggleFit, writeTmUrl,
} from '../../demo/src/tabModelCard.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';
import type { TmRequest } from '../../demo/src/protocol.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = join(ROOT, 'test/fixtures');
interface Case { name: string; models: string[]; options: Record<string, unknown> | unknown[]; content: string; complete?: string }
const fx = JSON.parse(readFileSync(join(dir, 'tabmodel', 'tab_model.json'), 'utf8')) as { models: Record<string, { formula: string; data: string; factors: string[] | string }>; cases: Case[] };
const caseOf = (name: string) => fx.cases.find((c) => c.name === name)!;

const fields = (over: Partial<TmFields> = {}, switches: Partial<TmFields['switches']> = {}): TmFields => {
  const f = defaultTmFields();
  return { ...f, ...over, switches: { ...f.switches, ...switches } };
};
const request = (ids: number[], names: string[], options: TabModelOptions): TmRequest => ({ fits: ids, names, options });

describe('Regression table (tab_model) card: worker and page logic', () => {
  let fits = new Map<string, LmmFit | GlmmFit>();
  beforeAll(async () => {
    fits = await fitFixtureModels(fx.models, dir);
  }, 120_000);
  const get = (k: string) => fits.get(k)!;

  test("the worker's table of two fits is the library's, byte for byte, and sjPlot's (two_lmer, sleep_cbpp with the card's p style)", async () => {
    const names = ['fit 1 (y ~ f + x + (1 | g))', 'fit 2 (y ~ f + x + h + (1 | g))'];
    const m = await runTabModel([get('fx1'), get('fx2')], request([1, 2], names, tmOptions(fields(), 2)));
    const lib = await tabModel([get('fx1'), get('fx2')]);
    expect(m.html).toBe(lib.html());
    expect(m.page).toBe(lib.page());
    expect(m.text).toBe(lib.text());
    expect(m.html).toBe(caseOf('two_lmer').content);
    expect(m.request.names).toEqual(names);
    // the card's p style numeric + stars: tab_model(sleep, cbpp, p.style = "numeric_stars")
    const opts = tmOptions(fields({ pStyle: 'numeric_stars' }), 2);
    expect(opts).toEqual({ pStyle: 'numeric_stars' });
    const s = await runTabModel([get('sleep'), get('cbpp')], request([3, 4], ['a', 'b'], opts));
    expect(s.html).toBe(caseOf('sleep_cbpp').content);
  }, 60_000);

  test("the card's switches and fields reach sjPlot's tables: two_lmer_options, fx2_kenward, fxi_stars_no_ci, cbpp_logodds, fx1_numeric_stars", async () => {
    const cases: [string, string[], TmFields][] = [
      ['two_lmer_options', ['fx1', 'fx2'], fields({ pStyle: 'stars' }, { showSe: true, showStat: true, showDf: true, showAic: true, showLoglik: true, showDev: true })],
      ['fx2_kenward', ['fx2'], fields({ dfMethod: 'kenward' }, { showSe: true, showDf: true })],
      ['fxi_stars_no_ci', ['fxi'], fields({ showCi: false, pStyle: 'stars' }, { showSe: true })],
      ['cbpp_logodds', ['cbpp'], fields({ transform: 'none' }, { showSe: true })],
      ['fx1_numeric_stars', ['fx1'], fields({ pStyle: 'numeric_stars', digits: '3', digitsP: '2' }, { showIcc: false, showR2: false, showAic: true })],
      ['sleep_satterthwaite', ['sleep'], fields({ dfMethod: 'satterthwaite' }, { showDf: true })],
    ];
    for (const [name, models, f] of cases) {
      const m = await runTabModel(models.map(get), request(models.map((_, i) => i + 1), models, tmOptions(f, models.length)));
      expect(m.html, name).toBe(caseOf(name).content);
    }
  }, 120_000);

  test("the sanitizer leaves each of sjPlot's tables as it is, and turns any other markup into text", () => {
    for (const c of fx.cases) {
      expect(sanitizeTableHtml(c.content), c.name).toBe(c.content);
    }
    expect(sanitizeTableHtml('<td class="tdata">a <img src=x onerror=alert(1)> b</td>')).toBe('<td class="tdata">a &lt;img src=x onerror=alert(1)&gt; b</td>');
    expect(sanitizeTableHtml('<td onclick="x()">a</td>')).toBe('&lt;td onclick="x()"&gt;a&lt;/td&gt;'.replace('&lt;/td&gt;', '</td>'));
    expect(sanitizeTableHtml('<script>alert(1)</script>')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(sanitizeTableHtml('<td class="a" style="x">')).toBe('&lt;td class="a" style="x"&gt;');
    expect(sanitizeTableHtml('<td class="a&quot;b">')).toBe('&lt;td class="a&quot;b"&gt;');
    expect(sanitizeTableHtml('<a href="javascript:x">y</a>')).toBe('&lt;a href="javascript:x"&gt;y&lt;/a&gt;');
    expect(sanitizeTableHtml('<svg onload=x>')).toBe('&lt;svg onload=x&gt;');
    expect(sanitizeTableHtml('</td class="x">')).toBe('&lt;/td class="x"&gt;');
    expect(sanitizeTableHtml('a & b &amp; &nbsp; &#45; &bogus c < d > e')).toBe('a &amp; b &amp; &nbsp; &#45; &bogus c &lt; d &gt; e'.replace('&bogus c', '&amp;bogus c'));
    expect(sanitizeTableHtml('<TD COLSPAN="2">x</TD><br>')).toBe('<td colspan="2">x</td><br>');
  });

  test('labels the user types are escaped before the library writes them into its HTML; the text and CSV show them as typed', async () => {
    const typed = fields({ dvLabels: '<img src=x onerror=alert(1)>; B & C', title: '<script>t</script>' });
    const o = tmOptions(typed, 2);
    expect(o.dvLabels).toEqual(['&lt;img src=x onerror=alert(1)&gt;', 'B &amp; C']);
    expect(o.title).toBe('&lt;script&gt;t&lt;/script&gt;');
    const m = await runTabModel([get('sleep'), get('sleep1')], request([1, 2], ['a', 'b'], o));
    expect(m.html).toContain('<caption>&lt;script&gt;t&lt;/script&gt;</caption>');
    expect(m.html).toContain('>&lt;img src=x onerror=alert(1)&gt;</th>');
    expect(m.html).not.toMatch(/<img|<script/);
    expect(sanitizeTableHtml(m.html)).toBe(m.html);
    expect(m.cells[0]).toEqual(['', '<img src=x onerror=alert(1)>', '', '', 'B & C', '', '']);
    expect(m.text).toContain('<img src=x onerror=alert(1)>');
    expect(escapeHtml('a<b>&c')).toBe('a&lt;b&gt;&amp;c');
  }, 60_000);

  test("the cells and CSV: the header rows, the predictors' rows and the summary rows, as the library's text", async () => {
    const t = await tabModel([get('sleep'), get('sleep1')]);
    const m = await runTabModel([get('sleep'), get('sleep1')], request([1, 2], ['a', 'b'], {}));
    expect(m.cells).toEqual(tableCells(t));
    expect(m.cells[0]).toEqual(['', 'Reaction', '', '', 'Reaction', '', '']);
    expect(m.cells[1]).toEqual(['Predictors', 'Estimates', 'CI', 'p', 'Estimates', 'CI', 'p']);
    expect(m.cells[2]![0]).toBe('(Intercept)');
    expect(m.cells[3]![0]).toBe('Days');
    // each cell is the library's text of the HTML cell (its minus sign, en dash, <0.001)
    expect(m.cells[3]!.slice(1, 4)).toEqual(['10.47', '7.42 – 13.52', '<0.001']);
    expect(caseOf('sleep').content).toContain('10.47</td>\n<td class="tdata centeralign modelcolumn1 col3">7.42&nbsp;&ndash;&nbsp;13.52</td>');
    const sigma = m.cells.find((r) => r[0] === 'σ²')!;
    expect(sigma).toEqual(['σ²', t.summary[0]!.cells[0]!.text, '', '', t.summary[0]!.cells[1]!.text, '', '']);
    const obs = m.cells.find((r) => r[0] === 'Observations')!;
    expect(obs).toEqual(['Observations', '180', '', '', '180', '', '']);
    // every row has the table's width; each line of the text has the cells' texts
    for (const r of m.cells) expect(r.length).toBe(7);
    const csv = tmCsv(m);
    const lines = csv.trim().split(/\r?\n/);
    expect(lines[0]).toBe(',Reaction,,,Reaction,,');
    expect(lines[3]).toBe(`Days,${m.cells[3]!.slice(1).join(',')}`);
    expect(lines[3]!.startsWith('Days,10.47,7.42 – 13.52,<0.001,10.47,')).toBe(true);
    expect(lines.length).toBe(m.cells.length);
  }, 60_000);

  test('the library\'s refusals name the fit: glmer with satterthwaite beside an lmer, a label count, a fit no longer kept', async () => {
    const names = [tmFitName(1, 'Reaction ~ Days + (Days | Subject)'), tmFitName(2, 'cbind(incidence, size - incidence) ~ period + (1 | herd)')];
    let lib = '';
    try { await tabModel([get('cbpp')], { dfMethod: 'satterthwaite' }); } catch (e) { lib = (e as Error).message; }
    expect(lib).toMatch(/satterthwaite/i);
    await expect(runTabModel([get('sleep'), get('cbpp')], request([1, 2], names, { dfMethod: 'satterthwaite' }))).rejects.toThrow(`${names[1]}: ${lib}`);
    await expect(runTabModel([get('cbpp')], request([2], [names[1]!], { dfMethod: 'kenward' }))).rejects.toThrow(/^fit 2 \(cbind\(incidence, size - incidence\) ~ period \+ \(1 \| herd\)\): .*Kenward/);
    // an option of the table as a whole: the library's message, no fit named
    await expect(runTabModel([get('sleep'), get('cbpp')], request([1, 2], names, { dvLabels: ['a'] }))).rejects.toThrow(/^tabModel: dvLabels has 1 labels for 2 models/);
    await expect(runTabModel([get('sleep'), undefined], request([1, 9], ['fit 1 (x)', 'fit 9 (y)'], {}))).rejects.toThrow(/^fit 9 \(y\): that fit is no longer kept/);
    await expect(runTabModel([], request([], [], {}))).rejects.toThrow(/choose one or more fits/);
  }, 60_000);

  test("a streamed fit's columns are the in-memory fit's (the library's numbers from the stream's Gram matrix)", async () => {
    const src = await openBatchSource(join(dir, 'data/sleepstudy.csv'));
    const sfit = (await lmerStream(src, 'Reaction ~ Days + (Days | Subject)', { factors: ['Subject'], batchSize: 40 })).fit;
    for (const f of [fields(), fields({ dfMethod: 'satterthwaite' }, { showAic: true, showLoglik: true, showDev: true })]) {
      const o = tmOptions(f, 2);
      const both = await runTabModel([get('sleep'), sfit], request([1, 7], ['fit 1', tmFitName('stream', 'Reaction ~ Days + (Days | Subject)')], o));
      for (const r of both.cells.slice(1)) {
        const w = (r.length - 1) / 2;
        if (r[0] === '') continue;
        expect(r.slice(1 + w), r[0]).toEqual(r.slice(1, 1 + w));
      }
    }
    expect((await runTabModel([sfit], request([7], ['s'], {}))).html).toBe(caseOf('sleep').content);
  }, 60_000);

  test("the fields as the library's options: only what differs from sjPlot's defaults; each bad field named", () => {
    expect(tmOptions(fields(), 1)).toEqual({});
    expect(tmOptions(fields({ dfMethod: 'profile', level: '0.9', transform: 'exp', digits: '3', digitsP: '4', dvLabels: 'A; B' }, { showIcc: false, collapseCi: true }), 2))
      .toEqual({ dfMethod: 'profile', showCi: 0.9, transform: 'exp', digits: 3, digitsP: 4, dvLabels: ['A', 'B'], showIcc: false, collapseCi: true });
    expect(tmOptions(fields({ showCi: false, level: 'junk' }), 1)).toEqual({ showCi: false });
    const bad: [Partial<TmFields>, number, string, RegExp][] = [
      [{}, 0, 'fits', /tick one or more/],
      [{ dfMethod: 'nope' }, 1, 'dfMethod', /'nope' is not one of wald/],
      [{ pStyle: 'scientific' }, 1, 'pStyle', /scientific/],
      [{ level: '1.5' }, 1, 'level', /between 0 and 1/],
      [{ level: '' }, 1, 'level', /between 0 and 1/],
      [{ transform: 'log' }, 1, 'transform', /log/],
      [{ digits: '2.5' }, 1, 'digits', /whole number from 0 to 15/],
      [{ digitsP: '0' }, 1, 'digitsP', /from 1 to 15/],
      [{ dvLabels: 'A' }, 2, 'dvLabels', /1 label for 2 models/],
    ];
    for (const [over, n, field, msg] of bad) {
      let err: unknown;
      try { tmOptions(fields(over), n); } catch (e) { err = e; }
      expect(err, field).toBeInstanceOf(TmFieldError);
      expect((err as TmFieldError).field).toBe(field);
      expect((err as Error).message).toMatch(msg);
    }
    expect(() => tmOptions(fields({ showCi: false }, { collapseCi: true }), 1)).toThrow(/needs the CI shown/);
  });

  test('the fits in the order ticked; their names', () => {
    expect(toggleFit([], 5, true)).toEqual([5]);
    expect(toggleFit([5], 3, true)).toEqual([5, 3]);
    expect(toggleFit([5, 3], 5, false)).toEqual([3]);
    expect(toggleFit([3], 5, true)).toEqual([3, 5]);
    expect(tmFitName(2, 'y ~ x + (1 | g)')).toBe('fit 2 (y ~ x + (1 | g))');
    expect(tmFitName('stream', 'y ~ x + (1 | g)')).toBe('the streamed fit (y ~ x + (1 | g))');
  });

  test('the address: defaults leave it empty; every setting round-trips; bad values are dropped', () => {
    const q0 = new URLSearchParams();
    writeTmUrl(q0, tmUrlOf(fields()));
    expect(q0.toString()).toBe('tm=1');
    expect(tmFieldsOf(readTmUrl(q0))).toEqual(fields());
    const f = fields({ dfMethod: 'kenward', pStyle: 'stars', level: '0.9', transform: 'none', digits: '3', digitsP: '2', dvLabels: 'A; B', title: 'T <1>' },
      { showSe: true, showIcc: false, showAic: true, collapseCi: true });
    const u = tmUrlOf(f);
    expect(u).toEqual({ dfMethod: 'kenward', pStyle: 'stars', ci: 0.9, transform: 'none', switches: { showSe: true, showIcc: false, showAic: true, collapseCi: true }, digits: 3, digitsP: 2, dvLabels: 'A; B', title: 'T <1>' });
    const q = new URLSearchParams();
    writeTmUrl(q, u);
    expect(Object.fromEntries(q)).toEqual({ tm: '1', tmdf: 'kenward', tmp: 'stars', tmci: '0.9', tmtr: 'none', tmsw: 'se,-icc,aic,cci', tmdig: '3', tmdigp: '2', tmdv: 'A; B', tmtitle: 'T <1>' });
    expect(tmFieldsOf(readTmUrl(new URLSearchParams(q.toString())))).toEqual(f);
    // no CI
    const nc = tmUrlOf(fields({ showCi: false }));
    expect(nc).toEqual({ ci: false });
    const q2 = new URLSearchParams();
    writeTmUrl(q2, nc);
    expect(tmFieldsOf(readTmUrl(q2)).showCi).toBe(false);
    // bad values dropped: an unknown df method, a level out of range, an unknown or default-valued switch, digits out of range
    const bad = readTmUrl(new URLSearchParams('tm=1&tmdf=nope&tmp=x&tmci=2&tmtr=log&tmsw=se,bogus,icc,-se2&tmdig=99&tmdigp=0'));
    expect(bad).toEqual({ switches: { showSe: true } });
    // through the page's whole address
    const all = readUrlState(writeUrlState({ example: 'sleepstudy', formula: 'Reaction ~ Days + (Days | Subject)', fit: true, tm: u }));
    expect(all.tm).toEqual(u);
    expect(readUrlState(writeUrlState({ example: 'sleepstudy', fit: true })).tm).toBeUndefined();
    expect(Object.keys(TM_SWITCHES).length).toBe(14);
    // a link computes the table, unless its df method refits the model (profile): then the button does
    expect(tmRunsFromLink(readTmUrl(new URLSearchParams('tm=1')))).toBe(true);
    expect(tmRunsFromLink(readTmUrl(new URLSearchParams('tm=1&tmdf=kenward')))).toBe(true);
    expect(tmRunsFromLink(readTmUrl(new URLSearchParams('tm=1&tmdf=profile')))).toBe(false);
  });
});
