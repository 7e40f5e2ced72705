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

  it('auto follows the one backend rule (a hardware adapter: WebGPU; a software one: the CPU, with the reason in the messages) and notes it on stderr', async () => {
    const { code, stdout, stderr } = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', json: true, backend: 'auto' });
    expect(code).toBe(0);
    const j = JSON.parse(stdout);
    if (gpu!.isSoftware) {
      expect(j.backend).toBe('cpu');
      expect(j.messages).toContainEqual(expect.stringMatching(/^backend auto: CPU \(the WebGPU adapter, .* is a software implementation/));
      expect(stderr).toMatch(/--backend auto used cpu/);
    } else {
      expect(j.backend).toBe('webgpu');
      expect(stderr).toMatch(/--backend auto used webgpu/);
    }
  });

  it('auto with --family follows the same rule', async () => {
    const cbpp = join(import.meta.dirname, '..', 'fixtures', 'data', 'cbpp.csv');
    const { code, stdout } = await run({ file: cbpp, formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', factors: 'herd,period', family: 'binomial', json: true, backend: 'auto' });
    expect(code).toBe(0);
    const j = JSON.parse(stdout);
    expect(j.backend).toBe(gpu!.isSoftware ? 'cpu' : 'webgpu');
    if (gpu!.isSoftware) expect(j.messages).toContainEqual(expect.stringMatching(/software implementation/));
  });

  it('the summary names the backend', async () => {
    const { code, stdout } = await run({ file: sleepstudy, formula: FORMULA, factors: 'Subject', backend: 'webgpu' });
    expect(code).toBe(0);
    expect(stdout).toMatch(/Backend: webgpu \(WebGPU: .*\)/);
  });
});
