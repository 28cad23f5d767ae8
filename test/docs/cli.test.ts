// The README's command table names every `smsedge` subcommand (the core's and the simulator's).
import t from 'tap';
import { loadCommands } from '../../core/cli.ts';
import { read } from './markdown.ts';

t.test('the README names every smsedge subcommand', async (t) => {
  const commands = await loadCommands({ simulator: true });
  t.ok(commands.has('start') && commands.has('simulate'), 'the core\'s and the simulator\'s commands are loaded');
  const readme = read('README.md');
  for (const name of commands.keys()) t.match(readme, new RegExp(`\`smsedge ${name}\\b`), `README.md's command table names smsedge ${name}`);
});
