import * as v from 'valibot';

/**
 * A recipient: E.164 (`+` and 7 to 15 digits, 23.040 9.1.2.5 allows at most 20 semi-octets), national
 * digits, or a short code (3 digits and up). Spaces, dashes and letters are refused rather than
 * guessed at: a wrong guess sends someone's MFA code to a stranger.
 */
export const phone = v.pipe(
  v.string(),
  v.regex(/^(?:\+[1-9]\d{6,14}|\d{3,15})$/, 'a phone number: E.164 (+15550100100), national digits, or a short code, in digits only (no spaces, dashes or brackets)'),
);

/**
 * Free text that reaches the modem must be well-formed UTF-16: JSON's `\ud800` escape yields a lone
 * surrogate, which no SMS alphabet (23.038) can carry and which would be stored and sent as U+FFFD.
 *
 * @example
 * v.pipe(v.string(), wellFormed)
 */
export const wellFormed = v.check((s: string) => s.isWellFormed(), 'ill-formed text (a lone UTF-16 surrogate)');

/** Ids are UUIDs; anything outside this alphabet (dots, slashes, %) is refused before a lookup. */
export const id = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{1,64}$/, 'an id'));

/** Query values arrive as strings. */
export const limit = v.optional(
  v.pipe(v.string(), v.regex(/^\d{1,4}$/, 'a number from 1 to 500'), v.transform(Number), v.minValue(1, 'at least 1'), v.maxValue(500, 'at most 500')),
  '50',
);

export const listQuery = { limit, before: v.optional(id) };

export function listOf<S extends v.GenericSchema>(item: S) {
  return v.object({ items: v.array(item), next: v.nullable(v.string()) });
}
