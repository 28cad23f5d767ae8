import * as v from 'valibot';
import { SUPERVISOR_PROXY } from './ingress.ts';

// The characters listhen accepts for a host; anything else it silently replaces with "localhost",
// so we refuse it here instead, naming the key.
const HOST = /^(?!-)[\d.:A-Za-z-]{1,63}(?<!-)$/;

const port = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535));
const envName = v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name'));
const count = (max: number) => v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(max));

/** Requests a key may make: `perMinute` on average, `burst` at once (default: perMinute). */
export const rateLimit = v.strictObject({ perMinute: count(100_000), burst: v.optional(count(100_000)) });

/** Names a key goes by in GET /keys and the audit log. */
export const keyName = v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'a name of letters, digits, ".", "_" or "-" (at most 64)'));

/** What a key may do: `read`, `send`, `admin` (admin implies the others). */
export const scopes = v.pipe(v.array(v.picklist(['read', 'send', 'admin'])), v.minLength(1, 'needs at least one scope'));

/**
 * The API plugin's options. Host and port default to `SMSEDGE_HOST` / `SMSEDGE_PORT`, then
 * `127.0.0.1:8080`. The key itself never sits in the config: `apiKeyEnv` names the environment
 * variable that holds it.
 */
export const apiOptions = v.strictObject({
  host: v.optional(v.pipe(v.string(), v.regex(HOST, 'an IP address or host name')), () => process.env.SMSEDGE_HOST ?? '127.0.0.1'),
  port: v.optional(port, () => (process.env.SMSEDGE_PORT ? Number(process.env.SMSEDGE_PORT) : 8080)),
  apiKeyEnv: v.optional(envName, 'SMSEDGE_API_KEY'),
  /**
   * Further keys, each with its scopes: `{ name, keyEnv, scopes, rateLimit }`; the key's value is read
   * from the environment variable `keyEnv`. The key of `apiKeyEnv`, when set, is the admin key `default`.
   */
  keys: v.optional(v.array(v.strictObject({ name: keyName, keyEnv: envName, scopes, rateLimit: v.optional(rateLimit) }))),
  /** The rate limit of keys without one of their own (default: none). */
  rateLimit: v.optional(rateLimit),
  /** Days the audit log keeps a call (GET /audit). */
  auditRetentionDays: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3650)), 90),
  /**
   * Host names (besides localhost, 127.0.0.1 and [::1]) an API without a key answers to, e.g. a name
   * in /etc/hosts for this machine. Without a key any other Host is refused (DNS rebinding).
   */
  allowedHosts: v.optional(v.array(v.pipe(v.string(), v.regex(HOST, 'a host name')))),
  /**
   * Home Assistant add-on mode: requests from `trustedProxy` (the Supervisor's Ingress proxy) are
   * already authenticated by Home Assistant and need no key, and the operator page is served under
   * the path their X-Ingress-Path header gives, framed by Home Assistant. Only for the add-on.
   */
  ingress: v.optional(v.strictObject({ trustedProxy: v.optional(v.pipe(v.string(), v.ip('an IP address')), SUPERVISOR_PROXY) })),
  /** Largest request body in bytes (413 beyond). */
  bodyLimit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1024), v.maxValue(16 * 1024 * 1024)), 64 * 1024),
});

export type ApiOptions = v.InferOutput<typeof apiOptions>;
