// Unlocking the SIM with the configured PIN (27.007 8.3 +CPIN), without ever risking a blocked SIM:
// what was sent and what was refused is kept in the store (modem_state) across restarts.
import { createHash } from 'node:crypto';
import type { DriverContext } from './context.ts';
import { AtError } from './errors.ts';
import * as parse from './parse.ts';
import { pinAttemptsLeft } from './pin.ts';

/** The SIM refused the PIN (or wants the PUK): never retried automatically, a SIM locks after three. */
export class SimLocked extends Error {
  override name = 'SimLocked';
}

/**
 * 27.007 8.3: the SIM PIN from the environment, at most once per PIN unless the SIM's attempt counter
 * shows that an earlier try was not counted. A refused PIN is remembered (also across restarts) and never
 * sent again: a SIM locks after three. A PIN whose answer never came (a slow SIM, a crash) is settled by
 * asking the SIM (AT+CPIN?) and its counter; until that is known it is not sent again.
 */
export async function unlockSim(m: DriverContext): Promise<void> {
  let sim = await simState(m);
  m.info.sim = sim;
  if (sim === 'READY') return;
  if (sim !== 'SIM PIN') throw new SimLocked(`SIM wants ${sim}`);
  const pin = m.options.pin;
  if (!pin) throw new SimLocked('SIM PIN required and no PIN configured');
  const digest = createHash('sha256').update(`${m.id}:${pin}`).digest('hex');
  if (recall(m, 'refused-pin') === digest) throw new SimLocked('this PIN was refused before; not trying it again');
  const left = await pinAttemptsLeft(m.at);
  const refuse = (why: string): SimLocked => {
    remember(m, 'refused-pin', digest);
    remember(m, 'pin-sent', null);
    return new SimLocked(why);
  };
  // Sent before without an answer (crash, timeout): again only if the counter did not move since.
  const sent = recall(m, 'pin-sent');
  if (sent?.startsWith(`${digest}:`)) {
    const before = sent.slice(digest.length + 1);
    if (left === null || before === '' || left < Number(before)) throw refuse('a PIN sent earlier may have been counted by the SIM; not sending it again');
  }
  // Durable before the write: a crash before the answer leaves the question to the next start.
  remember(m, 'pin-sent', `${digest}:${left ?? ''}`);
  try {
    await m.at.send(`AT+CPIN="${pin}"`, { timeoutMs: 20_000 });
  } catch (error) {
    if (error instanceof AtError && (error.cme === 16 || error.cme === 12)) throw refuse(`SIM refused the PIN (${error.meaning})`);
    // Timeout, plain ERROR, a busy SIM: ask the SIM what became of it.
    m.deps.log.warn({ err: error, modem: m.id }, 'no clear answer to the PIN: asking the SIM');
    sim = await settledSimState(m);
    if (sim === 'SIM PIN') {
      const now = await pinAttemptsLeft(m.at);
      if (left === null || now === null) throw refuse('cannot tell whether the SIM counted the PIN; not sending it again');
      if (now < left) throw refuse(`SIM refused the PIN (${now} attempts left)`);
      // Not counted (the SIM never saw it): safe to send once more at the next set-up.
      remember(m, 'pin-sent', null);
      throw error;
    }
    if (sim === 'SIM PUK' || sim === 'BLOCKED') throw refuse(`SIM refused the PIN (SIM wants ${sim})`);
    if (sim !== 'READY') throw error; // no answer at all: pin-sent stays, the next set-up asks the counter
  }
  remember(m, 'pin-sent', null);
  // The SIM takes a moment after the PIN; 27.007 gives no bound.
  for (let i = 0; i < 10; i++) {
    sim = await simState(m).catch(() => 'BUSY');
    if (sim === 'READY') break;
    await m.deps.clock.sleep(1000, m.signal);
  }
  m.info.sim = sim;
  if (sim !== 'READY') throw new Error(`SIM not ready after the PIN (${sim})`);
}

/** 27.007 8.3 AT+CPIN? → READY, SIM PIN, SIM PUK, ... (UNKNOWN without a +CPIN line). */
async function simState(m: DriverContext): Promise<string> {
  return parse.valueOf((await m.at.send('AT+CPIN?', { settleMs: 1000 })).lines, '+CPIN')?.replace(/"/g, '') ?? 'UNKNOWN';
}

/**
 * The SIM state once the modem answers clearly: after a command timed out its late answer can still
 * come and end the next command, so only an answer with a +CPIN line counts. UNKNOWN when none comes.
 */
async function settledSimState(m: DriverContext): Promise<string> {
  for (let i = 0; i < 10 && !m.signal.aborted; i++) {
    const sim = await simState(m).catch(() => 'UNKNOWN');
    if (sim !== 'UNKNOWN') return sim;
    await m.deps.clock.sleep(1000, m.signal).catch(() => {});
  }
  return 'UNKNOWN';
}

/** A value this modem keeps across restarts (modem_state: pin-sent, refused-pin). */
function recall(m: DriverContext, key: string): string | undefined {
  return m.deps.store.get<{ value: string }>('SELECT value FROM modem_state WHERE modem = ? AND key = ?', m.id, key)?.value;
}

function remember(m: DriverContext, key: string, value: string | null): void {
  if (value === null) m.deps.store.run('DELETE FROM modem_state WHERE modem = ? AND key = ?', m.id, key);
  else m.deps.store.run('INSERT OR REPLACE INTO modem_state (modem, key, value) VALUES (?, ?, ?)', m.id, key, value);
}
