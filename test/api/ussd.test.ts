import t from 'tap';
import { harness } from './fixtures/agent.ts';

const post = (json: unknown) => ({ method: 'POST', json });

t.test('POST /ussd/send answers the network reply', async (t) => {
  const h = await harness(t);
  const res = await h.request('/ussd/send', post({ code: '*100#' }));
  t.same([res.status, await res.json()], [200, { code: '*100#', response: 'Balance: 5.00', sessionOpen: false, dcs: 15 }]);
  t.same(await (await h.request('/ussd/reply', post({ text: '1' }))).json(), { code: '', response: 'you said 1', sessionOpen: false, dcs: 15 });
  t.equal((await h.request('/ussd/cancel', { method: 'POST' })).status, 204, 'cancel needs no body');
});

t.test('timeout is 504, an open session 409, a modem refusal 502, bad codes 400', async (t) => {
  const h = await harness(t);
  h.sms.ussdImpl = async () => {
    throw Object.assign(new Error('no final result within 30000 ms'), { code: 'ussd_timeout', status: 504 });
  };
  let res = await h.request('/ussd/send', post({ code: '*100#' }));
  t.same([res.status, ((await res.json()) as { error: { code: string } }).error.code], [504, 'ussd_timeout']);
  h.sms.ussdImpl = async () => {
    throw Object.assign(new Error('no USSD session is open'), { code: 'no_ussd_session', status: 409 });
  };
  res = await h.request('/ussd/send', post({ code: '*100#' }));
  t.same([res.status, ((await res.json()) as { error: { code: string } }).error.code], [409, 'no_ussd_session']);
  h.sms.ussdImpl = async () => {
    throw Object.assign(new Error('+CME ERROR: 30'), { code: 'modem_error', status: 502 });
  };
  res = await h.request('/ussd/send', post({ code: '*100#' }));
  t.same([res.status, ((await res.json()) as { error: { code: string } }).error.code], [502, 'modem_error']);
  for (const body of [{ code: '' }, { code: '*100#; rm -rf' }, { code: 100 }, { code: '*'.repeat(183) }, {}, { code: '*100#', extra: 1 }]) {
    res = await h.request('/ussd/send', post(body));
    t.equal(res.status, 400, JSON.stringify(body).slice(0, 60));
  }
  res = await h.request('/ussd/reply', post({ text: 'a\u0000b' }));
  t.equal(res.status, 400);
  for (const text of ['\ud800', '1\udfff']) {
    res = await h.request('/ussd/reply', post({ text }));
    const body = (await res.json()) as { error: { field: string } };
    t.same([res.status, body.error.field], [400, 'text'], 'a lone surrogate in the reply');
  }
  res = await h.request('/ussd/send', post({ code: '*100\ud800#' }));
  t.same([res.status, ((await res.json()) as { error: { field: string } }).error.field], [400, 'code']);
});
