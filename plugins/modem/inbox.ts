import { createHash } from 'node:crypto';
import type { Clock } from '../../core/clock.ts';
import type { SmsReceived } from '../../core/events.ts';
import { isoWithOffset, newId } from '../../core/ids.ts';
import type { Logger } from '../../core/log.ts';
import type { PluginEvents } from '../../core/plugin.ts';
import type { InboundMessage } from '../../core/services.ts';
import { decodePdu, joinText, reassemble, type DecodedDeliver, type Fragment } from '../../core/sms/index.ts';
import type { Store } from '../../core/store.ts';

export interface InboxDeps {
  store: Store;
  events: PluginEvents;
  clock: Clock;
  log: Logger;
  modem: string;
  /** A concatenated message still missing parts after this long is emitted with `incomplete: true`. */
  concatTimeoutMs: number;
}

export type Intake = 'stored' | 'part' | 'duplicate' | 'raw';

interface PartRow {
  sender: string;
  ref: number;
  total: number;
  part: number;
  pdu: string;
  tpdu_length: number;
  first_ms: number;
}

/**
 * Where a PDU was read from: 27.005 storage and index, and whether it was still unread (<stat> 0) at the
 * first read. Routed messages (+CMT) have none.
 */
export interface Slot {
  mem: string;
  index: number;
  unread: boolean;
}

/** A stable fingerprint of one PDU as read from one modem. */
export function fingerprint(modem: string, pdu: string): string {
  return createHash('sha256').update(`${modem}:${pdu.replace(/\s+/g, '').toUpperCase()}`).digest('hex').slice(0, 32);
}

/**
 * Received messages: every PDU is made durable here (inbox row or pending part, and the journal event,
 * in one transaction) before the caller may delete it from the modem.
 */
export class Inbox {
  readonly #d: InboxDeps;
  decodeErrors = 0;

  constructor(deps: InboxDeps) {
    this.#d = deps;
  }

  /**
   * Takes in an SMS-DELIVER. Returns once it is committed: a whole message is in the inbox and
   * `sms.received` in the journal; a part waits in modem_parts for the others.
   */
  deliver(pdu: string, msg: DecodedDeliver, slot?: Slot): Intake {
    const { store, clock } = this.#d;
    return store.transaction(() => {
      if (!this.claim(slot, pdu)) return 'duplicate';
      const concat = msg.concat;
      if (!concat || concat.total <= 1) {
        this.#storeWhole([msg], 1);
        return 'stored';
      }
      const inserted = store.run(
        `INSERT OR IGNORE INTO modem_parts (modem, sender, ref, total, part, pdu, tpdu_length, first_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        this.#d.modem, msg.from, concat.ref, concat.total, concat.part, pdu, msg.tpduLength, clock.now(),
      );
      // The same part number twice (a network retransmission with a new PDU): the first copy wins.
      if (inserted.changes === 0) return 'duplicate';
      const rows = this.#partsOf(msg.from, concat.ref, concat.total);
      if (rows.length < concat.total) return 'part';
      this.#complete(rows, null);
      return 'stored';
    });
  }

  /**
   * A PDU that does not decode: kept raw, counted, logged without its content. `claim: false` records it
   * without marking its slot taken (an empty read has nothing that tells two apart).
   */
  raw(pdu: string, error: Error & { code?: string }, options: { claim?: boolean; slot?: Slot } = {}): Intake {
    return this.#d.store.transaction(() => {
      if (options.claim !== false && !this.claim(options.slot, pdu)) return 'duplicate';
      this.decodeErrors++;
      this.#d.store.run(
        'INSERT INTO modem_raw (id, modem, pdu, error, stored_at) VALUES (?, ?, ?, ?, ?)',
        newId(), this.#d.modem, pdu, `${error.code ?? 'decode_failed'}: ${error.message}`, isoWithOffset(this.#d.clock.now()),
      );
      this.#d.log.warn({ err: error, pdu, octets: pdu.length >> 1 }, 'undecodable PDU stored raw');
      return 'raw';
    });
  }

  /**
   * Marks a PDU as taken in from its slot; false when it provably was before: the same slot, still not
   * deleted since, holding the same PDU, and no longer unread (27.005 3.1: a read marks it read). That
   * is a message read again after a crash between storing and AT+CMGD. Equal content is not enough: a
   * sender's burst of identical SMS, or a new one in a slot freed before, is each a message of its own.
   * Every PDU taken in is recorded (modem_taken, kept 30 days). Must run inside the storing transaction.
   */
  claim(slot: Slot | undefined, pdu: string): boolean {
    const { store, modem, clock } = this.#d;
    const print = fingerprint(modem, pdu);
    if (slot) {
      const held = store.get<{ fingerprint: string }>(
        'SELECT fingerprint FROM modem_taken WHERE modem = ? AND mem = ? AND slot = ? AND released = 0', modem, slot.mem, slot.index,
      );
      if (held && held.fingerprint === print && !slot.unread) return false;
      this.release(slot.mem, slot.index);
    }
    store.run(
      'INSERT INTO modem_taken (fingerprint, modem, mem, slot, taken_ms, released) VALUES (?, ?, ?, ?, ?, ?)',
      print, modem, slot?.mem ?? '', slot?.index ?? -1, clock.now(), slot ? 0 : 1,
    );
    return true;
  }

  /** The slot was deleted on the modem (AT+CMGD): what lands there next is a new message. */
  release(mem: string, index: number): void {
    this.#d.store.run('UPDATE modem_taken SET released = 1 WHERE modem = ? AND mem = ? AND slot = ? AND released = 0', this.#d.modem, mem, index);
  }

  /** Emits the concatenated messages whose parts waited longer than the timeout. Returns how many. */
  sweep(): number {
    const { store, clock, modem, concatTimeoutMs } = this.#d;
    const due = store.all<{ sender: string; ref: number; total: number }>(
      'SELECT sender, ref, total FROM modem_parts WHERE modem = ? GROUP BY sender, ref, total HAVING MIN(first_ms) <= ?',
      modem, clock.now() - concatTimeoutMs,
    );
    for (const g of due) {
      store.transaction(() => {
        const rows = this.#partsOf(g.sender, g.ref, g.total);
        if (rows.length === 0) return;
        const have = new Set(rows.map((r) => r.part));
        const missing: number[] = [];
        for (let i = 1; i <= g.total; i++) if (!have.has(i)) missing.push(i);
        this.#complete(rows, missing);
      });
    }
    // The record of what was taken in is kept 30 days; a slot never deleted keeps its row.
    store.run('DELETE FROM modem_taken WHERE released = 1 AND taken_ms < ?', clock.now() - 30 * 24 * 3600_000);
    return due.length;
  }

  /** Parts waiting for the rest of their message. */
  pendingParts(): number {
    return this.#d.store.get<{ n: number }>('SELECT COUNT(*) AS n FROM modem_parts WHERE modem = ?', this.#d.modem)?.n ?? 0;
  }

  #partsOf(sender: string, ref: number, total: number): PartRow[] {
    return this.#d.store.all<PartRow>(
      'SELECT sender, ref, total, part, pdu, tpdu_length, first_ms FROM modem_parts WHERE modem = ? AND sender = ? AND ref = ? AND total = ? ORDER BY part',
      this.#d.modem, sender, ref, total,
    );
  }

  #complete(rows: PartRow[], missing: number[] | null): void {
    const decoded = rows.map((r) => decodePdu(r.pdu, { tpduLength: r.tpdu_length }) as DecodedDeliver);
    this.#storeWhole(decoded, rows[0]!.total, missing);
    this.#d.store.run(
      'DELETE FROM modem_parts WHERE modem = ? AND sender = ? AND ref = ? AND total = ?',
      this.#d.modem, rows[0]!.sender, rows[0]!.ref, rows[0]!.total,
    );
  }

  /** Writes one message (from its parts, in part order) to the inbox and the journal. */
  #storeWhole(parts: DecodedDeliver[], total: number, missing: number[] | null = null): void {
    const { store, events, clock, modem } = this.#d;
    const first = parts[0]!;
    let text: string | null = first.text;
    let data: Uint8Array | undefined = first.data;
    if (parts.length > 1 || missing) {
      // utf16: a UCS2 part's code units when it ends or starts with half a surrogate pair (see joinText).
      const fragments: Fragment[] = parts.map((p) => ({ concat: p.concat!, text: p.text, utf16: p.utf16, data: p.data }));
      const whole = reassemble(fragments);
      if (whole.complete) {
        text = whole.text;
        data = whole.data;
      } else {
        text = joinText(fragments);
        const bytes = parts.flatMap((p) => (p.data ? [...p.data] : []));
        data = bytes.length ? Uint8Array.from(bytes) : undefined;
      }
    }
    const portAddressed = first.encoding === '8bit' && first.port !== undefined;
    const now = clock.now();
    const message: SmsReceived = {
      messageId: newId(),
      from: first.from,
      encoding: first.encoding,
      parts: total,
      receivedAt: first.timestamp,
      smsc: first.smsc,
      modem,
      class: first.class,
    };
    if (first.encoding === '8bit') {
      message.data = data ? Buffer.from(data).toString('hex').toUpperCase() : '';
      if (portAddressed) message.port = first.port!.dst;
    } else {
      message.text = text ?? '';
    }
    if (missing) {
      message.incomplete = true;
      message.missingParts = missing;
    }
    store.run(
      `INSERT INTO modem_inbox (id, modem, sender, text, data, port, encoding, parts, received_at, stored_at, stored_ms, smsc, class, incomplete, missing)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      message.messageId, modem, message.from, message.text ?? null, message.data ?? null, message.port ?? null, message.encoding,
      total, message.receivedAt, isoWithOffset(now), now, message.smsc, message.class, missing ? 1 : 0,
      missing ? JSON.stringify(missing) : null,
    );
    events.emit('sms.received', message);
    this.#d.log.info({ messageId: message.messageId, from: message.from, parts: total, incomplete: !!missing, class: message.class }, 'sms received');
  }
}

interface InboxRow {
  id: string;
  modem: string;
  sender: string;
  text: string | null;
  data: string | null;
  port: number | null;
  encoding: 'gsm7' | 'ucs2' | '8bit';
  parts: number;
  received_at: string;
  stored_at: string;
  smsc: string | null;
  class: 0 | 1 | 2 | 3 | null;
  incomplete: number;
  missing: string | null;
  read_at: string | null;
}

export const inboxColumns = 'id, modem, sender, text, data, port, encoding, parts, received_at, stored_at, smsc, class, incomplete, missing, read_at';

export function inboundFromRow(r: InboxRow): InboundMessage {
  const m: InboundMessage = {
    id: r.id,
    direction: 'inbound',
    from: r.sender,
    encoding: r.encoding,
    parts: r.parts,
    receivedAt: r.received_at,
    storedAt: r.stored_at,
    smsc: r.smsc,
    modem: r.modem,
    class: r.class,
  };
  if (r.text !== null) m.text = r.text;
  if (r.data !== null) m.data = r.data;
  if (r.port !== null) m.port = r.port;
  if (r.read_at !== null) m.readAt = r.read_at;
  if (r.incomplete) {
    m.incomplete = true;
    m.missingParts = r.missing ? (JSON.parse(r.missing) as number[]) : [];
  }
  return m;
}

export type { InboxRow };
