import * as v from 'valibot';
import { SUPERVISOR_PROXY } from './ingress.ts';

// The characters listhen accepts for a host; anything else it silently replaces with "localhost",
// so we refuse it here instead, naming the key.
const HOST = /^(?!-)[\d.:A-Za-z-]{1,63}(?<!-)$/;

const port = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535));

/**
 * The API plugin's options. Host and port default to `SMSEDGE_HOST` / `SMSEDGE_PORT`, then
 * `127.0.0.1:8080`. The key itself never sits in the config: `apiKeyEnv` names the environment
 * variable that holds it.
 */
export const apiOptions = v.strictObject({
  host: v.optional(v.pipe(v.string(), v.regex(HOST, 'an IP address or host name')), () => process.env.SMSEDGE_HOST ?? '127.0.0.1'),
  port: v.optional(port, () => (process.env.SMSEDGE_PORT ? Number(process.env.SMSEDGE_PORT) : 8080)),
  apiKeyEnv: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')), 'SMSEDGE_API_KEY'),
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
