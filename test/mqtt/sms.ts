import { newId } from '../../core/ids.ts';
import { definePlugin } from '../../core/plugin.ts';
import type { ModemStatus, SendAccepted, SendRequest, SmsService, UssdResult } from '../../core/services.ts';

/** A typed service error, shaped as the modem plugin throws them (code, field, status). */
class ServiceError extends Error {
  readonly code: string;
  readonly field?: string;
  readonly status = 400;
  constructor(code: string, message: string, field?: string) {
    super(message);
    this.code = code;
    this.field = field;
  }
}

/**
 * A small in-memory SmsService for MQTT tests: it validates the number the way the modem plugin
 * does (E.164, national digits or a short code), records what it accepted, and answers USSD.
 */
export function memorySms(modem: Partial<ModemStatus> = {}) {
  const sent: (SendRequest & { id: string })[] = [];
  const status: ModemStatus = {
    id: 'default',
    state: 'online',
    operator: 'Test Operator',
    signalDbm: -71,
    registration: 'home',
    sim: 'ready',
    model: 'SIM7600',
    imei: '8675****09',
    simulator: true,
    resets: 0,
    reason: null,
    ...modem,
  };
  const service: SmsService = {
    send(request): SendAccepted {
      if (!/^\+?[0-9]{3,20}$/.test(request.to)) throw new ServiceError('invalid_number', 'not a phone number', 'to');
      if (request.text.length === 0) throw new ServiceError('empty_text', 'text is empty', 'text');
      const id = newId();
      sent.push({ ...request, id });
      return { id, status: 'queued', to: request.to, parts: 1, encoding: 'gsm7' };
    },
    listMessages: () => [],
    getMessage: () => undefined,
    cancel(id) {
      throw new ServiceError('not_found', `no such outbound message ${id}`, 'id');
    },
    change(id) {
      throw new ServiceError('not_found', `no such outbound message ${id}`, 'id');
    },
    listDeliveryReports: () => [],
    async ussd(code): Promise<UssdResult> {
      if (code === '*999#') throw new ServiceError('modem_error', 'network rejected the USSD request');
      return { code, response: 'Balance: 5.00', sessionOpen: false, dcs: 15 };
    },
    ussdReply: async (text) => ({ code: '', response: `reply ${text.length}`, sessionOpen: false, dcs: 15 }),
    ussdCancel: async () => {},
    modems: () => [status],
    stats: () => ({ outboundQueued: 0, inboundTotal: 0, outboundTotal: sent.length, failedTotal: 0, deliveryReports: 0, decodeErrors: 0, resets: 0 }),
  };
  const plugin = definePlugin({
    name: 'memory-sms',
    setup(ctx) {
      ctx.provide('sms', service);
    },
  });
  return { service, sent, status, plugin };
}
