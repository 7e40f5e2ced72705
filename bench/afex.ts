/**
 * Our mixed() (src/afex) on the cases bench/afex.R times afex 1.2-1's mixed() on: the median of 3
 * runs each (after one warm-up run), to set beside R's.
 *   Rscript bench/afex.R && npx vite-node bench/afex.ts
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type MixedOptions, mixed } from '../src/afex/mixed.js';
import { readCsv } from '../src/io/csv.js';

const data = (f: string) => readCsv(readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'data', f), 'utf8')).table;
const sk = data('sk2011_1.csv'), obk = data('obk_long.csv'), md = data('md_16_1.csv'), cb = data('cbpp.csv');
const cases: [string, string, ReturnType<typeof data>, MixedOptions][] = [
  ['sk2011 KR type 3', 'response ~ instruction * type + (type | id) + (1 | content)', sk, { method: 'KR', factors: ['id'] }],
  ['sk2011 S type 2', 'response ~ instruction * type + (type | id) + (1 | content)', sk, { method: 'S', type: 2, factors: ['id'] }],
  ['obk LRT type 3', 'value ~ treatment * phase + (1 | id)', obk, { method: 'LRT', factors: ['id'] }],
  ['obk LRT expand_re', 'value ~ treatment * phase + (phase || id)', obk, { method: 'LRT', expandRe: true, factors: ['id'] }],
  ['cbpp LRT (glmer)', 'cbind(incidence, size - incidence) ~ period + (1 | herd)', cb, { method: 'LRT', family: 'binomial', factors: ['herd', 'period'] }],
  ['md_16.1 PB nsim 1000', 'severity ~ sex + (1 | id)', md, { method: 'PB', argsTest: { nsim: 1000, seed: 1 }, factors: ['id'] }],
  ['cbpp PB nsim 300 (glmer)', 'cbind(incidence, size - incidence) ~ period + (1 | herd)', cb, { method: 'PB', family: 'binomial', argsTest: { nsim: 300, seed: 1 }, factors: ['herd', 'period'] }],
];
for (const [label, formula, table, options] of cases) {
  await mixed(formula, table, options);
  const times: number[] = [];
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await mixed(formula, table, options);
    times.push((performance.now() - t0) / 1000);
  }
  const median = [...times].sort((a, b) => a - b)[1];
  console.log(`${label.padEnd(28)} median ${median.toFixed(3)} s (runs ${times.map((t) => t.toFixed(3)).join(', ')})`);
}
