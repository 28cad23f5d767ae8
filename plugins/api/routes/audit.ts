// GET /audit: who did what through the API, newest first, for admin keys.
import * as v from 'valibot';
import { instant } from '../../../core/send.ts';
import type { AuditLog } from '../audit.ts';
import type { RouteDef } from '../service.ts';
import { limit, listOf } from './schemas.ts';

const at = v.pipe(instant, v.transform((s: string) => Date.parse(s)));

const auditQuery = v.strictObject({
  limit,
  cursor: v.optional(v.pipe(v.string(), v.regex(/^\d{1,15}$/, 'the `next` of a previous page'))),
  key: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(64))),
  route: v.optional(v.pipe(v.string(), v.startsWith('/', 'a route such as /sms/send'), v.maxLength(200))),
  since: v.optional(at),
  until: v.optional(at),
});

const entry = v.object({
  id: v.string(),
  at: v.string(),
  key: v.nullable(v.string()),
  method: v.string(),
  route: v.string(),
  target: v.nullable(v.string()),
  status: v.number(),
  code: v.nullable(v.string()),
  client: v.nullable(v.string()),
  requestId: v.string(),
});

/**
 * @example
 * http.route(...auditRoutes(audit));
 */
export function auditRoutes(audit: AuditLog): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/audit',
      summary: 'The audit log: calls that changed something, and calls refused for a missing scope; newest first',
      description:
        'Each entry: the key, the route (its template), the id acted on, the answer status and error code, the client address and request id. ' +
        'Never message texts or numbers. Filters: `key`, `route` (e.g. `/sms/send`), `since`/`until` (RFC 3339). Pass `next` as `cursor` for the next page.',
      tags: ['access'],
      scope: 'admin',
      query: auditQuery,
      responses: { 200: { description: 'A page of entries', schema: listOf(entry) } },
      handler: ({ query }) => audit.page(query as v.InferOutput<typeof auditQuery>),
    },
  ];
}
