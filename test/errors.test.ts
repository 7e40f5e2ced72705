/** Bad input gets a clear error that names the problem, never a wrong fit. */
import { describe, expect, it } from 'vitest';
import { lmer } from '../src/fit/lmer.js';
import { readCsv } from '../src/io/csv.js';
import { loadData, loadReference } from './helpers/reference.js';

const sleep = () => loadData({ data: '../data/sleepstudy.csv' });

function csv(text: string) {
  return readCsv(text).table;
}

describe('bad input', () => {
  it('a missing column names the column and lists the columns', async () => {
    await expect(lmer('Reaction ~ Dayz + (1 | Subject)', sleep(), { factors: ['Subject'] }))
      .rejects.toThrow(/column 'Dayz' not found in the data \(columns: Reaction, Days, Subject\)/);
    await expect(lmer('Reaction ~ Days + (1 | Subjekt)', sleep()))
      .rejects.toThrow(/column 'Subjekt' not found/);
    await expect(lmer('Reaction ~ Days + (1 | Subject)', sleep(), { factors: ['Nope'] }))
      .rejects.toThrow(/factors: column 'Nope' not found/);
  });

  it('a malformed formula points at the token', async () => {
    await expect(lmer('Reaction ~ Days + (1 | )', sleep())).rejects.toThrow(/expected a grouping factor after '\|'/);
    await expect(lmer('Reaction ~ Days +', sleep())).rejects.toThrow(/position/);
    await expect(lmer('Reaction ~ Days', sleep())).rejects.toThrow(/no random-effects terms/);
  });

  it('rows with null or NaN are dropped and counted (na.omit), and the fit equals the fit without them', async () => {
    const lines = ['y,x,g'];
    const clean = ['y,x,g'];
    let seed = 7;
    const rnd = () => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
    for (let i = 0; i < 60; i++) {
      const g = `g${i % 6}`;
      const x = (i % 10).toFixed(0);
      const y = (i % 6 + 0.3 * (i % 10) + rnd()).toFixed(4);
      clean.push(`${y},${x},${g}`);
      lines.push(`${y},${x},${g}`);
    }
    lines.push('NA,1,g1', '2.5,,g2', '3.1,4,', '1.2,NaN,g3');
    const fit = await lmer('y ~ x + (1 | g)', csv(lines.join('\n')));
    const ref = await lmer('y ~ x + (1 | g)', csv(clean.join('\n')));
    expect(fit.nobs).toBe(60);
    expect(fit.model.frame.nDropped).toBe(4);
    expect(fit.messages.join('\n')).toMatch(/4 of 64 rows dropped for missing values/);
    expect(fit.objective).toBeCloseTo(ref.objective, 10);
    expect(fit.toJSON().nobs_dropped).toBe(4);
  });

  it('a one-level grouping factor is an error naming the factor and its level', async () => {
    const t = csv('y,x,g\n1,1,a\n2,2,a\n3,3,a\n4,5,a\n');
    await expect(lmer('y ~ x + (1 | g)', t)).rejects.toThrow(/grouping factor 'g' has 1 level \('a'\)/);
  });

  it('as many levels as observations is an error', async () => {
    const t = csv('y,x,g\n1,1,a\n2,2,b\n3,3,c\n4,5,d\n');
    await expect(lmer('y ~ x + (1 | g)', t)).rejects.toThrow(/'g' has 4 levels for 4 observations/);
  });

  it('more random effects than observations is an error naming the term', async () => {
    // 3 groups × 2 effects = 6 ≥ 6 observations
    const t = csv('y,x,g\n1,1,a\n2,2,a\n3,3,b\n4,5,b\n2,1,c\n3,4,c\n');
    await expect(lmer('y ~ x + (x | g)', t)).rejects.toThrow(/term \(x \| g\): 6 random effects .* for 6 observations/);
  });

  it('all rows missing is an error with the row count', async () => {
    const t = csv('y,x,g\nNA,1,a\nNA,2,b\n');
    await expect(lmer('y ~ x + (1 | g)', t)).rejects.toThrow(/no complete rows: all 2 rows/);
  });

  it('a factor response is refused', async () => {
    const t = csv('y,x,g\na,1,a\nb,2,b\na,3,a\nb,2,b\n');
    await expect(lmer('y ~ x + (1 | g)', t)).rejects.toThrow(/response 'y' is a factor/);
  });

  it('a perfect fit (zero residual) is an error, not a wrong answer', async () => {
    const t = csv('y,x,g\n1,1,a\n2,2,a\n3,3,b\n4,4,b\n5,5,c\n6,6,c\n');
    await expect(lmer('y ~ x + (1 | g)', t)).rejects.toThrow(/residual sum of squares is zero .* fits the response .y. exactly/);
  });

  it('an empty CSV and a CSV without data rows are errors', () => {
    expect(() => readCsv('')).toThrow(/empty|header/i);
    expect(() => readCsv('y,x,g\n')).toThrow(/no data rows/);
  });

  it('rank-deficient fixed effects are dropped with lme4\'s message', async () => {
    const ref = loadReference('sleepstudy_slopes_reml');
    const lines = ['Reaction,Days,Days2,Subject'];
    const t0 = sleep();
    const R = t0.getChild('Reaction')!.toArray();
    const D = t0.getChild('Days')!.toArray();
    const S = t0.getChild('Subject')!.toArray();
    for (let i = 0; i < t0.numRows; i++) lines.push(`${R[i]},${D[i]},${2 * D[i]},${S[i]}`);
    const fit = await lmer('Reaction ~ Days + Days2 + (Days | Subject)', csv(lines.join('\n')), { factors: ['Subject'] });
    expect(Object.keys(fit.fixef)).toEqual(['(Intercept)', 'Days']);
    expect(fit.messages.join('\n')).toMatch(/rank deficient so dropping 1 column \/ coefficient \(Days2\)/);
    expect(fit.objective).toBeLessThanOrEqual(ref.remlcrit! + 1e-6);
  });
});
