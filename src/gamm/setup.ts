/**
 * gamm4's setup (gamm4.setup and the model formula gamm4 hands lmer): each smooth's constrained basis
 * (src/smooth/smoothCon.ts) at the rows the model uses, reparametrized as a mixed model
 * (src/smooth/mixedForm.ts), and the data and formula of the lmer fit that estimates it:
 *
 *   y ~ parametric + s(x)Fx1 + … + homdiag(0 + s(x).1 + … + s(x).r | Xr) + … + random
 *
 * where the Fx columns are the penalty's null space (fixed effects, named as gamm4 names them) and
 * s(x).1 … s(x).r the penalized part Z = X U D^{−1/2}, on a grouping factor Xr of one level with one
 * variance for all r columns (Λ = θ I_r, src/model/covStructure.ts homdiag): gamm4's (1 | Xr), whose
 * Z gamm4 replaces by the same matrix. Column and factor names that the data already use get mgcv's
 * new.name suffixes (`Xr.0`, `Xr.1`, …).
 */
import * as arrow from 'apache-arrow';
import { parseFormula, parseRandomForm } from '../formula/parse.js';
import { parseSmoothFormula, type SmoothFormula } from '../formula/smooth.js';
import type { Formula } from '../formula/types.js';
import { buildModelFrame } from '../frame/modelFrame.js';
import { DataError, ModelError } from '../errors/errors.js';
import { makeFloat64Vector, makeUtf8Vector } from '../io/arrow.js';
import { type ConstructedSmooth, smoothCon } from '../smooth/smoothCon.js';
import { type SmoothMixedForm, smoothToRandom } from '../smooth/mixedForm.js';

/** One smooth of the model, set up. */
export interface SmoothSetup {
  con: ConstructedSmooth;
  form: SmoothMixedForm;
  /** the fixed effects' column names (gamm4's `s(x)Fx1`) */
  fxNames: string[];
  /** the covariate at the rows used */
  x: Float64Array;
  /** the random effects' column names and grouping factor (gamm4's `Xr`, `Xr.0`, …) */
  zNames: string[];
  group: string;
}

export interface GammSetup {
  smooth: SmoothFormula;
  smooths: SmoothSetup[];
  /** the lmer formula (parsed, the smooths' terms marked) and the data with the smooths' columns */
  formula: Formula;
  data: arrow.Table;
  /** the random-effects formula's terms' text (`(1 | g)`), as given */
  random: string | null;
  /** rows of the input used (null: all) and their number */
  rows: Int32Array | null;
  n: number;
}

/** mgcv's new.name: `name`, or `name.0`, `name.1`, … the first not in `used`. */
export function newName(name: string, used: Set<string>): string {
  if (!used.has(name)) return name;
  for (let k = 0; ; k++) if (!used.has(`${name}.${k}`)) return `${name}.${k}`;
}

const backtick = (name: string) => (/^[A-Za-z.][A-Za-z0-9._]*$/.test(name) && !/^\.\d/.test(name) ? name : `\`${name}\``);

/** Stage: formula, data and random formula → the smooths and the lmer (or, with `family`, glmer) model that fits them. */
export function gammSetup(formulaText: string, table: arrow.Table, random: string | undefined, factors: string[] | undefined, family?: 'binomial' | 'poisson'): GammSetup {
  const smooth = parseSmoothFormula(formulaText);
  let randomRhs: string | null = null;
  if (random !== undefined) {
    if (typeof random !== 'string') throw new ModelError(`random: a one-sided formula of random-effects terms such as '~ (1 | g)', not ${typeof random}`);
    parseRandomForm(random);
    const t = random.indexOf('~');
    randomRhs = random.slice(t + 1).trim();
    if (randomRhs === '' || randomRhs === '0' || randomRhs === '1') randomRhs = null;
  }
  if (smooth.smooths.length === 0 && randomRhs === null) {
    throw new ModelError('gamm4 models must have at least 1 smooth with unknown smoothing parameter or at least one other random effect');
  }
  // the rows the model uses: na.omit over the parametric part, the smooths' covariates and the random part
  const covariates = smooth.smooths.map((s) => backtick(s.term));
  const probeText = `${smooth.parametric}${covariates.length ? ` + ${covariates.join(' + ')}` : ''}${randomRhs ? ` + ${randomRhs}` : ''}`;
  const probe = parseFormula(probeText);
  for (const s of smooth.smooths) {
    const c = table.getChild(s.term);
    if (!c) throw new DataError(`${s.label}: column '${s.term}' not found in the data (columns: ${table.schema.fields.map((f) => f.name).join(', ')})`, { column: s.term });
    if ((factors ?? []).includes(s.term) || !arrow.DataType.isFloat(c.type) && !arrow.DataType.isInt(c.type)) {
      throw new DataError(`${s.label}: '${s.term}' is not numeric (a smooth needs a numeric covariate)`, { column: s.term });
    }
  }
  // without random terms the probe is an ordinary linear model's frame: buildModelFrame takes it
  // (a binomial or Poisson response, cbind(s, f) included, checked as glmer checks it)
  const frame = buildModelFrame(probe, table, { factors }, family ? { family } : undefined);
  const n = frame.n, nInput = table.numRows, rows = frame.rows;
  const used = new Set(table.schema.fields.map((f) => f.name));
  const extra: Record<string, arrow.Vector> = {};
  const fixedTerms: string[] = [];
  const randomTerms: string[] = [];
  const smooths: SmoothSetup[] = smooth.smooths.map((spec) => {
    const col = frame.columns.get(spec.term);
    if (!col || col.kind !== 'numeric') throw new DataError(`${spec.label}: '${spec.term}' is not numeric (a smooth needs a numeric covariate)`, { column: spec.term });
    const con = smoothCon({ term: spec.term, bs: spec.bs, k: spec.k, label: spec.label }, col.values);
    const form = smoothToRandom(con);
    const full = (values: Float64Array, q: number, j: number) => {
      const out = new Float64Array(nInput).fill(NaN);
      for (let i = 0; i < n; i++) out[rows ? rows[i] : i] = values[i * q + j];
      return makeFloat64Vector(out);
    };
    const fxNames: string[] = [];
    for (let j = 0; j < form.nf; j++) {
      const name = newName(`${spec.label}Fx${j + 1}`, used);
      used.add(name);
      fxNames.push(name);
      extra[name] = full(form.Xf, form.nf, j);
      fixedTerms.push(backtick(name));
    }
    const group = newName('Xr', used);
    used.add(group);
    const zNames: string[] = [];
    for (let j = 0; j < form.r; j++) {
      const name = newName(`${spec.label}.${j + 1}`, used);
      used.add(name);
      zNames.push(name);
      extra[name] = full(form.Zr, form.r, j);
    }
    extra[group] = makeUtf8Vector(new Array<string>(nInput).fill('1'));
    randomTerms.push(`(0 + ${zNames.map(backtick).join(' + ')} | ${backtick(group)})`);
    return { con, form, fxNames, zNames, group, x: col.values };
  });
  const tilde = smooth.parametric.indexOf('~');
  const parametricRhs = smooth.parametric.slice(tilde + 1).trim();
  const text = `${smooth.parametric.slice(0, tilde + 1)} ${[parametricRhs, ...fixedTerms, ...randomTerms, ...(randomRhs ? [randomRhs] : [])].join(' + ')}`;
  const formula = parseFormula(text);
  formula.random = formula.random.map((r) => {
    const s = smooths.find((sm) => sm.group === r.groupLabel);
    // the smooth's penalized part: one variance for its r columns, a grouping factor of one level
    return s ? { ...r, structure: 'homdiag' as const, smooth: s.con.spec.label, text: `${s.con.spec.label} (${r.text})` } : r;
  });
  const data = table.assign(new arrow.Table(extra));
  return { smooth, smooths, formula, data, random: randomRhs, rows, n };
}
