// `npm run build`: the published package's JavaScript in dist/ (run by `npm pack` through prepack).
// tsc emits each .ts file as .js + .d.ts with its `./x.ts` imports rewritten to `./x.js`; the files
// that are read at run time rather than imported (the operator page) are copied beside them.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dist = `${root}dist/`;

rmSync(dist, { recursive: true, force: true });
// TypeScript 7's compiler is a native program; its bin/tsc is a Node wrapper that starts it. Started
// directly, no loader in NODE_OPTIONS can get in its way (tap's coverage hooks break the wrapper).
const require = createRequire(import.meta.url);
const typescript = dirname(require.resolve('typescript/package.json'));
const native = join(dirname(createRequire(join(typescript, 'package.json')).resolve(`@typescript/typescript-${process.platform}-${process.arch}/package.json`)), 'lib', 'tsc');
const tsc = spawnSync(native, ['-p', `${root}tsconfig.build.json`], { stdio: 'inherit' });
if (tsc.status !== 0) {
  process.stderr.write('build: tsc failed\n');
  process.exit(tsc.status ?? 1);
}
cpSync(`${root}plugins/api/ui/`, `${dist}plugins/api/ui/`, { recursive: true, filter: (src) => !src.endsWith('.md') });
process.stdout.write(`build: ${dist}\n`);
