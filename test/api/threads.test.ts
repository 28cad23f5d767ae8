// Conversations: GET /sms/threads and GET /sms/threads/messages over the real modem plugin on the
// simulator (both tables merged by id, newest first), search by number digits and by text, paging.
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import type { ApiApp } from '../../plugins/api/app.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';

const KEY_ENV = 'SMSEDGE_THREADS_TEST_KEY';
const KEY = 'threads-test-key-0123456789abcdef';
process.env[KEY_ENV] = KEY;

t.test('threads: one per number and modem, newest activity first, searchable, paged', async (t) => {
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  const agent = createAgent(
    resolveConfig({ agentId: 'threads', dataDir: t.testdir(), plugins: [modem({ port: 'simulator', retry: { initialDelayMs: 0 } }), api({ port: 0, apiKeyEnv: KEY_ENV })] }),
    { clock, log: silentLogger() },
  );
  await agent.start();
  t.teardown(() => agent.stop());
  for (let i = 0; i < 2000 && agent.use('sms').modems()[0]!.state !== 'online'; i++) await clock.advance(50);
  const app = (agent.use('api') as unknown as ApiApp).app;
  const get = async (path: string) => {
    const res = await app.request(path, { headers: { authorization: `Bearer ${KEY}` } });
    return { status: res.status, body: (await res.json()) as any };
  };
  const send = async (to: string, text: string) => {
    const res = await app.request('/sms/send', { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ to, text }) });
    t.equal(res.status, 202, `sent to ${to}`);
    await clock.advance(10);
  };
  const sim = agent.use('simulator');
  const receive = async (from: string, text: string) => {
    const before = (await get('/sms/messages?direction=inbound&limit=500')).body.items.length;
    sim.receiveSms({ from, text });
    for (let i = 0; i < 400 && (await get('/sms/messages?direction=inbound&limit=500')).body.items.length === before; i++) await clock.advance(50);
  };

  await receive('+15550100111', 'Is the gate open?');
  await send('+15550100111', 'Opening it now');
  await receive('+15550100222', 'Parcel at the door');
  await send('+15550100333', 'Alarm test tonight');
  await receive('+15550100111', 'Thanks!');

  const { body: all } = await get('/sms/threads');
  t.same(all.items.map((x: any) => [x.number, x.modem, x.messages, x.inbound]), [
    ['+15550100111', 'default', 3, 2],
    ['+15550100333', 'default', 1, 0],
    ['+15550100222', 'default', 1, 1],
  ], 'newest activity first, counted per direction');
  t.match(all.items[0].last, { direction: 'inbound', text: 'Thanks!' }, 'the newest message of each');
  t.match(all.items[1].last, { direction: 'outbound', text: 'Alarm test tonight', status: /queued|sending|sent/ }, 'with its status when outbound');
  t.equal(all.next, null, 'one page');

  const page1 = (await get('/sms/threads?limit=2')).body;
  t.equal(page1.items.length, 2);
  t.equal(page1.next, page1.items[1].last.id, 'the cursor is the last thread’s newest message');
  const page2 = (await get(`/sms/threads?limit=2&cursor=${page1.next}`)).body;
  t.same(page2.items.map((x: any) => x.number), ['+15550100222'], 'the rest on the next page');

  t.same((await get('/sms/threads?q=0100%20222')).body.items.map((x: any) => x.number), ['+15550100222'], 'digits of the number (spaces ignored)');
  t.same((await get('/sms/threads?q=gate')).body.items.map((x: any) => x.number), ['+15550100111'], 'a word of any message in the thread');
  t.same((await get('/sms/threads?q=100%25')).body.items, [], 'LIKE wildcards match themselves');
  t.same((await get('/sms/threads?modem=other')).body.items, [], 'another modem has none');

  const thread = (await get('/sms/threads/messages?number=%2B15550100111&modem=default')).body;
  t.same(thread.items.map((m: any) => [m.direction, m.text]), [['inbound', 'Thanks!'], ['outbound', 'Opening it now'], ['inbound', 'Is the gate open?']], 'both directions, newest first');
  t.ok(thread.items[1].partDetails, 'outbound messages with their parts');
  const older = (await get('/sms/threads/messages?number=%2B15550100111&modem=default&limit=2')).body;
  t.equal(older.next, older.items[1].id);
  t.same((await get(`/sms/threads/messages?number=%2B15550100111&modem=default&limit=2&cursor=${older.next}`)).body.items.map((m: any) => m.text), ['Is the gate open?'], 'older messages by cursor');

  const bad = await get('/sms/threads/messages?number=%2B15550100111');
  t.equal(bad.status, 400);
  t.match(bad.body.error, { field: 'modem' }, 'the missing modem named');
  const gone = await get('/sms/threads?cursor=00000000-0000-4000-8000-000000000000');
  t.match(gone, { status: 400, body: { error: { code: 'invalid_query', field: 'cursor' } } }, 'a cursor naming no message is a 400');

  t.same((await get('/sms/messages?direction=inbound&number=0100111')).body.items.map((m: any) => m.text), ['Thanks!', 'Is the gate open?'], 'GET /sms/messages: number contains');
  t.same((await get('/sms/messages?direction=outbound&number=333')).body.items.map((m: any) => m.text), ['Alarm test tonight'], 'on the recipient for outbound');
});
