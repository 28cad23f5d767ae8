import t from 'tap';
import { ManualClock } from '../../core/clock.ts';
import type { OutboundMessage } from '../../core/services.ts';
import { answer, answerSend } from '../../plugins/mqtt/requests.ts';
import { ofType, startRig } from './helpers.ts';

// Sending policy (issue 29, "Sending"): scheduled sends, cancel, change, priority and the message
// list's filters, on the simulator with a manual clock.

const T0 = Date.parse('2026-03-01T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

t.test('sendAt holds a message until its time, then sends it', async (t) => {
  const rig = await startRig(t);
  const sms = rig.agent.use('sms');
  const at = rig.clock.now() + 3_600_000;
  const { id } = sms.send({ to: '+15550300001', text: 'in an hour', sendAt: iso(at) });
  t.match(sms.getMessage(id), { status: 'queued', sendAt: /^2026-03-01T/ });
  t.match(sms.stats(), { outboundQueued: 0, outboundScheduled: 1 }, 'held, not a backlog');
  await rig.clock.advance(3_590_000);
  t.equal(rig.sim.sent().length, 0, 'nothing reached the modem before its time');
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 1, 'sent at its time');
  t.match(sms.stats(), { outboundQueued: 0, outboundScheduled: 0 });
  t.ok(rig.clock.now() >= at, 'not before sendAt');
  t.ok(rig.clock.now() < at + 5_000, 'promptly at sendAt (the worker wakes for it)');
});

t.test('sendAt is refused in the past, too far ahead, or without an offset, naming sendAt', async (t) => {
  const rig = await startRig(t);
  const sms = rig.agent.use('sms');
  const now = rig.clock.now();
  t.throws(() => sms.send({ to: '+15550300002', text: 'x', sendAt: iso(now - 120_000) }), { code: 'invalid_request', field: 'sendAt', message: /in the past/ });
  t.throws(() => sms.send({ to: '+15550300002', text: 'x', sendAt: iso(now + 400 * 86_400_000) }), { code: 'invalid_request', field: 'sendAt', message: /366 days/ });
  t.throws(() => sms.send({ to: '+15550300002', text: 'x', sendAt: '2026-03-01T12:00:00' }), { code: 'invalid_request', field: 'sendAt', message: /offset/ });
  t.throws(() => sms.send({ to: '+15550300002', text: 'x', sendAt: '2026-02-30T12:00:00Z' }), { code: 'invalid_request', field: 'sendAt' });
  t.throws(() => sms.send({ to: '+15550300002', text: 'x', priority: 'urgent' as 'high' }), { code: 'invalid_request', field: 'priority' });
  // A time a few seconds behind (the caller's clock) is "now": sent at once, not held.
  const { id } = sms.send({ to: '+15550300002', text: 'now', sendAt: iso(now - 5_000) });
  t.notOk((sms.getMessage(id) as OutboundMessage).sendAt, 'not held');
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 1, 'sent at once');
});

t.test('a scheduled message survives a restart and goes at its time', async (t) => {
  const dir = t.testdir();
  const clock = new ManualClock(T0);
  const first = await startRig(t, {}, { dir, clock });
  const { id } = first.agent.use('sms').send({ to: '+15550300003', text: 'tomorrow', sendAt: iso(T0 + 86_400_000), priority: 'low' });
  await first.stop();
  const again = await startRig(t, {}, { dir, clock });
  t.match(again.agent.use('sms').getMessage(id), { status: 'queued', priority: 'low', sendAt: /^2026-03-02T/ });
  await again.clock.advance(3_600_000);
  t.equal(ofType(again.events, 'sms.sent').length, 0, 'still held after the restart');
  await again.clock.advance(86_400_000 - 3_600_000 - 60_000);
  t.equal(ofType(again.events, 'sms.sent').length, 0, 'still held a minute before its time');
  await again.until(() => ofType(again.events, 'sms.sent').length === 1, 'sent the next day');
  t.ok(clock.now() >= T0 + 86_400_000);
});

t.test('cancel: a queued or scheduled message ends as cancelled with sms.cancelled; not once handed to the modem', async (t) => {
  const rig = await startRig(t);
  const sms = rig.agent.use('sms');
  const { id } = sms.send({ to: '+15550300004', text: 'never mind', clientRef: 'c-4', sendAt: iso(rig.clock.now() + 600_000) });
  const cancelled = sms.cancel(id);
  t.match(cancelled, { status: 'cancelled', cancelledAt: /^2026-03-01T/ });
  const [event] = ofType(rig.events, 'sms.cancelled');
  t.match(event?.data, { messageId: id, clientRef: 'c-4', to: '+15550300004', modem: 'default' });
  await rig.clock.advance(900_000);
  t.equal(rig.sim.sent().length, 0, 'a cancelled message is never sent');
  t.throws(() => sms.cancel(id), { code: 'message_not_queued', status: 409, message: /cancelled/ });
  t.throws(() => sms.cancel('0193a1f2-7c4e-7b3a-9d21-5e0f6a8b9c01'), { code: 'not_found', status: 404 });
  const sent = sms.send({ to: '+15550300005', text: 'goes' });
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 1, 'sent');
  t.throws(() => sms.cancel(sent.id), { code: 'message_not_queued', status: 409, message: /sent/ });
  t.equal(ofType(rig.events, 'sms.cancelled').length, 1);
});

t.test('cancel is refused once the first part was handed to the modem (the worker marks it sending)', async (t) => {
  // The first attempt fails (a transient +CMS ERROR 500) and the retry waits 10 s on the manual clock:
  // the message is `sending` all that while, whatever the machine's load.
  const rig = await startRig(t, { retry: { initialDelayMs: 10_000, maxDelayMs: 10_000, attempts: 3 } });
  const sms = rig.agent.use('sms');
  rig.sim.fault('cms-500', { count: 1 });
  const { id } = sms.send({ to: '+15550300006', text: 'x'.repeat(300) });
  await rig.until(() => (sms.getMessage(id) as OutboundMessage).status === 'sending', 'taken by the worker');
  t.throws(() => sms.cancel(id), { code: 'message_not_queued', message: /handed to the modem/ });
  t.throws(() => sms.change(id, { text: 'too late' }), { code: 'message_not_queued' });
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 1, 'sent');
  t.equal(ofType(rig.events, 'sms.cancelled').length, 0);
});

t.test('cancel is refused after a send timed out (the modem may have sent it all the same)', async (t) => {
  const rig = await startRig(t);
  const sms = rig.agent.use('sms');
  // AT+CMGS waits 60 s for its answer: a modem that answers nothing for longer times it out.
  rig.sim.fault('hang', { ms: 300_000 });
  const { id } = sms.send({ to: '+15550300008', text: 'maybe out' });
  const timeouts = () => rig.agent.store.get<{ timeouts: number }>('SELECT timeouts FROM modem_outbox WHERE id = ?', id)!.timeouts;
  await rig.until(() => timeouts() === 1, 'the first send timed out');
  // The worker tries again at once; the modem goes away meanwhile: the message is back in the queue.
  rig.sim.unplug();
  await rig.until(() => (sms.getMessage(id) as OutboundMessage).status === 'queued', 'waiting for the modem');
  t.throws(() => sms.cancel(id), { code: 'message_not_queued', message: /handed to the modem/ });
  t.throws(() => sms.change(id, { text: 'changed' }), { code: 'message_not_queued' });
  t.equal(ofType(rig.events, 'sms.cancelled').length, 0);
});

t.test('change: a new text is re-encoded, a new time moves the schedule, null sends now; refused once sent', async (t) => {
  const rig = await startRig(t);
  const sms = rig.agent.use('sms');
  const now = rig.clock.now();
  const { id } = sms.send({ to: '+15550300007', text: 'draft', sendAt: iso(now + 600_000) });
  const changed = sms.change(id, { text: 'Grüße ☃ '.repeat(30) });
  t.match(changed, { text: /^Grüße ☃/, encoding: 'ucs2', parts: 4, status: 'queued' });
  t.equal(changed.partDetails.length, 4, 'the parts follow the new text');
  t.throws(() => sms.change(id, { sendAt: iso(now - 600_000) }), { code: 'invalid_request', field: 'sendAt' });
  t.throws(() => sms.change(id, { text: '☃'.repeat(700) }), { code: 'invalid_request', field: 'text' });
  t.equal(Date.parse(sms.change(id, { sendAt: iso(now + 1_200_000) }).sendAt!), now + 1_200_000);
  await rig.clock.advance(700_000);
  t.equal(rig.sim.sent().length, 0, 'moved later: not sent at the first time');
  t.notOk(sms.change(id, { sendAt: null }).sendAt, 'null: not held any more');
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 1, 'sent now');
  t.equal(rig.sim.sent().length, 4);
  t.throws(() => sms.change(id, { text: 'too late' }), { code: 'message_not_queued', status: 409 });
});

t.test('priority: high goes first, low last, each in the order queued', async (t) => {
  const rig = await startRig(t, {}, { waitOnline: false });
  const sms = rig.agent.use('sms');
  // Queued before the modem is online, so the worker chooses among all of them.
  const order = [
    sms.send({ to: '+15550300010', text: 'low 1', priority: 'low' }),
    sms.send({ to: '+15550300011', text: 'normal 1' }),
    sms.send({ to: '+15550300012', text: 'high 1', priority: 'high' }),
    sms.send({ to: '+15550300013', text: 'normal 2', priority: 'normal' }),
    sms.send({ to: '+15550300014', text: 'high 2', priority: 'high' }),
  ];
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 5, 'all sent');
  t.same(ofType(rig.events, 'sms.sent').map((e) => e.data.to), ['+15550300012', '+15550300014', '+15550300011', '+15550300013', '+15550300010']);
  t.equal((sms.getMessage(order[0]!.id) as OutboundMessage).priority, 'low');
});

t.test('the message list: filters, text search, cursor paging, a bad cursor refused', async (t) => {
  const rig = await startRig(t);
  const sms = rig.agent.use('sms');
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) {
    ids.push(sms.send({ to: i % 2 ? '+15550300021' : '+15550300020', text: `note ${i} 100%_off`, clientRef: `r${i}`, sendAt: iso(rig.clock.now() + 3_600_000) }).id);
    await rig.clock.advance(1000);
  }
  sms.cancel(ids[5]!);
  const list = (q: Record<string, unknown>) => sms.listMessages({ direction: 'outbound', limit: 50, ...q }).map((m) => m.id);
  t.same(list({}), [...ids].reverse(), 'newest first');
  t.same(list({ to: '+15550300021' }), [ids[5], ids[3], ids[1]]);
  t.same(list({ status: 'cancelled' }), [ids[5]]);
  t.same(list({ status: 'queued', to: '+15550300020' }), [ids[4], ids[2], ids[0]]);
  t.same(list({ clientRef: 'r2' }), [ids[2]]);
  t.same(list({ modem: 'default' }).length, 6);
  t.same(list({ modem: 'other' }), []);
  t.same(list({ q: 'NOTE 3' }), [ids[3]], 'case-insensitive');
  t.same(list({ q: '100%_' }).length, 6, '% and _ are literal');
  t.same(list({ q: '1000' }), []);
  const t1 = T0 + 1000;
  t.same(list({ since: t1, until: t1 + 2000 }), [ids[2], ids[1]], 'since inclusive, until exclusive');
  const page1 = sms.listMessages({ direction: 'outbound', limit: 4 });
  const page2 = list({ limit: 4, before: page1.at(-1)!.id });
  t.same(page2, [ids[1], ids[0]], 'cursor paging');
  t.throws(() => list({ before: '0193a1f2-7c4e-7b3a-9d21-5e0f6a8b9c01' }), { code: 'invalid_query', field: 'cursor' });
  t.throws(() => list({ from: '+15550300020' }), { code: 'invalid_query', field: 'from' });
  t.throws(() => sms.listMessages({ direction: 'inbound', limit: 5, status: 'sent' }), { code: 'invalid_query', field: 'status' });
  rig.sim.receiveSms({ from: '+15550300099', text: 'inbound hello' });
  await rig.until(() => ofType(rig.events, 'sms.received').length === 1, 'received');
  t.equal(sms.listMessages({ direction: 'inbound', limit: 5, from: '+15550300099', q: 'hello' }).length, 1);
  t.equal(sms.listMessages({ direction: 'inbound', limit: 5, from: '+15550300098' }).length, 0);
});

t.test('MQTT offers sendAt, priority and cancel like REST (the request handlers over the real service)', async (t) => {
  const rig = await startRig(t);
  const sms = rig.agent.use('sms');
  const ctx = { agentId: 'test', sms };
  const at = iso(rig.clock.now() + 600_000);
  const sent = answerSend(JSON.stringify({ transaction: 7, to: '+15550300030', text: 'later', sendAt: at, priority: 'high' }), ctx);
  t.match(sent, { transaction: 7, status: 'ok', data: { status: 'queued' } });
  const id = (sent as { data: { id: string } }).data.id;
  t.match(sms.getMessage(id), { priority: 'high', sendAt: /^2026-03-01T10:10/ });
  t.match(answerSend(JSON.stringify({ to: '+15550300030', text: 'x', sendAt: '2020-01-01T00:00:00Z' }), ctx), { status: 'error', error: { code: 'invalid_request', field: 'sendAt' } });
  t.match(answerSend(JSON.stringify({ to: '+15550300030', text: 'x', priority: 'urgent' }), ctx), { status: 'error', error: { code: 'invalid_request', field: 'priority' } });
  t.match(await answer('cancel', JSON.stringify({ transaction: 'c1', id }), ctx), { transaction: 'c1', status: 'ok', data: { id, status: 'cancelled' } });
  t.match(await answer('cancel', JSON.stringify({ id }), ctx), { status: 'error', error: { code: 'message_not_queued', field: 'id' } });
  t.match(await answer('cancel', JSON.stringify({ id: '0193a1f2-7c4e-7b3a-9d21-5e0f6a8b9c01' }), ctx), { status: 'error', error: { code: 'not_found' } });
  t.match(await answer('cancel', JSON.stringify({ id: 'a/b' }), ctx), { status: 'error', error: { code: 'invalid_request', field: 'id' } });
  t.match(await answer('cancel', JSON.stringify({ id }), { agentId: 'test', sms: undefined }), { status: 'error', error: { code: 'sms_unavailable' } });
  t.equal(ofType(rig.events, 'sms.cancelled').length, 1);
});
