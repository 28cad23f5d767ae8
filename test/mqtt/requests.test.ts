import t from 'tap';
import { answer } from '../../plugins/mqtt/requests.ts';
import { memorySms } from './sms.ts';

const ctx = () => {
  const sms = memorySms();
  return { sms, ctx: { agentId: 'pi', sms: sms.service } };
};

t.test('a valid send is enqueued and answered ok with its id, transaction echoed', async (t) => {
  const { sms, ctx: c } = ctx();
  const r = await answer('send', JSON.stringify({ transaction: 'tx-1', to: '+15550100100', text: 'hi', clientRef: 'r1' }), c);
  t.match(r, { transaction: 'tx-1', agentId: 'pi', status: 'ok', data: { id: String, status: 'queued', to: '+15550100100' } });
  t.equal(sms.sent.length, 1);
  t.same(sms.sent[0], { to: '+15550100100', text: 'hi', clientRef: 'r1', id: sms.sent[0]!.id }, 'the transaction is not passed on');
});

t.test('bad requests get an error answer, never a throw', async (t) => {
  const { sms, ctx: c } = ctx();
  t.same(await answer('send', '{not json', c), { agentId: 'pi', status: 'error', error: { code: 'invalid_json', message: 'the request is not valid JSON' } });
  t.match(await answer('send', '[1,2]', c), { status: 'error', error: { code: 'invalid_request' } });
  t.match(await answer('send', 'null', c), { status: 'error', error: { code: 'invalid_request' } });
  t.match(await answer('send', JSON.stringify({ transaction: 7, text: 'x' }), c), {
    transaction: 7,
    status: 'error',
    error: { code: 'invalid_request', field: 'to', message: /^to: / },
  });
  t.match(await answer('send', JSON.stringify({ transaction: 8, to: '+15550100100', text: 5 }), c), { transaction: 8, error: { field: 'text', message: 'text: must be text' } });
  t.match(await answer('send', JSON.stringify({ to: '+15550100100', text: 'x', callbackUrl: 'not a url' }), c), { error: { field: 'callbackUrl' } });
  t.match(await answer('send', JSON.stringify({ transaction: { nested: 1 }, to: 'x', text: 'y' }), c), { status: 'error' });
  t.match(await answer('send', JSON.stringify({ transaction: 9, to: 'abc', text: 'y' }), c), {
    transaction: 9,
    error: { code: 'invalid_request', field: 'to', message: 'to: not a phone number (digits only, with an optional leading +; at most 15 digits)' },
  }, 'the same words as the REST API');
  t.match(await answer('send', JSON.stringify({ transaction: 11, to: '+15550100100', text: 'code \ud800' }), c), { transaction: 11, error: { code: 'invalid_request', field: 'text' } }, 'a lone surrogate');
  t.match(await answer('send', JSON.stringify({ to: '+15550100100', text: 'x', clientRef: '\udc00' }), c), { error: { field: 'clientRef' } });
  t.match(await answer('reboot', JSON.stringify({ transaction: 10 }), c), { transaction: 10, error: { code: 'unknown_request' } });
  t.equal(sms.sent.length, 0);
});

t.test('ussd answers with the network response, or the service error', async (t) => {
  const { ctx: c } = ctx();
  t.match(await answer('ussd', JSON.stringify({ transaction: 1, code: '*100#' }), c), {
    transaction: 1,
    status: 'ok',
    data: { code: '*100#', response: 'Balance: 5.00', sessionOpen: false },
  });
  t.match(await answer('ussd', JSON.stringify({ code: '*999#' }), c), { status: 'error', error: { code: 'modem_error' } });
  t.match(await answer('ussd', JSON.stringify({ code: 'rm -rf' }), c), { status: 'error', error: { code: 'invalid_request', field: 'code' } });
});

t.test('without a modem plugin the answer is sms_unavailable', async (t) => {
  t.match(await answer('send', JSON.stringify({ transaction: 'a', to: '+15550100100', text: 'x' }), { agentId: 'pi', sms: undefined }), {
    transaction: 'a',
    status: 'error',
    error: { code: 'sms_unavailable' },
  });
  t.match(await answer('ussd', JSON.stringify({ code: '*100#' }), { agentId: 'pi', sms: undefined }), { error: { code: 'sms_unavailable' } });
});
