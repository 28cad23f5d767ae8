import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`. Undefined when
 * neither header is there (a malformed Authorization header counts as no key).
 */
export function presentedKey(headers: Headers): string | undefined {
  const auth = headers.get('authorization');
  if (auth) {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (match) return match[1];
  }
  return headers.get('x-api-key')?.trim() || undefined;
}

/**
 * Compares a presented key with the configured one in time independent of where they differ. Both
 * are hashed first so that the comparison also takes the same time whatever the presented length
 * (timingSafeEqual needs equal lengths and would otherwise leak the key's length).
 */
export function keyMatches(presented: string | undefined, expected: string): boolean {
  const a = createHash('sha256').update(presented ?? '').digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b) && presented !== undefined;
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** The shortest API key accepted for an API reachable from other machines. */
export const MIN_KEY_LENGTH = 16;

/**
 * Why a key is too weak to guard an API on the network, in plain words; undefined when it will do.
 * At least 16 characters, at least 8 of them different: `openssl rand -hex 24` gives 48 characters.
 *
 * @example keyWeakness('secret') // 'is 6 characters long; ...'
 */
export function keyWeakness(key: string): string | undefined {
  const length = [...key].length;
  if (length < MIN_KEY_LENGTH) return `is ${length} characters long; an API reachable from the network needs a key of at least ${MIN_KEY_LENGTH} random characters (e.g. from \`openssl rand -hex 24\`)`;
  if (new Set(key).size < 8) return 'repeats the same few characters; use at least 16 random characters (e.g. from `openssl rand -hex 24`)';
  return undefined;
}
