// The agent's default webhook secret when SMSEDGE_WEBHOOK_SECRET is not set. An unsigned callback
// cannot be trusted by its receiver, so rather than send one the agent makes a secret once and keeps
// it in `<dataDir>/webhook-secret` (mode 0600): the operator copies it from there to the receivers.
import { chmodSync, closeSync, constants, fsyncSync, linkSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateSecret, isStandardSecret } from './secret.ts';

/** The file's name inside the data directory. */
export const SECRET_FILE = 'webhook-secret';

/** The secret file cannot be read, written or understood. `path` names the file, never its content. */
export class SecretFileError extends Error {
  override name = 'SecretFileError';
  readonly code: 'secret_file';
  readonly path: string;
  constructor(message: string, path: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.code = 'secret_file';
    this.path = path;
  }
}

/**
 * The secret kept in `path`, made (`whsec_` + base64 of 32 random bytes) when the file does not exist.
 * Creation is atomic: the secret is written and fsynced under a temporary name (mode 0600 from the
 * start), then hard-linked to `path`, which fails rather than replaces when another process won the
 * race; the winner's secret is then read. A file with a malformed secret is an error, never replaced:
 * receivers may hold it.
 *
 * @example loadOrCreateSecret('/var/lib/smsedge/webhook-secret') // { secret: 'whsec_...', created: true }
 */
export function loadOrCreateSecret(path: string): { secret: string; created: boolean } {
  const existing = read(path);
  if (existing !== undefined) return { secret: existing, created: false };
  const secret = generateSecret();
  const tmp = join(dirname(path), `.${SECRET_FILE}.${process.pid}.${Date.now().toString(36)}.tmp`);
  try {
    const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      writeSync(fd, `${secret}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(tmp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const theirs = read(path);
      if (theirs === undefined) throw error;
      return { secret: theirs, created: false };
    }
    syncDir(dirname(path));
    return { secret, created: true };
  } catch (error) {
    if (error instanceof SecretFileError) throw error;
    throw new SecretFileError(`cannot create the webhook secret file: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, path, error);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // never created, or already gone
    }
  }
}

/** The secret in the file, undefined when there is no file. Tightens loose permissions back to 0600. */
function read(path: string): string | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new SecretFileError(`cannot read the webhook secret file: ${(error as NodeJS.ErrnoException).code ?? 'error'}`, path, error);
  }
  const secret = text.trim();
  if (!isStandardSecret(secret))
    throw new SecretFileError('the webhook secret file does not hold a secret of the form "whsec_" + base64 of 24 to 64 bytes', path);
  if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
  return secret;
}

/** Makes the new directory entry durable (a crash right after must not lose a secret already handed out). */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, constants.O_RDONLY);
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on a directory; the file itself is synced.
  }
}
