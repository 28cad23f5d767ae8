// The Python receiver in docs/webhooks.md verifies what the agent really sends: it accepts a signed
// delivery and prints the event, and refuses a request whose signature does not match.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { harness, SECRET, until } from '../webhook/helpers.ts';
import { exampleFiles, read } from './markdown.ts';

const python = spawnSync('python3', ['--version']).status === 0;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

t.test('the Python receiver in docs/webhooks.md verifies the agent\'s deliveries', { skip: python ? false : 'python3 is not installed' }, async (t) => {
  const script = exampleFiles(read('docs/webhooks.md')).get('receiver.py');
  t.ok(script, 'docs/webhooks.md has the receiver');
  const dir = t.testdir();
  writeFileSync(join(dir, 'receiver.py'), script!);
  const port = await freePort();
  const child = spawn('python3', ['-u', join(dir, 'receiver.py')], { env: { ...process.env, WEBHOOK_SECRET: SECRET, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => void child.kill());
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  const url = `http://127.0.0.1:${port}/sms`;
  await until(async () => fetch(url, { method: 'POST', body: '{}' }).then(() => true, () => false), 'the receiver listening', 10_000);

  const forged = await fetch(url, {
    method: 'POST',
    headers: { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,AAAA' },
    body: '{"type":"sms.received","id":"forged"}',
  });
  t.equal(forged.status, 401, 'a forged request is refused');

  const h = await harness(t);
  h.service.create({ url, secret: SECRET, events: ['sms.received'] });
  const id = h.receive('your code is 123456');
  await until(() => out.includes(id), 'the receiver printing the event', 10_000);
  t.match(out, new RegExp(`^sms\\.received ${id}$`, 'm'), 'it verified the delivery and printed the event');
  t.notMatch(out, /forged/);
  await h.service.settled();
  t.match(h.service.deliveries({}).items[0], { status: 'delivered', lastStatus: 204 });
});
