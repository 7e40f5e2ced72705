/**
 * DHARMa's testOutliers (DHARMa 0.5.0): simulation outliers are observations outside the simulation
 * envelope (scaled residual 0 or 1). `type`:
 *   'default'    binomial for a continuous response or more than 500 observations, else bootstrap
 *   'binomial'   o = #{resᵢ < 1/(S + 1)} + #{resᵢ > 1 − 1/(S + 1)} (margin 'both'; 'lower' or 'upper' one
 *                of them) against Binomial(n, p₀), p₀ = (1 or 2)/(S + 1): R's binom.test(o, n, p₀, alternative)
 *                (src/stats/binomTest.ts) with its Clopper–Pearson interval and the estimate o/n
 *   'bootstrap'  the outlier frequency f = mean(resᵢ = 0) + mean(resᵢ = 1) against its null distribution:
 *                for b = 1 … B (B = nBoot, at most S) simulation b plays the observation, compared with S
 *                simulations drawn with replacement from the other S − 1 (its PIT residuals are 0 or 1
 *                exactly where it lies below or above all of them); p = getP(f*, f, alternative), the interval
 *                R's quantile(f*, c(0.025, 0.975)) (type 7), the statistic f n, the expected frequency mean(f*).
 * The bootstrap's draws are counter-based: draw k of replicate b is index ⌊U (S − 1)⌋ of the other
 * simulations, U = uniform(b, STREAM_OUTLIER_BOOT, k) — a pure function of the seed.
 */
import { OptionError } from '../errors/errors.js';
import type { CounterNormal } from '../model/random.js';
import { BINOM_ALTERNATIVES, binomTestP } from '../stats/binomTest.js';
import { clopperPearson } from '../inference/clopperPearson.js';
import { quantile7 } from '../frame/basis/bspline.js';
import type { HTest } from './htest.js';
import { type SimAlternative, checkSimAlternative, meanR, simulationP } from './simulationTest.js';

export const STREAM_OUTLIER_BOOT = 0x44480002;
export const OUTLIER_MARGINS = ['both', 'upper', 'lower'] as const;
export type OutlierMargin = (typeof OUTLIER_MARGINS)[number];
export const OUTLIER_TYPES = ['default', 'bootstrap', 'binomial'] as const;
export type OutlierType = (typeof OUTLIER_TYPES)[number];

export interface OutlierOptions {
  alternative?: SimAlternative;
  margin?: OutlierMargin;
  type?: OutlierType;
  /** the bootstrap's replicates (default 100; at most nsim) */
  nBoot?: number;
}

/** what the outlier test reads of a DHARMa result */
export interface OutlierData {
  scaledResiduals: ArrayLike<number>;
  simulatedResponse: readonly ArrayLike<number>[];
  integerResponse: boolean;
}

export interface OutlierTest extends HTest {
  /** the type that ran ('binomial' or 'bootstrap') */
  type: 'binomial' | 'bootstrap';
  margin: OutlierMargin;
  /** the number of outliers (binomial) or the frequency times n (bootstrap) */
  outliers: number;
  /** the bootstrap's outlier frequencies f*_b, and the replicates' draws (index of the simulations used, 0-based) */
  bootstrap?: { frequencies: Float64Array; nBoot: number };
  messages: string[];
}

function checkOneOf<T extends string>(v: unknown, allowed: readonly T[], name: string): T | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw new OptionError(name, `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}, not ${JSON.stringify(v)}`);
  return v as T;
}

/** the bootstrap's resample of replicate b (0-based): S indices drawn from the simulations other than b */
export function outlierBootIndices(rng: CounterNormal, b: number, S: number): Int32Array {
  const sel = new Int32Array(S);
  for (let k = 0; k < S; k++) {
    const j = Math.min(S - 2, Math.floor(rng.uniform(b, STREAM_OUTLIER_BOOT, k) * (S - 1)));
    sel[k] = j < b ? j : j + 1;
  }
  return sel;
}

/** testOutliers(simulationOutput, alternative, margin, type, nBoot) (header) */
export function outlierTest(d: OutlierData, options: OutlierOptions, rng: CounterNormal, dataName = 'simulationOutput'): OutlierTest {
  const alternative = checkSimAlternative(options.alternative);
  const margin = checkOneOf(options.margin, OUTLIER_MARGINS, 'margin') ?? 'both';
  const requested = checkOneOf(options.type, OUTLIER_TYPES, 'type') ?? 'default';
  const res = d.scaledResiduals;
  const n = res.length, S = d.simulatedResponse.length;
  const type = requested !== 'default' ? requested : !d.integerResponse || n > 500 ? 'binomial' : 'bootstrap';
  const messages: string[] = [];
  if (type === 'binomial') {
    let lo = 0, hi = 0;
    for (let i = 0; i < n; i++) {
      if (res[i] < 1 / (S + 1)) lo++;
      if (res[i] > 1 - 1 / (S + 1)) hi++;
    }
    const outliers = margin === 'both' ? lo + hi : margin === 'upper' ? hi : lo;
    const p0 = (1 / (S + 1)) * (margin === 'both' ? 2 : 1);
    if (!(BINOM_ALTERNATIVES as readonly string[]).includes(alternative)) throw new OptionError('alternative', `unknown alternative ${alternative}`);
    const pValue = binomTestP(outliers, n, p0, alternative);
    // binom.test's interval: two-sided Clopper–Pearson, or one-sided [0, upper] / [lower, 1] at 95%
    const confInt = alternative === 'two.sided'
      ? (([lower, upper]) => ({ lower, upper }))(clopperPearson(outliers, n, 0.95))
      : alternative === 'less'
        ? { lower: 0, upper: clopperPearson(outliers, n, 0.9)[1] }
        : { lower: clopperPearson(outliers, n, 0.9)[0], upper: 1 };
    if (d.integerResponse && pValue < 0.05) messages.push("DHARMa:testOutliers with type = binomial may have inflated Type I error rates for integer-valued distributions. To get a more exact result, it is recommended to re-run testOutliers with type = 'bootstrap'. See ?testOutliers for details");
    return {
      method: 'DHARMa outlier test based on exact binomial test with approximate expectations', dataName,
      statistic: { name: `outliers at ${margin} margin(s)`, value: outliers },
      parameter: { name: 'observations', value: n }, pValue, alternative,
      nullValue: { name: 'probability of success', value: p0 },
      estimate: { name: `frequency of outliers (expected: ${rNumber(p0)} )`, value: outliers / n },
      confInt: { ...confInt, level: 0.95 }, type, margin, outliers, messages,
    };
  }
  // bootstrap
  const count = (r: ArrayLike<number>) => {
    let z = 0, o = 0;
    for (let i = 0; i < r.length; i++) { if (r[i] === 0) z++; else if (r[i] === 1) o++; }
    const m = r.length;
    return margin === 'both' ? o / m + z / m : margin === 'upper' ? o / m : z / m;
  };
  const outliers = count(res);
  let nBoot = options.nBoot ?? 100;
  if (!(Number.isInteger(nBoot) && nBoot >= 1)) throw new OptionError('nBoot', `nBoot must be a whole number ≥ 1, not ${JSON.stringify(options.nBoot)}`);
  if (S < 2) throw new OptionError('nsim', 'the bootstrapped outlier test needs at least 2 simulations');
  if (nBoot > S) {
    messages.push('DHARMa::testOutliers: nBoot > nSim does not make much sense, thus changed to nBoot = nSim. If you want to increase nBoot, increase nSim in DHARMa::simulateResiduals as well.');
    nBoot = S;
  }
  const frequencies = new Float64Array(nBoot);
  const bootRes = new Float64Array(n);
  for (let b = 0; b < nBoot; b++) {
    const sel = outlierBootIndices(rng, b, S);
    const y = d.simulatedResponse[b];
    // the PIT residual of simulation b against the resample is 0 (all above) or 1 (all below) exactly there
    for (let i = 0; i < n; i++) {
      let below = 0, above = 0;
      for (let k = 0; k < S; k++) {
        const s = d.simulatedResponse[sel[k]][i];
        if (s < y[i]) below++;
        else if (s > y[i]) above++;
      }
      bootRes[i] = below === S ? 1 : above === S ? 0 : 0.5;
    }
    frequencies[b] = count(bootRes);
  }
  const [lower, upper] = quantile7(frequencies, [0.025, 0.975]);
  return {
    method: 'DHARMa bootstrapped outlier test', dataName,
    statistic: { name: `outliers at ${margin} margin(s)`, value: outliers * n },
    parameter: { name: 'observations', value: n },
    pValue: simulationP(frequencies, outliers, alternative), alternative,
    estimate: { name: `outlier frequency (expected: ${rNumber(meanR(frequencies))} )`, value: outliers },
    confInt: { lower, upper, level: 0.95 }, type, margin, outliers: outliers * n,
    bootstrap: { frequencies, nBoot }, messages,
  };
}

/** R's as.character(x) of a double (15 significant digits, trailing zeros dropped), as paste() writes it */
export function rNumber(x: number): string {
  if (Number.isInteger(x)) return String(x);
  const s = x.toPrecision(15);
  const [mant, exp] = s.split('e');
  const m = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant;
  if (exp === undefined) return m;
  const e = Number(exp);
  return `${m}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}
