/**
 * The bootstrap confidence intervals of R's boot::boot.ci (boot 1.3), from the replicates t*_1…t*_R
 * of a statistic with estimate t₀ (the rows of a BootstrapResult):
 *
 * - `perc` (perc.ci, lme4's confint(method = "boot") default): [t*_(α/2), t*_(1−α/2)];
 * - `basic` (basic.ci): [2t₀ − t*_(1−α/2), 2t₀ − t*_(α/2)], the percentile interval reflected about t₀
 *   (it corrects the replicates' bias and turns their skew round);
 * - `norm` (norm.ci): t₀ − b ∓ z_(1−α/2) s, with the bootstrap's bias b = mean(t*) − t₀ and its SD s
 *   (var(t*) with R − 1);
 * - `bca` (bca.ci, Efron's bias-corrected and accelerated interval): the percentile interval at the
 *   adjusted levels α̃ = Φ(w + (w + z_α) / (1 − a (w + z_α))), with the bias correction
 *   w = Φ⁻¹(#{t* < t₀} / R) and the acceleration a = Σ L_i³ / (6 (Σ L_i²)^{3/2}) from influence values L_i.
 *
 * Every quantile t*_(α) is boot's norm.inter: the order statistic at (R + 1)α, interpolated between
 * neighbours on the normal quantile scale. Non-finite replicates (failed refits) are left out, as boot.
 *
 * The influence values of a mixed model's BCa interval come from the jackknife over the levels of a
 * grouping factor (jackknife.ts): L_i = (m − 1)(t̄_(·) − t_(−i)) (boot's empinf(type = "jack")), where
 * t_(−i) is the statistic refitted without level i's rows and t̄_(·) their mean. The levels are the
 * model's independent units (the rows within a level are not), which is why they, not rows, are
 * left out; a does not depend on the factor (m − 1), which cancels.
 */
import { OptionError } from '../errors/errors.js';
import { pnorm } from '../glmm/rmath.js';
import { qnorm } from '../stats/distributions.js';

export type BootType = 'perc' | 'basic' | 'norm' | 'bca';
export const BOOT_TYPES: readonly BootType[] = ['perc', 'basic', 'norm', 'bca'];

/** BCa's fewest replicates: its adjusted levels reach further into the tails than the percentile interval's */
export const BCA_MIN_REPLICATES = 100;

/** The interval type (default perc, as lme4's confint); an error naming the choices otherwise. */
export function checkBootType(type: string | undefined): BootType {
  const t = (type ?? 'perc').toLowerCase();
  if ((BOOT_TYPES as readonly string[]).includes(t)) return t as BootType;
  throw new OptionError('type', `unknown bootstrap interval type '${type}' (choose ${BOOT_TYPES.join(', ')})`);
}

/** boot's norm.inter: the α-quantiles of the sorted finite replicates v (R = v.length ≥ 1). */
export function normInter(v: ArrayLike<number>, alpha: number, onExtreme?: () => void): number {
  const R = v.length;
  const rk = (R + 1) * alpha;
  if (!(rk > 1 && rk < R)) onExtreme?.();
  const k = Math.trunc(rk);
  if (k === rk) return v[k - 1];
  if (k <= 0) return v[0];
  if (k >= R) return v[R - 1];
  const z = qnorm(alpha), z1 = qnorm(k / (R + 1)), z2 = qnorm((k + 1) / (R + 1));
  return v[k - 1] + ((z - z1) / (z2 - z1)) * (v[k] - v[k - 1]);
}

/** The acceleration of BCa from influence values: a = Σ L³ / (6 (Σ L²)^{3/2}). */
export function acceleration(L: ArrayLike<number>): number {
  let s2 = 0, s3 = 0;
  for (let i = 0; i < L.length; i++) { s2 += L[i] * L[i]; s3 += L[i] * L[i] * L[i]; }
  return s3 / (6 * s2 ** 1.5);
}

/** Jackknife influence values of one statistic (boot's empinf(type = "jack")): L_i = (m − 1)(t̄ − t_(−i)). */
export function jackknifeInfluence(tJack: ArrayLike<number>): Float64Array {
  const m = tJack.length;
  let mean = 0;
  for (let i = 0; i < m; i++) mean += tJack[i];
  mean /= m;
  return Float64Array.from(tJack, (v) => (m - 1) * (mean - v));
}

export interface BootCi {
  lower: number | null;
  upper: number | null;
  /** why a bound is null, or a note on the interval (boot's warnings) */
  warnings: string[];
}

/**
 * One statistic's interval of the given type at `level`, from its estimate t₀ and replicates t
 * (non-finite ones left out). bca needs the influence values L. Null bounds (with a warning) where
 * boot.ci stops: no finite replicate, all replicates equal, or BCa's w infinite (t₀ outside the
 * replicates' range: every replicate on one side of it).
 */
export function bootCi(t0: number, t: ArrayLike<number>, type: BootType, level: number, L?: ArrayLike<number>): BootCi {
  const v = Array.from(t).filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const R = v.length;
  const warnings: string[] = [];
  const none = (why: string): BootCi => ({ lower: null, upper: null, warnings: [why] });
  if (R === 0) return none('no finite bootstrap replicate');
  if (v[R - 1] - v[0] === 0) return none(`all bootstrap replicates equal ${v[0]}: no interval`);
  let extreme = false;
  const q = (a: number) => normInter(v, a, () => { extreme = true; });
  const lo = (1 - level) / 2, hi = (1 + level) / 2;
  let lower: number, upper: number;
  if (type === 'perc') {
    [lower, upper] = [q(lo), q(hi)];
  } else if (type === 'basic') {
    [lower, upper] = [2 * t0 - q(hi), 2 * t0 - q(lo)];
  } else if (type === 'norm') {
    let mean = 0;
    for (const x of v) mean += x;
    mean /= R;
    let ss = 0;
    for (const x of v) ss += (x - mean) ** 2;
    const merr = Math.sqrt(ss / (R - 1)) * qnorm(hi);
    const bias = mean - t0;
    [lower, upper] = [t0 - bias - merr, t0 - bias + merr];
  } else {
    if (!L) throw new OptionError('type', 'BCa intervals need influence values (the jackknife)');
    let below = 0;
    for (const x of v) if (x < t0) below++;
    const w = qnorm(below / R);
    if (!Number.isFinite(w)) return none(`BCa's bias correction is infinite: ${below === 0 ? 'no' : 'every'} replicate is below the estimate ${t0}`);
    const a = acceleration(L);
    if (!Number.isFinite(a)) return none("BCa's acceleration is not finite: the jackknife values do not vary");
    const adj = (z: number) => pnorm(w + (w + z) / (1 - a * (w + z)));
    [lower, upper] = [q(adj(qnorm(lo))), q(adj(qnorm(hi)))];
  }
  if (extreme) warnings.push('extreme order statistics used as endpoints');
  return { lower, upper, warnings };
}
