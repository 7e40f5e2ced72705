/**
 * mixedgpu as a dependency (issue 9, item 2): the package as npm would ship it (`npm pack`),
 * installed into a new project, used as its users use it:
 *  - imported from Node ESM ('mixedgpu' and 'mixedgpu/node'), fitting rows of objects;
 *  - type-checked in a TypeScript consumer (`tsc --noEmit`, NodeNext and bundler resolution), with
 *    a deliberate type error that must be caught (so the types are really the package's);
 *  - bundled with Vite into a page that creates its own GPUDevice, runs its own compute pass,
 *    hands the same device to `lmer`, and keeps using it afterwards — the device not lost, its
 *    buffer, pipeline and bind group intact, no uncaptured errors — run in Debian's Chromium.
 *
 * Offline-safe install: the project installs the tarball with `npm install --prefer-offline`, so
 * the dependencies come from npm's cache, filled by the `npm ci` that installed this repository
 * (the registry is only asked for what the cache lacks). The package is built first (`npm run build`)
 * so that the tarball holds the current code.
 *
 * Without Chromium the page test is skipped; under CI it fails instead.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'puppeteer';
import { CHROMIUM, CI, launchChromium, run, serve } from './browser.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const VITE = join(ROOT, 'node_modules/vite/bin/vite.js');
/** lme4 1.1-31's REML criterion for sleepstudy's random-slopes model */
const REML_CRIT = 1743.6282719599;

let tmp = '';
let app = '';
let server: Server | undefined;
let browser: Browser | undefined;

/** sleepstudy as an array of row objects, Subject as text (a factor) */
function sleepstudyRows(): { Reaction: number; Days: number; Subject: string }[] {
  const lines = readFileSync(join(ROOT, 'test/fixtures/data/sleepstudy.csv'), 'utf8').trim().split('\n').slice(1);
  return lines.map((l) => {
    const [r, d, s] = l.split(',');
    return { Reaction: Number(r), Days: Number(d), Subject: s.replace(/"/g, '') };
  });
}

function write(path: string, text: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'mixedgpu-consumer-'));
  await run(NPM, ['run', 'build'], ROOT, 300_000);
  const packed = await run(NPM, ['pack', '--pack-destination', tmp, '--silent'], ROOT, 120_000);
  const tarball = join(tmp, packed.trim().split('\n').pop()!.trim());
  app = join(tmp, 'app');
  write(join(app, 'package.json'), JSON.stringify({ name: 'consumer-app', version: '1.0.0', private: true, type: 'module' }, null, 2));
  const typesVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules/@webgpu/types/package.json'), 'utf8')).version as string;
  await run(NPM, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', tarball, `@webgpu/types@${typesVersion}`], app, 400_000);
}, 900_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
}, 60_000);

describe('the packed package in a new project', () => {
  it('holds the built library, its shaders and types, and no tests', () => {
    const pkg = join(app, 'node_modules/mixedgpu');
    const files = readdirSync(join(pkg, 'dist/src'));
    expect(files).toEqual(expect.arrayContaining(['index.js', 'index.d.ts', 'node.js', 'node.d.ts', 'errors']));
    expect(readdirSync(pkg)).not.toContain('test');
    expect(readdirSync(pkg)).not.toContain('node_modules');
  });

  it('imports from Node ESM and fits rows of objects, with the package\'s error types', async () => {
    write(join(app, 'check.mjs'), `
import { lmer, readCsv, FormulaError, MixedGpuError, OptionError } from 'mixedgpu';
import { readTableFile } from 'mixedgpu/node';
const rows = JSON.parse(process.argv[2]);
const fit = await lmer('Reaction ~ Days + (Days | Subject)', rows);
const { table } = readCsv('y,g\\n1,a\\n2,b\\n');
let formulaError = null;
try { await lmer('Reaction ~ Days + (1 | )', rows); } catch (e) { formulaError = e instanceof FormulaError && e instanceof MixedGpuError; }
let optionError = null;
try { await lmer('Reaction ~ Days + (1 | Subject)', rows, { REML: 'no' }); } catch (e) { optionError = e instanceof OptionError ? e.option : String(e); }
console.log(JSON.stringify({ remlcrit: fit.objective, nobs: fit.nobs, rows: table.numRows, formulaError, optionError, reader: typeof readTableFile }));
`);
    const out = await run(process.execPath, ['check.mjs', JSON.stringify(sleepstudyRows())], app, 120_000);
    const r = JSON.parse(out.trim().split('\n').pop()!);
    expect(r.remlcrit).toBeCloseTo(REML_CRIT, 6);
    expect(r).toMatchObject({ nobs: 180, rows: 2, formulaError: true, optionError: 'REML', reader: 'function' });
  }, 180_000);

  it('type-checks in a TypeScript consumer (NodeNext and bundler resolution), and its types catch a mistake', async () => {
    write(join(app, 'src/consumer.ts'), `
import { lmer, glmer, FormulaError, type LmerOptions, type DataInput, type LmmFit } from 'mixedgpu';
import { readTableFile, type CsvOptions } from 'mixedgpu/node';

export async function fitRows(rows: DataInput, device?: GPUDevice): Promise<LmmFit> {
  const options: LmerOptions = { REML: true, backend: device ? 'webgpu' : 'cpu', device, optimizer: { rhoend: 1e-7 } };
  const fit = await lmer('Reaction ~ Days + (Days | Subject)', rows, options);
  const se: Record<string, number> = fit.se;
  void se;
  return fit;
}
export function read(path: string): number {
  const csv: CsvOptions = { delimiter: ';', encoding: 'latin1', strayText: 'missing' };
  return readTableFile(path, csv).table.numRows;
}
export const isFormulaError = (e: unknown): boolean => e instanceof FormulaError;
export const g = glmer;
`);
    // NodeNext also checks the package's own declaration files (skipLibCheck off)
    const tsconfig = (moduleResolution: string, module: string) => JSON.stringify({
      compilerOptions: { target: 'ES2022', module, moduleResolution, strict: true, noEmit: true, types: ['@webgpu/types'], lib: ['ES2022', 'DOM'], skipLibCheck: moduleResolution !== 'NodeNext' },
      include: ['src'],
    });
    for (const [resolution, module] of [['NodeNext', 'NodeNext'], ['Bundler', 'ESNext']]) {
      write(join(app, `tsconfig.${resolution}.json`), tsconfig(resolution, module));
      await run(process.execPath, [TSC, '-p', `tsconfig.${resolution}.json`], app, 180_000);
    }
    // a mistake the package's types must catch
    write(join(app, 'src/mistake.ts'), `import { lmer } from 'mixedgpu';\nexport const p = lmer('y ~ x + (1 | g)', [], { REML: 'false' });\n`);
    const failed = await run(process.execPath, [TSC, '-p', 'tsconfig.NodeNext.json'], app, 180_000).then(() => '', (e: Error) => e.message);
    expect(failed).toMatch(/src\/mistake\.ts.*error TS2322: Type 'string' is not assignable to type 'boolean \| undefined'/s);
    rmSync(join(app, 'src/mistake.ts'));
  }, 400_000);
});

const enabled = !!CHROMIUM || CI;

describe.skipIf(!enabled)('a WebGPU app bundles mixedgpu (Vite) and shares its GPUDevice with lmer (Chromium)', () => {
  let base = '';
  beforeAll(async () => {
    const web = join(app, 'web');
    write(join(web, 'sleepstudy.json'), JSON.stringify(sleepstudyRows()));
    write(join(web, 'index.html'), '<!doctype html><html><head><meta charset="utf-8"><title>consumer</title><link rel="icon" href="data:,"></head><body><script type="module" src="./main.js"></script></body></html>\n');
    write(join(web, 'main.js'), PAGE);
    await run(process.execPath, [VITE, 'build', web, '--outDir', join(tmp, 'web-dist'), '--emptyOutDir', '--logLevel', 'warn', '--base', './'], app, 240_000);
    ({ server, base } = await serve(join(tmp, 'web-dist')));
    browser = await launchChromium(join(tmp, 'profile'));
  }, 300_000);

  it('the app\'s device, buffer and pipeline work before and after two fits on that device', async () => {
    const page = await browser!.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
    await page.goto(base, { waitUntil: 'load' });
    await page.waitForFunction(() => (window as unknown as { __result?: unknown }).__result !== undefined, { timeout: 240_000 });
    const r = await page.evaluate(() => (window as unknown as { __result: Record<string, unknown> }).__result) as {
      error?: string; adapter: string; backend: string; device: string; remlcrit: number; remlcrit2: number;
      before: boolean; after: boolean; third: boolean; lost: string | null; errors: string[]; bufferKept: boolean;
    };
    if (r.error?.startsWith('no WebGPU adapter') && !CI) return;
    expect(r.error).toBeUndefined();
    expect(r.backend).toBe('webgpu');
    expect(r.device).toMatch(/WebGPU/);
    expect(r.remlcrit).toBeCloseTo(REML_CRIT, 6);
    expect(r.remlcrit2).toBeCloseTo(REML_CRIT, 6);
    // the app's own compute pass: values doubled before, again after each fit
    expect(r.before).toBe(true);
    expect(r.bufferKept).toBe(true);
    expect(r.after).toBe(true);
    expect(r.third).toBe(true);
    expect(r.lost).toBeNull();
    expect(r.errors, JSON.stringify(r.errors)).toEqual([]);
    expect(pageErrors, JSON.stringify(pageErrors)).toEqual([]);
    await page.close();
  }, 300_000);
});

/** The consumer page: its own device and compute pass, lmer on the same device, the device used after. */
const PAGE = `
import { lmer } from 'mixedgpu';
import rows from './sleepstudy.json';

const N = 256;
const SHADER = \`@group(0) @binding(0) var<storage, read_write> v: array<f32>;
@compute @workgroup_size(64) fn main(@builtin(global_invocation_id) id: vec3u) {
  if (id.x < arrayLength(&v)) { v[id.x] = v[id.x] * 2.0; }
}\`;

async function main() {
  const out = {};
  if (!navigator.gpu) throw new Error('no WebGPU adapter (navigator.gpu is missing)');
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter');
  out.adapter = [adapter.info.vendor, adapter.info.architecture, adapter.info.description].join(' ');
  // the app's own device, with the default limits an app asks for
  const device = await adapter.requestDevice();
  let lost = null;
  device.lost.then((info) => { lost = info.reason + ': ' + info.message; });
  const errors = [];
  device.addEventListener('uncapturederror', (e) => errors.push(e.error.message));

  // the app's own compute pass: doubles a buffer in place
  const module = device.createShaderModule({ code: SHADER });
  const pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const buffer = device.createBuffer({ size: N * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
  device.queue.writeBuffer(buffer, 0, Float32Array.from({ length: N }, (_, i) => i));
  const bindGroup = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer } }] });
  const pass = () => {
    const enc = device.createCommandEncoder();
    const p = enc.beginComputePass();
    p.setPipeline(pipeline);
    p.setBindGroup(0, bindGroup);
    p.dispatchWorkgroups(Math.ceil(N / 64));
    p.end();
    device.queue.submit([enc.finish()]);
  };
  const read = async () => {
    const staging = device.createBuffer({ size: N * 4, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(buffer, 0, staging, 0, N * 4);
    device.queue.submit([enc.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const v = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    return v;
  };
  const is = (v, k) => v.every((x, i) => x === i * k);

  pass();
  out.before = is(await read(), 2);

  const fit = await lmer('Reaction ~ Days + (Days | Subject)', rows, { backend: 'webgpu', device });
  out.backend = fit.backend.name;
  out.device = fit.backend.device;
  out.remlcrit = fit.objective;
  // the app's buffer kept its contents; its pipeline and bind group still run
  out.bufferKept = is(await read(), 2);
  pass();
  out.after = is(await read(), 4);

  const fit2 = await lmer('Reaction ~ Days + (Days | Subject)', rows, { backend: 'webgpu', device });
  out.remlcrit2 = fit2.objective;
  pass();
  out.third = is(await read(), 8);

  await device.queue.onSubmittedWorkDone();
  await new Promise((r) => setTimeout(r, 100));
  out.lost = lost;
  out.errors = errors;
  return out;
}

main().then((r) => { window.__result = r; }, (e) => { window.__result = { error: String((e && e.stack) || e) }; });
`;
