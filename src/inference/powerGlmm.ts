/**
 * simr's powerSim for glmer fits (powerSim.ts has the algorithm): each replicate's response drawn
 * from the model with its parameters (β with `fixef` changed, θ̂; lme4's simulate: glmmSimulator,
 * new random effects each time), the model refitted from θ̂ (simr's doFit re-runs glmer; lme4's
 * refit starts at θ̂, the same optimum) by the core's GLMM fit, then simr's test:
 *   'z'  summary(fit)$coefficients[x, "Pr(>|z|)"]: 2Φ(−|β̂/SE|), SE from lme4's default Var(β̂)
 *        (the Hessian of the deviance, as glmer's summary) — simr's default for a one-column term;
 *   'lr' lme4's drop1(fit, ~x, test = "Chisq"): the model without the term refitted (from the
 *        reduced model's own θ̂ on the data), LRT = deviance₀ − deviance₁ on χ²(Δnpar) — simr's
 *        default for a factor.
 * extend and powerCurve (powerCurve.ts) use powerRunGlmmSubsets: simulated on the (extended) design
 * with the original fit's β and θ, refitted on each subset of the rows.
 * Refused: the negative binomial (glmer.nb re-estimates its size in each refit), Gamma and inverse
 * Gaussian (their responses are not simulated), priors, known covariances, and
 * the lmer tests (t, kr, f).
 */
import { ModelError, OptionError } from '../errors/errors.js';
import { fitGlmm } from '../glmm/fit.js';
import type { GlmmFit } from '../glmm/glmmFit.js';
import { PirlsEngine } from '../glmm/pirls.js';
import { abortError, macrotask } from '../model/control.js';
import { thetaToInternal } from '../model/reparam.js';
import { pchisqUpper } from '../stats/distributions.js';
import { checkLme4Criterion } from './fitInference.js';
import { glmmSimulator, withResponse } from './glmmBootstrap.js';
import { glmmWithout } from './glmmDrop1.js';
import { glmmOnRows } from './jackknife.js';
import type { GlmmModel } from '../glmm/model.js';
import { refuseKnownCovariance } from './knownCovariance.js';
import type { PowerRun, PowerSimOptions, PowerTest } from './powerSim.js';

/** the checks of a glmer fit powerSim simulates from and refits */
export function checkPowerGlmm(fit: GlmmFit, what: string): void {
  checkLme4Criterion(fit, what);
  const fam = fit.model.family.family;
  if (fam === 'negative.binomial') throw new ModelError(`${what}: negative binomial fits are not supported (glmer.nb, which simr's refit calls, re-estimates the size in each refit)`);
  if (fam !== 'binomial' && fam !== 'poisson') throw new ModelError(`${what}: the ${fam} family's responses are not simulated (binomial and Poisson glmer fits only)`);
  refuseKnownCovariance(fit.model, what, "its simulations need the known covariance's factor");
}

/** the replicates of a glmer power simulation (see the header) */
export async function powerRunGlmm(
  fit: GlmmFit, beta: Float64Array, test: PowerTest,
  o: { nsim: number; seed: number; signal?: AbortSignal; onProgress?: PowerSimOptions['onProgress']; t0: number; theta?: Float64Array },
): Promise<PowerRun> {
  const [out] = await powerRunGlmmSubsets(fit, beta, o.theta ?? Float64Array.from(fit.theta), test, [null], o);
  return out;
}

/**
 * The replicates of a glmer power simulation for several row subsets at once (powerCurve: each
 * response drawn once on all rows of `fit`'s design from (β, θ), then refitted on each subset, as
 * simr's powerCurve reuses its simulations across breaks; `null` is all rows). The refits start from
 * the design fit's θ̂ (lme4's refit), the reduced model's (lr) from its own θ̂ on all rows.
 */
export async function powerRunGlmmSubsets(
  fit: GlmmFit, beta: Float64Array, theta: Float64Array, test: PowerTest, subsets: (Int32Array | null)[],
  o: { nsim: number; seed: number; signal?: AbortSignal; onProgress?: PowerSimOptions['onProgress']; t0: number },
): Promise<PowerRun[]> {
  if (test.method !== 'z' && test.method !== 'lr') throw new OptionError('method', `the ${test.method} test is for lmer fits (lmerTest, pbkrtest); a glmer fit takes z or lr, as simr`);
  const model = fit.model;
  // y* = draw(g⁻¹(offset + X β + Z Λ(θ) u*)), u* ~ N(0, I) (lme4's simulate with newparams = (β, θ))
  const { simulate } = glmmSimulator(model, theta, beta, o.seed);
  const start = thetaToInternal(model, fit.theta);
  const dataMessages = new Set(model.frame.messages);
  // lr: the reduced model fitted once to the data, its θ̂ the start of its refits
  let reduced: { model: GlmmModel; start: Float64Array; df: number } | null = null;
  if (test.method === 'lr') {
    const m0 = glmmWithout(model, test.term);
    const f0 = await fitGlmm(m0, new PirlsEngine(m0.pirls), fit.nAGQ, { vcov: 'RX', signal: o.signal }, performance.now(), {});
    reduced = { model: m0, start: thetaToInternal(m0, f0.theta), df: fit.df - f0.df };
  }
  const onRows = (m: GlmmModel, keep: Int32Array | null) => (keep ? glmmOnRows(m, keep) : m);
  const outs = subsets.map(() => ({ pValues: new Float64Array(o.nsim), errors: 0, warnings: 0, singular: 0, counts: new Map<string, number>() }));
  for (let r = 0; r < o.nsim; r++) {
    if (o.signal?.aborted) throw abortError();
    const y = simulate(r);
    for (let s = 0; s < subsets.length; s++) {
      const out = outs[s];
      const note = (m: string) => out.counts.set(m, (out.counts.get(m) ?? 0) + 1);
      try {
        const m1 = onRows(withResponse(model, y, start), subsets[s]);
        const f1 = await fitGlmm(m1, new PirlsEngine(m1.pirls), fit.nAGQ, { vcov: test.method === 'z' ? 'hessian' : 'RX', signal: o.signal }, performance.now(), {});
        const msgs = f1.messages.filter((m) => !dataMessages.has(m));
        let p: number;
        if (test.method === 'z') {
          // summary's Pr(>|z|) = 2Φ(−|β̂_j / SE_j|) = P(χ²₁ > z²)
          const j = test.columns[0];
          const z = f1.beta[j] / Math.sqrt(f1.vcov[j][j]);
          p = pchisqUpper(z * z, 1);
        } else {
          const m0 = onRows(withResponse(reduced!.model, y, reduced!.start), subsets[s]);
          const f0 = await fitGlmm(m0, new PirlsEngine(m0.pirls), fit.nAGQ, { vcov: 'RX', signal: o.signal }, performance.now(), {});
          msgs.push(...f0.messages.filter((m) => !dataMessages.has(m)));
          // LRT = deviance₀ − deviance₁ (not clamped, as lme4's drop1)
          const lrt = f0.objective - f1.objective;
          p = lrt > 0 ? pchisqUpper(lrt, reduced!.df) : Number.isNaN(lrt) ? NaN : 1;
        }
        out.pValues[r] = p;
        if (!Number.isFinite(p)) { out.errors++; note('error: the p-value is not finite'); continue; }
        const sing = msgs.filter((m) => m.startsWith('boundary (singular) fit'));
        if (sing.length) out.singular++;
        if (msgs.length > sing.length) out.warnings++;
        for (const m of new Set(msgs)) note(m);
      } catch (e) {
        if ((e as Error).name === 'AbortError') throw e;
        out.pValues[r] = NaN;
        out.errors++;
        note(`error: ${(e as Error).message}`);
      }
    }
    if ((r + 1) % 8 === 0 || r + 1 === o.nsim) {
      o.onProgress?.({ done: r + 1, nsim: o.nsim, elapsedMs: performance.now() - o.t0 });
      await macrotask();
    }
  }
  return outs.map((out) => ({ pValues: out.pValues, errors: out.errors, warnings: out.warnings, singular: out.singular, messages: [...out.counts].map(([message, count]) => ({ message, count })) }));
}
