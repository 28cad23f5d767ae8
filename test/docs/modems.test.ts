// docs/modems.md lists every modem the simulator models: its tested-modem table names each profile.
import t from 'tap';
import { profiles } from '../../simulator/index.ts';
import { proseLines, read } from './markdown.ts';

t.test('the tested-modem table in docs/modems.md has a row for every simulator profile', async (t) => {
  const rows = proseLines(read('docs/modems.md')).map((l) => l.text).filter((line) => line.startsWith('|'));
  const names = Object.keys(profiles);
  t.ok(names.length >= 4, `${names.length} profiles`);
  for (const name of names)
    t.ok(rows.some((row) => row.includes(`profile \`${name}\``)), `docs/modems.md names profile \`${name}\` (add a row: the modem, how it is tested, its dialect)`);
});

t.test('docs/simulator.md names every profile, scenario and fault kind', async (t) => {
  const { FAULT_KINDS, scenarios } = await import('../../simulator/index.ts');
  const doc = read('docs/simulator.md');
  for (const name of [...Object.keys(profiles), ...Object.keys(scenarios), ...FAULT_KINDS])
    t.ok(doc.includes(`\`${name}\``), `docs/simulator.md names \`${name}\``);
});
