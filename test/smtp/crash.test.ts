// The 250 means stored: a child agent answers swaks's mail with 250, is SIGKILLed at once, and the
// agent started again on the same data directory has every SMS the 250 named, and the thread.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { modem } from '../../plugins/modem/index.ts';
import { smtp } from '../../plugins/smtp/index.ts';
import { Threads } from '../../plugins/smtp/threads.ts';
import { root } from '../docs/markdown.ts';
import { DOMAIN, hasSwaks, queuedIds, swaks } from './fixtures.ts';

t.test('SIGKILL right after the 250 loses no SMS', async (t) => {
  if (!hasSwaks()) {
    t.plan(0, 'swaks is not installed (apt-get install swaks)');
    return;
  }
  const dir = t.testdir();
  const config = join(dir, 'agent.config.ts');
  writeFileSync(
    config,
    `import { defineConfig } from ${JSON.stringify(join(root, 'core/index.ts'))};
import { modem } from ${JSON.stringify(join(root, 'plugins/modem/index.ts'))};
import { smtp } from ${JSON.stringify(join(root, 'plugins/smtp/index.ts'))};
export default defineConfig({
  agentId: 'crash', dataDir: ${JSON.stringify(dir)}, log: { level: 'info' },
  plugins: [modem({ port: 'simulator' }), smtp({ domain: ${JSON.stringify(DOMAIN)}, port: 0, allow: ['*@example.com'] })],
});
`,
  );
  const child = spawn(process.execPath, [join(root, 'core/cli.ts'), 'start', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the agent did not say where it listens:\n${output}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString('utf8');
      const m = /"port":(\d+)[^\n]*smtp: listening|smtp: listening[^\n]*"port":(\d+)/.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1] ?? m[2]));
      }
    });
    child.stderr.on('data', (d: Buffer) => (output += d.toString('utf8')));
    child.on('exit', () => reject(new Error(`the agent exited:\n${output}`)));
  });

  const res = await swaks(port, ['--from', 'nagios@example.com', `--to=0015550100100@${DOMAIN},0015550100101@${DOMAIN}`, '--body', 'kill -9 test']);
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  t.equal(res.code, 0, res.code ? res.out : 'swaks: accepted');
  const ids = queuedIds(res.out);
  t.equal(ids.length, 2);

  const agent = createAgent(resolveConfig({ agentId: 'crash', dataDir: dir, plugins: [modem({ port: 'simulator' }), smtp({ domain: DOMAIN, port: 0, allow: ['*@example.com'] })] }), { log: silentLogger() });
  await agent.start();
  t.teardown(() => agent.stop());
  for (const id of ids) t.match(agent.use('sms').getMessage(id), { to: /^\+1555010010[01]$/, text: 'kill -9 test' }, `${id} survived`);
  t.match(new Threads(agent.store).of('+15550100100', 0), { writer: 'nagios@example.com' }, 'and the thread');
});
