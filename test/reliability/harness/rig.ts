// The real agent (modem plugin on the built-in simulator) in this process on a manual clock: time
// only moves when the test advances it, so faults with timeouts and backoffs take no real seconds.
import type { Test } from 'tap';
import { createAgent, type Agent } from '../../../core/agent.ts';
import { ManualClock } from '../../../core/clock.ts';
import { resolveConfig } from '../../../core/config.ts';
import type { AnyEvent } from '../../../core/events.ts';
import { silentLogger } from '../../../core/log.ts';
import { modem } from '../../../plugins/modem/index.ts';
import type { Simulator } from '../../../simulator/index.ts';

export interface Rig {
  agent: Agent;
  clock: ManualClock;
  sim: Simulator;
  events: AnyEvent[];
  /** Advances the clock in 50 ms steps until `cond` holds; fails after `maxMs` of simulated time. */
  until(cond: () => boolean, what: string, maxMs?: number): Promise<void>;
}

export async function startRig(t: Test, modemOptions: Record<string, unknown> = {}, options: { dir?: string; waitOnline?: boolean } = {}): Promise<Rig> {
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  const config = resolveConfig({ agentId: 'reliability', dataDir: options.dir ?? t.testdir(), plugins: [modem(modemOptions)] });
  const agent = createAgent(config, { clock, log: silentLogger() });
  await agent.start();
  t.teardown(() => agent.stop());
  const events: AnyEvent[] = [];
  agent.journal.listen((e) => events.push(e));
  const until = async (cond: () => boolean, what: string, maxMs = 300_000) => {
    for (let waited = 0; !cond(); waited += 50) {
      if (waited > maxMs) throw new Error(`timed out waiting for ${what} (${maxMs} ms of simulated time)`);
      await clock.advance(50);
    }
  };
  const rig = { agent, clock, sim: agent.use('simulator'), events, until };
  if (options.waitOnline !== false) await until(() => agent.use('sms').modems().every((m) => m.state === 'online'), 'modem online');
  return rig;
}
