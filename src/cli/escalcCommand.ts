/**
 * `mixedgpu escalc FILE --measure M --ai COL …`: effect sizes and sampling variances from raw study
 * data (metafor's escalc), written as the input's columns with yi and vi appended: CSV on stdout,
 * or to --out (.csv, or Arrow IPC for .arrow/.feather/.ipc).
 */
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { tableToIPC } from 'apache-arrow';
import { readTableFileAsync } from '../io/node.js';
import { tableToCsv } from '../io/csvWrite.js';
import { EFFECT_MEASURES, type EscalcInput } from '../meta/escalc.js';
import { type EscalcColumns, escalcTable } from '../meta/escalcTable.js';
import { CliError, type CliIO, errorMessage } from './fitCommand.js';

/** metafor's argument names, each a column of the data. */
export const ESCALC_COLUMN_ARGS = ['ai', 'bi', 'ci', 'di', 'n1i', 'n2i', 'm1i', 'm2i', 'sd1i', 'sd2i', 'ri', 'ni', 'xi', 'mi'] as const;

export interface EscalcArgs extends Partial<Record<(typeof ESCALC_COLUMN_ARGS)[number], string>> {
  file: string;
  measure?: string;
  add?: string | number;
  to?: string;
  drop00?: boolean;
  vtype?: string;
  slab?: string;
  out?: string;
  quiet?: boolean;
}

export async function runEscalc(args: EscalcArgs, io: CliIO): Promise<number> {
  try {
    if (!args.measure) throw new CliError(`--measure is required (one of ${EFFECT_MEASURES.join(', ')})`);
    const measure = args.measure.toUpperCase();
    const columns: EscalcColumns = {};
    for (const a of ESCALC_COLUMN_ARGS) if (args[a] !== undefined) columns[a as keyof EscalcInput] = args[a];
    if (Object.keys(columns).length === 0) throw new CliError(`name the data's columns with metafor's arguments, e.g. --ai tpos --bi tneg --ci cpos --di cneg for ${measure}`);
    let add: number | undefined;
    if (args.add !== undefined) {
      add = Number(args.add);
      if (!(add >= 0)) throw new CliError(`--add must be a number ≥ 0, got '${args.add}'`);
    }
    const to = args.to as 'all' | 'only0' | 'if0all' | 'none' | undefined;
    if (to !== undefined && !['all', 'only0', 'if0all', 'none'].includes(to)) throw new CliError(`--to must be one of all, only0, if0all, none (got '${args.to}')`);
    const vtype = args.vtype?.toUpperCase() as 'LS' | 'UB' | 'HO' | undefined;
    const { table, warnings } = await readTableFileAsync(args.file);
    if (!args.quiet) for (const w of warnings) io.stderr(`mixedgpu: warning: ${w}\n`);
    const { result, table: out } = escalcTable(measure, table, columns, { add, to, drop00: args.drop00, vtype, slab: args.slab });
    if (!args.quiet) for (const m of result.messages) io.stderr(`mixedgpu: warning: ${m}\n`);
    if (args.out) {
      const ext = extname(args.out).toLowerCase();
      if (['.arrow', '.feather', '.ipc'].includes(ext)) writeFileSync(args.out, tableToIPC(out, 'file'));
      else if (ext === '.csv') writeFileSync(args.out, tableToCsv(out));
      else throw new CliError(`--out ${args.out}: write .csv or Arrow IPC (.arrow, .feather, .ipc)`);
    } else {
      io.stdout(tableToCsv(out));
    }
    return 0;
  } catch (e) {
    io.stderr(`mixedgpu: error: ${errorMessage(e)}\n`);
    return 1;
  }
}
