// deliver_sm from the agent to the npm `smpp` client: received SMS (short, long as UDH parts or as
// message_payload, UCS2), delivery receipts, and at-least-once across reconnects and restarts.
import t from 'tap';
import { decodeText, splitUdh } from '../../plugins/smpp/text.ts';
import { status } from '../../plugins/smpp/pdu.ts';
import { bound, client, PASSWORDS, smppAgent, until } from './fixtures.ts';

/** The text of a deliver_sm as the client received it (the package decodes it for the client). */
function textOf(pdu: Record<string, unknown>): string {
  const m = (pdu.message_payload ?? pdu.short_message) as { message: string | Buffer } | Buffer;
  const value = Buffer.isBuffer(m) ? m : m.message;
  return typeof value === 'string' ? value : value.toString('latin1');
}

const longText = 'Meeting moved to 15:30 in room 4, bring the quarterly figures and the draft budget. '.repeat(3).trim();

t.test('a received SMS reaches a receiver as deliver_sm, in GSM or UCS2, from the sender to the modem', async (t) => {
  const { port, sim } = await smppAgent(t);
  const c = await bound(t, port, 'receiver');
  sim.receiveSms({ from: '+15550100199', text: 'Hello [world] 5€' });
  sim.receiveSms({ from: '+15550100198', text: 'Привет 👋' });
  await until(() => c.delivered.length === 2, 'two deliver_sm');
  const [gsm, ucs2] = c.delivered;
  t.match(gsm, { source_addr: '15550100199', source_addr_ton: 1, source_addr_npi: 1, destination_addr: 'default', esm_class: 0, data_coding: 0 });
  t.equal(textOf(gsm!), 'Hello [world] 5€', 'GSM 03.38 with escapes, as the client library reads it');
  t.match(ucs2, { source_addr: '15550100198', data_coding: 8 });
  t.equal(textOf(ucs2!), 'Привет 👋');
});

t.test('a long received SMS: UDH parts for one account, message_payload for another', async (t) => {
  const { port, sim } = await smppAgent(t, {
    accounts: [
      { systemId: 'alpha', passwordEnv: 'SMSEDGE_SMPP_TEST_A' },
      { systemId: 'beta', passwordEnv: 'SMSEDGE_SMPP_TEST_B', longMessages: 'payload' },
    ],
  });
  const a = await bound(t, port, 'transceiver');
  const b = await bound(t, port, 'receiver', 'beta', 'pass-b');
  sim.receiveSms({ from: '+15550100199', text: longText });
  await until(() => a.delivered.length === 2 && b.delivered.length === 1, 'parts and payload');
  const parts = a.delivered.map((p) => p as Record<string, unknown>);
  t.ok(parts.every((p) => p.esm_class === 0x40), 'UDHI set on each part');
  const udhs = parts.map((p) => (p.short_message as { udh: Buffer[] }).udh[0]!);
  t.same(udhs.map((u) => [u[0], u[1], u[3], u[4]]), [[0, 3, 2, 1], [0, 3, 2, 2]], 'concatenation IE, part 1 and 2 of 2');
  t.equal(udhs[0]![2], udhs[1]![2], 'one reference');
  t.equal(parts.map(textOf).join(''), longText);
  t.equal(b.delivered[0]!.esm_class, 0);
  t.equal(textOf(b.delivered[0]!), longText, 'whole, in message_payload');
});

t.test('an account with modems only hears of SMS those modems received', async (t) => {
  const { port, sim, agent } = await smppAgent(t, {
    accounts: [
      { systemId: 'alpha', passwordEnv: 'SMSEDGE_SMPP_TEST_A', modems: ['default'] },
      { systemId: 'beta', passwordEnv: 'SMSEDGE_SMPP_TEST_B' },
    ],
  });
  const a = await bound(t, port, 'receiver');
  sim.receiveSms({ from: '+15550100199', text: 'for default' });
  await until(() => a.delivered.length === 1, 'delivered');
  // A received SMS of another modem, as the journal would hold it.
  agent.journal.append('sms.received', { messageId: 'x1', from: '+15550100197', text: 'other modem', encoding: 'gsm7', parts: 1, receivedAt: new Date().toISOString(), smsc: null, modem: 'other', class: null });
  sim.receiveSms({ from: '+15550100199', text: 'second' });
  await until(() => a.delivered.length === 2, 'the second');
  t.same(a.delivered.map(textOf), ['for default', 'second'], 'not the other modem');
});

t.test('delivery receipts: per submit, as registered_delivery asked, with receipted_message_id and the customary text', async (t) => {
  const { port, sim, waitFor } = await smppAgent(t);
  sim.setDeliveryOutcome('+15550100100', 'delivered', 10);
  sim.setDeliveryOutcome('+15550100101', 'failed', 10);
  const c = await bound(t, port, 'transceiver');
  const ok = await c.call('submit_sm', { source_addr_ton: 5, source_addr: 'Shop', dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '15550100100', registered_delivery: 1, short_message: Buffer.from('Your code is 4711') });
  const bad = await c.call('submit_sm', { source_addr: 'Shop', dest_addr_ton: 1, destination_addr: '15550100101', registered_delivery: 1, short_message: Buffer.from('will fail') });
  const quiet = await c.call('submit_sm', { source_addr: 'Shop', dest_addr_ton: 1, destination_addr: '15550100100', registered_delivery: 2, short_message: Buffer.from('failures only') });
  await waitFor('sms.delivered', (e) => (e.data as { messageId: string }).messageId === quiet.message_id);
  await until(() => c.delivered.length === 2, 'two receipts');
  const byId = new Map(c.delivered.map((p) => [p.receipted_message_id, p]));
  t.notOk(byId.has(quiet.message_id), 'registered_delivery 2: no receipt for a success');
  const good = byId.get(ok.message_id)!;
  t.match(good, { esm_class: 0x04, source_addr: '15550100100', source_addr_ton: 1, destination_addr: 'Shop', dest_addr_ton: 5, message_state: 2 });
  t.match(textOf(good), new RegExp(`^id:${ok.message_id} sub:001 dlvrd:001 submit date:\\d{10} done date:\\d{10} stat:DELIVRD err:000 text:Your code is 4711$`));
  const failed = byId.get(bad.message_id)!;
  t.match(failed, { message_state: 5 });
  t.match(textOf(failed), /stat:UNDELIV err:\d{3} text:will fail$/);
});

t.test('a concatenated submit gets a receipt for each part id', async (t) => {
  const { port, sim } = await smppAgent(t);
  sim.setDeliveryOutcome('+15550100100', 'delivered', 10);
  const c = await bound(t, port, 'transceiver');
  const ids: string[] = [];
  for (const seq of [1, 2]) {
    const r = await c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100100', esm_class: 0x40, registered_delivery: 1, short_message: Buffer.concat([Buffer.from([5, 0, 3, 7, 2, seq]), Buffer.from(longText.slice((seq - 1) * 153, seq * 153), 'latin1')]) });
    ids.push(String(r.message_id));
  }
  await until(() => c.delivered.length === 2, 'two receipts');
  t.same(c.delivered.map((p) => p.receipted_message_id).sort(), ids.sort());
});

t.test('at least once: kept while no receiver is bound, retried after an error answer and after a lost session', async (t) => {
  const { port, sim } = await smppAgent(t);
  const tx = await bound(t, port, 'transmitter');
  sim.receiveSms({ from: '+15550100199', text: 'while nobody listens' });
  await tx.call('enquire_link');
  t.same(tx.delivered, [], 'a transmitter gets no deliver_sm');

  // A receiver that answers with an error first: the agent tries again.
  const rx = await client(t, port);
  rx.answer.status = status.ESME_RX_T_APPN;
  await rx.call('bind_receiver', { system_id: 'alpha', password: PASSWORDS.SMSEDGE_SMPP_TEST_A });
  await until(() => rx.delivered.length >= 1, 'a first try');
  rx.answer.status = 0;
  await until(() => rx.delivered.length >= 2, 'the retry');
  t.same([...new Set(rx.delivered.map(textOf))], ['while nobody listens']);

  // A receiver that takes the deliver_sm and goes away without answering: the next session gets it.
  rx.session.close();
  await rx.closed;
  const silent = await client(t, port, { autoAnswer: false });
  await silent.call('bind_receiver', { system_id: 'alpha', password: PASSWORDS.SMSEDGE_SMPP_TEST_A });
  sim.receiveSms({ from: '+15550100199', text: 'after reconnect' });
  await until(() => silent.delivered.some((p) => textOf(p) === 'after reconnect'), 'offered to the silent session');
  silent.session.destroy();
  await silent.closed;
  const next = await bound(t, port, 'receiver');
  sim.receiveSms({ from: '+15550100199', text: 'after reconnect' });
  await until(() => next.delivered.some((p) => textOf(p) === 'after reconnect'), 'delivered to the new session');
  t.pass('the new session got it');
});

t.test('at least once across a restart of the agent', async (t) => {
  const first = await smppAgent(t);
  first.sim.receiveSms({ from: '+15550100199', text: 'kept over a restart' });
  await first.waitFor('sms.received');
  await first.agent.stop();
  const second = await smppAgent(t, {}, { dataDir: first.dataDir });
  const rx = await bound(t, second.port, 'receiver');
  await until(() => rx.delivered.some((p) => textOf(p) === 'kept over a restart'), 'the SMS received before the restart');
  const health = await second.agent.health();
  t.match(health.plugins.smpp, { accounts: { alpha: { receiver: 1 } } });
});

t.test('decodeText and splitUdh, for the record', async (t) => {
  t.equal(decodeText(Buffer.from([0x1b, 0x14, 0x80]), 'gsm'), '^?');
  t.equal(decodeText(Buffer.from([0x1b]), 'gsm'), '', 'a trailing ESC shows nothing');
  t.equal(decodeText(Buffer.from([0x1b, 0x41]), 'gsm'), 'A', 'an unknown escape shows the default-table character');
  t.equal(decodeText(Buffer.from('café', 'latin1'), 'ascii'), 'caf?');
  t.same(splitUdh(Buffer.from([6, 8, 4, 0x12, 0x34, 3, 2, 0x41])).concat, { ref: 0x1234, total: 3, seq: 2 });
  t.throws(() => splitUdh(Buffer.from([4, 0, 5, 1, 2])), /runs past/);
});

t.test('8-bit data and a named sender; receipts for an expired message and one the network refused', async (t) => {
  const { port, sim, agent } = await smppAgent(t);
  const c = await bound(t, port, 'transceiver');
  sim.receiveSms({ from: '+15550100199', data: Uint8Array.from([0xca, 0xfe, 0x00, 0x01]) });
  await until(() => c.delivered.length === 1, 'deliver_sm');
  t.match(c.delivered[0], { data_coding: 4 });
  const octets = c.delivered[0]!.short_message as { message: Buffer } | Buffer;
  t.same([...(Buffer.isBuffer(octets) ? octets : octets.message)], [0xca, 0xfe, 0x00, 0x01], 'the octets as received');

  agent.journal.append('sms.received', { messageId: 'n1', from: 'BANK', text: 'named', encoding: 'gsm7', parts: 1, receivedAt: new Date().toISOString(), smsc: null, modem: 'default', class: null });
  await until(() => c.delivered.length === 2, 'deliver_sm');
  t.match(c.delivered[1], { source_addr: 'BANK', source_addr_ton: 5, source_addr_npi: 0 });
  agent.journal.append('sms.received', { messageId: 'n2', from: '5550100', text: 'national', encoding: 'gsm7', parts: 1, receivedAt: new Date().toISOString(), smsc: null, modem: 'default', class: null });
  await until(() => c.delivered.length === 3, 'deliver_sm');
  t.match(c.delivered[2], { source_addr: '5550100', source_addr_ton: 0, source_addr_npi: 1 });

  const later = await c.call('submit_sm', { source_addr: 'Shop', dest_addr_ton: 1, destination_addr: '15550100100', registered_delivery: 1, schedule_delivery_time: '000001000000000R', short_message: Buffer.from('expires') });
  const refused = await c.call('submit_sm', { source_addr: 'Shop', dest_addr_ton: 1, destination_addr: '15550100100', registered_delivery: 2, schedule_delivery_time: '000001000000000R', short_message: Buffer.from('refused') });
  // The final events as the modem plugin records them.
  const ref = { to: '+15550100100', modem: 'default' };
  agent.journal.append('sms.expired', { ...ref, messageId: String(later.message_id), ttlSeconds: 60 });
  agent.journal.append('sms.failed', { ...ref, messageId: String(refused.message_id), reason: 'CMS ERROR 500', code: 500, stage: 'send' });
  await until(() => c.delivered.length === 5, 'two receipts');
  t.match(c.delivered[3], { receipted_message_id: later.message_id, message_state: 3 });
  t.match(textOf(c.delivered[3]!), /stat:EXPIRED err:000/);
  t.match(c.delivered[4], { receipted_message_id: refused.message_id, message_state: 8 });
  t.match(textOf(c.delivered[4]!), /stat:REJECTD err:500 text:refused$/);
  t.same([...(c.delivered[4]!.network_error_code as Buffer)], [3, 0x01, 0xf4], 'network_error_code: GSM, 500');
});
