/**
 * R's p.adjust: p-values adjusted for multiple comparisons among n tests (n ≥ the number given;
 * emmeans passes the family's size). With the p-values sorted, p₍₁₎ ≤ … ≤ p₍ₘ₎:
 *   bonferroni  min(1, n p)
 *   holm        cummax over i of min(1, (n − i + 1) p₍ᵢ₎)                      (step-down)
 *   hochberg    cummin from the top of min(1, (n − i + 1) p₍ᵢ₎)                (step-up)
 *   hommel      Hommel (1988) by R's recursion over the subset sizes m = n − 1 … 2
 *   BH (fdr)    cummin from the top of min(1, n p₍ᵢ₎ / i)
 *   BY          as BH times Σ_{k ≤ n} 1/k
 *   none        p
 */
export const P_ADJUST_METHODS = ['holm', 'hochberg', 'hommel', 'bonferroni', 'BH', 'BY', 'fdr', 'none'] as const;
export type PAdjustMethod = (typeof P_ADJUST_METHODS)[number];

export function pAdjust(p: readonly number[], method: PAdjustMethod, n = p.length): number[] {
  const lp = p.length;
  if (n <= 1 || method === 'none') return [...p];
  const clamp = (x: number) => Math.min(1, x);
  const asc = p.map((_, i) => i).sort((a, b) => p[a] - p[b]);
  const desc = [...asc].reverse();
  const out = new Array<number>(lp);
  switch (method) {
    case 'bonferroni':
      return p.map((x) => clamp(n * x));
    case 'holm': {
      let run = 0;
      asc.forEach((o, i) => { run = Math.max(run, (n - i) * p[o]); out[o] = clamp(run); });
      return out;
    }
    case 'hochberg': {
      let run = Infinity;
      desc.forEach((o, k) => { const i = lp - k; run = Math.min(run, (n - i + 1) * p[o]); out[o] = clamp(run); });
      return out;
    }
    case 'BH':
    case 'fdr':
    case 'BY': {
      const q = method === 'BY' ? Array.from({ length: n }, (_, k) => 1 / (k + 1)).reduce((s, v) => s + v, 0) : 1;
      let run = Infinity;
      desc.forEach((o, k) => { const i = lp - k; run = Math.min(run, (q * n * p[o]) / i); out[o] = clamp(run); });
      return out;
    }
    case 'hommel': {
      // R pads to n tests with p = 1
      const ps = asc.map((o) => p[o]);
      while (ps.length < n) ps.push(1);
      const N = n;
      let minAll = Infinity;
      for (let i = 0; i < N; i++) minAll = Math.min(minAll, (N * ps[i]) / (i + 1));
      const q = new Array<number>(N).fill(minAll);
      const pa = new Array<number>(N).fill(minAll);
      for (let m = N - 1; m >= 2; m--) {
        // i1 = 1 … N − m + 1, i2 = N − m + 2 … N (1-based)
        let q1 = Infinity;
        for (let k = 2; k <= m; k++) q1 = Math.min(q1, (m * ps[N - m + k - 1]) / k);
        for (let i = 0; i < N - m + 1; i++) q[i] = Math.min(m * ps[i], q1);
        for (let i = N - m + 1; i < N; i++) q[i] = q[N - m];
        for (let i = 0; i < N; i++) pa[i] = Math.max(pa[i], q[i]);
      }
      asc.forEach((o, i) => { out[o] = Math.max(pa[i], ps[i]); });
      return out;
    }
  }
}
