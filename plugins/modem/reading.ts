// Reading messages stored on the modem (27.005 3.4.2 AT+CMGL, 3.4.3 AT+CMGR) and taking them in:
// a message is made durable first and deleted (3.5.4 AT+CMGD) only after, so nothing is lost between.
import { decodePdu, type DecodedPdu } from '../../core/sms/index.ts';
import type { DriverContext } from './context.ts';
import { AtError } from './errors.ts';
import * as parse from './parse.ts';
import { restoreSetUp, useMem } from './setup.ts';

/** Reads run one after another so a sweep and an indication never interleave their storage switches. */
export function serialRead<T>(m: DriverContext, task: () => Promise<T>): Promise<T> {
  const run = m.readChain.then(task);
  m.readChain = run.catch(() => {});
  return run;
}

/** Reads one stored message, makes it durable, and only then deletes it (27.005 3.5.4). */
export async function readOne(m: DriverContext, mem: string, index: number, listed?: parse.SlotReading): Promise<void> {
  await useMem(m, mem);
  const stored = await takeSlot(m, index, listed);
  if (stored === null) return;
  await m.deps.afterStore?.(stored);
  await m.at.send(`AT+CMGD=${index}`);
}

/** Every storage, every message (AT+CMGL=4): what came while the agent was down, or a lost +CMTI. */
export function readStored(m: DriverContext): Promise<void> {
  return serialRead(m, async () => {
    const main = m.mem1;
    for (const mem of m.storages) {
      await useMem(m, mem).catch(() => {});
      if (m.mem1 !== mem) continue;
      for (const item of await list(m, mem)) {
        const first: parse.SlotReading = item.pdu === null ? { kind: 'other', lines: [] } : { kind: 'pdu', stat: item.stat, length: item.length, pdu: item.pdu };
        await readOne(m, mem, item.index, first);
      }
    }
    await useMem(m, main).catch(() => {});
  });
}

/**
 * Decodes and makes a PDU durable. Returns true when it may be deleted from the modem: stored now,
 * stored before (read again after a crash), or not an incoming message and stored raw. The user's own
 * drafts and sent items never get here (takeSlot leaves <stat> 2 and 3 alone): an SMS-SUBMIT read for
 * incoming messages (garbage that parses as one, a submit in the receive storage) is kept raw, so that
 * it does not hold a slot forever (enough of them fill the storage and stop reception).
 */
export async function takeIn(m: DriverContext, pdu: string, length: number | undefined, clean?: DecodedPdu): Promise<boolean> {
  const { inbox, reports, store } = m.deps;
  await m.deps.beforeStore?.(pdu);
  let decoded: DecodedPdu;
  try {
    decoded = clean ?? decodeWithLength(pdu, length);
  } catch (error) {
    inbox.raw(pdu, error as Error);
    return true;
  }
  if (decoded.type === 'submit') {
    inbox.raw(pdu, Object.assign(new Error('an SMS-SUBMIT where incoming messages are read'), { code: 'unexpected_submit' }));
    return true;
  }
  if (decoded.type === 'status-report') {
    store.transaction(() => {
      if (inbox.claim(pdu)) reports.accept(decoded);
    });
    return true;
  }
  inbox.deliver(pdu, decoded);
  return true;
}

async function cmgr(m: DriverContext, index: number): Promise<parse.SlotReading> {
  return parse.readCmgr((await m.at.send(`AT+CMGR=${index}`, { timeoutMs: 15_000 })).lines);
}

/** 27.005 3.1 <stat> 2 STO UNSENT, 3 STO SENT: the user's drafts and sent items, never taken in or deleted. */
const isOwn = (r: parse.SlotReading) => r.kind === 'pdu' && (r.stat === 2 || r.stat === 3);

/**
 * Makes the message in slot `index` durable and returns what was stored, which may then be deleted;
 * null when the slot must stay (empty: a new SMS could land there before a delete; a draft or sent item).
 * An empty PDU line is read once more (line noise can take a line); empty twice, it is stored raw (empty).
 * An answer that is not PDU mode means the modem lost its set-up (a reset we did not see, 27.005 3.2.3
 * +CMGF back to its default): PDU mode is set up again and the slot read once more; if it is still not
 * a PDU, what was read is stored raw, so nothing is deleted that is not kept somewhere.
 */
async function takeSlot(m: DriverContext, index: number, first?: parse.SlotReading): Promise<string | null> {
  const { log, inbox } = m.deps;
  const one = first ?? (await cmgr(m, index));
  if (one.kind === 'empty' || isOwn(one)) return null;
  if (one.kind === 'pdu') {
    const decoded = cleanDecode(one.pdu, one.length);
    if (decoded) return (await takeIn(m, one.pdu, one.length, decoded)) ? one.pdu : null;
    // Line noise or a UART overrun spoils a read, not the stored message: a second read is usually clean.
    log.warn({ modem: m.id, index, octets: one.pdu.length / 2, length: one.length }, 'stored message read spoiled: reading it again');
  } else {
    log.warn({ modem: m.id, index }, 'stored message not read in PDU mode (modem reset?): setting PDU mode up again');
    await restoreSetUp(m).catch((error) => log.warn({ err: error, modem: m.id }, 'PDU mode set-up failed'));
  }
  const two = await cmgr(m, index);
  if (isOwn(two)) return null;
  if (two.kind === 'pdu' && two.pdu === '') {
    const spoiled = one.kind === 'pdu' && one.pdu !== '' ? one.pdu : null;
    // Nothing identifies an empty read: each is recorded (a crash before the delete records it twice).
    const raw = spoiled ?? two.header ?? '';
    await m.deps.beforeStore?.(raw);
    if (spoiled !== null) inbox.raw(raw, Object.assign(new Error('the stored message read spoiled, then empty'), { code: 'spoiled' }));
    else inbox.raw(raw, Object.assign(new Error('an empty PDU line, twice'), { code: 'empty' }), { claim: false });
    return raw;
  }
  if (two.kind === 'pdu') {
    const decoded = cleanDecode(two.pdu, two.length);
    if (decoded) return (await takeIn(m, two.pdu, two.length, decoded)) ? two.pdu : null;
    // The same whole octets twice: the message itself is odd (a firmware <length> off by a few is known);
    // the lenient decoder copes or stores it raw. Spoiled twice: neither read is trusted, kept raw.
    const quirk = one.kind === 'pdu' && one.pdu === two.pdu && two.pdu.length % 2 === 0;
    if (quirk || one.kind !== 'pdu') return (await takeIn(m, two.pdu, two.length)) ? two.pdu : null;
    await m.deps.beforeStore?.(two.pdu);
    inbox.raw(two.pdu, Object.assign(new Error('the stored message read spoiled twice'), { code: 'spoiled' }));
    return two.pdu;
  }
  if (one.kind === 'pdu') {
    // Gone between the reads, or no longer PDU mode: the first read is all there is; the slot is left alone.
    if (one.pdu !== '') await takeIn(m, one.pdu, one.length);
    return null;
  }
  const kept = two.kind === 'other' ? two : one;
  const raw = kept.lines.join('\n');
  if (raw === '') return null; // a listing entry with nothing to keep and an empty slot now: nothing to lose
  await m.deps.beforeStore?.(raw);
  inbox.raw(raw, Object.assign(new Error('the modem did not answer AT+CMGR in PDU mode, twice'), { code: 'not_pdu' }));
  // Deleted only when the slot still held it; an emptied slot may soon hold a new message.
  return two.kind === 'other' ? raw : null;
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

/** Decodes with the modem's <length>; a length that does not fit the PDU (a known firmware bug) is ignored. */
function decodeWithLength(pdu: string, length: number | undefined): DecodedPdu {
  if (length !== undefined) {
    try {
      return decodePdu(pdu, { tpduLength: length });
    } catch {
      // fall through to auto-detection
    }
  }
  return decodePdu(pdu);
}

/**
 * A read that can be trusted as it is: whole octets, exactly an SMSC field plus the <length> TPDU octets
 * (27.005 3.4.3), decoding without user data cut short. Null for anything else (a dropped or garbled
 * character usually breaks one of these; 23.040 has no checksum to tell otherwise).
 */
function cleanDecode(pdu: string, length: number | undefined): DecodedPdu | null {
  if (pdu.length % 2 !== 0) return null;
  const octets = pdu.length / 2;
  if (length !== undefined && octets !== length && octets !== parseInt(pdu.slice(0, 2), 16) + 1 + length) return null;
  try {
    const decoded = length === undefined ? decodePdu(pdu) : decodePdu(pdu, { tpduLength: length });
    return decoded.warnings.some((w) => w.includes('cut short')) ? null : decoded;
  } catch {
    return null;
  }
}
