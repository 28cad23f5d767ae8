// docs/recipes.md "E-mail to SMS for a monitoring system" runs as written: its config loaded as an
// agent.config.ts is (only the modem's device becomes the simulator and the SMTP port a free one,
// so tests run beside each other), and its swaks notification command run by bash.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { loadConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { exampleFiles, read } from '../docs/markdown.ts';
import { hasSwaks, queuedIds } from './fixtures.ts';
// What `smsedge start` does first: `smsedge` and `smsedge/plugins/<name>` resolve to this checkout.
import '../../core/cli.ts';

t.test('recipe: e-mail to SMS for a monitoring system', async (t) => {
  if (!hasSwaks()) {
    t.plan(0, "swaks is not installed (apt-get install swaks): the recipe's command is not run");
    return;
  }
  const files = exampleFiles(read('docs/recipes.md'));
  const config = files.get('email-to-sms.config.ts');
  const notify = files.get('notify.sh');
  t.ok(config && notify, 'the recipe gives a config and a command');
  const dir = t.testdir();
  const adapted = config!.replace(`port: '/dev/ttyUSB2'`, `port: 'simulator'`).replace(`domain: 'sms.example.com',`, `port: 0, domain: 'sms.example.com',`);
  t.not(adapted, config, 'the device and the port were found in the recipe');
  writeFileSync(join(dir, 'agent.config.ts'), adapted);
  const agent = createAgent(await loadConfig(join(dir, 'agent.config.ts'), { SMSEDGE_DATA_DIR: dir }), { log: silentLogger() });
  await agent.start();
  t.teardown(() => agent.stop());
  const port = agent.use('smtp').address().port;

  const script = notify!.replace('127.0.0.1:2525', `127.0.0.1:${port}`);
  t.not(script, notify, 'the server address was found in the command');
  const out = await new Promise<string>((resolve, reject) =>
    execFile('bash', ['-c', script], { timeout: 30_000 }, (error, stdout) => (error ? reject(new Error(`${error.message}\n${stdout}`)) : resolve(stdout))),
  );
  const [id] = queuedIds(out);
  t.match(agent.use('sms').getMessage(id!), { to: '+4917612345678', text: 'PROBLEM web1 is DOWN\nCRITICAL - Host Unreachable (10.0.0.5)' });

  // "Other senders get 550."
  const other = await new Promise<string>((resolve) =>
    execFile('bash', ['-c', script.replace('--from nagios@monitor.example.com', '--from someone@example.org')], { timeout: 30_000 }, (_e, stdout) => resolve(stdout)),
  );
  t.match(other, /<\*\* 550 5\.7\.1/);
});
