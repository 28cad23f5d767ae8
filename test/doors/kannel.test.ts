// Kannel's sendsms on the agent: the GET and form POST that tools send (Nextcloud's two-factor
// gateway builds the GET below), Kannel's answers and refusal lines, and dlr-url called with its
// escape codes filled in: 8 (SMSC accepted) then 1 (delivered), or 2 when delivery failed.
import t from 'tap';
import { kannel } from '../../plugins/kannel/index.ts';
import { doorAgent, KEY, receiver } from './fixtures.ts';

t.test('Kannel sendsms front door', async (t) => {
  const dlr = await receiver(t);
  const { base, sim, waitFor } = await doorAgent(t, [kannel()]);
  sim.setDeliveryOutcome('+15550100100', 'delivered', 20);
  sim.setDeliveryOutcome('+15550100666', 'failed', 20);
  const get = async (query: Record<string, string>) => {
    const res = await fetch(`${base}/cgi-bin/sendsms?${new URLSearchParams(query)}`);
    return [res.status, await res.text()] as const;
  };

  // As Nextcloud's two-factor gateway sends it, with a dlr-url using every escape code.
  const dlrUrl = `${dlr.url}/dlr?type=%d&to=%p&from=%P&answer=%A&time=%T&id=%I&smsc=%F&t=%t&keep=%k`;
  t.same(await get({ username: 'nextcloud', password: KEY, to: '+15550100100', from: 'Nextcloud', text: 'Your code: 4711', 'dlr-mask': '31', 'dlr-url': dlrUrl }), [202, '0: Accepted for delivery']);
  const sent = await waitFor('sms.sent', (e) => (e.data as { to: string }).to === '+15550100100');
  const id = (sent.data as { messageId: string }).messageId;
  const accepted = new URL((await dlr.next((r) => r.url.includes('type=8'))).url, dlr.url).searchParams;
  t.match(Object.fromEntries(accepted), { type: '8', to: '+15550100100', from: 'Nextcloud', answer: 'ACK/', id, smsc: /^\d+$/, keep: '%k' });
  t.match(accepted.get('time'), /^\d{10}$/);
  t.match(accepted.get('t'), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  const delivered = new URL((await dlr.next((r) => r.url.includes('type=1'))).url, dlr.url).searchParams;
  t.match(Object.fromEntries(delivered), { type: '1', to: '+15550100100', id, answer: /^ACK\// });

  // A failed delivery comes back as 2 (non-delivered), never 1; a mask without 8 gets no SMSC report.
  t.same(await get({ user: 'x', pass: KEY, to: '+15550100666', text: 'hello', 'dlr-mask': '3', 'dlr-url': `${dlr.url}/fail?d=%d&a=%A` }), [202, '0: Accepted for delivery']);
  await waitFor('sms.failed', (e) => (e.data as { to: string }).to === '+15550100666');
  const failed = new URL((await dlr.next((r) => r.url.startsWith('/fail'))).url, dlr.url).searchParams;
  t.match(Object.fromEntries(failed), { d: '2', a: /^NACK\// });
  t.equal(dlr.requests.filter((r) => r.url.startsWith('/fail')).length, 1, 'only what the mask asked for');

  // Several receivers, space-separated; a form POST; text in the request's charset.
  const res = await fetch(`${base}/cgi-bin/sendsms`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `username=a&password=${encodeURIComponent(KEY)}&to=%2B15550100101+%2B15550100102&text=caf%E9&charset=ISO-8859-1`,
  });
  t.same([res.status, await res.text()], [202, '0: Accepted for delivery']);
  const both = await Promise.all(['+15550100101', '+15550100102'].map((to) => waitFor('sms.sent', (e) => (e.data as { to: string }).to === to)));
  t.equal(both.length, 2);
  const stored = sim.sent().find((p) => p.to === '+15550100101');
  t.equal(stored?.text, 'café', 'ISO-8859-1 decoded');
  // UCS-2 in Kannel's default charset for it, UTF-16BE.
  const ucs2 = [...Buffer.from('Ω ok', 'utf16le').swap16()].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
  const ucsRes = await fetch(`${base}/cgi-bin/sendsms?username=a&password=${encodeURIComponent(KEY)}&to=%2B15550100103&coding=2&text=${ucs2}`);
  t.equal(ucsRes.status, 202);
  await waitFor('sms.sent', (e) => (e.data as { to: string }).to === '+15550100103');
  t.match(sim.sent().find((p) => p.to === '+15550100103'), { text: 'Ω ok', encoding: 'ucs2' });

  // Refusals, as Kannel words them.
  t.same(await get({ username: 'a', password: 'wrong', to: '+15550100100', text: 'x' }), [403, 'Authorization failed for sendsms']);
  t.same(await get({ username: 'a', to: '+15550100100', text: 'x' }), [403, 'Authorization failed for sendsms']);
  t.same(await get({ username: 'a', password: KEY, text: 'x' }), [400, 'Missing receiver number, rejected']);
  t.same(await get({ username: 'a', password: KEY, to: ' ', text: 'x' }), [400, 'Empty receiver number not allowed, rejected']);
  t.same(await get({ username: 'a', password: KEY, to: '+1 555-0100', text: 'x' }), [400, 'Number(s) has/have been denied by white- and/or black-lists.']);
  t.same(await get({ username: 'a', password: KEY, to: '+15550100100', text: 'x', coding: '1' }), [400, 'Coding field misformed, rejected: 8-bit messages are not supported']);
  t.same(await get({ username: 'a', password: KEY, to: '+15550100100', text: 'x', 'dlr-mask': '64' }), [400, 'DLR-Mask field misformed, rejected']);
  t.same(await get({ username: 'a', password: KEY, to: '+15550100100', text: 'x', 'dlr-url': 'ftp://x' }), [400, 'DLR-URL field misformed, rejected']);
  t.same(await get({ username: 'a', password: KEY, to: '+15550100100', text: 'x', charset: 'no-such-charset' }), [400, 'Charset or body misformed, rejected']);
  t.match(await get({ username: 'a', password: KEY, to: '+15550100100', text: '' }), [400, /^Text field misformed, rejected/]);
});
