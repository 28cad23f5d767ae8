// `smsedge send` and `smsedge status` against a running agent's REST API.
import { PassThrough, Writable } from 'node:stream';
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { main } from '../../core/cli.ts';
import { ManualClock } from '../../core/clock.ts';
import { formatStatus } from '../../core/commands/status.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { freePort } from '../bench/proc.ts';

const KEY = 'remote-test-key-0123456789abcdef';

function io() {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) => new Writable({ write: (c, _e, cb) => (add(String(c)), cb()) });
  return { io: { stdin: new PassThrough(), stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)) }, out: () => out, err: () => err };
}

t.test('send and status talk to the running agent with its key', async (t) => {
  const port = await freePort();
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  process.env.SMSEDGE_REMOTE_TEST_KEY = KEY;
  const config = resolveConfig({ agentId: 'remote', dataDir: t.testdir(), plugins: [modem({ port: 'simulator' }), api({ port, apiKeyEnv: 'SMSEDGE_REMOTE_TEST_KEY' })] });
  const agent = createAgent(config, { clock, log: silentLogger() });
  await agent.start();
  t.teardown(() => agent.stop());
  for (let i = 0; i < 2000 && agent.use('sms').modems()[0]!.state !== 'online'; i++) await clock.advance(50);
  const url = `http://127.0.0.1:${port}`;
  const common = ['--url', url, '--key-env', 'SMSEDGE_REMOTE_TEST_KEY', '--env-file', '/dev/null'];

  const status = io();
  t.equal(await main(['status', ...common], status.io), 0, status.err());
  t.match(status.out(), /^agent\s+remote\s+pass\s+v\d+\.\d+\.\d+/);
  t.match(status.out(), /modem\s+default\s+online\s+smsedge sim, -\d+ dBm/);
  t.match(status.out(), /queue\s+0 to send/);

  const sent = io();
  t.equal(await main(['send', '--to', '+15550100100', '--text', 'hello from the shell', ...common], sent.io), 0, sent.err());
  t.match(sent.out(), /^queued: \S+\n$/);
  const id = /: (\S+)/.exec(sent.out())![1]!;
  t.ok(agent.use('sms').listMessages({ direction: 'outbound', limit: 10 }).some((m) => m.id === id), 'the message is in the outbox');

  const bad = io();
  t.equal(await main(['send', '--to', 'not-a-number', '--text', 'x', ...common], bad.io), 1);
  t.match(bad.err(), /smsedge send: to: .*\(400 /);

  const noKey = io();
  t.equal(await main(['send', '--to', '+15550100100', '--text', 'x', '--url', url, '--key-env', 'SMSEDGE_NO_SUCH_KEY', '--env-file', '/dev/null'], noKey.io), 1);
  t.match(noKey.err(), /\(401 /);

  const usage = io();
  t.equal(await main(['send', '--text', 'x', ...common], usage.io), 2);
  t.match(usage.err(), /--to is required/);
});

t.test('nothing listening: a plain message and exit 1', async (t) => {
  const port = await freePort();
  const r = io();
  t.equal(await main(['status', '--url', `http://127.0.0.1:${port}`, '--env-file', '/dev/null'], r.io), 1);
  t.match(r.err(), new RegExp(`smsedge status: no agent answers at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\): is it running\\?`));
});

t.test('the status table says why a modem is offline and which plugins are not passing', async (t) => {
  const text = formatStatus({
    status: 'fail', agentId: 'pi', version: '1.2.3', uptimeSeconds: 3 * 3600 + 120,
    modems: [{ id: 'default', state: 'offline', reason: 'cannot open /dev/ttyUSB2: No such file or directory', operator: null, signalDbm: null, registration: null, sim: null, model: null, imei: null, simulator: false, resets: 0 }],
    queue: { outbound: 2 }, webhookBacklog: 5, plugins: { modem: { status: 'fail' }, api: { status: 'pass' } },
  });
  t.match(text, /agent\s+pi\s+fail\s+v1\.2\.3\s+up 3h 2m/);
  t.match(text, /modem\s+default\s+offline\s+cannot open \/dev\/ttyUSB2: No such file or directory/);
  t.match(text, /queue\s+2 to send\s+5 webhook backlog/);
  t.match(text, /plugin\s+modem\s+fail/);
  t.notMatch(text, /plugin\s+api/);
});
