// The whole agent on the simulator with the smtp plugin, real SMTP clients (Debian's swaks,
// nodemailer) and a real SMTP server (test/channels/mailserver.ts) that receives the answers. Waits are bounded by
// events and by the peers' own answers, never by sleeping.
import { execFile, execFileSync } from 'node:child_process';
import type { Test } from 'tap';
import { createAgent, type Agent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import type { AnyEvent, EventType } from '../../core/events.ts';
import { silentLogger } from '../../core/log.ts';
import { watchJournal } from '../fixtures/events.ts';
import { modem } from '../../plugins/modem/index.ts';
import { smtp } from '../../plugins/smtp/index.ts';
import type { Simulator } from '../../simulator/index.ts';

export const DOMAIN = 'sms.example.com';

export interface SmtpAgent {
  agent: Agent;
  port: number;
  sim: Simulator;
  waitFor(type: EventType, pred?: (e: AnyEvent) => boolean): Promise<AnyEvent>;
}

export async function smtpAgent(t: Test, options: Record<string, unknown>, dataDir = t.testdir()): Promise<SmtpAgent> {
  const agent = createAgent(resolveConfig({ agentId: 'smtp', dataDir, plugins: [modem({ port: 'simulator' }), smtp({ domain: DOMAIN, port: 0, ...options })] }), {
    log: silentLogger(),
  });
  await agent.start();
  t.teardown(() => agent.stop());
  const { waitFor } = watchJournal(agent.journal);
  await waitFor('modem.online');
  return { agent, port: agent.use('smtp').address().port, sim: agent.use('simulator'), waitFor };
}

export function hasSwaks(): boolean {
  try {
    execFileSync('swaks', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Runs swaks against the agent; resolves with its exit code and the dialogue it printed. */
export function swaks(port: number, args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('swaks', ['--server', '127.0.0.1', '--port', String(port), '--timeout', '20', ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

/** The 250 line's SMS ids (`queued as <id> <id>`). */
export function queuedIds(out: string): string[] {
  const m = /queued as ([^\r\n]+)/.exec(out);
  return m ? m[1]!.trim().split(/\s+/) : [];
}
