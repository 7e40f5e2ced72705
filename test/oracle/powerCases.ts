/**
 * The power-analysis cases of test/inference/powerSim.test.ts: each an lmer fit (formula, data,
 * factors, REML) or a glmer fit (family) simulated from with `fixef`/`sigma` changed, nsim replicates from `seed`, and the
 * tests (simr's methods) on term `test`. exportPowerResponses.ts writes the simulated responses
 * for test/oracle/power.R, which refits each in R and writes the p-values.
 */
export interface PowerCase {
  name: string;
  data: string;
  formula: string;
  factors: string[];
  reml: boolean;
  /** a glmer fit's family (binomial: the response cbind(incidence, size - incidence)) */
  family?: 'binomial';
  test: string;
  methods: ('t' | 'kr' | 'lr' | 'z' | 'f')[];
  fixef: Record<string, number>;
  sigma?: number;
  nsim: number;
  seed: number;
}

export const POWER_CASES: PowerCase[] = [
  // simr's usual example: the slope made smaller (10.47 → 2) so that the power is moderate
  {
    name: 'sleepstudy_days', data: 'sleepstudy.csv', formula: 'Reaction ~ Days + (Days | Subject)', factors: ['Subject'], reml: true,
    test: 'Days', methods: ['t', 'kr', 'lr', 'z', 'f'], fixef: { Days: 2 }, nsim: 20, seed: 1,
  },
  // σ changed too, a random intercept only
  {
    name: 'sleepstudy_sigma', data: 'sleepstudy.csv', formula: 'Reaction ~ Days + (1 | Subject)', factors: ['Subject'], reml: true,
    test: 'Days', methods: ['t', 'kr', 'lr'], fixef: { Days: 3 }, sigma: 40, nsim: 20, seed: 7,
  },
  // a factor of 3 levels: its whole term, by the likelihood ratio and lmerTest's type-2 F
  {
    name: 'factor_B', data: 'modcomp_2x3.csv', formula: 'y ~ A + B + (1 | g)', factors: ['A', 'B', 'g'], reml: true,
    test: 'B', methods: ['lr', 'f', 'kr'], fixef: { Bb2: 0.3, Bb3: -0.2 }, nsim: 20, seed: 3,
  },
  // glmer (simr's glmerMod tests): cbpp's period, the whole factor by the likelihood ratio (simr's
  // default for a factor) and one coefficient by its z test (the default for a glmer coefficient)
  {
    name: 'cbpp_period', data: 'cbpp.csv', formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', factors: ['herd', 'period'], reml: false,
    family: 'binomial', test: 'period', methods: ['lr'], fixef: { period2: -0.5, period3: -0.6, period4: -0.9 }, nsim: 20, seed: 5,
  },
  {
    name: 'cbpp_period2', data: 'cbpp.csv', formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', factors: ['herd', 'period'], reml: false,
    family: 'binomial', test: 'period2', methods: ['z'], fixef: { period2: -0.5 }, nsim: 20, seed: 6,
  },
];
