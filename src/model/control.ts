/**
 * The evaluations of a fit as one loop the caller controls: each evaluation of an objective (the
 * optimizer's, the float64 check and polish, a finite-difference Hessian) goes through an
 * Evaluations object, which counts it, reports it, stops the fit when the caller's AbortSignal is
 * aborted, and gives the event loop a turn (a macrotask) at least every `yieldEveryMs`, so that
 * timers (AbortSignal.timeout), a worker's messages and a page's events run during a CPU fit too.
 */

/** The error an aborted fit rejects with (name 'AbortError', as fetch's). */
export function abortError(): Error {
  const err = new Error('the fit was cancelled');
  err.name = 'AbortError';
  return err;
}

/** Throws an AbortError when `signal` is aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortError();
}

/** Default: a turn for the event loop at least every 50 ms of computing. */
export const YIELD_EVERY_MS = 50;

/** A macrotask (setImmediate in Node, a zero-delay timer elsewhere): timers and messages run before it. */
export function macrotask(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}

export interface EvaluationsOptions {
  signal?: AbortSignal;
  /** the longest stretch of computing between turns of the event loop (default 50 ms) */
  yieldEveryMs?: number;
}

/** The counter, abort check and event-loop turns of a fit's evaluations. */
export class Evaluations {
  /** evaluations so far */
  count = 0;
  private readonly signal?: AbortSignal;
  private readonly every: number;
  private last = performance.now();

  constructor(options: EvaluationsOptions = {}) {
    this.signal = options.signal;
    this.every = options.yieldEveryMs ?? YIELD_EVERY_MS;
  }

  /** Throws an AbortError when the fit's signal is aborted. */
  check(): void {
    throwIfAborted(this.signal);
  }

  /** A turn for the event loop if the last one is `yieldEveryMs` ago (then the abort is checked again). */
  async pause(): Promise<void> {
    if (performance.now() - this.last < this.every) return;
    await macrotask();
    this.last = performance.now();
    this.check();
  }

  /**
   * f with each evaluation counted and reported (`after(x, f(x))`), refused once the fit is aborted,
   * and, every `yieldEveryMs`, its value returned after a turn of the event loop (a promise). A
   * value is returned synchronously otherwise, so a synchronous f costs no promise per evaluation.
   */
  wrap(f: (x: Float64Array) => number | Promise<number>, after?: (x: Float64Array, v: number) => void): (x: Float64Array) => number | Promise<number> {
    return (x) => {
      this.check();
      const r = f(x);
      const done = (v: number): number | Promise<number> => {
        this.count++;
        after?.(x, v);
        if (performance.now() - this.last < this.every) return v;
        return this.pause().then(() => v);
      };
      return typeof r === 'number' ? done(r) : r.then(done);
    };
  }
}
