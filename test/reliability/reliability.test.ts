/**
 * Reliability and agreement against R (test/oracle/reliability.R → test/fixtures/reliability):
 * psych 2.2.9's ICC (lmer = TRUE) and multilevel 2.7's ICC1, ICC2, mult.icc, rwg, rwg.j,
 * rwg.j.lindell, awg, ad.m. Tolerances: closed-form arithmetic (ANOVA ICCs, agreement indices)
 * 1e-8 relative; statistics through a REML fit (psych's ICC via lmer, mult.icc via nlme's lme)
 * 1e-6 relative, the optimizers' agreement on θ; printouts line for line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../../src/io/csv.js';
import { adM, awg, awgItems, icc12, iccRaters, multIcc, rwg, rwgJ, rwgLindell } from '../../src/reliability/index.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'reliability');
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const ref: any = JSON.parse(readFileSync(join(dir, 'reliability.json'), 'utf8'));
const csv = (f: string) => readCsv(readFileSync(join(dir, f), 'utf8')).table;

function close(got: number | null, want: number | null, tol: number, what: string): void {
  if (want === null) { expect(got, what).toBeNull(); return; }
  expect(got, what).not.toBeNull();
  const scale = Math.max(Math.abs(want), 1e-12);
  expect(Math.abs((got as number) - want) / scale, `${what}: ${got} vs R ${want}`).toBeLessThan(tol);
}
const closeAll = (got: (number | null)[], want: (number | null)[], tol: number, what: string) => {
  expect(got.length, what).toBe(want.length);
  want.forEach((w, i) => close(got[i], w, tol, `${what}[${i}]`));
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function checkIcc(r: Awaited<ReturnType<typeof iccRaters>>, want: any, tol: number): Promise<void> {
  expect(r.nObs).toBe(want.n_obs);
  expect(r.nJudge).toBe(want.n_judge);
  expect(r.results.map((x) => x.type)).toEqual(want.results.type);
  for (const k of ['ICC', 'F', 'df1', 'df2', 'p', 'lower', 'upper'] as const) closeAll(r.results.map((x) => x[k]), want.results[k], tol, k);
  closeAll(r.lme.map((x) => x.variance), want.lme.variance, tol, 'lme variance');
  closeAll(r.lme.map((x) => x.percent), want.lme.percent, tol, 'lme percent');
  closeAll(r.stats.map((x) => x.SumSq), want.stats.SumSq, tol, 'SumSq');
  closeAll(r.stats.map((x) => x.MS), want.stats.MS, tol, 'MS');
  closeAll(r.stats.slice(0, 2).map((x) => x.p), want.stats.p, tol, 'p');
  expect(r.stats.map((x) => x.df)).toEqual(want.stats.df);
  close(r.MSW, want.MSW, tol, 'MSW');
  expect(r.print()).toEqual(want.print);
}

describe("psych's ICC (Shrout & Fleiss, lmer's variance decomposition)", () => {
  it('the Shrout–Fleiss example as a wide matrix', async () => {
    const r = await iccRaters(ref.sf.data, { name: 'sf', raters: ref.sf.raters });
    await checkIcc(r, ref.sf, 1e-6);
  });
  it("balanced and complete: the REML fit reaches psych's ANOVA values (lmer = FALSE)", async () => {
    const r = await iccRaters(ref.sf.data);
    for (const k of ['ICC', 'lower', 'upper'] as const) closeAll(r.results.map((x) => x[k]), ref.sf_anova[k], 1e-8, `${k} (ANOVA)`);
    closeAll(r.stats.map((x) => x.MS), ref.sf_anova.MS, 1e-8, 'MS (ANOVA)');
  });
  it('alpha = 0.1 changes the intervals and the call', async () => {
    const r = await iccRaters(ref.sf.data, { name: 'sf', alpha: 0.1 });
    await checkIcc(r, ref.sf_alpha10, 1e-6);
  });
  it('a rater design with missing cells, as a long table', async () => {
    const r = await iccRaters(csv('ratings_missing.csv'), { subject: 'subject', rater: 'rater', value: 'value', name: 'ratings' });
    expect(r.missing).toBe(7);
    await checkIcc(r, ref.missing, 1e-6);
  });
  it('the same matrix given long and wide agree', async () => {
    const rows: { s: string; j: string; y: number }[] = [];
    (ref.sf.data as number[][]).forEach((row, i) => row.forEach((y, j) => rows.push({ s: `s${i}`, j: `r${j}`, y })));
    const long = await iccRaters(rows, { subject: 's', rater: 'j', value: 'y' });
    const wide = await iccRaters(ref.sf.data);
    closeAll(long.results.map((x) => x.ICC), wide.results.map((x) => x.ICC), 1e-10, 'ICC');
  });
  it("a wide table with the raters' columns named (psych's data frame)", async () => {
    const cols: Record<string, number[]> = {};
    (ref.sf.raters as string[]).forEach((r, j) => { cols[r] = (ref.sf.data as number[][]).map((row) => row[j]); });
    const r = await iccRaters({ ...cols, id: [1, 2, 3, 4, 5, 6] }, { raters: ref.sf.raters, name: 'sf' });
    await checkIcc(r, ref.sf, 1e-6);
    await expect(iccRaters({ ...cols, who: ['a', 'b', 'c', 'd', 'e', 'f'] }, { raters: ['J1', 'who'] })).rejects.toThrow(/column 'who' must be numeric ratings/);
    await expect(iccRaters(cols, { raters: ['J1'] })).rejects.toThrow(/column 'J1' has 1 rater/);
  });
  it('bad input: one rater, one subject, non-numeric ratings, duplicates, options', async () => {
    const one = [{ s: 'a', j: 'r1', y: 1 }, { s: 'b', j: 'r1', y: 2 }];
    await expect(iccRaters(one, { subject: 's', rater: 'j', value: 'y' })).rejects.toThrow(/column 'j' has 1 rater; the ICCs need at least 2 raters/);
    await expect(iccRaters([{ s: 'a', j: 'r1', y: 1 }, { s: 'a', j: 'r2', y: 2 }], { subject: 's', rater: 'j', value: 'y' })).rejects.toThrow(/column 's' has 1 subject/);
    await expect(iccRaters([{ s: 'a', j: 'r1', y: 'high' }, { s: 'b', j: 'r2', y: 'low' }], { subject: 's', rater: 'j', value: 'y' })).rejects.toThrow(/column 'y' must be numeric ratings/);
    await expect(iccRaters([{ s: 'a', j: 'r1', y: 1 }, { s: 'a', j: 'r1', y: 2 }], { subject: 's', rater: 'j', value: 'y' })).rejects.toThrow(/subject 'a' has two ratings by rater 'r1'/);
    await expect(iccRaters(one, { subject: 's', rater: 'nope', value: 'y' })).rejects.toThrow(/no column 'nope'/);
    await expect(iccRaters(one, { subject: 's', value: 'y' })).rejects.toThrow(/needs the option rater/);
    await expect(iccRaters(ref.sf.data, { alpha: 1.5 })).rejects.toThrow(/alpha must be a number in \(0, 1\)/);
    await expect(iccRaters([[1, 2], [3]])).rejects.toThrow(/row 2 of the matrix has 1 ratings/);
    await expect(iccRaters([[1, 'a'], [3, 4]] as never)).rejects.toThrow(/rater 2 is 'a', not a number|rater 2 is "a", not a number/);
    await expect(iccRaters(null as never, { subject: 's', rater: 'j', value: 'y' })).rejects.toThrow(/data must be/);
  });
  it('ratings without residual variation (σ̂ = 0, MSE = 0) refused by name; psych fails there too', async () => {
    const a = [1, 4, 2, 6, 3, 8];
    // raters who differ by a constant: psych's ICC stops with lme4's "Downdated VtV is not positive definite"
    await expect(iccRaters(a.map((v) => [v, v + 1, v + 2]))).rejects.toThrow(/no residual variation: each rater's ratings are the subjects' values plus a constant/);
    // raters who agree exactly (lmer would give σ̂ ≈ 1e-8 and F ≈ 1e10), with and without a missing cell (backfitting)
    await expect(iccRaters(a.map((v) => [v, v, v]))).rejects.toThrow(/no residual variation/);
    await expect(iccRaters(a.map((v, i) => [v, i === 2 ? null : v + 3, v - 1]))).rejects.toThrow(/no residual variation/);
    await expect(iccRaters(a.map(() => [5, 5]))).rejects.toThrow(/every rating is 5: the ratings do not vary/);
    // one rating off by 1e-3 is residual variation: fitted, ICC3 just below 1
    const r = await iccRaters(a.map((v, i) => [v, v + 1, v + 2 + (i === 0 ? 1e-3 : 0)]));
    const icc3 = r.results.find((x) => x.type === 'ICC3')!.ICC;
    expect(icc3).toBeLessThan(1);
    expect(icc3).toBeGreaterThan(0.9999);
  });
});

describe("multilevel's ICC1, ICC2 and mult.icc (bh1996, groups 1–6)", () => {
  const bh = csv('bh1996_sub.csv');
  it('ICC1(aov), ICC2(aov): closed form', () => {
    for (const v of ['WBEING', 'HRS']) {
      const r = icc12(bh, { group: 'GRP', value: v });
      close(r.ICC1, ref.bh[`ICC1_${v}`], 1e-8, `ICC1 ${v}`);
      close(r.ICC2, ref.bh[`ICC2_${v}`], 1e-8, `ICC2 ${v}`);
    }
  });
  it('mult.icc through the random-intercept fit', async () => {
    const r = await multIcc(bh, { group: 'GRP', vars: ref.bh.mult_icc.Variable });
    expect(r.map((x) => x.variable)).toEqual(ref.bh.mult_icc.Variable);
    closeAll(r.map((x) => x.ICC1), ref.bh.mult_icc.ICC1, 1e-6, 'ICC1');
    closeAll(r.map((x) => x.ICC2), ref.bh.mult_icc.ICC2, 1e-6, 'ICC2');
  });
  it('one group is an error naming the column', async () => {
    const one = { g: [1, 1, 1], y: [1, 2, 3] };
    expect(() => icc12(one, { group: 'g', value: 'y' })).toThrow(/column 'g' has 1 group/);
    await expect(multIcc(one, { group: 'g', vars: ['y'] })).rejects.toThrow(/column 'g' has 1 group/);
    await expect(multIcc({ g: [1, 2], y: ['a', 'b'] }, { group: 'g', vars: ['y'] })).rejects.toThrow(/column 'y' must be numeric/);
  });
});

describe("multilevel's agreement indices (lq2002, companies 2–7, 3 cells missing)", () => {
  const lq = csv('lq2002_sub.csv');
  const items = Array.from({ length: 11 }, (_, i) => `LEAD${String(i + 1).padStart(2, '0')}`);
  const tsig = ['TSIG01', 'TSIG02', 'TSIG03'];
  const groups = (rows: { grpid: string }[]) => rows.map((r) => r.grpid);
  it('rwg, with ranvar and with A response options', () => {
    const a = rwg(lq, { group: 'COMPID', value: 'LEAD01', ranvar: 2 });
    expect(groups(a)).toEqual(ref.lq.rwg_LEAD01.grpid);
    closeAll(a.map((r) => r.rwg), ref.lq.rwg_LEAD01.rwg, 1e-8, 'rwg');
    expect(a.map((r) => r.gsize)).toEqual(ref.lq.rwg_LEAD01.gsize);
    const b = rwg(lq, { group: 'COMPID', value: 'LEAD03', A: 7 });
    closeAll(b.map((r) => r.rwg), ref.lq.rwg_LEAD03_A7.rwg, 1e-8, 'rwg A = 7');
    expect(b.map((r) => r.gsize)).toEqual(ref.lq.rwg_LEAD03_A7.gsize);
  });
  it('rwg.j and rwg.j.lindell', () => {
    const a = rwgJ(lq, { group: 'COMPID', items, A: 5 });
    closeAll(a.map((r) => r.rwgJ), ref.lq.rwg_j['rwg.j'], 1e-8, 'rwg.j');
    expect(a.map((r) => r.gsize)).toEqual(ref.lq.rwg_j.gsize);
    const b = rwgJ(lq, { group: 'COMPID', items: tsig, ranvar: 1 });
    closeAll(b.map((r) => r.rwgJ), ref.lq.rwg_j_tsig_ranvar1['rwg.j'], 1e-8, 'rwg.j ranvar 1');
    const c = rwgLindell(lq, { group: 'COMPID', items });
    closeAll(c.map((r) => r.rwgLindell), ref.lq.rwg_lindell['rwg.lindell'], 1e-8, 'rwg.lindell');
  });
  it('awg of one item and of several', () => {
    const a = awg(lq, { group: 'COMPID', value: 'LEAD01', range: [1, 5] });
    closeAll(a.map((r) => r.awg), ref.lq.awg_LEAD01['a.wg'], 1e-8, 'a.wg');
    closeAll(a.map((r) => r.grpVar), ref.lq.awg_LEAD01['grp.var'], 1e-8, 'grp.var');
    expect(a.map((r) => r.nraters)).toEqual(ref.lq.awg_LEAD01.nraters);
    const b = awgItems(lq, { group: 'COMPID', items, A: 5 });
    closeAll(b.map((r) => r.awg), ref.lq.awg_items['a.wg'], 1e-8, 'a.wg items');
    closeAll(b.map((r) => r.avgGrpVar), ref.lq.awg_items['avg.grp.var'], 1e-8, 'avg.grp.var');
    expect(b.map((r) => r.nraters)).toEqual(ref.lq.awg_items.nraters);
  });
  it('ad.m from the mean and from the median', () => {
    closeAll(adM(lq, { group: 'COMPID', value: 'LEAD01' }).map((r) => r.adM), ref.lq.adm_LEAD01['AD.M'], 1e-8, 'AD.M');
    closeAll(adM(lq, { group: 'COMPID', items }).map((r) => r.adM), ref.lq.adm_items['AD.M'], 1e-8, 'AD.M items');
    closeAll(adM(lq, { group: 'COMPID', items, type: 'median' }).map((r) => r.adM), ref.lq.adm_items_median['AD.M'], 1e-8, 'AD.M median');
  });
});

describe('a group of one rater', () => {
  const toy = ref.toy.data as { g: string[]; x: number[]; y: number[] };
  it("is an error naming the group, or multilevel's NA with singletons: 'na'", () => {
    expect(() => rwg(toy, { group: 'g', value: 'x' })).toThrow(/rwg: group 'b' of column 'g' has 1 rater/);
    expect(() => rwgJ(toy, { group: 'g', items: ['x', 'y'] })).toThrow(/group 'b' of column 'g' has 1 rater/);
    expect(() => awg(toy, { group: 'g', value: 'x' })).toThrow(/group 'b'/);
    expect(() => adM(toy, { group: 'g', items: ['x', 'y'] })).toThrow(/group 'b'/);
    const na = { singletons: 'na' as const };
    closeAll(rwg(toy, { group: 'g', value: 'x', ...na }).map((r) => r.rwg), ref.toy.rwg_x.rwg, 1e-8, 'rwg');
    closeAll(rwgJ(toy, { group: 'g', items: ['x', 'y'], ...na }).map((r) => r.rwgJ), ref.toy.rwg_j['rwg.j'], 1e-8, 'rwg.j');
    closeAll(rwgLindell(toy, { group: 'g', items: ['x', 'y'], ...na }).map((r) => r.rwgLindell), ref.toy.rwg_lindell['rwg.lindell'], 1e-8, 'lindell');
    closeAll(awg(toy, { group: 'g', value: 'x', ...na }).map((r) => r.awg), ref.toy.awg_x['a.wg'], 1e-8, 'awg');
    closeAll(awg(toy, { group: 'g', value: 'x', ...na }).map((r) => r.grpVar), ref.toy.awg_x['grp.var'], 1e-8, 'grp.var');
    closeAll(awgItems(toy, { group: 'g', items: ['x', 'y'], ...na }).map((r) => r.awg), ref.toy.awg_xy['a.wg'], 1e-8, 'awg items');
    closeAll(awgItems(toy, { group: 'g', items: ['x', 'y'], ...na }).map((r) => r.avgGrpVar), ref.toy.awg_xy['avg.grp.var'], 1e-8, 'avg.grp.var');
    closeAll(adM(toy, { group: 'g', value: 'x', ...na }).map((r) => r.adM), ref.toy.adm_x['AD.M'], 1e-8, 'AD.M');
    closeAll(adM(toy, { group: 'g', items: ['x', 'y'], ...na }).map((r) => r.adM), ref.toy.adm_xy['AD.M'], 1e-8, 'AD.M items');
  });
  it('bad options and columns are named', () => {
    expect(() => rwg(toy, { group: 'g', value: 'x', A: 1 })).toThrow(/A, the number of response options, must be an integer ≥ 2/);
    expect(() => rwg(toy, { group: 'g', value: 'x', A: 5, ranvar: 2 })).toThrow(/give ranvar or A/);
    expect(() => rwg(toy, { group: 'g', value: 'g' })).toThrow(/column 'g' must be numeric/);
    expect(() => rwgJ(toy, { group: 'h', items: ['x'] })).toThrow(/no column 'h'/);
    expect(() => awg(toy, { group: 'g', value: 'x', range: [5, 1] })).toThrow(/range must be \[L, H\] with L < H/);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const loose = (o: any) => o;
    expect(() => rwg(toy, loose({ group: 'g' }))).toThrow(/rwg: the option value must name the item's column/);
    expect(() => adM(toy, loose({ group: 'g', type: 'mode', value: 'x' }))).toThrow(/type must be 'mean' or 'median'/);
    expect(() => rwgJ(toy, loose({ group: 'g', items: [] }))).toThrow(/name one or more item columns/);
    expect(() => rwgJ(null as never, { group: 'g', items: ['x'] })).toThrow(/data must be/);
  });
});
