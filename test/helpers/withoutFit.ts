/** multcomp's printout without its Fit block (R prints the fit's call, with the data's name, wrapped): test/glht*.test.ts */
export function withoutFit(lines: string[]): string[] {
  const out: string[] = [];
  let skipping = false;
  for (const l of lines) {
    if (l.startsWith('Fit: ')) { skipping = true; continue; }
    if (skipping) { if (l === '') skipping = false; continue; }
    out.push(l);
  }
  return out;
}
