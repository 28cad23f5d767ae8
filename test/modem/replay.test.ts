import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { main } from '../../core/cli.ts';
import { ofType, startRig } from './helpers.ts';

function io() {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  return { io: { stdin: new PassThrough(), stdout: out, stderr: err }, text: () => ({ stdout, stderr }) };
}

t.test('a trace recorded on the simulator replays against the plugin; a changed write is an error naming the line', async (t) => {
  const dir = t.testdir();
  const trace = join(dir, 'trace.txt');
  process.env.SMSEDGE_TRACE_PIN = '1357';
  const rig = await startRig(t, { trace, pinEnv: 'SMSEDGE_TRACE_PIN', simulator: { pin: '1357', inbox: [{ from: '+15550600600', text: 'traced', timestamp: '2026-03-01T09:00:00Z' }] } });
  await rig.until(() => ofType(rig.events, 'sms.received').length === 1, 'received');
  await rig.stop();
  const recorded = readFileSync(trace, 'utf8');
  t.match(recorded, /^> AT\+CPIN="\*\*\*"$/m, 'PIN redacted as the replay wildcard');
  t.notMatch(recorded, /1357/);
  t.match(recorded, /^> AT\+CMGL=4$/m);

  const ok = io();
  t.equal(await main(['replay', trace], ok.io), 0, ok.text().stderr);
  t.match(ok.text().stdout, /every host write matched/);

  const broken = join(dir, 'broken.txt');
  writeFileSync(broken, recorded.replace('> AT+CMGF=0', '> AT+CMGF=1'));
  const bad = io();
  t.equal(await main(['replay', broken, '--timeout', '5'], bad.io), 1);
  t.match(bad.text().stderr, /line \d+/);
});
