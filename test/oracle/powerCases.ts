/**
 * The power-analysis cases of test/inference/powerSim.test.ts: each an lmer fit (formula, data,
 * factors, REML) simulated from with `fixef`/`sigma` changed, nsim replicates from `seed`, and the
 * tests (simr's methods) on term `test`. exportPowerResponses.ts writes the simulated responses
 * for test/oracle/power.R, which refits each in R and writes the p-values.
 */
export interface PowerCase {
  name: string;
  data: string;
  formula: string;
  factors: string[];
  reml: boolean;
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
];
