/**
 * One card's request life cycle (the page's bookkeeping, no library math; tested in Node with plain objects
 * for its elements): the request running (its id, 0 when idle), the card's run buttons disabled and its
 * Cancel enabled while it runs, the progress bar and line, the worker's progress, result and error replies
 * matched by id, Cancel's "cancelling…" and a cancelled run's "Cancelled.", and the card idle again.
 *
 * What differs between cards stays with the card: how its buttons come back (a refusal, no fit: `idle`),
 * what its progress line says, what its error text is. Which fit a reply belongs to is the ledger's
 * (./requests.ts): `sendFor` records the request under its scope, and a new generation cancels it there.
 */

/** the parts of the elements the controller touches (an HTMLElement has them) */
export interface Toggle { disabled: boolean }
export interface Hideable { hidden: boolean }
export interface TextBox { textContent: string | null }
export interface Bar extends Hideable { max: number; value: number }
export interface ErrorBox extends TextBox { dataset: Record<string, string | undefined> }

export interface CardRunEls {
  /** the buttons disabled while a request runs */
  run: Toggle[];
  /** Cancel: enabled while a request runs (a card without one cannot cancel) */
  cancel?: Toggle;
  /** the progress block, its bar and its line (a card without them shows a status line instead) */
  progress?: Hideable;
  bar?: Bar;
  progressText?: TextBox;
  /** where a bad field's or the worker's message shows */
  error: ErrorBox;
}

/** what the controller needs of the page: ids, the ledger's send and the worker's cancel */
export interface CardRunHost<S extends string, M> {
  nextId(): number;
  sendFor(scope: S, msg: M): void;
  cancel(id: number): void;
}

export interface CardRunOptions<S extends string, M> {
  els: CardRunEls;
  host: CardRunHost<S, M>;
  /** the request's scope for the ledger: the fit shown's cards 'fit', the data's cards 'data' */
  scope: S;
  /**
   * The card idle again, after the id is 0: its run buttons back by the card's own rule (a refusal, no
   * fit), and anything else the card resets. Without it, the run buttons are enabled.
   */
  idle?: () => void;
  /**
   * Whether the card's errors name a field (`data-field` on the error box: the cards whose requests are
   * built from fields that each say which one is bad — merTools, mice/mitml, glht, ls_means); the others
   * show the message only and never touch `data-field`.
   */
  fieldErrors?: boolean;
}

/** a worker's error reply to a card's request */
export interface CardRunError { message: string; cancelled?: boolean; field?: string | null }

export class CardRun<S extends string, M> {
  private current = 0;
  readonly els: CardRunEls;

  constructor(private readonly o: CardRunOptions<S, M>) {
    this.els = o.els;
  }

  /** the request running (0: none) */
  get id(): number {
    return this.current;
  }

  get busy(): boolean {
    return this.current !== 0;
  }

  /** a reply to the request running (progress, result or error) */
  accepts(m: { id: number }): boolean {
    return this.current !== 0 && m.id === this.current;
  }

  /** the card's error cleared before a new request (and its field mark, where the card marks one) */
  clearError(): void {
    this.els.error.textContent = '';
    if (this.o.fieldErrors) delete this.els.error.dataset.field;
  }

  /** a bad field's message before any request: shown, and its field named where the card marks one */
  showFieldError(message: string, field?: string): void {
    this.els.error.textContent = message;
    if (this.o.fieldErrors && field !== undefined) this.els.error.dataset.field = field;
  }

  /**
   * A new request: an id, the run buttons disabled, Cancel enabled, the progress shown at 0 of `bar.max`
   * (the bar's max left as it was when not given) with its first line, and the message sent under the
   * card's scope. Returns the id.
   */
  start(progress: { max?: number; text: string } | null, message: (id: number) => M): number {
    const { els } = this;
    const id = this.o.host.nextId();
    this.current = id;
    for (const b of els.run) b.disabled = true;
    if (els.cancel) els.cancel.disabled = false;
    if (progress) {
      if (els.progress) els.progress.hidden = false;
      if (els.bar) {
        els.bar.hidden = false;
        if (progress.max !== undefined) els.bar.max = progress.max;
        els.bar.value = 0;
      }
      if (els.progressText) els.progressText.textContent = progress.text;
    }
    this.o.host.sendFor(this.o.scope, message(id));
    return id;
  }

  /** the worker's progress: `done` of `total` (a bar of at least 1) and the card's line */
  progress(done: number, total: number, text: string): void {
    const { bar, progressText } = this.els;
    if (bar) {
      bar.max = Math.max(1, total);
      bar.value = done;
    }
    if (progressText) progressText.textContent = text;
  }

  /** the card idle again: no request, the progress hidden, Cancel disabled, the run buttons back (`idle`) */
  end(): void {
    this.current = 0;
    if (this.els.progress) this.els.progress.hidden = true;
    if (this.els.cancel) this.els.cancel.disabled = true;
    if (this.o.idle) this.o.idle();
    else for (const b of this.els.run) b.disabled = false;
  }

  /**
   * The worker's error reply: the card idle again, then "Cancelled." on the progress line (the bar hidden)
   * for a cancelled run, else the message (`text`, the card's wording of it) in the error box, with its field
   * where the card marks one (none: '').
   */
  fail(m: CardRunError, text: string = m.message): void {
    this.end();
    const { els } = this;
    if (m.cancelled) {
      if (els.progress) els.progress.hidden = false;
      if (els.bar) els.bar.hidden = true;
      if (els.progressText) els.progressText.textContent = 'Cancelled.';
      return;
    }
    els.error.textContent = text;
    if (this.o.fieldErrors) els.error.dataset.field = m.field ?? '';
  }

  /** Cancel pressed: the request running cancelled in the worker, whose reply ends it ("Cancelled.") */
  cancel(): void {
    if (!this.current) return;
    this.o.host.cancel(this.current);
    if (this.els.progressText) this.els.progressText.textContent = 'cancelling…';
  }

  /** the card's fit replaced by the card itself (a new fit shown): the request running cancelled in the worker and the card idle */
  abandon(): void {
    if (!this.current) return;
    this.o.host.cancel(this.current);
    this.end();
  }

  /**
   * The card's scope gone (abandonFitCards, new data): the card idle again without a message of its own —
   * the ledger's new generation cancels the request in the worker and drops its late reply.
   */
  drop(): void {
    if (this.current) this.end();
  }
}
