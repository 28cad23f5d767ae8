// Modem faults under traffic: garbage bytes, USB unplug/replug, a hang, a full SIM storage and send
// errors, one after the other while SMS keep arriving and sends keep being queued. The agent recovers
// by itself and loses nothing: every SMS reaches the journal once, every send ends sent. A wrong PIN is
// reported, tried once only, and queued work waits. Simulated time (a manual clock), no real waiting.
import t from 'tap';
import { missing } from '../bench/agent.ts';
import type { Rig } from './harness/rig.ts';

const absent = await missing('modem');
const { startRig } = absent ? ({} as typeof import('./harness/rig.ts')) : await import('./harness/rig.ts');

const received = (rig: Rig) => rig.events.filter((e) => e.type === 'sms.received').map((e) => (e.data as { text?: string }).text ?? '');
const sentIds = (rig: Rig) => new Set(rig.events.filter((e) => e.type === 'sms.sent').map((e) => (e.data as { messageId: string }).messageId));

t.test('faults one after another under traffic: recovers, loses nothing', { skip: absent ?? false }, async (t) => {
  const rig = await startRig(t, { healthIntervalSeconds: 5, commandTimeoutMs: 2000, hangThreshold: 2, reconnectMaxSeconds: 4, retry: { attempts: 6, initialDelayMs: 0 } });
  // initialDelayMs 0: the send retry backoff runs on cockatiel's real timers, not the injected clock.
  const sms = rig.agent.use('sms');
  const texts: string[] = [];
  const sends: string[] = [];
  let k = 0;
  const traffic = (n: number) => {
    for (let i = 0; i < n; i++, k++) {
      const text = `fault traffic ${k}`;
      texts.push(text);
      rig.sim.receiveSms({ from: `+1555030${String(k).padStart(4, '0')}`, text });
      sends.push(sms.send({ to: `+1555040${String(k).padStart(4, '0')}`, text: `reply ${k}`, deliveryReport: false }).id);
    }
  };
  const settled = (what: string) =>
    rig.until(() => texts.every((x) => received(rig).includes(x)) && sends.every((id) => sentIds(rig).has(id)), `everything so far received and sent (${what})`).catch((error) => {
      const missingTexts = texts.filter((x) => !received(rig).includes(x));
      const unsent = sends.filter((id) => !sentIds(rig).has(id)).map((id) => sms.getMessage(id));
      throw new Error(`${(error as Error).message}: not received ${JSON.stringify(missingTexts)}; not sent ${JSON.stringify(unsent)}; modem ${JSON.stringify(sms.modems()[0])}; SIM ${JSON.stringify([...rig.sim.modem.storages.values()].map((s) => [s.name, s.used]))}\n${rig.sim.transcript().split('\n').filter((l) => /CMGS|CMS|ERROR|^< >/.test(l)).slice(-16).join(' | ')}`);
    });
  const online = () => sms.modems()[0]!.state === 'online';

  traffic(3);
  await settled('before any fault');

  // Line noise while messages arrive and go out: binary junk and broken lines.
  rig.sim.fault('garbage', { count: 3, bytes: Buffer.from('\x00\xff\xfe\r\n\x1b[0m#$%\r\n+CM\r\nOKAY?\x07\r\n', 'latin1') });
  traffic(3);
  await settled('garbage');
  t.ok(online(), 'online after garbage bytes');

  // Junk that happens to be well-formed final result codes (a call's NO CARRIER, an error from nowhere)
  // can end the command in progress: a send may fail, but then it says so; nothing is silently lost.
  rig.sim.fault('garbage', { count: 2, bytes: Buffer.from('\r\nNO CARRIER\r\n+CME ERROR: 999\r\n') });
  const spurious: string[] = [];
  for (let i = 0; i < 2; i++, k++) {
    const text = `fault traffic ${k}`;
    texts.push(text);
    rig.sim.receiveSms({ from: `+1555030${String(k).padStart(4, '0')}`, text });
    spurious.push(sms.send({ to: `+1555040${String(k).padStart(4, '0')}`, text: `reply ${k}`, deliveryReport: false }).id);
  }
  const endedOf = (id: string) => sms.getMessage(id) as { status: string; error?: { message: string } } | undefined;
  await rig.until(
    () => texts.every((x) => received(rig).includes(x)) && spurious.every((id) => ['sent', 'failed'].includes(endedOf(id)?.status ?? '')),
    'spurious result codes: everything received, each send sent or failed',
  );
  for (const id of spurious) {
    const m = endedOf(id)!;
    if (m.status === 'failed') {
      t.ok(m.error?.message && rig.events.some((e) => e.type === 'sms.failed' && (e.data as { messageId: string }).messageId === id), `a send ended by a spurious result code is reported failed ("${m.error?.message}"), not lost`);
    } else t.pass('a send survived spurious result codes');
  }
  t.ok(online(), 'online after spurious result codes');

  // The USB modem disappears; sends queued meanwhile wait; it comes back and the agent reconnects.
  rig.sim.unplug();
  await rig.until(() => !online(), 'the agent to notice the unplug');
  const whileGone = sms.send({ to: '+15550409999', text: 'queued while unplugged', deliveryReport: false }).id;
  sends.push(whileGone);
  await rig.clock.advance(3000);
  t.notOk(sentIds(rig).has(whileGone), 'nothing is sent while the modem is gone');
  rig.sim.replug();
  await rig.until(online, 'reconnect after replug');
  traffic(3);
  await settled('unplug/replug');
  t.ok(rig.events.some((e) => e.type === 'modem.offline') && rig.events.some((e) => e.type === 'modem.online'), 'modem.offline and modem.online were recorded');

  // The modem stops answering: soft reset, back online, queued work goes out.
  rig.sim.fault('hang');
  traffic(2);
  await rig.until(() => sms.modems()[0]!.resets > 0, 'a soft reset of the hung modem');
  await rig.until(online, 'online after the reset');
  await settled('hang');

  // A full receive storage: the network holds new messages until the agent frees space.
  rig.sim.fault('storage-full');
  traffic(3);
  await settled('storage full');

  // Transient send errors are retried.
  rig.sim.fault('cms-500', { count: 2 });
  traffic(2);
  await settled('+CMS ERROR 500 on send');

  const got = received(rig);
  for (const text of texts) t.equal(got.filter((x) => x === text).length, 1, `"${text}" received exactly once`);
  t.ok(sends.every((id) => sentIds(rig).has(id)), `all ${sends.length} other sends ended sent`);
  t.ok(sends.every((id) => !rig.events.some((e) => e.type === 'sms.failed' && (e.data as { messageId: string }).messageId === id)), 'none of them failed');
  t.match(await rig.agent.health(), { plugins: { modem: { status: 'pass', state: 'online' } } }, 'healthy at the end');
});

t.test('a wrong SIM PIN is reported, tried once, and queued work waits', { skip: absent ?? false }, async (t) => {
  process.env.SMSEDGE_RELIABILITY_PIN = '0000';
  t.teardown(() => {
    delete process.env.SMSEDGE_RELIABILITY_PIN;
  });
  const rig = await startRig(t, { pinEnv: 'SMSEDGE_RELIABILITY_PIN', simulator: { pin: '2468' }, healthIntervalSeconds: 5 }, { waitOnline: false });
  const sms = rig.agent.use('sms');
  await rig.until(() => sms.modems()[0]!.state !== 'starting', 'start-up to end');
  await rig.clock.advance(60_000);
  const status = sms.modems()[0]!;
  t.not(status.state, 'online', `not online with the wrong PIN (state ${status.state})`);
  t.equal(rig.sim.modem.sim.pinAttempts, 2, 'the PIN was tried exactly once (two attempts left on the SIM)');
  const health = await rig.agent.health();
  t.equal(health.plugins.modem?.status, 'fail', 'health reports the modem failing');
  t.match(JSON.stringify(health.plugins.modem), /pin|sim/i, 'and says why (the SIM/PIN)');
  const queued = sms.send({ to: '+15550500500', text: 'waits for the SIM', deliveryReport: false });
  await rig.clock.advance(30_000);
  t.match(sms.getMessage(queued.id), { status: 'queued' }, 'a send accepted meanwhile stays queued, not failed');
  t.equal(rig.events.filter((e) => e.type === 'sms.failed').length, 0, 'nothing failed');
});
