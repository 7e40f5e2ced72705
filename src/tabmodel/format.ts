/**
 * The number and label formatting of sjPlot 2.8.12's tab_model(): C's sprintf("%.*f") (which R's
 * sprintf calls), sjPlot's p-value cells (format_p_values), significance stars (get_p_stars), its
 * minus sign, and sjmisc's word_wrap of labels.
 */
import { toFixedEven } from '../results/rFormat.js';

/**
 * C's sprintf("%.*f", digits, x) as R's sprintf writes it: the exact binary value rounded to `digits`
 * decimals, exact ties to even; NA as "NA", ±Inf as "Inf"/"-Inf"; a negative value that rounds to
 * zero keeps its sign ("-0.00"), as C's printf.
 */
export function sprintfFixed(x: number | null, digits: number): string {
  if (x === null || Number.isNaN(x)) return 'NA';
  if (!Number.isFinite(x)) return x > 0 ? 'Inf' : '-Inf';
  const s = toFixedEven(x, digits);
  return x < 0 && !s.startsWith('-') ? `-${s}` : s;
}

/** sjPlot's get_p_stars(p, thresholds): "***" below the third threshold, "**" the second, "*" the first */
export function pStars(p: number | null, thresholds: readonly [number, number, number]): string {
  if (p === null || Number.isNaN(p)) return '';
  if (p < thresholds[2]) return '***';
  if (p < thresholds[1]) return '**';
  if (p < thresholds[0]) return '*';
  return '';
}

/**
 * sjPlot's format_p_values for one p-value: sprintf("%.*f", digits.p, p), in <strong> where p < 0.05
 * (emph.p), and "0.000" (all zeros) written "&lt;0.001" (R's format(10^-digits.p, scientific = FALSE)).
 * `allNa`: every p of the model is NA (no <strong> then, as sjPlot).
 */
export function pCell(p: number | null, digitsP: number, emphP: boolean): string {
  let s = sprintfFixed(p, digitsP);
  if (emphP && p !== null && p < 0.05) s = `<strong>${s}</strong>`;
  const zeros = `0.${'0'.repeat(digitsP)}`;
  const bound = `&lt;${(10 ** -digitsP).toFixed(digitsP)}`;
  if (s === zeros) return bound;
  if (s === `<strong>${zeros}</strong>`) return `<strong>${bound}</strong>`;
  return s;
}

/** sjPlot's minus sign: the first "-" followed by a digit becomes "&#45;" (gsub("-(\\d)(.*)", …)) */
export function minusSign(cell: string, minus = '&#45;'): string {
  return cell.replace(/-(\d)/, `${minus}$1`);
}

/**
 * sjmisc's word_wrap(label, wrap, linesep): where the label is longer than `wrap` characters, each
 * run of at most `wrap` characters that ends before a blank or the end gets `linesep` after it
 * (gsub("(.{1,wrap})(\\s|$)", "\\1linesep")), and a trailing `linesep` is dropped.
 */
export function wordWrap(label: string, wrap: number, linesep = '<br>'): string {
  if (!Number.isFinite(wrap) || wrap === 0 || label.length <= wrap) return label;
  let s = label.replace(new RegExp(`(.{1,${wrap}})(\\s|$)`, 'g'), (_m, run: string) => `${run}${linesep}`);
  if (s.endsWith(linesep)) s = s.slice(0, s.length - linesep.length);
  return s;
}

/** R's format(x) of a p threshold in the stars footnote (0.05 → "0.05", 1e-4 → "1e-04") */
export function formatThreshold(x: number): string {
  if (x !== 0 && Math.abs(x) < 1e-4) {
    const [m, e] = x.toExponential().split('e');
    return `${m}e${e.startsWith('-') ? '-' : '+'}${e.replace(/^[+-]/, '').padStart(2, '0')}`;
  }
  return String(x);
}
