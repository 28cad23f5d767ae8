import { createServer } from 'node:net';
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { api } from '../../plugins/api/index.ts';
import { fakeModem, FakeSms, harness, KEY, KEY_ENV } from './fixtures/agent.ts';

t.test('serves over a real socket on loopback and logs its URL', async (t) => {
  const h = await harness(t);
  const urls = h.agent.use('api').urls();
  t.match(urls, [/^http:\/\/127\.0\.0\.1:\d+$/]);
  t.ok(h.logs.some((l) => l.msg === `API listening on ${urls[0]}`));
  let res = await fetch(`${urls[0]}/sms/send`, {
    method: 'POST',
    headers: { 'x-api-key': KEY, 'content-type': 'application/json' },
    body: JSON.stringify({ to: '+15550100100', text: 'over the wire' }),
  });
  t.equal(res.status, 202);
  t.match(await res.json(), { status: 'queued' });
  res = await fetch(`${urls[0]}/health`);
  t.same(await res.json(), { status: 'pass' });
});

t.test('a chunked body over the limit is cut off with 413', async (t) => {
  const h = await harness(t, { api: { bodyLimit: 1024 } });
  const url = h.agent.use('api').urls()[0];
  const chunk = new TextEncoder().encode(`{"to":"+15550100100","text":"${'x'.repeat(600)}`);
  const body = new ReadableStream({
    start(c) {
      c.enqueue(chunk);
      c.enqueue(chunk);
      c.enqueue(new TextEncoder().encode('"}'));
      c.close();
    },
  });
  const res = await fetch(`${url}/sms/send`, { method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit);
  t.equal(res.status, 413);
  t.equal(h.sms.sent.length, 0);
});

t.test('a busy port is a start-up error, not a move to another port', async (t) => {
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
  t.teardown(() => blocker.close());
  const port = (blocker.address() as { port: number }).port;
  const agent = createAgent(resolveConfig({ agentId: 't', dataDir: t.testdir(), plugins: [fakeModem(new FakeSms()), api({ port, apiKeyEnv: KEY_ENV })] }), { log: silentLogger() });
  await t.rejects(agent.start(), { code: 'start_failed', plugin: 'api', message: new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}`) });
});

t.test('without a key it refuses to bind beyond loopback, and says so', async (t) => {
  const agent = createAgent(
    resolveConfig({ agentId: 't', dataDir: t.testdir(), plugins: [api({ host: '0.0.0.0', port: 0, apiKeyEnv: 'SMSEDGE_TEST_UNSET_KEY' })] }),
    { log: silentLogger() },
  );
  await t.rejects(agent.start(), { message: /refusing to listen on 0\.0\.0\.0 without an API key/ });
});

t.test('with a key it binds to all interfaces and lists the LAN URLs', async (t) => {
  const h = await harness(t, { api: { host: '0.0.0.0' } });
  const urls = h.agent.use('api').urls();
  t.match(urls[0], /^http:\/\/127\.0\.0\.1:\d+$/, 'the local URL first');
  const res = await fetch(`${urls[0]}/health`);
  t.equal(res.status, 200);
});

t.test('options are validated before anything starts, naming the key', async (t) => {
  t.throws(() => resolveConfig({ plugins: [api({ port: 70000 })] }), { code: 'config_error', key: /port/ });
  t.throws(() => resolveConfig({ plugins: [api({ host: 'bad host!' })] }), { code: 'config_error', key: /host/ });
  t.throws(() => resolveConfig({ plugins: [api({ bodyLimit: 10 })] }), { code: 'config_error', key: /bodyLimit/ });
  t.throws(() => resolveConfig({ plugins: [api({ apiKey: 'in the config' })] }), { code: 'config_error', key: /apiKey/ });
});

t.test('stop closes the server, also with an event stream open', async (t) => {
  const h = await harness(t);
  const service = h.agent.use('api');
  let closed = false;
  service.route({
    method: 'GET',
    path: '/test-stream',
    summary: 'events',
    handler: ({ event }) => {
      const stream = service.sse(event, { onClose: () => (closed = true) });
      void stream.push({ event: 'hello', data: '1' });
      return stream;
    },
  });
  const url = service.urls()[0];
  const res = await fetch(`${url}/test-stream`, { headers: { 'x-api-key': KEY } });
  t.match(res.headers.get('content-type'), /text\/event-stream/);
  const reader = res.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  t.match(first, /event: hello/);
  await h.agent.stop();
  t.ok(closed, 'the stream was closed');
  await t.rejects(fetch(`${url}/health`), 'nothing listens any more');
});
