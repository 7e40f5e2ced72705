/**
 * Worker side: reading data into an Apache Arrow table — CSV/TSV (the library's readCsv), Arrow IPC
 * (readArrowIpc), Parquet (hyparquet, column chunks written straight into typed arrays) and the
 * bundled examples (fetched, or generated with the seeded generator of bench/synth.ts).
 */
import * as arrow from 'apache-arrow';
import { readArrowIpc, readCsv, readParquet } from '../../src/index.js';
import { generateLmmData } from '../../bench/synth.js';
import type { ColumnInfo, DataInfo, DataSource, ExampleName } from './protocol.js';

/** The largest CSV file read into one ArrayBuffer (the reader then tokenizes its bytes in chunks). */
const MAX_CSV_BYTES = 2 * 1024 * 1024 * 1024;

export interface Loaded {
  table: arrow.Table;
  info: DataInfo;
}

export const EXAMPLES: Record<ExampleName, { label: string; formula: string; factors: string[]; family?: 'binomial' | 'ordinal' | 'zi_poisson' | 'tmb_gaussian'; link?: string; ziformula?: string; dispformula?: string; nlmerStart?: string }> = {
  sleepstudy: { label: 'sleepstudy (180 rows)', formula: 'Reaction ~ Days + (Days | Subject)', factors: ['Subject'] },
  insteval: { label: 'InstEval (73,421 rows)', formula: 'y ~ service + (1 | s) + (1 | d) + (1 | dept:service)', factors: ['s', 'd', 'dept', 'service'] },
  cbpp: { label: 'cbpp (binomial)', formula: 'cbind(incidence, size - incidence) ~ period + (1 | herd)', factors: ['herd', 'period'], family: 'binomial', link: 'logit' },
  synthetic: { label: 'generated, 1,000,000 rows', formula: 'y ~ x + w + (x | g)', factors: [] },
  // ordinal's wine data: bitterness ratings 1–5 by 9 judges (a cumulative link mixed model)
  wine: { label: 'wine (ordinal, clmm)', formula: 'rating ~ temp + contact + (1 | judge)', factors: ['judge'], family: 'ordinal', link: 'logit' },
  // sleepstudy with Days also as a factor (DayF): repeated measures with glmmTMB's ar1 structure over the days
  // glmmTMB's Salamanders: salamander counts at 23 sites, many zeros (a zero-inflated Poisson, zero-inflation by mining)
  salamanders: { label: 'Salamanders (zero-inflated counts)', formula: 'count ~ mined + (1 | site)', factors: ['site'], family: 'zi_poisson', link: 'log', ziformula: '~ mined' },
  // 400 rows in 25 groups g (test/oracle/tmbfamilies.R): yg with a residual SD per level of f (a heteroscedastic
  // LMM: glmmTMB's gaussian with dispformula ~ f), and yb in (0, 1) for beta_family
  tmbfamilies: { label: 'heteroscedastic groups (glmmTMB gaussian, dispersion ~ f)', formula: 'yg ~ x + (1 | g)', factors: [], family: 'tmb_gaussian', link: 'identity', dispformula: '~ f' },
  // mgcv's gamSim(1, n = 400, scale = 2) with a 20-level factor fac (test/oracle/gamm4.R): smooth terms fitted by gamm4
  gamsim: { label: 'gamSim(1) with a factor (smooth terms, gamm4)', formula: 'y ~ s(x0) + s(x1, bs = "cr") + x2 + (1 | fac)', factors: [] },
  // R's Orange: trunk circumference of five orange trees by age, lme4's nlmer example (SSlogis with a random
  // asymptote per tree), with the start values of lme4's ?nlmer
  orange: { label: 'Orange (nonlinear, nlmer)', formula: 'circumference ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree', factors: [], nlmerStart: 'Asym=200,xmid=725,scal=350' },
  // mitml's studentratings, ReadDis and SES imputed 5 times by panImpute (seed 4711; test/oracle/mitml.R), 8 of its
  // 50 schools, in mice's long format (.imp 0: the original data with its missing values): the Multiple imputation card's
  studentratings_mi: { label: 'studentratings, 5 imputations (mice long format)', formula: 'ReadAchiev ~ ReadDis + SES + Sex + (1 | ID)', factors: ['ID'] },
  sleepstudy_ar1: { label: 'sleepstudy, ar1 over days', formula: 'Reaction ~ Days + ar1(0 + DayF | Subject)', factors: ['Subject', 'DayF'] },
};

type Stage = (s: string) => void;

export async function loadSource(source: DataSource, stage: Stage): Promise<Loaded> {
  const t0 = performance.now();
  if (source.kind === 'example') {
    const ex = EXAMPLES[source.name];
    let table: arrow.Table;
    let warnings: string[] = [];
    let bytes: number | undefined;
    if (source.name === 'synthetic') {
      const n = source.rows ?? 1_000_000;
      stage(`generating ${n.toLocaleString('en-US')} rows (seed 1)…`);
      table = generateLmmData({ n, groups: Math.max(2, Math.round(n / 50)), seed: 1 }).table;
    } else {
      if (!source.url) throw new Error(`no address for the example ${source.name}`);
      stage(`downloading ${source.name}…`);
      const res = await fetch(source.url);
      if (!res.ok) throw new Error(`could not download the example ${source.name} (HTTP ${res.status})`);
      const text = await res.text();
      bytes = text.length;
      stage(`parsing ${source.name}…`);
      ({ table, warnings } = readCsv(text));
    }
    const name = source.name === 'synthetic' ? `generated (${table.numRows.toLocaleString('en-US')} rows, seed 1)` : source.name;
    return {
      table,
      info: {
        name, rows: table.numRows, columns: describeColumns(table), warnings, bytes, loadMs: performance.now() - t0,
        suggestion: { formula: ex.formula, factors: ex.factors, family: ex.family, link: ex.link, ...(ex.ziformula ? { ziformula: ex.ziformula } : {}), ...(ex.dispformula ? { dispformula: ex.dispformula } : {}), ...(ex.nlmerStart ? { nlmerStart: ex.nlmerStart } : {}) },
      },
    };
  }
  const file = source.file;
  const { table, warnings } = await readFile(file, stage);
  const columns = describeColumns(table);
  const suggestion = suggestFormula(columns, table.numRows) ?? undefined;
  return { table, info: { name: file.name, rows: table.numRows, columns, warnings, bytes: file.size, loadMs: performance.now() - t0, suggestion } };
}

const RESPONSE_NAME = /^(y|resp|response|outcome|target|dv|score)$|response|outcome/i;
const GROUP_NAME = /^(g|grp|group|id|subject|subj|participant|cluster|site|school|herd|batch|plate|unit|item|block)\d*$|group|subject|cluster|_id$/i;

/**
 * A formula for uploaded data, for the user to edit: the response is the first numeric column named
 * like y/response/outcome, else the last numeric column (the last with fractional values, if any); the grouping factors are text columns whose
 * values repeat (2 ≤ levels ≤ rows / 2) — or, when there is none, an integer column named like a
 * group or id with repeats, marked as a factor; the other numeric columns (at most 4, not row ids)
 * are fixed effects. Null when no response or no grouping factor can be found.
 */
export function suggestFormula(columns: ColumnInfo[], rows: number): NonNullable<DataInfo['suggestion']> | null {
  const numeric = columns.filter((c) => c.kind === 'numeric' && c.distinct > 1);
  const candidates = numeric.filter((c) => !GROUP_NAME.test(c.name));
  // a measured (non-integer) column before a count or code
  const response = numeric.find((c) => RESPONSE_NAME.test(c.name)) ?? candidates.filter((c) => !c.integer).at(-1) ?? candidates.at(-1) ?? null;
  if (!response) return null;
  const repeats = (c: ColumnInfo) => c.distinct >= 2 && c.distinct <= rows / 2;
  let groups = columns.filter((c) => c.kind === 'factor' && c !== response && repeats(c)).slice(0, 3);
  const factors: string[] = [];
  if (groups.length === 0) {
    const coded = columns.find((c) => c.kind === 'numeric' && c !== response && c.integer && GROUP_NAME.test(c.name) && repeats(c));
    if (coded) {
      groups = [coded];
      factors.push(coded.name);
    }
  }
  if (groups.length === 0) return null;
  // covariates: the other numeric columns, but not row ids (whole numbers, nearly all distinct) nor id-like names
  const idLike = (c: ColumnInfo) => GROUP_NAME.test(c.name) || (c.integer === true && (c.distinct > 10_000 || c.distinct >= 0.9 * rows));
  const fixed = numeric.filter((c) => c !== response && !groups.includes(c) && !idLike(c)).slice(0, 4).map((c) => ident(c.name));
  const random = groups.map((g) => `(1 | ${ident(g.name)})`);
  return { formula: `${ident(response.name)} ~ ${[...(fixed.length ? fixed : ['1']), ...random].join(' + ')}`, factors };
}

/** A column name as a formula token: backquoted unless it is a plain identifier. */
function ident(name: string): string {
  return /^[A-Za-z.][A-Za-z0-9_.]*$/.test(name) ? name : `\`${name.replace(/`/g, '')}\``;
}

function mb(bytes: number): string {
  return `${(bytes / 1048576).toFixed(bytes < 10 * 1048576 ? 1 : 0)} MB`;
}

async function readFile(file: File, stage: Stage): Promise<{ table: arrow.Table; warnings: string[] }> {
  if (file.size === 0) throw new Error(`${file.name} is empty (0 bytes)`);
  const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
  const ascii = String.fromCharCode(...head);
  const ext = (file.name.split('.').pop() ?? '').toLowerCase();
  try {
    if (ascii.startsWith('PAR1') || ext === 'parquet' || ext === 'pq') {
      stage(`reading Parquet (${mb(file.size)})…`);
      if (!ascii.startsWith('PAR1')) throw new Error('it does not start with the Parquet signature PAR1');
      return await readParquet(await file.arrayBuffer());
    }
    const isArrowFile = ascii.startsWith('ARROW1');
    const isArrowStream = head[0] === 0xff && head[1] === 0xff && head[2] === 0xff && head[3] === 0xff;
    if (isArrowFile || isArrowStream || ['arrow', 'feather', 'ipc', 'arrows'].includes(ext)) {
      stage(`reading Arrow IPC (${mb(file.size)})…`);
      return { table: readArrowIpc(new Uint8Array(await file.arrayBuffer())), warnings: [] };
    }
    if (file.size > MAX_CSV_BYTES) {
      throw new Error(`the file is ${mb(file.size)}; the page reads CSV files up to ${mb(MAX_CSV_BYTES)} — save the data as Parquet or Arrow IPC instead`);
    }
    stage(`reading CSV (${mb(file.size)})…`);
    // the bytes, not decoded text: the reader checks the UTF-8 itself (no level merged by a lossy decode)
    const bytes = new Uint8Array(await file.arrayBuffer());
    const zero = bytes.subarray(0, 4096).indexOf(0);
    if (zero >= 0) {
      throw new Error('it looks like a binary file, not CSV text (supported: .csv, .tsv, .parquet, .arrow/.feather)');
    }
    stage(`parsing CSV (${mb(file.size)})…`);
    // the delimiter is sniffed from the first lines (a .tsv is tab-delimited); a guess is said as a warning
    const { table, warnings, notes } = readCsv(bytes, ext === 'tsv' || ext === 'tab' ? { delimiter: '\t' } : {});
    return { table, warnings: [...warnings, ...(notes ?? [])] };
  } catch (e) {
    throw new Error(`Could not read ${file.name}: ${(e as Error).message}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Parquet



// ---------------------------------------------------------------------------------------------
// Column summaries

export function columnKind(type: arrow.DataType): ColumnInfo['kind'] {
  if (arrow.DataType.isInt(type) || arrow.DataType.isFloat(type) || arrow.DataType.isDecimal(type)) return 'numeric';
  if (arrow.DataType.isDictionary(type) || arrow.DataType.isUtf8(type) || arrow.DataType.isLargeUtf8(type) || arrow.DataType.isBool(type)) return 'factor';
  return 'other';
}

/** a factor column with at most this many levels lists them (ordinal's categories, which the page can reorder) */
export const MAX_LISTED_LEVELS = 50;

export function describeColumns(table: arrow.Table): ColumnInfo[] {
  return table.schema.fields.map((field) => {
    const vec = table.getChild(field.name)!;
    const kind = columnKind(field.type);
    const info: ColumnInfo = { name: field.name, arrowType: typeName(field.type), kind, nulls: vec.nullCount, distinct: 0, sample: [] };
    if (kind === 'numeric') {
      let min = Infinity;
      let max = -Infinity;
      let sum = 0;
      let count = 0;
      let integer = true;
      const seen = new Set<number>();
      const visit = (v: number) => {
        if (Number.isNaN(v)) return;
        if (v < min) min = v;
        if (v > max) max = v;
        sum += v;
        count++;
        if (integer && !Number.isInteger(v)) integer = false;
        if (seen.size <= 10_000) seen.add(v);
      };
      for (const d of vec.data) {
        const vals = d.values as ArrayLike<number | bigint>;
        const bitmap = d.nullCount > 0 ? d.nullBitmap : null;
        const off = d.offset;
        for (let r = 0; r < d.length; r++) {
          if (bitmap && !((bitmap[(off + r) >> 3]! >> ((off + r) & 7)) & 1)) continue;
          const v = vals[r];
          visit(typeof v === 'bigint' ? Number(v) : Number(v));
        }
      }
      Object.assign(info, { min, max, mean: count ? sum / count : NaN, integer, distinct: seen.size });
      info.sample = [];
      for (let r = 0; r < Math.min(3, vec.length); r++) {
        const v = vec.get(r);
        info.sample.push(v == null ? 'NA' : String(Number(v)));
      }
    } else if (kind === 'factor') {
      const levels = new Set<string>();
      if (arrow.DataType.isDictionary(field.type)) {
        for (const d of vec.data) {
          const dict = d.dictionary;
          if (dict) for (const s of dict) if (s != null) levels.add(String(s));
        }
      } else {
        for (const v of vec) {
          if (v != null) levels.add(String(v));
          if (levels.size > 100_000) break;
        }
      }
      info.distinct = levels.size;
      // a few levels in the dictionary's (or first-seen) order: the ordinal response's editable order starts there
      if (levels.size <= MAX_LISTED_LEVELS) info.levels = [...levels];
      if (arrow.DataType.isDictionary(field.type) && (field.type as arrow.Dictionary).isOrdered) info.ordered = true;
      for (let r = 0; r < Math.min(3, vec.length); r++) {
        const v = vec.get(r);
        info.sample.push(v == null ? 'NA' : String(v));
      }
    } else {
      for (let r = 0; r < Math.min(3, vec.length); r++) info.sample.push(String(vec.get(r)));
    }
    return info;
  });
}

function typeName(type: arrow.DataType): string {
  if (arrow.DataType.isDictionary(type)) return `Dictionary<${typeName(type.dictionary)}>`;
  return String(type);
}
