import { createHash } from 'node:crypto';
import type { AnyEvent, EventType } from '../../core/events.ts';
import type { SmppAccount } from './options.ts';
import type { SubmitRow, Submits } from './schema.ts';
import { concatUdh, encodeForClient, encodeGsm } from './text.ts';
import { receiptDate } from './time.ts';

/** The events a client hears of: received SMS, and the final states of what it sent. */
export const deliverEvents: readonly EventType[] = ['sms.received', 'sms.delivered', 'sms.failed', 'sms.expired'];

/** SMPP 3.4 5.2.28 message_state. */
export const MESSAGE_STATE = { ENROUTE: 1, DELIVERED: 2, EXPIRED: 3, DELETED: 4, UNDELIVERABLE: 5, ACCEPTED: 6, UNKNOWN: 7, REJECTED: 8 } as const;

/** The receipt's `stat:` word for each message_state (SMPP 3.4 Appendix B). */
const STAT: Record<number, string> = { 1: 'ENROUTE', 2: 'DELIVRD', 3: 'EXPIRED', 4: 'DELETED', 5: 'UNDELIV', 6: 'ACCEPTD', 7: 'UNKNOWN', 8: 'REJECTD' };

/** A number as SMPP addresses it: '+' numbers are TON 1 / NPI 1 (E.164 digits), letters TON 5, other digits TON 0 / NPI 1. */
export function address(value: string): { addr: string; ton: number; npi: number } {
  if (/^\+\d+$/.test(value)) return { addr: value.slice(1), ton: 1, npi: 1 };
  if (/^\d*$/.test(value)) return { addr: value, ton: 0, npi: 1 };
  return { addr: value.slice(0, 11), ton: 5, npi: 0 };
}

/** A stable 8-bit concatenation reference for one event: the same on every retry. */
function reference(eventId: string): number {
  return createHash('sha256').update(eventId).digest()[0]!;
}

export type DeliverFields = Record<string, unknown>;

/**
 * deliver_sm for a received SMS (esm_class 0): one PDU when it fits 254 octets or the account takes
 * message_payload, else one PDU per part with a concatenation UDH (esm_class 0x40). 8-bit data goes
 * as data_coding 4. The destination is the modem that received it.
 */
export function incoming(event: Extract<AnyEvent, { type: 'sms.received' }>, account: SmppAccount): DeliverFields[] {
  const d = event.data;
  const src = address(d.from);
  const base = {
    service_type: '',
    source_addr_ton: src.ton,
    source_addr_npi: src.npi,
    source_addr: src.addr,
    dest_addr_ton: 0,
    dest_addr_npi: 0,
    destination_addr: d.modem.slice(0, 20),
    esm_class: 0,
    registered_delivery: 0,
  };
  if (d.text === undefined) {
    const data = Buffer.from(d.data ?? '', 'hex');
    return [data.length > 254 ? { ...base, data_coding: 4, short_message: Buffer.alloc(0), message_payload: data } : { ...base, data_coding: 4, short_message: data }];
  }
  const enc = encodeForClient(d.text);
  if (enc.parts.length === 1 && enc.whole.length <= 254) return [{ ...base, data_coding: enc.dataCoding, short_message: enc.whole }];
  if (account.longMessages === 'payload') return [{ ...base, data_coding: enc.dataCoding, short_message: Buffer.alloc(0), message_payload: enc.whole }];
  const ref = reference(event.id);
  return enc.parts.map((part, i) => ({
    ...base,
    esm_class: 0x40,
    data_coding: enc.dataCoding,
    short_message: Buffer.concat([concatUdh(ref, enc.parts.length, i + 1), part]),
  }));
}

/** The final state an event reports for a message, or undefined when it is no final state. */
function finalState(event: AnyEvent): { state: number; error: number } | undefined {
  switch (event.type) {
    case 'sms.delivered':
      return { state: MESSAGE_STATE.DELIVERED, error: 0 };
    case 'sms.expired':
      return { state: MESSAGE_STATE.EXPIRED, error: 0 };
    case 'sms.failed': {
      const d = event.data;
      // The modem or network refused the send: REJECTD; a report that it could not be delivered: UNDELIV.
      const state = d.stage === 'send' ? MESSAGE_STATE.REJECTED : d.state === 'expired' ? MESSAGE_STATE.EXPIRED : MESSAGE_STATE.UNDELIVERABLE;
      return { state, error: d.code ?? 0 };
    }
    default:
      return undefined;
  }
}

/** Whether registered_delivery asks for a receipt of this state: 1 any final, 2 failures, 3 successes (SMPP 5.0). */
function wanted(registered: number, state: number): boolean {
  const kind = registered & 0x03;
  const success = state === MESSAGE_STATE.DELIVERED;
  return kind === 1 || (kind === 2 && !success) || (kind === 3 && success);
}

/**
 * The customary receipt text (SMPP 3.4 Appendix B), as Kannel, Jasmin and most SMSCs write it:
 * `id:<id> sub:001 dlvrd:001 submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DELIVRD err:000 text:<20 chars>`.
 */
export function receiptText(row: Pick<SubmitRow, 'smppId' | 'createdAt' | 'meta'>, state: number, error: number, doneAt: number): string {
  const err = String(Math.abs(error) % 1000).padStart(3, '0');
  const dlvrd = state === MESSAGE_STATE.DELIVERED ? '001' : '000';
  return `id:${row.smppId} sub:001 dlvrd:${dlvrd} submit date:${receiptDate(row.createdAt)} done date:${receiptDate(doneAt)} stat:${STAT[state]} err:${err} text:${row.meta.preview}`;
}

/**
 * Delivery receipts (esm_class 0x04) for one final event of a message the account submitted: one per
 * submit_sm it came from (each part of a concatenated message has its id), when its
 * registered_delivery asks for this outcome. The receipt goes from the handset (the submit's
 * destination) to the client's source address, with receipted_message_id and message_state.
 */
export function receipts(event: AnyEvent, account: SmppAccount, submits: Submits): DeliverFields[] {
  const final = finalState(event);
  const messageId = (event.data as { messageId?: string }).messageId;
  if (!final || !messageId) return [];
  const doneAt = Date.parse(event.timestamp);
  return submits
    .byMessage(messageId)
    .filter((row) => row.account === account.systemId && wanted(row.meta.registered, final.state))
    .map((row) => {
      const text = receiptText(row, final.state, final.error, doneAt);
      return {
        service_type: '',
        source_addr_ton: row.meta.destTon,
        source_addr_npi: row.meta.destNpi,
        source_addr: row.meta.destination,
        dest_addr_ton: row.meta.sourceTon,
        dest_addr_npi: row.meta.sourceNpi,
        destination_addr: row.meta.source,
        esm_class: 0x04,
        data_coding: 0,
        // The preview is the client's own text: characters without a GSM septet are shown as '?'.
        short_message: encodeGsm(text) ?? encodeGsm(text.replace(/[^\x20-\x7e]/g, '?'))!,
        receipted_message_id: row.smppId,
        message_state: final.state,
        ...(final.error && final.state !== MESSAGE_STATE.DELIVERED ? { network_error_code: Buffer.from([3, (final.error >> 8) & 0xff, final.error & 0xff]) } : {}),
      };
    });
}

/** Every deliver_sm one event means for one account (none when it is not the account's business). */
export function delivers(event: AnyEvent, account: SmppAccount, submits: Submits): DeliverFields[] {
  if (event.type === 'sms.received') {
    if (account.modems && !account.modems.includes(event.data.modem)) return [];
    return incoming(event, account);
  }
  return receipts(event, account, submits);
}
