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
  /** simr's fixed(test, method): 'anova' is lmerTest's type-2 F (simr's fixed(x, "anova")), 'f' and 'chisq' car's Anova */
  methods: ('t' | 'kr' | 'lr' | 'z' | 'f' | 'anova' | 'chisq')[];
  /** simr's model comparisons on the same responses: compare, fcompare or rcompare with a formula, and the method */
  compares?: { kind: 'compare' | 'fcompare' | 'rcompare'; formula: string; method: 'lr' | 'kr' }[];
  /**
   * fixed(test, "pb") — or, with `compare`, simr's comparison by "pb" — on the first nsim replicates,
   * pbnsim bootstrap simulations each (their responses exported too)
   */
  pb?: { nsim: number; pbnsim: number; compare?: { kind: 'compare' | 'fcompare' | 'rcompare'; formula: string } };
  fixef: Record<string, number>;
  sigma?: number;
  nsim: number;
  seed: number;
}

export const POWER_CASES: PowerCase[] = [
  // simr's usual example: the slope made smaller (10.47 → 2) so that the power is moderate
  {
    name: 'sleepstudy_days', data: 'sleepstudy.csv', formula: 'Reaction ~ Days + (Days | Subject)', factors: ['Subject'], reml: true,
    test: 'Days', methods: ['t', 'kr', 'lr', 'z', 'anova', 'chisq', 'f'], fixef: { Days: 2 }, nsim: 20, seed: 1,
    compares: [{ kind: 'rcompare', formula: '~ (1 | Subject)', method: 'lr' }, { kind: 'fcompare', formula: '~ 1', method: 'kr' }, { kind: 'fcompare', formula: '~ 1', method: 'lr' }],
    pb: { nsim: 3, pbnsim: 20, compare: { kind: 'rcompare', formula: '~ (1 | Subject)' } },
  },
  // σ changed too, a random intercept only
  {
    name: 'sleepstudy_sigma', data: 'sleepstudy.csv', formula: 'Reaction ~ Days + (1 | Subject)', factors: ['Subject'], reml: true,
    test: 'Days', methods: ['t', 'kr', 'lr'], fixef: { Days: 3 }, sigma: 40, nsim: 20, seed: 7, pb: { nsim: 4, pbnsim: 20 },
  },
  // a factor of 3 levels: its whole term, by the likelihood ratio and lmerTest's type-2 F
  {
    name: 'factor_B', data: 'modcomp_2x3.csv', formula: 'y ~ A + B + (1 | g)', factors: ['A', 'B', 'g'], reml: true,
    test: 'B', methods: ['lr', 'anova', 'kr', 'chisq', 'f'], fixef: { Bb2: 0.3, Bb3: -0.2 }, nsim: 20, seed: 3,
    compares: [{ kind: 'compare', formula: '. ~ . - B', method: 'lr' }],
  },
  // car's type-II tests of a main effect under an interaction (its hypothesis V-orthogonal to A:B's: Var(β̂) for chisq, Φ_A for f)
  {
    name: 'interaction_A', data: 'modcomp_2x3.csv', formula: 'y ~ A * B + (1 | g)', factors: ['A', 'B', 'g'], reml: true,
    test: 'A', methods: ['chisq', 'f'], fixef: { Aa2: 0.4 }, nsim: 10, seed: 4,
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
