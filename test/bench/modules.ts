// Where the agent's idle RSS goes, module by module: one fresh child process imports the modules
// below in order (each on top of the previous ones, as the agent loads them) and reports the RSS and
// V8 heap added by each, after a full GC. Run it twice: the first run fills the compile cache, the
// second shows what a restarted agent pays (no TypeScript stripper, see core/relaunch.ts).
//   npx node test/bench/modules.ts [module ...]
import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compileCacheDir } from '../../core/relaunch.ts';
import { root } from './agent.ts';

const defaults = [
  'node:http', 'pino', 'valibot', 'uuid', './core/index.ts',
  'serialport', 'cockatiel', './plugins/modem/index.ts',
  'h3', 'listhen', './plugins/api/index.ts',
  'ofetch', 'jose', './plugins/webhook/index.ts',
  './plugins/file/index.ts', './plugins/exec/index.ts', './plugins/mqtt/index.ts',
];

const child = `
const settle = async () => { await new Promise((r) => setTimeout(r, 300)); globalThis.gc(); await new Promise((r) => setTimeout(r, 100)); return process.memoryUsage(); };
let prev = await settle();
const mb = (n) => (n / 2 ** 20).toFixed(1);
console.log('start'.padEnd(32), 'rss', mb(prev.rss), 'heap', mb(prev.heapUsed));
for (const spec of JSON.parse(process.argv[1])) {
  await import(spec);
  const m = await settle();
  console.log(spec.replace(${JSON.stringify(pathToFileURL(root).href)}, './').padEnd(32), '+' + mb(m.rss - prev.rss).padStart(5), 'MB rss  +' + mb(m.heapUsed - prev.heapUsed).padStart(5), 'MB heap   total', mb(m.rss));
  prev = m;
}
`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const specs = (process.argv.length > 2 ? process.argv.slice(2) : defaults).map((s) => (s.startsWith('./') ? new URL(s, pathToFileURL(root)).href : s));
  // Bare specifiers resolve from the project: run with the project as working directory and a
  // file URL base (node -e resolves from the working directory).
  const r = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', child, JSON.stringify(specs)], {
    cwd: root,
    encoding: 'utf8',
    // The agent's own compile cache (as `smsedge start` uses it).
    env: { NODE_COMPILE_CACHE: compileCacheDir(), ...process.env, NODE_NO_WARNINGS: '1' },
  });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  process.exitCode = r.status ?? 1;
}
