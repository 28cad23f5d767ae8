// Home Assistant add-on mode (the api plugin's `ingress` option). Home Assistant shows an add-on's page
// through Ingress: the browser talks to Home Assistant, which has signed the user in, and the
// Supervisor's proxy (always 172.30.32.2 on the add-on network) forwards the request to the add-on
// with the path prefix the page lives under in X-Ingress-Path. Requests from that address are
// therefore already authenticated; from any other address, or without the option, nothing changes.

/** The Supervisor's address on the add-on network, where every Ingress request comes from. */
export const SUPERVISOR_PROXY = '172.30.32.2';

export interface IngressOptions {
  /** The proxy's address: `172.30.32.2` in Home Assistant; a test's own proxy elsewhere. */
  trustedProxy: string;
}

/** `::ffff:172.30.32.2` (an IPv4 peer on a dual-stack socket) and `172.30.32.2` are the same peer. */
const plain = (address: string) => address.trim().toLowerCase().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');

/**
 * Whether a request's peer (the socket's remote address, never a forwarded header) is the trusted
 * ingress proxy. False whenever add-on mode is off (`ingress` undefined) or the address is unknown.
 *
 * @example
 * fromIngressProxy('::ffff:172.30.32.2', { trustedProxy: '172.30.32.2' }) // true
 * fromIngressProxy('172.30.32.1', { trustedProxy: '172.30.32.2' })        // false
 * fromIngressProxy('172.30.32.2', undefined)                              // false
 */
export function fromIngressProxy(peer: string | undefined, ingress: IngressOptions | undefined): boolean {
  if (!ingress || !peer) return false;
  return plain(peer) === plain(ingress.trustedProxy);
}

// A path of URL-safe segments (the Supervisor's is /api/hassio_ingress/<token>): nothing that could
// leave an attribute or the path when written into the page.
const PREFIX = /^(?:\/[A-Za-z0-9._~-]+)+$/;

/**
 * The path prefix the page is served under, from the X-Ingress-Path header of a request that came
 * through the trusted proxy; undefined for any other request, or a header that is not a plain path.
 */
export function ingressPath(headers: Headers, peer: string | undefined, ingress: IngressOptions | undefined): string | undefined {
  if (!fromIngressProxy(peer, ingress)) return undefined;
  const value = headers.get('x-ingress-path')?.trim().replace(/\/+$/, '');
  return value && value.length <= 512 && PREFIX.test(value) ? value : undefined;
}
