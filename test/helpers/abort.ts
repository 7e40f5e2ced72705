/**
 * Measuring how promptly a fit honours an external AbortSignal (test/abort.test.ts and
 * test/gpu/backend.test.ts).
 */
import { expect } from 'vitest';

/**
 * A fit aborted by AbortSignal.timeout(afterMs), started at the fit's first evaluation (the passes
 * over the data and a device's setup before it are single steps): the fit must reject with an
 * AbortError. Returns the ms from when the timeout was due to the rejection, and the bound it must
 * meet: the 50 ms between the fit's turns for the event loop plus the evaluation under way when the
 * timer is due — 100 ms plus twice the longest gap between evaluations seen in the run, which adapts
 * it to a machine loaded by parallel test files.
 */
export async function abortLatency(fit: (signal: AbortSignal, onProgress: () => void) => Promise<unknown>, afterMs: number): Promise<{ latency: number; bound: number }> {
  const ac = new AbortController();
  let due = NaN;
  let last = NaN;
  let maxGap = 0;
  const onProgress = () => {
    const now = performance.now();
    if (Number.isNaN(due)) {
      due = now + afterMs;
      AbortSignal.timeout(afterMs).addEventListener('abort', () => ac.abort());
    } else maxGap = Math.max(maxGap, now - last);
    last = now;
  };
  let error: unknown = null;
  try {
    await fit(ac.signal, onProgress);
  } catch (e) {
    error = e;
  }
  const latency = performance.now() - due;
  expect((error as Error | null)?.name).toBe('AbortError');
  expect((error as Error).message).toBe('the fit was cancelled');
  return { latency, bound: 100 + 2 * maxGap };
}
