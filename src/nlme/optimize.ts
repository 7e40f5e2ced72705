/** The joint optimization of (θ, ψ) (lme) or ψ (gls) by the library's BOBYQA (src/optim). */
import { bobyqaAsync } from '../optim/bobyqa.js';
import { throwIfAborted } from '../model/control.js';

/**
 * BOBYQA from x0, then again from its optimum with a smaller radius (the criterion is flat along some
 * variance parameters); a turn for the event loop every 100 evaluations.
 */
export async function minimize(f: (x: Float64Array) => number, x0: Float64Array, lower: Float64Array, upper: Float64Array, maxfun: number) {
  const g = yielding(f);
  const first = await bobyqaAsync(g, x0, { lower, upper, rhobeg: 0.2, rhoend: 1e-9, maxfun });
  const second = await bobyqaAsync(g, first.x, { lower, upper, rhobeg: 0.01, rhoend: 1e-10, maxfun });
  const best = second.fval <= first.fval ? second : first;
  return { ...best, feval: first.feval + second.feval, converged: first.converged && second.converged };
}

/**
 * f that first throws the library's AbortError once `signal` is aborted (the optimizers give the event loop
 * a turn every 100 evaluations, `yielding`, where an abort from outside is seen).
 */
export function abortable(f: (x: Float64Array) => number, signal: AbortSignal | undefined): (x: Float64Array) => number {
  if (!signal) return f;
  return (x) => { throwIfAborted(signal); return f(x); };
}

/** f with a turn for the event loop every 100 evaluations. */
function yielding(f: (x: Float64Array) => number): (x: Float64Array) => number | Promise<number> {
  let count = 0;
  return (x) => {
    const v = f(x);
    return ++count % 100 === 0 ? new Promise<number>((r) => setTimeout(() => r(v), 0)) : v;
  };
}

/** How many of the profile's best local minima `minimizeScanned` starts BOBYQA from (besides x0). */
export const SCAN_STARTS = 3;

/**
 * For a criterion with kinks and several local minima along one coordinate (corSpher's and corLin's
 * range: CorStructure.rangeScan): BOBYQA (`minimize`) from x0 and from the best SCAN_STARTS local
 * minima of a profile along that coordinate, keeping the lowest optimum. The profile at the given
 * values v_1 < … < v_K of x[index]: p_k = min over the other coordinates of f(x with x[index] = v_k),
 * found coarsely by BOBYQA (rhobeg 0.1, rhoend 1e-3, 200 evaluations at most) from the optimum at
 * v_(k−1) (x0's at v_1); without other coordinates p_k = f at v_k. A local minimum is a finite p_k with
 * p_k ≤ p_(k−1) and p_k ≤ p_(k+1) (one neighbour at an end); the best are the SCAN_STARTS lowest, and
 * BOBYQA starts from their points. Ties of the optima go to the earlier start (x0 first). feval counts
 * the profile's evaluations and every run's.
 */
export async function minimizeScanned(
  f: (x: Float64Array) => number, x0: Float64Array, lower: Float64Array, upper: Float64Array, maxfun: number,
  scan: { index: number; values: number[] } | null,
) {
  if (!scan || scan.values.length === 0) return minimize(f, x0, lower, upper, maxfun);
  const { index } = scan;
  const others = (v: Float64Array) => Float64Array.from([...v.subarray(0, index), ...v.subarray(index + 1)]);
  const join = (xi: number, o: ArrayLike<number>) => Float64Array.from([...Array.from(o).slice(0, index), xi, ...Array.from(o).slice(index)]);
  const lo = others(lower), hi = others(upper);
  let feval = 0;
  let o = others(x0);
  const profile: { p: number; x: Float64Array }[] = [];
  for (const v of scan.values) {
    if (o.length === 0) {
      const x = join(v, o);
      profile.push({ p: f(x), x });
      feval++;
      if (feval % 10 === 0) await new Promise((r) => setTimeout(r, 0));
      continue;
    }
    const opt = await bobyqaAsync(yielding((y) => f(join(v, y))), o, { lower: lo, upper: hi, rhobeg: 0.1, rhoend: 1e-3, maxfun: 200 });
    feval += opt.feval;
    profile.push({ p: opt.fval, x: join(v, opt.x) });
    // (the next range's profile starts here, unless this one failed)
    if (Number.isFinite(opt.fval)) o = Float64Array.from(opt.x);
    await new Promise((r) => setTimeout(r, 0));
  }
  const p = profile.map((e) => e.p);
  const minima = profile
    .filter(({ p: v }, k) => Number.isFinite(v) && (k === 0 || v <= p[k - 1]) && (k === p.length - 1 || v <= p[k + 1]))
    .sort((a, b) => a.p - b.p)
    .slice(0, SCAN_STARTS);
  let best = await minimize(f, x0, lower, upper, maxfun);
  feval += best.feval;
  for (const { x } of minima) {
    const opt = await minimize(f, x, lower, upper, maxfun);
    feval += opt.feval;
    if (opt.fval < best.fval) best = opt;
  }
  // The optimum may sit on a kink (corLin's maximum at a range equal to a distance), where BOBYQA's
  // quadratic model fails and it stops short in the other coordinates (Wheat2's corLin with a nugget:
  // the nugget at 0.1125 instead of 0.108, 0.009 below in logLik): the other coordinates at x[index]
  // fixed by BOBYQA (rhobeg 0.01, rhoend 1e-10), then BOBYQA in all from there, kept while each round
  // lowers the optimum by more than 1e-10 relative, 5 rounds at most.
  for (let round = 0; round < 5 && x0.length > 1; round++) {
    const xi = best.x[index];
    const fixed = await bobyqaAsync(yielding((y) => f(join(xi, y))), others(best.x), { lower: lo, upper: hi, rhobeg: 0.01, rhoend: 1e-10, maxfun });
    const opt = await minimize(f, join(xi, fixed.x), lower, upper, maxfun);
    feval += fixed.feval + opt.feval;
    const cand = fixed.fval < opt.fval ? { ...opt, x: join(xi, fixed.x), fval: fixed.fval } : opt;
    if (!(cand.fval < best.fval - 1e-10 * Math.abs(best.fval))) {
      if (cand.fval < best.fval) best = { ...best, x: cand.x, fval: cand.fval };
      break;
    }
    best = { ...best, x: cand.x, fval: cand.fval, converged: cand.converged };
  }
  return { ...best, feval };
}
