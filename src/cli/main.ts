#!/usr/bin/env node
/**
 * The `mixedgpu` command. For a large data file on Linux whose kernel gives transparent huge pages
 * only on request, it first runs itself again with glibc asking for them (./hugePages.ts); then the
 * program proper (./program.ts: the commands and their usage).
 */
import { fileURLToPath } from 'node:url';
import { hugePageFacts, hugePagePlan, relaunch } from './hugePages.js';

const script = fileURLToPath(import.meta.url);
// the built command only (a TypeScript runner's script cannot be started again as it was)
const plan = /\.[cm]?js$/.test(script) ? hugePagePlan(hugePageFacts(process.argv.slice(2))) : null;
const status = plan?.relaunch ? await relaunch(plan.tunables, process.execPath, [...process.execArgv, script, ...process.argv.slice(2)]) : null;
if (status !== null) {
  process.exitCode = status;
} else {
  const { main } = await import('./program.js');
  await main(process.argv);
}
