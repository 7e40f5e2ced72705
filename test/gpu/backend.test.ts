/**
 * One backend rule for lmer and glmer (src/backend/select.ts; issue 9, item 3): 'auto' fits on a
 * hardware WebGPU adapter, and on the CPU when the adapter is a software one (SwiftShader in CI),
 * saying so in the fit's messages; 'webgpu' uses any adapter. Before, lmer's 'auto' used
 * SwiftShader and glmer refused 'auto'. And an external AbortSignal stops a WebGPU fit promptly
 * (item 9).
 */
import { describe, expect, it } from 'vitest';
import { glmer } from '../../src/fit/glmer.js';
import { lmer } from '../../src/fit/lmer.js';
import { abortLatency } from '../helpers/abort.js';
import { loadData, loadReference } from '../helpers/reference.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';

const gpu = await gpuOrSkip();
const SOFTWARE = /^backend auto: CPU \(the WebGPU adapter, .* is a software implementation, slower than the CPU backend; choose backend 'webgpu' to use it anyway\)$/;

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'the backend rule'), { timeout: GPU_TIMEOUT }, () => {
  const sleep = loadReference('sleepstudy_slopes_reml');
  const cbpp = loadReference('cbpp_binomial');

  it('lmer: auto uses a hardware adapter, and the CPU on a software one (with the reason)', async () => {
    const fit = await lmer(sleep.formula, loadData(sleep), { factors: sleep.factors, backend: 'auto' });
    if (gpu!.isSoftware) {
      expect(fit.backend.name).toBe('cpu');
      expect(fit.messages.filter((m) => SOFTWARE.test(m))).toHaveLength(1);
    } else {
      expect(fit.backend.name).toBe('webgpu');
      expect(fit.messages.join('\n')).not.toMatch(/backend auto/);
    }
  });

  it('glmer: auto follows the same rule', async () => {
    const fit = await glmer(cbpp.formula, loadData(cbpp), { family: 'binomial', factors: cbpp.factors, backend: 'auto' });
    if (gpu!.isSoftware) {
      expect(fit.backend.name).toBe('cpu');
      expect(fit.messages.filter((m) => SOFTWARE.test(m))).toHaveLength(1);
    } else {
      expect(fit.backend.name).toBe('webgpu');
    }
  });

  it('webgpu uses the adapter, software or not', async () => {
    const fit = await lmer(sleep.formula, loadData(sleep), { factors: sleep.factors, backend: 'webgpu' });
    expect(fit.backend.name).toBe('webgpu');
    expect(fit.backend.precision).toBe('float32 (webgpu) polished in float64');
  });

  it('an unknown backend is refused by name', async () => {
    await expect(lmer(sleep.formula, loadData(sleep), { factors: sleep.factors, backend: 'gpu' as 'auto' })).rejects.toThrow("unknown backend 'gpu' (choose one of cpu, webgpu, auto)");
  });

  it('an external AbortSignal stops lmer and glmer on WebGPU promptly', async () => {
    const insteval = loadReference('insteval_crossed_reml');
    const verbagg = loadReference('verbagg_binomial_crossed');
    const lm = await abortLatency((signal, onProgress) => lmer(insteval.formula, loadData(insteval), { factors: insteval.factors, backend: 'webgpu', signal, onProgress }), 200);
    console.log(`lmer (webgpu) abort latency ${lm.latency.toFixed(0)} ms (bound ${lm.bound.toFixed(0)} ms)`);
    expect(lm.latency).toBeLessThan(lm.bound);
    const glm = await abortLatency((signal, onProgress) => glmer(verbagg.formula, loadData(verbagg), { family: 'binomial', factors: verbagg.factors, backend: 'webgpu', signal, onProgress }), 200);
    console.log(`glmer (webgpu) abort latency ${glm.latency.toFixed(0)} ms (bound ${glm.bound.toFixed(0)} ms)`);
    expect(glm.latency).toBeLessThan(glm.bound);
  });
});
