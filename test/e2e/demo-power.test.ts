/**
 * The browser app's Power and per-group fits (lmList) cards, in Node (no browser): what the cards offer
 * for a fit (demo/src/powerRun.ts powerSetup), the worker's runs — equal to the library's powerSim,
 * extend + powerCurve and lmList with the same options and seed, value for value — the card's
 * request with each bad field named, its tables, chart points and CSV, the lmList table's sort, and the
 * cards' state in the address. The lmList table is also checked against lme4 1.1-31's lmList
 * (test/fixtures/lmlist/sleepstudy.json, from test/oracle/lmlist.R) at the library's tolerance, 1e-10.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { glmer, lmer, readCsv, type GlmmFit, type LmmFit } from '../../src/index.js';
import { powerSim } from '../../src/inference/powerSim.js';
import { extend, powerCurve } from '../../src/inference/powerCurve.js';
import { printPowerCurve, printPowerSim } from '../../src/inference/powerPrint.js';
import { lmList } from '../../src/lmlist/lmList.js';
import { powerSetup, runLmList, runPower, type PowerContext } from '../../demo/src/powerRun.js';
import { type PowerFields, lmListTable, parseBreaks, powerCurveRows, powerPValuesCsvRows, powerRequest, powerTable, sortRows } from '../../demo/src/power.js';
import { testTableCsv } from '../../demo/src/modelTests.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const sleep = readCsv(readFileSync(`${ROOT}test/fixtures/data/sleepstudy.csv`, 'utf8')).table;
const cbpp = readCsv(readFileSync(`${ROOT}test/fixtures/data/cbpp.csv`, 'utf8')).table;

const ctx = (): PowerContext & { reports: { done: number; total: number; label: string }[] } => {
  const reports: { done: number; total: number; label: string }[] = [];
  return { signal: new AbortController().signal, onProgress: (p) => reports.push(p), reports };
};
/** the printout without its last line (simr's "Time elapsed"), which differs between two runs */
const untimed = (text: string) => text.replace(/Time elapsed: .*\n?$/, '');

const fields = (over: Partial<PowerFields> = {}): PowerFields => ({
  test: 'Days', method: '', nsim: '10', seed: '7', alpha: '0.05', effects: {}, along: 'Subject', breaks: '', ...over,
});

describe('Power and per-group fits cards (worker logic)', () => {
  let fit: LmmFit;
  let gfit: GlmmFit;
  beforeAll(async () => {
    fit = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { factors: ['Subject'] });
    gfit = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', cbpp, { family: 'binomial', factors: ['herd', 'period'] });
  });

  test('setup: the tests the library takes for each predictor, simr\'s defaults, the curve\'s variables, lmList\'s groups', () => {
    const s = powerSetup(fit);
    expect(s.refusal).toBeNull();
    expect(s.curveRefusal).toBeNull();
    const days = s.terms.find((t) => t.name === 'Days')!;
    expect(days).toEqual({ name: 'Days', kind: 'term', columns: ['Days'], defaultMethod: 'kr', methods: ['kr', 't', 'z', 'lr', 'f', 'anova', 'chisq'] });
    // the intercept is a coefficient, not a term: t or z only
    expect(s.terms.find((t) => t.name === '(Intercept)')).toMatchObject({ kind: 'coefficient', defaultMethod: 't', methods: ['t', 'z'] });
    expect(s.coefficients).toEqual([{ name: '(Intercept)', estimate: fit.beta[0] }, { name: 'Days', estimate: fit.beta[1] }]);
    expect(s.along).toEqual([{ name: 'Subject', kind: 'factor', values: 18 }, { name: 'Days', kind: 'numeric', values: 10 }]);
    expect(s.lmList).toEqual({ model: 'Reaction ~ Days', groups: ['Subject'], refusal: null });

    // glmer (simr's z for one column, lr for a factor); its curve too; no lmList, with the reason
    const g = powerSetup(gfit);
    expect(g.refusal).toBeNull();
    expect(g.terms.find((t) => t.name === 'period')).toMatchObject({ kind: 'term', columns: ['period2', 'period3', 'period4'], defaultMethod: 'lr', methods: ['lr'] });
    expect(g.terms.find((t) => t.name === 'period2')).toMatchObject({ kind: 'coefficient', defaultMethod: 'z', methods: ['z'] });
    expect(g.curveRefusal).toBeNull();
    expect(g.along).toEqual([{ name: 'herd', kind: 'factor', values: 15 }]);
    expect(g.lmList.refusal).toMatch(/lmer fits/);
  });

  test('powerSim: the worker\'s run equals the library\'s with the same seed, effect size and test', async () => {
    const s = powerSetup(fit);
    const req = powerRequest(s, fields({ method: 't', effects: { Days: '2' } }), false);
    expect(req).toEqual({ test: 'Days', method: 't', nsim: 10, seed: 7, alpha: 0.05, fixef: { Days: 2 } });
    const c = ctx();
    const m = await runPower(fit, sleep, req, c);
    const lib = await powerSim(fit, { test: 'Days', method: 't', nsim: 10, seed: 7, alpha: 0.05, fixef: { Days: 2 } });
    expect(m.sim!.pValues).toEqual(Array.from(lib.pValues));
    expect([m.sim!.successes, m.sim!.trials, m.sim!.power, m.sim!.ci, m.sim!.effect, m.sim!.errors, m.sim!.warnings])
      .toEqual([lib.successes, lib.trials, lib.power, lib.ci, lib.effect, lib.errors, lib.warnings]);
    expect(untimed(m.text)).toBe(untimed(printPowerSim(lib)));
    expect(m.text).toMatch(/^Power for predictor 'Days', \(95% confidence interval\):\n/);
    expect(c.reports.at(-1)).toEqual({ done: 10, total: 10, label: 'simulations' });
    // the table and CSVs: power and its interval in percent, each replicate's p-value
    const t = powerTable(m);
    expect(t.rows[0]!.cells.slice(0, 5)).toEqual(['Days', 2, 100 * lib.power, 100 * lib.ci[0], 100 * lib.ci[1]]);
    expect(testTableCsv(t).split('\n')[0]).toBe('predictor,effect,power_percent,ci_lower_percent,ci_upper_percent,successes,nsim,failed_refits,warned_refits,singular_refits,nrow');
    const pv = powerPValuesCsvRows(m);
    expect(pv.rows).toEqual(Array.from(lib.pValues, (p, r) => [r + 1, p]));
  });

  test('powerSim of the fitted effect (no fixef sent) with simr\'s default test, and a glmer fit\'s z test', async () => {
    const s = powerSetup(fit);
    // the field at the fitted value: not a change
    const req = powerRequest(s, fields({ nsim: '4', effects: { Days: String(fit.beta[1]) } }), false);
    expect(req).toEqual({ test: 'Days', method: 'kr', nsim: 4, seed: 7, alpha: 0.05 });
    const m = await runPower(fit, sleep, req, ctx());
    const lib = await powerSim(fit, { test: 'Days', method: 'kr', nsim: 4, seed: 7 });
    expect(m.sim!.pValues).toEqual(Array.from(lib.pValues));

    const g = powerSetup(gfit);
    const greq = powerRequest(g, fields({ test: 'period2', nsim: '3', seed: '2', effects: { period2: '-1.5' } }), false);
    const gm = await runPower(gfit, cbpp, greq, ctx());
    const glib = await powerSim(gfit, { test: 'period2', method: 'z', nsim: 3, seed: 2, fixef: { period2: -1.5 } });
    expect(gm.sim!.pValues).toEqual(Array.from(glib.pValues));
    expect(gm.sim!.successes).toBe(glib.successes);
  });

  test('a glmer fit\'s powerCurve along herd, and beyond its 15 herds by simr\'s extend first', async () => {
    const g = powerSetup(gfit);
    const req = powerRequest(g, fields({ test: 'period2', nsim: '2', seed: '3', along: 'herd', breaks: '6, 15', effects: { period2: '-1' } }), true);
    expect(req).toEqual({ test: 'period2', method: 'z', nsim: 2, seed: 3, alpha: 0.05, fixef: { period2: -1 }, curve: { along: 'herd', breaks: [6, 15] } });
    const m = await runPower(gfit, cbpp, req, ctx());
    const lib = await powerCurve(gfit, { test: 'period2', method: 'z', nsim: 2, seed: 3, alpha: 0.05, along: 'herd', breaks: [6, 15], fixef: { period2: -1 } });
    expect(m.curve!.points.map((p) => [p.x, p.nrow, p.pValues])).toEqual(lib.points.map((p) => [p.x, p.nrow, Array.from(p.pValues)]));
    expect(m.curve!.points.map((p) => p.nrow)).toEqual([23, 56]);
    expect(m.curve!.extended).toBeNull();
    expect(untimed(m.text)).toBe(untimed(printPowerCurve(lib)));
    expect(powerCurveRows(m)).toEqual(lib.points.map((p) => ({ x: p.x, power: 100 * p.power, lower: 100 * p.ci[0], upper: 100 * p.ci[1], label: `${p.successes}/${p.trials}` })));

    // the whole factor by the likelihood ratio, on a design extended to 18 herds (a … r)
    const ext = powerRequest(g, fields({ test: 'period', nsim: '2', seed: '3', along: 'herd', breaks: '15, 18' }), true);
    const c = ctx();
    const me = await runPower(gfit, cbpp, ext, c);
    expect(c.reports[0]!.label).toBe('extending herd to 18');
    expect(me.curve!.extended).toEqual({ along: 'herd', n: 18, from: 15 });
    const extended = await extend(gfit, cbpp, { along: 'herd', n: 18 });
    const libe = await powerCurve(extended, { test: 'period', method: 'lr', nsim: 2, seed: 3, alpha: 0.05, along: 'herd', breaks: [15, 18] });
    expect(me.curve!.points.map((p) => [p.x, p.nrow, p.pValues])).toEqual(libe.points.map((p) => [p.x, p.nrow, Array.from(p.pValues)]));
    expect(me.curve!.points.map((p) => p.method)).toEqual(['lr', 'lr']);
    expect(me.notes[0]).toMatch(/extended along herd from 15 to 18 levels/);
  });

  test('powerCurve along Subject, and beyond the data\'s 18 levels by simr\'s extend first', async () => {
    const s = powerSetup(fit);
    const req = powerRequest(s, fields({ method: 't', nsim: '3', breaks: '5, 3' }), true);
    expect(req.curve).toEqual({ along: 'Subject', breaks: [3, 5] });
    const m = await runPower(fit, sleep, req, ctx());
    const lib = await powerCurve(fit, { test: 'Days', method: 't', nsim: 3, seed: 7, alpha: 0.05, along: 'Subject', breaks: [3, 5] });
    expect(m.curve!.points.map((p) => [p.x, p.nrow, p.pValues])).toEqual(lib.points.map((p) => [p.x, p.nrow, Array.from(p.pValues)]));
    expect(m.curve!.extended).toBeNull();
    expect(untimed(m.text)).toBe(untimed(printPowerCurve(lib)));
    expect(powerCurveRows(m)).toEqual(lib.points.map((p) => ({ x: p.x, power: 100 * p.power, lower: 100 * p.ci[0], upper: 100 * p.ci[1], label: `${p.successes}/${p.trials}` })));

    expect(powerTable(m).caption).toMatch(/rows of the first k levels of Subject \(simr's powerCurve\)/);

    // along a numeric variable: x is the largest value kept
    const num = await runPower(fit, sleep, powerRequest(s, fields({ method: 't', nsim: '2', along: 'Days', breaks: '3, 10' }), true), ctx());
    const libn = await powerCurve(fit, { test: 'Days', method: 't', nsim: 2, seed: 7, alpha: 0.05, along: 'Days', breaks: [3, 10] });
    expect(num.curve!.xlab).toBe('largest value of Days');
    expect(num.curve!.points.map((p) => [p.x, p.nrow, p.pValues])).toEqual(libn.points.map((p) => [p.x, p.nrow, Array.from(p.pValues)]));
    expect(num.curve!.points.map((p) => [p.x, p.nrow])).toEqual([[2, 54], [9, 180]]);
    expect(powerTable(num).caption).toMatch(/first k sorted values of Days \(x: the largest\)/);

    const ext = powerRequest(s, fields({ method: 't', nsim: '2', effects: { Days: '3' }, breaks: '18, 20' }), true);
    const c = ctx();
    const me = await runPower(fit, sleep, ext, c);
    expect(c.reports[0]!.label).toBe('extending Subject to 20');
    expect(me.curve!.extended).toEqual({ along: 'Subject', n: 20, from: 18 });
    const extended = await extend(fit, sleep, { along: 'Subject', n: 20 });
    const libe = await powerCurve(extended, { test: 'Days', method: 't', nsim: 2, seed: 7, alpha: 0.05, along: 'Subject', breaks: [18, 20], fixef: { Days: 3 } });
    expect(me.curve!.points.map((p) => [p.x, p.nrow, p.pValues])).toEqual(libe.points.map((p) => [p.x, p.nrow, Array.from(p.pValues)]));
    expect(me.curve!.points.map((p) => p.nrow)).toEqual([180, 200]);
    expect(me.notes[0]).toMatch(/extended along Subject from 18 to 20 levels/);
  });

  test('Cancel: the run stops with an AbortError through the library\'s signal', async () => {
    const ac = new AbortController();
    const req = powerRequest(powerSetup(fit), fields({ method: 't', nsim: '200' }), false);
    await expect(runPower(fit, sleep, req, { signal: ac.signal, onProgress: () => ac.abort() })).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('the card\'s request: each bad field named', () => {
    const s = powerSetup(fit);
    expect(() => powerRequest(s, fields({ nsim: '0' }), false)).toThrow(/nsim must be a whole number of simulations from 1/);
    expect(() => powerRequest(s, fields({ nsim: '2.5' }), false)).toThrow(/nsim .* got '2.5'/);
    expect(() => powerRequest(s, fields({ alpha: '1' }), false)).toThrow(/alpha must be a number between 0 and 1/);
    expect(() => powerRequest(s, fields({ seed: 'x' }), false)).toThrow(/the seed must be an integer, got 'x'/);
    expect(() => powerRequest(s, fields({ effects: { Days: 'big' } }), false)).toThrow(/the effect size of Days must be a number, got 'big'/);
    expect(() => powerRequest(s, fields({ test: 'Age' }), false)).toThrow(/'Age' is not a term or coefficient the card can test \(Days, \(Intercept\)\)/);
    expect(() => powerRequest(s, fields({ test: '(Intercept)', method: 'kr' }), false)).toThrow(/the kr test is not offered for '\(Intercept\)' \(tests: t, z\)/);
    expect(() => powerRequest(s, fields({ breaks: '3, x' }), true)).toThrow(/breaks must be whole numbers .* got 'x'/);
    expect(() => powerRequest(s, fields({ along: '' }), true)).toThrow(/choose the variable along which the curve is drawn \(Subject, Days\)/);
    expect(parseBreaks('')).toBeUndefined();
    expect(parseBreaks('9 3,6 3')).toEqual([3, 6, 9]);
    const refused = { ...s, refusal: 'powerSim: prior weights are not supported' };
    expect(() => powerRequest(refused, fields(), false)).toThrow(/prior weights/);
  });

  test('lmList: the worker\'s table equals the library\'s and lme4\'s (sleepstudy by Subject, pooled SD)', () => {
    const m = runLmList(fit, sleep, { group: 'Subject' }, ['Subject'], 'sleepstudy');
    const lib = lmList('Reaction ~ Days | Subject', sleep, { factors: ['Subject'], dataName: 'sleepstudy' });
    const cf = lib.coef();
    expect(m.formula).toBe('Reaction ~ Days | Subject');
    expect(m.groups).toEqual(cf.groups);
    expect(m.coef).toEqual(cf.values);
    expect(m.pooled).toEqual(lib.pooledSD());
    expect(m.n).toEqual(m.groups.map(() => 10));
    expect(m.failed).toEqual([]);
    const s = lib.summary();
    expect(m.se).toEqual(cf.groups.map((_, g) => s.names.map((_n, k) => s.se[k]![g])));
    expect(m.text.split('\n')[0]).toBe('Call: lmList(formula = Reaction ~ Days | Subject, data = sleepstudy) ');
    // against lme4 1.1-31 (test/oracle/lmlist.R): coef, pooled SD and the summary's SEs, 1e-10 relative (normwise per vector)
    const R = JSON.parse(readFileSync(`${ROOT}test/fixtures/lmlist/sleepstudy.json`, 'utf8')) as {
      groups: string[]; coef: { names: string[]; values: number[][] }; pooled_sd: { sd: number; df: number }; summary: { se: Record<string, number[]> };
    };
    expect(m.groups).toEqual(R.groups);
    expect(m.names).toEqual(R.coef.names);
    const rel = (ours: number[], r: number[]) => Math.max(...ours.map((v, i) => Math.abs(v - r[i]!))) / Math.max(...r.map(Math.abs));
    m.names.forEach((name, j) => {
      expect(rel(m.coef.map((row) => row[j]!), R.coef.values.map((row) => row[j]!)), name).toBeLessThan(1e-10);
      expect(rel(m.se.map((row) => row[j]!), R.summary.se[name]!), `SE ${name}`).toBeLessThan(1e-10);
    });
    expect(Math.abs(m.pooled && 'sd' in m.pooled ? m.pooled.sd / R.pooled_sd.sd - 1 : 1)).toBeLessThan(1e-10);
    expect('df' in m.pooled && m.pooled.df).toBe(R.pooled_sd.df);

    // the table, its CSV (level order) and the sort (nulls last either way)
    const t = lmListTable(m);
    expect(t.columns.map((c) => c.csv)).toEqual(['group', 'n', '(Intercept)', 'se_(Intercept)', 'Days', 'se_Days', 'sigma']);
    expect(testTableCsv(t).split('\n')[1]!.startsWith(`308,10,${cf.values[0]![0]},`)).toBe(true);
    const bySlope = sortRows(t, 4, 'desc').map((r) => r.key);
    const slopes = cf.groups.map((g, i) => [g, cf.values[i]![1]!] as const).sort((a, b) => b[1] - a[1]).map((x) => x[0]);
    expect(bySlope).toEqual(slopes);
    expect(sortRows(t, 0, 'desc').map((r) => r.key)).toEqual([...cf.groups].reverse());
    const withNa = { ...t, rows: [{ key: 'a', cells: ['a', 1, null] }, { key: 'b', cells: ['b', 2, 5] }, { key: 'c', cells: ['c', 3, 1] }] };
    expect(sortRows(withNa, 2, 'asc').map((r) => r.key)).toEqual(['c', 'b', 'a']);
    expect(sortRows(withNa, 2, 'desc').map((r) => r.key)).toEqual(['b', 'c', 'a']);
  });

  test('lmList: a group with no complete rows is a failed group (NA row, lme4\'s error), as the library\'s', async () => {
    // subject 309's responses all missing: lmer drops its rows, lmList keeps the group and fails it ("0 (non-NA) cases")
    const lines = readFileSync(`${ROOT}test/fixtures/data/sleepstudy.csv`, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('"Reaction","Days","Subject"');
    const edited = [lines[0], ...lines.slice(1).map((l) => (l.endsWith(',"309"') ? l.replace(/^[^,]+/, 'NA') : l))].join('\n');
    const table = readCsv(edited).table;
    const f = await lmer('Reaction ~ Days + (Days | Subject)', table, { factors: ['Subject'] });
    const m = runLmList(f, table, { group: 'Subject' }, ['Subject']);
    const lib = lmList('Reaction ~ Days | Subject', table, { factors: ['Subject'] });
    expect(m.failed).toEqual([{ group: '309', error: '0 (non-NA) cases' }]);
    const k = m.groups.indexOf('309');
    expect(m.coef[k]).toEqual([null, null]);
    expect(m.n[k]).toBe(0);
    expect(m.coef).toEqual(lib.coef().values);
    expect(m.pooled).toEqual(lib.pooledSD());
    expect(m.messages).toEqual(lib.messages);
    const t = lmListTable(m);
    expect(t.caption).toMatch(/Failed groups \(NA\): 309 \(0 \(non-NA\) cases\)\./);
    expect(testTableCsv(t).split('\n')[2]).toBe('309,0,NA,NA,NA,NA,NA');
    // sorted by the slope, the failed group last either way
    expect(sortRows(t, 4, 'asc').at(-1)!.key).toBe('309');
    expect(sortRows(t, 4, 'desc').at(-1)!.key).toBe('309');
  });

  test('lmList refusals: a glmer fit, a grouping factor the fit does not have', () => {
    expect(() => runLmList(gfit, cbpp, { group: 'herd' }, ['herd', 'period'])).toThrow(/lmList: the per-group fits are offered for lmer fits/);
    expect(() => runLmList(fit, sleep, { group: 'Days' }, ['Subject'])).toThrow(/'Days' is not a grouping factor of the fit \(grouping factors: Subject\)/);
  });

  test('the address keeps the cards open with their settings', () => {
    const q = writeUrlState({
      example: 'sleepstudy', formula: 'Reaction ~ Days + (Days | Subject)', factors: ['Subject'], family: 'gaussian', fit: true,
      power: { test: 'Days', method: 't', nsim: 50, seed: 3, alpha: 0.01, effects: { Days: 2.5 }, along: 'Subject', breaks: [3, 10, 24] },
      lmlist: 'Subject',
    });
    expect(q).toContain('power=1&ptest=Days&pmethod=t&pnsim=50&pseed=3&palpha=0.01&peffect=Days%3D2.5&palong=Subject&pbreaks=3%2C10%2C24&lmlist=Subject');
    const back = readUrlState(q);
    expect(back.power).toEqual({ test: 'Days', method: 't', nsim: 50, seed: 3, alpha: 0.01, effects: { Days: 2.5 }, along: 'Subject', breaks: [3, 10, 24] });
    expect(back.lmlist).toBe('Subject');
    // a closed card leaves nothing; bad values are left out
    expect(writeUrlState({ example: 'sleepstudy' })).toBe('?example=sleepstudy');
    expect(readUrlState('?power=1&pnsim=0&pmethod=x&palpha=2&pbreaks=3,a&peffect=Days%3Dx').power).toEqual({});
  });
});
