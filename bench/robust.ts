/**
 * The cost of clubSandwich's cluster-robust inference (src/inference/robust/) on 100,000 rows:
 * students in schools (bench/synth.ts slopeData), `y ~ x + (x | g)`, with 1,000 schools of 100 rows and
 * 200 schools of 500 rows; vcovCR of each type, coef_test (Satterthwaite) and Wald_test (HTZ) timed after
 * the fit; and the 1,000-school set with prior weights 1 to 4 varying within schools (CR2's n_j × n_j
 * form). Usage: npm run build && node dist/bench/robust.js
 */
import { tableFromArrays } from 'apache-arrow';
import { lmer } from '../src/fit/lmer.js';
import { slopeData } from './synth.js';
import '../src/inference/methods.js';
import { CR_TYPES } from '../src/inference/robust/vcovCR.js';

async function main(): Promise<void> {
  for (const [G, weighted] of [[1000, false], [200, false], [1000, true]] as const) {
    const n = 100_000;
    const { y, x, g } = slopeData(n, G);
    const w = Float64Array.from({ length: n }, (_, i) => 1 + (Math.floor(i / G) % 4));
    const table = weighted ? tableFromArrays({ y, x, g, w }) : tableFromArrays({ y, x, g });
    let t = performance.now();
    const fit = await lmer('y ~ x + (x | g)', table, weighted ? { weights: 'w' } : {});
    console.log(`n = ${n}, ${G} clusters of ${n / G} rows${weighted ? ', prior weights' : ''}: lmer ${((performance.now() - t) / 1000).toFixed(2)} s`);
    for (const type of weighted ? (['CR0', 'CR2'] as const) : CR_TYPES) {
      t = performance.now();
      const v = fit.vcovCR({ type });
      const tv = performance.now() - t;
      t = performance.now();
      const ct = fit.coefTest({ vcov: v });
      const tc = performance.now() - t;
      t = performance.now();
      const wt = fit.waldTest({ zero: ['(Intercept)', 'x'] }, { vcov: v });
      const tw = performance.now() - t;
      if (type === 'CR2') {
        t = performance.now();
        const sp = fit.coefTest({ vcov: v, test: 'saddlepoint' });
        console.log(`  CR2 saddlepoint test: ${((performance.now() - t) / 1000).toFixed(2)} s (p of x ${sp.rows[1].p.toPrecision(4)})`);
      }
      console.log(`  ${type}: vcovCR ${(tv / 1000).toFixed(2)} s, coefTest ${(tc / 1000).toFixed(3)} s, waldTest ${(tw / 1000).toFixed(3)} s; SE(x) ${ct.rows[1].se.toPrecision(6)}, df ${ct.rows[1].df.toPrecision(5)}, HTZ F ${wt.rows[0].Fstat.toPrecision(6)}`);
    }
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
