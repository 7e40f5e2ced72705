/**
 * Phylogenies: a Newick tree and the covariance of a trait under Brownian motion along it — the
 * shared branch length of two tips, from the root to their most recent common ancestor (ape's
 * `vcv(tree)`, Felsenstein 1985); `corr = true` scales it to a correlation matrix
 * (cov_ij / √(cov_ii cov_jj), ape's `vcv(tree, corr = TRUE)`). A root edge is ignored, as ape does.
 *
 * Newick as ape's `read.tree` reads it: nested parentheses, tip and internal labels, `:length`
 * (decimal or exponent notation), quoted labels ('…', '' for a quote; the quotes are removed here,
 * where ape keeps them), [comments] anywhere, whitespace between tokens, a closing `;`.
 */
import { DataError } from '../errors/errors.js';

export interface PhyloNode {
  label: string;
  /** length of the edge above the node (NaN when not given) */
  length: number;
  children: PhyloNode[];
}

/** A known covariance matrix with level names (dense, row-major n × n). */
export interface NamedMatrix {
  kind: 'matrix';
  levels: string[];
  matrix: Float64Array;
}

class NewickError extends Error {
  constructor(message: string, text: string, pos: number) {
    const from = Math.max(0, pos - 20);
    super(`Newick: ${message} at character ${pos + 1} ("…${text.slice(from, pos)}⟨here⟩${text.slice(pos, pos + 20)}…")`);
    this.name = 'NewickError';
  }
}

/** Parses one Newick tree. */
export function parseNewick(text: string): PhyloNode {
  let pos = 0;
  const skip = () => {
    for (;;) {
      while (pos < text.length && /\s/.test(text[pos])) pos++;
      if (text[pos] !== '[') return;
      const end = text.indexOf(']', pos);
      if (end < 0) throw new NewickError('unclosed comment \'[\'', text, pos);
      pos = end + 1;
    }
  };
  const label = (): string => {
    skip();
    if (text[pos] === "'") {
      let out = '';
      pos++;
      for (;;) {
        if (pos >= text.length) throw new NewickError('unclosed quoted label', text, pos);
        if (text[pos] === "'") {
          if (text[pos + 1] === "'") { out += "'"; pos += 2; continue; }
          pos++;
          return out;
        }
        out += text[pos++];
      }
    }
    const start = pos;
    while (pos < text.length && !/[\s()[\]':;,]/.test(text[pos])) pos++;
    return text.slice(start, pos);
  };
  const length = (): number => {
    skip();
    if (text[pos] !== ':') return NaN;
    pos++;
    skip();
    const m = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(text.slice(pos));
    if (!m) throw new NewickError('expected a branch length after \':\'', text, pos);
    pos += m[0].length;
    return Number(m[0]);
  };
  const node = (depth: number): PhyloNode => {
    if (depth > 100000) throw new NewickError('the tree is nested too deeply', text, pos);
    skip();
    const children: PhyloNode[] = [];
    if (text[pos] === '(') {
      pos++;
      for (;;) {
        children.push(node(depth + 1));
        skip();
        if (text[pos] === ',') { pos++; continue; }
        if (text[pos] === ')') { pos++; break; }
        throw new NewickError(pos >= text.length ? 'unbalanced parentheses: missing \')\'' : `expected ',' or ')', found '${text[pos]}'`, text, pos);
      }
    }
    const lab = label();
    const len = length();
    if (children.length === 0 && lab === '') throw new NewickError('a tip without a label', text, pos);
    return { label: lab, length: len, children };
  };
  const root = node(0);
  skip();
  if (text[pos] === ';') pos++;
  skip();
  if (pos < text.length) {
    throw new NewickError(text[pos] === ')' ? 'unbalanced parentheses: unexpected \')\'' : `unexpected text after the tree (one tree is read; found '${text[pos]}')`, text, pos);
  }
  return root;
}

/**
 * The phylogenetic covariance (corr = false) or correlation (corr = true, the default) matrix of a
 * tree's tips, in the order the tips appear in the Newick text: ape's `vcv(tree, corr)`.
 */
export function phyloVcv(newick: string | PhyloNode, options: { corr?: boolean } = {}): NamedMatrix {
  const root = typeof newick === 'string' ? parseNewick(newick) : newick;
  const corr = options.corr ?? true;
  // tips in order, each with its depth (root to tip), and for each internal node its depth
  const levels: string[] = [];
  const depthOf: number[] = [];
  const seen = new Map<string, number>();
  // iterative post-order: each node's tips are a contiguous range [first, last) of `levels`
  interface Frame { node: PhyloNode; depth: number; child: number; first: number; ranges: [number, number][] }
  const pairs: { depth: number; ranges: [number, number][] }[] = [];
  const stack: Frame[] = [{ node: root, depth: 0, child: 0, first: 0, ranges: [] }];
  while (stack.length > 0) {
    const f = stack[stack.length - 1];
    const nd = f.node;
    if (nd.children.length === 0) {
      if (seen.has(nd.label)) throw new DataError(`Newick: the tip label '${nd.label}' appears twice`);
      seen.set(nd.label, levels.length);
      levels.push(nd.label);
      depthOf.push(f.depth);
      stack.pop();
      if (stack.length > 0) stack[stack.length - 1].ranges.push([levels.length - 1, levels.length]);
      continue;
    }
    if (f.child < nd.children.length) {
      const c = nd.children[f.child++];
      if (!(c.length >= 0)) {
        const name = c.children.length === 0 ? `the tip '${c.label}'` : c.label ? `the node '${c.label}'` : 'an internal node';
        throw new DataError(Number.isNaN(c.length) ? `Newick: no branch length for ${name}: the covariance needs every branch length` : `Newick: the branch length of ${name} is negative (${c.length})`);
      }
      stack.push({ node: c, depth: f.depth + c.length, child: 0, first: levels.length, ranges: [] });
      continue;
    }
    stack.pop();
    pairs.push({ depth: f.depth, ranges: f.ranges });
    if (stack.length > 0) stack[stack.length - 1].ranges.push([f.first, levels.length]);
  }
  const n = levels.length;
  const V = new Float64Array(n * n);
  // tips in different children of a node share the path from the root to that node
  for (const { depth, ranges } of pairs) {
    for (let a = 0; a < ranges.length; a++) {
      for (let b = a + 1; b < ranges.length; b++) {
        for (let i = ranges[a][0]; i < ranges[a][1]; i++) {
          for (let j = ranges[b][0]; j < ranges[b][1]; j++) {
            V[i * n + j] = depth;
            V[j * n + i] = depth;
          }
        }
      }
    }
  }
  for (let i = 0; i < n; i++) V[i * n + i] = depthOf[i];
  if (corr) {
    for (let i = 0; i < n; i++) {
      if (!(depthOf[i] > 0)) throw new DataError(`Newick: the tip '${levels[i]}' is at distance 0 from the root, so its correlations are undefined`);
    }
    const s = depthOf.map(Math.sqrt);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) V[i * n + j] /= s[i] * s[j];
  }
  return { kind: 'matrix', levels, matrix: V };
}
