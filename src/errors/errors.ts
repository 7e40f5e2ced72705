/**
 * The package's error types. Every error the library throws for bad input or a model it cannot fit
 * is a `MixedGpuError`, of one of these kinds:
 *
 *   FormulaError  the formula text (points at the token: `position`, `formula`);
 *   OptionError   an option's value (names the option, the value and what is allowed);
 *   DataError     the data: a missing column, values that are not what the model needs (names the
 *                 column and the first offending row), a file that cannot be read;
 *   ModelError    a model the data cannot support (too many columns, too few levels, a constant
 *                 response, no random-effects terms);
 *   FitError      a numerical failure while fitting (a singular system, PIRLS not converging);
 *   DeviceLostError  the WebGPU device was lost during a computation (a driver reset, the host's
 *                 destroy()): the fit driver continues on the CPU from the last θ (src/model/fitObjective.ts).
 *
 * An aborted fit rejects with an Error named 'AbortError' (as fetch does; src/model/control.ts).
 * Anything else escaping the library is a bug (the fuzz tests in test/fuzz/ check it).
 */

/** The base of every error this package throws on purpose. */
export class MixedGpuError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MixedGpuError';
  }
}

/**
 * An error in a formula, pointing at the offending token. `position` is its offset in the formula
 * as JavaScript indexes strings (UTF-16 code units: use it with `formula.slice`); the message counts
 * characters (a character outside the BMP, such as an emoji, is one) and shows the formula with a
 * caret under the token.
 */
export class FormulaError extends MixedGpuError {
  /** 0-based offset (UTF-16 code units) of the offending token in the formula text */
  readonly position: number;
  readonly formula: string;
  constructor(message: string, formula: string, position: number) {
    const before = [...formula.slice(0, Math.max(0, Math.min(position, formula.length)))];
    // one line: line breaks shown as spaces; the caret line keeps tabs so that it lines up
    const shown = formula.replace(/[\r\n]/g, ' ');
    const pad = before.map((c) => (c === '\t' ? '\t' : ' ')).join('');
    super(`${message} at position ${before.length + 1}:\n  ${shown}\n  ${pad}^`);
    this.name = 'FormulaError';
    this.position = position;
    this.formula = formula;
  }
}

/** An option that is not one of the allowed values. */
export class OptionError extends MixedGpuError {
  /** the option's name as the user wrote it (`REML`, `optimizer.rhoend`, `--backend`) */
  readonly option: string;
  constructor(option: string, message: string) {
    super(message);
    this.name = 'OptionError';
    this.option = option;
  }
}

/** A problem with the data: a column, a value, a row, a file. */
export class DataError extends MixedGpuError {
  /** the column concerned, when there is one */
  readonly column?: string;
  /** the 1-based row of the input (data row, not counting a header), when there is one */
  readonly row?: number;
  constructor(message: string, where: { column?: string; row?: number } = {}) {
    super(message);
    this.name = 'DataError';
    if (where.column !== undefined) this.column = where.column;
    if (where.row !== undefined) this.row = where.row;
  }
}

/** A model the data cannot support, found before fitting. */
export class ModelError extends MixedGpuError {
  constructor(message: string) {
    super(message);
    this.name = 'ModelError';
  }
}

/** A numerical failure while fitting. */
export class FitError extends MixedGpuError {
  constructor(message: string) {
    super(message);
    this.name = 'FitError';
  }
}

/** The GPU device was lost while the library was using it (GPUDevice.lost resolved). */
export class DeviceLostError extends MixedGpuError {
  /** GPUDeviceLostInfo's reason ('destroyed' or 'unknown') */
  readonly reason: string;
  /** the adapter's name */
  readonly adapter: string;
  constructor(adapter: string, reason: string, detail: string) {
    super(`the WebGPU device (${adapter}) was lost (${reason}${detail ? `: ${detail}` : ''})`);
    this.name = 'DeviceLostError';
    this.reason = reason;
    this.adapter = adapter;
  }
}

/** True for the errors a caller should expect from bad input (the package's own, or an abort). */
export function isPackageError(e: unknown): boolean {
  if (e instanceof MixedGpuError) return true;
  return e instanceof Error && e.name === 'AbortError';
}

/** `value` as an error message shows it: strings quoted, arrays and objects abbreviated. */
export function showValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value == null) return String(value);
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return value.toString();
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const ctor = (value as object).constructor?.name;
  return ctor && ctor !== 'Object' ? `a ${ctor}` : 'an object';
}
