import * as v from 'valibot';

/** The recipient and well-formed-text checks are the ones every way in shares (core/send.ts). */
export { phone, wellFormed } from '../../../core/send.ts';

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
