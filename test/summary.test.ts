/**
 * The lme4-style summary text, from fit-shaped objects built from lme4's reference numbers (no
 * numerical core involved): the text should be what lme4 1.1-31's print(summary(fit)) prints.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { abbreviate, deparseCall, deparseFormula, formatR, makeUnique, roundR, zapsmall } from '../src/results/rFormat.js';
import { quantile7 } from '../src/frame/basis/bspline.js';
import { formatSummary, type SummarySource } from '../src/lmm/summary.js';
import { type ReferenceCase, loadReference } from './helpers/reference.js';

const fixtures = join(import.meta.dirname, 'fixtures');

/** a reference fit with the two fields the summary also prints */
type Ref = ReferenceCase & { df: number; feval: number };

function loadRef(name: string): Ref {
  return loadReference(name) as Ref;
}

/** sleepstudy's columns, read directly (quoted strings, numbers) */
function sleepstudy(): { reaction: number[]; days: number[]; subject: string[] } {
  const lines = readFileSync(join(fixtures, 'data', 'sleepstudy.csv'), 'utf8').trim().split(/\r?\n/).slice(1);
  const rows = lines.map((l) => l.split(',').map((c) => c.replace(/^"|"$/g, '')));
  return { reaction: rows.map((r) => Number(r[0])), days: rows.map((r) => Number(r[1])), subject: rows.map((r) => r[2]) };
}

/** y − Xβ̂ − Zb̂ for the Days | Subject model from lme4's estimates and conditional modes */
function sleepstudyResiduals(ref: Ref): Float64Array {
  const { reaction, days, subject } = sleepstudy();
  const re = ref.ranef[0];
  const b0 = ref.fixef['(Intercept)'];
  const b1 = ref.fixef.Days;
  return Float64Array.from(reaction, (y, i) => {
    const g = re.levels.indexOf(subject[i]);
    return y - (b0 + re.values['(Intercept)'][g] + (b1 + re.values.Days[g]) * days[i]);
  });
}

function fakeFit(ref: Ref, residuals: Float64Array, extra: Partial<SummarySource> = {}): SummarySource {
  const s2 = ref.sigma * ref.sigma;
  const icpt = ref.varcorr.filter((r) => r.var1 === '(Intercept)' && r.var2 === null);
  const total = icpt.reduce((s, r) => s + r.vcov, 0) + s2;
  const objective = ref.reml ? ref.remlcrit! : ref.deviance!;
  return {
    reml: ref.reml,
    formula: ref.formula,
    dataName: 'sleepstudy',
    objective,
    logLik: ref.loglik,
    AIC: ref.aic,
    BIC: ref.bic,
    df: ref.df,
    nobs: ref.nobs,
    sigma: ref.sigma,
    pearsonResiduals: residuals,
    varCorr: ref.varcorr,
    ngroups: ref.ngroups,
    fixef: ref.fixef,
    se: ref.se,
    vcov: ref.vcov,
    messages: [],
    varianceShares: [...icpt.map((r) => ({ group: r.group, variance: r.vcov, share: r.vcov / total })), { group: 'Residual', variance: s2, share: s2 / total }],
    backend: { name: 'cpu', device: 'CPU (JavaScript, float64)', precision: 'float64' },
    feval: ref.feval,
    converged: true,
    optimizerMessage: 'converged',
    ...extra,
  };
}

describe('formatSummary (sleepstudy, REML)', () => {
  const ref = loadRef('sleepstudy_slopes_reml');
  const resid = sleepstudyResiduals(ref);

  it('reconstructs lme4\'s residuals', () => {
    ref.resid_head.forEach((r, i) => expect(resid[i]).toBeCloseTo(r, 8));
  });

  const text = formatSummary(fakeFit(ref, resid));
  const lines = text.split('\n');

  it('prints lme4\'s summary character for character', () => {
    const expected = [
      "Linear mixed model fit by REML ['lmerMod']",
      'Formula: Reaction ~ Days + (Days | Subject)',
      '   Data: sleepstudy',
      '',
      'REML criterion at convergence: 1743.6',
      '',
      'Scaled residuals: ',
      '    Min      1Q  Median      3Q     Max ',
      '-3.9536 -0.4634  0.0231  0.4634  5.1793 ',
      '',
      'Random effects:',
      ' Groups   Name        Variance Std.Dev. Corr',
      ' Subject  (Intercept) 612.10   24.741       ',
      '          Days         35.07    5.922   0.07',
      ' Residual             654.94   25.592       ',
      'Number of obs: 180, groups:  Subject, 18',
      '',
      'Fixed effects:',
      '            Estimate Std. Error t value',
      '(Intercept)  251.405      6.825  36.838',
      'Days          10.467      1.546   6.771',
      '',
      'Correlation of Fixed Effects:',
      '     (Intr)',
      'Days -0.138',
    ];
    expect(lines.slice(0, expected.length)).toEqual(expected);
  });

  it('key lines', () => {
    expect(lines[0]).toBe("Linear mixed model fit by REML ['lmerMod']");
    expect(text).toContain('REML criterion at convergence: 1743.6\n');
    expect(text).toMatch(/^ Subject +\(Intercept\) 612\.10 +24\.741/m);
    expect(text).toMatch(/^ +Days +35\.07 +5\.922 +0\.07$/m);
    expect(text).toMatch(/^ Residual +654\.94 +25\.592/m);
    expect(text).toMatch(/^\(Intercept\) +251\.405 +6\.825 +36\.838$/m);
    expect(text).toMatch(/^Days +10\.467 +1\.546 +6\.771$/m);
    expect(text).toMatch(/^Days -0\.138$/m);
  });

  it('ends with the variance shares and the backend line, after lme4\'s part', () => {
    expect(lines[lines.length - 3]).toBe('');
    expect(lines[lines.length - 2]).toBe('Variance shares (intercept variances and residual): Subject 48.3%, Residual 51.7%');
    expect(lines[lines.length - 1]).toBe('Backend: cpu (CPU (JavaScript, float64)); 43 evaluations; converged');
  });

  it('omits the Data line without a data name', () => {
    expect(formatSummary(fakeFit(ref, resid, { dataName: undefined }))).not.toContain('Data:');
  });
});

describe('formatSummary (sleepstudy, ML)', () => {
  const ref = loadRef('sleepstudy_slopes_ml');
  const text = formatSummary(fakeFit(ref, sleepstudyResiduals(ref)));
  const lines = text.split('\n');

  it('prints the ML title and the AIC table', () => {
    expect(lines[0]).toBe("Linear mixed model fit by maximum likelihood  ['lmerMod']");
    expect(lines.slice(3, 7)).toEqual([
      '',
      '     AIC      BIC   logLik deviance df.resid ',
      '  1763.9   1783.1   -876.0   1751.9      174 ',
      '',
    ]);
    expect(text).not.toContain('REML criterion');
  });

  it('prints the ML variance components and fixed effects', () => {
    expect(text).toContain([
      ' Groups   Name        Variance Std.Dev. Corr',
      ' Subject  (Intercept) 565.48   23.780       ',
      '          Days         32.68    5.717   0.08',
      ' Residual             654.95   25.592       ',
    ].join('\n'));
    expect(text).toContain([
      '            Estimate Std. Error t value',
      '(Intercept)  251.405      6.632  37.907',
      'Days          10.467      1.502   6.968',
    ].join('\n'));
  });
});

describe('formatSummary layouts', () => {
  const base = loadRef('sleepstudy_slopes_reml');
  const resid = sleepstudyResiduals(base);

  it('names a second term on the same factor Subject.1', () => {
    const ref = loadRef('sleepstudy_uncorrelated_reml');
    const text = formatSummary(fakeFit(ref, resid));
    expect(text).toContain([
      'Random effects:',
      ' Groups    Name        Variance Std.Dev.',
      ' Subject   (Intercept) 627.57   25.051  ',
      ' Subject.1 Days         35.86    5.988  ',
      ' Residual              653.58   25.565  ',
      'Number of obs: 180, groups:  Subject, 18',
    ].join('\n'));
  });

  it('prints Penicillin\'s crossed factors and no fixed-effects correlation for p = 1', () => {
    const ref = loadRef('penicillin_crossed_reml');
    const text = formatSummary(fakeFit(ref, new Float64Array([-1, 0, 1]), { dataName: 'Penicillin' }));
    expect(text).toContain('Formula: diameter ~ 1 + (1 | plate) + (1 | sample)\n   Data: Penicillin\n\nREML criterion at convergence: 330.9\n');
    expect(text).toContain([
      ' Groups   Name        Variance Std.Dev.',
      ' plate    (Intercept) 0.7169   0.8467  ',
      ' sample   (Intercept) 3.7311   1.9316  ',
      ' Residual             0.3024   0.5499  ',
      'Number of obs: 144, groups:  plate, 24; sample, 6',
      '',
      'Fixed effects:',
      '            Estimate Std. Error t value',
      '(Intercept)  22.9722     0.8086   28.41',
    ].join('\n'));
    expect(text).not.toContain('Correlation of Fixed Effects');
  });

  it('prints a q = 3 correlation block as a lower triangle', () => {
    const vc = [
      { group: 'g', var1: '(Intercept)', var2: null, vcov: 4, sdcor: 2 },
      { group: 'g', var1: 'x', var2: null, vcov: 1, sdcor: 1 },
      { group: 'g', var1: 'z', var2: null, vcov: 0.25, sdcor: 0.5 },
      { group: 'g', var1: '(Intercept)', var2: 'x', vcov: -1, sdcor: -0.5 },
      { group: 'g', var1: '(Intercept)', var2: 'z', vcov: 0.25, sdcor: 0.25 },
      { group: 'g', var1: 'x', var2: 'z', vcov: 0.06, sdcor: 0.123 },
      { group: 'Residual', var1: null, var2: null, vcov: 1, sdcor: 1 },
    ];
    const text = formatSummary(fakeFit(base, resid, { varCorr: vc, sigma: 1, ngroups: { g: 10 } }));
    expect(text).toContain([
      ' Groups   Name        Variance Std.Dev. Corr       ',
      ' g        (Intercept) 4.00     2.0                 ',
      '          x           1.00     1.0      -0.50      ',
      '          z           0.25     0.5       0.25  0.12',
      ' Residual             1.00     1.0                 ',
    ].join('\n'));
  });

  it('abbreviates the fixed-effects correlation labels and lays out the lower triangle', () => {
    const fixef = { '(Intercept)': 1, Days: 2, 'I(Days^2)': 3 };
    const se = { '(Intercept)': 0.5, Days: 0.25, 'I(Days^2)': 0.125 };
    const vcov = [[0.25, -0.05, 0.01], [-0.05, 0.0625, -0.02], [0.01, -0.02, 0.015625]];
    const text = formatSummary(fakeFit(base, resid, { fixef, se, vcov }));
    expect(text).toContain([
      'Correlation of Fixed Effects:',
      '          (Intr) Days  ',
      'Days      -0.400       ',
      'I(Days^2)  0.160 -0.640',
    ].join('\n'));
  });

  it('prints a note instead of the correlation matrix for p > 12', () => {
    const names = Array.from({ length: 13 }, (_, i) => (i === 0 ? '(Intercept)' : `x${i}`));
    const fixef = Object.fromEntries(names.map((n, i) => [n, i + 1]));
    const se = Object.fromEntries(names.map((n) => [n, 1]));
    const vcov = names.map((_, i) => names.map((__, j) => (i === j ? 1 : 0)));
    const text = formatSummary(fakeFit(base, resid, { fixef, se, vcov }));
    expect(text).not.toContain('Correlation of Fixed Effects');
    expect(text).toContain('Correlation matrix not shown by default, as p = 13 > 12.');
  });

  it('prints the singular-fit message as lme4 does, then our lines', () => {
    const text = formatSummary(fakeFit(base, resid, { messages: ["boundary (singular) fit: see help('isSingular')"] }));
    expect(text).toContain("Days -0.138\noptimizer (bobyqa) convergence code: 0 (OK)\nboundary (singular) fit: see help('isSingular')\n\nVariance shares");
  });

  it('lists rank-deficiency messages under "fit warnings:"', () => {
    const msg = 'fixed-effect model matrix is rank deficient so dropping 1 column / coefficient (x2)';
    const text = formatSummary(fakeFit(base, resid, { messages: [msg] }));
    expect(text).toContain(`fit warnings:\n${msg}\n`);
    expect(text).not.toContain('convergence code');
  });

  it('reports a fit that did not converge', () => {
    const text = formatSummary(fakeFit(base, resid, { converged: false, optimizerMessage: 'maxfun reached', messages: ['optimizer did not converge: maxfun reached'] }));
    expect(text).toContain('optimizer (bobyqa) convergence code: 1 (maxfun reached)\noptimizer did not converge: maxfun reached\n');
    expect(text.endsWith('evaluations; not converged')).toBe(true);
  });
});

describe('scaled residuals (zapsmall as in R 4.2)', () => {
  const base = loadRef('sleepstudy_slopes_reml');
  /** the three lines after "Scaled residuals: " for these residuals (σ = 1) */
  const residualLines = (r: number[]) => {
    const lines = formatSummary(fakeFit(base, Float64Array.from(r), { sigma: 1 })).split('\n');
    const at = lines.indexOf('Scaled residuals: ');
    return lines.slice(at, at + 3);
  };

  // expected: lme4:::.prt.resids(x, digits = 4) in R 4.2.2
  it('keeps four decimals when the largest |residual| is between 10 and 31.6', () => {
    expect(residualLines([-12.3456789, -0.61234567, 0.01234567, 0.51234567, 2.3456789, 1.1, -0.3])).toEqual([
      'Scaled residuals: ',
      '     Min       1Q   Median       3Q      Max ',
      '-12.3457  -0.4562   0.0123   0.8062   2.3457 ',
    ]);
    expect(residualLines([-31.5, -0.512345678, 0.0123456789, 0.4123456789, 1.23456789])).toEqual([
      'Scaled residuals: ',
      '     Min       1Q   Median       3Q      Max ',
      '-31.5000  -0.5123   0.0123   0.4123   1.2346 ',
    ]);
  });

  it('drops to three decimals above 10^1.5', () => {
    expect(residualLines([-32, -0.512345678, 0.0123456789, 0.4123456789, 1.23456789])).toEqual([
      'Scaled residuals: ',
      '    Min      1Q  Median      3Q     Max ',
      '-32.000  -0.512   0.012   0.412   1.235 ',
    ]);
  });

  it('keeps five decimals when the largest |residual| is between 1 and 3.16', () => {
    expect(residualLines([-2.12345678, -0.512345678, 0.0123456789, 0.4123456789, 1.23456789])).toEqual([
      'Scaled residuals: ',
      '     Min       1Q   Median       3Q      Max ',
      '-2.12346 -0.51235  0.01235  0.41235  1.23457 ',
    ]);
  });
});

describe('R formatting helpers', () => {
  it('format() like R', () => {
    expect(formatR([612.100158, 35.0717145, 654.940008], 4)).toEqual(['612.10', ' 35.07', '654.94']);
    expect(formatR([1, 10, 100], 7)).toEqual(['  1', ' 10', '100']);
    expect(formatR([100000], 7)).toEqual(['1e+05']);
    expect(formatR([123456], 7)).toEqual(['123456']);
    expect(formatR([1234567.1], 7)).toEqual(['1234567']);
    expect(formatR([0.001234, 123.4], 4)).toEqual(['1.234e-03', '1.234e+02']);
    expect(formatR([9996], 3)).toEqual(['9996']);
    expect(formatR([-1.5, NaN], 7)).toEqual(['-1.5', ' NaN']);
    expect(formatR([1, 0.07], 7, 2)).toEqual(['1.00', '0.07']);
  });

  it("round() like R 4's (fround: nearer of the two candidates in doubles, ties to even)", () => {
    // R 4.2.2: round(c(0.45, -0.45, 0.55, 2.675, 0.285, 1.005), c(1, 1, 1, 2, 2, 2))
    expect(roundR(0.45, 1)).toBe(0.4); // the decimal closest to 0.45 (…0111) would be 0.5
    expect(roundR(-0.45, 1)).toBe(-0.4);
    expect(roundR(0.55, 1)).toBe(0.6);
    expect(roundR(2.675, 2)).toBe(2.67);
    expect(roundR(0.285, 2)).toBe(0.28);
    expect(roundR(1.005, 2)).toBe(1);
    expect(roundR(2.5, 0)).toBe(2);
    expect(roundR(0.125, 2)).toBe(0.12);
    expect(roundR(0.15, 1)).toBe(0.1);
    expect(roundR(1743.62827, 1)).toBe(1743.6);
  });

  it('zapsmall() like R 4.2 (round to the nearest number of digits)', () => {
    // R 4.2.2: zapsmall(x, 5)
    expect(zapsmall([12.3456789, 1.23456789], 5)).toEqual([12.3457, 1.2346]);
    expect(zapsmall([31.5, 1.23456789], 5)).toEqual([31.5, 1.2346]);
    expect(zapsmall([31.7, 1.23456789], 5)).toEqual([31.7, 1.235]);
    expect(zapsmall([2.5, 0.123456789], 5)).toEqual([2.5, 0.12346]);
    expect(zapsmall([3.5, 0.123456789], 5)).toEqual([3.5, 0.1235]);
    expect(zapsmall([0.2, 0.0123456789], 5)).toEqual([0.2, 0.012346]);
    expect(zapsmall([0.5, 0.0123456789], 5)).toEqual([0.5, 0.01235]);
    expect(zapsmall([150.123456, 1.23456789], 5)).toEqual([150.123, 1.235]);
    expect(zapsmall([0, 0], 5)).toEqual([0, 0]);
    expect(zapsmall([NaN, 1.23456789, 15.123456789], 5)).toEqual([NaN, 1.2346, 15.1235]);
  });

  it('make.unique() like R 4.2 (a made name skips the names given)', () => {
    // R 4.2.2: make.unique(c("a","a","a.1")); make.unique(c("a","a.1","a")); make.unique(c("a","b","a","a","b"))
    expect(makeUnique(['a', 'a', 'a.1'])).toEqual(['a', 'a.2', 'a.1']);
    expect(makeUnique(['a', 'a.1', 'a'])).toEqual(['a', 'a.1', 'a.2']);
    expect(makeUnique(['a', 'b', 'a', 'a', 'b'])).toEqual(['a', 'b', 'a.1', 'a.2', 'b.1']);
  });

  it('quantile(type = 7)', () => {
    expect(quantile7([4, 1, 3, 2], [0, 0.25, 0.5, 0.75, 1])).toEqual([1, 1.75, 2.5, 3.25, 4]);
  });

  it('abbreviate() like R', () => {
    expect(abbreviate(['(Intercept)', 'Days'], 6)).toEqual(['(Intr)', 'Days']);
    expect(abbreviate(['(Intercept)', 'Days'], 11)).toEqual(['(Intercept)', 'Days']);
    expect(abbreviate(['I(Days^2)', 'treatmentB'], 6)).toEqual(['I(D^2)', 'trtmnB']);
  });

  it('deparse() spacing of formulas', () => {
    expect(deparseFormula('Reaction~Days+(Days|Subject)')).toEqual(['Reaction ~ Days + (Days | Subject)']);
    expect(deparseFormula('y ~ -1 + x*z + I(x^2) + log(w) + (1|a/b) + (0+x||g)')).toEqual(['y ~ -1 + x * z + I(x^2) + log(w) + (1 | a/b) + (0 + x || g)']);
    expect(deparseFormula('y ~ poly(x,2) + a:b')).toEqual(['y ~ poly(x, 2) + a:b']);
    // past 60 characters R's deparse breaks after a spaced operator or an argument's comma (R 4.2's output)
    expect(deparseFormula('y ~ cbind(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, ccc) + x'))
      .toEqual(['y ~ cbind(aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb, ', '    ccc) + x']);
    expect(deparseFormula('y ~ f(aaaaaaaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb(ccccccccccccccccccccccccccccc + ddddddddddddddddddddddddddddddddddd, eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee)) + x')).toEqual([
      'y ~ f(aaaaaaaaaaaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb(ccccccccccccccccccccccccccccc + ',
      '    ddddddddddddddddddddddddddddddddddd, eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee)) + ',
      '    x',
    ]);
  });

  it("deparse of a call as R prints it (deparseCall): the arguments' commas break too, an argument's = never", () => {
    // R 4.2: print(quote(lme.formula(fixed = yield ~ nitro + Variety, data = oats, random = ~1 | Block/Variety)))
    expect(deparseCall('lme.formula', [{ name: 'fixed', formula: 'yield ~ nitro + Variety' }, { name: 'data', code: 'oats' }, { name: 'random', formula: '~ 1 | Block/Variety' }]))
      .toEqual(['lme.formula(fixed = yield ~ nitro + Variety, data = oats, random = ~1 | ', '    Block/Variety)']);
    // print(quote(f(a = 1, bbbb…b = 2, c = 3, d = 4)))
    expect(deparseCall('f', [{ name: 'a', code: '1' }, { name: 'b'.repeat(55), code: '2' }, { name: 'c', code: '3' }, { name: 'd', code: '4' }]))
      .toEqual([`f(a = 1, ${'b'.repeat(55)} = 2, `, '    c = 3, d = 4)']);
    // print(quote(gls(model = y ~ x, data = d, correlation = corCompSymm(form = ~1 | Block)))): no break after "form = "
    expect(deparseCall('gls', [{ name: 'model', formula: 'yield ~ nitro + Variety' }, { name: 'data', code: 'oats' }, { name: 'correlation', formula: 'corCompSymm(form = ~1 | Block)' }]))
      .toEqual(['gls(model = yield ~ nitro + Variety, data = oats, correlation = corCompSymm(form = ~1 | ', '    Block))']);
  });
});
