/**
 * `mixedgpu fit --relmat / --pedigree` (known covariance matrices) and `--family negative.binomial`
 * (with `--theta`): the options reach lmer and glmer, the JSON carries heritability, relmat and
 * nb_size, and bad options are clear errors. Numeric parity is tested in test/relmat.test.ts and
 * test/negbin.test.ts; here the criterion is checked against the same references to 1e-6.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFit, type FitArgs } from '../src/cli/fitCommand.js';

const fx = join(import.meta.dirname, 'fixtures');
const relmatDir = join(fx, 'relmat');
const ref = (f: string) => JSON.parse(readFileSync(join(relmatDir, f), 'utf8'));
const tmp = mkdtempSync(join(tmpdir(), 'mixedgpu-cli-relmat-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(args: FitArgs) {
  const out: string[] = [], err: string[] = [];
  const code = await runFit(args, { stdout: (s) => { out.push(s); }, stderr: (s) => { err.push(s); } });
  return { code, stdout: out.join(''), stderr: err.join('') };
}

describe('mixedgpu fit --relmat / --pedigree', () => {
  const phylo = ref('phylo_reml.json');
  it('--relmat group=K.csv (level names as header and first column)', async () => {
    const { code, stdout, stderr } = await run({ file: join(relmatDir, 'phylo_data.csv'), formula: phylo.formula, relmat: [`species=${join(relmatDir, 'phylo_K.csv')}`], json: true });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const j = JSON.parse(stdout);
    expect(j.remlcrit).toBeLessThan(phylo.criterion + 1e-6);
    expect(Math.abs(j.heritability[0].heritability - phylo.heritability)).toBeLessThan(1e-5);
    expect(j.relmat).toEqual([{ group: 'species', source: 'matrix', levels: 40, levels_without_data: 0 }]);
  });
  it('--relmat group=tree.nwk (a Newick tree: ape\'s vcv(corr = TRUE)), and R\'s write.csv header', async () => {
    const viaTree = await run({ file: join(relmatDir, 'phylo_data.csv'), formula: phylo.formula, relmat: `species=${join(relmatDir, 'phylo_tree.nwk')}`, json: true });
    expect(viaTree.code).toBe(0);
    expect(JSON.parse(viaTree.stdout).remlcrit).toBeLessThan(phylo.criterion + 1e-6);
    // R's write.csv(K): an empty name over the column of row names
    const k = readFileSync(join(relmatDir, 'phylo_K.csv'), 'utf8').replace(/^"species"/, '""');
    const file = join(tmp, 'K.csv');
    writeFileSync(file, k);
    const viaR = await run({ file: join(relmatDir, 'phylo_data.csv'), formula: phylo.formula, relmat: `species=${file}`, json: true });
    expect(viaR.stderr).toBe('');
    expect(JSON.parse(viaR.stdout).remlcrit).toBeLessThan(phylo.criterion + 1e-6);
  });
  it('--pedigree group=ped.csv, and the summary\'s lines', async () => {
    const ped = ref('pedigree_reml.json');
    const { code, stdout } = await run({ file: join(relmatDir, 'pedigree_data.csv'), formula: ped.formula, pedigree: `animal=${join(relmatDir, 'pedigree.csv')}` });
    expect(code).toBe(0);
    expect(stdout).toMatch(/REML criterion at convergence: 574\.5/);
    expect(stdout).toMatch(/Number of obs: 144, groups:  animal, 100/);
    expect(stdout).toMatch(/Known covariance \(relmat\): animal, pedigree of 114 levels \(14 without data, predicted from their relatives\)/);
    expect(stdout).toMatch(/Heritability: animal 0\.\d+/);
  });
  it('--pedigree-columns names other columns', async () => {
    const file = join(tmp, 'ped.csv');
    writeFileSync(file, readFileSync(join(relmatDir, 'pedigree.csv'), 'utf8').replace(/^"id","sire","dam"/, 'animal,father,mother'));
    const ped = ref('pedigree_reml.json');
    const { code, stdout } = await run({ file: join(relmatDir, 'pedigree_data.csv'), formula: ped.formula, pedigree: `animal=${file}`, pedigreeColumns: 'animal,father,mother', json: true });
    expect(code).toBe(0);
    expect(JSON.parse(stdout).remlcrit).toBeLessThan(ped.criterion + 1e-6);
    const bad = await run({ file: join(relmatDir, 'pedigree_data.csv'), formula: ped.formula, pedigree: `animal=${file}` });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toBe("mixedgpu: error: pedigree: the id column 'id' is not in the table (columns: animal, father, mother)\n");
  });
  it('bad options: clear errors', async () => {
    const args = { file: join(relmatDir, 'phylo_data.csv'), formula: phylo.formula };
    const e1 = await run({ ...args, relmat: 'species' });
    expect(e1.stderr).toBe("mixedgpu: error: --relmat needs group=file (e.g. --relmat animal=K.csv), got 'species'\n");
    const e2 = await run({ ...args, relmat: [`species=${join(relmatDir, 'phylo_K.csv')}`, `species=${join(relmatDir, 'phylo_tree.nwk')}`] });
    expect(e2.stderr).toBe("mixedgpu: error: the grouping factor 'species' has two known covariance matrices (--relmat / --pedigree)\n");
    const e3 = await run({ ...args, relmat: `species=${join(relmatDir, 'missing.csv')}` });
    expect(e3.code).toBe(1);
    expect(e3.stderr).toMatch(/missing\.csv/);
    const e4 = await run({ ...args, pedigreeColumns: 'a,b,c' });
    expect(e4.stderr).toBe('mixedgpu: error: --pedigree-columns needs --pedigree\n');
  });
});

describe('mixedgpu fit --family negative.binomial', () => {
  const grouse = join(fx, 'data', 'grouseticks.csv');
  const nb = JSON.parse(readFileSync(join(fx, 'negbin', 'grouseticks_nb.json'), 'utf8'));
  it('estimates θ as glmer.nb; nb_size in the JSON, lme4\'s family line in the summary', async () => {
    const { code, stdout, stderr } = await run({ file: grouse, formula: nb.formula, factors: 'YEAR,LOCATION', family: 'negative.binomial', json: true });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const j = JSON.parse(stdout);
    expect(Math.abs(j.nb_size - nb.exact.nb_size) / nb.exact.nb_size).toBeLessThan(1e-4);
    expect(j.nb_size_estimated).toBe(true);
    expect(j.deviance_laplace).toBeLessThan(nb.exact.deviance_laplace + 1e-6);
    const s = await run({ file: grouse, formula: nb.formula, factors: 'YEAR,LOCATION', family: 'negative.binomial', theta: '2' });
    expect(s.stdout).toMatch(/^ Family: Negative Binomial\(2\)  \( log \)$/m);
  });
  it('--theta: a positive number, for negative.binomial only', async () => {
    const bad = await run({ file: grouse, formula: nb.formula, family: 'negative.binomial', theta: '-1' });
    expect(bad.stderr).toBe("mixedgpu: error: --theta must be a positive number, got '-1'\n");
    const pois = await run({ file: grouse, formula: nb.formula, family: 'poisson', theta: '2' });
    expect(pois.stderr).toBe("mixedgpu: error: --theta is the negative binomial's size: it needs --family negative.binomial, not poisson\n");
    const lmm = await run({ file: grouse, formula: nb.formula, theta: '2' });
    expect(lmm.stderr).toBe('mixedgpu: error: --theta is for generalized linear mixed models: add --family (binomial, poisson, negative.binomial, Gamma, inverse.gaussian or gaussian)\n');
  });
});
