/**
 * The browser app's Optimizers (allFit) card, in Node (no browser): what the card offers for a fit
 * (demo/src/allFitRun.ts allFitSetup: the library's optimizers and budget, the fit's convergence
 * messages, the library's refusal of a fit without a call), the worker's run — equal to the library's
 * allFit of the same fit with the same optimizers and budget, row for row (exact: the same code on the
 * same fit; only the times differ) —, its progress (one step per optimizer) and Cancel, the card's
 * request with each bad field named, its table, headline and CSV, and the card's state in the address
 * (round trips; invalid values left out). lme4's numbers for these refits are checked in
 * test/allFit.test.ts (fixtures from test/oracle/allfit.R); this file checks that the card shows the
 * library's.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { glmer, lmer, readCsv, type GlmmFit, type LmmFit } from '../../src/index.js';
import { allFit, printAllFit } from '../../src/fit/allFit.js';
import { allFitSetup, runAllFit, type AllFitContext } from '../../demo/src/allFitRun.js';
import { type AllFitFields, AllFitFieldError, allFitHeadline, allFitRequest, allFitTable, bestLogLik } from '../../demo/src/allFit.js';
import { testTableCsv } from '../../demo/src/modelTests.js';
import type { AllFitMsg } from '../../demo/src/protocol.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const csvTable = (name: string) => readCsv(readFileSync(`${ROOT}test/fixtures/data/${name}`, 'utf8')).table;
const sleep = csvTable('sleepstudy.csv');

const ctx = (signal = new AbortController().signal): AllFitContext & { reports: { done: number; total: number; label: string }[] } => {
  const reports: { done: number; total: number; label: string }[] = [];
  return { signal, onProgress: (p) => reports.push(p), reports };
};
/** printAllFit's text without its $times block (wall times differ between two runs) */
const untimed = (text: string) => text.replace(/\$times\n[\s\S]*?\n\n/, '');
const fields = (over: Partial<AllFitFields> = {}): AllFitFields => ({ optimizers: ['bobyqa', 'nelderMead', 'quasiNewton'], maxfun: '100000', ...over });

describe('Optimizers (allFit) card (worker logic)', () => {
  let fit: LmmFit;
  let gfit: GlmmFit;
  beforeAll(async () => {
    fit = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { factors: ['Subject'] });
    gfit = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', csvTable('cbpp.csv'), { family: 'binomial', factors: ['herd', 'period'] });
  }, 120_000);

  test('setup: the library\'s optimizers in allFit\'s order, lme4\'s budget, the fit\'s convergence messages; a fit without a call refused with the library\'s message', () => {
    const s = allFitSetup(fit);
    expect(s).toEqual({
      refusal: null,
      optimizers: [{ method: 'bobyqa', label: 'bobyqa (mixedgpu)' }, { method: 'nelderMead', label: 'Nelder_Mead' }, { method: 'quasiNewton', label: 'quasi-Newton (projected L-BFGS)' }],
      maxfun: 100_000, convergenceMessages: [], backend: fit.backend.name,
    });
    expect(allFitSetup(gfit).refusal).toBeNull();
    // a fit lmer did not make from rows in memory (as a streamed fit: no call kept): the library's refusal
    const orphan = Object.create(Object.getPrototypeOf(fit) as object) as LmmFit;
    Object.defineProperty(orphan, 'convergence', { value: null });
    Object.defineProperty(orphan, 'backend', { value: fit.backend });
    const o = allFitSetup(orphan);
    expect(o.refusal).toMatch(/^allFit: this fit keeps no record of its call/);
    expect(() => allFitRequest(fields(), o)).toThrow(AllFitFieldError);
    expect(() => allFitRequest(fields(), o)).toThrow(/allFit is not available for this fit: allFit: this fit keeps no record/);
  });

  test('a fit lme4 warns about: its convergence messages offered for the card\'s link (they are among the fit\'s messages the page shows)', async () => {
    const income = await glmer('yb ~ income + (1 | g)', csvTable('../convergence/income.csv'), { family: 'binomial', factors: ['g'] });
    const s = allFitSetup(income);
    expect(s.refusal).toBeNull();
    expect(s.convergenceMessages).toEqual(income.convergence!.messages);
    expect(s.convergenceMessages.some((m) => /^Model (failed to converge|is nearly unidentifiable)/.test(m))).toBe(true);
    for (const m of s.convergenceMessages) expect(income.messages).toContain(m);
  });

  test('lmer: the worker\'s run equals the library\'s allFit of the same fit, with progress per optimizer', async () => {
    const req = allFitRequest(fields(), allFitSetup(fit));
    expect(req).toEqual({ optimizers: ['bobyqa', 'nelderMead', 'quasiNewton'], maxfun: 100_000 });
    const c = ctx();
    const m = await runAllFit(fit, req, c);
    const lib = await allFit(fit, { optimizers: ['bobyqa', 'nelderMead', 'quasiNewton'], maxfun: 100_000 });
    expect(m.rows.map(({ timeMs: _t, ...r }) => r)).toEqual(lib.rows.map(({ timeMs: _t, fit: _f, ...r }) => r));
    expect(m.rows.every((r) => !('fit' in r))).toBe(true);
    expect(m.verdict).toBe(lib.verdict);
    expect(m.spread).toEqual(lib.spread);
    expect(untimed(m.text)).toBe(untimed(printAllFit(lib).join('\n')));
    expect(m.text).toMatch(/^\$which\.OK\n/);
    expect(m.fitLogLik).toBe(fit.logLik);
    // one step per optimizer: before the first refit, then after each, naming the one that runs next
    expect(c.reports).toEqual([
      { done: 0, total: 3, label: 'bobyqa (mixedgpu)' }, { done: 1, total: 3, label: 'Nelder_Mead' },
      { done: 2, total: 3, label: 'quasi-Newton (projected L-BFGS)' }, { done: 3, total: 3, label: '' },
    ]);
    // the table: a row per optimizer, logLik and its difference from the best, the library's numbers
    const t = allFitTable(m);
    expect(t.columns.map((x) => x.csv)).toEqual([
      'optimizer', 'ok', 'converged', 'messages', 'loglik', 'loglik_minus_best', 'fixef_(Intercept)', 'fixef_Days', 'theta1', 'theta2', 'theta3',
      'sdcor_sd_(Intercept)|Subject', 'sdcor_sd_Days|Subject', 'sdcor_cor_(Intercept).Days|Subject', 'sdcor_sigma', 'feval', 'time_ms',
    ]);
    const best = Math.max(...lib.rows.map((r) => r.logLik));
    expect(bestLogLik(m)).toBe(best);
    t.rows.forEach((row, i) => {
      const r = lib.rows[i]!;
      expect(row.key).toBe(r.method);
      expect(row.cells.slice(0, 3)).toEqual([r.optimizer, 'ok', r.converged ? 'yes' : 'no']);
      expect(row.cells.slice(4, 15)).toEqual([r.logLik, r.logLik - best, r.fixef['(Intercept)'], r.fixef.Days, ...r.theta, ...Object.values(r.sdcor)]);
      expect(row.cells[15]).toBe(r.feval);
      expect(row.cells[5] as number).toBeLessThanOrEqual(0);
    });
    expect(allFitHeadline(m)).toEqual({ text: lib.verdict, agree: true });
    expect(m.verdict).toMatch(/^all 3 optimizers agree: logLik within /);
    // CSV: the header and a line per optimizer
    const lines = testTableCsv(t).trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^optimizer,ok,converged,messages,loglik,loglik_minus_best,/);
    expect(lines[2]).toMatch(/^Nelder_Mead,ok,yes,,/);
  });

  test('glmer, a subset of optimizers and a small budget: the library\'s rows, a non-converged optimizer\'s message in the table', async () => {
    const req = allFitRequest(fields({ optimizers: ['quasiNewton', 'nelderMead'], maxfun: ' 20 ' }), allFitSetup(gfit));
    // allFit's order, whatever the order ticked
    expect(req).toEqual({ optimizers: ['nelderMead', 'quasiNewton'], maxfun: 20 });
    const m = await runAllFit(gfit, req, ctx());
    const lib = await allFit(gfit, { optimizers: ['nelderMead', 'quasiNewton'], maxfun: 20 });
    expect(m.rows.map(({ timeMs: _t, ...r }) => r)).toEqual(lib.rows.map(({ timeMs: _t, fit: _f, ...r }) => r));
    expect(m.verdict).toBe(lib.verdict);
    const t = allFitTable(m);
    expect(t.rows.map((r) => r.key)).toEqual(['nelderMead', 'quasiNewton']);
    // a refit that stopped at its budget: its optimizer's message among the row's messages
    lib.rows.forEach((r, i) => {
      expect(t.rows[i]!.cells[2]).toBe(r.converged ? 'yes' : 'no');
      if (!r.converged) expect(t.rows[i]!.cells[3]).toContain(`optimizer did not converge: ${r.optimizerMessage}`);
    });
    expect(lib.rows.some((r) => !r.converged)).toBe(true);
    expect(t.title).toBe('Refits by 2 optimizers from lme4\'s start (maxfun 20)');
  });

  test('a failed refit: its error in the row, its numbers empty; the headline with fewer than two refits', () => {
    const m: AllFitMsg = {
      request: { optimizers: ['bobyqa', 'nelderMead'], maxfun: 10 },
      rows: [
        { optimizer: 'bobyqa (mixedgpu)', method: 'bobyqa', ok: true, messages: ['boundary (singular) fit: see help(\'isSingular\')'], converged: true, optimizerMessage: '', fixef: { x: 1 }, theta: [0], sdcor: { 'sd_(Intercept)|g': 0, sigma: 2 }, logLik: -10, feval: 5, timeMs: 1.4 },
        { optimizer: 'Nelder_Mead', method: 'nelderMead', ok: false, error: 'PIRLS failed', messages: [], converged: false, optimizerMessage: '', fixef: {}, theta: [], sdcor: {}, logLik: NaN, feval: 0, timeMs: 0.2 },
      ],
      verdict: 'only bobyqa (mixedgpu) ran; failed: Nelder_Mead', spread: { logLik: 0, fixefSE: 0, theta: 0, sdcorRelative: 0 }, fitLogLik: -10, text: '', elapsedMs: 2,
    };
    const t = allFitTable(m);
    expect(t.rows[0]!.cells).toEqual(['bobyqa (mixedgpu)', 'ok', 'yes', 'boundary (singular) fit: see help(\'isSingular\')', -10, 0, 1, 0, 0, 2, 5, 1]);
    expect(t.rows[1]!.cells).toEqual(['Nelder_Mead', 'error: PIRLS failed', '', '', null, null, null, null, null, null, null, 0]);
    expect(allFitHeadline(m).agree).toBeNull();
  });

  test('Cancel: the library\'s AbortError, before or between refits', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(runAllFit(fit, { optimizers: ['bobyqa'], maxfun: 100 }, ctx(ac.signal))).rejects.toMatchObject({ name: 'AbortError' });
    const ac2 = new AbortController();
    const c: AllFitContext = { signal: ac2.signal, onProgress: (p) => { if (p.done === 1) ac2.abort(); } };
    await expect(runAllFit(fit, { optimizers: ['bobyqa', 'nelderMead', 'quasiNewton'], maxfun: 100_000 }, c)).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('the request: each bad field named', () => {
    const s = allFitSetup(fit);
    const bad = (over: Partial<AllFitFields>, field: string, re: RegExp) => {
      let err: unknown;
      try { allFitRequest(fields(over), s); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(AllFitFieldError);
      expect((err as AllFitFieldError).field).toBe(field);
      expect((err as Error).message).toMatch(re);
    };
    bad({ optimizers: [] }, 'optimizers', /tick at least one of bobyqa \(mixedgpu\), Nelder_Mead, quasi-Newton/);
    bad({ optimizers: ['nlminb'] }, 'optimizers', /'nlminb' is not one of bobyqa, nelderMead, quasiNewton/);
    for (const v of ['', '0', '-5', '2.5', 'many']) bad({ maxfun: v }, 'maxfun', new RegExp(`whole number ≥ 1 .*got '${v}'`));
  });

  test('the card in the address: open, with its settings; never run again (nothing in the state asks for a run)', () => {
    expect(writeUrlState({ example: 'sleepstudy', fit: true, allfit: {} })).toBe('?example=sleepstudy&fit=1&allfit=1');
    const q = writeUrlState({ example: 'sleepstudy', fit: true, allfit: { optimizers: ['nelderMead', 'quasiNewton'], maxfun: 500 } });
    expect(q).toBe('?example=sleepstudy&fit=1&allfit=1&aopt=nelderMead%2CquasiNewton&amaxfun=500');
    expect(readUrlState(q)).toEqual({ example: 'sleepstudy', fit: true, allfit: { optimizers: ['nelderMead', 'quasiNewton'], maxfun: 500 } });
    expect(readUrlState('?allfit=1')).toEqual({ allfit: {} });
    // invalid values left out
    expect(readUrlState('?allfit=1&aopt=optimx%2Cbobyqa%2Cbobyqa&amaxfun=0')).toEqual({ allfit: { optimizers: ['bobyqa'] } });
    expect(readUrlState('?allfit=1&aopt=optimx&amaxfun=2.5')).toEqual({ allfit: {} });
    expect(readUrlState('?allfit=0&aopt=bobyqa')).toEqual({});
  });
});
