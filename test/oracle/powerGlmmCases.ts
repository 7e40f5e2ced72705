/**
 * The glmer power-curve cases of test/inference/powerGlmmCurve.test.ts (simr's extend and powerCurve
 * of glmer fits): a glmer fit (formula, data, family, prior weights), optionally extended (simr's
 * extend along a grouping factor, or within one), then powerCurve along `along` at `breaks`, each
 * test (term, method) simulated with `fixef` set, nsim replicates from `seed`.
 * exportPowerGlmmResponses.ts writes the simulated responses (on the extended design's rows) for
 * test/oracle/power_glmm.R, which extends the data as simr does, refits each response on each
 * subset in R and writes the p-values.
 */
export interface PowerGlmmCase {
  name: string;
  data: string;
  formula: string;
  factors: string[];
  family: 'binomial' | 'poisson';
  /** a column of prior weights (binomial: the trials of a proportion response) */
  weights?: string;
  /** simr's extend before the curve: along a factor (n levels), or within a factor (n rows each) */
  extend?: { along?: string; within?: string; n: number };
  along: string;
  breaks: number[];
  tests: { term: string; method: 'z' | 'lr' }[];
  fixef: Record<string, number>;
  nsim: number;
  seed: number;
}

export const POWER_GLMM_CASES: PowerGlmmCase[] = [
  // cbind(successes, failures) trials, the curve along herd's sorted levels (no extension)
  {
    name: 'cbpp_curve', data: 'cbpp.csv', formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', factors: ['herd', 'period'],
    family: 'binomial', along: 'herd', breaks: [6, 15], tests: [{ term: 'period', method: 'lr' }, { term: 'period2', method: 'z' }],
    fixef: { period2: -0.8, period3: -0.9, period4: -1.2 }, nsim: 10, seed: 21,
  },
  // Poisson with an offset, extended along its grouping factor (12 sites → 16: a … p), the curve along the new levels
  {
    name: 'poisson_extend', data: 'poisson_offset.csv', formula: 'count ~ x + trt + offset(log(exposure)) + (1 | site)', factors: ['site', 'trt'],
    family: 'poisson', extend: { along: 'site', n: 16 }, along: 'site', breaks: [6, 16], tests: [{ term: 'x', method: 'z' }, { term: 'trt', method: 'lr' }],
    fixef: { x: 0.06 }, nsim: 10, seed: 22,
  },
  // a proportion with its trials as prior weights, every herd extended to 6 observations (simr's within)
  {
    name: 'cbpp_weights_within', data: 'cbpp.csv', formula: 'incidence / size ~ period + (1 | herd)', factors: ['herd', 'period'],
    family: 'binomial', weights: 'size', extend: { within: 'herd', n: 6 }, along: 'herd', breaks: [8, 15], tests: [{ term: 'period2', method: 'z' }],
    fixef: { period2: -0.4 }, nsim: 10, seed: 23,
  },
];
