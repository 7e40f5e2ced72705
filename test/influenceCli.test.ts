/**
 * `mixedgpu influence FILE FORMULA --groups g [--json]`: the units sorted by Cook's distance, largest
 * first (the text output's top 20 or --top; the JSON every unit), against lme4 1.1-31's influence()
 * (test/fixtures/influence/lme4.json, its tight refits): the JSON's Cook's distances within 1e-6
 * relative to the largest (worst seen 1.3e-7, as test/influence.test.ts), its order lme4's order;
 * a poly(Days, 2) model's against test/fixtures/influence/data_terms.json the same way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import type { CliIO } from '../src/cli/fitCommand.js';
import { runInfluence } from '../src/cli/influenceCommand.js';
import { main } from '../src/cli/program.js';

const data = (f: string) => join(import.meta.dirname, 'fixtures', 'data', f);
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'influence', 'lme4.json'), 'utf8')) as {
  cases: { name: string; deleted: string[]; tight: { cooks: number[]; dfbetas: number[][] } }[];
};

async function capture(f: (io: CliIO) => Promise<number>) {
  const out: string[] = [], err: string[] = [];
  const code = await f({ stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); } });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('mixedgpu influence', () => {
  it('--json of a poly() model: lme4\'s Cook\'s distances (its refits keep the basis; test/fixtures/influence/data_terms.json)', async () => {
    const dt = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'influence', 'data_terms.json'), 'utf8')) as {
      cases: { name: string; formula: string; deleted: string[]; xnames: string[]; tight: { cooks: number[] } }[];
    };
    const c = dt.cases.find((x) => x.name === 'sleep_poly_subject')!;
    const r = await capture((io) => runInfluence({ file: data('sleepstudy.csv'), formula: c.formula, factors: 'Subject', groups: 'Subject', json: true, quiet: true }, io));
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { units: { unit: string; cooks_distance: number; dfbetas: Record<string, number> }[] };
    const dmax = Math.max(...c.tight.cooks);
    // 1e-6 of the largest, as test/influence.test.ts
    j.units.forEach((u) => {
      expect(Math.abs(u.cooks_distance - c.tight.cooks[c.deleted.indexOf(u.unit)]) / dmax, u.unit).toBeLessThan(1e-6);
      expect(Object.keys(u.dfbetas)).toEqual(c.xnames);
    });
  });
  it('--json: every unit by Cook\'s distance, largest first, as lme4', async () => {
    const c = fixture.cases.find((x) => x.name === 'sleepstudy_subject')!;
    const r = await capture((io) => runInfluence({ file: data('sleepstudy.csv'), formula: 'Reaction ~ Days + (Days | Subject)', factors: 'Subject', groups: 'Subject', json: true, quiet: true }, io));
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as { groups: string; units: { unit: string; cooks_distance: number; dfbetas: Record<string, number> }[] };
    expect(j.groups).toBe('Subject');
    expect(j.units.length).toBe(18);
    const order = c.deleted.map((_, i) => i).sort((a, b) => c.tight.cooks[b] - c.tight.cooks[a]);
    expect(j.units.map((u) => u.unit)).toEqual(order.map((i) => c.deleted[i]));
    const dmax = Math.max(...c.tight.cooks);
    j.units.forEach((u, k) => {
      expect(Math.abs(u.cooks_distance - c.tight.cooks[order[k]]) / dmax).toBeLessThan(1e-6);
      expect(Object.keys(u.dfbetas)).toEqual(['(Intercept)', 'Days']);
    });
  });

  it('text: the top units with their dfbetas; --top; observations by row', async () => {
    const r = await capture((io) => runInfluence({ file: data('sleepstudy.csv'), formula: 'Reaction ~ Days + (1 | Subject)', factors: 'Subject', quiet: true }, io));
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe("Case-deletion influence (lme4's influence.merMod) by observation: 180 refits, the 20 largest Cook's distances");
    expect(lines[1].split(/\s+/)).toEqual(['row', 'n', "Cook's", 'D', 'dfbetas', '(Intercept)', 'dfbetas', 'Days']);
    expect(lines.length).toBe(22);
    // lme4's largest by observation (its tight refits)
    const c = fixture.cases.find((x) => x.name === 'sleepstudy_case')!;
    const top = c.deleted.map((_, i) => i).sort((a, b) => c.tight.cooks[b] - c.tight.cooks[a]);
    expect(lines.slice(2).map((l) => l.split(/\s+/)[0])).toEqual(top.slice(0, 20).map((i) => c.deleted[i]));
    const r5 = await capture((io) => runInfluence({ file: data('penicillin.csv'), formula: 'diameter ~ 1 + (1 | plate) + (1 | sample)', groups: 'plate', top: 5, quiet: true }, io));
    expect(r5.stdout.trim().split('\n').length).toBe(7);
  });

  it('refuses unknown groups, with the reason (glmer fits: test/glmerInfluence.test.ts)', async () => {
    const u = await capture((io) => runInfluence({ file: data('sleepstudy.csv'), formula: 'Reaction ~ Days + (1 | Subject)', factors: 'Subject', groups: 'Days', quiet: true }, io));
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/groups 'Days' is not one of the model's grouping factors/);
  });

  it('is a command of the program', async () => {
    const out: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out.push(String(s)); return true; });
    const code = process.exitCode;
    try {
      await main(['node', 'mixedgpu', 'influence', data('penicillin.csv'), 'diameter ~ 1 + (1 | plate) + (1 | sample)', '--groups', 'sample', '--maxfun', '800', '--json', '--quiet']);
      expect(process.exitCode ?? 0).toBe(0);
      const j = JSON.parse(out.join('')) as { units: { unit: string; feval: number }[] };
      expect(j.units.map((u) => u.unit).sort()).toEqual(['A', 'B', 'C', 'D', 'E', 'F']);
    } finally {
      write.mockRestore();
      process.exitCode = code;
    }
  });
});
