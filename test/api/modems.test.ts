// GET /modems: what the operator page's modem panel shows beside /health's status: SIM storage,
// network type, today's counts; and an offline modem with its reason.
import { join } from 'node:path';
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { KEY, KEY_ENV } from './fixtures/agent.ts';

t.test('each modem with its storage, network type and counts; an offline one says why', async (t) => {
  const clock = new ManualClock(Date.parse('2026-03-01T10:00:00Z'));
  const missing = join(t.testdir(), 'ttyUSB9');
  const agent = createAgent(
    resolveConfig({
      agentId: 'modems',
      dataDir: join(t.testdir(), 'data'),
      plugins: [
        modem({ id: 'sim1', port: 'simulator', retry: { initialDelayMs: 0 } }),
        modem({ id: 'usb', port: missing, retry: { initialDelayMs: 60_000 } }),
        api({ port: 0, apiKeyEnv: KEY_ENV }),
      ],
    }),
    { clock, log: silentLogger() },
  );
  await agent.start();
  t.teardown(() => agent.stop());
  const base = agent.use('api').urls()[0]!;
  const get = async (path: string, key: string | null = KEY) => {
    const res = await fetch(base + path, { headers: key ? { authorization: `Bearer ${key}` } : {} });
    return { status: res.status, body: (await res.json()) as any };
  };
  const sms = agent.use('sms');
  for (let i = 0; i < 2000 && sms.modems().find((m) => m.id === 'sim1')!.state !== 'online'; i++) await clock.advance(50);

  const { id } = sms.send({ to: '+15550100100', text: 'counted today', modem: 'sim1' });
  for (let i = 0; i < 2000 && (sms.getMessage(id) as { status?: string } | undefined)?.status === 'queued'; i++) await clock.advance(50);
  for (let i = 0; i < 200 && !sms.modemDetails!().find((d) => d.id === 'sim1')!.simStorage; i++) await clock.advance(1000);

  t.equal((await get('/modems', null)).status, 401, 'a key is needed');
  const { status, body } = await get('/modems');
  t.equal(status, 200);
  t.same(body.items.map((m: { id: string }) => m.id), ['sim1', 'usb'], 'in configuration order');
  const [online, offline] = body.items;
  t.match(online, { id: 'sim1', state: 'online', reason: null, operator: 'smsedge sim', sim: 'READY', resets: 0, sentToday: 1, failedToday: 0, queued: 0 });
  t.match(online.simStorage, { mem: String, used: Number, total: Number }, `SIM storage (${JSON.stringify(online.simStorage)})`);
  t.ok(online.simStorage.total > 0, 'its size');
  t.notMatch(JSON.stringify(online), /\d{15}/, 'no whole IMEI');
  t.match(offline, { id: 'usb', simStorage: null, sentToday: 0, queued: 0 });
  t.not(offline.state, 'online');
  t.match(offline.reason, missing, `the port in the reason (${offline.reason})`);
});
