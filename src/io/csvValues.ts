/**
 * Field bytes → values, for the CSV reader (./csv.ts, ./csvColumn.ts): numbers as R's type.convert
 * reads them (a fast path straight from the bytes, Clinger's, for plain decimals) and text decoded
 * as UTF-8 (invalid bytes an error naming where) or Latin-1.
 */
import { DataError } from '../errors/errors.js';

// ---------------------------------------------------------------------------------------------
// Number parsing like R's type.convert (numeric part)

export const enum Kind {
  Number = 0,
  Missing = 1,
  Text = 2,
}
export let parsedValue = 0;

/** Classify a field for a numeric column; on Kind.Number the value is left in `parsedValue`. */
function classifyNumeric(s: string): Kind {
  const n = s.length;
  if (n === 0) return Kind.Missing;
  const c0 = s.charCodeAt(0);
  if (c0 === 78 /* N */ && s === 'NA') return Kind.Missing;
  const v = Number(s);
  if (v === v) {
    if (v === 0) {
      // Number('') / Number('  ') are 0: whitespace-only is missing in a numeric column
      if (!hasDigit(s)) return Kind.Missing;
    }
    if (n >= 2 && isRadixPrefix(s)) return Kind.Text; // JS accepts 0b101 / 0o17, R does not
    parsedValue = v;
    return Kind.Number;
  }
  // JS rejects some spellings R accepts
  switch (s.trim()) {
    case 'NaN':
      parsedValue = NaN;
      return Kind.Number;
    case 'Inf':
    case '+Inf':
    case 'inf':
    case '+inf':
    case 'infinity':
    case 'Infinity':
      parsedValue = Infinity;
      return Kind.Number;
    case '-Inf':
    case '-inf':
    case '-infinity':
    case '-Infinity':
      parsedValue = -Infinity;
      return Kind.Number;
    case 'NA':
      return Kind.Missing;
  }
  return Kind.Text;
}

/**
 * classifyNumeric, and with `decimalComma` (semicolon-delimited files, as R's read.csv2) a number
 * written with one decimal comma (`1,25`) too.
 */
export function classifyNumber(s: string, decimalComma: boolean): Kind {
  const k = classifyNumeric(s);
  if (k !== Kind.Text || !decimalComma) return k;
  const at = s.indexOf(',');
  if (at < 0 || s.indexOf(',', at + 1) >= 0 || s.indexOf('.') >= 0) return k;
  return classifyNumeric(s.slice(0, at) + '.' + s.slice(at + 1));
}

function hasDigit(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) return true;
  }
  return false;
}

function isRadixPrefix(s: string): boolean {
  const t = s.trimStart();
  if (t.length < 2 || t.charCodeAt(0) !== 48 /* 0 */) return false;
  const c = t.charCodeAt(1) | 0x20;
  return c === 98 /* b */ || c === 111 /* o */;
}

const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** parseDecimal's answer for a plain decimal it does not convert itself (more than 15 digits, a large exponent). */
export const LONG_DECIMAL = -1;
/** parseDecimal's answer for anything else. */
export const NOT_DECIMAL = -2;
/** parseDecimal's value, when it returns 0 */
export let decimalValue = 0;

/**
 * A decimal number `[-+]digits[.digits][e[-+]digits]` read straight from bytes, equal to
 * `Number(text)`; returns 0 with the value in `decimalValue`. With at most 15 significant digits and
 * |k| ≤ 22: the digits as an exact integer m < 10¹⁵ < 2⁵³, then one multiplication or division by the
 * exact power of ten 10^k — a single correctly rounded operation (Clinger's fast path). With 16–19
 * digits (what R's write.csv and full-precision writers give) and |k| ≤ 22: `longDecimal`, in
 * double-double arithmetic, where it can prove the rounding. LONG_DECIMAL for a plain decimal beyond
 * those (the caller converts its text with Number), NOT_DECIMAL for anything else (the caller
 * classifies its text as R's type.convert does).
 */
export function parseDecimal(buf: Uint8Array, s: number, e: number): number {
  let i = s;
  let neg = false;
  if (i < e && (buf[i] === 45 || buf[i] === 43)) {
    neg = buf[i] === 45;
    i++;
  }
  // m: the first 15 significant digits; m2: the 16th to 19th (beyond those only the count matters)
  let m = 0;
  let m2 = 0;
  let digits = 0;
  let any = false;
  let scale = 0;
  while (i < e && buf[i] >= 48 && buf[i] <= 57) {
    const d = buf[i] - 48;
    if (digits > 0 || d !== 0) {
      if (++digits <= 15) m = m * 10 + d;
      else m2 = m2 * 10 + d;
    }
    any = true;
    i++;
  }
  if (i < e && buf[i] === 46) {
    i++;
    while (i < e && buf[i] >= 48 && buf[i] <= 57) {
      const d = buf[i] - 48;
      if (digits > 0 || d !== 0) {
        if (++digits <= 15) m = m * 10 + d;
        else m2 = m2 * 10 + d;
      }
      scale--;
      any = true;
      i++;
    }
  }
  if (!any) return NOT_DECIMAL;
  if (i < e && (buf[i] === 101 || buf[i] === 69)) {
    i++;
    let eneg = false;
    if (i < e && (buf[i] === 45 || buf[i] === 43)) {
      eneg = buf[i] === 45;
      i++;
    }
    let x = 0;
    let expDigits = 0;
    while (i < e && buf[i] >= 48 && buf[i] <= 57) {
      if (++expDigits > 6) return LONG_DECIMAL;
      x = x * 10 + (buf[i] - 48);
      i++;
    }
    if (expDigits === 0) return NOT_DECIMAL;
    scale += eneg ? -x : x;
  }
  if (i !== e) return NOT_DECIMAL;
  let v: number;
  if (digits > 15) {
    if (digits > 19 || scale > 22 || scale < -22) return LONG_DECIMAL;
    v = longDecimal(m, m2, digits - 15, scale);
    if (v !== v) return LONG_DECIMAL; // NaN: the rounding not proved
  } else if (m === 0) v = 0;
  else if (scale >= 0 && scale <= 22) v = m * POW10[scale];
  else if (scale < 0 && scale >= -22) v = m / POW10[-scale];
  else return LONG_DECIMAL;
  decimalValue = neg ? -v : v;
  return 0;
}

// Double-double arithmetic (Dekker 1971): a value as an unevaluated sum hi + lo of two doubles.
/** Dekker's splitter 2²⁷ + 1 */
const SPLITTER = 134217729;
const TWO25 = 33554432;
/** a scratch double and its two 32-bit words (the high word's index by the platform's byte order) */
const scratch = new Float64Array(1);
const scratchWords = new Uint32Array(scratch.buffer);
const HIGH_WORD = (() => { scratch[0] = 1; return scratchWords[1] === 0x3ff00000 ? 1 : 0; })();
/** 2⁻¹⁰⁰: the double-double results' error bound relative to the value (their error is below 2⁻¹⁰³, a margin of 8) */
const DD_ERROR = 2 ** -100;

/** The error of the product a·b (a·b − fl(a·b), exactly; Dekker's TwoProduct without a fused multiply-add), for |a|, |b| < 2⁹⁹⁶. */
function productError(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return al * bl - (((p - ah * bh) - al * bh) - ah * bl);
}

/**
 * W · 10^k, W = m·10^extra + m2 the 16–19 significant digits (m the first 15, m2 the other `extra`),
 * |k| ≤ 22, rounded to the nearest double as Number() rounds the text; NaN where that is not proved.
 *
 * W is exact as a double-double (wh + wl: m = a·2²⁵ + b with a, b < 2²⁵, so a·10^extra·2²⁵ and
 * b·10^extra + m2 are exact doubles, and their TwoSum is exact), and 10^|k| ≤ 10²² is an exact double.
 * The product, or the quotient (one long-division step: q₁ = fl(W/D), the remainder W − q₁D from the
 * exact product, q₂ its quotient), is a double-double rh + rl with |rl| ≤ ulp(rh)/2 and an error below
 * 2⁻¹⁰³·|v|. The value v rounds to rh when rl stays clear of the midpoint ±ulp(rh)/2 by more than
 * that error; otherwise (v at or near a midpoint, or rh a power of two, where the ulp below is half
 * the ulp above) NaN, and the caller uses Number().
 */
function longDecimal(m: number, m2: number, extra: number, k: number): number {
  const P = POW10[extra];
  const a = Math.floor(m / TWO25);
  const b = m - a * TWO25;
  const x1 = a * P * TWO25;
  const x2 = b * P + m2;
  // W = x1 + x2 exactly (TwoSum)
  const wh = x1 + x2;
  const bv = wh - x1;
  const wl = (x1 - (wh - bv)) + (x2 - bv);
  let rh: number;
  let rl: number;
  if (k >= 0) {
    const Q = POW10[k];
    const p = wh * Q;
    const t = wl * Q + productError(wh, Q, p);
    rh = p + t;
    rl = t - (rh - p);
  } else {
    const D = POW10[-k];
    const q1 = wh / D;
    const p = q1 * D;
    // the remainder W − q₁D: wh − p is exact (Sterbenz), the rest below 2⁻¹⁰⁴|W| in error
    const r = ((wh - p) - productError(q1, D, p)) + wl;
    const q2 = r / D;
    rh = q1 + q2;
    rl = q2 - (rh - q1);
  }
  scratch[0] = rh;
  const hiWord = scratchWords[HIGH_WORD];
  const exponent = (hiWord >>> 20) & 0x7ff;
  // subnormal, infinite or a power of two (its ulp below is half its ulp above): not proved here
  if (exponent <= 53 || exponent === 0x7ff || ((hiWord & 0xfffff) === 0 && scratchWords[1 - HIGH_WORD] === 0)) return NaN;
  // ulp(rh)/2 = 2^(exponent − 1076), built from its bits
  scratchWords[HIGH_WORD] = (exponent - 53) << 20;
  scratchWords[1 - HIGH_WORD] = 0;
  const halfUlp = scratch[0];
  return halfUlp - Math.abs(rl) > Math.abs(rh) * DD_ERROR ? rh : NaN;
}

/** The ASCII text of buf[s, e). */
export function asciiText(buf: Uint8Array, s: number, e: number): string {
  return String.fromCharCode.apply(null, buf.subarray(s, e) as unknown as number[]);
}

// ---------------------------------------------------------------------------------------------
// Text decoding

let utf8: TextDecoder | null = null;

/** Bytes that are not valid UTF-8 (turned into a DataError with the field's place by `invalidUtf8`). */
export class InvalidUtf8 extends Error {
  constructor(readonly bytes: Uint8Array) {
    super('invalid UTF-8');
  }
}

/** Decodes a field's bytes; invalid UTF-8 throws InvalidUtf8. */
export function decodeText(bytes: Uint8Array, encoding: 'utf-8' | 'latin1'): string {
  const n = bytes.length;
  let ascii = true;
  for (let i = 0; i < n; i++) {
    if (bytes[i] >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii || encoding === 'latin1') {
    // one byte per character (ASCII, or ISO-8859-1 whose bytes are its code points)
    if (n <= 8192) return String.fromCharCode.apply(null, bytes as unknown as number[]);
    let out = '';
    for (let i = 0; i < n; i += 8192) out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(n, i + 8192)) as unknown as number[]);
    return out;
  }
  utf8 ??= new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  try {
    return utf8.decode(bytes);
  } catch {
    throw new InvalidUtf8(bytes.slice());
  }
}

/** The DataError for bytes that are not UTF-8, at `where` (`line 3 (data row 2), column 'g'`). */
export function invalidUtf8(e: InvalidUtf8, where: string, where2: { column?: string; row?: number }): DataError {
  {
    const bytes = e.bytes;
    const n = bytes.length;
    const bad = firstInvalidUtf8(bytes);
    const hex = Array.from(bytes.subarray(bad, Math.min(n, bad + 2)), (b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ');
    const latin1 = String.fromCharCode.apply(null, bytes as unknown as number[]);
    return new DataError(
      `CSV ${where}: the bytes are not valid UTF-8 (0x${hex.replace(/ /g, ' 0x')} at byte ${bad + 1} of the value, which reads as ` +
        `${JSON.stringify(latin1)} in Latin-1). Read the file with encoding 'latin1' (CLI: --encoding latin1) if it is Latin-1, ` +
        `or convert it to UTF-8; values are not guessed, so that distinct levels are never merged`,
      where2,
    );
  }
}

/** decodeText, with invalid UTF-8 reported at `where()`. */
export function decodeAt(bytes: Uint8Array, encoding: 'utf-8' | 'latin1', where: () => string, at: { column?: string; row?: number } = {}): string {
  try {
    return decodeText(bytes, encoding);
  } catch (e) {
    if (e instanceof InvalidUtf8) throw invalidUtf8(e, where(), at);
    throw e;
  }
}

/** The offset of the first byte of `b` that does not start or continue a valid UTF-8 sequence. */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i];
    const len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (len === 0 || i + len > b.length) return i;
    for (let k = 1; k < len; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    i += len;
  }
  return 0;
}
