/**
 * The CSV reader's numbers straight from bytes (src/io/csvValues.ts parseDecimal) against Number() on
 * the same text: Clinger's fast path (≤ 15 digits) and the double-double path for 16–19 digits, which
 * must give Number()'s double bit for bit or hand the text back (LONG_DECIMAL). The hard cases are
 * decimals at and near the midpoints between adjacent doubles, made exactly with BigInt.
 */
import { describe, expect, it } from 'vitest';
import { LONG_DECIMAL, decimalValue, parseDecimal } from '../src/io/csvValues.js';
import { readCsv } from '../src/io/csv.js';
import { Rand } from './fuzz/fuzz.js';

const enc = new TextEncoder();

/** parseDecimal on `text`: its value, or null where it handed the text back */
function parsed(text: string): number | null {
  const b = enc.encode(text);
  const r = parseDecimal(b, 0, b.length);
  if (r === LONG_DECIMAL) return null;
  if (r !== 0) throw new Error(`parseDecimal('${text}') = ${r}`);
  return decimalValue;
}

/** The texts whose parseDecimal value is not Number()'s, bit for bit (with both values), and how many it took itself. */
function compare(texts: Iterable<string>): { wrong: string[]; fast: number; total: number } {
  const wrong: string[] = [];
  let fast = 0;
  let total = 0;
  for (const text of texts) {
    total++;
    const v = parsed(text);
    if (v === null) continue;
    fast++;
    if (!Object.is(v, Number(text))) wrong.push(`${text}: ${v} against Number's ${Number(text)}`);
  }
  return { wrong, fast, total };
}

/** A seeded uniform generator (the fuzz tests' mulberry32). */
function rng(seed: number): () => number {
  const r = new Rand(seed);
  return () => r.uniform();
}

/** `digits` (a string of decimal digits, first nonzero) × 10^k as decimal text, in plain or exponent form */
function decimalText(digits: string, k: number, form: 'plain' | 'exp'): string {
  if (form === 'exp') return `${digits}e${k}`;
  if (k >= 0) return digits + '0'.repeat(k);
  const point = digits.length + k;
  if (point > 0) return `${digits.slice(0, point)}.${digits.slice(point)}`;
  return `0.${'0'.repeat(-point)}${digits}`;
}

/** The exact decimal digits and power of ten of the midpoint between the positive double x and the next one up. */
function midpointDecimal(x: number): { digits: string; k: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const M = (bits & ((1n << 52n) - 1n)) | (1n << 52n);
  const E = biased - 1075; // x = M · 2^E
  const odd = 2n * M + 1n; // midpoint = odd · 2^(E − 1)
  if (E - 1 >= 0) return { digits: (odd << BigInt(E - 1)).toString(), k: 0 };
  const f = 1 - E; // odd / 2^f = odd · 5^f / 10^f
  return { digits: (odd * 5n ** BigInt(f)).toString(), k: -f };
}

/** digits rounded (half up) to n significant digits, with the power of ten that keeps the value */
function roundDigits(digits: string, k: number, n: number): { digits: string; k: number } {
  if (digits.length <= n) return { digits, k };
  let head = BigInt(digits.slice(0, n));
  if (digits.charCodeAt(n) >= 53) head += 1n;
  const s = head.toString();
  return { digits: s, k: k + digits.length - n + (s.length - n) };
}

describe('CSV numbers: parseDecimal equals Number() on the text', () => {
  it('random 16–19 digit decimals, plain and with exponents, |k| ≤ 22 and beyond', () => {
    const r = rng(1);
    const inRange: string[] = [];
    const outside: string[] = [];
    for (let c = 0; c < 100_000; c++) {
      const n = 16 + Math.floor(r() * 4);
      let digits = String(1 + Math.floor(r() * 9));
      for (let j = 1; j < n; j++) digits += String(Math.floor(r() * 10));
      const k = Math.floor(r() * 60) - 40;
      const text = (r() < 0.5 ? '-' : '') + decimalText(digits, k, r() < 0.7 ? 'plain' : 'exp');
      // trailing zeros of a plain integer count as digits: in range are |k| ≤ 22 with at most 19 digits written
      (Math.abs(k) <= 22 && (k <= 0 || n + k <= 19 || text.includes('e')) ? inRange : outside).push(text);
    }
    const a = compare(inRange);
    const b = compare(outside);
    expect(a.wrong).toEqual([]);
    expect(b.wrong).toEqual([]);
    // the double-double path takes nearly all within its range (the rest: too near a midpoint), none outside
    expect(a.fast / a.total).toBeGreaterThan(0.98);
    expect(b.fast).toBe(0);
  });

  it('what full-precision writers give: 17 significant digits and the shortest round trip of random doubles', () => {
    const r = rng(2);
    const texts: string[] = [];
    for (let c = 0; c < 50_000; c++) {
      const x = (r() - 0.5) * 10 ** (Math.floor(r() * 12) - 6);
      texts.push(x.toPrecision(17), String(x), x.toPrecision(16), x.toExponential(18));
    }
    const { wrong, fast, total } = compare(texts);
    expect(wrong).toEqual([]);
    // the rest have exponents beyond ±22 (1e-6 written with 17 digits is 10^-22 · an integer)
    expect(fast / total).toBeGreaterThan(0.85);
  });

  it('midpoints between adjacent doubles, exact (ties to even) and rounded to 16–19 digits, are never misrounded', () => {
    const r = rng(3);
    const xs: number[] = [9007199254740992, 2 ** 60, 2 ** 63 - 2 ** 10, 1, 0.1, 1e-5, 123456.789];
    for (let c = 0; c < 10_000; c++) xs.push((1 + r()) * 2 ** (Math.floor(r() * 140) - 70));
    const texts: string[] = [];
    for (const x of xs) {
      const mid = midpointDecimal(x);
      const forms: { digits: string; k: number }[] = [];
      if (mid.digits.length <= 19) forms.push(mid);
      for (const n of [16, 17, 18, 19]) forms.push(roundDigits(mid.digits, mid.k, n));
      // each decimal and its neighbours one unit in the last digit away
      for (const f of forms) for (const d of [-1n, 0n, 1n]) texts.push(decimalText((BigInt(f.digits) + d).toString(), f.k, 'exp'));
    }
    const { wrong, fast } = compare(texts);
    expect(wrong).toEqual([]);
    expect(fast).toBeGreaterThan(20_000);
    // an exact tie is handed back, not guessed: 2⁵³ + 3 (between 2⁵³ + 2 and 2⁵³ + 4), 2⁵³ + 1 and the
    // midpoint above 2⁶⁰ (at powers of two); a neighbour of a tie is not
    expect(parsed('9007199254740995')).toBeNull();
    expect(parsed('9007199254740993')).toBeNull();
    expect(parsed('1152921504606847104')).toBeNull();
    expect(parsed('9007199254740996')).toBe(9007199254740996);
  });

  it('the reader gives Number()\'s doubles for a column of 17-digit values', () => {
    const r = rng(4);
    const xs = Array.from({ length: 5000 }, () => (r() - 0.5) * 10 ** (Math.floor(r() * 8) - 3));
    const texts = xs.map((x) => x.toPrecision(17));
    const { table } = readCsv(`v\n${texts.join('\n')}\n`);
    const col = table.getChild('v')!.toArray() as Float64Array;
    for (let i = 0; i < texts.length; i++) expect(Object.is(col[i], Number(texts[i])), texts[i]).toBe(true);
  });
});
