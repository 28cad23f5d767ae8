import t from 'tap';
import { encodeDeliver, encodeSubmit } from '../../core/sms/index.ts';
import { defineBehavior, is } from '../../simulator/index.ts';
import { deliverSms } from '../../simulator/network.ts';
import { ofType, profiles, startRig } from './helpers.ts';

t.test('an SMS is received, stored, announced once, and deleted from the SIM', async (t) => {
  const rig = await startRig(t);
  rig.sim.receiveSms({ from: '+15550100100', text: 'hello there' });
  await rig.until(() => ofType(rig.events, 'sms.received').length === 1, 'sms.received');
  const [e] = ofType(rig.events, 'sms.received');
  t.match(e!.data, { from: '+15550100100', text: 'hello there', encoding: 'gsm7', parts: 1, modem: 'default', class: null });
  await rig.until(() => rig.sim.modem.storage(rig.sim.modem.mem[0]).used === 0, 'deleted from SIM');
  const msg = rig.agent.use('sms').getMessage(e!.data.messageId);
  t.match(msg, { direction: 'inbound', text: 'hello there' });
});


for (const profile of profiles) {
  t.test(`${profile}: stored messages are read first at start-up, then new ones`, async (t) => {
    const rig = await startRig(t, { simulator: { profile, inbox: [{ from: '+15550100101', text: 'while you were away' }, { from: '+15550100102', text: 'second' }] } });
    await rig.until(() => ofType(rig.events, 'sms.received').length === 2, 'stored messages');
    t.same(ofType(rig.events, 'sms.received').map((e) => e.data.text).sort(), ['second', 'while you were away']);
    rig.sim.receiveSms({ from: '+15550100103', text: 'fresh €' });
    await rig.until(() => ofType(rig.events, 'sms.received').length === 3, 'new message');
    t.equal(ofType(rig.events, 'sms.received')[2]!.data.text, 'fresh €');
    t.equal(rig.sim.modem.storage(rig.sim.modem.mem[2]).used, 0, 'storage emptied');
  });

  t.test(`${profile}: a multipart message out of order is announced once, whole`, async (t) => {
    const rig = await startRig(t, { simulator: { profile } });
    const sent = rig.sim.receiveSms({ from: '+15550100104', text: 'Long text ', parts: 3, order: [3, 1, 2] });
    t.equal(sent.parts, 3);
    await rig.until(() => ofType(rig.events, 'sms.received').length === 1, 'whole message');
    await rig.clock.advance(5000);
    const [e] = ofType(rig.events, 'sms.received');
    t.equal(e!.data.parts, 3);
    t.match(e!.data.text, /^Long text +Long text/);
    t.ok(e!.data.text!.length > 153 * 2, 'all three parts joined');
    t.notOk(e!.data.incomplete);
    t.equal(ofType(rig.events, 'sms.received').length, 1);
  });
}

for (const profile of profiles) {
  t.test(`${profile}: a missing part: after the timeout the parts that came are emitted as incomplete`, async (t) => {
    const rig = await startRig(t, { simulator: { profile }, concatTimeoutMinutes: 10 });
    const { parts } = rig.sim.receiveSms({ from: '+15550100105', text: 'Split ', parts: 3, dropPart: 2, ref16: true });
    await rig.until(() => rig.agent.use('sms').stats().inboundTotal === 0 && rig.sim.modem.storage(rig.sim.modem.mem[2]).used === 0, 'parts read');
    await rig.clock.advance(9 * 60_000);
    t.equal(ofType(rig.events, 'sms.received').length, 0, 'still waiting');
    await rig.until(() => ofType(rig.events, 'sms.received').length === 1, 'incomplete message', 5 * 60_000);
    const [e] = ofType(rig.events, 'sms.received');
    t.match(e!.data, { incomplete: true, missingParts: [2], parts });
  });
}

t.test('a duplicate part is ignored', async (t) => {
  const rig = await startRig(t);
  const { pdus } = rig.sim.receiveSms({ from: '+15550100106', text: 'Dup ', parts: 2, dropPart: 2 });
  await rig.until(() => rig.sim.modem.storage(rig.sim.modem.mem[2]).used === 0, 'part 1 read');
  // The network sends part 1 again (a retransmission), then part 2.
  const storage = rig.sim.modem.storage(rig.sim.modem.mem[2]);
  storage.store({ stat: 0, kind: 'deliver', pdu: pdus[0]!, tpduLength: (pdus[0]!.length >> 1) - 8 });
  await rig.clock.advance(31_000); // the health sweep finds it without an indication
  await rig.until(() => storage.used === 0, 'duplicate read and deleted');
  t.equal(ofType(rig.events, 'sms.received').length, 0);
});

t.test('flash (class 0) and 8-bit port-addressed messages', async (t) => {
  const rig = await startRig(t);
  rig.sim.receiveSms({ from: '+15550100107', text: 'FLASH', class: 0 });
  rig.sim.receiveSms({ from: '+15550100108', data: Uint8Array.from([1, 2, 0xab]), port: { src: 0, dst: 2948 } });
  await rig.until(() => ofType(rig.events, 'sms.received').length === 2, 'both');
  const [flash, bin] = ofType(rig.events, 'sms.received');
  t.match(flash!.data, { text: 'FLASH', class: 0 });
  t.match(bin!.data, { encoding: '8bit', data: '0102AB', port: 2948 });
  t.notOk('text' in bin!.data);
});

t.test('an undecodable PDU is stored raw and counted; deleted only when every announced octet was read; the next one is not blocked', async (t) => {
  const rig = await startRig(t);
  const storage = rig.sim.modem.storage(rig.sim.modem.mem[2]);
  storage.store({ stat: 0, kind: 'deliver', pdu: '07911326040000F0040B9113', tpduLength: 40 }); // cut: 40 octets announced
  storage.store({ stat: 0, kind: 'deliver', pdu: '0004FF', tpduLength: 2 }); // whole, but an impossible address
  rig.sim.receiveSms({ from: '+15550100109', text: 'after the bad one' });
  await rig.until(() => ofType(rig.events, 'sms.received').length === 1 && storage.used === 1, 'good one and bad ones handled');
  t.equal(rig.agent.use('sms').stats().decodeErrors, 2);
  const raw = rig.agent.store.all<{ pdu: string }>('SELECT pdu FROM modem_raw ORDER BY pdu');
  t.same(raw.map((r) => r.pdu), ['0004FF', '07911326040000F0040B9113']);
  t.same(storage.list().map((m) => m.pdu), ['07911326040000F0040B9113'], 'the cut one stays on the SIM');
});

for (const profile of profiles) {
  t.test(`${profile}: a burst of 30 SMS: each lands once`, async (t) => {
    const rig = await startRig(t, { simulator: { profile } });
    for (let i = 0; i < 30; i++) rig.sim.receiveSms({ from: `+1555010${String(i).padStart(4, '0')}`, text: `burst ${i}` });
    await rig.until(() => ofType(rig.events, 'sms.received').length >= 30, 'burst');
    await rig.clock.advance(60_000);
    const texts = ofType(rig.events, 'sms.received').map((e) => e.data.text);
    t.equal(texts.length, 30);
    t.equal(new Set(texts).size, 30);
  });
}

for (const profile of profiles) {
  t.test(`${profile}: storage full: the agent empties it and the network delivers what it held`, async (t) => {
    const rig = await startRig(t, { simulator: { profile } });
    rig.sim.fault('storage-full');
    rig.sim.receiveSms({ from: '+15550100110', text: 'held by the network' });
    await rig.clock.advance(31_000);
    await rig.until(() => ofType(rig.events, 'sms.received').some((e) => e.data.text === 'held by the network'), 'held message', 300_000);
    t.pass('the held message arrived');
  });
}

t.test('a URC inside a command response is still handled', async (t) => {
  const rig = await startRig(t);
  rig.sim.fault('urc-inside-response', { from: '+15550100111', text: 'mid-answer' });
  await rig.clock.advance(31_000);
  await rig.until(() => ofType(rig.events, 'sms.received').some((e) => e.data.text === 'mid-answer'), 'mid-answer SMS');
  t.pass();
});

t.test('routed mode: +CMT stored, then acknowledged with +CNMA', async (t) => {
  const rig = await startRig(t, { cnmi: 'routed' });
  rig.sim.receiveSms({ from: '+15550100112', text: 'routed' });
  await rig.until(() => ofType(rig.events, 'sms.received').length === 1, 'routed sms');
  await rig.clock.advance(1000);
  const writes = rig.sim.transcriptEntries().filter((e) => e.dir === '>').map((e) => e.text);
  t.ok(writes.includes('AT+CNMA'), 'acknowledged');
  t.equal(rig.sim.modem.pendingAck, null);
});

for (const profile of profiles) {
  t.test(`${profile}: a modem back in text mode behind the driver's back: PDU mode is set up again, the SMS is stored, then deleted`, async (t) => {
    const rig = await startRig(t, { simulator: { profile } });
    rig.sim.modem.settings.cmgf = 1; // an unnoticed reboot: +CMGF back to text, +CNMI kept here so +CMTI still comes
    rig.sim.receiveSms({ from: '+15550100113', text: 'code 771204' });
    await rig.until(() => ofType(rig.events, 'sms.received').length === 1, 'sms.received');
    t.match(ofType(rig.events, 'sms.received')[0]!.data, { from: '+15550100113', text: 'code 771204' });
    await rig.until(() => rig.sim.modem.storage(rig.sim.modem.mem[2]).used === 0, 'deleted after storing');
    t.equal(rig.sim.modem.settings.cmgf, 0, 'PDU mode again');
    const writes = rig.sim.transcriptEntries().filter((e) => e.dir === '>').map((e) => e.text);
    const reads = writes.flatMap((w, i) => (w.startsWith('AT+CMGR=') ? [i] : []));
    t.ok(reads.length >= 2, 'read again after the set-up');
    t.ok(writes.indexOf('AT+CMGF=0', reads[0]) > reads[0]! && writes.indexOf('AT+CMGF=0', reads[0]) < reads[1]!, 'AT+CMGF=0 between the reads');
    t.equal(rig.agent.store.all('SELECT 1 FROM modem_raw').length, 0);
  });
}

t.test('a modem that stays in text mode: what it answered is stored raw before the delete', async (t) => {
  const rig = await startRig(t);
  rig.sim.modem.settings.cmgf = 1;
  rig.sim.useBehavior(defineBehavior({ name: 'stuck-in-text', match: is('+CMGF'), handle: (ctx) => (ctx.cmd.kind === 'set' ? (ctx.error(), true) : false) }));
  rig.sim.receiveSms({ from: '+15550100114', text: 'kept somehow' });
  await rig.until(() => rig.agent.store.all('SELECT 1 FROM modem_raw').length === 1, 'stored raw');
  await rig.until(() => rig.sim.modem.storage(rig.sim.modem.mem[2]).used === 0, 'deleted after storing raw');
  const [row] = rig.agent.store.all<{ pdu: string; error: string }>('SELECT pdu, error FROM modem_raw');
  t.match(row, { pdu: /kept somehow/, error: /^not_pdu/ });
  t.equal(rig.agent.use('sms').stats().decodeErrors, 1);
});

for (const profile of profiles) {
  t.test(`${profile}: a sweep in text mode (AT+CMGL=4 refused): PDU mode again, the stored SMS is read and kept`, async (t) => {
    const rig = await startRig(t, { simulator: { profile } });
    rig.sim.modem.settings.cmgf = 1;
    const storage = rig.sim.modem.storage(rig.sim.modem.mem[2]);
    const [part] = encodeDeliver({ from: '+15550100115', text: 'found by the sweep', timestamp: new Date(rig.clock.now()) });
    storage.store({ stat: 0, kind: 'deliver', pdu: part!.pdu, tpduLength: part!.tpduLength });
    await rig.clock.advance(31_000);
    await rig.until(() => ofType(rig.events, 'sms.received').length === 1 && storage.used === 0, 'swept');
    t.equal(ofType(rig.events, 'sms.received')[0]!.data.text, 'found by the sweep');
  });
}

/** Characters lost from the answer to the first `times` reads of `command` (a UART overrun, line noise). */
const spoil = (command: string, times: number, chars: number) => {
  let left = times;
  return defineBehavior({
    name: `spoil-${command}`,
    match: is(command),
    handle(ctx) {
      // Only an answer that carries a PDU (the longest line loses the characters).
      if (ctx.cmd.kind === 'set' && ctx.modem.storage(ctx.modem.mem[0]).used > 0 && left-- > 0) ctx.modem.armFault('drop-chars', 1, { chars });
      return false; // the real behaviour answers; the fault spoils that answer
    },
  });
};

for (const [profile, chars] of profiles.flatMap((p) => [[p, 1], [p, 2]] as const)) {
  t.test(`${profile}: a PDU read with ${chars} character(s) lost is read once more; the clean second read wins`, async (t) => {
    const rig = await startRig(t, { simulator: { profile } });
    rig.sim.useBehavior(spoil('+CMGR', 1, chars));
    rig.sim.receiveSms({ from: '+15550100116', text: 'spoiled on the wire, fine on the SIM' });
    await rig.until(() => ofType(rig.events, 'sms.received').length === 1 && rig.sim.modem.storage(rig.sim.modem.mem[2]).used === 0, 'stored and deleted');
    t.equal(ofType(rig.events, 'sms.received')[0]!.data.text, 'spoiled on the wire, fine on the SIM');
    t.equal(rig.agent.use('sms').stats().decodeErrors, 0);
    t.equal(rig.sim.transcriptEntries().filter((e) => e.dir === '>' && e.text.startsWith('AT+CMGR=')).length, 2, 'read twice');
  });
}

for (const profile of profiles) {
  t.test(`${profile}: a PDU spoiled in the AT+CMGL sweep is read again with AT+CMGR before it is stored`, async (t) => {
    const rig = await startRig(t, { simulator: { profile } });
    const storage = rig.sim.modem.storage(rig.sim.modem.mem[2]);
    const [part] = encodeDeliver({ from: '+15550100117', text: 'listed while noisy', timestamp: new Date(rig.clock.now()) });
    storage.store({ stat: 0, kind: 'deliver', pdu: part!.pdu, tpduLength: part!.tpduLength });
    rig.sim.useBehavior(spoil('+CMGL', 1, 1));
    await rig.clock.advance(31_000);
    await rig.until(() => ofType(rig.events, 'sms.received').length === 1 && storage.used === 0, 'swept');
    t.equal(ofType(rig.events, 'sms.received')[0]!.data.text, 'listed while noisy');
    t.equal(rig.agent.use('sms').stats().decodeErrors, 0);
  });
}

t.test('a PDU spoiled on both reads stays on the SIM, nothing garbled is kept', async (t) => {
  const rig = await startRig(t);
  rig.sim.useBehavior(spoil('+CMGR', 2, 1));
  rig.sim.receiveSms({ from: '+15550100118', text: 'twice unlucky' });
  await rig.until(() => rig.sim.transcriptEntries().filter((e) => e.dir === '>' && e.text.startsWith('AT+CMGR=')).length === 2, 'read twice');
  await rig.clock.advance(1000);
  t.equal(ofType(rig.events, 'sms.received').length, 0, 'nothing garbled announced');
  t.equal(rig.agent.store.all('SELECT 1 FROM modem_raw').length, 0);
  t.equal(rig.sim.modem.storage(rig.sim.modem.mem[2]).used, 1);
  await rig.until(() => ofType(rig.events, 'sms.received').length === 1, 'read whole later', 5 * 60_000);
  t.equal(ofType(rig.events, 'sms.received')[0]!.data.text, 'twice unlucky');
});

t.test('an SMS-SUBMIT in the receive storage: drafts and sent items (<stat> 2, 3) stay; anything else is stored raw, then deleted', async (t) => {
  const rig = await startRig(t);
  const storage = rig.sim.modem.storage(rig.sim.modem.mem[2]);
  const submit = (text: string) => encodeSubmit({ to: '+15550100120', text }).parts[0]!;
  const draft = submit('a draft');
  const sentItem = submit('sent before');
  const received = submit('garbage that parses as a submit');
  storage.store({ stat: 2, kind: 'submit', pdu: draft.pdu, tpduLength: draft.tpduLength });
  storage.store({ stat: 3, kind: 'submit', pdu: sentItem.pdu, tpduLength: sentItem.tpduLength });
  storage.store({ stat: 0, kind: 'submit', pdu: received.pdu, tpduLength: received.tpduLength });
  await rig.clock.advance(31_000); // the health sweep (AT+CMGL=4) finds them
  await rig.until(() => storage.used === 2, 'the received one deleted');
  t.same(storage.list().map((m) => [m.stat, m.pdu]), [[2, draft.pdu], [3, sentItem.pdu]], "the user's draft and sent item stay");
  const raw = rig.agent.store.all<{ pdu: string; error: string }>('SELECT pdu, error FROM modem_raw');
  t.same(raw.map((r) => r.pdu), [received.pdu], 'kept raw before the delete');
  t.match(raw[0]!.error, /^unexpected_submit/);
  // Indicated with +CMTI (the network stored it): the same, read with AT+CMGR.
  const another = submit('another one');
  deliverSms(rig.sim.modem, { pdu: another.pdu, tpduLength: another.tpduLength, class: null });
  await rig.until(() => storage.used === 2 && rig.agent.store.all('SELECT 1 FROM modem_raw').length === 2, 'indicated one stored raw and deleted');
  await rig.clock.advance(31_000);
  t.equal(storage.used, 2, 'drafts still there after another sweep');
  t.equal(ofType(rig.events, 'sms.received').length, 0);

  // Only the drafts left: the health checks go on without listing every storage each time.
  const sent = (prefix: string) => rig.sim.transcriptEntries().filter((e) => e.dir === '>' && e.text.startsWith(prefix)).length;
  const check = async () => {
    const before = sent('AT+CSQ');
    await rig.clock.advance(31_000);
    await rig.until(() => sent('AT+CSQ') > before && sent('AT+CPMS?') > 0, 'a health check');
    await rig.clock.advance(0);
  };
  await check();
  const listed = sent('AT+CMGL');
  await check();
  await check();
  t.equal(sent('AT+CMGL'), listed, 'no AT+CMGL=4 while the storage holds only what was left on purpose');
  // A message stored without an indication (a lost +CMTI) changes the counts: read at the next check.
  const [part] = encodeDeliver({ from: '+15550100122', text: 'no indication', timestamp: new Date(rig.clock.now()) });
  storage.store({ stat: 0, kind: 'deliver', pdu: part!.pdu, tpduLength: part!.tpduLength });
  await rig.clock.advance(31_000);
  await rig.until(() => ofType(rig.events, 'sms.received').length === 1 && storage.used === 2, 'read and deleted');
  t.ok(sent('AT+CMGL') > listed, 'listed again');
});

t.test('routed mode: a +CMT that decodes as an SMS-SUBMIT is stored raw (it is not on the SIM to be found again)', async (t) => {
  const rig = await startRig(t, { cnmi: 'routed' });
  const part = encodeSubmit({ to: '+15550100121', text: 'routed submit' }).parts[0]!;
  deliverSms(rig.sim.modem, { pdu: part.pdu, tpduLength: part.tpduLength, class: null });
  await rig.until(() => rig.agent.store.all('SELECT 1 FROM modem_raw').length === 1, 'stored raw');
  await rig.clock.advance(1000);
  t.equal(rig.sim.modem.pendingAck, null, 'acknowledged');
});

t.test('an empty PDU line after the header is stored raw (empty) before the delete', async (t) => {
  const rig = await startRig(t);
  const storage = rig.sim.modem.storage(rig.sim.modem.mem[2]);
  // Swept (AT+CMGL=4) ...
  storage.store({ stat: 0, kind: 'deliver', pdu: '', tpduLength: 0 });
  await rig.clock.advance(31_000);
  await rig.until(() => storage.used === 0, 'deleted');
  // ... and indicated (AT+CMGR), twice the same: each one is recorded.
  deliverSms(rig.sim.modem, { pdu: '', tpduLength: 12, class: null });
  deliverSms(rig.sim.modem, { pdu: '', tpduLength: 12, class: null });
  await rig.until(() => storage.used === 0 && rig.agent.store.all('SELECT 1 FROM modem_raw').length === 3, 'the indicated ones recorded and deleted');
  await rig.clock.advance(31_000);
  const raw = rig.agent.store.all<{ pdu: string; error: string }>('SELECT pdu, error FROM modem_raw ORDER BY stored_at');
  t.equal(raw.length, 3, 'each recorded');
  for (const r of raw) t.match(r.error, /^empty/);
  t.equal(rig.agent.use('sms').stats().decodeErrors, 3);
  t.notOk(rig.sim.transcriptEntries().some((e) => e.dir === '>' && e.text === 'AT+CMGF=0' && (e.at ?? 0) > rig.clock.now() - 60_000), 'an empty line is not taken for text mode');
});

t.test('an empty PDU line whose slot is gone at the second read leaves no record (there was nothing)', async (t) => {
  const rig = await startRig(t, { simulator: { profile: 'sim800' } }); // answers OK for an empty slot
  const storage = rig.sim.modem.storage(rig.sim.modem.mem[2]);
  let reads = 0;
  rig.sim.useBehavior(defineBehavior({
    name: 'deleted-after-first-read',
    match: is('+CMGR'),
    handle(ctx) {
      const index = Number(ctx.cmd.params[0]);
      if (reads++ === 0) ctx.after(() => storage.delete(index)); // deleted by someone else in between
      return false;
    },
  }));
  deliverSms(rig.sim.modem, { pdu: '', tpduLength: 12, class: null });
  await rig.until(() => reads >= 2, 'read twice');
  await rig.clock.advance(1000);
  t.equal(rig.agent.store.all('SELECT 1 FROM modem_raw').length, 0);
  t.equal(rig.agent.use('sms').stats().decodeErrors, 0);
});
