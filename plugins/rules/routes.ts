import * as v from 'valibot';
import type { RouteDef } from '../api/service.ts';
import { ApiError } from '../api/service.ts';
import type { RulesStore } from './store.ts';

/** One action's outcome as the API shows it (also on GET /sms/messages/:id, under `rules`). */
export const actionResultSchema = v.object({
  key: v.string(),
  rule: v.string(),
  action: v.picklist(['forward', 'reply', 'optOut', 'optIn']),
  target: v.optional(v.string()),
  status: v.picklist(['pending', 'done', 'failed', 'skipped']),
  attempts: v.number(),
  reason: v.optional(v.string()),
  messageId: v.optional(v.string()),
  at: v.string(),
});

export const messageRulesSchema = v.object({
  blocked: v.boolean(),
  tags: v.array(v.string()),
  results: v.array(
    v.object({
      eventId: v.string(),
      eventType: v.string(),
      blocked: v.boolean(),
      tags: v.array(v.string()),
      matched: v.array(v.string()),
      actions: v.array(actionResultSchema),
    }),
  ),
});

const optOut = v.object({ number: v.string(), at: v.string(), rule: v.string() });
const number = v.pipe(v.string(), v.regex(/^\+?\d{3,15}$/, 'not a phone number (digits only, with an optional leading +)'));

/** GET /rules/opt-outs and DELETE /rules/opt-outs/:number: the list the optOut/optIn actions keep. */
export function rulesRoutes(store: RulesStore): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/rules/opt-outs',
      summary: 'Numbers that opted out (the rules’ optOut action), newest first',
      tags: ['rules'],
      scope: 'read',
      responses: { 200: { description: 'The opt-out list', schema: v.object({ data: v.array(optOut) }) } },
      handler: () => ({ data: store.optOuts() }),
    },
    {
      method: 'DELETE',
      path: '/rules/opt-outs/:number',
      summary: 'Take a number off the opt-out list',
      tags: ['rules'],
      // Sending to someone who said STOP again is the operator's decision, not an app's.
      scope: 'admin',
      responses: { 204: { description: 'Removed' }, 400: { description: 'Not a phone number (invalid_request naming number)' }, 404: { description: 'The number is not on the list' } },
      status: 204,
      handler: ({ params }) => {
        const n = v.safeParse(number, decodeURIComponent(params.number ?? ''));
        if (!n.success) throw new ApiError(400, 'invalid_request', 'number: not a phone number (digits only, with an optional leading +)', 'number');
        if (!store.optIn(n.output)) throw new ApiError(404, 'not_found', 'number: not on the opt-out list', 'number');
        return undefined;
      },
    },
  ];
}
