import type { H3Event } from 'h3';

/** The user and password of an `Authorization: Basic` header, or undefined when there is none. */
function basic(event: H3Event): { user: string; password: string } | undefined {
  const match = /^Basic[ \t]+([A-Za-z0-9+/=]+)[ \t]*$/i.exec(event.req.headers.get('authorization') ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * The password of an `Authorization: Basic` header (the user name is not checked: the doors take
 * the agent's API key as the password, whatever user a tool insists on sending).
 *
 * @example
 * basicPassword(event) // 'Basic dXNlcjprZXk=' → 'key'
 */
export function basicPassword(event: H3Event): string | undefined {
  return basic(event)?.password;
}

/** The user name of an `Authorization: Basic` header (Twilio's account SID). */
export function basicUser(event: H3Event): string | undefined {
  return basic(event)?.user;
}
