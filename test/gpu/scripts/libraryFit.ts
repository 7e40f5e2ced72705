/**
 * Run by test/gpu/noise.test.ts in a child process (through vite-node): a library user's fit on
 * WebGPU, whose stderr must hold nothing that is not the program's own.
 */
import { lmer } from '../../../src/index.js';
import { readTableFile } from '../../../src/node.js';

const { table } = readTableFile(process.argv[2]!, { factors: ['Subject'] });
const fit = await lmer('Reaction ~ Days + (Days | Subject)', table, { factors: ['Subject'], backend: 'webgpu' });
process.stdout.write(`${JSON.stringify({ backend: fit.backend.name, remlcrit: fit.objective })}\n`);
// the program's own message, which must come through
process.stderr.write('own message\n');
process.exit(0);
