import { checkSend, MAX_PARTS } from '../../core/send.ts';
import type { SendRequest, SmsService } from '../../core/services.ts';
import { newId } from '../../core/ids.ts';
import type { Store } from '../../core/store.ts';
import { status, type Pdu } from './pdu.ts';
import type { SubmitMeta, Submits } from './schema.ts';
import { decodeText, splitUdh, textCoding, TextError, type Concat } from './text.ts';
import { smppTime, TimeError } from './time.ts';

export interface SubmitDeps {
  sms: () => SmsService | undefined;
  store: Store;
  submits: Submits;
  now: () => number;
  /** The modem an account's message goes through (undefined: any, the agent's round robin). */
  modemFor: (account: string) => string | undefined;
}

/** What a submit_sm is answered with: a status, and the message id when it is ESME_ROK. */
export interface SubmitAnswer {
  status: number;
  messageId?: string;
  /** Why it was refused, for the log (never the text or the full number). */
  reason?: string;
}

const refuse = (code: number, reason: string): SubmitAnswer => ({ status: code, reason });

/** SMPP 3.4 5.2.5-6: TON 1 is an international number: E.164 digits without the '+'. */
export function recipient(pdu: Pdu): string {
  const digits = String(pdu.destination_addr ?? '').trim();
  return Number(pdu.dest_addr_ton) === 1 && /^\d/.test(digits) ? `+${digits}` : digits;
}

/** The agent's answer to a refused send, as SMPP says it (5.1.3). */
function sendStatus(error: unknown): SubmitAnswer {
  const e = error as { code?: string; field?: string; message?: string };
  const reason = typeof e.message === 'string' ? e.message : String(error);
  if (e.code === 'invalid_request') {
    if (e.field === 'to') return refuse(status.ESME_RINVDSTADR, reason);
    if (e.field === 'validityMinutes' || e.field === 'ttlSeconds') return refuse(status.ESME_RINVEXPIRY, reason);
    if (e.field === 'sendAt') return refuse(status.ESME_RINVSCHED, reason);
    return refuse(status.ESME_RINVMSGLEN, reason);
  }
  if (e.code === 'storage_full') return refuse(status.ESME_RMSGQFUL, reason);
  if (e.code === 'sms_unavailable' || e.code === 'no_modem' || e.code === 'unknown_modem') return refuse(status.ESME_RSYSERR, reason);
  throw error;
}

interface Parsed {
  text: string;
  concat?: Concat;
  request: Omit<SendRequest, 'text'>;
  meta: Omit<SubmitMeta, 'preview'>;
}

/** Reads a submit_sm into a send request; a string is the reason it is refused, with its status. */
function parse(pdu: Pdu, deps: SubmitDeps, account: string): Parsed | SubmitAnswer {
  const now = deps.now();
  const dataCoding = Number(pdu.data_coding ?? 0);
  const coding = textCoding(dataCoding);
  if (!coding) return refuse(status.ESME_RINVDCS, `data_coding ${dataCoding} is not taken (0, 1, 3 and 8 are)`);
  const short = (pdu.short_message as Buffer | undefined) ?? Buffer.alloc(0);
  const payload = pdu.message_payload as Buffer | undefined;
  if (payload?.length && short.length) return refuse(status.ESME_RINVMSGLEN, 'both short_message and message_payload are set');
  let octets: Uint8Array = payload?.length ? payload : short;
  let concat: Concat | undefined;
  const esmClass = Number(pdu.esm_class ?? 0);
  try {
    if (esmClass & 0x40) {
      const split = splitUdh(octets);
      octets = split.body;
      concat = split.concat;
    }
  } catch (error) {
    return refuse(status.ESME_RINVESMCLASS, (error as Error).message);
  }
  const sar = [pdu.sar_msg_ref_num, pdu.sar_total_segments, pdu.sar_segment_seqnum];
  if (!concat && sar.some((x) => x !== undefined)) {
    if (sar.some((x) => typeof x !== 'number')) return refuse(status.ESME_RINVTLVVAL, 'sar_msg_ref_num, sar_total_segments and sar_segment_seqnum go together');
    concat = { ref: sar[0] as number, total: sar[1] as number, seq: sar[2] as number };
  }
  if (concat && !(concat.total >= 1 && concat.seq >= 1 && concat.seq <= concat.total)) return refuse(status.ESME_RINVMSGLEN, `part ${concat.seq} of ${concat.total} is no part`);
  if (concat && concat.total > MAX_PARTS) return refuse(status.ESME_RINVMSGLEN, `a message of ${concat.total} parts is longer than ${MAX_PARTS} parts`);
  let text: string;
  try {
    text = decodeText(octets, coding);
  } catch (error) {
    if (!(error instanceof TextError)) throw error;
    return refuse(status.ESME_RINVMSGLEN, error.message);
  }
  let sendAt: number | undefined;
  let validUntil: number | undefined;
  try {
    sendAt = smppTime(pdu.schedule_delivery_time as string | undefined, now);
  } catch (error) {
    return refuse(status.ESME_RINVSCHED, (error as TimeError).message);
  }
  try {
    validUntil = smppTime(pdu.validity_period as string | undefined, now);
  } catch (error) {
    return refuse(status.ESME_RINVEXPIRY, (error as TimeError).message);
  }
  if (validUntil !== undefined && validUntil <= now) return refuse(status.ESME_RINVEXPIRY, 'validity_period is in the past');
  const registered = Number(pdu.registered_delivery ?? 0);
  const modem = deps.modemFor(account);
  const request: Omit<SendRequest, 'text'> = {
    to: recipient(pdu),
    // data_coding 8: the client chose UCS2 (an emoji, a script); otherwise the agent picks GSM when it fits.
    encoding: coding === 'ucs2' ? 'ucs2' : 'auto',
    deliveryReport: (registered & 0x03) !== 0,
    ...(sendAt !== undefined && sendAt > now ? { sendAt: new Date(sendAt).toISOString() } : {}),
    // The network's validity runs from 5 minutes to 63 weeks (23.040 9.2.3.12.1).
    ...(validUntil !== undefined ? { validityMinutes: Math.min(635_040, Math.max(5, Math.ceil((validUntil - Math.max(now, sendAt ?? now)) / 60_000))) } : {}),
    ...(Number(pdu.priority_flag ?? 0) > 0 ? { priority: 'high' as const } : {}),
    ...(modem ? { modem } : {}),
  };
  const meta = {
    source: String(pdu.source_addr ?? ''),
    sourceTon: Number(pdu.source_addr_ton ?? 0),
    sourceNpi: Number(pdu.source_addr_npi ?? 0),
    destination: String(pdu.destination_addr ?? ''),
    destTon: Number(pdu.dest_addr_ton ?? 0),
    destNpi: Number(pdu.dest_addr_npi ?? 0),
    registered,
  };
  return { text, ...(concat && concat.total > 1 ? { concat } : {}), request, meta };
}

/**
 * A submit_sm of an account, queued durably before it is answered: a whole message is sent through
 * the agent's `sms` service (validated as POST /sms/send validates) and recorded in the same
 * transaction; a part of a concatenated message (UDH, sar_* TLVs) is stored until the last one has
 * come, then the text is queued whole. Every submit_sm gets its own message id (the agent's message
 * id for a whole message), so each part's delivery receipt can be matched by the client.
 */
export function submit(pdu: Pdu, account: string, deps: SubmitDeps): SubmitAnswer {
  const sms = deps.sms();
  if (!sms) return refuse(status.ESME_RSYSERR, 'no modem plugin is running');
  const parsed = parse(pdu, deps, account);
  if ('status' in parsed) return parsed;
  const { text, concat, request, meta } = parsed;
  const preview = text.slice(0, 20);
  const now = deps.now();
  if (!concat) {
    if (!text) return refuse(status.ESME_RINVMSGLEN, 'the message is empty');
    try {
      return deps.store.transaction(() => {
        const accepted = sms.send({ ...request, text });
        deps.submits.add({ smppId: accepted.id, account, messageId: accepted.id, concatKey: null, seq: 1, total: 1, body: null, meta: { ...meta, preview }, state: 'queued' }, now);
        return { status: status.ESME_ROK, messageId: accepted.id };
      });
    } catch (error) {
      return sendStatus(error);
    }
  }
  // A part: the recipient and alphabet are checked now, so that a bad one is refused at its first part.
  try {
    checkSend({ ...request, text: text || ' ' });
  } catch (error) {
    return sendStatus(error);
  }
  const key = [account, meta.source, request.to, concat.ref, concat.total].join('\u0000');
  try {
    return deps.store.transaction(() => {
      const parts = deps.submits.waiting(key);
      // The same part again (its answer was lost): the same id, stored once.
      const again = parts.find((p) => p.seq === concat.seq);
      if (again) return { status: status.ESME_ROK, messageId: again.smppId };
      const smppId = newId();
      deps.submits.add({ smppId, account, messageId: null, concatKey: key, seq: concat.seq, total: concat.total, body: text, meta: { ...meta, preview }, state: 'waiting' }, now);
      if (parts.length + 1 < concat.total) return { status: status.ESME_ROK, messageId: smppId };
      const all = [...parts, { seq: concat.seq, body: text, smppId, meta }].sort((a, b) => a.seq - b.seq);
      const ids = all.map((p) => p.smppId);
      // Kannel asks for a receipt on the first part only: a report is requested when any part asks.
      const deliveryReport = all.some((p) => (p.meta.registered & 0x03) !== 0);
      try {
        const accepted = deps.store.transaction(() => sms.send({ ...request, deliveryReport, text: all.map((p) => p.body ?? '').join('') }));
        deps.submits.queued(ids, accepted.id);
        return { status: status.ESME_ROK, messageId: smppId };
      } catch (error) {
        const answer = sendStatus(error);
        deps.submits.reject(ids);
        return answer;
      }
    });
  } catch (error) {
    return sendStatus(error);
  }
}
