/**
 * lme4's nlmer formula `resp ~ Model(covariates, parameters) ~ fixed | random` (lme4 1.1-31
 * nlformula): three parts separated by `~`.
 *  - the response: a numeric column;
 *  - the nonlinear model: a call of one of R's self-starting models (selfStart.ts), its arguments
 *    names — data columns for the model's covariates, and the parameters (the names of `start`);
 *  - the mixed-effects part: lme4 makes the fixed-effects design `~ 0 + nobars + parameters` (each
 *    parameter's fixed effect, in the order of first appearance: a term of the fixed part written
 *    before the random terms comes first), and each random-effects term `(expr | g)` becomes
 *    `(0 + expr | g)` on the parameters' indicator columns: `(Asym | Tree)` is a random Asym per Tree,
 *    `(lKe + lKa + lCl | Subject)` three correlated ones. A bare `Asym | Tree` is one term (R's `|`
 *    binds loosest). lme4 refuses a `1` anywhere in this part ("1 is not meaningful in a nonlinear
 *    model formula") and so do we.
 * The parts are parsed by the package's formula parser (src/formula); the rules of nlformula are here.
 */
import { FormulaError } from '../errors/errors.js';
import { type Node, parseFormula, parseFormulaSides } from '../formula/parse.js';
import { SELF_START_MODELS, type SelfStartModel } from './selfStart.js';

/** A random-effects term on the parameters: `(0 + p1 + p2 | g)`. */
export interface NlRandomTerm {
  /** the parameters with a random effect in this term, as written */
  parameters: string[];
  /** grouping columns (several for `g1:g2`) */
  group: string[];
  /** the grouping factor's name as lme4 prints it */
  groupLabel: string;
}

export interface NlFormula {
  text: string;
  /** the response column */
  response: string;
  /** the self-starting model */
  model: SelfStartModel;
  /** the data columns given for the model's covariates, in the model's covariate order */
  covariates: string[];
  /** the names given for the model's parameters, in the model's parameter order */
  parameters: string[];
  /** the fixed effects' names in X's column order (lme4's `~ 0 + nobars + pnames`) */
  fixed: string[];
  random: NlRandomTerm[];
}

/** Splits a formula at its `~` outside parentheses and quotes: the offsets of each `~`. */
export function tildes(text: string): number[] {
  const at: number[] = [];
  let depth = 0;
  let quote: string | null = null;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) { if (c === quote) quote = null; continue; }
    if (c === '"' || c === "'" || c === '`') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '~' && depth === 0) at.push(i);
  }
  return at;
}

/** `1` anywhere in the mixed-effects part (lme4's chck1). */
function findOne(node: Node): Node | null {
  switch (node.kind) {
    case 'num': return node.value === 1 ? node : null;
    case 'paren': return findOne(node.inner);
    case 'unary': return findOne(node.arg);
    case 'binary': return findOne(node.left) ?? findOne(node.right);
    case 'call': for (const a of node.args) { const f = findOne(a); if (f) return f; } return null;
    default: return null;
  }
}

/**
 * Parses `resp ~ Model(args) ~ mixed` (header); `parameters` are the names of `start` (their order
 * is the parameters' order, as lme4's pnames). Throws FormulaError naming the problem.
 */
export function parseNlFormula(text: string, parameters: readonly string[]): NlFormula {
  if (typeof text !== 'string') throw new FormulaError(`an nlmer formula is a string such as 'y ~ SSlogis(age, Asym, xmid, scal) ~ Asym | Tree', not ${text === null ? 'null' : typeof text}`, '', 0);
  const cuts = tildes(text);
  if (cuts.length !== 2) {
    throw new FormulaError(`an nlmer formula has three parts, 'response ~ Model(covariates, parameters) ~ fixed | random' (found ${cuts.length + 1} part${cuts.length === 0 ? '' : 's'})`, text, cuts[2] ?? text.length);
  }
  const t2 = cuts[1];
  // response ~ model
  const { response, rhs } = parseFormulaSides(text.slice(0, t2));
  if (!response || response.kind !== 'name') throw new FormulaError('the response of an nlmer formula is a data column', text, response ? response.pos : 0);
  let call = rhs;
  while (call.kind === 'paren') call = call.inner;
  if (call.kind !== 'call') throw new FormulaError("the middle part of an nlmer formula is a call of a self-starting model such as SSlogis(age, Asym, xmid, scal)", text, rhs.pos);
  const model = SELF_START_MODELS.get(call.fn);
  if (!model) {
    throw new FormulaError(`unknown nonlinear model function '${call.fn}': nlmer here takes R's self-starting models ${[...SELF_START_MODELS.keys()].join(', ')}`, text, call.pos);
  }
  if (call.args.length !== model.formals.length) {
    throw new FormulaError(`${model.name} takes ${model.formals.length} arguments (${model.formals.join(', ')}), not ${call.args.length}`, text, call.pos);
  }
  // R's argument matching: named arguments first, then the positional ones in order
  const given = new Map<string, Node>();
  call.args.forEach((a, k) => {
    const nm = call.names[k];
    if (nm !== null) {
      if (!model.formals.includes(nm)) throw new FormulaError(`${model.name} has no argument '${nm}' (its arguments: ${model.formals.join(', ')})`, text, a.pos);
      given.set(nm, a);
    }
  });
  const free = model.formals.filter((f) => !given.has(f));
  call.args.forEach((a, k) => { if (call.names[k] === null) given.set(free.shift()!, a); });
  const nameOf = (formal: string): string => {
    const a = given.get(formal)!;
    if (a.kind !== 'name') throw new FormulaError(`the argument ${formal} of ${model.name} must be a name (a data column or a parameter)`, text, a.pos);
    return a.name;
  };
  const covariates = model.covariates.map(nameOf);
  const pnames = model.parameters.map(nameOf);
  for (const c of covariates) {
    if (parameters.includes(c)) throw new FormulaError(`'${c}' is a parameter in start but is given for ${model.name}'s covariate argument`, text, given.get(model.covariates[covariates.indexOf(c)])!.pos);
  }
  // lme4: every parameter of start appears in the model (pnames %in% all.vars(nlmod)); and every
  // parameter argument of the model must be a parameter of start (else the model would read a data column)
  for (const p of parameters) {
    if (!pnames.includes(p)) throw new FormulaError(`the parameter '${p}' of start is not a parameter of ${model.name}(${model.formals.join(', ')}) in the formula`, text, call.pos);
  }
  for (const p of pnames) {
    if (!parameters.includes(p)) throw new FormulaError(`${model.name}'s parameter '${p}' has no starting value in start (start gives ${parameters.join(', ') || 'none'})`, text, call.pos);
  }
  // the mixed-effects part
  const meText = text.slice(t2 + 1);
  const meNode = parseFormulaSides(`~${meText}`).rhs;
  const one = findOne(meNode);
  if (one) throw new FormulaError('1 is not meaningful in a nonlinear model formula', text, t2 + one.pos);
  const bare = meNode.kind === 'binary' && (meNode.op === '|' || meNode.op === '||');
  const parsed = parseFormula(`${response.name} ~ ${bare ? `(${meText})` : meText}`);
  const at = (label: string) => { const i = meText.indexOf(label); return t2 + 1 + Math.max(0, i); };
  const fixed: string[] = [];
  for (const t of parsed.fixed.terms) {
    if (t.vars.length !== 1 || !parameters.includes(t.label)) {
      throw new FormulaError(`the fixed part of an nlmer formula names parameters of start (${parameters.join(', ')}); '${t.label}' is not one`, text, at(t.label));
    }
    if (!fixed.includes(t.label)) fixed.push(t.label);
  }
  for (const p of parameters) if (!fixed.includes(p)) fixed.push(p);
  const random: NlRandomTerm[] = [];
  for (const r of parsed.random) {
    const ps: string[] = [];
    for (const t of r.lhs.terms) {
      if (t.vars.length !== 1 || !parameters.includes(t.label)) {
        throw new FormulaError(`a random-effects term of an nlmer formula is on parameters of start (${parameters.join(', ')}); '${t.label}' in (${r.text.replace(/^\(|\)$/g, '')}) is not one`, text, at(t.label));
      }
      ps.push(t.label);
    }
    if (ps.length === 0) throw new FormulaError(`the random-effects term ${r.text} names no parameter`, text, at(r.groupLabel));
    if (r.structure) throw new FormulaError(`covariance structures such as ${r.structure}() are not offered by nlmer`, text, at(r.structure));
    random.push({ parameters: ps, group: r.group, groupLabel: r.groupLabel });
  }
  if (random.length === 0) throw new FormulaError('an nlmer formula needs a random-effects term such as (Asym | Tree) in its last part', text, t2 + 1);
  return { text, response: response.name, model, covariates, parameters: pnames, fixed, random };
}
