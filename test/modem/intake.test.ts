// Taking stored messages in from real-firmware storage: wrong <length>, drafts with odd bodies, reads
// spoiled every time, and distinct messages with identical PDUs. Each through the simulator's quirks.
import t from 'tap';
import { encodeDeliver } from '../../core/sms/index.ts';
import { defineBehavior, is, scenarios } from '../../simulator/index.ts';
import { wrongLength } from '../../simulator/behaviors/length.ts';
import { ofType, profiles, startRig, type Rig } from './helpers.ts';

const LONG = 'The parcel is at the neighbours, door code 4711, back after six. Call me if the code does not work.';
const reads = (rig: Rig) => rig.sim.transcriptEntries().filter((e) => e.dir === '>' && e.text.startsWith('AT+CMGR='));
const raw = (rig: Rig) => rig.agent.store.all<{ pdu: string; error: string }>('SELECT pdu, error FROM modem_raw');

for (const profile of profiles) {
  t.test(`${profile}: a <length> smaller than the PDU: the PDU's own lengths are trusted, the text is whole`, async (t) => {
    const rig = await startRig(t, { simulator: { profile } });
    await scenarios['wrong-length'].run(rig.sim, { by: -3 });
    const storage = rig.sim.modem.storage(rig.sim.modem.mem[2]);
    rig.sim.receiveSms({ from: '+15550100200', text: LONG }); // indicated: AT+CMGR
    await rig.until(() => ofType(rig.events, 'sms.received').length === 1 && storage.used === 0, 'stored and deleted');
    // Already on the SIM: the sweep (AT+CMGL=4) reads it.
    const [part] = encodeDeliver({ from: '+15550100201', text: `${LONG} (swept)`, timestamp: new Date(rig.clock.now()) });
    storage.store({ stat: 0, kind: 'deliver', pdu: part!.pdu, tpduLength: part!.tpduLength });
    await rig.clock.advance(31_000);
    await rig.until(() => ofType(rig.events, 'sms.received').length === 2 && storage.used === 0, 'swept');
    t.same(ofType(rig.events, 'sms.received').map((e) => e.data.text), [LONG, `${LONG} (swept)`], 'not cut');
    t.same(raw(rig), []);
  });
}

t.test('a <length> the PDU does not fit and lengths of its own that do not add up: kept raw, left on the SIM', async (t) => {
  const rig = await startRig(t);
  rig.sim.useBehavior(wrongLength(-3));
  const storage = rig.sim.modem.storage(rig.sim.modem.mem[2]);
  const [part] = encodeDeliver({ from: '+15550100202', text: LONG, timestamp: new Date(rig.clock.now()) });
  // Two stray octets after the message: neither the <length> nor the PDU's own lengths account for them.
  storage.store({ stat: 0, kind: 'deliver', pdu: `${part!.pdu}0D0A`, tpduLength: part!.tpduLength + 2 });
  await rig.clock.advance(31_000);
  await rig.until(() => raw(rig).length === 1, 'kept raw');
  await rig.clock.advance(5 * 60_000);
  t.equal(storage.used, 1, 'still on the SIM');
  t.equal(ofType(rig.events, 'sms.received').length, 0, 'no cut message announced');
  t.equal(raw(rig).length, 1, 'one raw copy, however often it is read again');
  t.match(raw(rig)[0]!.error, /^length_mismatch/);
  const health = await rig.agent.health();
  t.match(health.plugins.modem, { status: 'warn', unreadOnSim: 1 });
});

t.test('a PDU cut short on the SIM (a <length> larger than what follows) is never deleted', async (t) => {
  const rig = await startRig(t);
  const storage = rig.sim.modem.storage(rig.sim.modem.mem[2]);
  const [part] = encodeDeliver({ from: '+15550100203', text: LONG, timestamp: new Date(rig.clock.now()) });
  storage.store({ stat: 0, kind: 'deliver', pdu: part!.pdu.slice(0, -20), tpduLength: part!.tpduLength });
  await rig.clock.advance(31_000);
  await rig.until(() => raw(rig).length === 1, 'kept raw');
  await rig.clock.advance(60_000);
  t.equal(storage.used, 1, 'still on the SIM');
  t.equal(ofType(rig.events, 'sms.received').length, 0);
});

for (const profile of profiles) {
  t.test(`${profile}: drafts and sent items stay, whatever their body (clean, cut, text, empty)`, async (t) => {
    const rig = await startRig(t, { simulator: { profile } });
    await scenarios.drafts.run(rig.sim);
    const storage = rig.sim.modem.storage(rig.sim.modem.mem[2]);
    const before = storage.list().map((m) => [m.stat, m.pdu]);
    rig.sim.receiveSms({ from: '+15550100204', text: 'a real one among the drafts' });
    await rig.clock.advance(31_000);
    await rig.until(() => ofType(rig.events, 'sms.received').length === 1 && storage.used === 4, 'the received one taken');
    await rig.clock.advance(3 * 31_000);
    t.same(storage.list().map((m) => [m.stat, m.pdu]), before, 'every draft and sent item is still there');
    t.same(raw(rig), [], 'none stored raw');
    t.notOk(rig.sim.transcriptEntries().some((e) => e.dir === '>' && /^AT\+CMGD=\d+,[1-4]/.test(e.text)), 'no bulk delete');
  });
}

/** Characters lost from the answers to the first `times` AT+CMGR reads of a stored message (line noise). */
const spoil = (times: number) => {
  let left = times;
  return defineBehavior({
    name: 'spoil-cmgr',
    match: is('+CMGR'),
    handle(ctx) {
      if (ctx.cmd.kind === 'set' && ctx.modem.storage(ctx.modem.mem[0]).used > 0 && left-- > 0) ctx.modem.armFault('drop-chars', 1, { chars: 1 });
      return false;
    },
  });
};

t.test('spoiled on both reads: the SMS stays on the SIM, waits with a warning, and is read again with a growing pause', async (t) => {
  const rig = await startRig(t, { healthIntervalSeconds: 10 });
  const storage = rig.sim.modem.storage(rig.sim.modem.mem[2]);
  rig.sim.useBehavior(spoil(4)); // both reads now, both reads of the first retry
  rig.sim.receiveSms({ from: '+15550100205', text: 'Your code is 424242' });
  await rig.until(() => reads(rig).length === 2, 'read twice');
  await rig.clock.advance(1000);
  t.equal(storage.used, 1, 'still on the SIM');
  t.equal(ofType(rig.events, 'sms.received').length, 0, 'nothing garbled announced');
  t.same(raw(rig), [], 'no garbled copy kept in its place');
  const health = await rig.agent.health();
  t.match(health.plugins.modem, { status: 'warn', unreadOnSim: 1, unreadSlots: [/spoiled/] });
  t.equal(rig.agent.use('sms').stats().unreadOnSim, 1, 'counted for /metrics');

  await rig.until(() => ofType(rig.events, 'sms.received').length === 1 && storage.used === 0, 'read whole at last', 10 * 60_000);
  t.equal(ofType(rig.events, 'sms.received')[0]!.data.text, 'Your code is 424242');
  const at = reads(rig).map((e) => e.at!);
  t.equal(at.length, 5, 'two reads, two at the first retry, one clean');
  t.ok(at[2]! - at[1]! >= 30_000, `first pause ${at[2]! - at[1]!} ms`);
  t.ok(at[4]! - at[3]! >= 60_000, `the pause grew: ${at[4]! - at[3]!} ms`);
  t.match((await rig.agent.health()).plugins.modem, { status: 'pass' });
  t.notOk('unreadOnSim' in (await rig.agent.health()).plugins.modem!, 'nothing waits any more');
});

t.test('distinct SMS with byte-identical PDUs each become an inbox row', async (t) => {
  const rig = await startRig(t);
  const storage = rig.sim.modem.storage(rig.sim.modem.mem[2]);
  const timestamp = '2026-03-01T10:00:00+00:00';
  for (let i = 0; i < 3; i++) rig.sim.receiveSms({ from: '+15550100206', text: 'ALARM zone 3', timestamp });
  await rig.until(() => ofType(rig.events, 'sms.received').length === 3 && storage.used === 0, 'three received');
  // Again, after the first three were deleted: the same slots hold the same PDUs once more.
  for (let i = 0; i < 2; i++) rig.sim.receiveSms({ from: '+15550100206', text: 'ALARM zone 3', timestamp });
  await rig.until(() => ofType(rig.events, 'sms.received').length === 5 && storage.used === 0, 'two more');
  t.equal(rig.agent.store.all('SELECT 1 FROM modem_inbox').length, 5);
});

t.test('a SIM filled with the same message while the agent was down: every one is kept', async (t) => {
  const inbox = Array.from({ length: 4 }, () => ({ from: '+15550100207', text: 'Meter reading 1234', timestamp: '2026-02-28T08:00:00+00:00' }));
  const rig = await startRig(t, { simulator: { inbox } });
  await rig.until(() => ofType(rig.events, 'sms.received').length === 4, 'all four');
  t.equal(rig.sim.modem.storage(rig.sim.modem.mem[2]).used, 0);
});

t.test('the same slot read again before its delete went through is recognised: one inbox row', async (t) => {
  const rig = await startRig(t, { healthIntervalSeconds: 10 });
  const storage = rig.sim.modem.storage(rig.sim.modem.mem[2]);
  let refused = 0;
  rig.sim.useBehavior(defineBehavior({
    name: 'cmgd-fails-once',
    match: is('+CMGD'),
    handle(ctx) {
      if (ctx.cmd.kind !== 'set' || refused++ > 0) return false;
      ctx.cms(500); // the delete did not happen: the message stays, marked read
      return true;
    },
  }));
  rig.sim.receiveSms({ from: '+15550100208', text: 'read twice, kept once' });
  await rig.until(() => refused === 1, 'the delete refused');
  t.equal(storage.used, 1);
  await rig.until(() => storage.used === 0, 'swept and deleted', 5 * 60_000);
  t.equal(ofType(rig.events, 'sms.received').length, 1, 'announced once');
  t.equal(rig.agent.store.all('SELECT 1 FROM modem_inbox').length, 1);
  // The slot was freed: the same PDU there again is a new message.
  rig.sim.receiveSms({ from: '+15550100208', text: 'read twice, kept once', timestamp: ofType(rig.events, 'sms.received')[0]!.data.receivedAt });
  await rig.until(() => ofType(rig.events, 'sms.received').length === 2, 'the new one');
});
