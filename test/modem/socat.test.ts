import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import type { AnyEvent } from '../../core/events.ts';
import { silentLogger } from '../../core/log.ts';
import { modem } from '../../plugins/modem/index.ts';

const hasSocat = spawnSync('socat', ['-V']).status === 0;
const cli = fileURLToPath(new URL('../../core/cli.ts', import.meta.url));

/** Resolves when `cond` holds, polling on real I/O (no sleeping for a fixed time). */
function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      if (cond()) return resolve();
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setImmediate(tick);
    };
    tick();
  });
}

t.test('the agent over socat\'s pseudo-terminal with the real serialport binding', { skip: hasSocat ? false : 'socat is not installed (apt-get install -y socat)' }, async (t) => {
  const dir = t.testdir();
  const link = join(dir, 'ttySIM');
  const inbox = join(dir, 'inbox.json');
  writeFileSync(inbox, JSON.stringify([{ from: '+15550700700', text: 'over a real tty' }]));
  const socat = spawn('socat', [`PTY,link=${link},raw,echo=0`, `EXEC:"${process.execPath} ${cli} simulate --stdio --timing off --inbox ${inbox}"`], { stdio: 'ignore' });
  t.teardown(() => socat.kill('SIGTERM'));
  await until(() => existsSync(link), 10_000, 'the pty link');
  const agent = createAgent(resolveConfig({ agentId: 'socat', dataDir: dir, plugins: [modem({ port: link, healthIntervalSeconds: 3600 })] }), { log: silentLogger() });
  const events: AnyEvent[] = [];
  await agent.start();
  t.teardown(() => agent.stop());
  agent.journal.listen((e) => events.push(e));
  await until(() => events.some((e) => e.type === 'sms.received'), 20_000, 'the stored SMS');
  const received = events.find((e) => e.type === 'sms.received')!;
  t.match(received.data, { from: '+15550700700', text: 'over a real tty' });
  t.match(agent.use('sms').modems()[0], { state: 'online', simulator: false });
  agent.use('sms').send({ to: '+15550700701', text: 'sent through the pty', deliveryReport: false });
  await until(() => events.some((e) => e.type === 'sms.sent'), 20_000, 'sms.sent');
  t.pass('sent');
});
