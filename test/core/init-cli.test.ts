// `smsedge init` through the CLI's dispatch, with nothing that answers: the probed port is listed
// with the reason, it exits 1 in plain words, and writes neither the env file nor the config.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import t from 'tap';
import { main } from '../../core/cli.ts';

function io() {
  let out = '';
  let err = '';
  const sink = (add: (s: string) => void) => new Writable({ write: (c, _e, cb) => (add(String(c)), cb()) });
  return { io: { stdin: new PassThrough(), stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)) }, out: () => out, err: () => err };
}

t.test('no port answers: exit 1, the reason per port, nothing written', async (t) => {
  const dir = t.testdir();
  const port = join(dir, 'ttyUSB-none');
  const config = join(dir, 'etc', 'agent.config.ts');
  const env = join(dir, 'etc', 'env');
  const r = io();
  t.equal(await main(['init', '--yes', '--port', port, '--config', config, '--env', env, '--timeout', '300'], r.io), 1);
  t.match(r.out(), `Probing 1 port (AT, AT+CGMM, AT+CPIN?, 300 ms each):`);
  t.match(r.out(), new RegExp(`1\\. ${port.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*No such file or directory`));
  t.match(r.err(), 'smsedge init: no port answered AT (wrong port, baud rate, or another program holds it)');
  t.notOk(existsSync(env), 'no env file');
  t.notOk(existsSync(config), 'no config');
});

t.test('an unknown option is a usage error naming it', async (t) => {
  const r = io();
  t.equal(await main(['init', '--yes', '--prot', '/dev/ttyUSB0'], r.io), 2);
  t.match(r.err(), /--prot/);
});
