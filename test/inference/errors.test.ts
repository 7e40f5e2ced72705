/** Bad input to the inference functions gets an error naming the problem. */
import { describe, expect, it } from 'vitest';
import { checkContrast, contest1D } from '../../src/inference/contest.js';
import { normalInterval } from '../../src/inference/predictInterval.js';
import { profileIntervals } from '../../src/inference/profile.js';
import { contexts, loadInference } from '../helpers/inference.js';

describe('inference input errors', () => {
  const { sat } = contexts(loadInference('sleepstudy'));
  it('a contrast of the wrong width names its row and the number of fixed effects', () => {
    expect(() => checkContrast([[1, 2, 3]], 2)).toThrow(/row 1 has 3 entries; the model has 2 fixed effects/);
    expect(() => contest1D(sat, [1])).toThrow(/row 1 has 1 entries; the model has 2 fixed effects/);
    expect(() => checkContrast([[1, NaN]], 2)).toThrow(/entry \[1, 2\] is NaN/);
    expect(() => checkContrast([], 2)).toThrow(/has no rows/);
  });
  it('a level outside (0, 1)', () => {
    expect(() => normalInterval(1, 1, 1.5)).toThrow(/level must be between 0 and 1, got 1.5/);
    expect(() => profileIntervals({ problem: {} as never, profiles: [], warnings: [] }, 0)).toThrow(/level must be between 0 and 1, got 0/);
  });
});
