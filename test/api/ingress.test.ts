// Home Assistant add-on mode (`api({ ingress })`): requests whose peer is the Ingress proxy need no
// key and get the page adapted to their X-Ingress-Path; every other peer, and every request without
// the option, is treated as before. Over real loopback sockets: the test's own address (127.0.0.1)
// plays the proxy when it is the trusted one, and a stranger when it is not.
import t from 'tap';
import { resolveConfig } from '../../core/config.ts';
import { api } from '../../plugins/api/index.ts';
import { fromIngressProxy, ingressPath } from '../../plugins/api/ingress.ts';
import { CSP, INGRESS_CSP } from '../../plugins/api/routes/ui.ts';
import { harness, KEY } from './fixtures/agent.ts';

const PREFIX = '/api/hassio_ingress/SRtKwGqE15nF6jbzGCjkM7Nn3_uQlZ08RrJLzLJJQKc';

t.test('fromIngressProxy: only the configured peer, only in add-on mode', async (t) => {
  const ingress = { trustedProxy: '172.30.32.2' };
  t.ok(fromIngressProxy('172.30.32.2', ingress));
  t.ok(fromIngressProxy('::ffff:172.30.32.2', ingress), 'an IPv4 peer on a dual-stack socket');
  t.notOk(fromIngressProxy('172.30.32.1', ingress), 'the Docker gateway (a mapped port) is not the proxy');
  t.notOk(fromIngressProxy('172.30.32.20', ingress));
  t.notOk(fromIngressProxy(undefined, ingress), 'an unknown peer (an in-process request)');
  t.notOk(fromIngressProxy('172.30.32.2', undefined), 'not in add-on mode');
  t.ok(fromIngressProxy('::1', { trustedProxy: '::1' }));
});

t.test('ingressPath: a plain path from the trusted proxy only', async (t) => {
  const ingress = { trustedProxy: '127.0.0.1' };
  const headers = (value: string) => new Headers({ 'x-ingress-path': value });
  t.equal(ingressPath(headers(PREFIX), '127.0.0.1', ingress), PREFIX);
  t.equal(ingressPath(headers(`${PREFIX}/`), '127.0.0.1', ingress), PREFIX, 'a trailing slash dropped');
  t.equal(ingressPath(headers(PREFIX), '10.0.0.7', ingress), undefined, 'another peer: ignored');
  t.equal(ingressPath(headers(PREFIX), '127.0.0.1', undefined), undefined, 'not in add-on mode: ignored');
  t.equal(ingressPath(new Headers(), '127.0.0.1', ingress), undefined, 'none given');
  for (const bad of ['api/hassio_ingress/x', '/a"><script>', '/a//b', '/a/../b?x', '//evil.example/x', `/${'a'.repeat(600)}`])
    t.equal(ingressPath(headers(bad), '127.0.0.1', ingress), undefined, `refused: ${bad.slice(0, 30)}`);
});

t.test('the option: off by default, the Supervisor address when on, an IP address only', async (t) => {
  const options = (o: Record<string, unknown>) => resolveConfig({ plugins: [api(o as never)] }, {}).plugins[0]!.options as Record<string, unknown>;
  t.equal(options({}).ingress, undefined);
  t.same(options({ ingress: {} }).ingress, { trustedProxy: '172.30.32.2' });
  t.throws(() => options({ ingress: { trustedProxy: 'supervisor' } }), /ingress\.trustedProxy/);
});

t.test('a request from the trusted proxy needs no key; from elsewhere it does', async (t) => {
  for (const [what, apiOptions, open] of [
    ['add-on mode, the test is the proxy', { ingress: { trustedProxy: '127.0.0.1' } }, true],
    ['add-on mode, the test is another address', { ingress: {} }, false],
    ['not in add-on mode', {}, false],
  ] as const) {
    const h = await harness(t, { api: apiOptions });
    const url = h.agent.use('api').urls()[0]!;
    const send = (headers: Record<string, string>) =>
      fetch(`${url}/sms/send`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-ingress-path': PREFIX, ...headers }, body: JSON.stringify({ to: '+15550100100', text: 'through ingress' }) });
    const res = await send({});
    t.equal(res.status, open ? 202 : 401, `${what}: send without a key is ${open ? 'accepted' : 'refused'}`);
    t.equal((await fetch(`${url}/sms/messages`)).status, open ? 200 : 401, `${what}: reading messages`);
    // X-Forwarded-For is the client's say-so: it never makes a request the proxy's.
    t.equal((await send({ 'x-forwarded-for': '172.30.32.2, 127.0.0.1' })).status, open ? 202 : 401, `${what}: a forwarded address changes nothing`);
    t.equal((await send({ authorization: `Bearer ${KEY}` })).status, 202, `${what}: the key works as always`);
    t.equal(h.sms.sent.length, open ? 3 : 1);
    await h.agent.stop();
  }
});

t.test('the page through the proxy: links under the prefix, marked signed in, framed by Home Assistant', async (t) => {
  const h = await harness(t, { api: { ingress: { trustedProxy: '127.0.0.1' } } });
  const url = h.agent.use('api').urls()[0]!;
  t.ok(h.logs.some((l) => /add-on mode/.test(String(l.msg))), 'add-on mode is logged at start');
  let res = await fetch(`${url}/`, { headers: { 'x-ingress-path': PREFIX } });
  let html = await res.text();
  t.match(html, `<html data-auth="ingress"`);
  t.match(html, `href="${PREFIX}/ui/style.css"`);
  t.match(html, `src="${PREFIX}/ui/app.js"`);
  t.notMatch(html, /(?:href|src)="\/ui\//, 'no link outside the prefix');
  t.match(html, 'href="data:,"', 'other links untouched');
  t.equal(res.headers.get('content-security-policy'), INGRESS_CSP);
  t.match(INGRESS_CSP, "frame-ancestors 'self'");
  t.equal(res.headers.get('x-frame-options'), 'SAMEORIGIN');
  const etag = res.headers.get('etag')!;
  res = await fetch(`${url}/`, { headers: { 'x-ingress-path': PREFIX, 'if-none-match': etag } });
  t.equal(res.status, 304, 'the adapted page has its own ETag');
  res = await fetch(`${url}/`, { headers: { 'x-ingress-path': '/other/prefix' } });
  t.match(await res.text(), 'src="/other/prefix/ui/app.js"', 'another prefix, another page');
  t.not(res.headers.get('etag'), etag);
  res = await fetch(`${url}/`);
  html = await res.text();
  t.match(html, 'src="/ui/app.js"', 'no header: no prefix');
  t.match(html, 'data-auth="ingress"', 'still from the proxy');
  res = await fetch(`${url}/ui/app.js`);
  t.equal(res.status, 200);
});

t.test('the page to anyone else: as always', async (t) => {
  for (const apiOptions of [{ ingress: {} }, {}]) {
    const h = await harness(t, { api: apiOptions });
    const res = await fetch(`${h.agent.use('api').urls()[0]}/`, { headers: { 'x-ingress-path': PREFIX } });
    const html = await res.text();
    t.notMatch(html, 'data-auth', 'not marked signed in');
    t.match(html, 'src="/ui/app.js"', 'X-Ingress-Path ignored');
    t.equal(res.headers.get('content-security-policy'), CSP);
    t.equal(res.headers.get('x-frame-options'), 'DENY', 'not to be framed');
    await h.agent.stop();
  }
});
