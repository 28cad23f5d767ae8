// GET /calls: missed calls, newest first. A missed call is an event only (`call.missed`), so the list
// is read from the event journal and reaches back as far as its retention (7 days by default).
import * as v from 'valibot';
import type { CallMissed } from '../../../core/events.ts';
import type { Journal } from '../../../core/journal.ts';
import type { RouteDef } from '../service.ts';
import { page } from './sms.ts';
import { listOf, listQuery } from './schemas.ts';

const call = v.object({
  id: v.string(),
  /** Null when the caller withheld the number. */
  from: v.nullable(v.string()),
  at: v.string(),
  modem: v.string(),
});

export function callRoutes(journal: Pick<Journal, 'latest'>): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/calls',
      summary: 'List missed calls, newest first',
      description: 'Read from the event journal: calls older than its retention (`retentionHours`, 7 days by default) are gone. `id` is the event id of the `call.missed` event.',
      tags: ['calls'],
      scope: 'read',
      query: v.strictObject(listQuery),
      responses: { 200: { description: 'A page of missed calls', schema: listOf(call) } },
      handler: ({ query }) => {
        const events = journal.latest({ types: ['call.missed'], beforeId: query.before, limit: query.limit });
        return page(events.map((e) => {
          const d = e.data as CallMissed;
          return { id: e.id, from: d.from ?? null, at: d.at, modem: d.modem };
        }), query.limit);
      },
    },
  ];
}
