/** Run by test/driverProbe.test.ts in a child process: ensureRuntimeDir's effect on this process. */
import { statSync } from 'node:fs';
import { ensureRuntimeDir } from '../../src/backend/webgpu/driverProbe.js';

const dir = await ensureRuntimeDir();
process.stdout.write(`${JSON.stringify({ dir, v: process.env.XDG_RUNTIME_DIR, mode: dir ? statSync(dir).mode & 0o777 : null })}\n`);
