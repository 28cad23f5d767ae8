// How stored messages are printed by +CMGR / +CMGL (27.005 3.4.2-3.4.3 PDU mode, 4.1-4.2 text mode).
import { decodePdu } from '../../core/sms/index.ts';
import type { Modem } from '../modem.ts';
import { STAT_TEXT, type StoredMessage } from '../storage.ts';

/** ISO 8601 with offset → 27.005 text-mode time `yy/MM/dd,hh:mm:ss±zz` (zz in quarter hours). */
export function textTime(iso: string): string {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.\d+)?(Z|[+-]\d\d:\d\d)$/.exec(iso);
  if (!m) return '';
  const [, y, mo, d, h, mi, s, tz] = m;
  let quarters = 0;
  if (tz !== 'Z') quarters = (tz![0] === '-' ? -1 : 1) * (Number(tz!.slice(1, 3)) * 4 + Number(tz!.slice(4, 6)) / 15);
  const zz = `${quarters < 0 ? '-' : '+'}${String(Math.abs(quarters)).padStart(2, '0')}`;
  return `${y!.slice(2)}/${mo}/${d},${h}:${mi}:${s}${zz}`;
}

function toa(number: string): number {
  return number.startsWith('+') ? 145 : 129;
}

/** Text-mode data: the text in the TE character set (UCS2 → hex), 8-bit as hex. */
function textData(modem: Modem, text: string | null, data?: Uint8Array): string {
  if (text === null) return Buffer.from(data ?? []).toString('hex').toUpperCase();
  if (modem.settings.cscs === 'UCS2') return Buffer.from(text, 'utf16le').swap16().toString('hex').toUpperCase();
  return text;
}

/**
 * The header line and the line after it. `listIndex` given: a +CMGL entry; otherwise +CMGR.
 */
export function formatStored(modem: Modem, msg: StoredMessage, listIndex?: number): [string, string] {
  const prefix = listIndex === undefined ? '+CMGR: ' : `+CMGL: ${listIndex},`;
  if (modem.settings.cmgf === 0) {
    return [`${prefix}${msg.stat},${modem.profile.alpha},${msg.tpduLength}`, msg.pdu];
  }
  const stat = `"${STAT_TEXT[msg.stat]}"`;
  const d = decodePdu(msg.pdu, { tpduLength: msg.tpduLength });
  if (d.type === 'deliver') {
    return [`${prefix}${stat},"${d.from}",,"${textTime(d.timestamp)}"`, textData(modem, d.text, d.data)];
  }
  if (d.type === 'status-report') {
    return [
      `${prefix}${stat},${d.firstOctet},${d.mr},"${d.recipient}",${toa(d.recipient)},"${textTime(d.timestamp)}","${textTime(d.dischargeTime)}",${d.status}`,
      '',
    ];
  }
  return [`${prefix}${stat},"${d.to}",`, textData(modem, d.text, d.data)];
}
