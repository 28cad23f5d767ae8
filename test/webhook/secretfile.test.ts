import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { SECRET_FILE, SecretFileError, verifyWebhook } from '../../plugins/webhook/index.ts';
import { isStandardSecret } from '../../plugins/webhook/secret.ts';
import { loadOrCreateSecret } from '../../plugins/webhook/secretfile.ts';
import { harness, receiver, until } from './helpers.ts';

t.test('secret file: made once (whsec_ + 32 bytes, mode 0600), then reused', async (t) => {
  const path = join(t.testdir(), SECRET_FILE);
  const first = loadOrCreateSecret(path);
  t.ok(first.created);
  t.ok(isStandardSecret(first.secret));
  t.equal(Buffer.from(first.secret.slice('whsec_'.length), 'base64').length, 32);
  t.equal(statSync(path).mode & 0o777, 0o600);
  t.equal(readFileSync(path, 'utf8').trim(), first.secret);
  const again = loadOrCreateSecret(path);
  t.same(again, { secret: first.secret, created: false });
});

t.test('secret file: loose permissions are tightened; a malformed one is an error, never replaced', async (t) => {
  const dir = t.testdir();
  const path = join(dir, SECRET_FILE);
  const { secret } = loadOrCreateSecret(path);
  chmodSync(path, 0o644);
  t.equal(loadOrCreateSecret(path).secret, secret);
  t.equal(statSync(path).mode & 0o777, 0o600);
  writeFileSync(path, 'not a secret\n');
  const error = t.throws(() => loadOrCreateSecret(path)) as SecretFileError;
  t.ok(error instanceof SecretFileError);
  t.equal(error.code, 'secret_file');
  t.equal(error.path, path);
  t.notMatch(error.message, /not a secret/, 'the content is never quoted');
  t.equal(readFileSync(path, 'utf8'), 'not a secret\n', 'left as it was');
});

t.test('without SMSEDGE_WEBHOOK_SECRET, /sms/subscribe deliveries are signed with the stored secret; its value is never logged', async (t) => {
  const saved = process.env.SMSEDGE_WEBHOOK_SECRET;
  delete process.env.SMSEDGE_WEBHOOK_SECRET;
  t.teardown(() => {
    if (saved !== undefined) process.env.SMSEDGE_WEBHOOK_SECRET = saved;
  });
  const r = await receiver(t);
  const h = await harness(t, { defaultSecret: undefined });
  const path = join(h.dir, SECRET_FILE);
  const secret = readFileSync(path, 'utf8').trim();
  t.equal(statSync(path).mode & 0o777, 0o600);
  h.service.subscribe(r.url);
  h.receive('signed please');
  await r.waitFor(1);
  const got = r.received[0]!;
  t.ok(got.headers['x-callstack-signature'], 'signed');
  const event = (await verifyWebhook('callstack', secret, new Headers(got.headers as Record<string, string>), got.body)) as { body: string };
  t.equal(event.body, 'signed please', 'verifies with the secret from the file');

  const health = await h.agent.health();
  t.equal(health.plugins.webhook!.status, 'pass', 'no health warning for it');
  t.equal(health.plugins.webhook!.defaultSecret, 'file');
  const logs = h.logs.join('');
  t.match(logs, path, 'the file path is logged');
  t.notMatch(logs, secret.slice('whsec_'.length, 30), 'the value is not');

  await h.restart();
  t.equal(readFileSync(path, 'utf8').trim(), secret, 'the same secret after a restart');
  h.receive('again');
  await until(() => r.received.length >= 2, 'second delivery');
  const second = r.received[1]!;
  await verifyWebhook('callstack', secret, new Headers(second.headers as Record<string, string>), second.body);
  t.pass('still verifies after the restart');
});

t.test('a configured secret wins: no file is made', async (t) => {
  const h = await harness(t);
  t.throws(() => statSync(join(h.dir, SECRET_FILE)), { code: 'ENOENT' });
  t.equal((await h.agent.health()).plugins.webhook!.defaultSecret, 'set');
});
