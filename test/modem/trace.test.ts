import { renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startRig } from './helpers.ts';

const mode = (path: string) => statSync(path).mode & 0o777;

// The trace holds PDUs (texts) and caller numbers: the agent's user only, like the database.
t.test('the modem trace is created 0600 whatever the umask, also after logrotate moved it away', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'modem.trace');
  const umask = process.umask(0);
  t.teardown(() => void process.umask(umask));
  const rig = await startRig(t, { trace: path }, { dir });
  t.equal(mode(path).toString(8), '600', 'created 0600');
  renameSync(path, `${path}.1`);
  rig.sim.receiveSms({ from: '+15550100100', text: 'after rotation' });
  await rig.until(() => rig.events.some((e) => e.type === 'sms.received'), 'sms received');
  t.equal(mode(path).toString(8), '600', 'created again 0600 after rotation');
  await rig.stop();
});

t.test('an existing trace file readable by others is tightened to 0600 at start', async (t) => {
  const dir = t.testdir();
  const path = join(dir, 'modem.trace');
  writeFileSync(path, '# an old trace\n', { mode: 0o644 });
  t.equal(mode(path).toString(8), '644');
  const rig = await startRig(t, { trace: path }, { dir });
  t.equal(mode(path).toString(8), '600');
  await rig.stop();
});
