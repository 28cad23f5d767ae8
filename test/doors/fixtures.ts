// The whole agent on the simulator with the front doors mounted, and a loopback receiver for the
// callbacks and webhooks they send. Waits are bounded by events, never by sleeping.
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { createAgent, type Agent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import type { AnyEvent, EventType } from '../../core/events.ts';
import { watchJournal } from '../fixtures/events.ts';
import { silentLogger } from '../../core/log.ts';
import type { ConfiguredPlugin } from '../../core/plugin.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { webhook } from '../../plugins/webhook/index.ts';
import type { Simulator } from '../../simulator/index.ts';

export const KEY = 'door-test-key-0123456789abcdef';
export const KEY_ENV = 'SMSEDGE_DOOR_TEST_KEY';
process.env[KEY_ENV] = KEY;

export interface DoorAgent {
  agent: Agent;
  base: string;
  sim: Simulator;
  events: AnyEvent[];
  waitFor(type: EventType, pred?: (e: AnyEvent) => boolean): Promise<AnyEvent>;
}

export async function doorAgent(t: Test, doors: ConfiguredPlugin[], options: { webhookSecret?: string; webhook?: { phoneNumber?: string } } = {}): Promise<DoorAgent> {
  const agent = createAgent(
    resolveConfig({
      agentId: 'doors',
      dataDir: t.testdir(),
      plugins: [
        modem({ port: 'simulator' }),
        api({ port: 0, apiKeyEnv: KEY_ENV }),
        webhook({ defaultSecret: options.webhookSecret ?? 'door-webhook-secret', retry: { initialDelayMs: 50, maxDelayMs: 200 }, ...options.webhook }),
        ...doors,
      ],
    }),
    { log: silentLogger() },
  );
  await agent.start();
  t.teardown(() => agent.stop());
  const { events, waitFor } = watchJournal(agent.journal);
  await waitFor('modem.online');
  return { agent, base: agent.use('api').urls()[0]!, sim: agent.use('simulator'), events, waitFor };
}

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A loopback HTTP server that records every request and answers `status` (200 by default). */
export async function receiver(t: Test): Promise<{ url: string; requests: Received[]; next(pred?: (r: Received) => boolean): Promise<Received>; status: number }> {
  const requests: Received[] = [];
  const waiters: (() => void)[] = [];
  const state = { status: 200 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(state.status).end();
      for (const w of waiters.splice(0)) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    get status() {
      return state.status;
    },
    set status(s: number) {
      state.status = s;
    },
    async next(pred = () => true) {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const found = requests.find(pred);
        if (found) return found;
        if (Date.now() > deadline) throw new Error('no request arrived');
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200).unref();
        });
      }
    },
  };
}
