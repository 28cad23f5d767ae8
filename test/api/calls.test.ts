// GET /calls: missed calls from the journal, newest first, paged; bad queries named; the key needed.
import t from 'tap';
import { harness } from './fixtures/agent.ts';

t.test('GET /calls lists missed calls newest first, a page at a time', async (t) => {
  const h = await harness(t);
  let res = await h.request('/calls');
  t.same(await res.json(), { items: [], next: null }, 'none yet');
  const calls = ['+15550100101', null, '+15550100103'].map((from, i) => {
    h.agent.journal.append('sms.received', { messageId: `m${i}`, from: '+15550100999', text: 'not a call' } as never);
    return h.agent.journal.append('call.missed', { from, at: `2026-11-23T07:00:0${i}+00:00`, modem: 'default' });
  });
  res = await h.request('/calls?limit=2');
  t.equal(res.status, 200);
  const first = (await res.json()) as { items: unknown[]; next: string };
  t.same(first, {
    items: [
      { id: calls[2]!.id, from: '+15550100103', at: '2026-11-23T07:00:02+00:00', modem: 'default' },
      { id: calls[1]!.id, from: null, at: '2026-11-23T07:00:01+00:00', modem: 'default' },
    ],
    next: calls[1]!.id,
  }, 'newest first; a withheld number is null; other events are not calls');
  res = await h.request(`/calls?limit=2&before=${first.next}`);
  t.same(await res.json(), { items: [{ id: calls[0]!.id, from: '+15550100101', at: '2026-11-23T07:00:00+00:00', modem: 'default' }], next: null }, 'the last page');
});

t.test('GET /calls: bad queries are 400 naming the field, and the key is needed', async (t) => {
  const h = await harness(t);
  for (const [q, field] of [['limit=0', 'limit'], ['limit=501', 'limit'], ['limit=x', 'limit'], ['before=../x', 'before'], ['from=%2B1555', 'from']]) {
    const res = await h.request(`/calls?${q}`);
    t.equal(res.status, 400, q);
    t.equal(((await res.json()) as { error: { field: string } }).error.field, field, `${q} names ${field}`);
  }
  t.equal((await h.request('/calls', { key: null })).status, 401, 'no key, no calls');
  const doc = (await (await h.request('/openapi.json')).json()) as { paths: Record<string, unknown> };
  t.ok(doc.paths['/calls'], 'documented in the OpenAPI document');
});
