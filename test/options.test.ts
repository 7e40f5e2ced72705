/**
 * Every public option is checked (issue 9, item 17): a wrong value is an OptionError naming the
 * option, the value and what is allowed, before any work; rows and column objects are accepted as
 * data; null data and predict() without data are clear errors.
 */
import { describe, expect, it } from 'vitest';
import { DataError, OptionError } from '../src/errors/errors.js';
import { lmer } from '../src/fit/lmer.js';
import { glmer } from '../src/fit/glmer.js';
import { readCsv } from '../src/io/csv.js';
import { readArrowIpc } from '../src/io/arrow.js';
import { readTableFile } from '../src/io/node.js';
import { loadData } from './helpers/reference.js';

const sleep = loadData({ data: '../data/sleepstudy.csv' });
const cbpp = loadData({ data: '../data/cbpp.csv' });
const F = 'Reaction ~ Days + (Days | Subject)';
const CBIND = 'cbind(incidence, size - incidence) ~ period + (1 | herd)';

/** The OptionError `p` rejects with; its message must match `re` and name `option`. */
async function optionError(p: Promise<unknown>, option: string, re: RegExp): Promise<void> {
  let error: unknown;
  try {
    await p;
  } catch (e) {
    error = e;
  }
  expect(error, `expected an OptionError for ${option}`).toBeInstanceOf(OptionError);
  expect((error as OptionError).option).toBe(option);
  expect((error as Error).message).toMatch(re);
}

describe('lmer options', () => {
  it('the cases of the issue: REML as a string, an unknown backend, factors as a string', async () => {
    await optionError(lmer(F, sleep, { REML: 'false' as never }), 'REML', /^lmer: REML must be true or false, not the string "false"$/);
    await optionError(lmer(F, sleep, { backend: 'gpu' as never }), 'backend', /^lmer: backend must be one of 'cpu', 'webgpu', 'auto', not the string "gpu"$/);
    await optionError(lmer(F, sleep, { factors: 'Subject' as never }), 'factors', /factors must be an array of column names \(such as \['Subject'\]\), not the string "Subject"/);
  });

  it('unknown options, with the nearest name', async () => {
    await optionError(lmer(F, sleep, { reml: false } as never), 'reml', /lmer: unknown option 'reml' \(did you mean 'REML'\?\); the options are REML, factors, weights, backend/);
    await optionError(lmer(F, sleep, { optimiser: {} } as never), 'optimiser', /did you mean 'optimizer'/);
    await optionError(lmer(F, sleep, { colour: 1 } as never), 'colour', /unknown option 'colour'; the options are/);
  });

  it('every other option', async () => {
    await optionError(lmer(F, sleep, { optimizer: { rhoend: -1 } }), 'rhoend', /lmer: optimizer: rhoend must be a positive finite number, not the number -1/);
    await optionError(lmer(F, sleep, { optimizer: { maxfun: 0.5 } }), 'maxfun', /maxfun must be an integer ≥ 1, not the number 0\.5/);
    await optionError(lmer(F, sleep, { optimizer: { rhobeg: 0.01, rhoend: 0.1 } }), 'optimizer', /rhoend \(0\.1\) must not exceed optimizer\.rhobeg \(0\.01\)/);
    await optionError(lmer(F, sleep, { optimizer: { rho: 1 } as never }), 'rho', /optimizer: unknown option 'rho'/);
    await optionError(lmer(F, sleep, { onProgress: 'yes' as never }), 'onProgress', /must be a function/);
    await optionError(lmer(F, sleep, { signal: {} as never }), 'signal', /must be an AbortSignal, not an object/);
    await optionError(lmer(F, sleep, { weights: ['a'] as never }), 'weights', /weights\[0\] must be a number \(or null for a missing weight\), not the string "a"/);
    await optionError(lmer(F, sleep, { denseOnGpu: 1 as never }), 'denseOnGpu', /true or false, not the number 1/);
    await optionError(lmer(F, sleep, { device: {} as never }), 'device', /must be a GPUDevice/);
    await optionError(lmer(F, sleep, { dataName: 3 as never }), 'dataName', /must be a string/);
    await optionError(lmer(F, sleep, 'REML' as never), 'lmer', /the options must be an object/);
    await optionError(lmer(F, sleep, { yieldEveryMs: 0 }), 'yieldEveryMs', /yieldEveryMs must be a positive finite number, not the number 0/);
  });

  it('sigma and prior (fixed σ, blme): checked values, and blme prior strings whose errors are OptionErrors', async () => {
    await optionError(lmer(F, sleep, { sigma: -1 }), 'sigma', /lmer: sigma must be a positive finite number, not the number -1/);
    await optionError(lmer(F, sleep, { prior: 'yes' as never }), 'prior', /lmer: prior must be 'blme' or an object of blme's prior strings \{ cov, fixef, resid \}, not the string "yes"/);
    await optionError(lmer(F, sleep, { prior: { covv: 'gamma' } as never }), 'covv', /lmer: prior: unknown option 'covv' \(did you mean 'cov'\?\)/);
    await optionError(lmer(F, sleep, { prior: { cov: 3 } as never }), 'prior', /lmer: prior: cov must be one of blme's prior strings .* not 3/);
    await optionError(lmer(F, sleep, { sigma: 1, prior: 'blme' }), 'sigma', /give sigma or prior, not both/);
    await optionError(lmer(F, sleep, { factors: ['Subject'], prior: { cov: 'gamma(shape = ' } }), 'prior', /prior 'gamma\(shape = '/);
    await optionError(lmer(F, sleep, { factors: ['Subject'], prior: { cov: 'wishartt' } }), 'prior', /unrecognized ranef covariance distribution 'wishartt'/);
    await optionError(glmer(CBIND, cbpp, { family: 'binomial', prior: { resid: 'gamma' } as never }), 'prior', /glmer: prior\.resid: resid\.prior applies to linear mixed models only/);
  });
});

describe('glmer options', () => {
  it('no options, nAGQ as a string, a bad family, link or vcov', async () => {
    await optionError(glmer(CBIND, cbpp, undefined as never), 'family', /glmer needs options with a family: glmer\(formula, data, \{ family: 'binomial' \}\)/);
    await optionError(glmer(CBIND, cbpp, {} as never), 'family', /family is required/);
    await optionError(glmer(CBIND, cbpp, { family: 'binomial', nAGQ: '9' as never }), 'nAGQ', /^glmer: nAGQ must be an integer from 0 to 25, not the string "9"$/);
    await optionError(glmer(CBIND, cbpp, { family: 'constructor' as never }), 'family', /family 'constructor' is not supported/);
    await optionError(glmer(CBIND, cbpp, { family: 'poisson', link: 'logit' }), 'link', /link 'logit' is not available for the poisson family \(available: log, identity, sqrt\)/);
    await optionError(glmer(CBIND, cbpp, { family: 'binomial', vcov: 'rx' as never }), 'vcov', /one of 'hessian', 'RX' \(names are case-sensitive\)/);
    await optionError(glmer(CBIND, cbpp, { family: 'binomial', backend: 'gpu' as never }), 'backend', /one of 'cpu', 'webgpu', 'auto'/);
    await optionError(glmer(CBIND, cbpp, { family: 'binomial', pirlsMaxIter: 0 }), 'pirlsMaxIter', /integer ≥ 1/);
    await optionError(glmer(CBIND, cbpp, { family: 'binomial', gpuGroups: 'no' as never }), 'gpuGroups', /true or false/);
  });

  it('nAGQ > 1 with more than one grouping factor is refused before the fit', async () => {
    await expect(glmer(CBIND, cbpp, { family: 'binomial', nAGQ: 5, factors: ['herd', 'period'] })).resolves.toBeDefined();
    await expect(glmer('cbind(incidence, size - incidence) ~ period + (1 | herd) + (1 | period)', cbpp, { family: 'binomial', nAGQ: 5, factors: ['herd'] }))
      .rejects.toThrow(/nAGQ > 1 is only available for models whose random effects have a single grouping factor/);
  });
});

describe('data', () => {
  it('an array of row objects and an object of columns fit as the table does', async () => {
    const rows = sleep.toArray().map((r) => {
      const o = r.toJSON() as { Reaction: number; Days: number; Subject: number };
      return { Reaction: o.Reaction, Days: o.Days, Subject: `S${o.Subject}` };
    });
    const cols = {
      Reaction: rows.map((r) => r.Reaction),
      Days: Float64Array.from(rows, (r) => r.Days),
      Subject: rows.map((r) => r.Subject),
    };
    const ref = await lmer(F, sleep, { factors: ['Subject'] });
    const a = await lmer(F, rows);
    const b = await lmer(F, cols);
    expect(a.objective).toBeCloseTo(ref.objective, 8);
    expect(b.objective).toBeCloseTo(ref.objective, 8);
    expect(a.predict(rows.slice(0, 3))).toEqual(b.predict({ Reaction: cols.Reaction.slice(0, 3), Days: [0, 1, 2], Subject: cols.Subject.slice(0, 3) }));
  });

  it('null data, bad rows and columns are clear errors', async () => {
    await optionError(lmer(F, null as never), 'data', /^data must be an Apache Arrow Table, an array of row objects .* or an object of column arrays .*, not null$/);
    await optionError(lmer(F, 'sleepstudy.csv' as never), 'data', /not the string|not "sleepstudy\.csv"/);
    await optionError(lmer(F, Promise.resolve(sleep) as never), 'data', /a Promise: await it first/);
    await expect(lmer(F, [])).rejects.toThrow(DataError);
    await expect(lmer('y ~ x + (1 | g)', [{ y: 1, x: 1, g: 'a' }, 5] as never)).rejects.toThrow(/row 2 is 5, not an object/);
    await expect(lmer('y ~ x + (1 | g)', { y: [1, 2], x: [1, 2, 3], g: ['a', 'b'] })).rejects.toThrow(/column 'x' has 3 values but column 'y' has 2/);
    await expect(lmer('y ~ x + (1 | g)', [{ y: 1, x: 1, g: 'a' }, { y: 2, x: 'two', g: 'b' }])).rejects.toThrow(/column 'x' mixes numbers \(row 1: 1\) and strings \(row 2: "two"\)/);
    await expect(lmer('y ~ x + (1 | g)', [{ y: 1, x: new Date(), g: 'a' }])).rejects.toThrow(/column 'x' holds a Date in row 1/);
  });

  it('predict with null is a clear error (without data: the fit\'s rows); its options are checked', async () => {
    const fit = await lmer(F, sleep, { factors: ['Subject'] });
    expect(fit.predict().length).toBe(fit.nobs);
    expect(() => fit.predict(undefined as never, { interval: 'confidence' })).toThrow(/intervals need new data/);
    expect(() => fit.predict(null as never)).toThrow(/newdata must be an Apache Arrow Table/);
    expect(() => fit.predict(sleep, { groups: 'no' as never })).toThrow(/predict: groups must be true or false, not the string "no"/);
    expect(() => fit.predict(sleep, { type: 'response' } as never)).toThrow(/predict: unknown option 'type'/);
    const g = await glmer(CBIND, cbpp, { family: 'binomial', factors: ['herd', 'period'], vcov: 'RX' });
    expect(() => g.predict(cbpp, { type: 'resp' as never })).toThrow(/predict: type must be one of 'link', 'response'/);
    expect(g.predict(cbpp, { type: 'response' })[0]).toBeGreaterThan(0);
  });
});

describe('readers', () => {
  it('readCsv, readTableFile and readArrowIpc check their arguments', () => {
    expect(() => readCsv('a,b\n1,2\n', { header: false } as never)).toThrow(/readCsv: unknown option 'header'/);
    expect(() => readCsv('a,b\n1,2\n', { levelOrder: 'c' as never })).toThrow(/levelOrder must be one of 'locale', 'C' \(names are case-sensitive\)/);
    expect(() => readCsv('a,b\n1,2\n', { strayText: 'drop' as never })).toThrow(/strayText must be one of 'error', 'missing'/);
    expect(() => readCsv(42 as never)).toThrow(OptionError);
    expect(() => readTableFile(42 as never)).toThrow(/path must be a non-empty string, not 42/);
    expect(() => readTableFile('x.csv', { delimiter: 7 } as never)).toThrow(/readTableFile: delimiter must be one ASCII character/);
    expect(() => readArrowIpc('ARROW1' as never)).toThrow(/readArrowIpc: the input must be a Uint8Array/);
  });
});
