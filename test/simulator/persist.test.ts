import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ManualClock } from '../../core/clock.ts';
import { createSimulator } from '../../simulator/index.ts';
import { lines, setup } from './helpers.ts';

t.test('storageFile: the SIM storage outlives the simulator; the inbox seeds only a new file', async (t) => {
  const file = join(t.testdir(), 'sim.json');
  const inbox = [{ from: '+15550500500', text: 'seeded once' }];
  const first = createSimulator({ clock: new ManualClock(), storageFile: file, inbox });
  const sm = first.modem.storage('SM');
  t.equal(sm.used, 1);
  first.receiveSms({ from: '+15550500501', text: 'arrived later' });
  t.equal(sm.used, 2);
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { storages: { SM: { index: number; stat: number }[] } };
  t.same(saved.storages.SM.map((m) => [m.index, m.stat]), [[1, 0], [2, 0]], 'written on every change');
  first.close();

  const second = createSimulator({ clock: new ManualClock(), storageFile: file, inbox });
  t.same(second.modem.storage('SM').list().map((m) => m.index), [1, 2], 'loaded, inbox not added again');
  t.equal(second.modem.storage('SM').get(1)!.pdu, sm.get(1)!.pdu);
  second.modem.storage('SM').delete(1);
  second.close();
  const third = createSimulator({ clock: new ManualClock(), storageFile: file, inbox });
  t.same(third.modem.storage('SM').list().map((m) => m.index), [2], 'the delete was kept');
  third.close();
});

t.test('storageFile: reading a message marks it read in the file too', async (t) => {
  const file = join(t.testdir(), 'sim.json');
  const { sim, host } = await setup({ storageFile: file, inbox: [{ from: '+15550500502', text: 'read me' }] });
  t.teardown(async () => { await host.close(); sim.close(); });
  t.match(lines(await host.at('AT+CMGR=1'))[0], /^\+CMGR: 0,/);
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { storages: { SM: { stat: number }[] } };
  t.equal(saved.storages.SM[0]!.stat, 1);
});
