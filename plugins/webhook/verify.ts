// What a Node receiver runs to check a delivery: the inverse of each format's signing, with a
// tolerance on the timestamp so that a captured request cannot be replayed later.
import { bodyHash } from './formats/cloudevents.ts';
import type { FormatName } from './formats/types.ts';
import { hmac, safeEqual, standardKey } from './secret.ts';

export class WebhookVerifyError extends Error {
  override name = 'WebhookVerifyError';
  readonly code: 'missing_header' | 'invalid_timestamp' | 'bad_signature' | 'bad_claim' | 'unknown_format' | 'invalid_body';
  constructor(code: WebhookVerifyError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export interface VerifyOptions {
  /** How far the signed timestamp may be from now, either way. Default 300 (5 minutes). */
  toleranceSeconds?: number;
  /** Now, in milliseconds (tests). Default Date.now(). */
  now?: number;
  /** `cloudevents`: the URL the receiver is reached at; when given, the JWT's `aud` must equal it. */
  audience?: string;
}

type Headers = Record<string, string | string[] | undefined> | { get(name: string): string | null };

function header(headers: Headers, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  const h = headers as Record<string, string | string[] | undefined>;
  for (const key of Object.keys(h)) {
    if (key.toLowerCase() !== name) continue;
    const value = h[key];
    return Array.isArray(value) ? value[0] : value;
  }
  return undefined;
}

function required(headers: Headers, name: string): string {
  const value = header(headers, name);
  if (!value) throw new WebhookVerifyError('missing_header', `missing ${name} header`);
  return value;
}

function checkTimestamp(value: string, options: VerifyOptions): void {
  if (!/^\d{1,12}$/.test(value)) throw new WebhookVerifyError('invalid_timestamp', 'timestamp is not unix seconds');
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - Number(value)) > (options.toleranceSeconds ?? 300)) throw new WebhookVerifyError('invalid_timestamp', 'timestamp outside the tolerance');
}

function parse(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    throw new WebhookVerifyError('invalid_body', 'body is not JSON');
  }
}

/**
 * Verifies a delivery as a receiver gets it and returns the parsed body; throws WebhookVerifyError
 * (with a `code`) otherwise. `secret` may be a list (during your own rotation, accept either).
 * `rawBody` must be the exact bytes received: parse after verifying, never re-serialise before.
 *
 * @example
 * const payload = await verifyWebhook('standard', process.env.WEBHOOK_SECRET, req.headers, rawBody, { toleranceSeconds: 300 });
 */
export async function verifyWebhook(
  format: FormatName,
  secret: string | readonly string[],
  headers: Headers,
  rawBody: string | Uint8Array,
  options: VerifyOptions = {},
): Promise<unknown> {
  const secrets = (typeof secret === 'string' ? [secret] : [...secret]).filter(Boolean);
  if (!secrets.length) throw new WebhookVerifyError('bad_signature', 'no secret to verify with');
  const body = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8');
  switch (format) {
    case 'standard': {
      const id = required(headers, 'webhook-id');
      const timestamp = required(headers, 'webhook-timestamp');
      const signatures = required(headers, 'webhook-signature')
        .split(' ')
        .filter((s) => s.startsWith('v1,'))
        .map((s) => s.slice(3));
      checkTimestamp(timestamp, options);
      const expected = secrets.map((s) => hmac(standardKey(s), `${id}.${timestamp}.${body}`, 'base64'));
      if (!expected.some((e) => signatures.some((got) => safeEqual(got, e)))) throw new WebhookVerifyError('bad_signature', 'no matching signature');
      return parse(body);
    }
    case 'callstack': {
      const timestamp = required(headers, 'x-callstack-timestamp');
      const signature = required(headers, 'x-callstack-signature');
      checkTimestamp(timestamp, options);
      if (!secrets.some((s) => safeEqual(signature, `sha256=${hmac(s, `${timestamp}.${body}`, 'hex')}`)))
        throw new WebhookVerifyError('bad_signature', 'signature does not match');
      return parse(body);
    }
    case 'sms-gateway': {
      const timestamp = required(headers, 'x-timestamp');
      const signature = required(headers, 'x-signature').toLowerCase();
      checkTimestamp(timestamp, options);
      if (!secrets.some((s) => safeEqual(signature, hmac(s, body + timestamp, 'hex'))))
        throw new WebhookVerifyError('bad_signature', 'signature does not match');
      return parse(body);
    }
    case 'cloudevents': {
      const auth = required(headers, 'authorization');
      const match = /^Bearer\s+(\S+)$/i.exec(auth);
      if (!match) throw new WebhookVerifyError('bad_signature', 'authorization is not a bearer token');
      const tolerance = options.toleranceSeconds ?? 300;
      for (const s of secrets) {
        try {
          // Loaded on first use, like in formats/cloudevents.ts (~9 MB resident).
          const { jwtVerify } = await import('jose');
          const { payload } = await jwtVerify(match[1]!, new TextEncoder().encode(s), {
            algorithms: ['HS256'],
            clockTolerance: tolerance,
            currentDate: new Date(options.now ?? Date.now()),
            ...(options.audience ? { audience: options.audience } : {}),
          });
          if (payload.body_sha256 !== undefined && !safeEqual(String(payload.body_sha256), bodyHash(body)))
            throw new WebhookVerifyError('bad_signature', 'the body does not match the token');
          return parse(body);
        } catch (error) {
          if (error instanceof WebhookVerifyError) throw error;
          // jose checks claims only after the signature matched: these mean "right key, wrong token".
          const { code, claim } = error as { code?: string; claim?: string };
          if (code === 'ERR_JWT_EXPIRED' || (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && (claim === 'iat' || claim === 'nbf')))
            throw new WebhookVerifyError('invalid_timestamp', `token rejected: ${(error as Error).message}`);
          if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') throw new WebhookVerifyError('bad_claim', `token rejected: ${(error as Error).message}`);
        }
      }
      throw new WebhookVerifyError('bad_signature', 'token signature does not match');
    }
    default:
      throw new WebhookVerifyError('unknown_format', `unknown format "${String(format)}"`);
  }
}
