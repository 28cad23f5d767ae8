// SMPP sessions with the npm `smpp` client and raw sockets: binds, enquire_link, unbind, what the
// server does not know, malformed PDUs and floods: each answered with its SMPP status, no crash.
import t from 'tap';
import { encodePdu, status } from '../../plugins/smpp/pdu.ts';
import { bound, client, frame, raw, smppAgent, until, PASSWORDS } from './fixtures.ts';

t.test('binds: each mode with the right password; wrong ones refused with their status and the connection closed', async (t) => {
  const { port, agent } = await smppAgent(t);
  for (const mode of ['transmitter', 'receiver', 'transceiver']) {
    const c = await client(t, port);
    const resp = await c.call(`bind_${mode}`, { system_id: 'alpha', password: PASSWORDS.SMSEDGE_SMPP_TEST_A, interface_version: 0x34 });
    t.equal(resp.command_status, status.ESME_ROK, `bind_${mode} accepted`);
    t.equal(resp.system_id, 'smsedge');
    t.equal(resp.command, `bind_${mode}_resp`);
  }
  const health = await agent.health();
  t.match(health.plugins.smpp, { status: 'pass', accounts: { alpha: { bound: 3, transmitter: 1, receiver: 1, transceiver: 1 }, beta: { bound: 0 } } });

  const wrong = await client(t, port);
  t.equal((await wrong.call('bind_transceiver', { system_id: 'alpha', password: 'nope' })).command_status, status.ESME_RINVPASWD, 'wrong password');
  await wrong.closed;
  t.pass('the connection is closed after a refused bind');

  const other = await client(t, port);
  t.equal((await other.call('bind_transmitter', { system_id: 'alpha', password: PASSWORDS.SMSEDGE_SMPP_TEST_B })).command_status, status.ESME_RINVPASWD, "another account's password");
  const unknown = await client(t, port);
  t.equal((await unknown.call('bind_transmitter', { system_id: 'gamma', password: 'secret1' })).command_status, status.ESME_RINVSYSID, 'unknown system_id');
  const long = await client(t, port);
  t.equal((await long.call('bind_transmitter', { system_id: 'alpha', password: `${PASSWORDS.SMSEDGE_SMPP_TEST_A}xyz9` })).command_status, status.ESME_RINVPASWD, 'a password over 8 octets');

  const twice = await bound(t, port, 'transmitter');
  t.equal((await twice.call('bind_transmitter', { system_id: 'alpha', password: PASSWORDS.SMSEDGE_SMPP_TEST_A })).command_status, status.ESME_RALYBND, 'bound already');
});

t.test('a request before bind is ESME_RINVBNDSTS; a receiver may not submit', async (t) => {
  const { port } = await smppAgent(t);
  const c = await client(t, port);
  t.equal((await c.call('submit_sm', { destination_addr: '15550100100', short_message: 'hi' })).command_status, status.ESME_RINVBNDSTS);
  t.equal((await c.call('enquire_link')).command_status, status.ESME_ROK, 'enquire_link works unbound');
  const rx = await bound(t, port, 'receiver');
  t.equal((await rx.call('submit_sm', { destination_addr: '15550100100', short_message: 'hi' })).command_status, status.ESME_RINVBNDSTS);
});

t.test('enquire_link, unbind, and commands the server does not offer', async (t) => {
  const { port } = await smppAgent(t);
  const c = await bound(t, port);
  const link = await c.call('enquire_link');
  t.equal(link.command, 'enquire_link_resp');
  t.equal(link.command_status, status.ESME_ROK);
  const multi = await c.call('submit_multi', { dest_address: [{ dest_addr_ton: 1, dest_addr_npi: 1, destination_addr: '15550100100' }], short_message: 'x' });
  t.equal(multi.command, 'submit_multi_resp');
  t.equal(multi.command_status, status.ESME_RINVCMDID);
  const alert = await c.call('alert_notification', { source_addr: '1', esme_addr: '2' });
  t.equal(alert.command, 'generic_nack', 'a request without an answer of its own gets generic_nack');
  const bye = await c.call('unbind');
  t.equal(bye.command, 'unbind_resp');
  t.equal(bye.command_status, status.ESME_ROK);
  await c.closed;
  t.pass('the server closes after unbind_resp');
});

t.test('malformed PDUs: generic_nack with the right status, the server keeps running', async (t) => {
  const { port, agent } = await smppAgent(t);
  const r = await raw(t, port);
  r.write(frame(0x0000_0099, 7));
  await until(() => r.answers.length === 1, 'an answer');
  t.match(r.answers[0], { command: 'generic_nack', command_status: status.ESME_RINVCMDID, sequence_number: 7 }, 'unknown command_id');
  // A bind whose body is cut short inside its fixed fields: a field runs past command_length.
  r.write(frame(0x0000_0009, 8, Buffer.from([0x61])));
  await until(() => r.answers.length === 2, 'an answer');
  t.match(r.answers[1], { sequence_number: 8 });
  t.ok(([status.ESME_RINVCMDLEN, status.ESME_RINVSYSID, status.ESME_RINVPASWD] as number[]).includes(r.answers[1]!.command_status), 'a short bind is refused, not crashed on');

  // A TLV whose value runs past the end of the PDU.
  const body = encodePdu('submit_sm', { sequence_number: 12, destination_addr: '15550100100', short_message: Buffer.from('x') });
  const cut = Buffer.concat([body, Buffer.from([0x04, 0x27, 0x00, 0x00])]);
  cut.writeUInt32BE(cut.length, 0);
  const r2 = await raw(t, port);
  r2.write(cut);
  r2.write(frame(0x0000_0015, 13));
  await until(() => r2.answers.length === 2, 'two answers');
  t.match(r2.answers[1], { command: 'enquire_link_resp', sequence_number: 13 }, 'and the connection goes on');
  t.match(r2.answers[0], { command: 'generic_nack', command_status: status.ESME_RINVCMDLEN, sequence_number: 12 }, 'a PDU that cannot be read: generic_nack ESME_RINVCMDLEN');

  const bad = await raw(t, port);
  bad.write(frame(0x0000_0015, 9, Buffer.alloc(0), 8)); // command_length 8: below the header
  await bad.closed;
  t.match(bad.answers[0], { command: 'generic_nack', command_status: status.ESME_RINVCMDLEN, sequence_number: 9 }, 'impossible length: ESME_RINVCMDLEN, then closed');

  const huge = await raw(t, port);
  huge.write(frame(0x0000_0004, 10, Buffer.alloc(0), 1_000_000));
  await huge.closed;
  t.match(huge.answers[0], { command: 'generic_nack', command_status: status.ESME_RINVCMDLEN });

  // A bound client's submit_sm with a truncated body.
  const c = await bound(t, port, 'transmitter');
  const bytes = frame(0x0000_0004, 11, Buffer.from([0, 1, 1, 0x31, 0x32]));
  c.session.socket.write(bytes);
  const ok = await c.call('enquire_link');
  t.equal(ok.command_status, status.ESME_ROK, 'the session still answers');
  t.equal((await agent.health()).plugins.smpp?.status, 'pass');
});

t.test('a flood of submit_sm above throughputPerSecond: ESME_RTHROTTLED for the excess, the rest queued', async (t) => {
  const { port, agent } = await smppAgent(t, { accounts: [{ systemId: 'alpha', passwordEnv: 'SMSEDGE_SMPP_TEST_A', throughputPerSecond: 5 }] });
  const c = await bound(t, port, 'transmitter');
  const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => c.call('submit_sm', { destination_addr: '15550100100', dest_addr_ton: 1, short_message: Buffer.from(`flood ${i}`) })));
  const ok = answers.filter((a) => a.command_status === status.ESME_ROK);
  const throttled = answers.filter((a) => a.command_status === status.ESME_RTHROTTLED);
  t.ok(ok.length >= 5 && ok.length <= 8, `about one second's worth accepted (${ok.length})`);
  t.equal(ok.length + throttled.length, 40, 'the rest throttled');
  const queued = agent.use('sms').listMessages({ direction: 'outbound', limit: 100 });
  t.equal(queued.length, ok.length, 'exactly the accepted ones were queued');
  t.same(new Set(ok.map((a) => a.message_id)), new Set(queued.map((m) => m.id)), 'under the ids submit_sm_resp gave');
});

t.test('a flood of unknown commands and enquire_links in one write: each answered, in order, and the session lives on', async (t) => {
  const { port } = await smppAgent(t);
  const r = await raw(t, port);
  const frames: Buffer[] = [];
  for (let i = 1; i <= 500; i++) frames.push(i % 2 ? frame(0x0000_0077, i) : frame(0x0000_0015, i));
  r.write(Buffer.concat(frames));
  await until(() => r.answers.length === 500, '500 answers');
  t.same(r.answers.map((a) => a.sequence_number), frames.map((_, i) => i + 1), 'one answer each, in order');
  t.ok(r.answers.filter((_, i) => i % 2 === 0).every((a) => a.command === 'generic_nack' && a.command_status === status.ESME_RINVCMDID));
  t.ok(r.answers.filter((_, i) => i % 2 === 1).every((a) => a.command === 'enquire_link_resp'));
  r.write(frame(0x0000_0015, 501));
  await until(() => r.answers.length === 501, 'enquire_link_resp');
  t.match(r.answers[500], { command: 'enquire_link_resp', command_status: status.ESME_ROK });
});
