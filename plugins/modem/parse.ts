/**
 * Parsers for the information lines of the commands the driver uses (27.005 / 27.007). Each takes the
 * lines of an AtResponse and tolerates the vendor variants seen in real captures.
 */

/** Splits a parameter list, keeping quoted strings (with commas inside) whole and unquoted. */
export function params(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out;
}

/** The text after `+XXX:` of the first line with that prefix. */
export function valueOf(lines: readonly string[], prefix: string): string | undefined {
  const line = lines.find((l) => l.toUpperCase().startsWith(`${prefix.toUpperCase()}:`));
  return line?.slice(prefix.length + 1).trim();
}

export interface ListedPdu {
  index: number;
  stat: number | null;
  /** The <length> the modem printed (TPDU octets), if any. */
  length: number | undefined;
  pdu: string;
}

/** One listed entry; `pdu` is null when the line after its header is not a PDU (the modem is in text mode). */
export interface ListedEntry {
  index: number;
  stat: number | null;
  /** The <length> the modem printed (TPDU octets), if any. */
  length: number | undefined;
  pdu: string | null;
}

/**
 * 27.005 3.4.2 `+CMGL: <index>,<stat>,[<alpha>],<length>` each followed by its PDU line. A PDU with a
 * stray trailing quote (a real capture) is cleaned. An entry whose next line is not hex (a text-mode
 * listing) is kept with `pdu: null`, so that the caller can read it again rather than lose sight of it.
 */
export function listCmgl(lines: readonly string[]): ListedEntry[] {
  const out: ListedEntry[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (!line.startsWith('+CMGL:')) continue;
    const p = params(line.slice(6));
    const next = lines[i + 1];
    let pdu = cleanPdu(next);
    if (pdu !== null || (next !== undefined && !next.startsWith('+CMGL:'))) i++;
    // A PDU-mode entry whose PDU line is empty (empty lines never reach here): an empty PDU, not text mode.
    else if (isPduHeader(p.slice(1))) pdu = '';
    const length = Number(p[p.length - 1]);
    const index = Number(p[0]);
    if (!Number.isInteger(index)) continue;
    const stat = statOf(p[1]);
    out.push({ index, stat, length: pdu !== null && Number.isInteger(length) && p.length >= 2 ? length : undefined, pdu });
  }
  return out;
}

/** The PDU entries of a +CMGL listing (see listCmgl). */
export function parseCmgl(lines: readonly string[]): ListedPdu[] {
  return listCmgl(lines).filter((e): e is ListedPdu => e.pdu !== null);
}

export interface ListedPdu extends ListedEntry {
  pdu: string;
}

/** What one `AT+CMGR` answer holds: nothing (empty slot), a PDU, or lines that are not PDU mode. */
export type SlotReading =
  | { kind: 'empty' }
  /** `pdu` is '' when a PDU-mode header came with an empty PDU line; `header` is that line, from AT+CMGR. */
  | { kind: 'pdu'; stat: number | null; length: number | undefined; pdu: string; header?: string }
  /** `stat` from the header when it says one (a text-mode `"STO UNSENT"` too): drafts stay whatever their body. */
  | { kind: 'other'; lines: string[]; stat?: number | null };

/**
 * 27.005 3.4.3 `+CMGR: <stat>,[<alpha>],<length>` then the PDU. A `+CMGR:` whose next line is not hex is
 * `other` (a text-mode answer, 4.2: `+CMGR: "REC UNREAD","+4917...",,"<scts>"` then the text), never empty.
 */
export function readCmgr(lines: readonly string[]): SlotReading {
  const at = lines.findIndex((l) => l.startsWith('+CMGR:'));
  if (at < 0) return { kind: 'empty' };
  const p = params(lines[at]!.slice(6));
  let pdu = cleanPdu(lines[at + 1]);
  if (pdu === null && lines[at + 1] === undefined && isPduHeader(p)) pdu = '';
  if (pdu === null) return { kind: 'other', lines: lines.slice(at), stat: statOf(p[0]) };
  const length = Number(p[p.length - 1]);
  return { kind: 'pdu', stat: p.length > 1 ? statOf(p[0]) : null, length: Number.isInteger(length) ? length : undefined, pdu, header: lines[at]! };
}

const TEXT_STAT: Record<string, number> = { 'REC UNREAD': 0, 'REC READ': 1, 'STO UNSENT': 2, 'STO SENT': 3 };

/** 27.005 3.1 <stat>: a number in PDU mode, `"REC UNREAD"`... in text mode (4.1); null when neither. */
export function statOf(field: string | undefined): number | null {
  if (field === undefined) return null;
  const f = field.trim().toUpperCase();
  if (/^\d+$/.test(f)) return Number(f);
  return TEXT_STAT[f] ?? null;
}

/**
 * 27.005 3.4.2/3.4.3 PDU mode `<stat>,[<alpha>],<length>` (after the +CMGL index): numbers where text mode
 * (4.1/4.2) has a quoted `"REC UNREAD"`-style status.
 */
function isPduHeader(p: readonly string[]): boolean {
  return p.length >= 2 && p.length <= 3 && /^\d+$/.test(p[0]!) && /^\d+$/.test(p[p.length - 1]!);
}

/** 27.005 3.4.3 `+CMGR: <stat>,[<alpha>],<length>` then the PDU; null when the slot is empty or not PDU. */
export function parseCmgr(lines: readonly string[]): { stat: number | null; length: number | undefined; pdu: string } | null {
  const r = readCmgr(lines);
  return r.kind === 'pdu' ? { stat: r.stat, length: r.length, pdu: r.pdu } : null;
}

/** `+CMT: [<alpha>],<length>` / `+CDS: <length>`: the length is the last parameter. */
export function lengthOf(head: string): number | undefined {
  const colon = head.indexOf(':');
  const p = params(head.slice(colon + 1));
  const n = Number(p[p.length - 1]);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function cleanPdu(line: string | undefined): string | null {
  if (line === undefined) return null;
  const pdu = line.trim().replace(/"$/, '');
  return /^[0-9A-Fa-f]+$/.test(pdu) ? pdu.toUpperCase() : null;
}

/** `+CMTI: "SM",3` / `+CDSI: "SR",1` → storage and index. */
export function parseIndication(line: string): { mem: string; index: number } | null {
  const m = /^\+C(?:MTI|DSI):\s*"?([A-Z]{2})"?\s*,\s*(\d+)/i.exec(line.trim());
  return m ? { mem: m[1]!.toUpperCase(), index: Number(m[2]) } : null;
}

/**
 * 27.005 3.2.2 `+CPMS: ("SM","ME","SR"),(...),(...)` (the `=?` form): the storages for mem1..mem3.
 * Some modems print them without parentheses; then all three lists are the same. Read leniently: a
 * storage is any two-letter name, whatever the quotes around it (firmwares with mismatched quotes
 * exist), and a parenthesis left open still ends its list. Empty lists when nothing sensible is there.
 */
export function parseCpmsTest(lines: readonly string[]): string[][] {
  const v = valueOf(lines, '+CPMS');
  if (!v) return [];
  const names = (text: string) => [...new Set([...text.matchAll(/(?<![A-Za-z])[A-Za-z]{2}(?![A-Za-z])/g)].map((m) => m[0].toUpperCase()))];
  if (v.includes('(')) return v.split('(').slice(1).map((group) => names(group.split(')')[0]!));
  const flat = names(v);
  return [flat, flat, flat];
}

/** `+CPMS: "SM",3,30,"SM",3,30,"SM",3,30` → used/total per memory. */
export function parseCpmsRead(lines: readonly string[]): { mem: string; used: number; total: number }[] {
  const v = valueOf(lines, '+CPMS');
  if (!v) return [];
  const p = params(v);
  const out: { mem: string; used: number; total: number }[] = [];
  for (let i = 0; i + 2 < p.length; i += 3) out.push({ mem: p[i]!.toUpperCase(), used: Number(p[i + 1]), total: Number(p[i + 2]) });
  return out;
}

/** A 27.007 range list `(0-2)` / `(0,1,2)` / `(0-1,3)` → the allowed numbers. */
export function rangeList(text: string): number[] {
  const out: number[] = [];
  for (const part of text.replace(/[()]/g, '').split(',')) {
    const [a, b] = part.split('-').map((s) => Number(s.trim()));
    if (a === undefined || Number.isNaN(a)) continue;
    if (b === undefined || Number.isNaN(b)) out.push(a);
    else for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

/** 27.005 3.4.1 `+CNMI: (0-2),(0-3),(0,2),(0-2),(0,1)` → allowed values per parameter. */
export function parseCnmiTest(lines: readonly string[]): number[][] {
  const v = valueOf(lines, '+CNMI');
  if (!v) return [];
  return [...v.matchAll(/\(([^)]*)\)/g)].map((m) => rangeList(m[1]!));
}

/** 27.007 8.5 +CSQ <rssi> → dBm (0 = -113 dBm, 31 = -51 dBm or more, 99 = unknown). */
export function csqDbm(lines: readonly string[]): number | null {
  const v = valueOf(lines, '+CSQ');
  if (!v) return null;
  const rssi = Number(params(v)[0]);
  if (!Number.isInteger(rssi) || rssi === 99 || rssi < 0 || rssi > 31) return null;
  return -113 + 2 * rssi;
}

// 27.007 7.2 <stat>: 6/7 registered for "SMS only" and 9/10 "CSFB not preferred" (E-UTRAN) carry SMS too.
const regText = ['not registered', 'home', 'searching', 'denied', 'unknown', 'roaming', 'home (SMS only)', 'roaming (SMS only)', 'emergency only', 'home', 'roaming'];
const SMS_REGISTERED = new Set([1, 5, 6, 7, 9, 10]);

/** What a 27.007 7.2 <stat> means (the same for +CREG, +CGREG, +CEREG and +C5GREG). */
export function regOf(stat: number): { stat: number; text: string; registered: boolean } {
  return { stat, text: regText[stat] ?? `stat ${stat}`, registered: SMS_REGISTERED.has(stat) };
}

/** 27.007 7.2 `+CREG: <n>,<stat>[,...]` (or the URC `+CREG: <stat>[,...]`); +CGREG/+CEREG/+C5GREG alike. */
export function parseCreg(line: string, urc: boolean): { stat: number; text: string; registered: boolean } | null {
  const colon = line.indexOf(':');
  const p = params(line.slice(colon + 1));
  const stat = Number(urc ? p[0] : p.length > 1 ? p[1] : p[0]);
  if (!Number.isInteger(stat) || p[urc ? 0 : p.length > 1 ? 1 : 0] === '') return null;
  return regOf(stat);
}

/** 27.007 7.3 `+COPS: <mode>[,<format>,<oper>[,<AcT>]]` → operator name. */
export function parseCops(lines: readonly string[]): string | null {
  const v = valueOf(lines, '+COPS');
  if (!v) return null;
  const p = params(v);
  return p[2] ? p[2] : null;
}

/** The single value of an identity command (`AT+CGSN` → `861234...`, or `+CGSN: 861234...`). */
export function identityValue(lines: readonly string[]): string | null {
  const last = lines.filter((l) => l.trim() !== '').at(-1);
  if (!last) return null;
  return last.replace(/^\+?[A-Z^]+:\s*/i, '').replace(/"/g, '').trim() || null;
}

/** 27.007 7.18 `+CLIP: "<number>",<type>,...` → the caller, null when withheld. */
export function parseClip(line: string): string | null {
  const p = params(line.slice(line.indexOf(':') + 1));
  return p[0] ? p[0] : null;
}
