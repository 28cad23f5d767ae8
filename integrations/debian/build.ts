// `npm run package:deb -- --arch arm64|amd64 [--out dir] [--tarball smsedge-x.y.z.tgz] [--fast]`: builds
// smsedge_<version>_<arch>.deb for Debian and Raspberry Pi OS, with everything it runs on inside:
//   /usr/lib/smsedge/            the npm package (dist/ JavaScript) and its production dependencies,
//                                with only the serialport binding's prebuild for <arch>
//   /usr/lib/smsedge/node/       Node for <arch>, from the npm registry's node-linux-<arch> package
//   /usr/bin/smsedge             runs the CLI on that Node
//   /lib/systemd/system/smsedge.service, /etc/smsedge/agent.config.ts and env (conffiles)
// Needs dpkg-deb (and the npm registry, or npm's cache, for the Node package).
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('../../', import.meta.url));
const here = fileURLToPath(new URL('./', import.meta.url));

/** Debian's architecture names and Node's. */
export const arches = { amd64: 'x64', arm64: 'arm64' } as const;
export type DebArch = keyof typeof arches;

// Tools run without loaders another tool put in NODE_OPTIONS (a test runner's, say).
const { NODE_OPTIONS: _, ...cleanEnv } = process.env;

function run(cmd: string, args: string[], options: SpawnSyncOptions = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: cleanEnv, maxBuffer: 64 * 1024 * 1024, ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.error?.message}):\n${String(r.stderr ?? '').slice(-3000)}`);
  return String(r.stdout ?? '');
}

/**
 * node_modules as a package should hold it: no executable bits (nothing in it is run directly; the
 * agent imports it, the binding is dlopen()ed), no linter or VCS files, no musl build of the binding.
 */
function tidyModules(dir: string): void {
  for (const hooks of readdirSync(dir, { withFileTypes: true, recursive: true }).filter((e) => e.isDirectory() && e.name === '.husky'))
    rmSync(join(hooks.parentPath, hooks.name), { recursive: true, force: true });
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isDirectory() || entry.isSymbolicLink()) continue;
    if (/^\.(eslintrc|npmignore|gitattributes|gitignore|editorconfig|prettierrc)/.test(entry.name) || entry.name.endsWith('.musl.node')) rmSync(path);
    else chmodSync(path, 0o644);
  }
}

/**
 * The file name `npm pack --json` reports. Its JSON array may come with the output of the package's
 * lifecycle scripts before or after it on stdout.
 */
export function packedName(stdout: string): string {
  const json = /^\[\n[\s\S]*?^\]$/m.exec(stdout)?.[0];
  if (!json) throw new Error(`npm pack printed no file list:\n${stdout.slice(-2000)}`);
  return (JSON.parse(json) as { filename: string }[])[0]!.filename;
}

/** Size of a tree in KiB, as dpkg counts Installed-Size. */
function sizeKib(dir: string): number {
  let bytes = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) bytes += statSync(join(entry.parentPath, entry.name)).size;
  }
  return Math.ceil(bytes / 1024);
}

export interface DebOptions {
  arch: DebArch;
  /** Where the .deb goes (default: the current directory). */
  out?: string;
  /** A tarball made by `npm pack` (default: packed now). */
  tarball?: string;
  /** dpkg-deb's compression: xz (default, smallest) or gzip (fast; for tests). */
  compression?: 'xz' | 'gzip';
}

/** Builds the package; resolves to the .deb's path. */
export function buildDeb(options: DebOptions): string {
  const { arch } = options;
  const nodeArch = arches[arch];
  if (!nodeArch) throw new Error(`--arch: amd64 or arm64, not "${arch}"`);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };
  const nodeVersion = lock.packages['node_modules/node']?.version;
  if (!nodeVersion) throw new Error('package-lock.json pins no node version (devDependency "node")');
  const work = mkdtempSync(join(tmpdir(), `smsedge-deb-${arch}-`));
  try {
    const tarball = options.tarball ? resolve(options.tarball) : join(work, packedName(run('npm', ['pack', '--json', '--pack-destination', work], { cwd: root })));

    const stage = join(work, 'root');
    const app = join(stage, 'usr/lib/smsedge');
    mkdirSync(app, { recursive: true });
    run('tar', ['-xzf', tarball, '-C', app, '--strip-components=1', '--no-same-owner']);
    // The production dependencies, as locked; TypeScript (valibot's optional peer) is not needed to run.
    copyFileSync(join(root, 'package-lock.json'), join(app, 'package-lock.json'));
    run('npm', ['ci', '--omit=dev', '--omit=peer', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: app });
    rmSync(join(app, 'package-lock.json'));
    // npm installs TypeScript anyway (valibot's optional peer, locked as our devDependency): types only.
    for (const dir of ['typescript', '@typescript', '@types']) rmSync(join(app, 'node_modules', dir), { recursive: true, force: true });
    // The serialport binding for this architecture only (its prebuilds cover every platform).
    const prebuilds = join(app, 'node_modules/@serialport/bindings-cpp/prebuilds');
    if (!existsSync(join(prebuilds, `linux-${nodeArch}`))) throw new Error(`@serialport/bindings-cpp has no prebuild for linux-${nodeArch}`);
    for (const dir of readdirSync(prebuilds)) if (dir !== `linux-${nodeArch}`) rmSync(join(prebuilds, dir), { recursive: true });
    // Nothing else in node_modules is native; other platforms' build files are dead weight, and so is
    // the musl build (Debian is glibc).
    for (const dir of ['build', 'src']) rmSync(join(app, 'node_modules/@serialport/bindings-cpp', dir), { recursive: true, force: true });
    rmSync(join(app, 'node_modules/.bin'), { recursive: true, force: true });
    tidyModules(join(app, 'node_modules'));

    // Node for the target, from the npm registry (npm's cache keeps it for the next build).
    const nodePack = run('npm', ['pack', '--json', '--pack-destination', work, `node-linux-${nodeArch}@${nodeVersion}`], { cwd: work });
    const nodeTgz = join(work, packedName(nodePack));
    const nodeDir = join(work, 'node');
    mkdirSync(nodeDir);
    run('tar', ['-xzf', nodeTgz, '-C', nodeDir, '--strip-components=1', '--no-same-owner', 'package/bin/node', 'package/LICENSE']);
    mkdirSync(join(app, 'node/bin'), { recursive: true });
    copyFileSync(join(nodeDir, 'bin/node'), join(app, 'node/bin/node'));
    chmodSync(join(app, 'node/bin/node'), 0o755);
    copyFileSync(join(nodeDir, 'LICENSE'), join(app, 'node/LICENSE'));
    chmodSync(join(app, 'node/LICENSE'), 0o644);

    const bin = join(stage, 'usr/bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'smsedge'), '#!/bin/sh\n# smsedge on its own Node (/usr/lib/smsedge/node).\nexec /usr/lib/smsedge/node/bin/node /usr/lib/smsedge/dist/core/cli.js "$@"\n', { mode: 0o755 });

    const unitDir = join(stage, 'lib/systemd/system');
    mkdirSync(unitDir, { recursive: true });
    copyFileSync(join(here, 'smsedge.service'), join(unitDir, 'smsedge.service'));
    chmodSync(join(unitDir, 'smsedge.service'), 0o644);

    const etc = join(stage, 'etc/smsedge');
    mkdirSync(etc, { recursive: true });
    copyFileSync(join(root, 'integrations/config/agent.config.ts'), join(etc, 'agent.config.ts'));
    chmodSync(join(etc, 'agent.config.ts'), 0o644);
    copyFileSync(join(here, 'env'), join(etc, 'env'));
    chmodSync(join(etc, 'env'), 0o600);

    const doc = join(stage, 'usr/share/doc/smsedge');
    mkdirSync(doc, { recursive: true });
    writeFileSync(join(doc, 'copyright'), copyright());
    // What lintian says of a bundled runtime, and of the secrets file being private, is intended.
    const overrides = join(stage, 'usr/share/lintian/overrides');
    mkdirSync(overrides, { recursive: true });
    writeFileSync(
      join(overrides, 'smsedge'),
      [
        '# Node.js is bundled on purpose (the package brings its own runtime); it links zlib and others statically.',
        'smsedge: embedded-library * [usr/lib/smsedge/node/bin/node]',
        'smsedge: unstripped-binary-or-object [usr/lib/smsedge/node/bin/node]',
        'smsedge: hardening-no-pie [usr/lib/smsedge/node/bin/node]',
        '# The secrets file is root-only on purpose.',
        'smsedge: non-standard-file-perm 0600 != 0644 [etc/smsedge/env]',
        '',
      ].join('\n'),
    );
    const date = new Date(Number(process.env.SOURCE_DATE_EPOCH ?? 0) * 1000 || Date.now()).toUTCString().replace('GMT', '+0000');
    writeFileSync(join(doc, 'changelog.Debian.gz'), gzipSync(`smsedge (${pkg.version}) unstable; urgency=medium\n\n  * Package built from the npm package ${pkg.version}.\n\n -- smsedge maintainers <smsedge@users.noreply.github.com>  ${date}\n`, { level: 9 }));
    for (const f of ['install.md', 'troubleshooting.md']) if (existsSync(join(root, 'docs', f))) copyFileSync(join(root, 'docs', f), join(doc, f));

    const debian = join(stage, 'DEBIAN');
    mkdirSync(debian);
    writeFileSync(
      join(debian, 'control'),
      [
        'Package: smsedge',
        `Version: ${pkg.version}`,
        `Architecture: ${arch}`,
        'Maintainer: smsedge maintainers <smsedge@users.noreply.github.com>',
        `Installed-Size: ${sizeKib(stage)}`,
        'Depends: adduser, init-system-helpers (>= 1.52), libc6 (>= 2.28), libstdc++6 (>= 10)',
        'Section: net',
        'Priority: optional',
        'Homepage: https://github.com/smsedge/smsedge',
        'Description: SMS gateway agent for USB GSM/LTE modems',
        ' Turns a Raspberry Pi (or any Linux machine) and a USB GSM/LTE modem into a',
        ' dependable SMS gateway. It speaks AT commands and PDU mode to the modem, keeps',
        ' every message durable in SQLite, and offers a REST API, signed webhooks, MQTT',
        ' (Home Assistant), files and programs. It brings its own Node.js runtime.',
        '',
      ].join('\n'),
    );
    writeFileSync(join(debian, 'conffiles'), '/etc/smsedge/agent.config.ts\n/etc/smsedge/env\n');
    for (const script of ['postinst', 'prerm', 'postrm']) {
      copyFileSync(join(here, script), join(debian, script));
      chmodSync(join(debian, script), 0o755);
    }

    const out = resolve(options.out ?? '.');
    mkdirSync(out, { recursive: true });
    const deb = join(out, `smsedge_${pkg.version}_${arch}.deb`);
    const compress = options.compression === 'gzip' ? ['-Zgzip', '-z1'] : ['-Zxz'];
    run('dpkg-deb', ['--root-owner-group', ...compress, '--build', stage, deb]);
    return deb;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function copyright(): string {
  return `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: smsedge
Source: https://github.com/smsedge/smsedge

Files: *
Copyright: smsedge contributors
License: MIT

Files: usr/lib/smsedge/node/*
Copyright: Node.js contributors and the authors of the libraries it bundles
License: Node.js
 Node.js is MIT licensed; the libraries it bundles are under their own licenses (MIT, BSD,
 Apache-2.0, ICU, zlib and others), all quoted in full in /usr/lib/smsedge/node/LICENSE.

Files: usr/lib/smsedge/node_modules/*
Copyright: the authors of each module (see its package.json and LICENSE file)
License: various
 MIT, ISC, Apache-2.0 and BSD licenses; see each module's LICENSE file. On Debian systems the
 Apache License 2.0 is in /usr/share/common-licenses/Apache-2.0.

License: MIT
 Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
 associated documentation files (the "Software"), to deal in the Software without restriction,
 including without limitation the rights to use, copy, modify, merge, publish, distribute,
 sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is
 furnished to do so, subject to the following conditions:
 .
 The above copyright notice and this permission notice shall be included in all copies or
 substantial portions of the Software.
 .
 THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT
 NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
 NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES
 OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN
 CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { arch: { type: 'string' }, out: { type: 'string' }, tarball: { type: 'string' }, fast: { type: 'boolean' } } });
  const arch = (values.arch ?? (process.arch === 'arm64' ? 'arm64' : 'amd64')) as DebArch;
  try {
    const deb = buildDeb({ arch, ...(values.out ? { out: values.out } : {}), ...(values.tarball ? { tarball: values.tarball } : {}), ...(values.fast ? { compression: 'gzip' as const } : {}) });
    process.stdout.write(`${deb} (${(statSync(deb).size / 1e6).toFixed(1)} MB)\n`);
  } catch (error) {
    process.stderr.write(`package:deb: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
