/**
 * Worker side: a known covariance for a grouping factor (the library's relmat, #13), read from an
 * uploaded file — a relatedness (kinship) matrix K as a CSV with the level names as the header and
 * as the first column (R's write.csv(K)), a pedigree CSV with columns id, sire, dam (unknown
 * parents empty, NA or 0; A = 2 × kinship), or a Newick tree (its phylogenetic correlation matrix).
 * Kept by id for the fits that name it; the page is told what was read.
 */
import { namedMatrixFromTable, pedigree, phyloVcv, readCsv } from '../../src/index.js';
import type { RelmatInput } from '../../src/index.js';
import type { RelmatInfo } from './protocol.js';

/** the known covariances read in this session, by the page's id */
const uploaded = new Map<number, { input: RelmatInput; info: RelmatInfo }>();

export function relmatOf(id: number): RelmatInput {
  const r = uploaded.get(id);
  if (!r) throw new Error('the relatedness file is no longer loaded: choose it again');
  return r.input;
}

/** Reads the file as a matrix, a pedigree or a tree: `kind` 'auto' goes by the extension and the header. */
export async function readRelmat(id: number, file: Blob, name: string, kind: 'auto' | 'matrix' | 'pedigree' | 'tree'): Promise<RelmatInfo> {
  const text = await file.text();
  const isTree = kind === 'tree' || (kind === 'auto' && /\.(nwk|newick|tre|tree)$/i.test(name));
  let input: RelmatInput;
  let info: RelmatInfo;
  if (isTree) {
    const m = phyloVcv(text);
    input = m;
    info = { id, name, kind: 'tree', levels: m.levels.length, sample: m.levels.slice(0, 4), note: `the phylogenetic correlation matrix of a tree with ${m.levels.length} tips` };
  } else {
    const { table } = readCsv(text);
    const cols = table.schema.fields.map((f) => f.name);
    const lower = cols.map((c) => c.toLowerCase());
    const looksPedigree = ['id', 'sire', 'dam'].every((c) => lower.includes(c));
    if (kind === 'pedigree' || (kind === 'auto' && looksPedigree)) {
      const col = (c: string) => cols[lower.indexOf(c)] ?? c;
      const ped = pedigree(table, { id: col('id'), sire: col('sire'), dam: col('dam') });
      input = ped;
      info = {
        id, name, kind: 'pedigree', levels: ped.ids.length, sample: ped.ids.slice(0, 4),
        note: `a pedigree of ${ped.ids.length.toLocaleString('en-US')} animals (A = 2 × kinship)${ped.reordered ? '; reordered so that parents come before their offspring' : ''}`,
      };
    } else {
      const m = namedMatrixFromTable(table, `relatedness matrix ${name}`);
      input = m;
      info = { id, name, kind: 'matrix', levels: m.levels.length, sample: m.levels.slice(0, 4), note: `a ${m.levels.length} × ${m.levels.length} relatedness matrix` };
    }
  }
  uploaded.set(id, { input, info });
  return info;
}
