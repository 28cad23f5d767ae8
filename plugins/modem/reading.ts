// Reading messages stored on the modem (27.005 3.4.2 AT+CMGL, 3.4.3 AT+CMGR) and taking them in:
// a message is made durable first and deleted (3.5.4 AT+CMGD) only after, so nothing is lost between.
// Only what was read whole is deleted: a slot no read gave whole stays on the SIM and is read again later.
import { decodePdu, PduDecodeError, type DecodedPdu } from '../../core/sms/index.ts';
import type { DriverContext } from './context.ts';
import { AtError } from './errors.ts';
import type { Slot } from './inbox.ts';
import * as parse from './parse.ts';
import { restoreSetUp, useMem } from './setup.ts';
import { allOctets, decodeWhole } from './whole.ts';

/** Reads run one after another so a sweep and an indication never interleave their storage switches. */
export function serialRead<T>(m: DriverContext, task: () => Promise<T>): Promise<T> {
  const run = m.readChain.then(task);
  m.readChain = run.catch(() => {});
  return run;
}

/** Reads one stored message, makes it durable, and only then deletes it (27.005 3.5.4). */
export async function readOne(m: DriverContext, mem: string, index: number, listed?: parse.SlotReading): Promise<void> {
  await useMem(m, mem);
  const stored = await takeSlot(m, mem, index, listed);
  if (stored === null) return;
  await m.deps.afterStore?.(stored);
  await m.at.send(`AT+CMGD=${index}`);
  // The slot is free for a new message: an equal one landing there later is a new message.
  m.deps.inbox.release(mem, index);
}

/** Every storage, every message (AT+CMGL=4): what came while the agent was down, or a lost +CMTI. */
export function readStored(m: DriverContext): Promise<void> {
  return serialRead(m, async () => {
    const main = m.mem1;
    for (const mem of m.storages) {
      await useMem(m, mem).catch(() => {});
      if (m.mem1 !== mem) continue;
      for (const item of await list(m, mem)) {
        // A slot that could not be read whole waits for its next try (readUnread), however often the storage is listed.
        if (m.unread.waiting(mem, item.index, m.deps.clock.now())) continue;
        const first: parse.SlotReading = item.pdu === null ? { kind: 'other', lines: [], stat: item.stat } : { kind: 'pdu', stat: item.stat, length: item.length, pdu: item.pdu };
        await readOne(m, mem, item.index, first);
      }
    }
    await useMem(m, main).catch(() => {});
  });
}

/**
 * Decodes and makes a PDU durable. Returns true when it may be deleted from the modem: stored now,
 * stored before (the same slot read again after a crash), or not an incoming message and stored raw.
 * The user's own drafts and sent items never get here (takeSlot leaves <stat> 2 and 3 alone): an
 * SMS-SUBMIT read for incoming messages (garbage that parses as one, a submit in the receive storage)
 * is kept raw, so that it does not hold a slot forever (enough of them fill the storage and stop
 * reception). A PDU that is not whole (routed +CMT: there is no second read) is kept raw, never as a cut message.
 */
export async function takeIn(m: DriverContext, pdu: string, length: number | undefined, clean?: DecodedPdu, slot?: Slot): Promise<boolean> {
  const { inbox, reports, store } = m.deps;
  await m.deps.beforeStore?.(pdu);
  const decoded = clean ?? decodeWhole(pdu, length);
  if (!decoded) {
    inbox.raw(pdu, notWhole(pdu, length), { slot });
    return true;
  }
  if (decoded.type === 'submit') {
    inbox.raw(pdu, Object.assign(new Error('an SMS-SUBMIT where incoming messages are read'), { code: 'unexpected_submit' }), { slot });
    return true;
  }
  if (decoded.type === 'status-report') {
    store.transaction(() => {
      if (inbox.claim(slot, pdu)) reports.accept(decoded);
    });
    return true;
  }
  inbox.deliver(pdu, decoded, slot);
  return true;
}

/** Why a PDU is not whole, as the decoder says it (truncated, invalid_hex ...), else its lengths do not add up. */
function notWhole(pdu: string, length: number | undefined): Error & { code: string } {
  try {
    const d = decodePdu(pdu, length === undefined ? {} : { tpduLength: length });
    const cut = d.warnings.find((w) => w.includes('cut short'));
    return Object.assign(new Error(cut ?? `the modem's <length> ${length} and the PDU's own lengths disagree`), { code: 'length_mismatch' });
  } catch (error) {
    if (error instanceof PduDecodeError) return Object.assign(new Error(error.message), { code: error.code });
    return Object.assign(new Error(String(error)), { code: 'decode_failed' });
  }
}

async function cmgr(m: DriverContext, index: number): Promise<parse.SlotReading> {
  return parse.readCmgr((await m.at.send(`AT+CMGR=${index}`, { timeoutMs: 15_000 })).lines);
}

/** 27.005 3.1 <stat> 2 STO UNSENT, 3 STO SENT: the user's drafts and sent items, never taken in or deleted, whatever their body. */
const isOwn = (r: parse.SlotReading) => r.kind !== 'empty' && (r.stat === 2 || r.stat === 3);

/**
 * Makes the message in slot `index` durable and returns what was stored, which may then be deleted;
 * null when the slot must stay (empty: a new SMS could land there before a delete; a draft or sent
 * item; a message no read gave whole, which waits in m.unread for its next try).
 * A read that is not whole is read once more: line noise or a UART overrun spoils a read, not the
 * stored message. An answer that is not PDU mode means the modem lost its set-up (a reset we did not
 * see, 27.005 3.2.3 +CMGF back to its default): PDU mode is set up again and the slot read once more.
 * An empty PDU line twice is what the slot holds: stored raw (empty), then deleted.
 */
async function takeSlot(m: DriverContext, mem: string, index: number, first?: parse.SlotReading): Promise<string | null> {
  const { log, inbox } = m.deps;
  const one = first ?? (await cmgr(m, index));
  if (one.kind === 'empty' || isOwn(one)) {
    m.unread.cleared(mem, index);
    return null;
  }
  // 27.005 3.1: reading marks a message read, so only a first read can show REC UNREAD: a new message,
  // never the same one read again after a crash.
  const slot: Slot = { mem, index, unread: one.stat === 0 };
  if (one.kind === 'pdu') {
    const decoded = decodeWhole(one.pdu, one.length);
    if (decoded) return taken(m, slot, one.pdu, await takeIn(m, one.pdu, one.length, decoded, slot));
    log.warn({ modem: m.id, mem, index, octets: one.pdu.length / 2, length: one.length }, 'stored message not read whole: reading it again');
  } else {
    log.warn({ modem: m.id, mem, index }, 'stored message not read in PDU mode (modem reset?): setting PDU mode up again');
    await restoreSetUp(m).catch((error) => log.warn({ err: error, modem: m.id }, 'PDU mode set-up failed'));
  }
  const two = await cmgr(m, index);
  if (isOwn(two)) return null;
  if (two.kind === 'empty') {
    // Gone between the reads: nothing on the SIM to delete; what the first read got is kept (raw if not whole).
    m.unread.cleared(mem, index);
    if (one.kind === 'pdu' && one.pdu !== '') await takeIn(m, one.pdu, one.length, undefined, slot);
    return null;
  }
  if (two.kind === 'pdu' && two.pdu === '' && !(one.kind === 'pdu' && one.pdu !== '')) {
    // Nothing identifies an empty read: each is recorded (a crash before the delete records it twice).
    const raw = two.header ?? '';
    await m.deps.beforeStore?.(raw);
    inbox.raw(raw, Object.assign(new Error('an empty PDU line, twice'), { code: 'empty' }), { claim: false });
    return taken(m, slot, raw, true);
  }
  if (two.kind === 'pdu' && two.pdu !== '') {
    const decoded = decodeWhole(two.pdu, two.length);
    if (decoded) return taken(m, slot, two.pdu, await takeIn(m, two.pdu, two.length, decoded, slot));
    if (one.kind === 'pdu' && one.pdu === two.pdu && two.pdu.length % 2 === 0) {
      // The same octets twice: the SIM holds it like this. Every octet the modem announced, but not a
      // message (a broken TP-UDL, an impossible field): kept raw whole, then deleted. Fewer or more octets
      // than announced and no lengths of its own that fit: a raw copy for a bug report (once per slot),
      // and it stays on the SIM: nothing is deleted that was not taken in whole.
      await m.deps.beforeStore?.(two.pdu);
      inbox.raw(two.pdu, notWhole(two.pdu, two.length), { slot });
      if (allOctets(two.pdu, two.length)) return taken(m, slot, two.pdu, true);
      return unreadable(m, mem, index, 'its lengths do not add up');
    }
    return unreadable(m, mem, index, 'spoiled on every read');
  }
  if (two.kind === 'other' && one.kind === 'other') {
    const raw = two.lines.join('\n');
    if (raw === '') return null;
    // Still not PDU mode: what the modem answered (its text-mode listing of the message) is stored raw, then deleted.
    await m.deps.beforeStore?.(raw);
    inbox.raw(raw, Object.assign(new Error('the modem did not answer AT+CMGR in PDU mode, twice'), { code: 'not_pdu' }), { slot });
    return taken(m, slot, raw, true);
  }
  return unreadable(m, mem, index, two.kind === 'other' ? 'not PDU mode at the second read' : 'spoiled, then empty');
}

/** Taken in (or recognised as taken in before): the slot may be deleted. */
function taken(m: DriverContext, slot: Slot, pdu: string, deletable: boolean): string | null {
  m.unread.cleared(slot.mem, slot.index);
  return deletable ? pdu : null;
}

/** Left on the SIM: warned about, counted, and read again after a pause that grows with each failure. */
function unreadable(m: DriverContext, mem: string, index: number, why: string): null {
  const { clock, log } = m.deps;
  const slot = m.unread.failed(mem, index, why, clock.now());
  const pauseMs = slot.nextAt - clock.now();
  log.warn({ modem: m.id, mem, index, reads: slot.attempts, retryInMs: pauseMs }, `stored message not read whole (${why}): left on the SIM, read again later`);
  retryAfter(m, pauseMs);
  return null;
}

function retryAfter(m: DriverContext, pauseMs: number): void {
  m.deps.clock.sleep(pauseMs, m.signal).then(() => readUnread(m), () => {});
}

/** Reads again every slot whose pause is over; one that fails again gets a longer pause (unreadable). */
export async function readUnread(m: DriverContext): Promise<void> {
  for (const slot of m.unread.due(m.deps.clock.now())) {
    if (!m.ready) {
      // Offline: tried again once the pause is over again (a slot that waits is passed by the set-up's sweep).
      retryAfter(m, m.unread.failed(slot.mem, slot.index, slot.why, m.deps.clock.now()).nextAt - m.deps.clock.now());
      continue;
    }
    await serialRead(m, () => readOne(m, slot.mem, slot.index)).catch((error) => {
      m.deps.log.warn({ err: error, modem: m.id, mem: slot.mem, index: slot.index }, 'could not read a stored message again');
      unreadable(m, slot.mem, slot.index, slot.why);
    });
  }
}

/** AT+CMGL=4; refused (27.005 3.4.2: 4 is no <stat> in text mode), PDU mode is set up again and it is asked once more. */
async function list(m: DriverContext, mem: string): Promise<parse.ListedEntry[]> {
  const listAll = async () => parse.listCmgl((await m.at.send('AT+CMGL=4', { timeoutMs: 60_000 })).lines);
  try {
    return await listAll();
  } catch (error) {
    if (!(error instanceof AtError) || (error.code !== 'cms_error' && error.code !== 'cme_error' && error.code !== 'at_error')) throw error;
    m.deps.log.warn({ err: error, modem: m.id, mem }, 'AT+CMGL=4 refused (modem reset to text mode?): setting PDU mode up again');
    await restoreSetUp(m);
    return listAll();
  }
}
