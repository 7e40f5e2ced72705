/**
 * Fuzzing the CSV reader with bytes: mutations of real files (quotes, delimiters, line breaks,
 * invalid UTF-8, NUL, BOM, stray text, huge numbers) and random bytes. Every input gives a table or
 * a DataError/OptionError, fast; and the same table (or the same error) whatever the chunks the
 * bytes arrive in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as arrow from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { readCsv, type ByteSource, type CsvOptions } from '../../src/io/csv.js';
import { Rand, SEED, cases, probe, tally } from './fuzz.js';

const DATA = join(import.meta.dirname, '..', 'fixtures');
const enc = new TextEncoder();
const CORPUS = [
  readFileSync(join(DATA, 'data', 'sleepstudy.csv')).subarray(0, 900),
  readFileSync(join(DATA, 'probe', 'latin_merge.csv')).subarray(0, 400),
  enc.encode('name,n,s\n"Smith, J.",1,café\n"say ""hi""",2.5,東京\n"two\nlines",NA,😀\n'),
  enc.encode('y;x;g\r\n1,5;2;a\r\n2;3,25;b\r\n'),
  enc.encode('a\tb\n1\t2\n3\t4\n'),
];
const PIECES = ['"', ',', ';', '\t', '\n', '\r', '\r\n', '""', 'NA', 'Inf', '1e309', '-', '.', 'oops', '\u00e9', '😀', '\uFEFF', ''].map((s) => enc.encode(s));
const RAW = [[0x00], [0xff], [0xe9], [0xc3], [0xed, 0xa0, 0x80], [0xef, 0xbb, 0xbf], [0x80], [0xf4, 0x90]].map((b) => Uint8Array.from(b));

function splice(a: Uint8Array, at: number, del: number, ins: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length - Math.min(del, a.length - at) + ins.length);
  out.set(a.subarray(0, at), 0);
  out.set(ins, at);
  out.set(a.subarray(Math.min(a.length, at + del)), at + ins.length);
  return out;
}

function mutate(rand: Rand, bytes: Uint8Array): Uint8Array {
  let b = bytes;
  const edits = 1 + rand.int(5);
  for (let k = 0; k < edits; k++) {
    const at = rand.int(b.length + 1);
    const piece = rand.chance(0.7) ? rand.pick(PIECES) : rand.pick(RAW);
    switch (rand.int(4)) {
      case 0: b = splice(b, at, 0, piece); break;
      case 1: b = splice(b, at, 1 + rand.int(4), new Uint8Array(0)); break;
      case 2: b = splice(b, at, 1, piece); break;
      default: b = splice(b, at, 0, Uint8Array.from({ length: 1 + rand.int(6) }, () => rand.int(256))); break;
    }
  }
  return b;
}

/** `bytes` arriving in random chunks. */
function chunks(rand: Rand, bytes: Uint8Array): ByteSource {
  const sizes = Array.from({ length: 8 }, () => 1 + rand.int(40));
  return {
    size: bytes.length,
    *chunks() {
      let k = 0;
      for (let i = 0; i < bytes.length; k++) {
        const j = Math.min(bytes.length, i + sizes[k % sizes.length]);
        yield bytes.slice(i, j);
        i = j;
      }
    },
  };
}

/** A table's content, comparable across reads. */
function dump(t: arrow.Table): string {
  return JSON.stringify({ f: t.schema.fields.map((f) => [f.name, String(f.type), [...f.metadata]]), r: t.toArray().map((r) => r.toJSON()) });
}

/** The outcome of reading: the table's content or the error's kind and message. */
function read(input: Uint8Array | ByteSource, opts: CsvOptions): string {
  try {
    return dump(readCsv(input, opts).table);
  } catch (e) {
    return `${(e as Error).name}: ${(e as Error).message}`;
  }
}

describe(`CSV fuzzing (seed ${SEED})`, () => {
  it('mutated files: a table or a DataError, fast, the same in any chunks', async () => {
    const rand = new Rand(SEED + 10);
    const outcomes = [];
    for (let i = 0; i < cases(1500); i++) {
      const bytes = mutate(rand, rand.pick(CORPUS));
      const opts: CsvOptions = rand.chance(0.3) ? { encoding: 'latin1' } : rand.chance(0.2) ? { strayText: 'missing' } : {};
      const what = `readCsv(bytes ${JSON.stringify(Buffer.from(bytes).toString('latin1').slice(0, 200))}, ${JSON.stringify(opts)})`;
      outcomes.push(await probe(what, 250, () => readCsv(bytes, opts)));
      expect(read(chunks(rand, bytes), opts), what).toBe(read(bytes, opts));
    }
    const t = tally(outcomes);
    expect(t.ok).toBeGreaterThan(100);
    expect(t.DataError).toBeGreaterThan(100);
    expect(Object.keys(t).every((k) => k === 'ok' || k === 'DataError')).toBe(true);
  });

  it('random bytes: a table or a DataError, fast', async () => {
    const rand = new Rand(SEED + 11);
    for (let i = 0; i < cases(600); i++) {
      const alphabet = rand.chance(0.5) ? [0x22, 0x2c, 0x0a, 0x0d, 0x3b, 0x09, 0x61, 0x31, 0x2e, 0x20] : null;
      const bytes = Uint8Array.from({ length: rand.int(300) }, () => (alphabet ? rand.pick(alphabet) : rand.int(256)));
      await probe(`readCsv(${JSON.stringify([...bytes])})`, 250, () => readCsv(bytes));
    }
  });
});
