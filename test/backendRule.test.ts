/**
 * 'auto''s cost rule for an LMM (src/backend/select.ts, deviceIsFaster), decided after the device's
 * set-up, on evaluation times the first H200 run measured (bench/RESULTS.md, "Real GPU: NVIDIA H200",
 * the CPU there on one core): the 1M- and 10M-row models and InstEval go on with WebGPU; a device
 * evaluation less than about 1.5 times faster than the CPU's does not pay for the float64 check and
 * polish. Before any device, a model on which even a free device could save less than the set-up
 * floor (lmmGainBound, glmmGainBound) stays on the CPU.
 */
import { describe, expect, it } from 'vitest';
import { AUTO_SETUP_FLOOR_MS, deviceIsFaster, glmmDeviceIsFaster, glmmGainBound, leastTime, lmmGainBound } from '../src/backend/select.js';

describe("backend 'auto': one evaluation on each decides", () => {
  it('the H200 run\'s evaluations: WebGPU', () => {
    expect(deviceIsFaster(1.27, 16.08, 3)).toBe(true); // 1m
    expect(deviceIsFaster(1.52, 27.61, 3)).toBe(true); // 10m
    expect(deviceIsFaster(39.22, 97.54, 3)).toBe(true); // InstEval (whole fits there: 8.13 s on webgpu, 12.68 s on the CPU)
  });
  it('a device evaluation dearer, or not much cheaper, than the CPU\'s: the CPU', () => {
    expect(deviceIsFaster(5, 4, 1)).toBe(false);
    expect(deviceIsFaster(39.22, 20, 3)).toBe(false); // InstEval against a CPU evaluation on several cores
    expect(deviceIsFaster(15, 20, 3)).toBe(false);
  });
  it('the polish\'s cost sets the bar: for n = 3 a device 1.5 times faster does not pay, 1.7 times does', () => {
    expect(deviceIsFaster(20 / 1.5, 20, 3)).toBe(false);
    expect(deviceIsFaster(20 / 1.7, 20, 3)).toBe(true);
  });
});

describe("backend 'auto' for a GLMM: one PIRLS run with β fixed on each decides", () => {
  // glmm1m (|θ| = 1, p = 3): the H200's second run, a device run of stage 2 17.9 ms (2.88 s / 161), a
  // float64 run on one host core 515 ms (33 s / 64, PIRLS's general iteration then)
  it('the H200 run\'s device against one core\'s general iteration: WebGPU', () => {
    expect(glmmDeviceIsFaster(17.9, 515, 1, 3)).toBe(true);
  });
  it('against runs by levels on the row threads, a few ms: the CPU', () => {
    expect(glmmDeviceIsFaster(17.9, 12, 1, 3)).toBe(false);
    expect(glmmDeviceIsFaster(17.9, 17, 1, 3)).toBe(false);
  });
  it('the bar for |θ| = 1, p = 3: a device run about as fast as the CPU\'s (its stage 2 as long, then the polish)', () => {
    expect(glmmDeviceIsFaster(0.95 * 20, 20, 1, 3)).toBe(true);
    expect(glmmDeviceIsFaster(1.05 * 20, 20, 1, 3)).toBe(false);
  });
});

describe("backend 'auto' before any device: the most a device could save against the set-up floor", () => {
  it('is the CPU fit less the float64 evaluations a device fit keeps: the rules with a device that costs nothing', () => {
    for (const n of [1, 3, 6, 45]) {
      const bound = lmmGainBound(2, n);
      // a device evaluation a hair dearer than nothing: faster exactly while the polish costs less than the fit
      expect(deviceIsFaster(1e-9, 2, n)).toBe(bound > 0);
      expect(bound).toBe((12 * n + 17) * 2);
    }
    expect(glmmGainBound(2, 1, 3)).toBe(94 * 2); // |θ| = 1, p = 3: glmm1m's shape
    expect(glmmDeviceIsFaster(1e-9, 2, 1, 3)).toBe(true);
  });
  it('sleepstudy (|θ| = 3, an evaluation of ~0.02 ms) and cbpp (|θ| = 1, p = 4) stay on the CPU; InstEval (~20 ms) and glmm1m (a run of a few ms) go on to the device', () => {
    expect(lmmGainBound(0.02, 3)).toBeLessThan(AUTO_SETUP_FLOOR_MS);
    expect(glmmGainBound(0.05, 1, 4)).toBeLessThan(AUTO_SETUP_FLOOR_MS);
    expect(lmmGainBound(20, 3)).toBeGreaterThan(AUTO_SETUP_FLOOR_MS);
    expect(glmmGainBound(3, 1, 3)).toBeGreaterThan(AUTO_SETUP_FLOOR_MS);
  });
  it('a GLMM with many fixed effects: the float64 polish alone costs the CPU fit, whatever the device (no gain)', () => {
    expect(glmmGainBound(100, 45, 21)).toBeLessThanOrEqual(0);
    expect(glmmDeviceIsFaster(1e-9, 100, 45, 21)).toBe(false);
  });
});

describe("backend 'auto''s CPU probe: the least time of a few calls (leastTime), on a clock the test drives", () => {
  /** a clock on which the k-th call of the returned f takes times[k] ms (the last one thereafter); and the count of calls */
  function clocked(times: number[]): { f: () => void; now: () => number; calls: () => number } {
    let t = 0, k = 0;
    return { f: () => { t += times[Math.min(k, times.length - 1)]; k++; }, now: () => t, calls: () => k };
  }
  it('a cheap call whose first two calls were slow (cold JIT, or a loaded machine descheduling them) is still timed at its cheap speed', async () => {
    // before: the two slow calls alone passed half the floor, so the probe stopped at 20 ms and a
    // model a device cannot pay for (cbpp: gain 100 × 0.06 ms) looked large enough to set one up
    const c = clocked([20, 20, 3, 0.06]);
    expect(await leastTime(c.f, c.now)).toBeCloseTo(0.06, 9);
    expect(c.calls()).toBe(20);
    expect(glmmGainBound(0.06, 1, 4)).toBeLessThan(AUTO_SETUP_FLOOR_MS);
  });
  it('a dear call stops after two (the probe costs little beside the fit it decides); one of 20 ms after five', async () => {
    const c = clocked([150, 100]);
    expect(await leastTime(c.f, c.now)).toBeCloseTo(100, 9);
    expect(c.calls()).toBe(2);
    const d = clocked([30, 20]);
    expect(await leastTime(d.f, d.now)).toBeCloseTo(20, 9);
    expect(d.calls()).toBe(5);
  });
  it('calls of a few ms: more while together under half the floor, none beyond that once the rest would cost more than it', async () => {
    const c = clocked([4]);
    expect(await leastTime(c.f, c.now)).toBeCloseTo(4, 9);
    // 7 calls reach 28 ms ≥ 25 (and more than five); the 13 left at 4 ms would cost 52 ms
    expect(c.calls()).toBe(7);
  });
  it('never more than 20 calls', async () => {
    const c = clocked([0.01]);
    expect(await leastTime(c.f, c.now)).toBeCloseTo(0.01, 9);
    expect(c.calls()).toBe(20);
  });
});
