import * as v from 'valibot';
import { RequestError } from './errors.ts';
import { plainIssue } from './issues.ts';
import type { SendRequest } from './services.ts';
import { segments } from './sms/index.ts';

// One validation of a send request for every way in: the REST API, MQTT, the `sms` service itself
// (which the front-door plugins call), so none accepts what another refuses.

/** Text that needs more than this many parts is refused. */
export const MAX_PARTS = 10;
export const MAX_RECIPIENTS = 100;

/**
 * A recipient: E.164 (`+` and 7 to 15 digits; E.164 numbers have at most 15), national digits, or a
 * short code (3 digits and up). Spaces, dashes and letters are refused rather than guessed at: a wrong
 * guess sends someone's MFA code to a stranger.
 */
export const phone = v.pipe(
  v.string('not a phone number (digits only, with an optional leading +)'),
  v.regex(/^(?:\+[1-9]\d{6,14}|\d{3,15})$/, 'not a phone number (digits only, with an optional leading +; at most 15 digits)'),
);

/**
 * Free text that reaches the modem must be well-formed UTF-16: JSON's `\ud800` escape yields a lone
 * surrogate, which no SMS alphabet (23.038) can carry and which would be stored and sent as U+FFFD.
 */
export const wellFormed = v.check((s: string) => s.isWellFormed(), 'has a lone UTF-16 surrogate (not well-formed text)');

// No control or format characters (bidi overrides, zero-width) and no lone surrogates: the reference
// is echoed into webhooks, MQTT and logs, where such characters break or disguise what is shown.
const plainText = /^[^\p{Cc}\p{Cf}\p{Cs}]*$/u;

/** Date.parse takes 2026-02-30 for March 2nd: the day must exist in its month. */
function realDate(s: string): boolean {
  const [y, m, d] = s.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return !Number.isNaN(Date.parse(s)) && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

/** How far ahead `sendAt` may be: a schedule further out is more likely a mistake than a plan. */
export const MAX_SCHEDULE_DAYS = 366;
/** A `sendAt` up to this far in the past is taken as "now" (the caller's clock may be a little behind). */
export const SCHEDULE_GRACE_MS = 60_000;

/**
 * An instant in RFC 3339 form with its offset (`2026-03-01T10:00:00Z`, `...+01:00`): a time without
 * an offset would be read in the agent's zone, which the caller may not know.
 */
export const instant = v.pipe(
  v.string('must be a time such as 2026-03-01T10:00:00Z'),
  v.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i, 'must be a time with its offset, such as 2026-03-01T10:00:00Z'),
  v.check(realDate, 'is not a real date and time'),
);

/** The order of the outbound queue: `high` goes first (one-time codes), `low` last (newsletters). */
export const priorities = ['high', 'normal', 'low'] as const;
export type Priority = (typeof priorities)[number];

const text = v.pipe(v.string('must be text'), v.minLength(1, 'is empty'), wellFormed, v.maxLength(MAX_PARTS * 160, `is longer than ${MAX_PARTS} parts`));

/** The fields of a send request but `to` (REST takes one recipient or a list). */
const fields = {
  text,
  encoding: v.optional(v.picklist(['auto', 'gsm7', 'ucs2'], 'must be one of "auto", "gsm7", "ucs2"')),
  deliveryReport: v.optional(v.boolean('must be true or false')),
  // 23.040 9.2.3.12.1: the relative validity period runs from 5 minutes to 63 weeks.
  validityMinutes: v.optional(v.pipe(v.number('must be a number of minutes'), v.integer('must be a whole number of minutes'), v.minValue(5, 'must be at least 5 minutes'), v.maxValue(63 * 7 * 24 * 60, 'must be at most 635040 minutes (63 weeks)'))),
  ttlSeconds: v.optional(v.pipe(v.number('must be a number of seconds'), v.integer('must be a whole number of seconds'), v.minValue(1, 'must be at least 1 second'), v.maxValue(7 * 24 * 3600, 'must be at most 604800 seconds (7 days)'))),
  modem: v.optional(v.pipe(v.string('must be a modem id'), v.regex(/^[A-Za-z0-9_.-]{1,32}$/, 'not a modem id (letters, digits, _ . -, at most 32)'))),
  clientRef: v.optional(v.pipe(v.string('must be text'), v.maxLength(40, 'must have at most 40 characters'), v.regex(plainText, 'must not hold control or format characters'))),
  callbackUrl: v.optional(
    v.pipe(v.string('must be a URL'), v.maxLength(2048, 'must have at most 2048 characters'), v.url('must be an absolute URL'), v.regex(/^https?:\/\//i, 'must be an http or https URL')),
  ),
  /** Hold the message until then (durably); checked against the agent's clock by checkSend. */
  sendAt: v.optional(instant),
  priority: v.optional(v.picklist(priorities, 'must be one of "high", "normal", "low"')),
};

function partsOf(text: string, encoding: 'auto' | 'gsm7' | 'ucs2' = 'auto'): number | undefined {
  try {
    return segments(text, { encoding }).parts;
  } catch {
    return undefined; // characters outside the GSM 7-bit alphabet with encoding "gsm7"
  }
}

const ALPHABET = 'has characters outside the GSM 7-bit alphabet (use encoding "auto" or "ucs2")';
const TOO_MANY = `needs more than ${MAX_PARTS} parts`;
const fitsAlphabet = (b: { text: string; encoding?: 'auto' | 'gsm7' | 'ucs2' }) => partsOf(b.text, b.encoding) !== undefined;
const fitsParts = (b: { text: string; encoding?: 'auto' | 'gsm7' | 'ucs2' }) => (partsOf(b.text, b.encoding) ?? 0) <= MAX_PARTS;

/** A send request to one recipient: what MQTT, the `sms` service and the front doors accept. */
export const sendRequest = v.pipe(
  v.strictObject({ to: phone, ...fields }),
  v.forward(v.check((b) => fitsAlphabet(b), ALPHABET), ['text']),
  v.forward(v.check((b) => fitsParts(b), TOO_MANY), ['text']),
);

/** The REST API's send body: one recipient or a list of them (each queued, or none). */
export const sendBody = v.pipe(
  v.strictObject({
    to: v.union(
      [phone, v.pipe(v.array(phone), v.minLength(1, 'must list at least one recipient'), v.maxLength(MAX_RECIPIENTS, `must list at most ${MAX_RECIPIENTS} recipients`))],
      'must be a phone number or a list of them',
    ),
    ...fields,
  }),
  v.forward(v.check((b) => fitsAlphabet(b), ALPHABET), ['text']),
  v.forward(v.check((b) => fitsParts(b), TOO_MANY), ['text']),
);

/**
 * Validates a send request to one recipient, as every way in does. Returns it typed, or throws a
 * RequestError `invalid_request` naming the field in plain words.
 *
 * @example
 * checkSend({ to: '+15550100100', text: 'hi' }); // ok
 * checkSend({ to: '555-0100', text: 'hi' }); // RequestError: to: not a phone number (digits only, ...)
 */
export function checkSend(request: unknown, now?: number): SendRequest {
  if (!request || typeof request !== 'object' || Array.isArray(request)) throw new RequestError('invalid_request', 'the request must be a JSON object');
  const result = v.safeParse(sendRequest, request);
  if (!result.success) {
    const { field, message } = plainIssue(result.issues);
    throw new RequestError('invalid_request', message, field === undefined ? {} : { field });
  }
  if (now !== undefined && result.output.sendAt !== undefined) checkSchedule(result.output.sendAt, now);
  return result.output;
}

/**
 * Whether `sendAt` is a time the agent will hold a message until: in the future (a minute of clock
 * difference forgiven: sent at once), at most MAX_SCHEDULE_DAYS ahead. Throws `invalid_request`
 * naming `sendAt`; returns the time in ms. Only the agent's own clock can judge this, so the schema
 * checks the form and the `sms` service calls this with its clock.
 */
export function checkSchedule(sendAt: string, now: number): number {
  const at = Date.parse(sendAt);
  if (at < now - SCHEDULE_GRACE_MS) throw new RequestError('invalid_request', 'sendAt: is in the past', { field: 'sendAt' });
  if (at > now + MAX_SCHEDULE_DAYS * 86_400_000) throw new RequestError('invalid_request', `sendAt: is more than ${MAX_SCHEDULE_DAYS} days ahead`, { field: 'sendAt' });
  return at;
}

/**
 * PATCH /sms/messages/:id: for a message still queued a new text, a new time or none (`null`: send
 * now); for a received one, `read` marks it read or unread.
 */
export const messageChange = v.pipe(
  v.strictObject({ text: v.optional(text), sendAt: v.optional(v.nullable(instant)), read: v.optional(v.boolean('must be true or false')) }),
  v.check((b) => b.text !== undefined || b.sendAt !== undefined || b.read !== undefined, 'must change text or sendAt (a queued message), or read (a received one)'),
);

export type MessageChange = v.InferOutput<typeof messageChange>;
