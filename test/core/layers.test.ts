// The simulator is a development tool beside the product: no file of core/ or plugins/ imports it,
// except core/simulator.ts, which loads it on request (a modem with `port: 'simulator'`, the
// `simulate` and `replay` commands), so a production install can leave simulator/ out.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

const root = fileURLToPath(new URL('../../', import.meta.url));
const simulatorDir = join(root, 'simulator') + sep;
const allowed = new Set(['core/simulator.ts']);

/** Every import specifier of a file: static, type-only, re-exports, dynamic import() and require(). */
export function specifiers(source: string): string[] {
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*\s{},$]*?\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"`]([^'"`]+)['"`]/g,
    /\brequire\s*\(\s*['"`]([^'"`]+)['"`]/g,
    /\bnew\s+URL\s*\(\s*['"`]([^'"`]+)['"`]\s*,\s*import\.meta\.url/g,
  ];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) found.push(m[1]!);
  return found;
}

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (/\.(ts|js|mjs|cjs)$/.test(entry.name)) yield path;
  }
}

/** The specifiers of `file` that reach the simulator. */
function simulatorImports(file: string, source = readFileSync(file, 'utf8')): string[] {
  return specifiers(source).filter((s) => s === 'smsedge/simulator' || s.startsWith('smsedge/simulator/') || (s.startsWith('.') && (resolve(dirname(file), s) + sep).startsWith(simulatorDir)) || resolve(dirname(file), s) === simulatorDir.slice(0, -1));
}

t.test('no file under core/ or plugins/ imports simulator/ (but the one that loads it on request)', async (t) => {
  const offenders: string[] = [];
  let checked = 0;
  for (const top of ['core', 'plugins']) {
    for (const file of sources(join(root, top))) {
      checked++;
      const name = relative(root, file).split(sep).join('/');
      if (allowed.has(name)) continue;
      for (const s of simulatorImports(file)) offenders.push(`${name} imports ${s}`);
    }
  }
  t.ok(checked > 50, `checked ${checked} files`);
  t.same(offenders, [], 'production code reaches the simulator only through core/simulator.ts');
});

t.test('core/simulator.ts is the exception, and loads the simulator only dynamically', async (t) => {
  const file = join(root, 'core/simulator.ts');
  const source = readFileSync(file, 'utf8');
  t.ok(simulatorImports(file, source).length > 0, 'it does reach the simulator');
  t.notMatch(source, /^\s*import\s+(?!type\b)[^(]*from\s+['"]\.\.\/simulator/m, 'no static import');
});

t.test('the check sees every way of importing', async (t) => {
  const file = join(root, 'plugins/modem/x.ts');
  const cases = [
    "import { createSimulator } from '../../simulator/index.ts';",
    "import type { Simulator } from '../../simulator/index.ts';",
    "export { escapeText } from '../../simulator/transcript.ts';",
    "import '../../simulator/port.ts';",
    "const sim = await import('../../simulator/index.ts');",
    "const sim = await import(\n  '../../simulator/index.ts');",
    "const { x } = require('../../simulator/index.ts');",
    "import { a,\n  b } from '../../simulator';",
    "import * as sim from 'smsedge/simulator';",
  ];
  for (const c of cases) t.equal(simulatorImports(file, c).length, 1, c);
  t.same(simulatorImports(file, "import { modem } from './index.ts'; // the simulator/ folder"), [], 'a comment is not an import');
  t.same(simulatorImports(join(root, 'core/x.ts'), "import { x } from './simulator.ts';"), [], 'core/simulator.ts is not simulator/');
});

t.test('core/simulator.ts loads the simulator and its commands; an install without it says so', async (t) => {
  const { loadSimulator, missing, simulatorCommands } = await import('../../core/simulator.ts');
  await loadSimulator();
  t.same((await simulatorCommands()).map((c) => c.name).sort(), ['replay', 'simulate']);
  const absent = Object.assign(new Error("Cannot find module '/usr/lib/smsedge/simulator/index.js' imported from /usr/lib/smsedge/core/simulator.js"), { code: 'ERR_MODULE_NOT_FOUND' });
  t.ok(missing(absent), 'the simulator itself is missing');
  t.notOk(missing(Object.assign(new Error("Cannot find package 'serialport' imported from /x/simulator/binding.js"), { code: 'ERR_MODULE_NOT_FOUND' })), 'a module the simulator needs is another matter');
  t.notOk(missing(new Error('boom')));
});
