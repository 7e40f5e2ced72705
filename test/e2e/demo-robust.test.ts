/**
 * The browser app's Cluster-robust card (clubSandwich's vcovCR, coef_test, conf_int, Wald_test), in
 * Node (no browser): what the card offers for a fit (demo/src/robustRun.ts robustSetup: the clusters the
 * library takes, the library's refusals of glmer, crossed and streamed fits), the worker's tables —
 * equal to the library's functions with the same options, value for value (exact: the same code on
 * the same fit) — beside the model-based SEs, the card's request with each bad field named, its tables
 * and CSV, the meta-analysis mode's robust section (equal to the MetaFit's methods), and the cards'
 * settings in the address (emmeans, the inference card's ddf/anova/interval method, the robust card):
 * round trips and invalid values left out. The sleepstudy CR2 table is also checked against
 * clubSandwich 0.5.8 (test/fixtures/club-sandwich/club_sandwich.json) at 1e-6 relative: our fit's θ
 * and lme4's agree to about 1e-7, which moves the SEs below that.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import * as arrow from 'apache-arrow';
import { glmer, lmer, readCsv, type GlmmFit, type LmmFit } from '../../src/index.js';
import { meta as fitMeta } from '../../src/meta/meta.js';
import { checkRobustFit } from '../../src/inference/robust/vcovCR.js';
import { COEF_TESTS } from '../../src/inference/robust/coefTest.js';
import { coefTest, confIntCR, vcovCR, waldTest } from '../../src/inference/robust/robust.js';
import { robustSetup, runRobust } from '../../demo/src/robustRun.js';
import { type RobustFields, RobustFieldError, robustRequest, robustTables } from '../../demo/src/robust.js';
import { testTableCsv } from '../../demo/src/modelTests.js';
import { runMeta } from '../../demo/src/meta.js';
import { readUrlState, writeUrlState, type UrlState } from '../../demo/src/urlState.js';
import { loadMetaData } from '../helpers/metaReference.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const csvTable = (name: string) => readCsv(readFileSync(`${ROOT}test/fixtures/data/${name}`, 'utf8')).table;
const sleep = csvTable('sleepstudy.csv');
const club = JSON.parse(readFileSync(`${ROOT}test/fixtures/club-sandwich/club_sandwich.json`, 'utf8')) as {
  cases: Record<string, { types: Record<string, { coef_test: { SE: number[]; df_Satt: number[] } }> }>;
};
const message = (f: () => unknown) => { try { f(); } catch (e) { return (e as Error).message; } return null; };

const fields = (over: Partial<RobustFields> = {}): RobustFields => ({
  type: 'CR2', cluster: '', test: 'Satterthwaite', level: '0.95', waldItems: [], waldKind: 'zero', waldTests: [], ...over,
});

describe('Cluster-robust card (worker logic)', () => {
  let fit: LmmFit;
  let schools: LmmFit;
  let crossed: LmmFit;
  let gfit: GlmmFit;
  beforeAll(async () => {
    fit = await lmer('Reaction ~ Days + (Days | Subject)', sleep, { factors: ['Subject'] });
    schools = await lmer('y ~ x + s + grp + (1 | school/class)', csvTable('robust_schools.csv'), { factors: ['grp', 'school', 'class'] });
    crossed = await lmer('diameter ~ 1 + (1 | plate) + (1 | sample)', csvTable('penicillin.csv'), { factors: ['plate', 'sample'] });
    gfit = await glmer('cbind(incidence, size - incidence) ~ period + (1 | herd)', csvTable('cbpp.csv'), { family: 'binomial', factors: ['herd', 'period'] });
  }, 120_000);

  test('setup: the clusters the library takes (clubSandwich\'s default first), the Wald test\'s terms, the library\'s refusals', () => {
    expect(robustSetup(fit)).toEqual({
      refusal: null, clusters: ['Subject'], defaultCluster: 'Subject', unavailable: [],
      coefficients: ['(Intercept)', 'Days'], terms: [{ name: 'Days', columns: ['Days'] }],
    });
    const s = robustSetup(schools);
    expect(s.refusal).toBeNull();
    expect(s.defaultCluster).toBe('school');
    expect(s.clusters).toEqual(['school']);
    // school is not nested in class:school: the library's reason, named
    expect(s.unavailable.map((u) => u.cluster)).toEqual(['class:school']);
    expect(s.unavailable[0]!.reason).toMatch(/grouping factor 'school' is not nested in the clusters of 'class:school'/);
    expect(s.terms).toEqual([{ name: 'x', columns: ['x'] }, { name: 's', columns: ['s'] }, { name: 'grp', columns: ['grpb', 'grpc'] }]);
    // glmer: clubSandwich has no method; the card shows the library's message
    const g = robustSetup(gfit);
    expect(g.refusal).toBe(message(() => checkRobustFit(gfit)));
    expect(g.refusal).toMatch(/no method for glmer fits/);
    expect(g.clusters).toEqual([]);
    // crossed factors: neither is nested in the other
    const c = robustSetup(crossed);
    expect(c.refusal).toMatch(/Non-nested random effects detected/);
    expect(c.clusters).toEqual([]);
    expect(() => runRobust(gfit, robustRequest(fields(), null))).toThrow(/no method for glmer fits/);
  });

  test('the worker\'s tables equal the library\'s (every type and test), beside the model-based SEs', async () => {
    for (const type of ['CR0', 'CR1', 'CR1p', 'CR1S', 'CR2', 'CR3'] as const) {
      for (const test of COEF_TESTS) {
        const req = robustRequest(fields({ type, test, level: '0.9', waldItems: ['term:Days', 'coef:(Intercept)'], waldTests: ['HTZ', 'chi-sq', 'EDF'] }), robustSetup(fit));
        const m = runRobust(fit, req);
        const v = vcovCR(fit, { type });
        expect(m.coefTest.rows).toEqual(coefTest(fit, { vcov: v, test }).rows.map((r, j) => ({ ...r, modelSe: fit.se[fit.model.frame.xnames[j]!] })));
        if (test === 'saddlepoint') expect(m.confInt).toBeNull();
        else expect(m.confInt!.rows).toEqual(confIntCR(fit, { vcov: v, level: 0.9, test }).rows);
        const w = waldTest(fit, { zero: ['Days', '(Intercept)'] }, { vcov: v, test: ['HTZ', 'chi-sq', 'EDF'] });
        expect(m.wald!.rows).toEqual(w.rows);
        expect(m.wald!.hypothesis).toBe('Days = (Intercept) = 0');
        expect([m.type, m.cluster, m.J, m.N]).toEqual([type, 'Subject', 18, 180]);
      }
      await new Promise((r) => setTimeout(r, 0));
    }
    // a cluster named (the nested model's only one), all equal, the printout as clubSandwich's
    const m = runRobust(schools, robustRequest(fields({ cluster: 'school', waldItems: ['coef:x', 'coef:s'], waldKind: 'equal' }), robustSetup(schools)));
    const v = vcovCR(schools, { type: 'CR2', cluster: 'school' });
    expect(m.coefTest.rows.map((r) => r.se)).toEqual(coefTest(schools, { vcov: v }).rows.map((r) => r.se));
    expect(m.wald!.rows).toEqual(waldTest(schools, { equal: ['x', 's'] }, { vcov: v }).rows);
    expect(m.wald!.rows.map((r) => r.test)).toEqual(['HTZ']);
    expect(m.text).toMatch(/^Cluster-robust variance CR2 \(clubSandwich's vcovCR\), clustered by school: \d+ clusters/);
    expect(m.text).toContain(' Coef. Estimate');
    expect(m.text).toContain('Wald test of x = s:');
  });

  test('sleepstudy CR2 (Satterthwaite) as clubSandwich 0.5.8 computes it, at 1e-6 relative', () => {
    const ref = club.cases.sleepstudy!.types.CR2!.coef_test;
    const m = runRobust(fit, robustRequest(fields(), robustSetup(fit)));
    m.coefTest.rows.forEach((r, j) => {
      expect(Math.abs(r.se - ref.SE[j]!) / ref.SE[j]!).toBeLessThan(1e-6);
      expect(Math.abs(r.df - ref.df_Satt[j]!) / ref.df_Satt[j]!).toBeLessThan(1e-6);
    });
  });

  test('the request: each bad field named; the tables and CSV', () => {
    const setup = robustSetup(fit);
    const bad = (over: Partial<RobustFields>, field: string, re: RegExp) => {
      let err: unknown;
      try { robustRequest(fields(over), setup); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(RobustFieldError);
      expect((err as RobustFieldError).field).toBe(field);
      expect((err as Error).message).toMatch(re);
    };
    bad({ type: 'CR4' }, 'type', /'CR4' is not one of CR0, CR1, CR1p, CR1S, CR2, CR3/);
    bad({ test: 'KR' }, 'test', /'KR' is not one of/);
    bad({ level: '95' }, 'level', /strictly between 0 and 1.*got '95'/);
    bad({ level: '' }, 'level', /strictly between 0 and 1/);
    bad({ cluster: 'Days' }, 'cluster', /'Days' is not one of the clusters offered \(Subject\)/);
    bad({ waldItems: ['coef:Nope'] }, 'wald', /'Nope' is not a term or coefficient/);
    bad({ waldItems: ['coef:Days'], waldTests: ['F'] }, 'waldTests', /'F' is not one of HTZ/);
    expect(() => robustRequest(fields(), { clusters: [], terms: [], coefficients: [] }, true)).toThrow(/needs a cluster column/);
    expect(robustRequest(fields({ cluster: 'Subject', waldItems: ['term:Days'] }), setup))
      .toEqual({ type: 'CR2', cluster: 'Subject', test: 'Satterthwaite', level: 0.95, wald: { items: ['term:Days'], kind: 'zero', tests: ['HTZ'] } });
    // 'all equal' of one coefficient: the worker's error names it
    expect(() => runRobust(fit, robustRequest(fields({ waldItems: ['term:Days'], waldKind: 'equal' }), setup))).toThrow(/needs two coefficients or more/);

    const m = runRobust(fit, robustRequest(fields({ waldItems: ['term:Days'] }), setup));
    const [ct, ci, wald] = robustTables(m);
    expect(ct!.columns.map((c) => c.head)).toEqual(['Coef.', 'Estimate', 'model SE', 'robust SE', 'SE ratio', 't-stat', 'd.f.', 'p-value']);
    const days = ct!.rows[1]!.cells;
    expect(days.slice(0, 4)).toEqual(['Days', fit.beta[1], fit.se.Days, m.coefTest.rows[1]!.se]);
    expect(days[4]).toBe(m.coefTest.rows[1]!.se / fit.se.Days!);
    expect(ci!.title).toBe('Confidence intervals (95%, Satterthwaite t)');
    expect(wald!.rows.map((r) => r.key)).toEqual(['HTZ']);
    const csvText = testTableCsv(ct!);
    expect(csvText.split('\n')[0]).toBe('coef,estimate,model_se,robust_se,se_ratio,t_stat,df,p_value');
    expect(csvText.split('\n')).toHaveLength(4);
    // z: an infinite df is an empty cell; saddlepoint: s instead of df, no interval table
    expect(robustTables(runRobust(fit, robustRequest(fields({ test: 'z' }), setup)))[0]!.rows[0]!.cells[6]).toBeNull();
    const sp = robustTables(runRobust(fit, robustRequest(fields({ test: 'saddlepoint' }), setup)));
    expect(sp).toHaveLength(1);
    expect(sp[0]!.columns[6]!.head).toBe('s.p.');
  });

  test('meta-analysis mode: the robust section equals the MetaFit\'s methods; its refusal is a note, not the fit\'s error', async () => {
    const ko = loadMetaData('konstantopoulos2011');
    const cols = Object.fromEntries(['yi', 'vi', 'district', 'school', 'year'].map((n) => [n, arrow.makeVector(Float64Array.from(ko.getChild(n)!.toArray() as ArrayLike<number>, Number))]));
    const table = new arrow.Table(cols);
    const robust = robustRequest(fields({ type: 'CR2', test: 'Satterthwaite' }), null);
    // three levels (rma.mv): clubSandwich's default clusters, the outermost level
    const r = await runMeta(table, { yi: 'yi', vi: 'vi', method: 'REML', cluster: 'district', inner: 'school', mods: 'year', test: 'z', robust });
    expect(r.robustError).toBeNull();
    const fit = await fitMeta(table, { yi: 'yi', vi: 'vi', method: 'REML', random: '~ 1 | district/school', mods: 'year' });
    const v = fit.vcovCR({ type: 'CR2' });
    expect(r.robust!.cluster).toBe('district');
    expect(r.robust!.coefTest.rows).toEqual(fit.coefTest({ vcov: v }).rows.map((row, j) => ({ ...row, modelSe: fit.coef.se[j] })));
    expect(r.robust!.confInt!.rows).toEqual(fit.confIntCR({ vcov: v }).rows);
    // with moderators: their joint Wald test (HTZ)
    expect(r.robust!.wald!.rows).toEqual(fit.waldTest({ zero: ['year'] }, { vcov: v }).rows);
    // rma.uni without a cluster: clubSandwich's refusal beside a fit that stands
    const u = await runMeta(table, { yi: 'yi', vi: 'vi', method: 'REML', robust });
    expect(u.robust).toBeNull();
    expect(u.robustError).toMatch(/needs the clusters/);
    expect(u.coef.length).toBe(1);
    const uc = await runMeta(table, { yi: 'yi', vi: 'vi', method: 'DL', robust: { ...robust, cluster: 'district', type: 'CR1' } });
    const ufit = await fitMeta(table, { yi: 'yi', vi: 'vi', method: 'DL' });
    expect(uc.robust!.coefTest.rows.map((x) => x.se)).toEqual(ufit.coefTest({ vcov: 'CR1', cluster: 'district' }).rows.map((x) => x.se));
    expect(uc.robust!.wald).toBeNull();
  });
});

describe('the cards\' settings in the address', () => {
  test('emmeans, the inference card and the robust card round trip', () => {
    const s: UrlState = {
      example: 'sleepstudy', formula: 'Reaction ~ Days + (Days | Subject)', fit: true,
      ddf: 'kenward-roger', anova: 'II', ci: 'boot', cinsim: 500,
      emm: { specs: 'f', trend: 'Days', by: 'g', contrast: 'trt.vs.ctrl', ref: 'b', adjust: 'holm', type: 'response', ddf: 'satterthwaite' },
      robust: { type: 'CR1S', cluster: 'Subject', test: 'naive-tp', level: 0.9, wald: ['term:Days', 'coef:(Intercept)'], waldKind: 'equal', waldTests: ['HTZ', 'EDT'] },
    };
    const q = writeUrlState(s);
    expect(readUrlState(q)).toEqual(s);
    expect(q).toContain('ddf=kenward-roger&anova=II&ci=boot&cinsim=500&emm=1&especs=f&etrend=Days');
    expect(q).toContain('robust=1&rtype=CR1S&rcluster=Subject&rtest=naive-tp&rlevel=0.9&rwald=term%3ADays%3Bcoef%3A%28Intercept%29&rwaldkind=equal&rwtests=HTZ%2CEDT');
    // the defaults leave their keys out; the profile has no replicates
    expect(writeUrlState({ example: 'sleepstudy', robust: {}, emm: {}, ci: 'profile', cinsim: 300 })).toBe('?example=sleepstudy&ci=profile&emm=1&robust=1');
    expect(readUrlState('?robust=1&emm=1')).toEqual({ robust: {}, emm: {} });
  });

  test('invalid values are left out, never an error', () => {
    expect(readUrlState('?ddf=KR&anova=IV&ci=wald&cinsim=5&emm=1&econtrast=bogus&etype=odds&eddf=z&robust=1&rtype=CR4&rtest=F&rlevel=1.5&rwald=Days%3Bterm%3A&rwaldkind=some&rwtests=X%2CHTA'))
      .toEqual({ emm: {}, robust: { waldTests: ['HTA'] } });
    expect(readUrlState('?cinsim=200').cinsim).toBe(200);
    expect(readUrlState('?ddf=satterthwaite&anova=I&ci=profile')).toEqual({ ddf: 'satterthwaite', anova: 'I', ci: 'profile' });
  });
});
