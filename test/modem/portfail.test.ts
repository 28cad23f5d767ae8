// A modem whose port cannot be opened (a wrong path, no permission): the path and the OS's words are
// logged at warn once, not at every retry, and /health, /metrics and the page's modem card say why.
import { chmodSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { createLogger } from '../../core/log.ts';
import { api } from '../../plugins/api/index.ts';
import type { ApiApp } from '../../plugins/api/app.ts';
import { modem } from '../../plugins/modem/index.ts';
import { cannotOpen } from '../../plugins/modem/reconnect.ts';
import { KEY, KEY_ENV } from '../api/fixtures/agent.ts';

/** The text of the page's modem cards for `modems` (plugins/api/ui/render.js on a minimal DOM). */
async function renderCard(modems: unknown[]): Promise<string> {
  class El {
    children: (El | string)[] = [];
    setAttribute() {}
    addEventListener() {}
    append(...c: (El | string)[]) {
      this.children.push(...c);
    }
    replaceChildren(...c: (El | string)[]) {
      this.children = c;
    }
    contains() {
      return false;
    }
    get textContent(): string {
      return this.children.map((c) => (typeof c === 'string' ? c : `${c.textContent} `)).join('');
    }
  }
  const g = globalThis as Record<string, unknown>;
  g.HTMLElement = El;
  g.document = { createElement: () => new El(), createElementNS: () => new El(), activeElement: null };
  const render = (await import(new URL('../../plugins/api/ui/render.js', import.meta.url).href)) as { renderModems(c: El, m: unknown[], h: Map<string, unknown>): void };
  const container = new El();
  render.renderModems(container, modems, new Map());
  delete g.document;
  delete g.HTMLElement;
  return container.textContent;
}

async function agentOn(t: Test, path: string) {
  const logs: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  process.env[KEY_ENV] = KEY;
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  const config = resolveConfig({ agentId: 'test', dataDir: t.testdir(), plugins: [modem({ port: path }), api({ port: 0, apiKeyEnv: KEY_ENV })] });
  const agent = createAgent(config, { clock, log: createLogger({ level: 'debug', destination }) });
  await agent.start();
  t.teardown(() => agent.stop());
  const http = agent.use('api') as ApiApp;
  const get = async (p: string) => http.app.request(p, { headers: { authorization: `Bearer ${KEY}` } });
  return { agent, clock, logs, get };
}

t.test('a port that does not exist: warn once with path and the OS words; health, metrics and the page say why', async (t) => {
  const path = `/dev/ttySMSEDGE-missing-${process.pid}`;
  const { agent, clock, logs, get } = await agentOn(t, path);
  const said = (level: string) => logs.filter((l) => l.level === level && `${l.msg} ${l.reason}`.includes(`cannot open ${path}`));
  for (let i = 0; i < 200 && said('debug').length < 3; i++) await clock.advance(1000);
  t.equal(said('warn').length, 1, 'one warning');
  t.ok(said('debug').length >= 3, `the retries only at debug (${said('debug').length})`);
  t.match(said('warn')[0], { msg: 'modem offline', reason: /^cannot open \/dev\/ttySMSEDGE-missing-\d+: No such file or directory \(is the modem plugged in\?/ });

  const [m] = agent.use('sms').modems();
  t.equal(m!.state, 'offline');
  t.match(m!.reason, /No such file or directory/);
  const health = (await (await get('/health')).json()) as { status: string; modems: { reason: string }[]; plugins: { modem: { status: string; reason: string } } };
  t.match(health.modems[0]!.reason, `cannot open ${path}: No such file or directory`);
  t.equal(health.plugins.modem.status, 'fail');
  t.match(health.plugins.modem.reason, /No such file or directory/);
  const metrics = await (await get('/metrics')).text();
  t.match(metrics, new RegExp(`smsedge_modem_online\\{modem="default",state="offline",reason="cannot open ${path}: No such file or directory[^"]*"\\} 0`));

  // The page's modem card: the browser's own render function, on a few lines of DOM.
  const card = await renderCard(health.modems);
  t.match(card, `cannot open ${path}: No such file or directory`);
});

t.test('no permission: the OS words and what to do', async (t) => {
  if (process.getuid?.() === 0) {
    t.equal(
      cannotOpen('/dev/ttyUSB0', new Error('Error: Permission denied, cannot open /dev/ttyUSB0')),
      "cannot open /dev/ttyUSB0: Permission denied (the agent's user needs the group dialout: sudo usermod -aG dialout <user>)",
    );
    return;
  }
  const file = `${t.testdir()}/tty`;
  writeFileSync(file, '');
  chmodSync(file, 0o000);
  const { logs, clock } = await agentOn(t, file);
  for (let i = 0; i < 20 && !logs.some((l) => l.level === 'warn' && /Permission denied/.test(String(l.reason))); i++) await clock.advance(1000);
  t.ok(logs.some((l) => l.level === 'warn' && /Permission denied \(the agent's user needs the group dialout/.test(String(l.reason))));
});

t.test('what serialport says, in plain words', async (t) => {
  t.equal(cannotOpen('/dev/x', new Error('Error: Resource temporarily unavailable Cannot lock port')), 'cannot open /dev/x: Resource temporarily unavailable Cannot lock port (another program holds it; ModemManager? sudo systemctl stop ModemManager)');
  t.equal(cannotOpen('/dev/x', new Error('Error: Inappropriate ioctl for device setting custom baud rate of 115200')), 'cannot open /dev/x: Inappropriate ioctl for device setting custom baud rate of 115200');
  t.equal(cannotOpen('/dev/x', 'odd'), 'cannot open /dev/x: odd');
});
