/**
 * Write synthetic benchmark data (see ./synth.ts) as CSV, in buffered chunks.
 *
 * CLI:  node dist/bench/write-csv.js N G out.csv [seed] [crossed]
 *   N rows, G groups, optional seed (default 1) and number of crossed-factor levels (default 0: no h).
 *   Columns: y,x,w,g[,h]; g/h as level names g1.. / h1.. (so read.csv / readCsv make them factors).
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { generateLmmData, type SynthColumns, type SynthOptions } from './synth.js';

export interface WriteCsvOptions {
  /**
   * significant digits for y, x, w (default 10; 0 = shortest round-trip representation, ≈18 chars
   * per value). 10 digits keeps a 10M-row file around 0.4 GB, below what a JS string can hold.
   */
  digits?: number;
  /** rows per write (default 4096) */
  chunkRows?: number;
}

function formatter(digits: number): (v: number) => string {
  if (digits <= 0) return (v) => String(v);
  return (v) => {
    if (v === 0 || !Number.isFinite(v)) return String(v);
    // toPrecision, then drop trailing zeros ("1.500000000" → "1.5")
    let s = v.toPrecision(digits);
    if (s.includes('e')) return String(Number(s));
    if (s.includes('.')) {
      let end = s.length;
      while (s.charCodeAt(end - 1) === 48) end--;
      if (s.charCodeAt(end - 1) === 46) end--;
      s = s.slice(0, end);
    }
    return s;
  };
}

/** Write the columns as CSV to `path`; returns the number of bytes written. */
export function writeColumnsCsv(path: string, columns: SynthColumns, opts: WriteCsvOptions = {}): number {
  const { y, x, w, g, h } = columns;
  const n = y.length;
  const fmt = formatter(opts.digits ?? 10);
  const chunkRows = opts.chunkRows ?? 4096;
  const fd = openSync(path, 'w');
  let bytes = 0;
  try {
    const head = h ? 'y,x,w,g,h\n' : 'y,x,w,g\n';
    bytes += writeSync(fd, head);
    // small chunks: the per-chunk strings die young (cheap scavenges instead of old-space GC)
    for (let start = 0; start < n; start += chunkRows) {
      const end = Math.min(n, start + chunkRows);
      let text = '';
      for (let i = start; i < end; i++) {
        text += fmt(y[i]!) + ',' + fmt(x[i]!) + ',' + fmt(w[i]!) + ',g' + (g[i]! + 1);
        text += h ? ',h' + (h[i]! + 1) + '\n' : '\n';
      }
      const buf = Buffer.from(text, 'utf8');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      bytes += buf.length;
    }
  } finally {
    closeSync(fd);
  }
  return bytes;
}

/** Generate synthetic data and write it as CSV; returns the row count and bytes written. */
export function writeSynthCsv(path: string, opts: SynthOptions, csvOpts: WriteCsvOptions = {}): { rows: number; bytes: number } {
  const { columns } = generateLmmData(opts);
  return { rows: columns.y.length, bytes: writeColumnsCsv(path, columns, csvOpts) };
}

function main(argv: string[]): void {
  const [nArg, gArg, out, seedArg, crossedArg] = argv;
  const usage = 'usage: node dist/bench/write-csv.js N G out.csv [seed] [crossed]';
  if (!nArg || !gArg || !out) {
    console.error(usage);
    process.exit(2);
  }
  const n = Number(nArg);
  const groups = Number(gArg);
  const seed = seedArg === undefined ? 1 : Number(seedArg);
  const crossed = crossedArg === undefined ? 0 : Number(crossedArg);
  if (![n, groups, seed, crossed].every(Number.isFinite)) {
    console.error(usage);
    process.exit(2);
  }
  const t0 = performance.now();
  const { rows, bytes } = writeSynthCsv(out, { n, groups, seed, ...(crossed > 0 ? { crossed } : {}) });
  const secs = (performance.now() - t0) / 1000;
  console.log(`wrote ${rows} rows (${(bytes / 2 ** 20).toFixed(1)} MiB) to ${out} in ${secs.toFixed(2)} s`);
}

// (the file name too: in a bundle such as bench/out/run-bench.mjs every module shares the bundle's URL)
if (process.argv[1] && /write-csv\.[cm]?[jt]s$/.test(process.argv[1]) && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2));
}
