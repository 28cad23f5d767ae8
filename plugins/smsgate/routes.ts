import * as v from 'valibot';
import { newId } from '../../core/ids.ts';
import type { SmsService } from '../../core/services.ts';
import type { EventType } from '../../core/events.ts';
import { ApiError, type RouteDef } from '../api/service.ts';
import { basicPassword } from '../doors/credentials.ts';
import type { Ledger } from '../doors/ledger.ts';
import { doorSend, type DoorSendDeps } from '../doors/send.ts';
import type { WebhookService } from '../webhook/service.ts';
import { overallState, recipientState, stateTimes } from './states.ts';

export const PREFIX = '/3rdparty/v1';

/** The app's webhook events and the agent's events each stands for. */
export const webhookEvents: Record<string, EventType[]> = {
  'sms:received': ['sms.received'],
  'sms:sent': ['sms.sent'],
  'sms:delivered': ['sms.delivered'],
  // The app has no "expired": an expired message is a failed one (the sms-gateway format says why).
  'sms:failed': ['sms.failed', 'sms.expired'],
  'system:ping': ['system.ping'],
};

/** The app's field names for smsedge's send fields, for 400 answers that name the caller's field. */
const fieldNames: Record<string, string> = {
  to: 'phoneNumbers',
  text: 'textMessage.text',
  ttlSeconds: 'ttl',
  deliveryReport: 'withDeliveryReport',
  modem: 'simNumber',
};

const idPattern = /^[A-Za-z0-9_-]{1,36}$/;

const messageBody = v.looseObject({
  id: v.optional(v.nullable(v.pipe(v.string(), v.regex(idPattern, 'at most 36 letters, digits, "-" or "_"')))),
  message: v.optional(v.nullable(v.string())),
  textMessage: v.optional(v.nullable(v.object({ text: v.string() }))),
  dataMessage: v.optional(v.nullable(v.unknown())),
  phoneNumbers: v.array(v.string()),
  simNumber: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1, 'simNumber must be >= 1')))),
  withDeliveryReport: v.optional(v.nullable(v.boolean())),
  isEncrypted: v.optional(v.nullable(v.boolean())),
  priority: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(-128), v.maxValue(127)))),
  ttl: v.optional(v.nullable(v.pipe(v.number(), v.integer(), v.minValue(1)))),
  validUntil: v.optional(v.nullable(v.string())),
  scheduleAt: v.optional(v.nullable(v.string())),
  deviceId: v.optional(v.nullable(v.string())),
});

const webhookBody = v.looseObject({
  id: v.optional(v.nullable(v.pipe(v.string(), v.regex(idPattern, 'at most 36 letters, digits, "-" or "_"')))),
  event: v.picklist(Object.keys(webhookEvents) as (keyof typeof webhookEvents)[], `one of ${Object.keys(webhookEvents).join(', ')}`),
  url: v.string(),
  deviceId: v.optional(v.nullable(v.string())),
});

/** The app answers errors as `{ message }`; 401 asks for Basic authentication. */
export function smsgateError(error: ApiError): Response {
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (error.status === 401) headers['www-authenticate'] = 'Basic realm="smsedge"';
  const field = error.field === undefined ? undefined : rename(error.field);
  const message = error.status === 401 ? 'Unauthorized' : field && !error.message.includes(field) ? `${field}: ${error.message}` : error.message;
  return new Response(JSON.stringify({ message }), { status: error.status, headers });
}

function rename(field: string): string {
  const [head, ...rest] = field.split('.');
  return [fieldNames[head!] ?? head, ...rest].join('.');
}

export interface SmsgateDeps extends DoorSendDeps<{ phoneNumber: string }> {
  ledger: Ledger<{ phoneNumber: string }>;
  sms: () => SmsService | undefined;
  webhook: () => WebhookService | undefined;
  agentId: string;
  health: () => Promise<{ status: 'pass' | 'warn' | 'fail'; version: string; plugins: Record<string, { status: string }> }>;
}

const doorRoute = { credential: basicPassword, errorAnswer: smsgateError, tags: ['smsgate'] } satisfies Partial<RouteDef>;

/** SMS Gateway for Android's "3rdparty v1" API on the agent's server. */
export function smsgateRoutes(d: SmsgateDeps): RouteDef[] {
  const sms = () => {
    const service = d.sms();
    if (!service) throw new ApiError(503, 'sms_unavailable', 'no modem plugin is running');
    return service;
  };
  const webhook = () => {
    const service = d.webhook();
    if (!service) throw new ApiError(501, 'webhooks_unavailable', 'webhooks need the webhook plugin in agent.config.ts');
    return service;
  };

  const send: RouteDef<v.InferOutput<typeof messageBody>>['handler'] = ({ body }) => {
    const text = body.textMessage?.text ?? body.message;
    if (body.dataMessage != null) throw new ApiError(400, 'invalid_request', 'data messages are not supported; send textMessage', 'dataMessage');
    if (body.isEncrypted) throw new ApiError(400, 'invalid_request', 'encrypted messages are not supported', 'isEncrypted');
    if (body.scheduleAt != null) throw new ApiError(400, 'invalid_request', 'scheduled messages are not supported', 'scheduleAt');
    if (body.textMessage && body.message != null) throw new ApiError(400, 'invalid_request', 'Cannot specify multiple message types simultaneously');
    if (text == null) throw new ApiError(400, 'invalid_request', 'Must specify exactly one of: textMessage or message');
    if (!body.phoneNumbers.length) throw new ApiError(400, 'invalid_request', 'phoneNumbers is empty', 'phoneNumbers');
    if (body.ttl != null && body.validUntil != null) throw new ApiError(400, 'invalid_request', 'fields conflict: ttl and validUntil');
    let ttlSeconds = body.ttl ?? undefined;
    if (body.validUntil != null) {
      const until = Date.parse(body.validUntil);
      if (!Number.isFinite(until)) throw new ApiError(400, 'invalid_request', 'not a date', 'validUntil');
      ttlSeconds = Math.ceil((until - d.now()) / 1000);
      if (ttlSeconds < 1) throw new ApiError(400, 'invalid_request', 'message already expired', 'validUntil');
    }
    let modem: string | undefined;
    if (body.simNumber != null) {
      modem = sms().modems()[body.simNumber - 1]?.id;
      if (!modem) throw new ApiError(400, 'invalid_request', `there is no SIM ${body.simNumber}`, 'simNumber');
    }
    const id = body.id ?? newId();
    if (d.ledger.byDoorId(id).length) throw new ApiError(409, 'conflict', `a message with id ${id} exists already`, 'id');
    const accepted = doorSend(
      d,
      {
        to: body.phoneNumbers,
        text,
        deliveryReport: body.withDeliveryReport ?? true,
        ...(ttlSeconds !== undefined ? { ttlSeconds: Math.min(ttlSeconds, 7 * 24 * 3600) } : {}),
        ...(modem ? { modem } : {}),
      },
      (list) => list.map((a, i) => ({ messageId: a.id, doorId: id, meta: { phoneNumber: body.phoneNumbers[i]! } })),
    );
    const now = new Date(d.now()).toISOString();
    return {
      id,
      deviceId: d.agentId,
      state: 'Pending',
      isHashed: false,
      isEncrypted: false,
      recipients: accepted.map((_, i) => ({ phoneNumber: body.phoneNumbers[i], state: 'Pending', error: null })),
      states: { Pending: now },
    };
  };

  const state: RouteDef['handler'] = ({ params }) => {
    const rows = idPattern.test(params.id ?? '') ? d.ledger.byDoorId(params.id!) : [];
    if (!rows.length) throw new ApiError(404, 'not_found', 'message not found', 'id');
    const service = sms();
    const messages = rows.map((r) => service.getMessage(r.messageId));
    const recipients = rows.map((r, i) => recipientState(messages[i], r.meta.phoneNumber));
    return {
      id: params.id,
      deviceId: d.agentId,
      state: overallState(recipients.map((r) => r.state)),
      isHashed: false,
      isEncrypted: false,
      recipients,
      states: stateTimes(messages),
    };
  };

  const hooks = () =>
    webhook()
      .list()
      .filter((s) => s.format === 'sms-gateway')
      .map((s) => ({
        id: s.id,
        event: Object.keys(webhookEvents).find((name) => webhookEvents[name]![0] === s.events[0]) ?? s.events[0],
        url: s.url,
        deviceId: d.agentId,
      }));

  return [
    ...['/message', '/messages'].flatMap((path): RouteDef[] => [
      { ...doorRoute, scope: 'send', method: 'POST', path: PREFIX + path, summary: 'SMS Gateway for Android: send a message', body: messageBody, status: 202,
        responses: { 202: { description: 'Queued: the message state, Pending' } }, handler: send },
      { ...doorRoute, scope: 'read', method: 'GET', path: `${PREFIX}${path}/:id`, summary: 'SMS Gateway for Android: a message state',
        responses: { 200: { description: 'The message and per-recipient states' }, 404: { description: 'No such message' } }, handler: state },
    ]),
    {
      ...doorRoute, scope: 'admin', method: 'GET', path: `${PREFIX}/webhooks`, summary: 'SMS Gateway for Android: the webhooks',
      responses: { 200: { description: 'Webhooks in the sms-gateway format' } }, handler: () => hooks(),
    },
    {
      ...doorRoute, scope: 'admin', method: 'POST', path: `${PREFIX}/webhooks`, summary: 'SMS Gateway for Android: register a webhook', body: webhookBody, status: 201,
      responses: { 201: { description: 'The webhook' } },
      handler: ({ body }: { body: v.InferOutput<typeof webhookBody> }) => {
        const service = webhook();
        const events = webhookEvents[body.event]!;
        const existing = body.id ? service.list().find((s) => s.id === body.id && s.format === 'sms-gateway') : undefined;
        // The app's POST replaces a webhook with the same id.
        const sub = existing
          ? service.update(existing.id, { url: body.url, events })
          : service.create({ url: body.url, events, format: 'sms-gateway' }, { useDefaultSecret: true }).webhook;
        return { id: sub.id, event: body.event, url: body.url, deviceId: d.agentId };
      },
    },
    {
      ...doorRoute, scope: 'admin', method: 'DELETE', path: `${PREFIX}/webhooks/:id`, summary: 'SMS Gateway for Android: delete a webhook',
      responses: { 204: { description: 'Deleted' } },
      handler: ({ params }) => {
        const service = webhook();
        const sub = service.list().find((s) => s.id === params.id && s.format === 'sms-gateway');
        if (!sub) throw new ApiError(404, 'not_found', 'webhook not found', 'id');
        service.remove(sub.id);
        return undefined;
      },
    },
    {
      ...doorRoute, method: 'GET', path: `${PREFIX}/health`, summary: 'SMS Gateway for Android: health', auth: false,
      responses: { 200: { description: 'pass or warn' }, 503: { description: 'fail' } },
      handler: async () => {
        const h = await d.health();
        const modems = d.sms()?.modems() ?? [];
        const online = modems.filter((m) => m.state === 'online').length;
        const checks = {
          'modems:online': {
            status: online ? 'pass' : 'fail',
            description: 'Modems online',
            observedValue: online,
            observedUnit: 'modems',
          },
        };
        // No modem online: nothing can be sent, whatever else is fine.
        const status = online ? h.status : 'fail';
        return new Response(JSON.stringify({ status, version: h.version, releaseId: 1, checks }), {
          status: status === 'fail' ? 503 : 200,
          headers: { 'content-type': 'application/health+json', 'cache-control': 'no-store' },
        });
      },
    },
  ];
}
