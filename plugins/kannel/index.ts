import * as v from 'valibot';
import { definePlugin } from '../../core/plugin.ts';
import { callbackSink } from '../doors/callbacks.ts';
import { Ledger } from '../doors/ledger.ts';
import { mountDoor } from '../doors/mount.ts';
import { dlrAnswer, dlrType, fillDlrUrl } from './dlr.ts';
import { kannelRoutes, type KannelMeta } from './routes.ts';

/**
 * Kannel's `sendsms` on the agent's API server, for tools that speak only Kannel (Nextcloud's
 * two-factor gateway, many monitoring tools): `GET/POST /cgi-bin/sendsms` with `username` (any) and
 * `password` (the agent's API key), `to` (several, space-separated), `text`, `from`, `coding`,
 * `charset`, `validity`, `dlr-mask`, `dlr-url`. Answers `0: Accepted for delivery` (202) or Kannel's
 * refusal lines; delivery reports GET the dlr-url with Kannel's escape codes filled in.
 *
 * @example
 * // agent.config.ts
 * plugins: [modem(), api(), kannel()]
 */
export const kannel = definePlugin({
  name: 'kannel',
  dependsOn: ['api'],
  after: ['modem'],
  options: v.optional(v.strictObject({}), {}),
  setup(ctx) {
    const ledger = new Ledger<KannelMeta>(ctx.store, 'kannel');
    const routes = kannelRoutes({ ledger, store: ctx.store, now: () => ctx.clock.now(), sms: () => ctx.tryUse('sms') });
    const sink = callbackSink(ctx, (event) => {
      const messageId = (event.data as { messageId?: string }).messageId;
      const row = messageId ? ledger.byMessageId(messageId) : undefined;
      const type = dlrType(event);
      if (!row?.meta.dlrUrl || type === undefined || !(row.meta.dlrMask & type)) return undefined;
      const message = ctx.tryUse('sms')?.getMessage(messageId!);
      const mr = message?.direction === 'outbound' ? message.partDetails.find((p) => p.mr !== null)?.mr : undefined;
      const url = fillDlrUrl(row.meta.dlrUrl, {
        type,
        answer: dlrAnswer(event),
        receiver: (event.data as { to: string }).to,
        sender: row.meta.from,
        id: messageId!,
        foreignId: mr == null ? '' : String(mr),
        at: new Date(event.timestamp),
      });
      return { url, init: { method: 'GET', headers: { 'user-agent': 'Kannel (smsedge)' } } };
    });
    return mountDoor(ctx, ledger, routes, sink);
  },
});

export default kannel;
