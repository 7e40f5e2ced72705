/**
 * One backend rule for lmer and glmer (src/backend/select.ts; issue 9, item 3): 'auto' fits on a
 * hardware WebGPU adapter where one evaluation on each says the device is faster, and on the CPU when
 * the adapter is a software one (SwiftShader in CI), saying so in the fit's messages; a model too small
 * for any device to pay for its set-up stays on the CPU without one; 'webgpu' uses any adapter. Before, lmer's 'auto' used
 * SwiftShader and glmer refused 'auto'. And an external AbortSignal stops a WebGPU fit promptly
 * (item 9).
 */
import { describe, expect, it } from 'vitest';
import { glmer } from '../../src/fit/glmer.js';
import { lmer } from '../../src/fit/lmer.js';
import { abortLatency } from '../helpers/abort.js';
import { loadData, loadReference } from '../helpers/reference.js';
import { GPU_TIMEOUT, gpuOrSkip, gpuSuiteName } from './setup.js';
import { lmmBackend, glmmDevice } from '../../src/backend/select.js';
import { buildLmm } from '../../src/lmm/model.js';
import { buildGlmm } from '../../src/glmm/model.js';
import { PirlsEngine } from '../../src/glmm/pirls.js';
import { formGram } from '../../src/backend/cpu/gram.js';
import { CpuBackend } from '../../src/backend/cpu/cpuBackend.js';
import { makeFactorVector, makeFloat64Vector, tableFromColumns } from '../../src/io/arrow.js';
import { sizedGlmmTable, sizedLmmData, sizedLmmTable } from '../../bench/sized.js';

const gpu = await gpuOrSkip();
const SOFTWARE = /^backend auto: CPU \(the WebGPU adapter, .* is a software implementation, slower than the CPU backend; choose backend 'webgpu' to use it anyway\)$/;
const SMALL_LMM = /^backend auto: CPU \(an evaluation of this model takes [\d.e+-]+ ms on the CPU: the most a GPU could save on the whole fit, about [\d.e+-]+ ms, is less than setting one up takes\)$/;
const SMALL_GLMM = /^backend auto: CPU \(a PIRLS run of this model takes [\d.e+-]+ ms on the CPU: (the most a GPU could save on the whole fit, about [\d.e+-]+ ms, is less than setting one up takes|the float64 polish of a GPU fit alone would take as long as the whole fit on the CPU)\)$/;

/** `y ~ x + z + (1 | g)`, binomial, 200,000 rows and 2,000 groups (built once) */
let big: ReturnType<typeof buildGlmm> | null = null;
function bigGlmm(): ReturnType<typeof buildGlmm> {
  if (!big) {
    const { table, formula } = sizedGlmmTable({ n: 200_000, groups: 2000, levels: 1, q: 1, seed: 5, family: 'binomial' });
    big = buildGlmm(formula, table, { family: 'binomial' });
  }
  return big;
}

describe.skipIf(!gpu)(gpuSuiteName(gpu, 'the backend rule'), { timeout: GPU_TIMEOUT }, () => {
  const sleep = loadReference('sleepstudy_slopes_reml');
  const cbpp = loadReference('cbpp_binomial');

  it('auto: a model too small for any device to pay for its set-up stays on the CPU, adapter or not, and no device is set up (lmer and glmer)', async () => {
    const fit = await lmer(sleep.formula, loadData(sleep), { factors: sleep.factors, backend: 'auto' });
    expect(fit.backend.name).toBe('cpu');
    expect(fit.messages.filter((m) => SMALL_LMM.test(m))).toHaveLength(1);
    expect(fit.messages.join('\n')).not.toMatch(/software implementation/);
    expect(fit.timings.gpuSetupMs).toBeUndefined();
    const gfit = await glmer(cbpp.formula, loadData(cbpp), { family: 'binomial', factors: cbpp.factors, backend: 'auto' });
    expect(gfit.backend.name).toBe('cpu');
    expect(gfit.messages.filter((m) => SMALL_GLMM.test(m))).toHaveLength(1);
    expect(gfit.timings.gpuSetupMs).toBeUndefined();
  });

  it('auto: a larger model uses a hardware adapter where its evaluations say so, and the CPU on a software one (with the reason)', async () => {
    // InstEval: a CPU evaluation of ~20 ms (the most a device could save ~1 s, against the 50 ms floor)
    const insteval = loadReference('insteval_crossed_reml');
    const fit = await lmer(insteval.formula, loadData(insteval), { factors: insteval.factors, backend: 'auto' });
    expect(fit.messages.join('\n')).not.toMatch(SMALL_LMM);
    if (gpu!.isSoftware) {
      expect(fit.backend.name).toBe('cpu');
      expect(fit.messages.filter((m) => SOFTWARE.test(m))).toHaveLength(1);
    } else if (fit.backend.name === 'cpu') {
      expect(fit.messages.join('\n')).toMatch(/^backend auto: CPU \(an evaluation of this model takes [\d.e+-]+ ms on the CPU and [\d.e+-]+ ms on WebGPU/m);
    }
    // a binomial GLMM of 200,000 rows and 2,000 groups: a PIRLS run of a few ms (the most a device could save, 94 runs' worth, well above the floor)
    const gm = bigGlmm();
    const messages: string[] = [];
    const dev = await glmmDevice(gm, { backend: 'auto' }, 1, messages, new PirlsEngine(gm.pirls), {});
    dev?.dispose();
    expect(messages.join('\n')).not.toMatch(SMALL_GLMM);
    if (gpu!.isSoftware) {
      expect(dev).toBeNull();
      expect(messages.filter((m) => SOFTWARE.test(m))).toHaveLength(1);
    }
  });

  it("a hardware adapter takes models beyond the old shader limits (p = 21, q = 9: lmer and glmer); auto's measured choice for the LMM and the GLMM", async () => {
    // the shared device as a host's GPUDevice that does not say what its adapter is: taken as hardware
    const hostDevice = new Proxy(gpu!.device, {
      get(t, k) {
        if (k === 'adapterInfo') return undefined;
        const v = Reflect.get(t, k, t) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
    // 300 groups: a CPU evaluation of a few ms, so that auto measures the device (the most it could save,
    // (12 · 45 + 17) evaluations' worth, is well above the set-up floor)
    const opts = { n: 6000, groups: 300, levels: 7, q: 9, seed: 31 };
    const { table, formula } = sizedLmmTable(opts);
    const model = buildLmm(formula, table, { REML: true });
    expect([model.frame.p, model.blocks[0].q]).toEqual([21, 9]);
    const messages: string[] = [];
    // auto: no size limit refuses it; one evaluation on each then decides (deviceIsFaster): SwiftShader,
    // taken as hardware here, is slower than the CPU, so the fit stays there and says why
    const timings: Record<string, number> = {};
    const auto = await lmmBackend(model, new CpuBackend(formGram(model), model.theta.length), { backend: 'auto', device: hostDevice }, messages, timings);
    auto?.dispose();
    expect(messages.join('\n')).not.toMatch(/limit|cannot/);
    if (gpu!.isSoftware) {
      expect(auto).toBeNull();
      expect(messages.join('\n')).toMatch(/^backend auto: CPU \(an evaluation of this model takes [\d.e+-]+ ms on the CPU and [\d.e+-]+ ms on WebGPU/m);
      expect(timings.autoProbeMs).toBeGreaterThan(0);
    }
    const backend = await lmmBackend(model, new CpuBackend(formGram(model), model.theta.length), { backend: 'webgpu', device: hostDevice }, [], {});
    try {
      expect(backend).not.toBeNull();
      const theta = Float64Array.from(model.theta.start);
      const cpu = new CpuBackend(formGram(model), model.theta.length).evaluate(theta);
      const dev = await backend!.evaluate(theta);
      expect(Math.abs(dev.ldL2 - cpu.ldL2) / Math.abs(cpu.ldL2)).toBeLessThan(1e-5);
    } finally {
      backend?.dispose();
    }
    // a binomial GLMM of the same shape
    const d = sizedLmmData(opts);
    const y = d.numeric[0][1];
    const cols = [
      ['y01', makeFloat64Vector(Float64Array.from(y, (v) => (v > 1 ? 1 : 0)))] as const,
      ...d.numeric.slice(1).map(([name, v]) => [name, makeFloat64Vector(v)] as const),
      ...d.factors.map(([name, codes, levels]) => [name, makeFactorVector(codes, levels)] as const),
    ];
    const gm = buildGlmm(formula.replace(/^y ~/, 'y01 ~'), tableFromColumns(cols), { family: 'binomial' });
    expect(gm.frame.p).toBe(21);
    const gmMessages: string[] = [];
    const dev = await glmmDevice(gm, { backend: 'auto', device: hostDevice }, 1, gmMessages);
    expect(dev, gmMessages.join('; ')).not.toBeNull();
    expect(dev!.backend.name).toBe('webgpu');
    dev!.dispose();
    // with the fit's float64 engine, auto times a PIRLS run with β fixed on the CPU first: with |θ| + p = 66
    // the float64 polish of a device fit (2n² + n runs) costs more than the CPU's whole fit, so no device
    // is set up; the engine is left as a new one
    const engine = new PirlsEngine(gm.pirls);
    const gmTimings: Record<string, number> = {};
    const probed = await glmmDevice(gm, { backend: 'auto', device: hostDevice }, 1, gmMessages, engine, gmTimings);
    expect(probed).toBeNull();
    expect(gmMessages.join('\n')).toMatch(/^backend auto: CPU \(a PIRLS run of this model takes [\d.e+-]+ ms on the CPU: the float64 polish of a GPU fit alone would take as long as the whole fit on the CPU\)$/m);
    expect(gmTimings.autoProbeMs).toBeGreaterThan(0);
    const theta = Float64Array.from(gm.theta.start);
    expect(engine.run(theta, null)).toEqual(new PirlsEngine(gm.pirls).run(theta, null));
    // |θ| = 1, p = 3 and 200,000 rows: auto measures a PIRLS run with β fixed on each (glmmDeviceIsFaster):
    // SwiftShader taken as hardware is slower than the CPU; both engines are left as new ones
    const big = bigGlmm();
    const bigEngine = new PirlsEngine(big.pirls);
    const bigMessages: string[] = [];
    const bigTimings: Record<string, number> = {};
    const measured = await glmmDevice(big, { backend: 'auto', device: hostDevice }, 1, bigMessages, bigEngine, bigTimings);
    measured?.dispose();
    if (gpu!.isSoftware) {
      expect(measured).toBeNull();
      expect(bigMessages.join('\n')).toMatch(/^backend auto: CPU \(a PIRLS run of this model takes [\d.e+-]+ ms on the CPU and [\d.e+-]+ ms on WebGPU/m);
      expect(bigTimings.autoProbeMs).toBeGreaterThan(0);
    }
    const bigTheta = Float64Array.from(big.theta.start);
    expect(bigEngine.run(bigTheta, null)).toEqual(new PirlsEngine(big.pirls).run(bigTheta, null));
    // and the same device, saying it is SwiftShader, is refused by auto
    if (gpu!.isSoftware) expect(await lmmBackend(model, new CpuBackend(formGram(model), model.theta.length), { backend: 'auto', device: gpu!.device }, [], {})).toBeNull();
  });

  it('webgpu uses the adapter, software or not', async () => {
    const fit = await lmer(sleep.formula, loadData(sleep), { factors: sleep.factors, backend: 'webgpu' });
    expect(fit.backend.name).toBe('webgpu');
    expect(fit.backend.precision).toBe('float32 (webgpu) polished in float64');
  });

  it('an unknown backend is refused by name (an OptionError of the argument checks)', async () => {
    await expect(lmer(sleep.formula, loadData(sleep), { factors: sleep.factors, backend: 'gpu' as 'auto' }))
      .rejects.toThrow(`lmer: backend must be one of 'cpu', 'webgpu', 'auto', not the string "gpu"`);
    await expect(glmer(cbpp.formula, loadData(cbpp), { family: 'binomial', factors: cbpp.factors, backend: 'gpu' as 'auto' }))
      .rejects.toThrow(`glmer: backend must be one of 'cpu', 'webgpu', 'auto', not the string "gpu"`);
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
