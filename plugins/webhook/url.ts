// Receiver URLs: what is accepted, how one is named in logs and the delivery log, and how it is called.
import { redactUrl } from '../../core/redact.ts';
import { isIP } from 'node:net';
import { ApiError } from '../api/service.ts';
import type { DestinationPolicy } from './destination.ts';

/** A receiver URL that is refused: 400 `invalid_url`, naming the field. */
export class WebhookUrlError extends ApiError {
  override name = 'WebhookUrlError';
  declare readonly field: string;
  constructor(message: string, field = 'url') {
    super(400, 'invalid_url', message, field);
  }
}

/**
 * Checks a receiver URL: http or https, at most 2048 characters, (when `allowHosts` is set) a host
 * on that list (`example.com` exactly, `*.example.com` for its subdomains), and (with a policy) an
 * address literal the destination policy allows. LAN addresses are allowed: that is where edge
 * integrations live. Names are checked where it counts, at every connection (transport.ts).
 */
export function checkUrl(value: string, allowHosts: readonly string[] | undefined, field = 'url', policy?: DestinationPolicy): URL {
  if (value.length > 2048) throw new WebhookUrlError('the URL is longer than 2048 characters', field);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new WebhookUrlError('not a valid absolute URL', field);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new WebhookUrlError('only http and https URLs are allowed', field);
  if (!url.hostname) throw new WebhookUrlError('the URL has no host', field);
  if (allowHosts?.length && !hostAllowed(url.hostname, allowHosts))
    throw new WebhookUrlError(`host ${url.hostname} is not in the allowHosts list`, field);
  // The URL parser has already turned 2130706433, 0x7f000001 and 127.1 into 127.0.0.1.
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  const why = policy && isIP(literal) ? policy.refusal(literal) : undefined;
  if (why !== undefined) throw new WebhookUrlError(`the address ${literal} is refused (${why}); the webhook plugin's destinations.allow can allow it`, field);
  return url;
}

export function hostAllowed(hostname: string, allowHosts: readonly string[]): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return allowHosts.some((pattern) => {
    const p = pattern.toLowerCase().replace(/^\[|\]$/g, '');
    return p.startsWith('*.') ? host.endsWith(p.slice(1)) : host === p;
  });
}

/**
 * The key deliveries are grouped by for the limit on attempts in flight, the circuit breaker and offline detection:
 * scheme, host, port and path, without userinfo or query (so it may be stored and shown).
 */
export function endpointKey(value: string): string {
  const url = new URL(value);
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** The URL as it may be shown or logged: scheme://host/path, never userinfo or query values. */
export function displayUrl(value: string): string {
  return redactUrl(value).replace(/\?\[redacted\]$/, '');
}

/**
 * What fetch is given: the URL without userinfo (fetch refuses credentials in URLs) and, when the URL
 * had them, the matching `Authorization: Basic` header (RFC 7617).
 */
export function requestTarget(value: string): { url: string; authorization?: string } {
  const url = new URL(value);
  if (!url.username && !url.password) return { url: value };
  const user = decodeURIComponent(url.username);
  const pass = decodeURIComponent(url.password);
  url.username = '';
  url.password = '';
  return { url: url.href, authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` };
}
