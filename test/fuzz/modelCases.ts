/**
 * The random models of test/fuzz/model.test.ts: data sets, formulas over their columns, the data
 * in one of the accepted forms, and options (some invalid).
 */
import { readCsv } from '../../src/io/csv.js';
import type { Rand } from './fuzz.js';

type Row = Record<string, number | string | null>;

/** A random data set of n rows: numeric y, x, z, count c, 0/1 b, weight w, factors f, g, h. */
export function dataset(rand: Rand): Row[] {
  const n = 3 + rand.int(60);
  const ng = 1 + rand.int(10);
  const nh = 1 + rand.int(5);
  const nf = 1 + rand.int(4);
  const constY = rand.chance(0.05);
  const scale = rand.chance(0.05) ? rand.pick([1e-120, 1e120, 1e200]) : 1;
  const gEff = Array.from({ length: ng }, () => rand.uniform() * 2 - 1);
  const rows: Row[] = [];
  for (let i = 0; i < n; i++) {
    const g = rand.int(ng);
    const x = rand.chance(0.05) ? 1 : rand.uniform() * 4;
    let y: number | string | null = constY ? 3 : (1 + 0.5 * x + gEff[g] + rand.uniform()) * scale;
    if (rand.chance(0.03)) y = rand.pick([null, NaN, Infinity, -Infinity, 'oops']);
    const eta = 0.3 * x + gEff[g] - 0.5;
    rows.push({
      y,
      x,
      z: rand.chance(0.1) ? 2 * x : rand.uniform(),
      c: Math.round(Math.exp(eta) * (1 + rand.uniform())),
      b: rand.uniform() < 1 / (1 + Math.exp(-eta)) ? 1 : 0,
      w: rand.chance(0.03) ? rand.pick([0, -1]) : 0.5 + rand.uniform(),
      f: `f${rand.int(nf)}`,
      g: `g${g}`,
      h: `h${rand.int(nh)}`,
    });
  }
  return rows;
}

const FIXED = ['1', 'x', 'z', 'f', 'x + z', 'x * f', 'I(x^2)', 'log(x)', 'x:f', '0 + x', 'f - 1', 'x + offset(z)', 'poly(x, 2)', 'constructor(x)'];
const RANDOM = ['(1 | g)', '(x | g)', '(1 | h)', '(0 + x | g)', '(1 | g:h)', '(1 | g/h)', '(x || g)', '(1 | f)', '(z | h)', '(f | g)'];

export function formula(rand: Rand, response: string): string {
  const re = Array.from({ length: 1 + rand.int(2) }, () => rand.pick(RANDOM));
  if (rand.chance(0.03)) re.length = 0;
  return `${response} ~ ${rand.pick(FIXED)}${re.length ? ` + ${re.join(' + ')}` : ''}`;
}

/** The rows as CSV text, an array of row objects, or an object of columns. */
export function asInput(rand: Rand, rows: Row[]): unknown {
  const names = Object.keys(rows[0]);
  switch (rand.int(3)) {
    case 0: {
      const cell = (v: Row[string]) => (v === null ? 'NA' : typeof v === 'number' && !Number.isFinite(v) ? (Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf') : String(v));
      return readCsv([names.join(','), ...rows.map((r) => names.map((k) => cell(r[k])).join(','))].join('\n'), rand.chance(0.3) ? { strayText: 'missing' } : {}).table;
    }
    case 1:
      return rows;
    default:
      return Object.fromEntries(names.map((k) => [k, rows.map((r) => r[k])]));
  }
}

/** One case: the function to call and its arguments. */
export function modelCase(rand: Rand): { fn: 'lmer' | 'glmer'; formula: string; rows: Row[]; input: unknown; options: Record<string, unknown> } {
  const rows = dataset(rand);
  const input = asInput(rand, rows);
  const kind = rand.pick(['lmer', 'lmer', 'binomial', 'poisson']);
  const options: Record<string, unknown> = {};
  if (rand.chance(0.2)) options.weights = 'w';
  if (rand.chance(0.1)) options.factors = [rand.pick(['x', 'g', 'nope'])];
  if (rand.chance(0.05)) options[rand.pick(['REML', 'nAGQ', 'backend', 'reml'])] = rand.pick(['yes', 2, -1, null]);
  if (kind === 'lmer') {
    const f = formula(rand, rand.pick(['y', 'y', 'log(y)', 'c']));
    if (rand.chance(0.5)) options.REML = rand.chance(0.5);
    return { fn: 'lmer', formula: f, rows, input, options };
  }
  const f = formula(rand, kind === 'binomial' ? rand.pick(['b', 'b', 'cbind(c, 3)', 'f']) : 'c');
  options.family = kind;
  options.vcov = rand.chance(0.8) ? 'RX' : 'hessian';
  if (rand.chance(0.2)) options.nAGQ = rand.pick([0, 3]);
  return { fn: 'glmer', formula: f, rows, input, options };
}
