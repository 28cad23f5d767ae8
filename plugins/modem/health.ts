// The periodic health check (signal 27.007 8.5, registration 7.2, operator 7.3, storage 27.005 3.2.2),
// and what a modem that stops answering gets: a soft reset after options.hangThreshold misses in a row.
import type { DriverContext } from './context.ts';
import { AtError } from './errors.ts';
import { technology } from './doctor.ts';
import * as parse from './parse.ts';
import { readRegistration } from './registration.ts';
import { readStored } from './reading.ts';
import { storageCounts, watchStorage, type StorageCount } from './storage.ts';

/**
 * Every options.healthIntervalMs until the driver stops: concatenation sweep, health check, lost
 * messages. A command without an answer (a health check's, or a send's: wakeHealth) is followed at
 * once by probes (`AT`), one command timeout each, so a modem that stops answering while its port
 * stays open is found hung within healthIntervalMs + hangThreshold x commandTimeoutMs (45 s with the
 * defaults) and shown as not answering in health from the first miss on.
 */
export async function healthLoop(m: DriverContext): Promise<void> {
  const signal = m.signal;
  const { clock, log, inbox } = m.deps;
  while (!signal.aborted) {
    const wake = new AbortController();
    m.wakeHealth = () => wake.abort();
    const wait = m.misses > 0 && m.ready ? 0 : m.options.healthIntervalMs;
    await clock.sleep(wait, AbortSignal.any([signal, wake.signal])).catch(() => {});
    m.wakeHealth = undefined;
    if (signal.aborted) return;
    try {
      inbox.sweep();
    } catch (error) {
      log.error({ err: error }, 'concatenation sweep failed');
    }
    if (!m.ready) continue;
    try {
      // After a miss, the cheapest command first: it answers at once on any modem that is not hung.
      if (m.misses > 0) await m.at.send('AT');
      await checkHealth(m);
      const counts = await storageCounts(m);
      const stored = countsKey(counts);
      // A message in storage that no indication announced (lost URC, modem restarted): read it now.
      // Drafts and sent items stay in storage; while the counts are what the last full read left,
      // there is nothing new to read (AT+CMGL=4 of every storage at each interval was wasted).
      const sweep = stored.used && stored.key !== m.leftStored;
      if (sweep) await sweepStorage(m);
      await watchStorage(m, counts, sweep, () => sweepStorage(m));
      m.misses = 0;
    } catch (error) {
      if (!(error instanceof AtError) || error.code !== 'timeout') {
        log.debug({ err: error }, 'health check failed');
        continue;
      }
      await missed(m);
    }
  }
}

/**
 * A command got no answer: counts toward a hang, and resolves when the soft reset that the
 * options.hangThreshold-th miss in a row starts is done; before that, wakes the health loop to probe.
 */
export async function missed(m: DriverContext): Promise<void> {
  m.misses++;
  m.deps.log.warn({ modem: m.id, misses: m.misses }, 'modem did not answer');
  if (m.misses >= m.options.hangThreshold) await softReset(m);
  else m.wakeHealth?.();
}

/**
 * Reads every stored message (readStored), then remembers the counts of what is left there on purpose
 * (drafts, sent items), so the health check lists the storages again only when they change. Used at
 * set-up and by the health check. A modem that does not answer AT+CPMS? then is simply read again at
 * the next check.
 */
export async function sweepStorage(m: DriverContext): Promise<void> {
  m.leftStored = undefined;
  await readStored(m);
  m.leftStored = await storedCounts(m).then((s) => s.key, () => undefined);
}

/** AT+CPMS? (27.005 3.2.2): whether any storage holds messages, and the counts as one comparable key. */
async function storedCounts(m: DriverContext): Promise<{ used: boolean; key: string }> {
  return countsKey(await storageCounts(m));
}

function countsKey(stored: readonly StorageCount[]): { used: boolean; key: string } {
  return { used: stored.some((s) => s.used > 0), key: stored.map((s) => `${s.mem}:${s.used}`).join(',') };
}

/** Signal, registration and operator; online when registered, offline with the reason otherwise. */
export async function checkHealth(m: DriverContext): Promise<void> {
  const { at, info } = m;
  info.signalDbm = parse.csqDbm((await at.send('AT+CSQ')).lines);
  await readRegistration(m);
  const cops = (await at.send('AT+COPS?').catch(() => ({ lines: [] as string[] }))).lines;
  info.operator = parse.parseCops(cops);
  const act = parse.params(parse.valueOf(cops, '+COPS') ?? '')[3];
  info.networkType = act !== undefined ? (technology[act] ?? null) : null;
  if (m.registered) m.setState('online');
  else m.setState('offline', `network: ${info.registration ?? 'unknown'}`);
}

/** A hung modem: AT+CFUN=0/1 (27.007 8.2) or ATZ, then close and reopen the port. */
export async function softReset(m: DriverContext): Promise<void> {
  m.misses = 0;
  m.resets++;
  m.deps.log.warn({ modem: m.id, resets: m.resets }, 'modem hung: soft reset');
  m.setState('offline', 'no answer');
  await m.at.send('AT+CFUN=0', { timeoutMs: 5000 }).catch(() => {});
  await m.at.send('AT+CFUN=1', { timeoutMs: 10_000 }).catch(() => m.at.send('ATZ', { timeoutMs: 5000 }).catch(() => {}));
  m.resetRequested?.();
}
