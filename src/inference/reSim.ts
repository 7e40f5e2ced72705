/**
 * merTools 0.5.2's REsim, FEsim and plotREsim's intervals: summaries of arm's sim draws (armSim.ts).
 *   REsim(fit, n.sims, oddsRatio, seed): per grouping factor, level and random-effects column, the
 *     mean, median (R's quantile type 7) and SD (n − 1 denominator) of the draws b*_{g,s};
 *   FEsim(fit, n.sims, oddsRatio, seed): per fixed effect, the same of β*_j;
 *   oddsRatio: exp of the mean and the median, SD NA (null);
 *   plotREsim(data, level, stat, sd): the interval stat ± z_{1−(1−level)/2} · sd per row, and whether
 *     it excludes 0 (`sig`).
 * Rows as merTools orders them: per grouping factor, its columns in order, the levels within each.
 */
import { OptionError, showValue } from '../errors/errors.js';
import { quantile7 } from '../frame/basis/bspline.js';
import { CounterNormal } from '../model/random.js';
import { type Schema, bool, checkObject, integer } from '../options/rules.js';
import { qnorm } from '../stats/distributions.js';
import { YIELD_EVERY_MS, macrotask, throwIfAborted } from '../model/control.js';
import { armSimDraw, armSimSystem } from './armSim.js';
import type { GetMEFit } from './getME.js';

export interface SimSummaryOptions {
  /** number of draws (merTools's n.sims; default 200) */
  nsims?: number;
  /** exponentiate the mean and the median, SD null (merTools's oddsRatio) */
  oddsRatio?: boolean;
  /** the random seed (default 1): the same seed gives the same draws, and nsims draws are a prefix of more */
  seed?: number;
}

export interface ReSimRow {
  groupFctr: string;
  groupID: string;
  term: string;
  mean: number;
  median: number;
  sd: number | null;
}

export interface FeSimRow {
  term: string;
  mean: number;
  median: number;
  sd: number | null;
}

const SIM_OPTIONS: Schema = { nsims: integer(2, 1e7), oddsRatio: bool, seed: integer(-(2 ** 53), 2 ** 53) };

/** mean, median and SD (n − 1) of x, or exp(mean), exp(median) and null with oddsRatio */
export function drawSummary(x: Float64Array, oddsRatio: boolean): { mean: number; median: number; sd: number | null } {
  const n = x.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (x[i] - mean) * (x[i] - mean);
  const median = quantile7(x, [0.5])[0];
  if (oddsRatio) return { mean: Math.exp(mean), median: Math.exp(median), sd: null };
  return { mean, median, sd: Math.sqrt(ss / (n - 1)) };
}

/** The draws of both effects, stored column by column: fixed[j][r], random[k][e][r]. */
interface Draws { fixed: Float64Array[]; random: Float64Array[][] }

/** draws between two reports of drawSteps (and turns of the event loop in the async form) */
const DRAW_CHUNK = 50;

/**
 * Stage: the draws r = 0 … nsims − 1 into their columns, yielding the number done after each chunk of
 * DRAW_CHUNK draws (draw r is a pure function of (seed, r): chunking changes nothing), returning the draws.
 */
function* drawSteps(fit: GetMEFit, options: SimSummaryOptions, what: string): Generator<number, Draws> {
  checkObject(options, what, SIM_OPTIONS);
  const nsims = options.nsims ?? 200;
  const rng = new CounterNormal(options.seed ?? 1);
  const system = armSimSystem(fit, what);
  const p = system.beta.length;
  const fixed = Array.from({ length: p }, () => new Float64Array(nsims));
  const random = system.b.map((bk) => Array.from({ length: bk.length }, () => new Float64Array(nsims)));
  for (let r = 0; r < nsims; r++) {
    const d = armSimDraw(system, rng, r);
    for (let j = 0; j < p; j++) fixed[j][r] = d.beta[j];
    d.b.forEach((bk, k) => { for (let e = 0; e < bk.length; e++) random[k][e][r] = bk[e]; });
    if ((r + 1) % DRAW_CHUNK === 0 && r + 1 < nsims) yield r + 1;
  }
  return { fixed, random };
}

function drawAll(fit: GetMEFit, options: SimSummaryOptions, what: string): Draws {
  const steps = drawSteps(fit, options, what);
  for (;;) { const s = steps.next(); if (s.done) return s.value; }
}

/** REsim's rows of the draws */
function reRows(fit: GetMEFit, random: Float64Array[][], oddsRatio: boolean): ReSimRow[] {
  const rows: ReSimRow[] = [];
  fit.model.blocks.forEach((blk, k) => {
    for (let s = 0; s < blk.q; s++) {
      for (let g = 0; g < blk.nl; g++) {
        rows.push({ groupFctr: blk.group, groupID: blk.levels[g], term: blk.cnames[s], ...drawSummary(random[k][g * blk.q + s], oddsRatio) });
      }
    }
  });
  return rows;
}

/** FEsim's rows of the draws */
function feRows(fit: GetMEFit, fixed: Float64Array[], oddsRatio: boolean): FeSimRow[] {
  return fit.model.frame.xnames.map((term, j) => ({ term, ...drawSummary(fixed[j], oddsRatio) }));
}

/** merTools's REsim(fit, n.sims, oddsRatio, seed) (module comment). */
export function reSim(fit: GetMEFit, options: SimSummaryOptions = {}): ReSimRow[] {
  return reRows(fit, drawAll(fit, options, 'REsim').random, options.oddsRatio === true);
}

/** merTools's FEsim(fit, n.sims, oddsRatio, seed) (module comment). */
export function feSim(fit: GetMEFit, options: SimSummaryOptions = {}): FeSimRow[] {
  return feRows(fit, drawAll(fit, options, 'FEsim').fixed, options.oddsRatio === true);
}

export interface SimProgressOptions {
  /** cancels: rejects with the library's AbortError (name 'AbortError') within a chunk of draws */
  signal?: AbortSignal;
  /** the draws done so far, after each chunk */
  onProgress?: (p: { done: number; total: number }) => void;
}

/**
 * REsim and FEsim of the same draws (both equal to reSim(fit, options) and feSim(fit, options): one seed,
 * one sequence of draws), computed in chunks of draws with a turn of the event loop at least every 50 ms, its progress
 * reported and `signal` honoured: for a page or a worker that must stay responsive.
 */
export async function reFeSimAsync(fit: GetMEFit, options: SimSummaryOptions = {}, control: SimProgressOptions = {}): Promise<{ re: ReSimRow[]; fe: FeSimRow[] }> {
  throwIfAborted(control.signal);
  const steps = drawSteps(fit, options, 'REsim');
  const total = options.nsims ?? 200;
  let last = performance.now();
  for (;;) {
    const s = steps.next();
    if (s.done) {
      control.onProgress?.({ done: total, total });
      const odds = options.oddsRatio === true;
      return { re: reRows(fit, s.value.random, odds), fe: feRows(fit, s.value.fixed, odds) };
    }
    control.onProgress?.({ done: s.value, total });
    throwIfAborted(control.signal);
    // a turn of the event loop (its messages, a Cancel) at least every YIELD_EVERY_MS of drawing
    if (performance.now() - last >= YIELD_EVERY_MS) {
      await macrotask();
      last = performance.now();
      throwIfAborted(control.signal);
    }
  }
}

export interface ReSimInterval extends ReSimRow {
  ymin: number;
  ymax: number;
  /** the interval excludes 0 */
  sig: boolean;
}

/**
 * plotREsim's data (merTools 0.5.2, without the plot): stat ± z_{1−(1−level)/2} · sd, and whether the
 * interval excludes 0, for REsim's rows on the linear-predictor scale (not oddsRatio: their sd is null).
 */
export function reSimIntervals(rows: ReSimRow[], options: { level?: number; stat?: 'median' | 'mean' } = {}): ReSimInterval[] {
  const level = options.level ?? 0.95;
  if (!(typeof level === 'number' && level > 0 && level < 1)) throw new OptionError('level', `level must be a number between 0 and 1, not ${showValue(level)}`);
  const stat = options.stat ?? 'median';
  if (stat !== 'median' && stat !== 'mean') throw new OptionError('stat', `stat must be 'median' or 'mean', not ${showValue(stat)}`);
  const z = qnorm(1 - (1 - level) / 2);
  return rows.map((row) => {
    if (row.sd === null) throw new OptionError('oddsRatio', "plotREsim's intervals need REsim's SDs: draw without oddsRatio");
    const ymin = row[stat] - z * row.sd, ymax = row[stat] + z * row.sd;
    return { ...row, ymin, ymax, sig: ymin > 0 || ymax < 0 };
  });
}
