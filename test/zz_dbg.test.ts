import { it } from 'vitest';
import { readTableFile } from '../src/io/node.js';
import { gamm4 } from '../src/gamm/gamm4.js';
it('dbg', async () => {
  const t = readTableFile('test/fixtures/data/gamsim1.csv').table;
  const fit = await gamm4('y ~ s(x0) + s(x1, bs = "cr") + x2', t, { random: '~ (1 | fac)' });
  console.log(fit.summary());
  console.log(fit.mer.summary());
  console.log(JSON.stringify(fit.plotData(3)));
}, 60000);
