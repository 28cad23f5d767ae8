import type { Test } from 'tap';
import { createAgent, type Agent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import type { AnyEvent } from '../../core/events.ts';
import { silentLogger } from '../../core/log.ts';
import { modem } from '../../plugins/modem/index.ts';
import type { Simulator } from '../../simulator/index.ts';

export interface Rig {
  agent: Agent;
  clock: ManualClock;
  sim: Simulator;
  events: AnyEvent[];
  /** Advances time in small steps until `cond` holds (or fails the wait after `maxMs`). */
  until(cond: () => boolean, what: string, maxMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The real agent with the modem plugin on the simulator, on a manual clock and a temp database. */
export async function startRig(t: Test, options: Record<string, unknown> = {}, extra: { dir?: string; clock?: ManualClock; plugins?: Record<string, unknown>[]; agentId?: string; waitOnline?: boolean; maxWaitMs?: number } = {}): Promise<Rig> {
  const dir = extra.dir ?? t.testdir();
  const clock = extra.clock ?? new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  const plugins = [{ retry: { initialDelayMs: 0 }, ...options }, ...(extra.plugins ?? [])].map((o) => modem({ port: 'simulator', ...o }));
  const config = resolveConfig({ agentId: extra.agentId ?? 'test', dataDir: dir, plugins });
  const agent = createAgent(config, { clock, log: silentLogger() });
  await agent.start();
  const events: AnyEvent[] = [];
  agent.journal.listen((e) => events.push(e));
  const sim = agent.use('simulator');
  const until = async (cond: () => boolean, what: string, maxMs = extra.maxWaitMs ?? 120_000) => {
    for (let waited = 0; !cond(); waited += 50) {
      if (waited > maxMs) throw new Error(`timed out waiting for ${what} (${maxMs} ms of simulated time)`);
      await clock.advance(50);
    }
  };
  const rig: Rig = {
    agent, clock, sim, events, until,
    async stop() {
      await agent.stop();
    },
  };
  t.teardown(() => agent.stop());
  if (extra.waitOnline !== false) await until(() => agent.use('sms').modems().every((m) => m.state === 'online'), 'modem online');
  return rig;
}

export const ofType = <T extends AnyEvent['type']>(events: AnyEvent[], type: T) =>
  events.filter((e): e is Extract<AnyEvent, { type: T }> => e.type === type);

/** Every dialect the simulator speaks: the flows that matter run on each. */
export const profiles = ['generic', 'sim800', 'huawei', 'quectel'] as const;
