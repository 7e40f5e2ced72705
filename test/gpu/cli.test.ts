/** The CLI's --backend webgpu and auto on a WebGPU adapter (SwiftShader in CI). */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runFit, type FitArgs } from '../../src/cli/fitCommand.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();
const sleepstudy = join(import.meta.dirname, '..', 'fixtures', 'data', 'sleepstudy.csv');
const FORMULA = 'Reaction ~ Days + (Days | Subject)';

async function run(args: FitArgs) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runFit(args, { stdout: (t) => out.push(t), stderr: (t) => err.push(t), stderrIsTTY: false });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'mixedgpu fit --backend'), { timeout: GPU_TIMEOUT }, () => {
  it('webgpu fits on the adapter and says which precision produced the numbers', async () => {
    const { code, stdout, stderr } = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', json: true, backend: 'webgpu' });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const j = JSON.parse(stdout);
    expect(j.backend).toBe('webgpu');
    expect(j.device).toContain(gpu!.adapterName);
    expect(j.precision).toBe('float32 (webgpu) polished in float64');
    expect(j.gpu_check.polishEvaluations).toBeGreaterThan(0);
    expect(j.remlcrit).toBeCloseTo(1743.6282719599, 6);
  });

  it('auto leaves a model too small for any device to pay for its set-up on the CPU, on any adapter, and notes it on stderr', async () => {
    const { code, stdout, stderr } = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', json: true, backend: 'auto' });
    expect(code).toBe(0);
    const j = JSON.parse(stdout);
    expect(j.backend).toBe('cpu');
    expect(j.messages).toContainEqual(expect.stringMatching(/^backend auto: CPU \(an evaluation of this model takes [\d.e+-]+ ms on the CPU: the most a GPU could save/));
    expect(stderr).toMatch(/--backend auto used cpu/);
    // --family: the same rule
    const cbpp = join(import.meta.dirname, '..', 'fixtures', 'data', 'cbpp.csv');
    const g = await run({ file: cbpp, formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', factors: 'herd,period', family: 'binomial', json: true, backend: 'auto' });
    expect(g.code).toBe(0);
    const gj = JSON.parse(g.stdout);
    expect(gj.backend).toBe('cpu');
    expect(gj.messages).toContainEqual(expect.stringMatching(/^backend auto: CPU \(a PIRLS run of this model takes [\d.e+-]+ ms on the CPU: /));
  });

  it('auto on a larger model follows the one backend rule (a hardware adapter: one evaluation on each decides; a software one: the CPU, with the reason)', async () => {
    const insteval = join(import.meta.dirname, '..', 'fixtures', 'data', 'insteval.csv');
    const { code, stdout, stderr } = await run({ file: insteval, formula: 'y ~ service + (1 | s) + (1 | d) + (1 | dept:service)', factors: 's,d,dept,service', json: true, backend: 'auto' });
    expect(code).toBe(0);
    const j = JSON.parse(stdout);
    expect(stderr).toMatch(new RegExp(`--backend auto used ${j.backend}`));
    if (gpu!.isSoftware) {
      expect(j.backend).toBe('cpu');
      expect(j.messages).toContainEqual(expect.stringMatching(/^backend auto: CPU \(the WebGPU adapter, .* is a software implementation/));
    } else if (j.backend === 'cpu') {
      expect(j.messages).toContainEqual(expect.stringMatching(/^backend auto: CPU \(an evaluation of this model takes [\d.e+-]+ ms on the CPU and [\d.e+-]+ ms on WebGPU/));
    }
  });

  it('the summary names the backend', async () => {
    const { code, stdout } = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', backend: 'webgpu' });
    expect(code).toBe(0);
    expect(stdout).toMatch(/Backend: webgpu \(WebGPU: .*\)/);
  });
});
