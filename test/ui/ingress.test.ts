// The operator page under Home Assistant's Ingress, in real Chromium: a loopback proxy plays Home
// Assistant and its Supervisor (a parent page framing /api/hassio_ingress/<token>/, the prefix
// stripped before the agent and given in X-Ingress-Path), and the agent runs in add-on mode trusting
// that proxy. The page opens without asking for a key, lists a received SMS live, and sends; every
// request it makes stays under the prefix.
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import type { FrameLocator, Locator } from 'playwright-core';
import { createAgent, type Agent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { CHROMIUM, hasChromium, KEY, launch, problemsOf } from './rig.ts';

const PREFIX = '/api/hassio_ingress/Zs0d9V5-jQk3NnXb2WlYtE1rRqU7cHgA8pLmOiKvFeD';
const KEY_ENV = 'SMSEDGE_INGRESS_TEST_API_KEY';
process.env[KEY_ENV] = KEY;

interface Proxy {
  url: string;
  /** Every path the browser asked the proxy for. */
  paths: string[];
}

/**
 * Home Assistant in miniature: `/` is its frontend with the add-on's panel (an iframe), and
 * `<PREFIX>/...` is handed to the agent as `/...` with X-Ingress-Path, streaming both ways (the
 * page's event stream included). Anything else is not Home Assistant's to answer here: 404.
 */
async function ingressProxy(t: Test, agentUrl: string): Promise<Proxy> {
  const proxy: Proxy = { url: '', paths: [] };
  const target = new URL(agentUrl);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    proxy.paths.push(path);
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>Home Assistant</title><link rel="icon" href="data:,"><iframe title="SMS" src="${PREFIX}/" style="width:1200px;height:1800px"></iframe>`);
      return;
    }
    if (!path.startsWith(`${PREFIX}/`)) {
      res.writeHead(404).end();
      return;
    }
    const headers = { ...req.headers, 'x-ingress-path': PREFIX, 'x-forwarded-for': req.socket.remoteAddress ?? '' };
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: path.slice(PREFIX.length), headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return proxy;
}

/** An agent on the simulator in add-on mode, trusting the test's proxy on loopback. */
async function addonAgent(t: Test): Promise<{ agent: Agent; clock: ManualClock; url: string }> {
  const clock = new ManualClock(Date.now());
  const config = resolveConfig({
    agentId: 'ingress-e2e',
    dataDir: t.testdir(),
    plugins: [modem({ port: 'simulator', retry: { initialDelayMs: 0 } }), api({ port: 0, apiKeyEnv: KEY_ENV, ingress: { trustedProxy: '127.0.0.1' } })],
  });
  const agent = createAgent(config, { clock, log: silentLogger() });
  await agent.start();
  t.teardown(() => agent.stop());
  for (let i = 0; !agent.use('sms').modems().every((m) => m.state === 'online'); i++) {
    if (i > 2000) throw new Error('the simulated modem did not come online');
    await clock.advance(50);
  }
  return { agent, clock, url: agent.use('api').urls()[0]! };
}

if (!hasChromium()) {
  t.plan(0, `skip: ${CHROMIUM} is missing (Debian: apt-get install chromium); the Ingress test needs a real browser`);
} else {
  t.test('the operator page through a path-prefixing Ingress proxy', async (t) => {
    const { agent, clock, url } = await addonAgent(t);
    const proxy = await ingressProxy(t, url);
    const browser = await launch(t);
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const problems = problemsOf(page);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    /** Waits for `locator`, moving the agent's clock between short waits (agent time passes only as the test says). */
    const until = async (locator: Locator, what: string) => {
      for (let i = 0; i < 400; i++) {
        try {
          await locator.first().waitFor({ state: 'visible', timeout: 50 });
          return;
        } catch {
          await clock.advance(250);
        }
      }
      throw new Error(`timed out waiting for ${what}`);
    };

    await page.goto(`${proxy.url}/`);
    const panel: FrameLocator = page.frameLocator('iframe[title="SMS"]');

    await t.test('the page opens signed in, inside Home Assistant', async (t) => {
      await until(panel.locator('#dash'), 'the panels');
      t.ok(await panel.locator('#login').isHidden(), 'no key asked for');
      t.ok(await panel.locator('#logout').isHidden(), 'nothing to log out of: Home Assistant holds the session');
      await until(panel.locator('#modems', { hasText: 'online' }), 'the modem online');
      t.equal(await page.frames()[1]!.evaluate(() => sessionStorage.getItem('smsedge.key')), null, 'no key stored');
    });

    await t.test('a received SMS is listed', async (t) => {
      const res = await fetch(`${url}/simulator/sms`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ from: '+15550100142', text: 'Gate code 4711 for the delivery' }),
      });
      t.equal(res.status, 202);
      await until(panel.locator('#threads li.thread', { hasText: '+15550100142' }), 'the SMS in the conversations');
      t.pass('listed without a reload');
    });

    await t.test('an SMS sent from the page goes out', async (t) => {
      await panel.getByRole('button', { name: 'New message' }).click();
      const form = panel.locator('#compose-form');
      await form.getByLabel('To').fill('+15550100143');
      await form.getByLabel('Text', { exact: true }).fill('Through the prefix');
      await form.getByRole('button', { name: 'Send', exact: true }).click();
      await until(panel.locator('#compose-result', { hasText: 'Queued' }), 'the send accepted');
      const { items } = (await (await fetch(`${url}/sms/messages?direction=outbound`, { headers: { authorization: `Bearer ${KEY}` } })).json()) as { items: { to: string; text: string }[] };
      t.match(items, [{ to: '+15550100143', text: 'Through the prefix' }], 'the agent queued it');
      await until(panel.locator('#threads li.thread', { hasText: '+15550100143' }), 'the SMS in its conversation');
    });

    await t.test('every request stayed under the prefix', async (t) => {
      const outside = requests.filter((r) => r !== `${proxy.url}/` && !r.startsWith(`${proxy.url}${PREFIX}/`) && !r.startsWith('data:'));
      t.same(outside, [], 'nothing asked outside the prefix');
      t.ok(proxy.paths.some((p) => p.startsWith(`${PREFIX}/events`)), 'the event stream through the proxy');
      t.ok(proxy.paths.some((p) => p === `${PREFIX}/sms/send`), 'the send through the proxy');
      t.ok(proxy.paths.some((p) => p === `${PREFIX}/ui/app.js`), "the page's script through the proxy");
      t.same(problems, [], 'no console errors, no refused requests');
    });
  });
}
