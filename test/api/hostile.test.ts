// 500+ malformed or hostile requests over a real socket: every answer must be a 4xx in the standard
// error format, nothing may be logged as a bug, and the agent must keep serving.
import { connect } from 'node:net';
import t from 'tap';
import { harness, KEY } from './fixtures/agent.ts';

interface Attack {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

function rng(seed: number) {
  return () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
}

function attacks(): Attack[] {
  const rand = rng(20261123);
  const pick = <T>(list: readonly T[]) => list[Math.floor(rand() * list.length)]!;
  const auth = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
  const valid = { to: '+15550100100', text: 'hello' };
  const routes = [
    ['POST', '/sms/send'],
    ['GET', '/sms/messages'],
    ['GET', '/sms/messages/01900000-0000-7000-8000-000000000000'],
    ['GET', '/sms/delivery-reports'],
    ['POST', '/ussd/send'],
    ['POST', '/ussd/reply'],
    ['GET', '/metrics'],
    ['GET', '/openapi.json'],
  ] as const;
  const out: Attack[] = [];
  const add = (a: Attack) => out.push(a);

  // Broken JSON: truncations and garbage.
  const json = JSON.stringify({ ...valid, clientRef: 'r1' });
  for (let i = 1; i < json.length; i += 2) add({ name: `truncated@${i}`, method: 'POST', path: '/sms/send', headers: auth, body: json.slice(0, i) });
  for (const body of ['{', '}', '[', 'nul', 'undefined', "{'to':'1'}", '{"to":"+15550100100","text":"x",}', '\u0000', '\uFEFF{}', 'NaN', '1e99999', '{"a":1}{"b":2}'])
    add({ name: `garbage ${JSON.stringify(body)}`, method: 'POST', path: '/sms/send', headers: auth, body });
  for (let i = 0; i < 20; i++) {
    const bytes = Array.from({ length: 1 + Math.floor(rand() * 200) }, () => String.fromCharCode(Math.floor(rand() * 256))).join('');
    add({ name: `random bytes ${i}`, method: 'POST', path: pick(['/sms/send', '/ussd/send', '/ussd/reply']), headers: auth, body: bytes });
  }
  // Valid JSON that is not an object, or has the wrong types.
  const values = [null, true, 0, -1, 1.5, 1e308, '', 'x', [], [1], {}, { a: 1 }, ['+15550100100'], '+15550100100'];
  for (const v of values) add({ name: `body ${JSON.stringify(v)}`, method: 'POST', path: '/sms/send', headers: auth, body: JSON.stringify(v) });
  for (const field of ['to', 'text', 'encoding', 'deliveryReport', 'validityMinutes', 'ttlSeconds', 'modem', 'clientRef', 'callbackUrl'])
    for (const v of values.filter((x) => typeof x !== 'string' || field === 'to' || field === 'encoding' || field === 'modem' || field === 'callbackUrl')) {
      if ((field === 'text' || field === 'clientRef') && typeof v === 'string') continue;
      if (field === 'to' && (v === '+15550100100' || (Array.isArray(v) && v[0] === '+15550100100'))) continue;
      if ((field === 'deliveryReport' && v === true) || (field === 'modem' && v === 'x')) continue; // valid
      add({ name: `${field}=${JSON.stringify(v)}`, method: 'POST', path: '/sms/send', headers: auth, body: JSON.stringify({ ...valid, [field]: v }) });
    }
  // Huge strings: over the body limit (413) and under it but over the text limit (400).
  add({ name: 'huge text 100k', method: 'POST', path: '/sms/send', headers: auth, body: JSON.stringify({ ...valid, text: 'x'.repeat(100_000) }) });
  add({ name: 'huge text 60k', method: 'POST', path: '/sms/send', headers: auth, body: JSON.stringify({ ...valid, text: 'x'.repeat(60_000) }) });
  add({ name: 'huge to', method: 'POST', path: '/sms/send', headers: auth, body: JSON.stringify({ ...valid, to: '1'.repeat(50_000) }) });
  add({ name: 'huge recipients', method: 'POST', path: '/sms/send', headers: auth, body: JSON.stringify({ ...valid, to: Array(3000).fill('+15550100100') }) });
  add({ name: 'huge code', method: 'POST', path: '/ussd/send', headers: auth, body: JSON.stringify({ code: '*'.repeat(40_000) }) });
  add({ name: 'deep nesting', method: 'POST', path: '/sms/send', headers: auth, body: '['.repeat(30_000) + ']'.repeat(30_000) });
  add({ name: 'deep object', method: 'POST', path: '/sms/send', headers: auth, body: '{"a":'.repeat(5000) + '1' + '}'.repeat(5000) });
  // Control characters and odd Unicode.
  for (const s of ['\u0000', '\u0007', '\u001b[31m', '\u007f', '\ud800', '\u202e', 'a\r\nX-Injected: 1'])
    for (const field of ['to', 'clientRef', 'modem', 'callbackUrl'])
      add({ name: `control in ${field}: ${JSON.stringify(s)}`, method: 'POST', path: '/sms/send', headers: auth, body: JSON.stringify({ ...valid, [field]: `+1555${s}0100100` }) });
  for (const s of ['\u0000', '\u001b', '*100#\n', '*100#\u0000'])
    add({ name: `control in code ${JSON.stringify(s)}`, method: 'POST', path: '/ussd/send', headers: auth, body: JSON.stringify({ code: s }) });
  // Unknown fields and prototype tricks.
  for (const extra of ['__proto__', 'constructor', 'prototype', 'toString', 'isAdmin', 'to ', 'TEXT', ''])
    add({ name: `unknown field ${extra}`, method: 'POST', path: '/sms/send', headers: auth, body: `{"to":"+15550100100","text":"x",${JSON.stringify(extra)}:{"polluted":true}}` });
  add({ name: 'proto only', method: 'POST', path: '/ussd/send', headers: auth, body: '{"__proto__":{"code":"*100#"}}' });
  // Path traversal and odd ids.
  for (const id of ['..', '..%2F..%2Fetc%2Fpasswd', '%2e%2e%2f%2e%2e%2f', '..%5C..%5Cwindows', '%00', 'a%00b', '%2F', '.%2E', 'x'.repeat(5000), '%F0%9F%92%A9', '%C0%AE%C0%AE', '*', 'a;b', '%27%20OR%201%3D1--', '${7*7}', '..;', '%25%32%65'])
    add({ name: `id ${id.slice(0, 30)}`, method: 'GET', path: `/sms/messages/${id}`, headers: auth });
  for (const p of ['/sms/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/sms/messages/../../../health/..', '//sms//send', '/SMS/SEND', '/sms/send%00', '/api/sms/send', '/.env', '/sms/messages/1/2/3'])
    add({ name: `path ${p}`, method: 'POST', path: p, headers: auth, body: JSON.stringify(valid) });
  // Query abuse.
  for (const q of ['limit=-1', 'limit=1e9', 'limit=99999', 'limit=', 'limit=1.5', 'limit=0x10', 'direction=', 'direction=INBOUND', 'before=%00', 'before=../../', 'limit=1&limit=2', '__proto__=1', 'x=' + 'y'.repeat(4000)])
    add({ name: `query ${q.slice(0, 30)}`, method: 'GET', path: `/sms/messages?${q}`, headers: auth });
  // Wrong methods on every route.
  for (const [method, path] of routes)
    for (const wrong of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => m !== method))
      add({ name: `${wrong} ${path}`, method: wrong, path, headers: auth, ...(wrong === 'GET' ? {} : { body: JSON.stringify(valid) }) });
  // Missing and wrong keys on every protected route.
  const badKeys: Record<string, string>[] = [
    {},
    { authorization: 'Bearer' },
    { authorization: 'Bearer ' },
    { authorization: `Bearer ${KEY.slice(0, -1)}` },
    { authorization: `Bearer ${KEY}${KEY}` },
    { authorization: `Basic ${Buffer.from(`user:${KEY}`).toString('base64')}` },
    { authorization: KEY },
    { 'x-api-key': '' },
    { 'x-api-key': KEY.toUpperCase() },
    { 'x-api-key': 'x'.repeat(8000) },
  ];
  for (const [method, path] of routes)
    for (const key of badKeys)
      add({ name: `key ${JSON.stringify(key).slice(0, 30)} ${path}`, method, path, headers: { 'content-type': 'application/json', ...key }, ...(method === 'POST' ? { body: JSON.stringify(valid) } : {}) });
  // Wrong content types.
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'application/jsonx', 'json', '*/*'])
    add({ name: `type ${type}`, method: 'POST', path: '/sms/send', headers: { authorization: `Bearer ${KEY}`, 'content-type': type }, body: JSON.stringify(valid) });
  add({ name: 'no content type', method: 'POST', path: '/sms/send', headers: { authorization: `Bearer ${KEY}` }, body: JSON.stringify(valid) });
  // Idempotency-Key abuse.
  for (const k of ['', 'x'.repeat(300), 'ключ', 'a b'])
    add({ name: `idempotency key ${k.slice(0, 10)}`, method: 'POST', path: '/sms/send', headers: { ...auth, 'idempotency-key': encodeURI(k) === k ? k : encodeURIComponent(k).replace(/%/g, '\u00a0') }, body: JSON.stringify(valid) });
  // Fill up to 500 with random mixes of the above ingredients.
  while (out.length < 500) {
    const base = pick(out);
    add({ ...base, name: `again: ${base.name}` });
  }
  return out;
}

async function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let data = '';
    socket.on('data', (d) => (data += d));
    socket.on('close', () => resolve(data));
    socket.on('error', () => resolve(data));
  });
}

t.test('500 malformed and hostile requests: only 4xx, and the agent keeps serving', async (t) => {
  const h = await harness(t);
  const url = h.agent.use('api').urls()[0]!;
  const list = attacks();
  t.ok(list.length >= 500, `${list.length} requests`);
  const statuses = new Map<number, number>();
  const unexpected: string[] = [];
  for (let i = 0; i < list.length; i += 25) {
    await Promise.all(
      list.slice(i, i + 25).map(async (a) => {
        let res: Response;
        try {
          res = await fetch(url + a.path, { method: a.method, headers: a.headers, body: a.body });
        } catch (error) {
          unexpected.push(`${a.name}: request failed: ${(error as Error).message}`);
          return;
        }
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const text = await res.text();
        if (res.status < 400 || res.status >= 500) unexpected.push(`${a.name}: ${res.status} ${text.slice(0, 120)}`);
        else if (!/^\{"error":\{"code":"[a-z_]+","message":/.test(text)) unexpected.push(`${a.name}: body ${text.slice(0, 120)}`);
      }),
    );
  }
  t.same(unexpected, [], 'every answer is a 4xx in the error format');
  t.comment(`statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
  t.equal(h.sms.sent.length, 0, 'nothing was sent');
  t.same(h.logs.filter((l) => l.level === 'error' || l.level === 'fatal'), [], 'no bug logged');
  t.equal(h.logs.filter((l) => JSON.stringify(l).includes(KEY)).length, 0, 'the key never appears in a log');

  // Malformed HTTP itself is refused by the server, which stays up.
  const port = Number(new URL(url).port);
  for (const raw of ['GARBAGE\r\n\r\n', 'GET / HTTP/9.9\r\n\r\n', `GET /${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`, 'POST /sms/send HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 'GET /health HTTP/1.1\r\nHost: x\r\nX: a\u0000b\r\n\r\n']) {
    const answer = await rawRequest(port, raw);
    t.match(answer, /^HTTP\/1\.1 4\d\d|^$/, JSON.stringify(raw.slice(0, 30)));
  }
  const health = await fetch(`${url}/health`, { headers: { authorization: `Bearer ${KEY}` } });
  t.equal(health.status, 200, 'still serving');
  t.match(await health.json(), { status: 'pass' });
  // The wrong keys among the attacks made this address wait (failed authentications are throttled).
  await h.clock.advance(3_600_000);
  const ok = await fetch(`${url}/sms/send`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ to: '+15550100100', text: 'still here' }) });
  t.equal(ok.status, 202, 'and still sends');
});
