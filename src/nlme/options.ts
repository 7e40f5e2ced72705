/** lme's and gls's option checks. */
import { OptionError } from '../errors/errors.js';

/** 'REML' (default) or 'ML'; true for REML. */
export function checkMethod(method: unknown): boolean {
  if (method === undefined) return true;
  if (method !== 'REML' && method !== 'ML') throw new OptionError('method', `method must be 'REML' or 'ML', got ${JSON.stringify(method)}`);
  return method === 'REML';
}

export function checkOptionNames(options: object, known: string[], fn: string): void {
  for (const k of Object.keys(options)) {
    if (!known.includes(k) && (options as Record<string, unknown>)[k] !== undefined) throw new OptionError(k, `${fn}: unknown option '${k}' (allowed: ${known.join(', ')})`);
  }
}

