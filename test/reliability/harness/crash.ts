// The crash scenario: a child agent (modem on a pty-backed simulator, api, webhook) receives a burst
// of SMS while two receivers flap; it is SIGKILLed at random moments and restarted; in the end every
// receiver must have every event (by event id) and the inbox every message. Quick in `npm test`
// (a small burst), the full 1,000 in `npm run soak`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { prepareAgent, spawnAgent, waitOnline, type AgentDir } from '../../bench/agent.ts';
import { subscribe } from '../../bench/pipeline.ts';
import { until, type Child } from '../../bench/proc.ts';
import { startReceiver, type Receiver } from '../../bench/receiver.ts';
import { startPtyModem } from './pty.ts';

export interface CrashOptions {
  burst: number;
  kills: number;
  /** Random source for the kill moments (tests pass a seeded one to make a failure replayable). */
  random?: () => number;
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface ReceiverTally {
  /** Distinct event ids accepted. */
  events: Set<string>;
  /** Distinct inbox message ids (data.messageId) accepted. */
  messages: Set<string>;
  accepted: number;
  /** Accepted more than once, by event id. */
  duplicates: number;
  /** Most requests accepted within any 50 ms: what could be acknowledged while an outcome waits for its batched write. */
  peak50ms: number;
  /** Distinct delivery ids (`webhook-id`) accepted: one per event and subscription unless re-created. */
  deliveryIds: number;
  refused: number;
}

export interface CrashResult {
  burst: number;
  kills: number;
  /** Progress (share of all deliveries done) at each kill. */
  killedAt: number[];
  /** sms.received event ids in the journal, and inbox rows, read from the database at the end. */
  journalIds: Set<string>;
  inbox: { id: string; text: string }[];
  injected: string[];
  receivers: ReceiverTally[];
  /** Attempts in flight per endpoint (the webhook's bulkhead): what a kill can leave unrecorded. */
  perEndpoint: number;
  seconds: number;
}

/** A small seeded PRNG (the simulator's mulberry32) so a failing run can be replayed from its seed. */
export { generator as seeded } from '../../../simulator/timing.ts';

export function tally(receiver: Receiver): ReceiverTally {
  const events = new Set<string>();
  const messages = new Set<string>();
  const deliveryIds = new Set<string>();
  for (const r of receiver.accepted) {
    deliveryIds.add(String(r.headers['webhook-id']));
    const body = JSON.parse(r.body) as { id: string; data: { messageId: string } };
    events.add(body.id);
    messages.add(body.data.messageId);
  }
  const at = receiver.accepted.map((r) => r.at);
  let peak50ms = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (at[i]! - at[j]! > 50) j++;
    peak50ms = Math.max(peak50ms, i - j + 1);
  }
  return { events, messages, peak50ms, deliveryIds: deliveryIds.size, accepted: receiver.accepted.length, duplicates: receiver.accepted.length - events.size, refused: receiver.all.length - receiver.accepted.length };
}

/** Receiver A answers 503 a third of the time; B resets connections a third of the time, out of phase. */
function flap(a: Receiver, b: Receiver, on: () => boolean): void {
  a.answer(() => (on() && Math.floor(performance.now() / 150) % 3 === 0 ? 503 : 200));
  b.answer(() => (on() && Math.floor(performance.now() / 110) % 3 === 1 ? 'reset' : 200));
}

const PER_ENDPOINT = 4;

export async function runCrash(options: CrashOptions): Promise<CrashResult> {
  const started = performance.now();
  const random = options.random ?? Math.random;
  const log = options.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-crash-'));
  const pty = await startPtyModem(dir);
  const receivers = [await startReceiver(), await startReceiver()] as const;
  let flapping = true;
  flap(receivers[0], receivers[1], () => flapping);
  let a: AgentDir | undefined;
  let child: Child | undefined;
  try {
    a = await prepareAgent({
      dir,
      logLevel: 'warn',
      plugins: [
        { name: 'modem', options: { port: pty.path, healthIntervalSeconds: 5, reconnectMaxSeconds: 1 } },
        { name: 'api' },
        {
          name: 'webhook',
          options: {
            concurrency: { perEndpoint: PER_ENDPOINT },
            // Real seconds are what a child process has: short ones keep the scenario in seconds.
            retry: { initialDelayMs: 50, maxDelayMs: 500 },
            breaker: { threshold: 5, halfOpenAfterMs: 100, maxHalfOpenAfterMs: 500 },
          },
        },
      ],
    });
    child = spawnAgent(a);
    await waitOnline(a, child);
    for (const r of receivers) await subscribe(a, r.url, ['sms.received']);

    const injected: string[] = [];
    for (let i = 0; i < options.burst; i++) {
      const text = `crash burst ${i}: code ${String(100000 + i)}`;
      injected.push(text);
      pty.sim.receiveSms({ from: `+1555020${String(i).padStart(4, '0')}`, text });
    }
    const total = options.burst * receivers.length;
    const progress = () => (tally(receivers[0]).events.size + tally(receivers[1]).events.size) / total;
    const thresholds = Array.from({ length: options.kills }, () => 0.05 + random() * 0.8).sort((x, y) => x - y);
    const killedAt: number[] = [];
    for (const threshold of thresholds) {
      await until(() => progress() >= threshold, `progress ${threshold.toFixed(2)}`, { timeoutMs: options.timeoutMs ?? 60_000, everyMs: 2 });
      await child.kill('SIGKILL');
      killedAt.push(progress());
      log(`SIGKILL at ${(killedAt.at(-1)! * 100).toFixed(0)}% of deliveries`);
      child = spawnAgent(a);
    }
    flapping = false;
    const deadline = { timeoutMs: options.timeoutMs ?? 60_000, everyMs: 20 };
    await until(() => receivers.every((r) => tally(r).events.size >= options.burst), 'every receiver to have the whole burst', deadline).catch(
      (error) => {
        throw new Error(`${(error as Error).message}: ${receivers.map((r) => tally(r).events.size).join(', ')} of ${options.burst}\n${child!.stdout().slice(-3000)}\n${child!.stderr().slice(-2000)}`);
      },
    );
    await child.stop();
    const db = new DatabaseSync(a.dbPath, { readOnly: true });
    const journalIds = new Set(db.prepare(`SELECT id FROM journal_events WHERE type = 'sms.received'`).all().map((r) => String(r.id)));
    const inbox = db.prepare('SELECT id, text FROM modem_inbox').all().map((r) => ({ id: String(r.id), text: String(r.text) }));
    db.close();
    return {
      burst: options.burst,
      kills: options.kills,
      killedAt,
      journalIds,
      inbox,
      injected,
      receivers: receivers.map(tally),
      perEndpoint: PER_ENDPOINT,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    await child?.stop();
    for (const r of receivers) await r.close();
    await pty.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
