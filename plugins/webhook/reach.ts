// Is the agent offline, or is one receiver broken? An attempt that fails to resolve or route says
// "something is unreachable"; whether that is this agent's network or that receiver's host is judged
// across hosts. Offline means no endpoint is reachable: within the window, no host was reached and the
// hosts that failed include one that was reached before (it worked, so the fault is likely ours). A
// host that never answered (a typo, `nosuch-typo.invalid`) failing alone is that endpoint's problem:
// its attempts count and it ends `failed`, it never makes every delivery wait.

interface HostState {
  /** Clock time of the last attempt to this host. */
  at: number;
  /** Whether that attempt reached it (any HTTP answer, or a refused/reset connection). */
  reached: boolean;
  /** Whether this host was ever reached (in this run, or by the delivery log). */
  known: boolean;
}

/** At most this many hosts are remembered (callback URLs come and go); the oldest go first. */
const HOSTS_MAX = 1024;

export class Reachability {
  readonly #hosts = new Map<string, HostState>();
  readonly #windowMs: number;
  readonly #answeredBefore: (endpoint: string) => boolean;

  /**
   * `windowMs`: attempts older than this say nothing about now. `answeredBefore(endpoint)`: whether the
   * delivery log shows this endpoint answering before (so the judgement survives a restart).
   */
  constructor(windowMs: number, answeredBefore: (endpoint: string) => boolean) {
    this.#windowMs = windowMs;
    this.#answeredBefore = answeredBefore;
  }

  /** Records the outcome of an attempt to `host` (of endpoint `endpoint`). */
  record(host: string, endpoint: string, at: number, reached: boolean): void {
    const prior = this.#hosts.get(host);
    let known = reached || (prior?.known ?? false);
    // Asked once per host (the first failure): a log query, off the hot path of healthy endpoints.
    if (!known && !prior) known = this.#answeredBefore(endpoint);
    if (prior) this.#hosts.delete(host);
    else if (this.#hosts.size >= HOSTS_MAX) this.#hosts.delete(this.#hosts.keys().next().value!);
    this.#hosts.set(host, { at, reached, known });
  }

  /** No host reached within the window, and a host that worked before is among those failing. */
  offline(now: number): boolean {
    let knownFailing = false;
    for (const h of this.#hosts.values()) {
      if (now - h.at > this.#windowMs) continue;
      if (h.reached) return false;
      if (h.known) knownFailing = true;
    }
    return knownFailing;
  }
}
