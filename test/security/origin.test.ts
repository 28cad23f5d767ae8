// DNS rebinding and cross-site requests (issue 32 item 4): an API without a key answers only to
// loopback Host names, and no route that changes something obeys a page from another site.
import { request } from 'node:http';
import t from 'tap';
import { hostName, loopbackHost } from '../../plugins/api/origin.ts';
import { harness, KEY } from '../api/fixtures/agent.ts';

const NO_KEY = { apiKeyEnv: 'SMSEDGE_TEST_UNSET_KEY' };

/** A raw HTTP request over the socket, with exactly the headers given (Host included). */
function raw(base: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; json: any }> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path: url.pathname, headers: { ...headers, ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => resolve({ status: res.statusCode!, json: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const send = JSON.stringify({ to: '+15550100100', text: 'hello' });

t.test('without a key, a rebound name is refused and loopback names are answered', async (t) => {
  const h = await harness(t, { api: NO_KEY });
  const base = h.http.urls()[0]!;
  const port = new URL(base).port;
  // What a page on attacker.example sees after its name rebinds to 127.0.0.1.
  let res = await raw(base, 'GET', '/sms/messages', { host: `attacker.example:${port}` });
  t.equal(res.status, 403);
  t.equal(res.json.error.code, 'host_not_allowed');
  t.equal(res.json.error.field, 'Host');
  t.match(res.json.error.message, /attacker\.example/);
  res = await raw(base, 'POST', '/sms/send', { host: `attacker.example:${port}` }, send);
  t.equal(res.status, 403);
  t.equal(h.sms.sent.length, 0, 'nothing was sent');
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'LOCALHOST.', `app.localhost:${port}`]) {
    res = await raw(base, 'GET', '/sms/messages', { host });
    t.equal(res.status, 200, host);
  }
  res = await raw(base, 'POST', '/sms/send', { host: `127.0.0.1:${port}` }, send);
  t.equal(res.status, 202, 'a program on this machine still sends without a key');
});

t.test('allowedHosts adds names an open API answers to', async (t) => {
  const h = await harness(t, { api: { ...NO_KEY, allowedHosts: ['smsedge.home'] } });
  const base = h.http.urls()[0]!;
  t.equal((await raw(base, 'GET', '/sms/messages', { host: 'smsedge.home:8080' })).status, 200);
  t.equal((await raw(base, 'GET', '/sms/messages', { host: 'other.home' })).status, 403);
});

t.test('with a key, any Host name is answered (the key is the defence)', async (t) => {
  const h = await harness(t);
  const base = h.http.urls()[0]!;
  const res = await raw(base, 'GET', '/sms/messages', { host: 'pi.lan:8080', authorization: `Bearer ${KEY}` });
  t.equal(res.status, 200);
});

t.test('cross-site browser requests cannot change anything, with or without a key', async (t) => {
  for (const api of [NO_KEY, {}]) {
    const h = await harness(t, { api });
    const base = h.http.urls()[0]!;
    const host = new URL(base).host;
    const auth: Record<string, string> = 'apiKeyEnv' in api ? {} : { authorization: `Bearer ${KEY}` };
    // A form posted from another site (Sec-Fetch-Site), and an older browser's no-cors fetch (Origin only).
    for (const headers of [{ 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site' }, { origin: 'http://attacker.example' }, { origin: 'null' }, { origin: `http://localhost:1` }] as Record<string, string>[]) {
      const res = await raw(base, 'POST', '/sms/send', { host, ...auth, ...headers }, send);
      t.equal(res.status, 403, JSON.stringify(headers));
      t.equal(res.json.error.code, 'cross_site_request');
      t.equal(res.json.error.field, 'Origin');
    }
    t.equal(h.sms.sent.length, 0);
    // The operator page (same origin) and programs (no browser headers) still send.
    for (const headers of [{ 'sec-fetch-site': 'same-origin', origin: base }, { origin: base }, { 'sec-fetch-site': 'none' }, {}] as Record<string, string>[]) {
      const res = await raw(base, 'POST', '/sms/send', { host, ...auth, ...headers }, send);
      t.equal(res.status, 202, JSON.stringify(headers));
    }
    // Reading is not refused for a cross-site header: the Host check (no key) or the key guards it.
    t.equal((await raw(base, 'GET', '/sms/messages', { host, ...auth, 'sec-fetch-site': 'cross-site' })).status, 200);
  }
});

t.test('host names are compared without port, brackets, case or a trailing dot', async (t) => {
  t.equal(hostName('[::1]:8080'), '::1');
  t.equal(hostName('Localhost.:80'), 'localhost');
  t.equal(hostName('127.0.0.1'), '127.0.0.1');
  t.ok(loopbackHost('127.9.9.9:1'));
  t.notOk(loopbackHost('127.0.0.1.attacker.example'));
  t.notOk(loopbackHost('localhost.attacker.example'));
  t.notOk(loopbackHost('[::ffff:7f00:1]'), 'not a name a browser needs: refused');
  t.ok(loopbackHost('Pi.Home', ['pi.home']));
});
