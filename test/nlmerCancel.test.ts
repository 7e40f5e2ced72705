/**
 * nlmer's AbortSignal and progress (src/nlmer/fit.ts), as the library's other long fits (glmer, clmm,
 * zeroInflated): an aborted fit rejects with the library's AbortError, and stops within the evaluations
 * between two turns of the event loop (50 at most); onProgress reports each optimizer evaluation of
 * lme4's two stages. Counts of evaluations only, no wall-clock asserts. The fits reported on are checked
 * against lme4 1.1-31's fixtures (test/oracle/nlmer.R → test/fixtures/nlmer/*.json): deviance to 1e-6
 * relative, as test/nlmer.test.ts; the last report's best deviance equals the fit's exactly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OptionError } from '../src/errors/errors.js';
import { readTableFile } from '../src/io/node.js';
import type { NlmerProgress } from '../src/nlmer/fit.js';
import { nlmer } from '../src/nlmer/nlmer.js';

const fixtures = join(import.meta.dirname, 'fixtures', 'nlmer');
const dataDir = join(import.meta.dirname, 'fixtures', 'data');
interface FitFixture { formula: string; data: string; start: Record<string, number>; deviance: number; theta: number[] | number }
const load = (name: string) => JSON.parse(readFileSync(join(fixtures, `${name}.json`), 'utf8')) as FitFixture;
const table = (file: string) => readTableFile(join(dataDir, file)).table;
/** the most evaluations between two turns of the event loop (fit.ts's YIELD_EVERY) */
const YIELD_EVERY = 50;

/** the rejection of a promise (fails the test when it resolves) */
async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('the fit was not aborted');
}

describe('nlmer: cancellation by an AbortSignal (Theoph, SSfol with three correlated effects)', () => {
  const theoph = load('theoph');

  it('an aborted signal stops the fit before it starts: AbortError, no evaluation', async () => {
    const ac = new AbortController();
    ac.abort();
    const reports: NlmerProgress[] = [];
    const e = await rejection(nlmer(theoph.formula, table(theoph.data), { start: theoph.start, signal: ac.signal, onProgress: (p) => reports.push(p) }));
    expect(e.name).toBe('AbortError');
    expect(e.message).toBe('the fit was cancelled');
    expect(reports.length).toBe(0);
  });

  it('an abort during stage 1 stops it at the next evaluation (no evaluation after the abort)', async () => {
    const ac = new AbortController();
    let last = 0;
    const e = await rejection(nlmer(theoph.formula, table(theoph.data), {
      start: theoph.start, signal: ac.signal,
      onProgress: (p) => { last = p.feval; if (p.feval === 100) ac.abort(); },
    }));
    expect(e.name).toBe('AbortError');
    expect(last).toBe(100);
  });

  it('an abort from outside (another task of the event loop) is seen within 50 evaluations', async () => {
    const ac = new AbortController();
    let last = 0;
    let at = 0;
    const e = await rejection(nlmer(theoph.formula, table(theoph.data), {
      start: theoph.start, signal: ac.signal,
      onProgress: (p) => {
        last = p.feval;
        // queued behind nothing of the fit's: it runs at the fit's next turn of the event loop
        if (p.feval === 60) { at = p.feval; setImmediate(() => ac.abort()); }
      },
    }));
    expect(e.name).toBe('AbortError');
    expect(at).toBe(60);
    expect(last).toBeGreaterThanOrEqual(60);
    expect(last).toBeLessThanOrEqual(60 + YIELD_EVERY);
  });

  it('an abort in stage 2 stops it too', async () => {
    const ac = new AbortController();
    let stage2 = 0;
    const e = await rejection(nlmer(theoph.formula, table(theoph.data), {
      start: theoph.start, signal: ac.signal,
      onProgress: (p) => { if (p.stage === 2 && ++stage2 === 5) ac.abort(); },
    }));
    expect(e.name).toBe('AbortError');
    expect(stage2).toBe(5);
  }, 120_000);
});

describe('nlmer: progress (Orange, SSlogis)', () => {
  const orange = load('orange');
  for (const optimizer of ['Nelder_Mead', 'bobyqa'] as const) {
    it(`${optimizer}: each optimizer evaluation, stage 1 then 2, counts increasing, the last best = the fit's deviance`, async () => {
      const reports: NlmerProgress[] = [];
      const fit = await nlmer(orange.formula, table(orange.data), { start: orange.start, optimizer, onProgress: (p) => reports.push({ ...p }) });
      const est = fit.estimate;
      expect(reports.length).toBe(est.stage1.feval + est.stage2!.feval);
      reports.forEach((p, k) => {
        expect(p.feval).toBe(k + 1);
        expect(p.stage).toBe(k < est.stage1.feval ? 1 : 2);
        expect(p.theta.length).toBe(fit.theta.length);
        expect(p.beta.length).toBe(Object.keys(fit.fixef()).length);
        expect(Number.isFinite(p.elapsedMs)).toBe(true);
        // best: the least deviance of the stage so far
        const prev = reports[k - 1];
        if (prev && prev.stage === p.stage) expect(p.best).toBe(Math.min(prev.best, p.deviance));
        else expect(p.best).toBe(p.deviance);
      });
      const s1 = reports[est.stage1.feval - 1]!;
      expect(s1.best).toBe(est.stage1.fval);
      const lastReport = reports[reports.length - 1]!;
      expect(lastReport.best).toBe(fit.deviance());
      if (optimizer === 'Nelder_Mead') {
        // lme4's fit (its path: the same evaluations), and the reports change nothing of it
        expect(Math.abs(lastReport.best - orange.deviance) / orange.deviance).toBeLessThanOrEqual(1e-6);
        const plain = await nlmer(orange.formula, table(orange.data), { start: orange.start });
        expect(Array.from(fit.theta)).toEqual(Array.from(plain.theta));
        expect(fit.deviance()).toBe(plain.deviance());
      }
    }, 120_000);
  }

  it('nAGQ = 0: stage 1 only; its last best is the fit\'s deviance', async () => {
    const reports: NlmerProgress[] = [];
    const fit = await nlmer(orange.formula, table(orange.data), { start: orange.start, nAGQ: 0, onProgress: (p) => reports.push(p) });
    expect(reports.length).toBe(fit.estimate.stage1.feval);
    expect(reports.every((p) => p.stage === 1)).toBe(true);
    expect(reports[reports.length - 1]!.best).toBe(fit.deviance());
  }, 120_000);
});

describe('nlmer: the signal and onProgress options are checked', () => {
  const orange = load('orange');
  it('a signal that is not an AbortSignal, an onProgress that is not a function: OptionError naming the option', async () => {
    const bad = [
      [{ signal: 'stop' }, 'signal', /nlmer: signal must be an AbortSignal, not the string "stop"/],
      [{ onProgress: 5 }, 'onProgress', /nlmer: onProgress must be a function, not the number 5/],
    ] as const;
    for (const [opt, option, msg] of bad) {
      const e = await rejection(nlmer(orange.formula, table(orange.data), { start: orange.start, ...(opt as object) }));
      expect(e).toBeInstanceOf(OptionError);
      expect((e as OptionError).option).toBe(option);
      expect(e.message).toMatch(msg);
    }
  });
});
