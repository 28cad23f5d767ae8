// SIM storage nearly full (27.005 3.2.2 AT+CPMS?): a full receive storage makes the network hold new
// messages (and some modems drop them), so the agent empties it and says so in an event.
import type { DriverContext } from './context.ts';
import * as parse from './parse.ts';

export interface StorageCount {
  mem: string;
  used: number;
  total: number;
}

/** AT+CPMS?: the counts of every storage the modem reports (kept for status, each storage once). */
export async function storageCounts(m: DriverContext): Promise<StorageCount[]> {
  const counts = parse.parseCpmsRead((await m.at.send('AT+CPMS?')).lines);
  // AT+CPMS? names each of mem1..mem3; one storage used for two of them is one storage.
  m.storage = counts.filter((s, i) => counts.findIndex((x) => x.mem === s.mem) === i);
  // The SIM's own storage for the modem's info (Home Assistant's SIM storage sensor).
  m.info.storage = counts.find((s) => s.mem === 'SM') ?? counts[0] ?? null;
  return counts;
}

/**
 * After a health check: a storage at or above options.storageWarnPercent gets a full read (every
 * incoming message stored by the agent, then deleted from the SIM) unless one ran just now, and a
 * `sim.storage_nearly_full` event with the counts before and after: what the agent did about it.
 * Once per filling: it is said again only after the storage went below the mark.
 */
export async function watchStorage(m: DriverContext, before: readonly StorageCount[], swept: boolean, sweep: () => Promise<void>): Promise<void> {
  const percent = m.options.storageWarnPercent;
  if (!(percent > 0)) return;
  before = before.filter((s, i) => before.findIndex((x) => x.mem === s.mem) === i);
  const full = before.filter((s) => s.total > 0 && (s.used * 100) / s.total >= percent);
  for (const s of before) if (!full.includes(s)) m.storageWarned.delete(s.mem);
  const fresh = full.filter((s) => !m.storageWarned.has(s.mem));
  if (fresh.length === 0) return;
  if (!swept) await sweep();
  const after = await storageCounts(m);
  for (const s of fresh) {
    m.storageWarned.add(s.mem);
    const usedAfter = after.find((x) => x.mem === s.mem)?.used ?? s.used;
    const freed = s.used - usedAfter;
    const action = freed > 0 ? 'emptied' : 'kept';
    const detail =
      freed > 0
        ? `read and deleted ${freed} of ${s.used} messages (each stored by the agent first)${usedAfter > 0 ? `; ${usedAfter} left are drafts or sent items the agent does not delete` : ''}`
        : `nothing the agent may delete: the ${s.used} messages are drafts or sent items (delete them on a phone, or raise the storage)`;
    m.deps.events.emit('sim.storage_nearly_full', { modem: m.id, storage: s.mem, used: s.used, total: s.total, usedAfter, action, detail });
    m.deps.log.warn({ modem: m.id, storage: s.mem, used: s.used, total: s.total, usedAfter }, `SIM storage nearly full: ${detail}`);
  }
}
