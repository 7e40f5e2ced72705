/** Run by test/gpu/noise.test.ts in a child process: the adapter this process gets, and the drivers the loader was pointed at. */
import { sharedGpu } from '../../src/backend/webgpu/device.js';

const ctx = await sharedGpu();
console.log(JSON.stringify({ adapter: ctx?.adapterName ?? null, icd: process.env.VK_ICD_FILENAMES ?? null }));
process.exit(0);
