/**
 * R's row-wise functions of several arguments (src/formula/functions.ts ROW_FUNCTIONS) as SQL, the same
 * steps in double precision as src/frame/rowFunctions.ts takes in JavaScript, so the same doubles:
 * round(x, digits) by fround's comparisons of the two candidates (never SQL's round, which rounds half
 * away from zero), floor, ceiling, trunc, sign, pmin, pmax, ifelse, as.numeric of a number, log(x, base).
 * NaN (R's NA) is tested first everywhere: DuckDB orders NaN above every number and equal to itself.
 */
import { froundKeepExponent, powDi } from '../../frame/rowFunctions.js';
import type { Dialect } from './dialect.js';

/** whether a double is NaN (R's NA of a number) */
function isNaN(d: Dialect, e: string): string {
  return d.not(d.or([d.isFinite(e), d.isInfinite(e)]));
}

/** C's nearbyint: f = ⌊x⌋, r = x − f (exact); r > ½: f + 1, r < ½: f, a tie: the even of f, f + 1. */
function rint(d: Dialect, a: string): string {
  const f = `floor(${a})`;
  const r = `(${a} - ${f})`;
  const half = d.double(0.5);
  const even = `(${f} - ${d.double(2)} * floor(${f} / ${d.double(2)}) = ${d.double(0)})`;
  return d.ifThen(d.not(d.isFinite(a)), a,
    d.ifThen(`${r} > ${half}`, `(${f} + ${d.double(1)})`, d.ifThen(`${r} < ${half}`, f, d.ifThen(even, f, `(${f} + ${d.double(1)})`))));
}

/**
 * R 4's round(x, digits) (src/frame/rowFunctions.ts fround) for a number `digits`: NaN, ±∞ and 0 as
 * they are; |x| ≥ 2^e (e from digits) as it is; else the nearer of x_d = ⌊10^dig |x|⌋ / 10^dig and
 * x_u = ⌈10^dig |x|⌉ / 10^dig (dig < 0: ÷ 10^−dig then × 10^−dig), a tie to the even ⌊·⌋; x's sign.
 */
function fround(d: Dialect, a: string, digits: number): string {
  if (digits === 0) return rint(d, a);
  if (digits > 308 + 15) return a;
  if (digits < -308) return d.ifThen(isNaN(d, a), a, d.double(0));
  const dig = Math.floor(digits + 0.5);
  const ax = `abs(${a})`;
  const P = d.double(powDi(10, Math.abs(dig)));
  const x10 = dig > 0 ? `(${ax} * ${P})` : `(${ax} / ${P})`;
  const i10 = `floor(${x10})`;
  const back = (v: string) => (dig > 0 ? `(${v} / ${P})` : `(${v} * ${P})`);
  const xd = back(i10);
  const xu = back(`ceil(${x10})`);
  const du = `(${xu} - ${ax})`;
  const dd = `(${ax} - ${xd})`;
  const odd = `(${i10} - ${d.double(2)} * floor(${i10} / ${d.double(2)}) = ${d.double(1)})`;
  const nearer = d.ifThen(d.or([`${du} < ${dd}`, d.and([`${du} = ${dd}`, odd])]), xu, xd);
  return d.ifThen(d.or([d.not(d.isFinite(a)), `${a} = ${d.double(0)}`, `${ax} >= ${d.double(Math.pow(2, froundKeepExponent(dig)))}`]), a,
    d.ifThen(`${a} < ${d.double(0)}`, `(-${nearer})`, nearer));
}

/**
 * The SQL of a row-wise call `fn(args…)` over its arguments' SQL (`values`: the numbers written out in
 * the call, round's digits and log's base), or null for a function that is not one of these.
 */
export function rowCallSql(d: Dialect, fn: string, args: string[], values: (number | null)[], label: string): string | null {
  const nan = d.double(NaN);
  const [a] = args;
  switch (fn) {
    case 'round': return fround(d, a, values[1]!);
    case 'floor': return `floor(${a})`;
    case 'ceiling': return `ceil(${a})`;
    // toward zero (NaN: floor(NaN) is NaN)
    case 'trunc': return d.ifThen(`${a} < ${d.double(0)}`, `ceil(${a})`, `floor(${a})`);
    case 'sign': return d.ifThen(isNaN(d, a), nan, d.ifThen(`${a} > ${d.double(0)}`, d.double(1), d.ifThen(`${a} < ${d.double(0)}`, d.double(-1), d.double(0))));
    case 'as.numeric': case 'dummy': return a;
    case 'pmin': case 'pmax': {
      // pairwise from the left, as pminmax: NA if either is, else the second where it is less (greater)
      const op = fn === 'pmin' ? '<' : '>';
      return args.reduce((x, y) => d.ifThen(d.or([isNaN(d, x), isNaN(d, y)]), nan, d.ifThen(`${y} ${op} ${x}`, y, x)));
    }
    case 'ifelse': return d.ifThen(isNaN(d, a), nan, d.ifThen(`${a} <> ${d.double(0)}`, args[1], args[2]));
    case 'log': {
      if (args.length === 1) return null;
      // R's logbase: log10, log2, else log(x) / log(base) (log(base) a double computed here, as in memory)
      const base = values[1]!;
      if (base === 10) return d.call('log10', a, label);
      if (base === 2) return d.call('log2', a, label);
      return `(${d.call('log', a, label)} / ${d.double(Math.log(base))})`;
    }
    default: return null;
  }
}
