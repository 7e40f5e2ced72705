/**
 * The browser app's ledger of the cards' requests (demo/src/requests.ts), in Node: a reply is drawn only
 * when its request was sent for its scope's current generation (the fit shown, the streamed fit shown, the
 * data loaded); a new generation returns the running requests (to cancel) and drops their late replies;
 * the scopes are independent. The page's use of it is tested in Chromium (test/e2e/staleResults.test.ts).
 */
import { describe, expect, test } from 'vitest';
import { CARD_REPLIES, RequestLedger, cardReply } from '../../demo/src/requests.js';
import type { FromWorker } from '../../demo/src/protocol.js';

describe("the app's request ledger", () => {
  test('progress and the final reply of a live request are admitted; after the final one, nothing more', () => {
    const l = new RequestLedger<'fit' | 'data'>();
    l.issue('fit', 7);
    expect(l.isLive(7)).toBe(true);
    expect(l.admit(7, false)).toBe(true);
    expect(l.admit(7, true)).toBe(true);
    expect(l.isLive(7)).toBe(false);
    expect(l.admit(7, true)).toBe(false);
    expect(l.dropped).toBe(1);
    // a reply to a request never recorded is dropped too
    expect(l.admit(99, false)).toBe(false);
    expect(l.dropped).toBe(2);
  });

  test("a new generation returns its scope's running requests and drops their replies; other scopes keep theirs", () => {
    const l = new RequestLedger<'fit' | 'stream' | 'data'>();
    l.issue('fit', 1);
    l.issue('fit', 2);
    l.issue('stream', 3);
    l.issue('data', 4);
    expect(l.admit(2, true)).toBe(true);
    expect(l.generation('fit')).toBe(0);
    expect(l.advance('fit')).toEqual([1]);
    expect(l.generation('fit')).toBe(1);
    expect(l.generation('stream')).toBe(0);
    expect(l.admit(1, false)).toBe(false);
    expect(l.admit(1, true)).toBe(false);
    expect(l.admit(3, true)).toBe(true);
    expect(l.admit(4, true)).toBe(true);
    // a request of the new generation is drawn
    l.issue('fit', 5);
    expect(l.admit(5, true)).toBe(true);
    expect(l.advance('fit')).toEqual([]);
    expect(l.dropped).toBe(2);
  });

  test("the card replies: the final ones and the progress reports", () => {
    // CARD_REPLIES's keys are the protocol's reply types with an id (the compiler checks them); the fit's own replies are not cards'
    const own: FromWorker['type'][] = ['fitted', 'ziFitted', 'clmmFitted', 'gammFitted', 'progress', 'cancelled', 'fitError', 'loaded', 'json', 'text', 'streamFitted'];
    for (const t of own) expect(cardReply(t)).toBeUndefined();
    expect(cardReply('powerDone')).toBe('final');
    expect(Object.entries(CARD_REPLIES).filter(([, v]) => v === 'progress').map(([k]) => k).sort())
      .toEqual(['afexProgress', 'allFitProgress', 'confintProgress', 'dharmaProgress', 'merSimProgress', 'miProgress', 'modelTestProgress', 'powerProgress', 'tmbConfintProgress']);
  });
});
