import type { Clock } from '../../core/clock.ts';
import { isoWithOffset } from '../../core/ids.ts';
import type { Logger } from '../../core/log.ts';
import type { PluginEvents } from '../../core/plugin.ts';

export interface CallsDeps {
  clock: Clock;
  log: Logger;
  events: PluginEvents;
  modem: string;
  /** Hang up incoming calls (an SMS gateway's SIM is rarely meant to take calls). */
  hangUp: boolean;
  /** AT+CHUP; the caller falls back to ATH. */
  doHangUp(): Promise<void>;
}

/** V.250 6.3.4 rings about every 5 s: no RING for this long means the caller gave up. */
const RING_GAP_MS = 8000;

/**
 * Incoming calls: `RING` (and `+CLIP` with the caller, 27.007 7.18) start a call; when it ends (the
 * caller gave up, `NO CARRIER`, or we hung up) it is reported once as `call.missed`.
 */
export class Calls {
  readonly #d: CallsDeps;
  #call: { from: string | null; at: number; abort: AbortController; hangingUp: boolean } | undefined;

  constructor(deps: CallsDeps) {
    this.#d = deps;
  }

  ring(): void {
    this.#touch();
  }

  clip(from: string | null): void {
    const call = this.#touch();
    if (from) call.from = from;
    if (this.#d.hangUp && !call.hangingUp) {
      call.hangingUp = true;
      this.#d.doHangUp().then(
        () => this.end('hung up'),
        (error) => {
          call.hangingUp = false;
          this.#d.log.warn({ err: error }, 'could not hang up');
        },
      );
    }
  }

  /** The call is over (NO CARRIER, hang-up, silence): report it once. */
  end(reason: string): void {
    const call = this.#call;
    if (!call) return;
    this.#call = undefined;
    call.abort.abort();
    this.#d.events.emit('call.missed', { from: call.from, at: isoWithOffset(call.at), modem: this.#d.modem });
    this.#d.log.info({ from: call.from, reason }, 'missed call');
  }

  stop(): void {
    this.#call?.abort.abort();
    this.#call = undefined;
  }

  #touch() {
    let call = this.#call;
    if (!call) {
      call = { from: null, at: this.#d.clock.now(), abort: new AbortController(), hangingUp: false };
      this.#call = call;
    } else {
      call.abort.abort();
      call.abort = new AbortController();
    }
    const mine = call;
    this.#d.clock.sleep(RING_GAP_MS, mine.abort.signal).then(
      () => {
        if (this.#call === mine) this.end('caller gave up');
      },
      () => {},
    );
    if (this.#d.hangUp && !mine.hangingUp && mine.from === null) {
      // No +CLIP (AT+CLIP=1 refused, or number withheld): hang up on the RING itself.
      // Give +CLIP, which follows RING immediately, a moment to name the caller first.
      const abort = mine.abort;
      this.#d.clock.sleep(1000, abort.signal).then(
        () => {
          if (this.#call === mine && !mine.hangingUp) this.clip(null);
        },
        () => {},
      );
    }
    return call;
  }
}
