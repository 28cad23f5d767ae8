// The real Kannel from Debian in front of the door: an application sends through Kannel's own smsbox,
// whose bearerbox forwards over an `smsc = http`, `system-type = kannel` connection to the agent's
// /cgi-bin/sendsms (the way one Kannel hands messages to another). Kannel must take the agent's
// answer as accepted, and the agent's delivery report must travel back through Kannel's own DLR
// machinery (the dlr-url it gave, with %d filled in) to the application's dlr-url as type 1.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { kannel } from '../../plugins/kannel/index.ts';
import { doorAgent, KEY, receiver } from './fixtures.ts';

const bearerbox = spawnSync('sh', ['-c', 'command -v bearerbox || ls /usr/sbin/bearerbox'], { encoding: 'utf8' }).stdout.trim().split('\n')[0];
const smsbox = bearerbox?.replace(/bearerbox$/, 'smsbox');

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

/** Retries a request until Kannel answers it (it takes a moment to start); bounded. */
async function whenUp(url: string): Promise<Response> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const res = await fetch(url).catch(() => undefined);
    if (res && res.status !== 503) return res;
    if (Date.now() > deadline) throw new Error(`Kannel did not answer ${url.replace(/password=[^&]*/, 'password=…')}`);
    await new Promise((r) => setTimeout(r, 200).unref());
  }
}

t.test('a real Kannel hands a message to the door and receives its delivery report', { skip: bearerbox ? false : 'kannel is not installed (apt-get install -y kannel; CI installs it)' }, async (t) => {
  const app = await receiver(t);
  const { base, sim, waitFor } = await doorAgent(t, [kannel()]);
  sim.setDeliveryOutcome('+15550100100', 'delivered', 20);
  const [admin, box, smscPort, sendsms] = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
  const dir = t.testdir();
  const conf = join(dir, 'kannel.conf');
  writeFileSync(conf, [
    'group = core', `admin-port = ${admin}`, 'admin-password = admin-secret', `smsbox-port = ${box}`, 'box-allow-ip = 127.0.0.1',
    'admin-allow-ip = 127.0.0.1', 'log-level = 4', 'dlr-storage = internal', '',
    'group = smsc', 'smsc = http', 'smsc-id = smsedge', 'system-type = kannel', `send-url = "${base}/cgi-bin/sendsms"`,
    'smsc-username = tool', `smsc-password = "${KEY}"`, `port = ${smscPort}`, 'connect-allow-ip = 127.0.0.1',
    `dlr-url = "http://127.0.0.1:${smscPort}/?username=tool&password=${KEY}"`, '',
    'group = smsbox', 'bearerbox-host = 127.0.0.1', `sendsms-port = ${sendsms}`, 'log-level = 4', '',
    'group = sendsms-user', 'username = app', 'password = app-secret', 'max-messages = 1', '',
  ].join('\n'));
  const procs: ChildProcess[] = [];
  const run = (bin: string) => {
    const p = spawn(bin, [conf], { cwd: dir, stdio: 'ignore' });
    procs.push(p);
    return p;
  };
  t.teardown(async () => {
    for (const p of procs.reverse()) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    }
  });
  run(bearerbox!);
  // smsbox gives up at once when bearerbox is not listening yet: start it once bearerbox answers.
  await whenUp(`http://127.0.0.1:${admin}/status?password=admin-secret`);
  run(smsbox!);

  const dlrUrl = `${app.url}/dlr?type=%d`;
  const query = new URLSearchParams({ username: 'app', password: 'app-secret', from: 'Monitor', to: '+15550100100', text: 'Disk full on nas', 'dlr-mask': '3', 'dlr-url': dlrUrl });
  const res = await whenUp(`http://127.0.0.1:${sendsms}/cgi-bin/sendsms?${query}`);
  t.equal(res.status, 202, 'Kannel queued it');
  t.match(await res.text(), /^0: Accepted for delivery/);

  const sent = await waitFor('sms.sent', (e) => (e.data as { to: string }).to === '+15550100100');
  t.ok(sent, 'Kannel handed it to the agent, which sent it');
  t.equal(sim.sent().find((p) => p.to === '+15550100100')?.text, 'Disk full on nas');
  const report = await app.next((r) => r.url.startsWith('/dlr'));
  t.equal(new URL(report.url, app.url).searchParams.get('type'), '1', "the agent's delivery report reached the application through Kannel as delivered");
});
