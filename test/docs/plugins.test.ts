// The plugin author's guide's example runs as written: its files are taken from docs/plugins.md,
// loaded as an agent.config.ts would be (importing `smsedge`), and the plugin writes what it says.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { loadConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { received } from '../fixtures/events.ts';
import { waitFor } from '../file/wait.ts';
import { exampleFiles, read } from './markdown.ts';
// What `smsedge start` does first: `smsedge` and `smsedge/plugins/<name>` resolve to this checkout.
import '../../core/cli.ts';

t.test('the example in docs/plugins.md runs as written', async (t) => {
  const files = exampleFiles(read('docs/plugins.md'));
  t.same([...files.keys()].sort(), ['agent.config.ts', 'text-log.ts'], 'the guide gives a plugin and the config that uses it');
  const dir = t.testdir();
  for (const [name, text] of files) writeFileSync(join(dir, name), text);
  const config = await loadConfig(join(dir, 'agent.config.ts'), { SMSEDGE_DATA_DIR: dir });
  t.same(config.plugins.map((p) => p.name), ['modem', 'text-log']);
  const agent = createAgent(config, { log: silentLogger() });
  await agent.start();
  t.teardown(() => agent.stop());

  const event = agent.journal.append('sms.received', received(1));
  const file = join(dir, 'events.txt');
  await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').includes(event.id), 'the event in events.txt');
  t.match(readFileSync(file, 'utf8'), new RegExp(`^\\S+ sms\\.received ${event.id}$`, 'm'));
  const health = await agent.health();
  t.equal(health.plugins['text-log']?.status, 'pass');
  t.ok(Number(health.plugins['text-log']?.written) >= 1, 'its health counts what it wrote');
});
