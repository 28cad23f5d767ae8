// The SMPP server on a manual clock: idle connections, enquire_link probes, the response timeout and
// the window of the agent's own requests, without waiting for real time.
import t, { type Test } from 'tap';
import { flushMicrotasks, ManualClock } from '../../core/clock.ts';
import { silentLogger } from '../../core/log.ts';
import { encodePdu, status, type Pdu } from '../../plugins/smpp/pdu.ts';
import { samePassword, SmppServer } from '../../plugins/smpp/server.ts';
import { RequestFailed } from '../../plugins/smpp/session.ts';
import { raw, until } from './fixtures.ts';

async function setup(t: Test, options: { window?: number } = {}) {
  const clock = new ManualClock(Date.now());
  const requests: Pdu[] = [];
  const server = new SmppServer({
    accounts: [{ systemId: 'acct', password: 'pw', throughputPerSecond: 2 }],
    clock,
    log: silentLogger(),
    idleMs: 60_000,
    responseMs: 30_000,
    window: options.window ?? 2,
    sessionsPerAccount: 1,
    onRequest: (session, pdu) => {
      requests.push(pdu);
      session.respond(pdu, status.ESME_ROK, { message_id: `m${requests.length}` });
    },
  });
  const port = await server.listen('127.0.0.1', 0);
  t.teardown(() => server.close());
  const bind = async () => {
    const c = await raw(t, port);
    c.write(encodePdu('bind_transceiver', { sequence_number: 1, system_id: 'acct', password: 'pw', interface_version: 0x34 }));
    await until(() => c.answers.length === 1, 'bind_transceiver_resp');
    return c;
  };
  return { clock, server, port, requests, bind };
}

t.test('samePassword compares whole passwords, and never matches an unset one', async (t) => {
  t.ok(samePassword('pw', 'pw'));
  t.notOk(samePassword('pw', 'pw2'));
  t.notOk(samePassword('', undefined));
  t.notOk(samePassword('\u0000no password', undefined));
});

t.test('a connection that does not bind is closed after idleMs', async (t) => {
  const { clock, port } = await setup(t);
  const c = await raw(t, port);
  await clock.advance(59_000);
  t.notOk(c.socket.destroyed, 'still open before the idle time');
  await clock.advance(1_000);
  await c.closed;
  t.same(c.answers, [], 'closed without a word');
});

t.test('a silent bound client is probed with enquire_link; it stays when it answers, is closed when it does not', async (t) => {
  const { clock, bind, server } = await setup(t);
  const c = await bind();
  t.match(c.answers[0], { command: 'bind_transceiver_resp', command_status: 0, sc_interface_version: 0x34 });
  await clock.advance(60_000);
  await until(() => c.answers.length === 2, 'enquire_link');
  const probe = c.answers[1]!;
  t.equal(probe.command, 'enquire_link');
  c.write(encodePdu('enquire_link_resp', { sequence_number: probe.sequence_number }));
  await until(() => server.sessions().acct!.transceiver === 1 && true, 'still bound');
  await clock.advance(30_000);
  t.notOk(c.socket.destroyed, 'answered: the session lives on');
  await clock.advance(30_000);
  await until(() => c.answers.length === 3, 'a second enquire_link');
  await clock.advance(30_000);
  await c.closed;
  t.equal(server.sessions().acct!.transceiver, 0, 'not answered within responseMs: closed');
});

t.test("the agent's own requests keep to the window, and fail when unanswered or the session ends", async (t) => {
  const { clock, bind, server } = await setup(t, { window: 2 });
  const c = await bind();
  const session = await server.receiver('acct', AbortSignal.timeout(5000));
  const results: (string | number)[] = [];
  const send = (n: number) =>
    session.request('deliver_sm', { source_addr: String(n), short_message: Buffer.from('x') }, { windowed: true }).then(
      (r) => results.push(r.command_status),
      (e: Error) => results.push(e instanceof RequestFailed ? `failed: ${e.message}` : 'other'),
    );
  const all = [1, 2, 3].map(send);
  await until(() => c.answers.filter((a) => a.command === 'deliver_sm').length === 2, 'two deliver_sm');
  await flushMicrotasks(20);
  t.equal(c.answers.filter((a) => a.command === 'deliver_sm').length, 2, 'the third waits for room in the window');
  const first = c.answers.find((a) => a.command === 'deliver_sm')!;
  c.write(encodePdu('deliver_sm_resp', { sequence_number: first.sequence_number, command_status: 0 }));
  await until(() => c.answers.filter((a) => a.command === 'deliver_sm').length === 3, 'the third deliver_sm');
  const second = c.answers.filter((a) => a.command === 'deliver_sm')[1]!;
  c.write(encodePdu('generic_nack', { sequence_number: second.sequence_number, command_status: status.ESME_RINVCMDID }));
  await clock.advance(30_000);
  await Promise.all(all);
  t.same(results, [0, 'failed: the client answered generic_nack (0x3)', 'failed: no answer to deliver_sm in 30 s']);
});

t.test('sessionsPerAccount and the throughput bucket', async (t) => {
  const { clock, bind, port, requests } = await setup(t);
  const c = await bind();
  const second = await raw(t, port);
  second.write(encodePdu('bind_transmitter', { sequence_number: 1, system_id: 'acct', password: 'pw' }));
  await until(() => second.answers.length === 1, 'answer');
  t.equal(second.answers[0]!.command_status, status.ESME_RBINDFAIL, 'one session per account here');
  const submit = (seq: number) => c.write(encodePdu('submit_sm', { sequence_number: seq, destination_addr: '1', short_message: Buffer.from('x') }));
  for (const seq of [10, 11, 12]) submit(seq);
  await until(() => c.answers.length === 4, 'three answers');
  t.same(c.answers.slice(1).map((a) => a.command_status), [0, 0, status.ESME_RTHROTTLED], 'two a second');
  await clock.advance(500);
  submit(13);
  await until(() => c.answers.length === 5, 'answer');
  t.equal(c.answers[4]!.command_status, 0, 'half a second later, one more');
  t.equal(requests.length, 3);
});
