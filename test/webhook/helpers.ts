// Shared pieces for the webhook tests: a real HTTP receiver on loopback, and an agent running the
// webhook plugin on a ManualClock (set near real time, so that receivers' own clocks agree).
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import type { Test } from 'tap';
import { createAgent, type Agent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { createLogger } from '../../core/log.ts';
import type { ConfiguredPlugin } from '../../core/plugin.ts';
import { webhook } from '../../plugins/webhook/index.ts';
import type { WebhookService } from '../../plugins/webhook/service.ts';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** What the receiver answered (0 when it hung up or never answered). */
  answered: number;
}

/** What the receiver answers: a status, optionally headers; or 'hang' (never answers), 'destroy' (resets). */
export type Reply = number | { status: number; headers?: Record<string, string> } | 'hang' | 'destroy';

export interface Receiver {
  url: string;
  port: number;
  received: Received[];
  /** How to answer the next request (called per request, in order). Default 200. */
  reply: (req: Received, n: number) => Reply;
  /** Resolves once `n` requests arrived in all. */
  waitFor(n: number): Promise<void>;
  close(): Promise<void>;
}

export async function receiver(t: Test, reply: Receiver['reply'] = () => 200): Promise<Receiver> {
  const waiting: { n: number; resolve: () => void }[] = [];
  const hanging = new Set<ServerResponse>();
  const r: Receiver = {
    url: '',
    port: 0,
    received: [],
    reply,
    waitFor(n) {
      if (r.received.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ n, resolve }));
    },
    async close() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const got: Received = { method: req.method!, path: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), answered: 0 };
      r.received.push(got);
      const answer = r.reply(got, r.received.length);
      for (const w of waiting.filter((w) => r.received.length >= w.n)) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve();
      }
      if (answer === 'hang') return void hanging.add(res);
      if (answer === 'destroy') return void req.socket.destroy();
      const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
      got.answered = status;
      res.writeHead(status, headers);
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.port = (server.address() as AddressInfo).port;
  r.url = `http://127.0.0.1:${r.port}`;
  t.teardown(() => r.close());
  return r;
}

export interface Harness {
  agent: Agent;
  clock: ManualClock;
  service: WebhookService;
  logs: string[];
  dir: string;
  /** Emits an sms.received event (durably, through the journal). */
  receive(text?: string, from?: string): string;
  restart(): Promise<void>;
}

export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';

/** Options for tests: immediate writes, no real waiting. */
export const quick = { flushIntervalMs: 0 };

export async function harness(t: Test, options: Record<string, unknown> = {}, extra: { plugins?: ConfiguredPlugin[]; clock?: ManualClock; dir?: string } = {}): Promise<Harness> {
  const dir = extra.dir ?? t.testdir();
  const clock = extra.clock ?? new ManualClock(Math.floor(Date.now() / 1000) * 1000);
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const make = () =>
    createAgent(resolveConfig({ agentId: 'test-agent', dataDir: dir, log: { level: 'debug' }, plugins: [...(extra.plugins ?? []), webhook({ ...quick, defaultSecret: SECRET, ...options })] }), {
      log: createLogger({ level: 'debug', destination }),
      clock,
    });
  const h: Harness = {
    agent: make(),
    clock,
    service: undefined as unknown as WebhookService,
    logs,
    dir,
    receive(text = 'hello there', from = '+15550100100') {
      return h.agent.journal.append('sms.received', {
        messageId: `m-${Math.random().toString(36).slice(2)}`, from, text, encoding: 'gsm7', parts: 1,
        receivedAt: '2026-01-01T00:00:00+00:00', smsc: '+15550000000', modem: 'modem', class: null,
      }).id;
    },
    async restart() {
      await h.agent.stop();
      h.agent = make();
      await h.agent.start();
      h.service = h.agent.use('webhook');
    },
  };
  await h.agent.start();
  h.service = h.agent.use('webhook');
  t.teardown(() => h.agent.stop());
  return h;
}

/** Waits (yielding to I/O, never for a fixed time) until `check` holds; fails after `ms` of real time. */
export async function until(check: () => boolean | Promise<boolean>, what = 'condition', ms = 5000): Promise<void> {
  const deadline = performance.now() + ms;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}
