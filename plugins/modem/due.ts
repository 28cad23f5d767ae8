// A modem's periodic chore (the balance reading, the keep-alive): done whenever it is due and the
// modem is online, tried again after a failure. When it is due comes from the store, so a restart
// neither repeats it early nor forgets it.
import type { Clock } from '../../core/clock.ts';

export interface DueChore {
  clock: Clock;
  /** When it is next due (ms); moves on once it has been done. */
  due(): number;
  online(): boolean;
  /** Does it; a throw tries again at `retryAt()` (or at `due()`, if that is later). */
  attempt(): Promise<void>;
  retryAt(): number;
}

/** While the modem is offline when a chore is due, look again this often. */
const OFFLINE_POLL_MS = 60_000;
/** setTimeout's longest delay: a longer wait is slept in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Until `signal` aborts: waits until the chore is due, then does it once the modem is online. */
export async function runWhenDue(chore: DueChore, signal: AbortSignal): Promise<void> {
  const { clock } = chore;
  let retryAt = 0;
  while (!signal.aborted) {
    const wait = Math.max(retryAt, chore.due()) - clock.now();
    if (wait > 0) {
      await clock.sleep(Math.min(wait, MAX_TIMER_MS), signal).catch(() => {});
      continue;
    }
    if (!chore.online()) {
      await clock.sleep(OFFLINE_POLL_MS, signal).catch(() => {});
      continue;
    }
    try {
      await chore.attempt();
      retryAt = 0;
    } catch {
      retryAt = chore.retryAt();
    }
  }
}
