import { createHmac, createSecretKey, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

/** Prefix of secrets in the Standard Webhooks form: `whsec_` + base64 of the key bytes. */
export const SECRET_PREFIX = 'whsec_';

/**
 * A new signing secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks asks for 24-64 bytes).
 *
 * @example generateSecret() // 'whsec_4g0Qm...='
 */
export function generateSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

// KeyObjects, not Buffers: createHmac with a Buffer key builds a KeyObject on every call (~5x slower).
const keyCache = new Map<string, KeyObject>();

/**
 * The HMAC key bytes of a secret as Standard Webhooks reads it: the prefix is dropped and the rest is
 * base64-decoded (what the official `standardwebhooks` package does, so receivers using it agree).
 */
export function standardKey(secret: string): KeyObject {
  let key = keyCache.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64'));
    if (keyCache.size > 256) keyCache.clear();
    keyCache.set(secret, key);
  }
  return key;
}

/** True when `secret` is `whsec_` + canonical base64 of 24 to 64 bytes. */
export function isStandardSecret(secret: string): boolean {
  if (!secret.startsWith(SECRET_PREFIX)) return false;
  const b64 = secret.slice(SECRET_PREFIX.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return false;
  const n = Buffer.from(b64, 'base64').length;
  return n >= 24 && n <= 64;
}

/** Hex or base64 HMAC-SHA256. String keys are used as their UTF-8 bytes. */
export function hmac(key: string | KeyObject, data: string, encoding: 'hex' | 'base64'): string {
  return createHmac('sha256', key).update(data).digest(encoding);
}

/** Constant-time string comparison (false on different lengths, without early exit on content). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  if (x.length !== y.length) return false;
  return timingSafeEqual(x, y);
}
