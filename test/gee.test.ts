/**
 * gee (src/gee/): geepack 1.3.9's geeglm against test/oracle/geepack.R's fixtures (test/fixtures/gee/),
 * fitted there and here with epsilon = 1e-12, maxit = 100 (geepack's defaults: 1e-4 on the largest
 * step of β, φ, α; 25 iterations — two cases run with those, checking the stopping rule). Tolerances: 1e-6 relative for the iterated estimates and their
 * variances (seen: ≤ 1e-12), Wald statistics likewise; p-values to 1e-10 absolute (geepack's 1 − pchisq).
 */
import { readFileSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { gee } from '../src/gee/gee.js';
import type { GeeFit } from '../src/gee/geeFit.js';
import { DataError, OptionError } from '../src/errors/errors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const J: any = JSON.parse(readFileSync('test/fixtures/gee/cases.json', 'utf8'));
const csv = (n: string) => readFileSync(`test/fixtures/gee/${n}.csv`, 'utf8');
const table = (n: string) => readCsv(csv(n), {}).table;
const arr = (x: unknown): number[] => (x === null || x === undefined ? [] : Array.isArray(x) ? x as number[] : [x as number]);

/** the rows of a data set that a case keeps (as the oracle subsets them) */
function caseTable(name: string): arrow.Table {
  const ds = name.split('_')[0];
  const t = table(ds);
  const keep = name === 'dietox_unstructured_small' ? (r: Record<string, unknown>) => (r.Time as number) <= 4
    : name === 'epil_ar1_singletons' ? (r: Record<string, unknown>) => !((r.subject as number) <= 3 && (r.period as number) > 1) : null;
  if (!keep) return t;
  const rows = t.toArray().map((r) => r.toJSON() as Record<string, unknown>).filter(keep);
  const names = t.schema.fields.map((f) => f.name);
  return new arrow.Table(Object.fromEntries(names.map((k) => [k, arrow.vectorFromArray(rows.map((r) => r[k]) as never, t.getChild(k)!.type)])));
}

function fitCase(name: string, data?: arrow.Table): GeeFit {
  const c = J.cases[name];
  return gee(c.formula, data ?? caseTable(name), {
    id: c.id, family: c.family, link: c.link, corstr: c.corstr, stdErr: c.std_err, ...(c.waves ? { waves: c.waves } : {}),
    scaleFix: c.scale_fix, ...(c.weights ? { weights: c.weights } : {}), epsilon: c.epsilon, maxit: c.maxit,
  });
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number, what: string): void {
  expect(got.length, what).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (Math.abs(want[i]) < 1e-14) expect(Math.abs(got[i]), `${what}[${i}]`).toBeLessThan(1e-12);
    else expect(rel(got[i], want[i]), `${what}[${i}]: ${got[i]} vs ${want[i]}`).toBeLessThan(tol);
  }
}
const flat = (m: number[][]) => m.flat();

const fits = new Map<string, GeeFit>();
const getFit = (name: string) => { let f = fits.get(name); if (!f) { f = fitCase(name); fits.set(name, f); } return f; };

describe('gee: geepack geeglm estimates and variances', () => {
  for (const name of Object.keys(J.cases)) {
    it(name, () => {
      const c = J.cases[name];
      const fit = getFit(name);
      expect(fit.converged).toBe(c.error === 0);
      expect(fit.nobs).toBe(c.nobs);
      expect(fit.clusterSizes).toEqual(arr(c.clusz));
      expect(fit.xnames).toEqual(arr(c.xnames));
      expectClose(fit.coefficients, arr(c.beta), 1e-6, 'beta');
      expectClose(flat(fit.vcovSandwich()), flat(c.vbeta), 1e-6, 'vbeta (san.se)');
      expectClose(flat(fit.vcovNaive()), flat(c.vbeta_naiv), 1e-6, 'vbeta.naiv');
      expectClose([fit.scale], arr(c.gamma), 1e-6, 'phi');
      expectClose(fit.alpha, arr(c.alpha), 1e-6, 'alpha');
      const jack = c.std_err === 'jack' ? 'ajs' : c.std_err;
      if (c.std_err !== 'san.se') {
        expectClose(flat(fit.vcov()), flat(c[`vbeta_${jack}`]), 1e-6, `vbeta.${jack}`);
      } else {
        expect(flat(fit.vcov())).toEqual(flat(fit.vcovSandwich()));
      }
      // summary's tables: the coefficients, the scale's and the correlation's estimates and std.err
      const tab = fit.coefTable();
      expectClose(tab.map((r) => r.estimate), arr(c.coef.Estimate), 1e-6, 'Estimate');
      expectClose(tab.map((r) => r.stdErr), arr(c.coef['Std.err']), 1e-6, 'Std.err');
      expectClose(tab.map((r) => r.wald), arr(c.coef.Wald), 1e-6, 'Wald');
      tab.forEach((r, j) => expect(Math.abs(r.p - arr(c.coef['Pr(>|W|)'])[j]), `p ${j}`).toBeLessThan(1e-10));
      if (!c.scale_fix) expectClose([Math.sqrt(fit.vcovScale()[0][0])], arr(c.dispersion['Std.err']), 1e-6, 'scale Std.err');
      if (arr(c.alpha).length) expectClose(fit.alpha.map((_, j) => Math.sqrt(fit.vcovAlpha()[j][j])), arr(c.corr['Std.err']), 1e-6, 'alpha Std.err');
      expectClose(fit.fitted(), arr(c.fitted), 1e-6, 'fitted');
      // print(summary(fit)) from its coefficient table on (the Call differs: R's shows the oracle's variables)
      const want: string[] = c.printout;
      const got = fit.summary().split('\n');
      expect(got.slice(got.indexOf(' Coefficients:'))).toEqual(want.slice(want.indexOf(' Coefficients:')));
    });
  }

  it('predicts on new rows (link and response scales)', () => {
    for (const name of ['ohio_exchangeable', 'dietox_ar1']) {
      const c = J.cases[name];
      const fit = getFit(name);
      const rowsNd = c.newdata as Record<string, unknown>[];
      const nd = Object.fromEntries(Object.keys(rowsNd[0]).map((k) => [k, rowsNd.map((r) => r[k])]));
      expectClose(fit.predict(nd as never), arr(c.predict_link), 1e-6, `${name} link`);
      expectClose(fit.predict(nd as never, { type: 'response' }), arr(c.predict_response), 1e-6, `${name} response`);
    }
  });
});

describe('gee: anova (Wald tests) and QIC', () => {
  it('anova(fit): terms added sequentially', () => {
    for (const name of ['ohio_exchangeable', 'dietox_ar1', 'epil_exchangeable']) {
      const a = J.anova[name];
      const rows = getFit(name).anova();
      expect(rows.map((r) => r.term)).toEqual(arr(a.rows));
      expect(rows.map((r) => r.df)).toEqual(arr(a.df));
      expectClose(rows.map((r) => r.x2), arr(a.x2), 1e-6, `${name} X2`);
      rows.forEach((r, i) => expect(Math.abs(r.p - arr(a.p)[i])).toBeLessThan(1e-10));
      // print(anova(fit)) as R prints it
      expect(getFit(name).anovaPrintout().split('\n')).toEqual(a.printout);
    }
  });

  it('anova(fit1, fit2): the nested fits\' Wald test, either order', () => {
    const a = J.anova.epil_two;
    const big = getFit('epil_exchangeable');
    const small = getFit('epil_exchangeable_small');
    for (const r of [big.anova(small)[0], small.anova(big)[0]]) {
      expect(r.df).toBe(arr(a.df)[0]);
      expectClose([r.x2], arr(a.x2), 1e-6, 'X2');
      expect(Math.abs(r.p - arr(a.p)[0])).toBeLessThan(1e-10);
    }
    expect(small.anovaPrintout(big).split('\n')).toEqual(a.printout);
    expect(() => big.anova(getFit('ohio_exchangeable'))).toThrow(/observations/);
    expect(() => big.anova(big)).toThrow(/identical/);
  });

  it('QIC', () => {
    for (const name of ['ohio_exchangeable', 'ohio_ar1', 'epil_exchangeable']) {
      const q = J.qic[name];
      const got = getFit(name).qic();
      expectClose([got.QIC, got.QICu, got.quasiLik, got.CIC, got.params, got.QICC], [q.QIC, q.QICu, q['Quasi Lik'], q.CIC, q.params, q.QICC], 1e-6, name);
    }
    expect(getFit('ohio_exchangeable').qicPrintout().split('\n')).toEqual(J.qic_printout);
  });
});

describe('gee: data handling and bad input', () => {
  it('drops rows with a missing value and counts them (dietox Feed: 72 rows)', () => {
    const fit = getFit('dietox_feed_exchangeable');
    expect(fit.nDropped).toBe(72);
    expect(fit.messages.join('\n')).toMatch(/72/);
    expect(fit.nobs).toBe(861 - 72);
  });

  it('groups unsorted ids (each id one cluster, rows in data order): the same fit as on sorted data', () => {
    // epil sorted by period: every subject's rows interleaved, each subject's periods still in order
    const t = table('epil');
    const rows = t.toArray().map((r) => r.toJSON() as Record<string, unknown>);
    const order = rows.map((_, i) => i).sort((a, b) => (rows[a].period as number) - (rows[b].period as number) || a - b);
    const names = t.schema.fields.map((f) => f.name);
    const shuffled = new arrow.Table(Object.fromEntries(names.map((k) => [k, arrow.vectorFromArray(order.map((i) => rows[i][k]) as never, t.getChild(k)!.type)])));
    const c = J.cases.epil_exchangeable;
    const fit = fitCase('epil_exchangeable', shuffled);
    expectClose(fit.coefficients, arr(c.beta), 1e-6, 'beta');
    expectClose(flat(fit.vcov()), flat(c.vbeta), 1e-6, 'vbeta');
    expectClose(fit.alpha, arr(c.alpha), 1e-6, 'alpha');
    expect(fit.messages.join('\n')).toMatch(/not contiguous.*grouped by 'subject'/);
  });

  it('notes clusters of one row under ar1', () => {
    expect(getFit('epil_ar1_singletons').messages.join('\n')).toMatch(/3 clusters have one row/);
  });

  it('refuses bad input with errors that name the column or option', () => {
    const ohio = table('ohio');
    expect(() => gee('resp ~ age', ohio, { id: 'child', family: 'binomial' })).toThrow(DataError);
    expect(() => gee('resp ~ age', ohio, { id: 'child', family: 'binomial' })).toThrow(/id column 'child'/);
    expect(() => gee('resp ~ age', ohio, {} as never)).toThrow(OptionError);
    expect(() => gee('resp ~ age', ohio, { id: 'id', family: 'binomial', corstr: 'toeplitz' as never })).toThrow(/corstr/);
    expect(() => gee('resp ~ age', ohio, { id: 'id', family: 'binomial', corstr: 'fixed' as never })).toThrow(/'fixed'/);
    expect(() => gee('resp ~ age', ohio, { id: 'id', family: 'binomial', stdErr: 'boot' as never })).toThrow(/stdErr/);
    expect(() => gee('resp ~ age', ohio, { id: 'id', family: 'quasi' as never })).toThrow(/family/);
    expect(() => gee('resp ~ age', ohio, { id: 'id', family: 'poisson', link: 'logit' })).toThrow(/link/);
    expect(() => gee('resp ~ age + (1 | id)', ohio, { id: 'id', family: 'binomial' })).toThrow(/random-effects/);
    expect(() => gee('resp ~ age', ohio, { id: 'id', family: 'binomial', waves: 'visit' })).toThrow(/waves column 'visit'/);
    expect(() => gee('resp ~ age', ohio, { id: 'id', family: 'binomial', zcor: [1] } as never)).toThrow(/zcor/);
    // a binomial response outside [0, 1]
    const bad = readCsv('y,x,g\n0,1,a\n2,2,a\n1,3,b\n0,4,b\n', {}).table;
    expect(() => gee('y ~ x', bad, { id: 'g', family: 'binomial' })).toThrow(/'y'/);
    // ar1 with a repeated wave in a cluster; unstructured with waves that skip
    const ep = table('epil');
    expect(() => gee('y ~ lbase', ep, { id: 'subject', family: 'poisson', corstr: 'ar1', waves: 'V4' })).toThrow(/same wave/);
    const skip = readCsv('y,t,g\n1.5,1,a\n2.5,2,a\n0.3,3,a\n1.1,1,b\n2.0,3,b\n0.7,1,c\n1.9,2,c\n', {}).table;
    expect(() => gee('y ~ 1', skip, { id: 'g', corstr: 'unstructured', waves: 't' })).toThrow(/unstructured.*cluster 'b' has waves 1, 3/);
  });
});
