/**
 * Brent's zeroin as R's uniroot runs it (R_zeroin2), for emmeans's Dunnett quantile
 * (src/inference/emmAdjust.ts), clubSandwich's saddlepoint (src/inference/robust/coefTest.ts) and
 * glmmTMB's profile intervals (src/zeroinfl/confint.ts).
 */
/**
 * Brent's zeroin as R's uniroot runs it (R_zeroin2): the root of f in [a, b] with f(a), f(b) of
 * opposite signs, to the tolerance 2ε|b| + tol/2, by inverse quadratic or linear interpolation where
 * it stays inside the bracket and shrinks it enough, else bisection.
 */
export function zeroin(ax: number, bx: number, faIn: number, fbIn: number, f: (x: number) => number, tol: number, maxit: number): number {
  const steps = zeroinSteps(ax, bx, faIn, fbIn, tol, maxit);
  let step = steps.next();
  while (!step.done) step = steps.next(f(step.value));
  return step.value;
}

/** zeroin with an asynchronous f (a profile likelihood whose every value is an optimization) */
export async function zeroinAsync(ax: number, bx: number, faIn: number, fbIn: number, f: (x: number) => Promise<number>, tol: number, maxit: number): Promise<number> {
  const steps = zeroinSteps(ax, bx, faIn, fbIn, tol, maxit);
  let step = steps.next();
  while (!step.done) step = steps.next(await f(step.value));
  return step.value;
}

/** zeroin's iteration: yields each point at which f is wanted, receives f there, returns the root */
function* zeroinSteps(ax: number, bx: number, faIn: number, fbIn: number, tol: number, maxit: number): Generator<number, number, number> {
  let a = ax, b = bx, fa = faIn, fb = fbIn;
  let c = a, fc = fa;
  if (fa === 0) return a;
  if (fb === 0) return b;
  for (let it = 0; it <= maxit; it++) {
    const prevStep = b - a;
    if (Math.abs(fc) < Math.abs(fb)) {
      a = b; b = c; c = a;
      fa = fb; fb = fc; fc = fa;
    }
    const tolAct = 2 * Number.EPSILON * Math.abs(b) + tol / 2;
    let newStep = (c - b) / 2;
    if (Math.abs(newStep) <= tolAct || fb === 0) return b;
    if (Math.abs(prevStep) >= tolAct && Math.abs(fa) > Math.abs(fb)) {
      let p: number, q: number;
      const cb = c - b;
      if (a === c) {
        // linear interpolation
        const t1 = fb / fa;
        p = cb * t1;
        q = 1 - t1;
      } else {
        // inverse quadratic interpolation
        const qq = fa / fc, t1 = fb / fc, t2 = fb / fa;
        p = t2 * (cb * qq * (qq - t1) - (b - a) * (t1 - 1));
        q = (qq - 1) * (t1 - 1) * (t2 - 1);
      }
      if (p > 0) q = -q; else p = -p;
      if (p < 0.75 * cb * q - Math.abs(tolAct * q) / 2 && p < Math.abs((prevStep * q) / 2)) newStep = p / q;
    }
    if (Math.abs(newStep) < tolAct) newStep = newStep > 0 ? tolAct : -tolAct;
    a = b; fa = fb;
    b += newStep; fb = yield b;
    if ((fb > 0 && fc > 0) || (fb < 0 && fc < 0)) { c = a; fc = fa; }
  }
  return b;
}
