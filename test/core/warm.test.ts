// The compile cache's record of which configs it was filled for (core/relaunch.ts), in-process: a
// config is warmed once, again when it, or the V8 flags, change; a config that fails to load is not
// recorded (its error is left to the agent's start); a missing file never asks for a warm-up.
// (test/core/relaunch.test.ts runs the whole relaunch, whose first images end in execve and so
// leave no coverage behind.)
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fillCompileCache, needsWarm } from '../../core/relaunch.ts';

t.test('warmed once per config content and flags; a failed load is not recorded', async (t) => {
  const dir = t.testdir({ cache: {} });
  const cache = join(dir, 'cache');
  const file = join(dir, 'agent.config.ts');
  writeFileSync(file, 'export default { plugins: [] };\n');
  const flags = process.execArgv;
  t.ok(needsWarm(cache, file, flags), 'a config never seen');

  const loaded: string[] = [];
  t.equal(await fillCompileCache(cache, { file, load: async (url) => void loaded.push(url) }), true);
  t.match(loaded, [/^file:\/\/.*agent\.config\.ts$/], 'start\'s loading was run with the file URL');
  t.notOk(needsWarm(cache, file, flags), 'the same config and flags: warm');
  t.ok(needsWarm(cache, file, [...flags, '--max-semi-space-size=1']), 'other V8 flags have a cache of their own');

  appendFileSync(file, '// edited\n');
  t.ok(needsWarm(cache, file, flags), 'an edited config is warmed again');
  const before = readFileSync(join(cache, readdirName(cache)), 'utf8');
  t.equal(await fillCompileCache(cache, { file, load: () => Promise.reject(new Error('nope is not defined')) }), false);
  t.equal(readFileSync(join(cache, readdirName(cache)), 'utf8'), before, 'a config that does not load is not recorded');
  t.ok(needsWarm(cache, file, flags));

  t.notOk(needsWarm(cache, join(dir, 'missing.config.ts'), flags), 'nothing to warm for a file that is not there');
});

/** The one record file fillCompileCache keeps in the cache directory. */
function readdirName(dir: string): string {
  const files = readdirSync(dir).filter((f) => !f.endsWith('.tmp'));
  if (files.length !== 1) throw new Error(`expected one record file in ${dir}: ${files.join(', ')}`);
  return files[0]!;
}
