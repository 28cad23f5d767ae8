import { join } from 'node:path';
import t from 'tap';
import { ManualClock } from '../../core/clock.ts';
import { openStore } from '../../core/store.ts';
import { SendDedup, TRANSACTION_TTL_MS } from '../../plugins/mqtt/dedup.ts';
import { answerSend } from '../../plugins/mqtt/requests.ts';
import { memorySms } from './sms.ts';

function rig(dir: string, clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'))) {
  const store = openStore({ path: join(dir, 'smsedge.db') });
  const sms = memorySms();
  const dedup = new SendDedup(store, clock);
  const send = (scope: string, body: unknown) => {
    const payload = Buffer.from(JSON.stringify(body));
    return dedup.once(scope, payload, () => answerSend(payload, { agentId: 'pi', sms: sms.service }));
  };
  return { store, sms, clock, send };
}

t.test('a repeated transaction gets the first answer and queues nothing again', async (t) => {
  const r = rig(t.testdir());
  t.teardown(() => r.store.close());
  const first = r.send('send', { transaction: 'tx-1', to: '+15550100100', text: 'code 1234' });
  t.match(first, { transaction: 'tx-1', status: 'ok', data: { id: String } });
  t.same(r.send('send', { transaction: 'tx-1', to: '+15550100100', text: 'code 1234' }), first);
  t.equal(r.sms.sent.length, 1);
  // 1 and "1" are different transactions; scopes (own topic, fleet) are kept apart.
  r.send('send', { transaction: 1, to: '+15550100100', text: 'x' });
  r.send('send', { transaction: '1', to: '+15550100100', text: 'x' });
  r.send('fleet', { transaction: 'tx-1', to: '+15550100100', text: 'code 1234' });
  t.equal(r.sms.sent.length, 4);
  // Without a transaction there is nothing to match a repeat on.
  r.send('send', { to: '+15550100100', text: 'y' });
  r.send('send', { to: '+15550100100', text: 'y' });
  t.equal(r.sms.sent.length, 6);
});

t.test('the same transaction with another request is refused; a refused send is not remembered', async (t) => {
  const r = rig(t.testdir());
  t.teardown(() => r.store.close());
  r.send('send', { transaction: 'tx-2', to: '+15550100100', text: 'a' });
  t.match(r.send('send', { transaction: 'tx-2', to: '+15550100100', text: 'b' }), {
    transaction: 'tx-2',
    status: 'error',
    error: { code: 'transaction_reused', field: 'transaction' },
  });
  t.same(r.sms.sent.map((s) => s.text), ['a']);
  t.match(r.send('send', { transaction: 'tx-3', to: 'abc', text: 'c' }), { status: 'error', error: { code: 'invalid_request', field: 'to' } });
  t.match(r.send('send', { transaction: 'tx-3', to: '+15550100100', text: 'c' }), { status: 'ok' }, 'corrected and retried');
  t.same(r.sms.sent.map((s) => s.text), ['a', 'c']);
});

t.test('answers are kept 24 h, across a restart', async (t) => {
  const dir = t.testdir();
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  const a = rig(dir, clock);
  const first = a.send('send', { transaction: 'tx-4', to: '+15550100100', text: 'a' });
  a.store.close();
  const b = rig(dir, clock);
  t.teardown(() => b.store.close());
  await clock.advance(TRANSACTION_TTL_MS - 1);
  t.same(b.send('send', { transaction: 'tx-4', to: '+15550100100', text: 'a' }), first, 'replayed after a restart');
  t.equal(b.sms.sent.length, 0);
  await clock.advance(1);
  b.send('send', { transaction: 'tx-5', to: '+15550100100', text: 'b' });
  t.equal(b.store.get<{ n: number }>('SELECT count(*) AS n FROM remembered_answers')!.n, 1, 'the expired record was pruned');
  t.not((b.send('send', { transaction: 'tx-4', to: '+15550100100', text: 'a' }) as { data: { id: string } }).data.id, (first as { data: { id: string } }).data.id, 'a new send after 24 h');
  t.equal(b.sms.sent.length, 2);
});
