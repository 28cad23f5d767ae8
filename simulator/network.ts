// What the network does to the modem: delivers SMS (stored with +CMTI or routed with +CMT, 27.005
// 3.4.1), accepts submits and later sends status reports (+CDSI / +CDS), rings (27.007 7.18 +CLIP).
import { decodePdu, encodeStatusReport, type DecodedSubmit } from '../core/sms/index.ts';
import type { Modem } from './modem.ts';

/** How long a routed +CMT/+CDS waits for +CNMA when +CSMS=1 before routing is switched off (27.005 3.4.4). */
export const ACK_TIMEOUT_MS = 15_000;
/** Ring cadence and how many rings before the caller gives up. */
export const RING_EVERY_MS = 3000;
export const MAX_RINGS = 10;

export interface IncomingPart {
  pdu: string;
  tpduLength: number;
  class: number | null;
}

/** An indication subject to +CNMI <mode> 0 buffering. */
function indicate(modem: Modem, lines: string[]): void {
  if (modem.settings.cnmi[0] === 0) modem.bufferedUrcs.push(lines);
  else modem.urcBlock(lines);
}

/** +CNMI <mode> set to 1/2: buffered indications are flushed (<bfr> 0) or dropped (<bfr> 1). */
export function flushBuffered(modem: Modem): void {
  const buffered = modem.bufferedUrcs;
  modem.bufferedUrcs = [];
  if (modem.settings.cnmi[4] === 0) for (const lines of buffered) modem.urcBlock(lines);
}

/** The SC hands one SMS-DELIVER to the modem. Held at the network while unregistered or full. */
export function deliverSms(modem: Modem, part: IncomingPart): void {
  if (!modem.registered || (modem.pendingAck && modem.settings.csms === 1)) {
    modem.networkQueue.push(part);
    return;
  }
  const [, mt] = modem.settings.cnmi;
  // 27.005 3.4.1 <mt>: 2 routes everything but class 2 (SIM-specific, always stored); 3 routes class 3 only.
  const route = (mt === 2 && part.class !== 2) || (mt === 3 && part.class === 3);
  if (route) {
    routed(modem, 'deliver', part.pdu, part.tpduLength, `+CMT: ,${part.tpduLength}`);
    return;
  }
  const storage = part.class === 2 ? modem.storages.get('SM') ?? modem.storage(modem.mem[2]) : modem.storage(modem.mem[2]);
  const stored = storage.store({ stat: 0, kind: 'deliver', pdu: part.pdu, tpduLength: part.tpduLength });
  if (!stored) {
    // 23.040 / 24.011: memory capacity exceeded; the SC keeps the message and retries later.
    modem.networkQueue.push(part);
    if (modem.profile.memFullUrc) modem.urc(modem.profile.memFullUrc(storage.name));
    return;
  }
  if (mt !== 0) indicate(modem, [`+CMTI: "${storage.name}",${stored.index}`]);
}

/** Retries what the network holds: after registration, after +CMGD freed space, after +CNMA. */
export function drainNetwork(modem: Modem): void {
  const queued = modem.networkQueue;
  modem.networkQueue = [];
  for (const part of queued) deliverSms(modem, part);
}

function routed(modem: Modem, kind: 'deliver' | 'status-report', pdu: string, tpduLength: number, header: string): void {
  const cancel = new AbortController();
  modem.pendingAck = { kind, pdu, tpduLength, cancel };
  indicate(modem, [header, pdu]);
  if (modem.settings.csms !== 1) return;
  modem.clock.sleep(ACK_TIMEOUT_MS, cancel.signal).then(() => {
    if (modem.pendingAck?.cancel !== cancel) return;
    // 27.005 3.4.4: no +CNMA in time: the TA sets <mt> and <ds> to 0; the message is not lost
    // (the SC will retry; here it lands in storage without an indication).
    modem.pendingAck = null;
    modem.settings.cnmi[1] = 0;
    modem.settings.cnmi[3] = 0;
    if (kind === 'deliver') modem.storage(modem.mem[2]).store({ stat: 0, kind, pdu, tpduLength });
    else modem.reportStorage.store({ stat: 0, kind, pdu, tpduLength });
    drainNetwork(modem);
  }, () => {});
}

/** AT+CNMA: acknowledges the routed message. False when none was pending (+CMS ERROR: 340). */
export function acknowledge(modem: Modem): boolean {
  const pending = modem.pendingAck;
  if (!pending) return false;
  pending.cancel.abort();
  modem.pendingAck = null;
  drainNetwork(modem);
  return true;
}

/** The modem accepted an SMS-SUBMIT: it gets the next TP-MR; a status report follows when asked for. */
export function acceptSubmit(modem: Modem, submit: DecodedSubmit, pdu: string, airMs = 0): number {
  const mr = modem.nextMr;
  modem.nextMr = (mr + 1) & 0xff;
  const at = modem.now();
  modem.sent.push({
    mr, to: submit.to, text: submit.text, encoding: submit.encoding,
    concat: submit.concat ? { ref: submit.concat.ref, total: submit.concat.total, part: submit.concat.part } : null,
    statusReportRequest: submit.statusReportRequest, pdu, at, submit,
  });
  if (modem.sent.length > modem.sentLimit) modem.sent.splice(0, modem.sent.length - modem.sentLimit);
  if (submit.statusReportRequest) {
    const plan = modem.deliveryOutcomes.get(submit.to) ?? modem.deliveryOutcomes.get(submit.to.replace(/^\+/, '')) ?? modem.defaultDelivery;
    const report = (status: number) => statusReport(modem, { mr, to: submit.to, at, status });
    // The delay counts from the SC's answer, which comes `airMs` after the modem took the PDU (timing model).
    const first = airMs + plan.delayMs;
    if (plan.outcome === 'delivered') modem.later(first, () => report(0x00));
    // 23.040 9.2.3.15: 0x41 incompatible destination (permanent); 0x21 recipient busy (temporary, still trying).
    else if (plan.outcome === 'failed') modem.later(first, () => report(0x41));
    else modem.later(first, () => {
      report(0x21);
      modem.later(plan.delayMs, () => report(0x00));
    });
  }
  return mr;
}

/** The SC reports on message `mr`: stored (+CDSI), routed (+CDS) or silently stored, per +CNMI <ds>. */
export function statusReport(modem: Modem, r: { mr: number; to: string; at: number; status: number }): void {
  const { pdu: tpdu } = encodeStatusReport({
    mr: r.mr, recipient: r.to, scts: new Date(r.at), dischargeTime: new Date(modem.now()), status: r.status,
    tzQuarterHours: modem.tzQuarters, smsc: modem.smsc,
  });
  const tpduLength = decodePdu(tpdu).tpduLength;
  const ds = modem.settings.cnmi[3];
  const quirk = modem.quirks.statusReports ?? 'as-asked';
  // Quectel stores and announces with +CDSI whatever <ds> asks; SIMCom routes as +CDS whatever it asks.
  if ((ds === 1 && quirk !== 'stored') || (ds !== 0 && quirk === 'routed')) {
    routed(modem, 'status-report', tpdu, tpduLength, `+CDS: ${tpduLength}`);
    return;
  }
  const storage = modem.reportStorage;
  const stored = storage.store({ stat: 0, kind: 'status-report', pdu: tpdu, tpduLength });
  if (stored && ds !== 0) indicate(modem, [`+CDSI: "${storage.name}",${stored.index}`]);
}

/** A call comes in: RING (and +CLIP with AT+CLIP=1) every few seconds until answered or hung up. */
export function ring(modem: Modem, from: string): boolean {
  if (!modem.registered || modem.call) return false;
  const call = { from, state: 'ringing' as const, rings: 0 };
  modem.call = call;
  const once = () => {
    if (modem.call !== call || call.state !== 'ringing') return;
    if (call.rings >= MAX_RINGS) {
      modem.call = null;
      modem.urc('NO CARRIER');
      return;
    }
    call.rings++;
    // 27.007 7.18: +CLIP: <number>,<type>; 145 international (leading +), 129 otherwise.
    const clip = modem.settings.clip ? [`+CLIP: "${from}",${from.startsWith('+') ? 145 : 129},"",0,"",0`] : [];
    modem.urc('RING', ...clip);
    modem.later(RING_EVERY_MS, once);
  };
  once();
  return true;
}

/** The far end hangs up. */
export function remoteHangup(modem: Modem): boolean {
  if (!modem.call) return false;
  modem.call = null;
  modem.urc('NO CARRIER');
  return true;
}
