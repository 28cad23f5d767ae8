// The page's routes without a browser: static files (open, locked down, nothing outside the UI
// folder), GET /events (key, status snapshots on the agent clock, events without numbers or text),
// GET /modems/signal-history.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { definePlugin, type PluginContext } from '../../core/plugin.ts';
import { loadAssets, uiRoutes } from '../../plugins/api/routes/ui.ts';
import { harness, KEY } from '../api/fixtures/agent.ts';

const UI = new URL('../../plugins/api/ui/', import.meta.url);

t.test('the page and its files are served without the key, locked down', async (t) => {
  const h = await harness(t);
  let res = await h.request('/', { key: null });
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/html/);
  const csp = res.headers.get('content-security-policy') ?? '';
  t.match(csp, /default-src 'none'/);
  t.match(csp, /script-src 'self'(;|$)/, 'no inline or foreign scripts');
  t.match(csp, /connect-src 'self'/);
  t.equal(res.headers.get('x-frame-options'), 'DENY');
  t.equal(res.headers.get('x-content-type-options'), 'nosniff');
  const html = await res.text();
  t.equal(html, readFileSync(new URL('index.html', UI), 'utf8'));
  const etag = res.headers.get('etag');
  t.ok(etag);
  res = await h.request('/', { key: null, headers: { 'if-none-match': etag! } });
  t.equal(res.status, 304, 'revalidated with the ETag');

  // Every file the page and its modules ask for is served, with the right type.
  const wanted = [...html.matchAll(/(?:src|href)="\/ui\/([^"]+)"/g)].map((m) => m[1]!);
  for (const name of ['app.js', 'api.js', 'render.js', 'format.js', 'messages.js', 'conversations.js', 'search.js']) {
    for (const m of readFileSync(new URL(name, UI), 'utf8').matchAll(/from '\.\/([^']+)'/g)) wanted.push(m[1]!);
  }
  t.ok(wanted.includes('style.css') && wanted.includes('app.js') && wanted.includes('format.js'));
  for (const name of new Set(wanted)) {
    res = await h.request(`/ui/${name}`, { key: null });
    t.equal(res.status, 200, name);
    t.match(res.headers.get('content-type'), name.endsWith('.js') ? /^text\/javascript/ : /^text\/css/, name);
  }
  t.notMatch(html, /https?:\/\//, 'nothing from elsewhere');
});

t.test('nothing outside the UI folder, and no listing', async (t) => {
  const h = await harness(t);
  for (const path of ['/ui/nope.js', '/ui/..%2F..%2Fpackage.json', '/ui/%2e%2e%2fui.ts', '/ui/index.html', '/ui/', '/ui', '/ui/app.js/x', '/ui/.env']) {
    const res = await h.request(path, { key: null });
    t.ok(res.status === 404 || res.status === 405, `${path}: ${res.status}`);
    t.match(res.headers.get('content-type'), /application\/json/, `${path}: the standard error body`);
  }
  t.equal((await h.request('/', { key: null, method: 'POST' })).status, 405);
});

t.test('loadAssets takes only known kinds of file with plain names', async (t) => {
  const dir = t.testdir({ 'index.html': '<p>hi</p>', 'a.js': 'x', 'b.txt': 'secret', '.hidden.js': 'x', 'Upper.css': 'x', 'c.css': 'y' });
  t.same([...loadAssets(dir).keys()].sort(), ['a.js', 'c.css', 'index.html']);
  const empty = t.testdir({ 'a.js': 'x' });
  t.throws(() => uiRoutes(loadAssets(empty)), /index\.html is missing/);
  writeFileSync(join(empty, 'index.html'), 'x');
  t.equal(uiRoutes(loadAssets(empty)).length, 2);
});

t.test('GET /events needs the key, then streams status and agent events', async (t) => {
  let ctx: PluginContext | undefined;
  const capture = definePlugin({ name: 'capture', setup: (c) => void (ctx = c) })();
  const h = await harness(t, { plugins: [capture] });
  const base = h.http.urls()[0]!;
  t.equal((await fetch(`${base}/events`)).status, 401);

  const abort = new AbortController();
  t.teardown(() => abort.abort());
  const res = await fetch(`${base}/events`, { headers: { authorization: `Bearer ${KEY}` }, signal: abort.signal });
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const next = async (event: string): Promise<any> => {
    for (;;) {
      const at = text.indexOf(`event: ${event}\n`);
      const end = at < 0 ? -1 : text.indexOf('\n\n', at);
      if (end >= 0) {
        const block = text.slice(at, end);
        text = text.slice(end + 2);
        return JSON.parse(/^data: (.*)$/m.exec(block)![1]!);
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      text += value;
    }
  };
  const first = await next('status');
  t.match(first, { status: 'pass', queue: { outbound: 0 }, modems: [{ id: 'default', state: 'online', signalDbm: -71 }], plugins: { api: 'pass', modem: 'pass' } });

  ctx!.events.emit('sms.received', {
    messageId: 'm-1', from: '+15550100199', text: 'code 123456', encoding: 'gsm7', parts: 1, receivedAt: new Date().toISOString(), smsc: '+15550000000', modem: 'default', class: null,
  });
  const event = await next('agent');
  t.match(event, { type: 'sms.received', data: { messageId: 'm-1', modem: 'default', parts: 1 } });
  const raw = JSON.stringify(event);
  t.notMatch(raw, /0100199|123456|5550000000/, 'no number, text or SMSC on the stream');

  ctx!.events.emit('sms.sent', {
    messageId: 'm-2', to: '+15550100199', modem: 'default', callbackUrl: 'https://hooks.example/cb?token=s3cr3t-cb', parts: 1, sentAt: new Date().toISOString(), references: [3],
  });
  const sent = await next('agent');
  t.match(sent, { type: 'sms.sent', data: { messageId: 'm-2' } });
  t.notMatch(JSON.stringify(sent), /callbackUrl|hooks\.example|s3cr3t-cb/, 'no callback URL on the stream');

  // The next snapshot comes on the agent's clock.
  await h.clock.advance(5000);
  t.match(await next('status'), { status: 'pass' });
});

t.test('GET /modems/signal-history keeps a sample per change or minute', async (t) => {
  const h = await harness(t);
  t.equal((await h.request('/modems/signal-history', { key: null })).status, 401);
  let body = (await (await h.request('/modems/signal-history')).json()) as { items: { modem: string; samples: { at: string; dbm: number | null }[] }[]; next: null };
  t.match(body, { items: [{ modem: 'default', samples: [{ dbm: -71 }] }], next: null });
  const modems = h.sms.modems.bind(h.sms);
  let dbm = -71;
  h.sms.modems = () => modems().map((m) => ({ ...m, signalDbm: dbm }));
  await h.clock.advance(10_000); // unchanged within a minute: no new sample
  dbm = -89;
  await h.clock.advance(5000); // changed: a sample at the next tick
  await h.clock.advance(60_000); // unchanged for a minute: one more
  body = (await (await h.request('/modems/signal-history')).json()) as typeof body;
  t.same(body.items[0]!.samples.map((s) => s.dbm), [-71, -89, -89]);
});
