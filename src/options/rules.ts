/**
 * Checks of option objects: each option has a rule, and a value the rule refuses — or a key that
 * is no option — is an OptionError naming the function, the option, the value and what is allowed
 * (`lmer: REML must be true or false, not the string "false"`).
 */
import { OptionError, showValue } from '../errors/errors.js';

/** A rule checks one option's value (never undefined: an absent option is not checked). */
export type Rule = (value: unknown, at: string) => void;

/** The rules of an options object, by option name. */
export type Schema = Readonly<Record<string, Rule>>;

function refuse(at: string, value: unknown, allowed: string): never {
  throw new OptionError(at.split(': ').pop()!, `${at} must be ${allowed}, not ${describe(value)}`);
}

/** How a value is named: `the string "false"`, `the number 9`, `null`, `an object`. */
function describe(value: unknown): string {
  if (typeof value === 'string') return `the string ${showValue(value)}`;
  if (typeof value === 'number') return `the number ${value}`;
  return showValue(value);
}

export const bool: Rule = (v, at) => {
  if (typeof v !== 'boolean') refuse(at, v, 'true or false');
};

export function oneOf(...allowed: string[]): Rule {
  return (v, at) => {
    if (typeof v !== 'string' || !allowed.includes(v)) {
      const hint = typeof v === 'string' && allowed.some((a) => a.toLowerCase() === v.toLowerCase()) ? ` (names are case-sensitive)` : '';
      refuse(at, v, `one of ${allowed.map((a) => `'${a}'`).join(', ')}${hint}`);
    }
  };
}

export const positiveNumber: Rule = (v, at) => {
  if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) refuse(at, v, 'a positive finite number');
};

export function integer(lo: number, hi = Infinity): Rule {
  const allowed = hi === Infinity ? `an integer ≥ ${lo}` : `an integer from ${lo} to ${hi}`;
  return (v, at) => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) refuse(at, v, allowed);
  };
}

export const string: Rule = (v, at) => {
  if (typeof v !== 'string') refuse(at, v, 'a string');
};

export const fn: Rule = (v, at) => {
  if (typeof v !== 'function') refuse(at, v, 'a function');
};

/** Column names: an array of strings (a single string is refused: it is not split into columns). */
export const columnNames: Rule = (v, at) => {
  if (typeof v === 'string') refuse(at, v, `an array of column names (such as ['${v}'])`);
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string' && x.length > 0)) refuse(at, v, 'an array of column names');
};

/** Prior weights: a column name, or one number per row (an array or a typed array). */
export const weights: Rule = (v, at) => {
  if (typeof v === 'string') {
    if (v.length === 0) refuse(at, v, 'a column name or one number per row');
    return;
  }
  const isArray = Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
  if (!isArray) refuse(at, v, 'a column name or one number per row (an array)');
  const a = v as ArrayLike<unknown>;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (!(x === null || x === undefined || typeof x === 'number')) {
      throw new OptionError('weights', `${at}[${i}] must be a number (or null for a missing weight), not ${describe(x)}`);
    }
  }
};

export const abortSignal: Rule = (v, at) => {
  const s = v as { aborted?: unknown; addEventListener?: unknown } | null;
  if (!s || typeof s !== 'object' || typeof s.aborted !== 'boolean' || typeof s.addEventListener !== 'function') refuse(at, v, 'an AbortSignal');
};

export const gpuDevice: Rule = (v, at) => {
  const d = v as { createBuffer?: unknown; queue?: unknown } | null;
  if (!d || typeof d !== 'object' || typeof d.createBuffer !== 'function' || typeof d.queue !== 'object') refuse(at, v, 'a GPUDevice');
};

/** A nested options object with its own schema. */
export function nested(schema: Schema): Rule {
  return (v, at) => checkObject(v, at, schema);
}

/** The allowed option closest to `key` (case, or one or two edits), for "did you mean". */
function closest(key: string, names: string[]): string | null {
  const lower = key.toLowerCase();
  const byCase = names.find((n) => n.toLowerCase() === lower);
  if (byCase) return byCase;
  let best: string | null = null;
  let bestD = 3;
  for (const n of names) {
    const d = editDistance(lower, n.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = n;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Checks `options` (an object, or undefined) against `schema`: every key must be an option, every
 * value that is not undefined must pass its rule. `at` names the object in messages (`lmer`,
 * `lmer: optimizer`).
 */
export function checkObject(options: unknown, at: string, schema: Schema): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new OptionError(at.split(': ').pop()!, `${at}: the options must be an object such as { ${Object.keys(schema)[0]}: … }, not ${describe(options)}`);
  }
  const names = Object.keys(schema);
  for (const key of Object.keys(options)) {
    const rule = Object.hasOwn(schema, key) ? schema[key] : undefined;
    if (!rule) {
      const near = closest(key, names);
      throw new OptionError(key, `${at}: unknown option '${key}'${near ? ` (did you mean '${near}'?)` : ''}; the options are ${names.join(', ')}`);
    }
    const value = (options as Record<string, unknown>)[key];
    if (value !== undefined) rule(value, `${at}: ${key}`);
  }
}
