// Which requests a browser may make of the API: the defence against DNS rebinding and cross-site forms.
//
// Without an API key the API trusts whoever can reach loopback. A web page can reach loopback too, in
// two ways: by rebinding its own name to 127.0.0.1 (the browser then treats the agent as that page's
// origin and lets it read the answers), and by posting a form or a no-cors fetch across sites (the
// answer is unreadable, but the SMS is sent). The first is stopped by the Host header, which still
// carries the attacker's name after a rebinding; the second by the Origin and Sec-Fetch-Site headers
// that browsers add and pages cannot forge. Programs (curl, integrations) send neither and pass.
import { ApiError } from './service.ts';

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The host part of a Host header value (`[::1]:8080` → `::1`, `Localhost.:80` → `localhost`). */
export function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  const name = h.startsWith('[') ? h.slice(1, h.indexOf(']') < 0 ? undefined : h.indexOf(']')) : h.replace(/:\d*$/, '');
  return name.replace(/\.$/, '');
}

/**
 * Whether a Host name can only mean this machine: localhost (and `*.localhost`, which browsers resolve
 * to loopback themselves, RFC 6761 6.3), 127.0.0.0/8, ::1, or a name the operator listed.
 */
export function loopbackHost(host: string, allowedHosts: readonly string[] = []): boolean {
  const name = hostName(host);
  if (name === 'localhost' || name.endsWith('.localhost') || name === '::1' || /^127(\.\d{1,3}){3}$/.test(name)) return true;
  return allowedHosts.some((allowed) => hostName(allowed) === name);
}

export interface RequestGuardOptions {
  /** Whether an API key is configured: without one, only loopback Host names are answered. */
  keyConfigured: boolean;
  /** Further Host names the API may be reached by (the `allowedHosts` option). */
  allowedHosts?: readonly string[];
}

/**
 * Throws a 403 for a request a browser made on another site's behalf: a Host name that is not this
 * machine's while the API is open (no key), or, on any route that changes something, a request whose
 * Sec-Fetch-Site or Origin says it comes from another origin.
 *
 * @example
 * checkRequestOrigin('POST', new Headers({ host: 'evil.example:8080' }), { keyConfigured: false }); // throws host_not_allowed
 */
export function checkRequestOrigin(method: string, headers: Headers, options: RequestGuardOptions): void {
  const host = headers.get('host');
  // HTTP/1.0 programs may send no Host; every browser sends one.
  if (!options.keyConfigured && host !== null && !loopbackHost(host, options.allowedHosts))
    throw new ApiError(
      403,
      'host_not_allowed',
      `this API has no key and answers only to localhost, 127.0.0.1 or [::1], not "${hostName(host).slice(0, 100)}" (set an API key, or list the name in the api plugin's allowedHosts)`,
      'Host',
    );
  if (!STATE_CHANGING.has(method)) return;
  // Sent by every current browser; 'none' is the user typing or bookmarking, never a page.
  const site = headers.get('sec-fetch-site');
  if (site !== null) {
    if (site === 'same-origin' || site === 'none') return;
    throw crossSite(`Sec-Fetch-Site is ${site.slice(0, 20)}`);
  }
  // Older browsers: the Origin must be this server's own (the Host the request was sent to).
  const origin = headers.get('origin');
  if (origin === null) return;
  let originHost: string | undefined;
  try {
    originHost = new URL(origin).host;
  } catch {
    originHost = undefined; // "null" (a sandboxed frame, a file:// page) and garbage
  }
  if (originHost === undefined || host === null || originHost.toLowerCase() !== host.trim().toLowerCase()) throw crossSite(`Origin ${origin.slice(0, 100)} is not this server`);
}

const crossSite = (why: string) =>
  new ApiError(403, 'cross_site_request', `a page from another site may not change anything here (${why}); call the API from a program or from the operator page`, 'Origin');
