// One validation for every way in (issue 32 item 15): the REST API, MQTT and the sms service itself
// (which the front-door plugins call) refuse the same requests with the same code, field and words.
import t from 'tap';
import { RequestError } from '../../core/errors.ts';
import { checkSend, MAX_PARTS } from '../../core/send.ts';
import { answer } from '../../plugins/mqtt/requests.ts';
import { harness } from '../api/fixtures/agent.ts';
import { memorySms } from '../mqtt/sms.ts';

const ok = { to: '+15550100100', text: 'hi' };

/** What MQTT's issue found accepted, and more: each refused by every way in. */
const refused: [string, Record<string, unknown>, string][] = [
  ['11 parts (REST refuses more than 10)', { ...ok, text: 'x'.repeat(160 * MAX_PARTS + 1) }, 'text'],
  ['197 parts', { ...ok, text: 'y'.repeat(153 * 197) }, 'text'],
  ['a control character in clientRef', { ...ok, clientRef: 'ref\u0007' }, 'clientRef'],
  ['a bidi override in clientRef', { ...ok, clientRef: 'abc\u202e' }, 'clientRef'],
  ['a 20-digit number', { ...ok, to: '12345678901234567890' }, 'to'],
  ['a 16-digit E.164 number', { ...ok, to: '+1234567890123456' }, 'to'],
  ['spaces in the number', { ...ok, to: '+1 555 010 0100' }, 'to'],
  ['dashes in the number', { ...ok, to: '555-0100-100' }, 'to'],
  ['letters', { ...ok, to: 'abc' }, 'to'],
  ['a TTL of 1e20', { ...ok, ttlSeconds: 1e20 }, 'ttlSeconds'],
  ['a TTL of 0', { ...ok, ttlSeconds: 0 }, 'ttlSeconds'],
  ['a fractional TTL', { ...ok, ttlSeconds: 1.5 }, 'ttlSeconds'],
  ['a validity of 1 minute', { ...ok, validityMinutes: 1 }, 'validityMinutes'],
  ['a lone surrogate', { ...ok, text: 'code \ud800' }, 'text'],
  ['an empty text', { ...ok, text: '' }, 'text'],
  ['no text', { to: ok.to }, 'text'],
  ['an unknown field', { ...ok, urgency: 'high' }, 'urgency'],
  ['a priority that is not one', { ...ok, priority: 'urgent' }, 'priority'],
  ['a sendAt without an offset', { ...ok, sendAt: '2026-03-01T10:00:00' }, 'sendAt'],
  ['a sendAt on a day that does not exist', { ...ok, sendAt: '2026-02-30T10:00:00Z' }, 'sendAt'],
  ['an ftp callback', { ...ok, callbackUrl: 'ftp://example.com/x' }, 'callbackUrl'],
  ['a bad encoding', { ...ok, encoding: 'latin1' }, 'encoding'],
  ['gsm7 for Chinese', { ...ok, text: '中文', encoding: 'gsm7' }, 'text'],
  ['a bad modem id', { ...ok, modem: '../x' }, 'modem'],
];

const VALIBOT = /Expected|received|Invalid (type|key|length|value)/;

t.test('checkSend (the sms service and the front doors) refuses each, naming the field in plain words', async (t) => {
  t.same(checkSend(ok), ok);
  for (const [why, request, field] of refused) {
    const error = t.throws(() => checkSend(request), why) as RequestError;
    t.type(error, RequestError);
    t.match(error, { code: 'invalid_request', status: 400, field }, why);
    t.ok(error.message.startsWith(`${field}: `), `${why}: "${error.message}" names the field`);
    t.notMatch(error.message, VALIBOT, `${why}: no validator wording`);
  }
  t.match(t.throws(() => checkSend({ ...ok, to: '555 0100' })), { message: 'to: not a phone number (digits only, with an optional leading +; at most 15 digits)' });
  t.match(t.throws(() => checkSend(null)), { code: 'invalid_request' });
});

t.test('REST and MQTT give the same answer as checkSend to every one of them', async (t) => {
  const h = await harness(t);
  const sms = memorySms();
  for (const [why, request, field] of refused) {
    const expected = (() => {
      try {
        checkSend(request);
      } catch (e) {
        return { code: (e as RequestError).code, field: (e as RequestError).field, message: (e as RequestError).message };
      }
    })();
    const res = await h.request('/sms/send', { method: 'POST', json: request });
    t.equal(res.status, 400, `REST: ${why}`);
    const rest = ((await res.json()) as { error: Record<string, unknown> }).error;
    t.same({ code: rest.code, field: rest.field, message: rest.message }, expected, `REST: ${why}`);
    const mqtt = await answer('send', JSON.stringify({ transaction: why, ...request }), { agentId: 'pi', sms: sms.service });
    t.same(mqtt, { transaction: why, agentId: 'pi', status: 'error', error: { ...expected, field } }, `MQTT: ${why}`);
  }
  t.equal(sms.sent.length, 0, 'MQTT queued none of them');
  t.same(h.sms.sent, [], 'REST queued none of them');
  // An array of recipients names the one at fault.
  const res = await h.request('/sms/send', { method: 'POST', json: { to: ['+15550100100', '555-0100'], text: 'x' } });
  t.match(await res.json(), { error: { code: 'invalid_request', field: 'to.1', message: 'to.1: not a phone number (digits only, with an optional leading +; at most 15 digits)' } });
});

t.test('invalid UTF-8 is refused (400 on REST, an error on MQTT), never sent as U+FFFD', async (t) => {
  const h = await harness(t);
  const sms = memorySms();
  const json = Buffer.from('{"to":"+15550100100","text":"code \xff\xfe 42"}', 'latin1');
  for (const body of [json, Buffer.from([0x7b, 0x22, 0x74, 0x6f, 0x22, 0x3a, 0xc3, 0x28, 0x7d]), Buffer.from('{"to":"+15550100100","text":"\xed\xa0\x80"}', 'latin1')]) {
    const res = await h.request('/sms/send', { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    t.equal(res.status, 400);
    t.match(await res.json(), { error: { code: 'invalid_body', message: /not valid UTF-8/ } });
    t.match(await answer('send', body, { agentId: 'pi', sms: sms.service }), { status: 'error', error: { code: 'invalid_json', message: /not valid UTF-8/ } });
  }
  t.same(h.sms.sent, []);
  t.equal(sms.sent.length, 0);
  // Well-formed UTF-8 beyond ASCII still goes through.
  const good = await h.request('/sms/send', { method: 'POST', body: Buffer.from('{"to":"+15550100100","text":"Grüße € 👍"}', 'utf8'), headers: { 'content-type': 'application/json' } });
  t.equal(good.status, 202);
  t.equal((h.sms.sent as { text: string }[])[0]!.text, 'Grüße € 👍');
});
