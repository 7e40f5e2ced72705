/**
 * The intervals card's methods (no DOM, no library math: the page imports it): lme4's confint methods
 * the page offers, and on a streamed fit what each is computed from, or why it is not offered. The
 * intervals themselves run in the worker (./inference.ts runConfint, which refuses the same).
 */
/** lme4's confint methods as the page offers them */
export interface ConfintMethodSpec {
  method: 'wald' | 'profile' | 'boot';
  /** the R call it matches */
  r: string;
  /**
   * on a streamed fit (the rows never held; the fit keeps the Gram matrix A the stream formed): what
   * the intervals are computed from there, or why they are not offered
   */
  streamed: { from: string } | { unavailable: string };
}

export const CONFINT_METHODS: ConfintMethodSpec[] = [
  { method: 'wald', r: 'lme4\'s confint(method = "Wald")', streamed: { from: 'β̂ and its standard errors, from A (shown with the fit)' } },
  { method: 'profile', r: 'lme4\'s confint(method = "profile")', streamed: { from: 'the profiled deviance, each step refitted from A (no rows)' } },
  { method: 'boot', r: 'lme4\'s confint(method = "boot")', streamed: { unavailable: 'each bootstrap replicate simulates a new response for every row (y* = Xβ̂ + Zb* + ε*) and refits it, which needs the rows themselves (their X and Z), never held by a stream; A = [Z X y]ᵀ[Z X y] cannot be re-formed for a new y without them' } },
];

/** the intervals of a streamed fit's card: those computed from A, offered; the bootstrap listed with the reason it is not */
export function confintForStream(): { offered: ConfintMethodSpec[]; unavailable: { spec: ConfintMethodSpec; reason: string }[] } {
  return {
    offered: CONFINT_METHODS.filter((m) => 'from' in m.streamed),
    unavailable: CONFINT_METHODS.flatMap((m) => 'unavailable' in m.streamed ? [{ spec: m, reason: m.streamed.unavailable }] : []),
  };
}
