/**
 * Predictions of zero-inflated and hurdle fits for new data (src/zeroinfl/predict.ts) against glmmTMB
 * 1.1.5's predict(fit, newdata, type, re.form, allow.new.levels) (test/oracle/zeroinfl_predict.R →
 * test/fixtures/zeroinfl/predict_newdata.json; new data test/fixtures/data/salamanders_newdata.csv:
 * 41 rows of seen sites with other covariates, and two rows of a new site).
 * At the same parameters: our fit is built at glmmTMB's fit$fit$par (the Laplace state there: the
 * conditional modes of TMB's inner problem), so the predictions of every type, with the random
 * effects (a new site at b = 0) and without (re.form = NA), agree to 1e-8 relative (link and zlink:
 * 1e-8 × max(1, |value|)). No test runs R.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCsv } from '../src/io/csv.js';
import { DataError, OptionError } from '../src/errors/errors.js';
import { zeroInflatedAt } from './helpers/zeroinflAt.js';
import { ZI_PREDICT_TYPES } from '../src/zeroinfl/predict.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const salamanders = readCsv(readFileSync(join(fixtures, 'data', 'salamanders.csv'), 'utf8')).table;
const newdata = readCsv(readFileSync(join(fixtures, 'data', 'salamanders_newdata.csv'), 'utf8')).table;
const R = JSON.parse(readFileSync(join(fixtures, 'zeroinfl', 'predict_newdata.json'), 'utf8'));
const CASES = ['zip_mined', 'zinb_mined', 'hurdle_nb_mined', 'hurdle_pois_cover'];

const fitAt = (ref: Parameters<typeof zeroInflatedAt>[1]) => zeroInflatedAt(salamanders, ref);

const check = (ours: Float64Array, theirs: number[], absolute: boolean) => {
  expect(ours.length).toBe(theirs.length);
  theirs.forEach((v, i) => {
    const scale = absolute ? Math.max(1, Math.abs(v)) : Math.abs(v);
    if (!(Math.abs(ours[i] - v) <= 1e-8 * scale)) throw new Error(`row ${i + 1}: ${ours[i]} vs glmmTMB's ${v}`);
  });
};

describe.each(CASES)('predict(newdata) against glmmTMB 1.1.5: %s', (name) => {
  const ref = R[name];
  const fit = fitAt(ref);
  // the types test/oracle/zeroinfl_predict.R wrote ('disp': test/tmbfamilies.test.ts)
  for (const type of ['response', 'conditional', 'zprob', 'link', 'zlink'] as const) {
    it(`type '${type}', with the random effects (new site at b = 0) and without (re.form = NA)`, () => {
      const absolute = type === 'link' || type === 'zlink';
      check(fit.predict(newdata, { type, allowNewLevels: true }), ref[type], absolute);
      check(fit.predict(newdata, { type, groups: false }), ref[`${type}_population`], absolute);
    });
  }
});

describe('predict(newdata): the fit\'s rows and bad input', () => {
  const fit = fitAt(R.zinb_mined);
  it('newdata null predicts the fit\'s rows: the same as predict(type)', () => {
    for (const type of ZI_PREDICT_TYPES) expect(Array.from(fit.predict(null, { type }))).toEqual(Array.from(fit.predict(type)));
  });
  it('a new level without allowNewLevels is an error naming it; bad options name themselves', () => {
    expect(() => fit.predict(newdata)).toThrow(DataError);
    expect(() => fit.predict(newdata)).toThrow(/'NEW' of 'site'/);
    expect(() => fit.predict(newdata, { type: 'mean' as never })).toThrow(OptionError);
    expect(() => fit.predict(newdata, { type: 'mean' as never })).toThrow(/type/);
    expect(() => fit.predict(null, { allowNewLevels: true })).toThrow(/allowNewLevels/);
    expect(() => fit.predict(newdata, { groups: 'no' as never })).toThrow(/groups/);
    // the population level needs no grouping column; a missing covariate is an error naming it
    expect(Array.from(fit.predict({ mined: ['yes'] }, { groups: false }))).toEqual([fit.predict(newdata, { groups: false })[2]]);
    expect(() => fit.predict({ site: ['VF-1'] }, { groups: false })).toThrow(/'mined'/);
  });
});
