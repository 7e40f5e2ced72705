/**
 * The import rules of src/ (ARCHITECTURE.md), checked on the source text so that they keep holding:
 *  - no import cycle among the folders of src/ (a folder is the directory of a file: src/backend and
 *    src/backend/webgpu are two), counting type-only and dynamic imports;
 *  - the error types and input limits (src/errors) import nothing else of src/, and the linear
 *    algebra (src/linalg), the formula parser and the optimizer import nothing else of src/ but them;
 *  - the model core (src/model) and the model frame (src/frame) import nothing from the GLMM
 *    (src/glmm), the LMM (src/lmm), the fit drivers or any backend;
 *  - only src/backend/ loads the WebGPU code: no other folder imports src/backend/webgpu.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

interface Edge { from: string; to: string; file: string; spec: string }

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) sourceFiles(p, out);
    else if (f.endsWith('.ts') && !f.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every relative import of a file: static (`import … from`, `export … from`, `import '…'`) and dynamic (`import('…')`). */
export function importSpecifiers(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const specs: string[] = [];
  for (const re of [/\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /^\s*import\s+['"]([^'"]+)['"]/gm]) {
    for (const m of code.matchAll(re)) specs.push(m[1]!);
  }
  return specs.filter((s) => s.startsWith('.'));
}

function folderEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const abs of sourceFiles(join(root, 'src'))) {
    const file = relative(root, abs).split('\\').join('/');
    const from = posix.dirname(file);
    for (const spec of importSpecifiers(readFileSync(abs, 'utf8'))) {
      const to = posix.dirname(posix.normalize(posix.join(from, spec)));
      if (to !== from) edges.push({ from, to, file, spec });
    }
  }
  return edges;
}

/** Strongly connected components of more than one folder (Tarjan). */
function cycles(edges: Edge[]): string[][] {
  const adj = new Map<string, Set<string>>();
  for (const e of edges) {
    if (!adj.has(e.from)) adj.set(e.from, new Set());
    if (!adj.has(e.to)) adj.set(e.to, new Set());
    adj.get(e.from)!.add(e.to);
  }
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of adj.get(v)!) {
      if (!idx.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); comp.push(w); } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of adj.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const under = (folder: string, top: string) => folder === top || folder.startsWith(`${top}/`);
const show = (es: Edge[]) => es.map((e) => `${e.file} imports '${e.spec}'`);

describe('import rules of src/', () => {
  const edges = folderEdges();

  it('finds the imports (static, type-only, re-exports and dynamic)', () => {
    expect(importSpecifiers("import type { A } from './a.js';\nexport { B } from '../b.js';\nconst m = await import('./c/d.js');\nimport './e.js';\n// import { x } from './comment.js'"))
      .toEqual(['./a.js', '../b.js', './c/d.js', './e.js']);
    expect(edges.length).toBeGreaterThan(20);
  });

  it('has no import cycle among folders', () => {
    const found = cycles(edges);
    const detail = found.map((c) => `${c.join(' ↔ ')}:\n  ${show(edges.filter((e) => c.includes(e.from) && c.includes(e.to))).join('\n  ')}`);
    expect(detail).toEqual([]);
  });

  it('src/errors imports nothing else of src/; src/linalg, src/formula and src/optim nothing but src/errors', () => {
    expect(show(edges.filter((e) => under(e.from, 'src/errors') && !under(e.to, 'src/errors')))).toEqual([]);
    for (const leaf of ['src/linalg', 'src/formula', 'src/optim']) {
      expect(show(edges.filter((e) => under(e.from, leaf) && !under(e.to, leaf) && !under(e.to, 'src/errors')))).toEqual([]);
    }
  });

  it('src/model and src/frame import nothing from src/glmm, src/lmm, src/fit or a backend', () => {
    const bad = edges.filter((e) => (under(e.from, 'src/model') || under(e.from, 'src/frame')) &&
      ['src/glmm', 'src/lmm', 'src/fit', 'src/backend'].some((t) => under(e.to, t)));
    expect(show(bad)).toEqual([]);
  });

  it('only src/backend loads the WebGPU backend', () => {
    const bad = edges.filter((e) => under(e.to, 'src/backend/webgpu') && !under(e.from, 'src/backend'));
    expect(show(bad)).toEqual([]);
  });

  it('every folder of src/ is reached by the walk', () => {
    const folders = new Set(sourceFiles(join(root, 'src')).map((f) => dirname(relative(root, f)).split('\\').join('/')));
    for (const f of ['src/model', 'src/linalg', 'src/frame', 'src/glmm', 'src/gee', 'src/backend/webgpu']) expect(folders.has(f)).toBe(true);
  });

  it('src/gee (a marginal model, no fitter of a mixed model) imports only its stages\' helpers, and only src/cli and the index import it', () => {
    const allowed = ['src/errors', 'src/formula', 'src/frame', 'src/io', 'src/linalg', 'src/results', 'src/stats', 'src/inference'];
    const out = edges.filter((e) => under(e.from, 'src/gee') && !under(e.to, 'src/gee') && !allowed.some((t) => under(e.to, t)) &&
      !(e.to === 'src/glmm' && e.spec.endsWith('/family.js')));
    expect(show(out)).toEqual([]);
    const into = edges.filter((e) => under(e.to, 'src/gee') && !under(e.from, 'src/gee') && e.from !== 'src' && !under(e.from, 'src/cli'));
    expect(show(into)).toEqual([]);
  });
});
