/**
 * What a gamm4 fit offers whatever its family (./gamm4.ts's Gamm4Fit by lmer, ./gamm4Glmm.ts's Gamm4GlmmFit
 * by glmer): the mer and the gam view, each smooth's values and plot data, and θ given in gamm4's order
 * (its mer's: each smooth a factor of r levels with one value s of Λ = s I_r, the terms in lme4's order)
 * mapped to the fit's full θ.
 */
import { OptionError } from '../errors/errors.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import type { LmmFit } from '../lmm/lmmFit.js';
import { type ReTerm, lme4TermOrder } from '../frame/modelFrame.js';
import { type GamCore, type GamState, type SmoothPlotData, smoothPlotData, smoothValues } from './gamView.js';

/**
 * θ in gamm4's mer's order (lme4's order of the terms with a smooth's term placed as a factor of r levels,
 * one value each) → the fit's full θ in its own terms' order (a smooth's term s I_r in vech).
 */
export function thetaFromGamm4Order(terms: readonly ReTerm[], length: number, theta: ArrayLike<number>, what: string): Float64Array {
  const count = terms.reduce((c, t) => c + (t.term.smooth !== undefined ? 1 : (t.q * (t.q + 1)) / 2), 0);
  if (theta.length !== count) throw new OptionError('theta', `${what}: θ has ${count} values in lme4's order (a smooth's term one), not ${theta.length}`);
  // gamm4's order of the terms, and where each one's θ starts there
  const byPosition = [...terms].sort((a, b) => a.position - b.position);
  const order = lme4TermOrder(byPosition.map((t) => (t.term.smooth !== undefined ? t.q : t.levels.length))).map((k) => byPosition[k]);
  const start = new Map<ReTerm, number>();
  let at = 0;
  for (const t of order) { start.set(t, at); at += t.term.smooth !== undefined ? 1 : (t.q * (t.q + 1)) / 2; }
  const full = new Float64Array(length);
  let off = 0;
  for (const t of terms) {
    const from = start.get(t)!;
    if (t.term.smooth !== undefined) {
      for (let j = 0; j < t.q; j++) for (let i = j; i < t.q; i++) full[off++] = i === j ? theta[from] : 0;
    } else {
      for (let e = 0; e < (t.q * (t.q + 1)) / 2; e++) full[off++] = theta[from + e];
    }
  }
  return full;
}

/** The mer, the gam view and the smooths' values of a gamm4 fit. */
export abstract class GamFitBase<V extends GamCore, M extends LmmFit | GlmmFit> {
  /** the lmer or glmer fit of the mixed-model form */
  readonly mer: M;
  /** gamm4's gam object */
  readonly gam: V;
  protected readonly state: GamState<V, M>;

  constructor(state: GamState<V, M>) {
    this.state = state;
    this.mer = state.mer;
    this.gam = state.view;
  }

  /** each smooth's grouping factor in the mer (gamm4's `Xr`, `Xr.0`, …), in the smooths' order */
  get setupGroups(): string[] {
    return this.state.setup.smooths.map((s) => s.group);
  }

  /** each smooth's grouping factors in the mer, one per penalty (a t2's `Xr`, `Xr.0`, `Xr.1`), in the smooths' order */
  get penaltyGroups(): string[][] {
    return this.state.setup.smooths.map((s) => [...s.groups]);
  }

  /**
   * one smooth's values and SEs (a GLMM's on the link scale) at covariate values x (a t2's: x and z), by its
   * index or label; a by smooth's with by = 1
   */
  smooth(which: number | string, x: ArrayLike<number>, ...more: ArrayLike<number>[]): { fit: Float64Array; se: Float64Array } {
    const k = typeof which === 'number' ? which : this.gam.smooths.findIndex((s) => s.label === which);
    if (!(k >= 0 && k < this.gam.smooths.length)) throw new OptionError('smooth', `no smooth ${String(which)} (the model's: ${this.gam.smooths.map((s) => s.label).join(', ')})`);
    return smoothValues(this.state, k, [x, ...more]);
  }

  /** plot.gam's data: each smooth's values ± 2 SE (a GLMM's on the link scale) on `points` values over its covariate's range */
  plotData(points = 50): SmoothPlotData[] {
    if (!Number.isInteger(points) || points < 2) throw new OptionError('points', `points must be an integer of at least 2, got ${points}`);
    return smoothPlotData(this.state, points);
  }
}
