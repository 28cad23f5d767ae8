import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';

let probed: string | false | undefined;

/** Why a small tmpfs cannot be mounted here (not root, or a container without the right), or false. */
export function tmpfsSkipReason(): string | false {
  if (probed !== undefined) return probed;
  if (process.getuid?.() !== 0) return (probed = 'mounting a tmpfs needs root (run the tests as root to include this case)');
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    probed = false;
  } catch {
    probed = 'this machine does not allow mounting a tmpfs (a container without CAP_SYS_ADMIN?)';
  }
  rmSync(dir, { recursive: true, force: true });
  return probed;
}

/**
 * Mounts a tmpfs of `size` (mount's syntax: `2m`) on a new directory outside tap's fixtures (which tap
 * removes before a teardown could unmount), unmounted and removed at the end of the test.
 */
export function mountTmpfs(t: Test, size: string): { dir: string; readOnly(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-tmpfs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
  t.teardown(() => {
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, readOnly: () => execFileSync('mount', ['-o', 'remount,ro', dir], { stdio: 'ignore' }) };
}
