/**
 * toJSON's random effects: every level of a grouping factor of at most RANEF_JSON_LEVELS levels, a
 * summary past that by default (a 100M-row fit's million levels were 142 MB of JSON), every level
 * on request (`ranef: 'all'`, the CLI's --ranef all), and fit.ranef always whole, as lme4's ranef().
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lmer } from '../src/fit/lmer.js';
import { RANEF_JSON_LEVELS } from '../src/results/mixedFit.js';
import type { RanefGroup, RanefSummary } from '../src/results/components.js';
import { quantile7 } from '../src/frame/basis/bspline.js';
import { OptionError } from '../src/errors/errors.js';
import { type CliIO, runFit } from '../src/cli/fitCommand.js';
import type { LmmFit } from '../src/lmm/lmmFit.js';

const LEVELS = RANEF_JSON_LEVELS + 500;
/** two rows per level of g (more levels than the limit), h of 20 levels crossed */
function columns() {
  const n = 2 * LEVELS;
  const y = new Float64Array(n), x = new Float64Array(n);
  const g: string[] = [], h: string[] = [];
  for (let i = 0; i < n; i++) {
    const lv = i >> 1;
    x[i] = ((i * 7) % 11) / 11;
    y[i] = 1 + 0.5 * x[i] + Math.sin(lv * 1.7) + 0.3 * Math.cos(i * 2.3) + 0.2 * ((i % 20) - 10) / 10;
    g.push(`g${lv}`);
    h.push(`h${i % 20}`);
  }
  return { y, x, g, h };
}

let fit: LmmFit;
let dir: string;
beforeAll(async () => {
  fit = await lmer('y ~ x + (1 | g) + (1 | h)', columns());
  dir = mkdtempSync(join(tmpdir(), 'mixedgpu-ranef-json-'));
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('toJSON ranef', () => {
  it('by default: a summary for the grouping factor past the limit, every level of the other', () => {
    const j = fit.toJSON();
    const [g, h] = j.ranef as [RanefSummary, RanefGroup];
    const whole = fit.ranef;
    expect(g.group).toBe('g');
    expect(g.summarized).toBe(true);
    expect(g.nlevels).toBe(LEVELS);
    expect('levels' in g).toBe(false);
    const modes = whole[0].values['(Intercept)'];
    const sds = whole[0].condsd['(Intercept)'];
    const mean = modes.reduce((a, b) => a + b, 0) / modes.length;
    const sd = Math.sqrt(modes.reduce((a, b) => a + (b - mean) ** 2, 0) / (modes.length - 1));
    const [min, q25, median, q75, max] = quantile7(modes, [0, 0.25, 0.5, 0.75, 1]);
    const s = g.values_summary['(Intercept)'];
    expect(s.mean).toBeCloseTo(mean, 12);
    expect(s.sd).toBeCloseTo(sd, 12);
    expect([s.min, s.q25, s.median, s.q75, s.max]).toEqual([min, q25, median, q75, max]);
    expect(g.condsd_summary['(Intercept)'].min).toBe(Math.min(...sds));
    expect(g.condsd_summary['(Intercept)'].max).toBe(Math.max(...sds));
    expect(g.condsd_summary['(Intercept)'].mean).toBeCloseTo(sds.reduce((a, b) => a + b, 0) / sds.length, 12);
    // h (20 levels) is listed level by level, as fit.ranef
    expect(h).toEqual(whole[1]);
    // JSON.stringify(fit) passes a key to toJSON: the default
    expect(JSON.parse(JSON.stringify(fit)).ranef[0].summarized).toBe(true);
  });

  it("every level with ranef: 'all'; every grouping factor summarized with 'summary'", () => {
    expect(fit.toJSON({ ranef: 'all' }).ranef).toEqual(fit.ranef);
    const s = fit.toJSON({ ranef: 'summary' }).ranef as RanefSummary[];
    expect(s.map((r) => [r.group, r.nlevels, r.summarized])).toEqual([['g', LEVELS, true], ['h', 20, true]]);
    expect(() => fit.toJSON({ ranef: 'some' as 'all' })).toThrow(OptionError);
  });

  it('the default JSON does not grow with the levels past the limit', () => {
    const all = JSON.stringify(fit.toJSON({ ranef: 'all' })).length;
    const auto = JSON.stringify(fit.toJSON()).length;
    expect(all).toBeGreaterThan(LEVELS * 30);
    expect(auto).toBeLessThan(20_000);
  });
});

describe('CLI --ranef', () => {
  const run = async (args: Record<string, unknown>) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIO = { stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); } };
    const code = await runFit({ file: join(dir, 'd.csv'), formula: 'y ~ x + (1 | g) + (1 | h)', quiet: true, ...args }, io);
    return { code, out: out.join(''), err: err.join('') };
  };
  beforeAll(() => {
    const c = columns();
    const lines = ['y,x,g,h'];
    for (let i = 0; i < c.y.length; i++) lines.push(`${c.y[i]},${c.x[i]},${c.g[i]},${c.h[i]}`);
    writeFileSync(join(dir, 'd.csv'), `${lines.join('\n')}\n`);
  });

  it('--json summarizes g; --ranef all lists every level', async () => {
    const auto = await run({ json: true });
    expect(auto.code).toBe(0);
    expect(JSON.parse(auto.out).ranef[0]).toMatchObject({ group: 'g', nlevels: LEVELS, summarized: true });
    const all = await run({ json: true, ranef: 'all' });
    expect(all.code).toBe(0);
    const r = JSON.parse(all.out).ranef[0];
    expect(r.levels).toHaveLength(LEVELS);
    expect(r.values['(Intercept)']).toHaveLength(LEVELS);
  }, 120_000);

  it('a bad --ranef, or --ranef without --json, is an error naming the option', async () => {
    const bad = await run({ json: true, ranef: 'most' });
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/--ranef must be one of auto, all, summary, not 'most'/);
    const noJson = await run({ ranef: 'all' });
    expect(noJson.code).toBe(1);
    expect(noJson.err).toMatch(/--ranef chooses how --json writes the random effects: give --json too/);
  });
});
