/**
 * The browser app's card request controller (demo/src/cardRun.ts), in Node with plain objects for the
 * card's elements: a request's id, the run buttons and Cancel, the progress bar and line, the replies
 * matched by id, a failure (a field's, the worker's, a cancelled run's), Cancel, abandon and drop. The
 * cards that use it are tested in Chromium (test/e2e/demo-mertools.test.ts, demo-mi, demo-power, …).
 */
import { describe, expect, test } from 'vitest';
import { CardRun, type CardRunEls } from '../../demo/src/cardRun.js';

interface Msg { type: string; id: number }

function card(options: { idle?: () => void; fieldErrors?: boolean; bare?: boolean } = {}) {
  const runA = { disabled: false };
  const runB = { disabled: false };
  const els: CardRunEls = options.bare
    ? { run: [runA, runB], error: { textContent: '', dataset: {} } }
    : {
      run: [runA, runB], cancel: { disabled: true }, progress: { hidden: true }, bar: { hidden: true, max: 7, value: 3 },
      progressText: { textContent: '' }, error: { textContent: '', dataset: {} },
    };
  const sent: { scope: string; msg: Msg }[] = [];
  const cancelled: number[] = [];
  let next = 41;
  const run = new CardRun<'fit' | 'data', Msg>({
    els, scope: 'fit', idle: options.idle, fieldErrors: options.fieldErrors,
    host: { nextId: () => next++, sendFor: (scope, msg) => sent.push({ scope, msg }), cancel: (id) => cancelled.push(id) },
  });
  return { run, els, runA, runB, sent, cancelled };
}

describe("the app's card request controller", () => {
  test('start: an id, the run buttons disabled, Cancel enabled, the progress at 0 with its line, the message sent under the scope', () => {
    const { run, els, runA, runB, sent } = card();
    expect(run.busy).toBe(false);
    expect(run.id).toBe(0);
    const id = run.start({ max: 1000, text: 'starting 1,000 draws…' }, (i) => ({ type: 'merSim', id: i }));
    expect(id).toBe(41);
    expect(run.id).toBe(41);
    expect(run.busy).toBe(true);
    expect([runA.disabled, runB.disabled]).toEqual([true, true]);
    expect(els.cancel!.disabled).toBe(false);
    expect(els.progress!.hidden).toBe(false);
    expect(els.bar).toEqual({ hidden: false, max: 1000, value: 0 });
    expect(els.progressText!.textContent).toBe('starting 1,000 draws…');
    expect(sent).toEqual([{ scope: 'fit', msg: { type: 'merSim', id: 41 } }]);
    // the next request gets the next id
    run.end();
    expect(run.start({ text: 'again' }, (i) => ({ type: 'merSim', id: i }))).toBe(42);
  });

  test("a start without max leaves the bar's max as it was (the imputation card's)", () => {
    const { run, els } = card();
    run.start({ text: 'splitting the imputations…' }, (i) => ({ type: 'miPool', id: i }));
    expect(els.bar).toEqual({ hidden: false, max: 7, value: 0 });
  });

  test('a start without progress (a status-line card) leaves the progress elements alone', () => {
    const { run, els } = card();
    run.start(null, (i) => ({ type: 'glht', id: i }));
    expect(els.progress!.hidden).toBe(true);
    expect(els.bar).toEqual({ hidden: true, max: 7, value: 3 });
    expect(els.progressText!.textContent).toBe('');
  });

  test('accepts only the replies of the request running; none when idle', () => {
    const { run } = card();
    expect(run.accepts({ id: 0 })).toBe(false);
    expect(run.accepts({ id: 41 })).toBe(false);
    run.start({ text: '' }, (i) => ({ type: 'x', id: i }));
    expect(run.accepts({ id: 41 })).toBe(true);
    expect(run.accepts({ id: 40 })).toBe(false);
    run.end();
    expect(run.accepts({ id: 41 })).toBe(false);
  });

  test('progress: done of total (a bar of at least 1) and the line', () => {
    const { run, els } = card();
    run.start({ max: 10, text: '' }, (i) => ({ type: 'x', id: i }));
    run.progress(3, 20, '3 of 20 fits');
    expect(els.bar).toEqual({ hidden: false, max: 20, value: 3 });
    expect(els.progressText!.textContent).toBe('3 of 20 fits');
    run.progress(0, 0, 'starting');
    expect(els.bar!.max).toBe(1);
  });

  test('end: idle, the progress hidden, Cancel disabled, the run buttons enabled (without an idle rule)', () => {
    const { run, els, runA, runB } = card();
    run.start({ text: '' }, (i) => ({ type: 'x', id: i }));
    run.end();
    expect(run.busy).toBe(false);
    expect(els.progress!.hidden).toBe(true);
    expect(els.cancel!.disabled).toBe(true);
    expect([runA.disabled, runB.disabled]).toEqual([false, false]);
  });

  test("end with the card's idle rule: called once the id is 0, and the run buttons left to it", () => {
    const seen: number[] = [];
    const c = card({ idle: () => { seen.push(c.run.id); c.runA.disabled = true; } });
    c.run.start({ text: '' }, (i) => ({ type: 'x', id: i }));
    c.run.end();
    expect(seen).toEqual([0]);
    expect([c.runA.disabled, c.runB.disabled]).toEqual([true, true]);
  });

  test("fail: the card idle, the card's text in the error box, and its field where the card marks one ('' when none)", () => {
    const f = card({ fieldErrors: true });
    f.run.start({ text: '' }, (i) => ({ type: 'x', id: i }));
    f.run.fail({ message: 'raw', field: 'nsims' }, 'Draws: raw');
    expect(f.run.busy).toBe(false);
    expect(f.els.error.textContent).toBe('Draws: raw');
    expect(f.els.error.dataset.field).toBe('nsims');
    f.run.start({ text: '' }, (i) => ({ type: 'x', id: i }));
    f.run.fail({ message: 'no field', field: null });
    expect(f.els.error.textContent).toBe('no field');
    expect(f.els.error.dataset.field).toBe('');
    // a card without field marks never touches data-field
    const p = card();
    p.run.start({ text: '' }, (i) => ({ type: 'x', id: i }));
    p.run.fail({ message: 'power failed', field: 'x' });
    expect(p.els.error.textContent).toBe('power failed');
    expect('field' in p.els.error.dataset).toBe(false);
  });

  test('a cancelled run: "Cancelled." on the progress line, the bar hidden, no error', () => {
    const { run, els, runA } = card();
    run.start({ max: 5, text: '' }, (i) => ({ type: 'x', id: i }));
    run.fail({ message: 'cancelled', cancelled: true });
    expect(run.busy).toBe(false);
    expect(els.progress!.hidden).toBe(false);
    expect(els.bar!.hidden).toBe(true);
    expect(els.progressText!.textContent).toBe('Cancelled.');
    expect(els.error.textContent).toBe('');
    expect(els.cancel!.disabled).toBe(true);
    expect(runA.disabled).toBe(false);
  });

  test('a bad field before any request: shown with its field, cleared by clearError', () => {
    const f = card({ fieldErrors: true });
    f.run.showFieldError('Seed must be a whole number', 'seed');
    expect(f.els.error).toEqual({ textContent: 'Seed must be a whole number', dataset: { field: 'seed' } });
    f.run.clearError();
    expect(f.els.error).toEqual({ textContent: '', dataset: {} });
    const p = card();
    p.run.showFieldError('bad nsim', 'nsim');
    expect(p.els.error).toEqual({ textContent: 'bad nsim', dataset: {} });
    expect(f.sent).toEqual([]);
  });

  test('Cancel: the request cancelled in the worker and "cancelling…"; the card stays busy until the reply; nothing when idle', () => {
    const { run, els, cancelled } = card();
    run.cancel();
    expect(cancelled).toEqual([]);
    expect(els.progressText!.textContent).toBe('');
    run.start({ text: 'running' }, (i) => ({ type: 'x', id: i }));
    run.cancel();
    expect(cancelled).toEqual([41]);
    expect(els.progressText!.textContent).toBe('cancelling…');
    expect(run.busy).toBe(true);
    expect(run.accepts({ id: 41 })).toBe(true);
  });

  test('abandon cancels in the worker and ends; drop ends without a message (the ledger cancels); both nothing when idle', () => {
    const { run, els, cancelled } = card();
    run.abandon();
    run.drop();
    expect(cancelled).toEqual([]);
    run.start({ text: '' }, (i) => ({ type: 'x', id: i }));
    run.abandon();
    expect(cancelled).toEqual([41]);
    expect(run.busy).toBe(false);
    expect(els.cancel!.disabled).toBe(true);
    run.start({ text: '' }, (i) => ({ type: 'x', id: i }));
    run.drop();
    expect(cancelled).toEqual([41]);
    expect(run.busy).toBe(false);
    expect(els.progress!.hidden).toBe(true);
  });

  test('a card without Cancel or progress (a status-line card) runs on its buttons alone', () => {
    const { run, runA, cancelled } = card({ bare: true });
    run.start({ text: 'ignored' }, (i) => ({ type: 'x', id: i }));
    expect(runA.disabled).toBe(true);
    run.progress(1, 2, 'ignored');
    run.cancel();
    expect(cancelled).toEqual([41]);
    run.fail({ message: 'm', cancelled: true });
    expect(runA.disabled).toBe(false);
  });
});
