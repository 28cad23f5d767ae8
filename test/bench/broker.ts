// A Mosquitto broker on a free loopback port, so the bench's "every plugin" agent includes mqtt.
// Undefined when mosquitto is not installed (the sections then say mqtt was not included).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, until } from './proc.ts';

export interface Broker {
  url: string;
  stop(): Promise<void>;
}

function mosquitto(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' }).stdout.trim();
  return which || ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto'].find((p) => existsSync(p));
}

export async function startBroker(): Promise<Broker | undefined> {
  const bin = mosquitto();
  if (!bin) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-broker-'));
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const proc = spawn(bin, ['-c', conf], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await until(
    () =>
      new Promise<boolean>((resolve) => {
        const s = createConnection({ port, host: '127.0.0.1' }, () => (s.destroy(), resolve(true)));
        s.once('error', () => resolve(false));
      }),
    'mosquitto to listen',
    { timeoutMs: 10_000, everyMs: 20 },
  );
  return {
    url: `mqtt://127.0.0.1:${port}`,
    async stop() {
      proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
