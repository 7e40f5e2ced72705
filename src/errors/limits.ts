/**
 * Limits that stop runaway input early, with an error that names them (a formula that would expand
 * to millions of columns, a parser recursion that would overflow the stack, a model matrix larger
 * than the machine's memory).
 */

/**
 * The most model-matrix columns one linear part may have: the fixed effects, or the left-hand side
 * of one random-effects term. The parser refuses a formula whose terms exceed it (each term is at
 * least one column) before expanding further, and the model frame refuses a model whose factors'
 * levels take the columns past it before building any column.
 */
export const MAX_MODEL_COLUMNS = 10_000;

/**
 * The deepest nesting of parentheses, function calls and operators in a formula (a sum of terms
 * `a + b + c + …` is not nesting: it may be as long as MAX_MODEL_COLUMNS allows).
 */
export const MAX_FORMULA_DEPTH = 500;

/**
 * The memory a model's matrices may take: the machine's memory in Node (os.totalmem), else the
 * browser's `navigator.deviceMemory` (Chrome), else 4 GiB.
 */
export function memoryBudgetBytes(): number {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = proc?.getBuiltinModule?.('node:os') as { totalmem?: () => number } | undefined;
  const total = os?.totalmem?.();
  if (typeof total === 'number' && total > 0) return total;
  const deviceGiB = (globalThis as { navigator?: { deviceMemory?: number } }).navigator?.deviceMemory;
  if (typeof deviceGiB === 'number' && deviceGiB > 0) return deviceGiB * 2 ** 30;
  return 4 * 2 ** 30;
}

/** Bytes as a reader wants them: `1.5 GiB`, `300 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
  return `${Math.ceil(bytes / 1024)} KiB`;
}
