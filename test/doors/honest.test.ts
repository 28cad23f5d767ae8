// Honest errors when nothing can be sent: with no modem plugin running, every door refuses the send
// in its own API's words (never a 200/202 "queued"), and SMS Gateway's health says fail.
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { api } from '../../plugins/api/index.ts';
import { httpsms } from '../../plugins/httpsms/index.ts';
import { kannel } from '../../plugins/kannel/index.ts';
import { smsgate } from '../../plugins/smsgate/index.ts';
import { twilio } from '../../plugins/twilio/index.ts';
import { KEY, KEY_ENV } from './fixtures.ts';

const ACCOUNT = `AC${'a'.repeat(32)}`;

t.test('no modem: each door says so in its own words', async (t) => {
  const agent = createAgent(
    resolveConfig({ agentId: 'honest', dataDir: t.testdir(), plugins: [api({ port: 0, apiKeyEnv: KEY_ENV }), smsgate(), httpsms(), kannel(), twilio({ accountSid: ACCOUNT })] }),
    { log: silentLogger() },
  );
  await agent.start();
  t.teardown(() => agent.stop());
  const base = agent.use('api').urls()[0]!;
  const basic = (user: string) => `Basic ${Buffer.from(`${user}:${KEY}`).toString('base64')}`;

  let res = await fetch(`${base}/3rdparty/v1/message`, {
    method: 'POST', headers: { authorization: basic('u'), 'content-type': 'application/json' }, body: JSON.stringify({ message: 'hi', phoneNumbers: ['+15550100100'] }),
  });
  t.same([res.status, await res.json()], [503, { message: 'no modem plugin is running' }], 'SMS Gateway');

  res = await fetch(`${base}/v1/messages/send`, {
    method: 'POST', headers: { 'x-api-key': KEY, 'content-type': 'application/json' }, body: JSON.stringify({ from: '+15550100000', to: '+15550100100', content: 'hi' }),
  });
  t.match([res.status, await res.json()], [503, { status: 'error', message: /internal error/ }], 'httpSMS');

  res = await fetch(`${base}/cgi-bin/sendsms?username=u&password=${KEY}&to=%2B15550100100&text=hi`);
  t.same([res.status, await res.text()], [503, 'Sending failed.'], 'Kannel');

  res = await fetch(`${base}/2010-04-01/Accounts/${ACCOUNT}/Messages.json`, {
    method: 'POST', headers: { authorization: basic(ACCOUNT), 'content-type': 'application/x-www-form-urlencoded' }, body: 'To=%2B15550100100&From=%2B15550100000&Body=hi',
  });
  t.match([res.status, await res.json()], [503, { code: 20503, status: 503 }], 'Twilio');

  res = await fetch(`${base}/3rdparty/v1/health`);
  t.match([res.status, await res.json()], [503, { status: 'fail', checks: { 'modems:online': { status: 'fail', observedValue: 0 } } }], 'health fails');

  // Twilio's credentials are the account SID and the key; the key under another user name is not enough.
  res = await fetch(`${base}/2010-04-01/Accounts/${ACCOUNT}/Messages.json`, { headers: { authorization: basic('someone') } });
  t.match([res.status, await res.json()], [401, { code: 20003 }]);
  // A form POST to Kannel with the password in the body, and a body of another type.
  res = await fetch(`${base}/cgi-bin/sendsms`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=u&password=wrong&to=1&text=x' });
  t.same([res.status, await res.text()], [403, 'Authorization failed for sendsms']);
  res = await fetch(`${base}/cgi-bin/sendsms?username=u&password=${KEY}`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'hello' });
  t.same([res.status, await res.text()], [400, 'Invalid content-type']);
});
