/**
 * The CLI engine tests' helpers (test/gram/cliInference.test.ts, test/gram/cliClickhouse.test.ts):
 * a command run with captured output (through its run function or through `main`, the argument
 * parsing included), the largest difference between the numbers of two JSON outputs, and their data:
 * sleepstudy with a factor covariate (Days in three bands) and Subject as text.
 */
import { readFileSync } from 'node:fs';
import * as arrow from 'apache-arrow';
import { expect, vi } from 'vitest';
import type { CliIO } from '../../src/cli/fitCommand.js';
import { main } from '../../src/cli/program.js';
import { readCsv } from '../../src/io/csv.js';
import { dataPath } from './reference.js';

/** a command's run function with its output captured */
export async function capture(f: (io: CliIO) => Promise<number>): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [], err: string[] = [];
  const code = await f({ stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); } });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

/** `mixedgpu ARGS…` through `main` (commander's parsing included) with stdout and stderr captured; the exit code restored after */
export async function runMain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [], err: string[] = [];
  const w1 = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { out.push(String(s)); return true; });
  const w2 = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err.push(String(s)); return true; });
  const saved = process.exitCode;
  process.exitCode = undefined;
  try {
    await main(['node', 'mixedgpu', ...args]);
    return { code: Number(process.exitCode ?? 0), stdout: out.join(''), stderr: err.join('') };
  } finally {
    w1.mockRestore();
    w2.mockRestore();
    process.exitCode = saved;
  }
}

/** relative difference, symmetric (0 for equal numbers) */
export const rel = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));

/** the largest difference over the numbers of two nested JSON values (relative; lmerTest's p values, key p, absolute), their other values equal */
export function jsonDiff(a: unknown, b: unknown, key = ''): number {
  if (typeof a === 'number') {
    expect(typeof b, key).toBe('number');
    return key === 'p' ? Math.abs(a - (b as number)) : rel(a, b as number);
  }
  if (a === null || typeof a !== 'object') { expect(b, key).toEqual(a); return 0; }
  expect(Object.keys(b as object), key).toEqual(Object.keys(a as object));
  return Math.max(0, ...Object.entries(a as object).map(([k, v]) => jsonDiff(v, (b as Record<string, unknown>)[k], k)));
}

/** sleepstudy with band (Days < 3 early, < 7 mid, else late) and Subject as text: Reaction, Days, band, Subject */
export function sleepWithBand(): arrow.Table {
  const t = readCsv(readFileSync(dataPath('sleepstudy.csv'), 'utf8'), { factors: ['Subject'] }).table;
  const days = t.getChild('Days')!.toArray() as Float64Array;
  const band = arrow.vectorFromArray(Array.from(days, (d) => (d < 3 ? 'early' : d < 7 ? 'mid' : 'late')), new arrow.Utf8());
  const subject = arrow.vectorFromArray(Array.from({ length: t.numRows }, (_, i) => String(t.getChild('Subject')!.get(i))), new arrow.Utf8());
  return new arrow.Table({ Reaction: t.getChild('Reaction')!, Days: t.getChild('Days')!, band, Subject: subject });
}
