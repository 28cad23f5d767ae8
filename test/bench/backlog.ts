// A backlog as an outage leaves it: events committed to the journal while nothing delivered them.
// Written straight into the agent's database (while the agent is stopped) through the core's own
// Journal, so they are exactly what the modem plugin would have recorded.
import { systemClock } from '../../core/clock.ts';
import { isoWithOffset } from '../../core/ids.ts';
import { Journal } from '../../core/journal.ts';
import { silentLogger } from '../../core/log.ts';
import { openStore } from '../../core/store.ts';

/** Appends `n` sms.received events in one transaction; returns their event ids. */
export function writeBacklog(dbPath: string, n: number, options: { modem?: string; tag?: string } = {}): string[] {
  const store = openStore({ path: dbPath, synchronous: 'NORMAL' });
  try {
    const journal = new Journal(store, { clock: systemClock, log: silentLogger() });
    const ids: string[] = [];
    const now = Date.now();
    store.transaction(() => {
      for (let i = 0; i < n; i++) {
        const e = journal.append('sms.received', {
          messageId: `backlog-${options.tag ?? 'b'}-${i}`,
          from: `+1555${String(100000 + (i % 900000)).padStart(7, '0')}`,
          text: `Your verification code is ${String(100000 + i).slice(-6)}. It expires in 10 minutes.`,
          encoding: 'gsm7',
          parts: 1,
          receivedAt: isoWithOffset(now - (n - i) * 1000),
          smsc: '+15550000100',
          modem: options.modem ?? 'default',
          class: null,
        });
        ids.push(e.id);
      }
    });
    return ids;
  } finally {
    store.close();
  }
}
