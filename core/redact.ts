/**
 * Redaction rules, applied by the logger to every record, so no call site has to remember them.
 * SMS bodies, secrets and tokens are removed; phone numbers are masked (`+155****0100`); URLs lose
 * their userinfo and query string; long hex runs (PDUs carry the body and numbers) are elided.
 */

const secretKeys =
  /^(text|body|pdu|payload|data|secret|secrets|password|passwd|pin|puk|token|apikey|api_key|x-api-key|authorization|signature|webhook-signature|x-signature|x-callstack-signature|cookie|set-cookie|key|newsecret|previoussecret)$/i;
const phoneKeys = /^(from|to|sender|recipient|recipients|phonenumber|phone|number|msisdn|caller|callerid|originator|destination|address)$/i;

const urlPattern = /\b(?:https?|mqtts?|wss?|tcp):\/\/[^\s"'<>]+/gi;
const phonePattern = /(?<![\w.\-:/])\+?\d{7,20}(?![\w.\-])/g;
/**
 * Numbers written the way people and programs print them, with spaces, dashes, dots or brackets:
 * international (`+1 555 867 5309`, `0049 171 1234567`, `+49 (0)171 1234567`), North American
 * (`555-867-5309`, `(555) 867-5309`, `1-555-867-5309`) and national ones with a trunk 0 (`0171 1234567`,
 * `020 7946 0958`, `06 12 34 56 78`). Kept narrow so dates (2026-12-07), times, IPv4 addresses and
 * versions are not taken for numbers; each match must also hold 7 to 15 digits (E.164's maximum).
 */
const groupedPhonePatterns = [
  /(?<![\w+.\-/])(?:\+|\b00)[1-9]\d{0,2}(?:[ \-.]?(?:\(\d{1,4}\)|\d{1,8})){1,6}(?![\w\-]|\.\d)/g,
  /(?<![\w+.\-/(])(?:1[ \-.])?(?:\(\d{3}\) ?|\d{3}[ \-.])\d{3}[ \-.]\d{4}(?![\w\-]|\.\d)/g,
  /(?<![\w+.\-/])0\d(?:[ .\-]\d{2}){4}(?![\w\-]|\.\d)/g,
  /(?<![\w+.\-/])0\d{1,5}[ \-/]\d{3,10}(?:[ \-]\d{2,6})?(?![\w\-]|\.\d)/g,
];
const hexPattern = /\b[0-9A-Fa-f]{24,}\b/g;

const literalSecrets = new Set<string>();

/** Adds a literal value (an API key, a PIN, a signing secret) to be replaced wherever it appears. */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) literalSecrets.add(value);
}

/** Registers the values of secret-looking environment variables (`SMSEDGE_*KEY*`, `*SECRET*`, ...). */
export function registerSecretsFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(env))
    if (/^(SMSEDGE|MQTT)_/.test(name) && /KEY|SECRET|TOKEN|PASSWORD|PIN|PUK/.test(name)) registerSecret(value);
}

/** `+15550100100` → `+155****0100`. Numbers of six digits or fewer (short codes) are kept. */
export function maskPhone(value: string): string {
  const digits = value.replace(/\D/g, '');
  if (digits.length <= 6) return value;
  const plus = value.trim().startsWith('+') ? '+' : '';
  return `${plus}${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

function maskGrouped(match: string): string {
  const digits = match.replace(/\D/g, '').length;
  return digits >= 7 && digits <= 15 ? maskPhone(match) : match;
}

/** `https://user:pw@host/path?token=x` → `https://host/path?[redacted]`. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    return `${url.protocol}//${url.host}${url.pathname === '/' && !value.endsWith('/') ? '' : url.pathname}${url.search ? '?[redacted]' : ''}`;
  } catch {
    return '[url]';
  }
}

/** Scrubs one free-form string. */
export function redactString(value: string): string {
  let out = value;
  for (const secret of literalSecrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  out = out.replace(urlPattern, (u) => {
    // Punctuation that ends a sentence or a list is not part of the URL.
    const trail = /[.,;:!?)\]}]+$/.exec(u)?.[0] ?? '';
    return redactUrl(trail ? u.slice(0, -trail.length) : u) + trail;
  });
  out = out.replace(hexPattern, (h) => `[hex:${h.length / 2}B]`);
  for (const pattern of groupedPhonePatterns) out = out.replace(pattern, maskGrouped);
  out = out.replace(phonePattern, (p) => maskPhone(p));
  return out;
}

/** Scrubs a structured value: keys decide for primitives, strings are scanned, objects are walked. */
export function redactValue(value: unknown, key = '', depth = 0, seen = new WeakSet<object>()): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') {
    if (secretKeys.test(key)) return '[redacted]';
    if (phoneKeys.test(key)) return maskPhone(redactString(value));
    return redactString(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    if (secretKeys.test(key) && key.toLowerCase() !== 'data') return '[redacted]';
    return value;
  }
  if (typeof value !== 'object') return String(value);
  if (seen.has(value)) return '[circular]';
  if (depth > 8) return '[deep]';
  seen.add(value);
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: redactString(value.message) };
    const code = (value as { code?: unknown }).code;
    if (code !== undefined) out.code = code;
    if (value.stack) out.stack = redactString(value.stack);
    if (value.cause) out.cause = redactValue(value.cause, 'cause', depth + 1, seen);
    return out;
  }
  if (value instanceof Uint8Array) return secretKeys.test(key) ? '[redacted]' : `[bytes:${value.length}]`;
  if (Array.isArray(value)) return value.map((v) => redactValue(v, key, depth + 1, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactValue(v, k, depth + 1, seen);
  return out;
}

/**
 * Pieces of a free-form text worth hiding where a program may echo them in parts: the whole text,
 * each line, and each run of four or more digits (codes). Used for output the agent cannot structure,
 * such as what an exec program prints about the SMS it was given.
 */
export function fragmentsOf(text: string | undefined | null): string[] {
  if (!text) return [];
  const pieces = new Set<string>([text.trim()]);
  for (const line of text.split(/\r?\n|\r/)) if (line.trim().length >= 4) pieces.add(line.trim());
  for (const digits of text.match(/\d{4,}/g) ?? []) pieces.add(digits);
  return [...pieces].filter((p) => p.length >= 4).sort((a, b) => b.length - a.length);
}

/** Replaces every fragment (longest first) with `[text]`, then applies the usual string rules. */
export function redactFragments(value: string, fragments: readonly string[]): string {
  let out = value;
  for (const f of fragments) if (out.includes(f)) out = out.split(f).join('[text]');
  return redactString(out);
}
