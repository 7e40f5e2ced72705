/**
 * Which result the page's cards belong to (no library math: the page's bookkeeping, tested in Node).
 *
 * A card's computation in the worker (anova, intervals, the bootstrap, power, allFit, afex, model checks,
 * influence, per-group fits, DHARMa, …) answers later, by its request's id. What it answers belongs to the
 * fit that was shown when it was asked. Each scope — the fit shown (its cards), the streamed fit shown (its
 * cards), the data loaded (comparisons of its fits, the meta-analysis) — has a generation: a request is
 * recorded under its scope's generation when it is sent, and a new generation (a new fit shown, another
 * family's section, new data) forgets the scope's running requests, which the page cancels in the worker
 * where the worker can. A reply to a request that is not recorded (of an older generation, or never
 * recorded) is stale: the page drops it instead of drawing it into a card of another fit.
 */
import type { FromWorker } from './protocol.js';

export class RequestLedger<S extends string> {
  private readonly generations = new Map<S, number>();
  private readonly live = new Map<number, { scope: S; generation: number }>();
  /** how many stale replies were dropped (the page shows it in a data attribute for its tests) */
  dropped = 0;

  /** the scope's generation: 0 before its first advance */
  generation(scope: S): number {
    return this.generations.get(scope) ?? 0;
  }

  /** records request `id`, sent now on behalf of the scope's current generation; returns id */
  issue(scope: S, id: number): number {
    this.live.set(id, { scope, generation: this.generation(scope) });
    return id;
  }

  /** whether request `id` is running for its scope's current generation */
  isLive(id: number): boolean {
    return this.live.has(id);
  }

  /**
   * A reply to request `id`: admitted (to be drawn) when the request is recorded for its scope's current
   * generation, else counted as dropped. A final reply (the result or the error) ends the request.
   */
  admit(id: number, final: boolean): boolean {
    const entry = this.live.get(id);
    if (!entry || entry.generation !== this.generation(entry.scope)) {
      this.live.delete(id);
      this.dropped++;
      return false;
    }
    if (final) this.live.delete(id);
    return true;
  }

  /** a stale reply that is not a card's (a fit's of data no longer loaded): counted with the others */
  drop(): void {
    this.dropped++;
  }

  /**
   * A new generation of the scope (a new fit shown, or none): its running requests are forgotten — their
   * late replies will be dropped — and returned, for the page to cancel them in the worker.
   */
  advance(scope: S): number[] {
    this.generations.set(scope, this.generation(scope) + 1);
    const stale: number[] = [];
    for (const [id, e] of this.live) {
      if (e.scope !== scope) continue;
      stale.push(id);
      this.live.delete(id);
    }
    return stale;
  }
}

/**
 * The worker's replies to a card's request, and whether each one ends the request (a result or an error)
 * or is a progress report. Replies not listed here (the fit's own, loading, exports with their waiters,
 * the stream's fit) have their own checks.
 */
export const CARD_REPLIES: Readonly<Partial<Record<Extract<FromWorker, { id: number }>['type'], 'final' | 'progress'>>> = {
  inferred: 'final', inferenceError: 'final',
  confintProgress: 'progress', confinted: 'final', confintError: 'final',
  tmbConfintProgress: 'progress', tmbConfinted: 'final', tmbConfintError: 'final',
  emmeansDone: 'final', emmeansError: 'final',
  glhtDone: 'final', glhtError: 'final',
  merSimProgress: 'progress', merSimDone: 'final', merSimError: 'final',
  miProgress: 'progress', miDone: 'final', miError: 'final',
  lsMeansDone: 'final', lsMeansError: 'final',
  modelTestProgress: 'progress', modelTestDone: 'final', modelTestError: 'final',
  powerProgress: 'progress', powerDone: 'final', powerError: 'final',
  lmListDone: 'final', lmListError: 'final',
  robustDone: 'final', robustError: 'final',
  allFitProgress: 'progress', allFitDone: 'final', allFitError: 'final',
  ggeffectsDone: 'final', ggeffectsError: 'final',
  tabModelDone: 'final', tabModelError: 'final',
  dharmaProgress: 'progress', dharmaDone: 'final', dharmaError: 'final',
  perfChecksDone: 'final', perfChecksError: 'final',
  afexProgress: 'progress', afexDone: 'final', afexError: 'final',
  clmmProbabilities: 'final', clmmAnova: 'final', clmmError: 'final',
  predicted: 'final', predictError: 'final',
  compared: 'final', nlmeCompared: 'final', nlmerCompared: 'final', compareError: 'final',
  metaFitted: 'final', metaError: 'final',
};

/** whether a worker's reply is a card's, and then whether it ends its request */
export function cardReply(type: FromWorker['type']): 'final' | 'progress' | undefined {
  return (CARD_REPLIES as Partial<Record<FromWorker['type'], 'final' | 'progress'>>)[type];
}

/** the replies to a fit's request: drawn only while that fit is the one running (the page's fitId) */
export const FIT_REPLIES: ReadonlySet<FromWorker['type']> = new Set<FromWorker['type']>(['progress', 'fitted', 'clmmFitted', 'gammFitted', 'ziFitted', 'nlmeFitted', 'nlmerFitted', 'fitError', 'cancelled']);
