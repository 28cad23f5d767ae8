// submit_sm through the npm `smpp` client to the simulator: alphabets, the three ways of a long
// message, addresses, times, allowed modems, query_sm and cancel_sm, and the refusals.
import t from 'tap';
import { status } from '../../plugins/smpp/pdu.ts';
import { bound, smppAgent } from './fixtures.ts';

const sent = (sim: { sent(): { to: string; text: string | null; concat: { part: number } | null }[] }, to: string) =>
  sim
    .sent()
    .filter((p) => p.to === to)
    .sort((a, b) => (a.concat?.part ?? 1) - (b.concat?.part ?? 1))
    .map((p) => p.text)
    .join('');

t.test('data_coding 0 (GSM, unpacked, with escapes), 3 (Latin-1) and 8 (UCS2) reach the modem as text', async (t) => {
  const { port, sim, waitFor, agent } = await smppAgent(t);
  const c = await bound(t, port, 'transmitter');
  // GSM 03.38 octets: "Price: 5€ [ok] é"
  const gsm = Buffer.from([0x50, 0x72, 0x69, 0x63, 0x65, 0x3a, 0x20, 0x35, 0x1b, 0x65, 0x20, 0x1b, 0x3c, 0x6f, 0x6b, 0x1b, 0x3e, 0x20, 0x05]);
  const a = await c.call('submit_sm', { dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '15550100101', data_coding: 0, short_message: gsm });
  t.equal(a.command_status, status.ESME_ROK);
  const b = await c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100102', data_coding: 3, short_message: Buffer.from('Grüße, ¿qué tal?', 'latin1') });
  t.equal(b.command_status, status.ESME_ROK);
  const u = await c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100103', data_coding: 8, short_message: Buffer.from('Привет 👋', 'utf16le').swap16() });
  t.equal(u.command_status, status.ESME_ROK);
  await waitFor('sms.sent', (e) => (e.data as { to: string }).to === '+15550100103');
  await waitFor('sms.sent', (e) => (e.data as { to: string }).to === '+15550100102');
  await waitFor('sms.sent', (e) => (e.data as { to: string }).to === '+15550100101');
  t.equal(sent(sim, '+15550100101'), 'Price: 5€ [ok] é');
  t.equal(sent(sim, '+15550100102'), 'Grüße, ¿qué tal?');
  t.equal(sent(sim, '+15550100103'), 'Привет 👋');
  const message = agent.use('sms').getMessage(String(a.message_id));
  t.match(message, { direction: 'outbound', to: '+15550100101' }, 'the message id of submit_sm_resp is the agent message id');
});

t.test('a long message as UDH parts, as message_payload and as sar_* parts: sent whole, each part answered with its id', async (t) => {
  const { port, sim, waitFor, agent } = await smppAgent(t);
  const c = await bound(t, port, 'transmitter');
  const long = 'The quick brown fox jumps over the lazy dog. '.repeat(5).trim(); // 224 characters
  const chunks = [long.slice(0, 153), long.slice(153)];

  // UDH, 8-bit reference, parts out of order.
  const udh = (seq: number) => Buffer.concat([Buffer.from([5, 0, 3, 0x42, 2, seq]), Buffer.from(chunks[seq - 1]!, 'latin1')]);
  const second = await c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100111', esm_class: 0x40, short_message: udh(2) });
  t.equal(second.command_status, status.ESME_ROK, 'a part is answered before the message is complete');
  t.equal(agent.use('sms').listMessages({ direction: 'outbound', limit: 10 }).length, 0, 'nothing is sent before the last part');
  const again = await c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100111', esm_class: 0x40, short_message: udh(2) });
  t.equal(again.message_id, second.message_id, 'the same part again gets the same id');
  const first = await c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100111', esm_class: 0x40, short_message: udh(1) });
  t.equal(first.command_status, status.ESME_ROK);
  t.not(first.message_id, second.message_id, 'each part has its own id');

  // message_payload, in one submit_sm.
  const payload = await c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100112', short_message: Buffer.alloc(0), message_payload: Buffer.from(long, 'latin1') });
  t.equal(payload.command_status, status.ESME_ROK);

  // sar_* TLVs, 16-bit reference.
  for (const seq of [1, 2]) {
    const r = await c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100113', short_message: Buffer.from(chunks[seq - 1]!, 'latin1'), sar_msg_ref_num: 0x1234, sar_total_segments: 2, sar_segment_seqnum: seq });
    t.equal(r.command_status, status.ESME_ROK);
  }
  for (const to of ['+15550100111', '+15550100112', '+15550100113']) {
    await waitFor('sms.sent', (e) => (e.data as { to: string }).to === to);
    t.equal(sent(sim, to), long, `${to}: the whole text`);
  }
  t.equal(agent.use('sms').listMessages({ direction: 'outbound', limit: 10 }).length, 3, 'one message each');
});

t.test('refusals: alphabet, addresses, times, empty and impossible parts', async (t) => {
  const { port, agent } = await smppAgent(t);
  const c = await bound(t, port, 'transmitter');
  const submit = (fields: Record<string, unknown>) => c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100100', short_message: Buffer.from('hi'), ...fields });
  t.equal((await submit({ data_coding: 4 })).command_status, status.ESME_RINVDCS, 'binary data_coding');
  t.equal((await submit({ data_coding: 8, short_message: Buffer.from([0, 0x41, 0]) })).command_status, status.ESME_RINVMSGLEN, 'odd UCS2');
  t.equal((await submit({ destination_addr: 'not-a-number', dest_addr_ton: 5 })).command_status, status.ESME_RINVDSTADR);
  t.equal((await submit({ destination_addr: '' })).command_status, status.ESME_RINVDSTADR);
  t.equal((await submit({ short_message: Buffer.alloc(0) })).command_status, status.ESME_RINVMSGLEN, 'empty');
  t.equal((await submit({ message_payload: Buffer.from('both') })).command_status, status.ESME_RINVMSGLEN, 'short_message and message_payload');
  t.equal((await submit({ schedule_delivery_time: 'tomorrow' })).command_status, status.ESME_RINVSCHED);
  t.equal((await submit({ validity_period: '991399000000000+' })).command_status, status.ESME_RINVEXPIRY);
  t.equal((await submit({ validity_period: '200101000000000+' })).command_status, status.ESME_RINVEXPIRY, 'validity in the past');
  t.equal((await submit({ esm_class: 0x40, short_message: Buffer.from([9, 0, 3, 1]) })).command_status, status.ESME_RINVESMCLASS, 'UDH longer than the message');
  t.equal((await submit({ esm_class: 0x40, short_message: Buffer.from([5, 0, 3, 1, 2, 3, 0x41]) })).command_status, status.ESME_RINVMSGLEN, 'part 3 of 2');
  t.equal((await submit({ esm_class: 0x40, short_message: Buffer.from([5, 0, 3, 1, 11, 1, 0x41]) })).command_status, status.ESME_RINVMSGLEN, 'more than 10 parts');
  t.equal((await submit({ sar_msg_ref_num: 1 })).command_status, status.ESME_RINVTLVVAL, 'sar_* incomplete');
  t.equal((await submit({ esm_class: 0x40, destination_addr: 'x', dest_addr_ton: 0, short_message: Buffer.from([5, 0, 3, 1, 2, 1, 0x41]) })).command_status, status.ESME_RINVDSTADR, 'a part with a bad recipient is refused at once');
  t.equal(agent.use('sms').listMessages({ direction: 'outbound', limit: 10 }).length, 0, 'nothing queued');
});

t.test('schedule, validity, priority and registered_delivery become the send request', async (t) => {
  const { port, agent } = await smppAgent(t);
  const c = await bound(t, port, 'transmitter');
  const r = await c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100100', short_message: Buffer.from('later'), schedule_delivery_time: '000001000000000R', validity_period: '000002000000000R', priority_flag: 1, registered_delivery: 1 });
  t.equal(r.command_status, status.ESME_ROK);
  const m = agent.use('sms').getMessage(String(r.message_id));
  t.match(m, { status: 'queued', priority: 'high' });
  const sendAt = Date.parse((m as { sendAt: string }).sendAt);
  t.ok(Math.abs(sendAt - (Date.now() + 86_400_000)) < 60_000, 'held a day (relative schedule_delivery_time)');
});

t.test('query_sm and cancel_sm: the account sees its own messages, cancels one still queued, not one sent', async (t) => {
  const { port, agent, waitFor } = await smppAgent(t);
  const c = await bound(t, port, 'transmitter');
  const later = await c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100100', short_message: Buffer.from('later'), schedule_delivery_time: '000001000000000R' });
  const q = await c.call('query_sm', { message_id: later.message_id });
  t.match(q, { command_status: status.ESME_ROK, message_id: later.message_id, message_state: 1, final_date: '' }, 'ENROUTE while queued');

  const other = await bound(t, port, 'transceiver', 'beta', 'pass-b');
  t.equal((await other.call('query_sm', { message_id: later.message_id })).command_status, status.ESME_RINVMSGID, "another account's id is unknown to it");
  t.equal((await other.call('cancel_sm', { message_id: later.message_id })).command_status, status.ESME_RINVMSGID);

  t.equal((await c.call('cancel_sm', { message_id: later.message_id })).command_status, status.ESME_ROK);
  t.equal(agent.use('sms').getMessage(String(later.message_id))?.direction === 'outbound' && (agent.use('sms').getMessage(String(later.message_id)) as { status: string }).status, 'cancelled');
  await waitFor('sms.cancelled');
  t.match(await c.call('query_sm', { message_id: later.message_id }), { message_state: 4 }, 'DELETED once cancelled');
  t.equal((await c.call('cancel_sm', { message_id: later.message_id })).command_status, status.ESME_RCANCELFAIL, 'not twice');

  const now = await c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100100', short_message: Buffer.from('now') });
  await waitFor('sms.sent', (e) => (e.data as { messageId: string }).messageId === now.message_id);
  t.equal((await c.call('cancel_sm', { message_id: now.message_id })).command_status, status.ESME_RCANCELFAIL, 'a sent message cannot be cancelled');
  t.equal((await c.call('query_sm', { message_id: 'nope' })).command_status, status.ESME_RINVMSGID);

  // A part waiting for the others: cancel gives the whole message up.
  const part = await c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100100', esm_class: 0x40, short_message: Buffer.from([5, 0, 3, 9, 2, 1, 0x41]) });
  t.equal((await c.call('cancel_sm', { message_id: part.message_id })).command_status, status.ESME_ROK);
  t.match(await c.call('query_sm', { message_id: part.message_id }), { message_state: 8 }, 'REJECTED');
  const rest = await c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100100', esm_class: 0x40, short_message: Buffer.from([5, 0, 3, 9, 2, 2, 0x42]) });
  t.equal(rest.command_status, status.ESME_ROK, 'a later part starts again');
  t.match(await c.call('query_sm', { message_id: rest.message_id }), { message_state: 1 });
});

t.test('an account limited to some modems sends through them only', async (t) => {
  const { port, agent, waitFor } = await smppAgent(t, { accounts: [{ systemId: 'alpha', passwordEnv: 'SMSEDGE_SMPP_TEST_A', modems: ['default'] }] });
  const c = await bound(t, port, 'transmitter');
  const r = await c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100100', short_message: Buffer.from('pinned') });
  t.equal(r.command_status, status.ESME_ROK);
  await waitFor('sms.sent');
  t.equal((agent.use('sms').getMessage(String(r.message_id)) as { modem: string }).modem, 'default');
});

t.test('an account naming a modem the agent does not have is a config error at start', async (t) => {
  await t.rejects(smppAgent(t, { accounts: [{ systemId: 'alpha', passwordEnv: 'SMSEDGE_SMPP_TEST_A', modems: ['default', 'nope'] }] }), /accounts\[0\]\.modems: .*nope/);
});

t.test('a concatenated message that cannot be sent whole: the last part is refused, the others become REJECTED', async (t) => {
  const { port, agent } = await smppAgent(t);
  const c = await bound(t, port, 'transmitter');
  // Latin-1 'þ' has no GSM septet: 10 parts of 134 become UCS2 text of 20 parts, over the limit.
  const part = (seq: number) => Buffer.concat([Buffer.from([5, 0, 3, 0x33, 10, seq]), Buffer.from('þ'.repeat(134), 'latin1')]);
  const ids: string[] = [];
  for (let seq = 1; seq < 10; seq++) {
    const r = await c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100100', data_coding: 3, esm_class: 0x40, short_message: part(seq) });
    t.equal(r.command_status, status.ESME_ROK);
    ids.push(String(r.message_id));
  }
  const last = await c.call('submit_sm', { dest_addr_ton: 1, destination_addr: '15550100100', data_coding: 3, esm_class: 0x40, short_message: part(10) });
  t.equal(last.command_status, status.ESME_RINVMSGLEN, 'the whole text needs more than 10 parts');
  t.match(await c.call('query_sm', { message_id: ids[0] }), { message_state: 8 }, 'the earlier parts are REJECTED');
  t.equal(agent.use('sms').listMessages({ direction: 'outbound', limit: 10 }).length, 0, 'nothing queued');
});
