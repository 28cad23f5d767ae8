// Inbox: a received message marked read (and unread) or deleted, through the sms service, the REST
// routes' service calls and MQTT requests; the event journal keeps its sms.received (issue 29).
import t from 'tap';
import type { InboundMessage } from '../../core/services.ts';
import { answer } from '../../plugins/mqtt/requests.ts';
import { ofType, startRig } from './helpers.ts';

t.test('mark read, unread, filter by read, delete: the journal keeps the event', async (t) => {
  const rig = await startRig(t);
  const sms = rig.agent.use('sms');
  rig.sim.receiveSms({ from: '+15550100301', text: 'first' });
  rig.sim.receiveSms({ from: '+15550100302', text: 'second' });
  await rig.until(() => ofType(rig.events, 'sms.received').length === 2, 'two received');
  const [a, b] = ofType(rig.events, 'sms.received').map((e) => e.data.messageId);
  t.notOk((sms.getMessage(a!) as InboundMessage).readAt, 'unread when received');

  const read = sms.markRead!(a!, true);
  t.match(read, { id: a, readAt: '2026-03-01T' });
  await rig.clock.advance(60_000);
  t.equal(sms.markRead!(a!, true).readAt, read.readAt, 'read again: keeps when it was first read');
  t.same(sms.listMessages({ direction: 'inbound', limit: 10, read: true }).map((m) => m.id), [a]);
  t.same(sms.listMessages({ direction: 'inbound', limit: 10, read: false }).map((m) => m.id), [b]);
  t.throws(() => sms.listMessages({ direction: 'outbound', limit: 10, read: true }), { code: 'invalid_query', field: 'read' }, 'read filters received messages only');
  t.notOk(sms.markRead!(a!, false).readAt, 'unread again');
  t.equal(sms.listMessages({ direction: 'inbound', limit: 10, read: false }).length, 2);

  // Over MQTT, as over REST.
  const ctx = { agentId: 'test', sms };
  t.match(await answer('read', JSON.stringify({ transaction: 'r1', id: b }), ctx), { transaction: 'r1', status: 'ok', data: { id: b, readAt: '2026-03-01T' } });
  t.match(await answer('read', JSON.stringify({ id: b, read: 'yes' }), ctx), { status: 'error', error: { code: 'invalid_request', field: 'read' } });
  t.match(await answer('message', JSON.stringify({ id: b }), ctx), { status: 'ok', data: { id: b, direction: 'inbound', text: 'second' } });
  t.match(await answer('delete', JSON.stringify({ transaction: 9, id: b }), ctx), { transaction: 9, status: 'ok', data: { id: b, text: 'second' } });
  t.match(await answer('delete', JSON.stringify({ id: b }), ctx), { status: 'error', error: { code: 'not_found', field: 'id' } }, 'gone');
  t.match(await answer('message', JSON.stringify({ id: b }), ctx), { status: 'error', error: { code: 'not_found', field: 'id' } });
  t.equal(sms.getMessage(b!), undefined);
  t.match(sms.deleteReceived!(a!), { id: a, text: 'first' });
  t.equal(sms.listMessages({ direction: 'inbound', limit: 10 }).length, 0, 'the inbox is empty');
  const journal = rig.agent.journal.range({ types: ['sms.received'] });
  t.same(journal.map((e) => (e.data as { messageId: string }).messageId).sort(), [a, b].sort(), 'the journal still has both events');

  // An outbound id is not a received message.
  const out = sms.send({ to: '+15550100303', text: 'out', sendAt: new Date(rig.clock.now() + 3600_000).toISOString() });
  t.throws(() => sms.markRead!(out.id, true), { code: 'not_found', field: 'id' });
  t.throws(() => sms.deleteReceived!(out.id), { code: 'not_found', field: 'id' });
  t.match(await answer('message', JSON.stringify({ id: out.id }), ctx), { status: 'ok', data: { id: out.id, direction: 'outbound', status: 'queued' } });
  t.match(await answer('unpark', JSON.stringify({ modem: 'default' }), ctx), { status: 'ok', data: { modem: 'default', unparked: false } });
  t.match(await answer('unpark', JSON.stringify({ modem: 'nope' }), ctx), { status: 'error', error: { code: 'not_found' } });
  t.match(await answer('unpark', JSON.stringify({ modem: 'no/slash' }), ctx), { status: 'error', error: { code: 'invalid_request', field: 'modem' } });
  t.match(await answer('read', JSON.stringify({ id: a }), { agentId: 'test', sms: undefined }), { status: 'error', error: { code: 'sms_unavailable' } });
});
