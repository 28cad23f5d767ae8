// A real agent (modem on the simulator, API with a key, webhook) on a ManualClock, a loopback webhook
// receiver whose answer the test sets, and real Chromium driven by playwright-core.
import { existsSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { createAgent, type Agent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import type { ConfiguredPlugin } from '../../core/plugin.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { webhook } from '../../plugins/webhook/index.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const KEY = 'ui-test-key-0123456789abcdef';
export const KEY_ENV = 'SMSEDGE_UI_TEST_API_KEY';
process.env[KEY_ENV] = KEY;

/** Signal readings, one per 30 s of agent time before the test begins. */
const HISTORY = [-75, -79, -85, -83, -91, -97, -89, -81, -77, -71, -69, -73];

export const hasChromium = () => existsSync(CHROMIUM);

/**
 * The page's console errors and uncaught exceptions, for a test to assert there were none.
 * `expected`: the failed requests the test provokes on purpose (Chromium logs them as console errors).
 */
export function problemsOf(page: Page, expected?: RegExp): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !expected?.test(m.text())) problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  return problems;
}

/** Chromium with a fresh profile (playwright gives every launch its own temporary user-data-dir). */
export async function launch(t: Test): Promise<Browser> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
  });
  t.teardown(() => browser.close());
  return browser;
}

export interface Receiver {
  url: string;
  /** What the next requests get. */
  status: number;
  /** A Retry-After header to answer with (seconds), or null. */
  retryAfter: string | null;
  received: number;
  /** The path and query of each request. */
  paths: string[];
  /** The headers of each request, in arrival order. */
  headers: IncomingHttpHeaders[];
}

export async function receiver(t: Test, status: number): Promise<Receiver> {
  const r: Receiver = { url: '', status, retryAfter: null, received: 0, paths: [], headers: [] };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      r.received++;
      r.paths.push(req.url ?? '');
      r.headers.push(req.headers);
      res.writeHead(r.status, r.retryAfter ? { 'retry-after': r.retryAfter } : {}).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return r;
}

export interface Rig {
  agent: Agent;
  clock: ManualClock;
  base: string;
  /** Calls the agent's API with the key. */
  call(path: string, json?: unknown, method?: string): Promise<any>;
  /**
   * Waits until `locator` is visible, moving the agent's clock by `stepMs` between short waits on the
   * page: agent time (modem, simulator network, webhook backoff) passes only as the test says.
   */
  until(locator: Locator, what: string, stepMs?: number): Promise<void>;
}

export interface RigOptions {
  /** Other plugins than the simulator modem, the API with the key and a webhook (no wait for a modem then). */
  plugins?: ConfiguredPlugin[];
}

export async function startAgent(t: Test, options: RigOptions = {}): Promise<Rig> {
  // Started in the past: the modem's first minutes (a varying signal, for the history chart) are
  // played fast on the manual clock, after which agent time is about the browser's.
  const clock = new ManualClock(Date.now() - HISTORY.length * 30_000);
  const config = resolveConfig({
    agentId: 'ui-e2e',
    dataDir: t.testdir(),
    plugins: options.plugins ?? [
      modem({ port: 'simulator', retry: { initialDelayMs: 0 } }),
      api({ port: 0, apiKeyEnv: KEY_ENV }),
      webhook({ flushIntervalMs: 0, retry: { initialDelayMs: 1000, maxDelayMs: 2000, maxAttempts: 2 } }),
    ],
  });
  const agent = createAgent(config, { clock, log: silentLogger() });
  await agent.start();
  t.teardown(() => agent.stop());
  const base = agent.use('api').urls()[0]!;
  const rig = rigOf(agent, clock, base);
  if (options.plugins) return rig;
  for (let i = 0; !agent.use('sms').modems().every((m) => m.state === 'online'); i++) {
    if (i > 2000) throw new Error('the simulated modem did not come online');
    await clock.advance(50);
  }
  const sim = agent.use('simulator');
  for (const dbm of HISTORY) {
    sim.setSignal(dbm);
    // The modem reads +CSQ every 30 s (its health check); small steps let each exchange finish.
    for (let ms = 0; ms < 30_000; ms += 500) await clock.advance(500);
  }
  return rig;
}

function rigOf(agent: Agent, clock: ManualClock, base: string): Rig {
  return {
    agent,
    clock,
    base,
    async call(path, json, method) {
      const res = await fetch(base + path, {
        method: method ?? (json === undefined ? 'GET' : 'POST'),
        headers: { authorization: `Bearer ${KEY}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(json === undefined ? {} : { body: JSON.stringify(json) }),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
    async until(locator, what, stepMs = 250) {
      for (let i = 0; i < 400; i++) {
        try {
          await locator.first().waitFor({ state: 'visible', timeout: 50 });
          return;
        } catch {
          await clock.advance(stepMs);
        }
      }
      throw new Error(`timed out waiting for ${what}`);
    },
  };
}
