// `smsedge doctor` with no agent answering: it opens the ports of the config's modems itself
// (--config), says the simulator needs the running agent, names a port that cannot be opened, and
// refuses --send-to (which needs the agent) and a --modem id the config does not have.
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import { main } from '../../core/cli.ts';
import { freePort } from '../bench/proc.ts';

const root = pathToFileURL(join(import.meta.dirname, '../..')).href;

function io() {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) => new Writable({ write: (c, _e, cb) => (add(String(c)), cb()) });
  return { io: { stdin: new PassThrough(), stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)) }, out: () => out, err: () => err };
}

t.test('no agent: the configured ports are checked directly', async (t) => {
  const dir = t.testdir();
  const missing = join(dir, 'ttyUSB-none');
  const config = join(dir, 'doctor.config.ts');
  const { writeFileSync } = await import('node:fs');
  writeFileSync(config, `import { defineConfig } from '${root}/core/index.ts';
import { modem } from '${root}/plugins/modem/index.ts';
export default defineConfig({
  agentId: 'doc', dataDir: ${JSON.stringify(join(dir, 'data'))},
  plugins: [modem({ port: 'simulator' }), modem({ id: 'usb2', port: ${JSON.stringify(missing)}, baudRate: 9600 })],
});
`);
  const url = `http://127.0.0.1:${await freePort()}`;
  const common = ['--config', config, '--url', url, '--env-file', '/dev/null'];

  const both = io();
  t.equal(await main(['doctor', ...common], both.io), 1, both.err());
  t.match(both.out(), `checked through the ports of ${config} (no agent answers at ${url})`);
  t.match(both.out(), /default[\s\S]*port\s+WARN\s+the simulator: start the agent and run doctor again/);
  t.match(both.out(), new RegExp(`usb2[\\s\\S]*port\\s+FAIL\\s+cannot open ${missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: No such file or directory`));
  t.match(both.out(), /FAIL\n$/);

  const one = io();
  t.equal(await main(['doctor', '--modem', 'default', '--json', ...common], one.io), 0, one.err());
  t.match(JSON.parse(one.out()), { status: 'warn', reports: [{ modem: 'default', checks: [{ name: 'port', status: 'warn' }] }] });
  t.equal(JSON.parse(one.out()).reports.length, 1, 'only the modem asked for');

  const unknown = io();
  t.equal(await main(['doctor', '--modem', 'usb9', ...common], unknown.io), 2);
  t.match(unknown.err(), /no modem in the config \(or none with that --modem id\)/);

  const sendTo = io();
  t.equal(await main(['doctor', '--send-to', '+15550100100', ...common], sendTo.io), 2);
  t.match(sendTo.err(), /--send-to needs the running agent: no agent answers at/);
});
