// What the driver does with each unsolicited result code: new-message indications (27.005 3.4.1),
// routed messages, USSD answers, calls (27.007 7.18) and network registration (27.007 7.2).
import type { DriverContext } from './context.ts';
import * as parse from './parse.ts';
import { readOne, serialRead, takeIn } from './reading.ts';
import { BOOT_LINES, onBootLine } from './reboot.ts';
import { DOMAINS, onRegistrationUrc } from './registration.ts';
import { isHexLine, openQuote } from './urc.ts';

/** Registers the driver's URC handlers on its AT engine; once, when the driver is made. */
export function registerUrcs(m: DriverContext): void {
  const urcs = m.at.urcs;
  urcs.on('+CMTI:', ([line]) => onIndication(m, line!));
  urcs.on('+CDSI:', ([line]) => onIndication(m, line!));
  urcs.on('+CMT:', (lines) => onRouted(m, lines), { lines: 1, accept: isHexLine });
  urcs.on('+CDS:', (lines) => onRouted(m, lines), { lines: 1, accept: isHexLine });
  urcs.on('+CUSD:', (lines) => m.ussd.onUrc(lines), { lines: openQuote });
  urcs.on('RING', () => m.calls.ring());
  urcs.on('+CRING:', () => m.calls.ring());
  urcs.on('+CLIP:', ([line]) => m.calls.clip(parse.parseClip(line!)));
  urcs.on('NO CARRIER', () => m.calls.end('no carrier'));
  for (const domain of DOMAINS) urcs.on(`${domain}:`, ([line]) => onRegistrationUrc(m, domain, line!));
  // Boot lines: a modem that rebooted in place is set up again (reboot.ts).
  for (const p of BOOT_LINES) urcs.on(p, ([line]) => onBootLine(m, line!));
  // Huawei's storage-full indication: the network now holds new messages back; check (and empty) it now.
  urcs.on('^SMMEMFULL:', () => m.wakeHealth?.());
  // Vendor noise (Huawei ^RSSI/^BOOT/^MODE ...): recognised, ignored.
  urcs.on('^', () => {});
}

function onIndication(m: DriverContext, line: string): void {
  const ind = parse.parseIndication(line);
  if (!ind) return;
  serialRead(m, () => readOne(m, ind.mem, ind.index)).catch((error) =>
    m.deps.log.warn({ err: error, mem: ind.mem, index: ind.index }, 'could not read an indicated message (it stays on the SIM; the next sweep retries)'),
  );
}

/** Routed +CMT/+CDS: durable first, then +CNMA (27.005 3.4.4); no ack = the network delivers again. */
function onRouted(m: DriverContext, lines: string[]): void {
  const [head, pdu] = lines;
  if (pdu === undefined) {
    m.deps.log.warn({ urc: head!.slice(0, 5) }, 'routed message without its PDU line');
    return;
  }
  serialRead(m, async () => {
    await takeIn(m, pdu.replace(/"$/, ''), parse.lengthOf(head!));
    if (m.csms === 1) await m.at.send('AT+CNMA').catch((e) => m.deps.log.warn({ err: e }, '+CNMA refused'));
  }).catch((error) => m.deps.log.error({ err: error }, 'routed message not stored; not acknowledged, the network will send it again'));
}
