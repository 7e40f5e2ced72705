/**
 * The browser app's ordinal (clmm) fits and covariance structures, in Node (no browser): the worker's
 * clmm tables equal the library's (the same fit object's numbers, exactly; and ordinal 2022.11-16's
 * coefficient table for wine_logit, test/fixtures/clmm/wine_logit.json from test/oracle/clmm.R, at the
 * library's own tolerance for its optimum, 5e-5 relative to max(1, |x|)), the fitted probabilities'
 * means and CSV, clmmAnova of two kept fits, the category order's rules and the editable list, the
 * random-effects table of an ar1/cs fit as the library prints it, the structured fit's described result
 * (the cards' refusals are the library's), and the address's new fields round tripping.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { clmm, clmmAnova, lmer, readCsv, type ClmmFit, type LmmFit } from '../../src/index.js';
import { anovaOfFits, describeClmm, fittedProbabilities, probabilitiesBy, probabilitiesCsv, probabilityByCandidates, runClmm } from '../../demo/src/ordinal.js';
import { categoryOrderOf, moveLevel, reconcileLevels, responseColumnOf } from '../../demo/src/ordinalView.js';
import { structureNotes, varCorrDisplayRows } from '../../demo/src/structures.js';
import { describeFit, runFit } from '../../demo/src/fitting.js';
import { inferenceTables, runConfint } from '../../demo/src/inference.js';
import { describeColumns } from '../../demo/src/load.js';
import { probabilitySegments } from '../../demo/src/plots.js';
import { readUrlState, writeUrlState } from '../../demo/src/urlState.js';
import { parseFormula } from '../../src/index.js';
import type { FitRequest } from '../../demo/src/protocol.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const wine = readCsv(readFileSync(`${ROOT}test/fixtures/data/wine.csv`, 'utf8')).table;
const sleepDayF = readCsv(readFileSync(`${ROOT}test/fixtures/data/sleepstudy_dayf.csv`, 'utf8')).table;
const signal = new AbortController().signal;

const request = (over: Partial<FitRequest> = {}): FitRequest => ({
  formula: 'rating ~ temp + contact + (1 | judge)', factors: ['judge'], reml: false, backend: 'cpu', family: 'ordinal', link: 'logit', threshold: 'flexible', nAGQ: 1, dataName: 'wine.csv', ...over,
});

describe('ordinal (clmm) fits in the app (worker logic)', () => {
  let fit: ClmmFit;
  let lib: ClmmFit;
  beforeAll(async () => {
    fit = await runClmm(wine, request(), signal);
    lib = await clmm('rating ~ temp + contact + (1 | judge)', wine, { factors: ['judge'], link: 'logit', threshold: 'flexible', nAGQ: 1, dataName: 'wine' });
  });

  test('the worker\'s tables are the library\'s, and ordinal\'s (wine_logit)', () => {
    const r = describeClmm(fit, wine, 1);
    expect(r.kind).toBe('clmm');
    expect(r.levels).toEqual(['1', '2', '3', '4', '5']);
    expect(r.thresholdTable).toEqual(lib.thresholdTable);
    expect(r.coefficients).toEqual(lib.coefficients);
    expect(r.thresholds.map((t) => t.value)).toEqual([...lib.Theta]);
    expect(r.thresholds.map((t) => t.name)).toEqual(['1|2', '2|3', '3|4', '4|5']);
    expect(r.varCorr).toEqual(lib.varCorr);
    expect([r.logLik, r.AIC, r.BIC, r.condH, r.edf]).toEqual([lib.logLik, lib.AIC, lib.BIC, lib.condH, lib.edf]);
    expect(r.summary).toBe(lib.summary());
    expect(r.ngroups).toEqual({ judge: 9 });
    // the conditional modes and SDs per level, from the library's ranef and condVar
    expect(r.ranef[0]!.levels).toEqual(lib.ranef[0]!.levels);
    expect([...r.ranef[0]!.values[0]!]).toEqual([...lib.ranef[0]!.values]);
    expect([...r.ranef[0]!.condsd[0]!]).toEqual([...lib.ranef[0]!.condVar].map(Math.sqrt));
    // ordinal 2022.11-16: Estimate, Std. Error, z, p of the thresholds then the coefficients
    const ref = JSON.parse(readFileSync(`${ROOT}test/fixtures/clmm/wine_logit.json`, 'utf8')) as { coefTable: number[][] };
    const rows = [...r.thresholdTable, ...r.coefficients];
    rows.forEach((row, k) => {
      const [est, se, z] = ref.coefTable[k]!;
      for (const [a, b] of [[row.estimate, est], [row.se, se], [row.z, z]] as [number, number][]) {
        expect(Math.abs(a - b) / Math.max(1, Math.abs(b))).toBeLessThan(5e-5);
      }
    });
    // the plot can group by the formula's variables (not the response)
    expect(r.probabilityBy).toEqual(['temp', 'contact', 'judge']);
  });

  test('the request\'s options reach clmm: link, threshold, nAGQ, the categories\' order', async () => {
    const probit = await runClmm(wine, request({ link: 'probit', threshold: 'equidistant', nAGQ: 5 }), signal);
    const ref = await clmm('rating ~ temp + contact + (1 | judge)', wine, { factors: ['judge'], link: 'probit', threshold: 'equidistant', nAGQ: 5 });
    expect([...probit.par]).toEqual([...ref.par]);
    expect(probit.thetaNames).toEqual(ref.thetaNames);
    // the categories in the reverse order: the same model with the thresholds' signs turned
    const rev = await runClmm(wine, request({ levels: ['5', '4', '3', '2', '1'] }), signal);
    expect(rev.levels).toEqual(['5', '4', '3', '2', '1']);
    expect(Math.abs(rev.logLik - fit.logLik)).toBeLessThan(1e-6);
    // a bad order is the library's error, naming the value
    await expect(runClmm(wine, request({ levels: ['1', '2', '3', '4'] }), signal)).rejects.toThrow(/'5'.*not among the levels/);
  });

  test('Cancel: an aborted signal stops the fit with an AbortError', async () => {
    const ac = new AbortController();
    ac.abort();
    await expect(runClmm(wine, request(), ac.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });

  test('fitted probabilities: every row\'s are the library\'s, their means per level, the CSV', () => {
    const P = fittedProbabilities(fit, wine);
    const L = lib.probabilities();
    expect(P.length).toBe(L.length);
    for (let i = 0; i < P.length; i++) expect(Math.abs(P[i]! - L[i]!)).toBeLessThan(1e-12);
    const groups = probabilitiesBy(fit, wine, 'temp');
    expect(groups.map((g) => g.level)).toEqual(['cold', 'warm']);
    expect(groups.map((g) => g.n)).toEqual([36, 36]);
    const temp = wine.getChild('temp')!.toArray() as string[];
    const J = 5;
    for (const g of groups) {
      const rows = [...temp.keys()].filter((i) => String(wine.getChild('temp')!.get(i)) === g.level);
      for (let j = 0; j < J; j++) {
        const mean = rows.reduce((s, i) => s + L[i * J + j]!, 0) / rows.length;
        expect(Math.abs(g.probs[j]! - mean)).toBeLessThan(1e-12);
      }
      expect(Math.abs(g.probs.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
    }
    // numeric levels in numeric order
    expect(probabilitiesBy(fit, wine, 'judge').map((g) => g.level)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const segs = probabilitySegments(groups, fit.levels);
    expect(segs.length).toBe(10);
    expect(segs[0]).toMatchObject({ level: 'cold', category: '1', order: 0 });
    const lines = probabilitiesCsv(fit, wine).trim().split('\n');
    expect(lines[0]).toBe('row,observed,P(1),P(2),P(3),P(4),P(5)');
    expect(lines.length).toBe(73);
    const first = lines[1]!.split(',').map(Number);
    expect(first[0]).toBe(1);
    expect(first[1]).toBe(2);
    expect(first.slice(2)).toEqual(Array.from(L.slice(0, 5)));
    // the observed category's probability is the library's fitted value
    expect(first[2 + 1]).toBe(lib.fitted[0]);
  });

  test('clmmAnova of two kept fits: the library\'s rows, each with its page id', async () => {
    const small = await runClmm(wine, request({ formula: 'rating ~ temp + (1 | judge)' }), signal);
    const rows = anovaOfFits({ id: 7, fit }, { id: 9, fit: small });
    const ref = clmmAnova(fit, small);
    expect(rows.map((r) => r.fit)).toEqual([9, 7]);
    expect(rows.map(({ fit: _f, ...r }) => r)).toEqual(ref);
    expect(rows[1]!.df).toBe(1);
    const other = await runClmm(wine.slice(0, 60), request(), signal);
    expect(() => anovaOfFits({ id: 1, fit }, { id: 2, fit: other })).toThrow(/72 and 60 observations/);
  });

  test('the categories\' order: the library\'s rules, and the editable list', () => {
    const cols = describeColumns(readCsv('y,o,n,g\nlow,1,a,1\nhigh,2,b,1\nmid,3,c,2\nlow,2,10,2\n').table);
    const col = (name: string) => cols.find((c) => c.name === name);
    expect(categoryOrderOf(col('o'))).toEqual({ kind: 'numeric' });
    // the CSV reader's dictionary holds R's sorted levels: the list starts there
    expect(categoryOrderOf(col('y'))).toEqual({ kind: 'editable', levels: ['high', 'low', 'mid'] });
    expect(categoryOrderOf(undefined).kind).toBe('unknown');
    const numericText = describeColumns(readCsv('y\n"10"\n"2"\n"x"\n').table)[0]!;
    expect(numericText.kind).toBe('factor');
    expect(categoryOrderOf(numericText)).toEqual({ kind: 'editable', levels: ['10', '2', 'x'] });
    expect(categoryOrderOf({ name: 'r', arrowType: 'Utf8', kind: 'factor', nulls: 0, distinct: 3, sample: [], levels: ['10', '2', '3'] }))
      .toEqual({ kind: 'numeric-levels', levels: ['2', '3', '10'] });
    expect(categoryOrderOf({ name: 'r', arrowType: 'Dictionary', kind: 'factor', nulls: 0, distinct: 2, sample: [], levels: ['lo', 'hi'], ordered: true }))
      .toEqual({ kind: 'ordered', levels: ['lo', 'hi'] });
    expect(categoryOrderOf({ name: 'r', arrowType: 'Utf8', kind: 'factor', nulls: 0, distinct: 80, sample: [] }).kind).toBe('unknown');
    expect(moveLevel(['low', 'high', 'mid'], 2, -1)).toEqual(['low', 'mid', 'high']);
    expect(moveLevel(['low', 'mid', 'high'], 0, -1)).toEqual(['low', 'mid', 'high']);
    expect(moveLevel(['low', 'mid', 'high'], 2, 1)).toEqual(['low', 'mid', 'high']);
    expect(reconcileLevels(['mid', 'low', 'high'], ['low', 'high', 'mid'])).toEqual(['mid', 'low', 'high']);
    expect(reconcileLevels(['mid', 'low'], ['low', 'high', 'mid'])).toEqual(['low', 'high', 'mid']);
    expect(reconcileLevels(null, ['a'])).toEqual(['a']);
    expect(responseColumnOf(parseFormula('rating ~ temp + (1 | judge)'))).toBe('rating');
    expect(responseColumnOf(parseFormula('log(y) ~ x + (1 | g)'))).toBeNull();
    // a text response ordered by the page: clmm takes the list as its levels
    expect(probabilityByCandidates(fit, wine)).not.toContain('rating');
  });

  test('the address: family, link, threshold and the categories\' order round trip; bad values are left out', () => {
    const s = { example: 'wine' as const, formula: 'rating ~ temp + (1 | judge)', factors: ['judge'], family: 'ordinal' as const, link: 'cloglog', nAGQ: 7, threshold: 'symmetric' as const, levels: ['a,b', 'c', 'd"e'], fit: true };
    const back = readUrlState(writeUrlState(s));
    expect(back).toMatchObject(s);
    // the default threshold is not written; an lmer family writes neither
    expect(writeUrlState({ ...s, threshold: 'flexible', levels: undefined })).not.toMatch(/threshold|levels/);
    expect(writeUrlState({ ...s, family: 'gaussian' })).not.toMatch(/threshold|levels/);
    expect(readUrlState('?family=ordinal&threshold=weird&levels=notjson')).toEqual({ family: 'ordinal' });
    expect(readUrlState('?levels=%5B%22a%22%2C%22a%22%5D').levels).toBeUndefined();
    expect(readUrlState('?example=sleepstudy_ar1').example).toBe('sleepstudy_ar1');
  });
});

describe('covariance structures in the app (worker logic)', () => {
  let ar1: LmmFit;
  beforeAll(async () => {
    ar1 = await lmer('Reaction ~ Days + ar1(0 + DayF | Subject)', sleepDayF, { factors: ['Subject', 'DayF'] });
  });

  test('the ar1 fit described as the page shows it: one SD with ρ (ar1), as the library prints it', async () => {
    const req: FitRequest = { formula: 'Reaction ~ Days + ar1(0 + DayF | Subject)', factors: ['Subject', 'DayF'], reml: true, backend: 'cpu', family: 'gaussian' };
    const f = await runFit(sleepDayF, req, { signal, onProgress: () => {} });
    const { result } = describeFit(f, sleepDayF, req.factors, 0);
    expect(result.structures).toEqual(ar1.structures.map((s) => ({ group: s.group, term: s.term, structure: s.structure, sd: s.sd, rho: s.rho })));
    const rows = varCorrDisplayRows(result.varCorr, result.structures);
    expect(rows.map((r) => [r.group, r.name])).toEqual([['Subject', 'DayF0'], ['Residual', '']]);
    expect(rows[0]!.rho).toBe(ar1.structures[0]!.rho[0]);
    expect(rows[0]!.sd).toBe(ar1.structures[0]!.sd[0]);
    expect(rows[0]!.corr).toBe('0.88 (ar1)');
    // the library's printout has the same line
    expect(ar1.summary()).toMatch(/Subject\s+DayF0\s+2241\.1\s+47\.34\s+0\.88 \(ar1\)/);
    // the cards the library refuses for a structured fit carry its message (the page shows it as the card's note)
    const refusal = /is not available for a fit with a covariance structure \(ar1\(0 \+ DayF \| Subject\)\): it works in the unstructured parameters θ of lme4/;
    expect(result.power.refusal).toMatch(refusal);
    expect(result.power.refusal).toMatch(/^powerSim /);
    expect(() => inferenceTables(f, 'kenward-roger', 'III')).toThrow(refusal);
    await expect(runConfint(f, { method: 'profile', level: 0.95 } as never, { signal, onProgress: () => {} })).rejects.toThrow(refusal);
    // Satterthwaite's tables are available
    expect(inferenceTables(f, 'satterthwaite', 'III').coefficients.map((c) => c.name)).toEqual(['(Intercept)', 'Days']);
    expect(structureNotes(result.structures)[0]).toMatch(/^Covariance structure: ar1\(0 \+ DayF \| Subject\) \(glmmTMB's ar1\).*ρ = 0\.88\.$/);
  });

  test('a glmer (Poisson) fit with an ar1 term: its structure described as lmer\'s', async () => {
    const counts = readCsv(readFileSync(`${ROOT}test/fixtures/data/glmer_structcov.csv`, 'utf8')).table;
    const req: FitRequest = { formula: 'y_ar1 ~ time + x + ar1(0 + factor(time) | subject) + (1 | site)', factors: [], reml: false, backend: 'cpu', family: 'poisson' };
    const f = await runFit(counts, req, { signal, onProgress: () => {} });
    const { result } = describeFit(f, counts, req.factors, 0);
    expect(result.structures.length).toBe(1);
    expect(result.structures[0]!.structure).toBe('ar1');
    const rows = varCorrDisplayRows(result.varCorr, result.structures);
    expect(rows.map((r) => [r.group, r.name])).toEqual([['subject', 'factor(time)0'], ['site', '(Intercept)']]);
    expect(rows[0]!.corr).toBe('0.84 (ar1)');
  });

  test('a cs term: an SD per level with ρ (cs) on the first row; an unstructured term as before', async () => {
    const cs = await lmer('Reaction ~ Days + cs(0 + DayF | Subject)', sleepDayF, { factors: ['Subject', 'DayF'] });
    const rows = varCorrDisplayRows(cs.varCorr, cs.structures);
    const subj = rows.filter((r) => r.group === 'Subject');
    expect(subj.length).toBe(10);
    expect(subj[0]!.corr).toMatch(/^-?\d\.\d\d \(cs\)$/);
    expect(subj.slice(1).every((r) => r.corr === '' && r.structure === 'cs')).toBe(true);
    const us = await lmer('Reaction ~ Days + (Days | Subject)', sleepDayF, { factors: ['Subject'] });
    const urows = varCorrDisplayRows(us.varCorr, us.structures);
    expect(urows.map((r) => r.corr)).toEqual(['', us.varCorr.find((v) => v.var2 !== null)!.sdcor.toFixed(3), '']);
  });
});
