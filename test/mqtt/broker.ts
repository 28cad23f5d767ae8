import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { waitFor } from '../file/wait.ts';

/** The mosquitto binary, or undefined when it is not installed (Debian puts it in /usr/sbin). */
export function findMosquitto(): string | undefined {
  const which = spawnSync('sh', ['-c', 'command -v mosquitto'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  if (which.status === 0 && found) return found;
  return ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/opt/homebrew/sbin/mosquitto'].find((p) => existsSync(p));
}

/** Why MQTT tests are skipped, or false when they can run. */
export function skipReason(): string | false {
  return findMosquitto() ? false : 'mosquitto is not installed (apt-get install -y mosquitto; CI installs it)';
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface Broker {
  port: number;
  url: string;
  /** Stops the broker (SIGTERM: it saves its persistence file) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port, with the sessions and retained messages it saved. */
  start(): Promise<void>;
}

/**
 * A real Mosquitto on a free port of 127.0.0.1, anonymous, with persistence in `dir` so that a
 * stop/start keeps retained messages and persistent subscribers' queues, as a production broker would.
 *
 * @example
 * const broker = await startBroker(t.testdir());
 * t.teardown(() => broker.stop());
 */
export async function startBroker(dir: string, options: { users?: Record<string, string> } = {}): Promise<Broker> {
  const bin = findMosquitto();
  if (!bin) throw new Error('mosquitto is not installed');
  const port = await freePort();
  mkdirSync(dir, { recursive: true });
  const conf = join(dir, 'mosquitto.conf');
  const auth = ['allow_anonymous true'];
  if (options.users) {
    // mosquitto_passwd (same package) writes the hashed password file.
    const file = join(dir, 'passwd');
    writeFileSync(file, '');
    for (const [user, password] of Object.entries(options.users)) {
      const r = spawnSync(join(dirname(bin), '..', 'bin', 'mosquitto_passwd'), ['-b', file, user, password], { encoding: 'utf8' });
      const fallback = r.error ? spawnSync('mosquitto_passwd', ['-b', file, user, password], { encoding: 'utf8' }) : r;
      if (fallback.status !== 0) throw new Error(`mosquitto_passwd failed: ${fallback.stderr ?? fallback.error}`);
    }
    auth.splice(0, 1, 'allow_anonymous false', `password_file ${file}`);
  }
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      // As root, mosquitto would switch to the `mosquitto` user, which cannot read this private temp dir.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      ...auth,
      'persistence true',
      `persistence_location ${dir}/`,
      'log_dest stderr',
      'log_type error',
      'max_queued_messages 10000',
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let stderr = '';
  const start = async () => {
    stderr = '';
    const c = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    c.stderr!.on('data', (d) => (stderr += String(d)));
    let exited = false;
    c.once('exit', () => (exited = true));
    await waitFor(async () => {
      if (exited) throw new Error(`mosquitto exited: ${stderr.trim()}`);
      return accepts(port);
    }, `mosquitto to accept on ${port}`);
  };
  const stop = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    await exited;
  };
  await start();
  return { port, url: `mqtt://127.0.0.1:${port}`, stop, start };
}
