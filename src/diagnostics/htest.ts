/**
 * The result of a DHARMa test as R's htest list, and its print.htest lines:
 *
 *   \t<method>
 *
 *   data:  <data name>
 *   <statistic name> = <5 significant digits>, [<parameter name> = <value>, ]p-value = <format.pval, 4 digits>
 *     (the method and this line wrapped by R's strwrap at 72 characters)
 *   alternative hypothesis: <alternative>
 *   [95 percent confidence interval: … / sample estimates: …]
 */
import { formatPval, formatR } from '../results/rFormat.js';

export interface HTest {
  method: string;
  dataName: string;
  statistic: { name: string; value: number };
  parameter?: { name: string; value: number };
  pValue: number;
  /** the alternative as given ('two.sided', 'less', 'greater') */
  alternative: string;
  /** R's alternative line, when it is not the alternative itself (ks.test's) */
  alternativeText?: string;
  /** binom.test's null value, named */
  nullValue?: { name: string; value: number };
  estimate?: { name: string; value: number };
  confInt?: { lower: number; upper: number; level: number };
}

/** R's strwrap(text, width = 0.9 × 80) at the default width: words greedily on lines of fewer than 72 characters */
export function strwrap72(text: string): string[] {
  const words = text.split(/\s+/).filter((w) => w.length > 0);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line === '') line = w;
    else if (line.length + 1 + w.length < 72) line += ` ${w}`;
    else { lines.push(line); line = w; }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** print.htest(x) as R 4.2 prints it (digits = 7; the method wrapped by strwrap with prefix "\t") */
export function printHTest(t: HTest): string[] {
  const lines = ['', ...strwrap72(t.method).map((l) => `\t${l}`), '', `data:  ${t.dataName}`];
  const parts = [`${t.statistic.name} = ${formatR([t.statistic.value], 5)[0]}`];
  if (t.parameter) parts.push(`${t.parameter.name} = ${formatR([t.parameter.value], 5)[0]}`);
  const pv = formatPval([t.pValue], 4)[0];
  parts.push(pv.startsWith('<') ? `p-value ${pv}` : `p-value = ${pv}`);
  lines.push(...strwrap72(parts.join(', ')));
  const alt = t.alternativeText ?? t.alternative;
  if (t.nullValue) {
    const rel = t.alternative === 'two.sided' ? 'not equal to' : t.alternative === 'less' ? 'less than' : 'greater than';
    lines.push(`alternative hypothesis: true ${t.nullValue.name} is ${rel} ${formatR([t.nullValue.value], 7)[0]}`);
  } else lines.push(`alternative hypothesis: ${alt}`);
  if (t.confInt) {
    lines.push(`${Math.round(t.confInt.level * 100)} percent confidence interval:`);
    lines.push(` ${formatR([t.confInt.lower, t.confInt.upper], 7).join(' ')}`);
  }
  if (t.estimate) {
    lines.push('sample estimates:');
    const v = formatR([t.estimate.value], 7)[0];
    const w = Math.max(t.estimate.name.length, v.length);
    // print of a named vector: each column right-justified, followed by a space
    lines.push(`${t.estimate.name.padStart(w)} `, `${v.padStart(w)} `);
  }
  lines.push('');
  return lines;
}
