// Issue 29 over MQTT, end to end: a real Mosquitto, the agent with the modem plugin on the simulator and
// a manual clock. request/send with sendAt and priority, request/change and request/cancel answer as
// the REST routes do; the scheduled message goes at its time, the cancelled one never, and the
// sms.cancelled event is published.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { createAgent } from '../../core/agent.ts';
import { ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { modem } from '../../plugins/modem/index.ts';
import { mqtt } from '../../plugins/mqtt/index.ts';
import { waitFor } from '../file/wait.ts';
import { skipReason, startBroker } from './broker.ts';
import { watch } from './client.ts';

const skip = skipReason();

function tmp(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-mqtt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('MQTT: sendAt, priority, change and cancel like REST, on the simulator', { skip }, async (t) => {
  const b = await startBroker(tmp(t));
  t.teardown(() => b.stop());
  const w = await watch(b.url, ['smsedge/pi/response/#', 'smsedge/pi/event/#']);
  t.teardown(() => w.close());
  const T0 = Date.parse('2026-03-01T10:00:00Z');
  const clock = new ManualClock(T0);
  const config = resolveConfig({
    agentId: 'pi',
    dataDir: tmp(t),
    plugins: [modem({ port: 'simulator', healthIntervalSeconds: 3600, retry: { initialDelayMs: 0 } }), mqtt({ url: b.url, reconnectPeriodMs: 50 })],
  });
  const agent = createAgent(config, { clock, log: silentLogger() });
  t.teardown(() => agent.stop());
  await agent.start();
  const sms = agent.use('sms');
  for (let i = 0; sms.modems()[0]!.state !== 'online'; i++) {
    if (i > 2000) throw new Error('modem not online');
    await clock.advance(50);
  }
  await waitFor(async () => (await agent.health()).plugins.mqtt?.connected, 'connected');
  const answers = (kind: string) => w.json(`smsedge/pi/response/${kind}`) as { transaction?: unknown; status: string; data?: Record<string, unknown>; error?: Record<string, unknown> }[];
  const ask = async (kind: string, body: Record<string, unknown>) => {
    await w.client.publishAsync(`smsedge/pi/request/${kind}`, JSON.stringify(body), { qos: 1 });
    return waitFor(() => answers(kind).find((a) => a.transaction === body.transaction), `the answer to ${kind} ${String(body.transaction)}`);
  };
  const iso = (ms: number) => new Date(ms).toISOString();

  const later = await ask('send', { transaction: 's1', to: '+15550402001', text: 'in an hour', sendAt: iso(T0 + 3600_000) });
  t.match(later, { status: 'ok', data: { status: 'queued' } });
  const laterId = later.data!.id as string;
  const code = await ask('send', { transaction: 's2', to: '+15550402002', text: 'code 9876', priority: 'high', sendAt: iso(T0 + 1800_000) });
  const codeId = code.data!.id as string;
  const dropped = await ask('send', { transaction: 's3', to: '+15550402003', text: 'never mind', sendAt: iso(T0 + 1800_000), priority: 'low' });
  const droppedId = dropped.data!.id as string;
  t.match(sms.getMessage(codeId), { priority: 'high', sendAt: '2026-03-01T10:30:00.000+00:00', status: 'queued' });
  t.match(sms.getMessage(droppedId), { priority: 'low' });
  t.match(await ask('send', { transaction: 'bad', to: '+15550402001', text: 'x', priority: 'urgent' }), { status: 'error', error: { code: 'invalid_request', field: 'priority' } });
  t.match(await ask('send', { transaction: 'past', to: '+15550402001', text: 'x', sendAt: '2020-01-01T00:00:00Z' }), { status: 'error', error: { code: 'invalid_request', field: 'sendAt' } });

  t.match(await ask('change', { transaction: 'c1', id: laterId, text: 'in two hours', sendAt: iso(T0 + 7200_000) }), { status: 'ok', data: { id: laterId, text: 'in two hours', sendAt: '2026-03-01T12:00:00.000+00:00' } });
  t.match(await ask('change', { transaction: 'c2', id: laterId }), { status: 'error', error: { code: 'invalid_request' } });
  t.match(await ask('cancel', { transaction: 'x1', id: droppedId }), { status: 'ok', data: { id: droppedId, status: 'cancelled' } });
  t.match(await ask('cancel', { transaction: 'x2', id: droppedId }), { status: 'error', error: { code: 'message_not_queued', field: 'id' } });
  const cancelled = await waitFor(() => w.json('smsedge/pi/event/sms.cancelled')[0] as { data: Record<string, unknown> } | undefined, 'sms.cancelled published');
  t.match(cancelled.data, { messageId: droppedId, to: '+15550402003' });

  // The clock moves: the code at 10:30, the changed one at 12:00, the cancelled one never.
  await clock.advance(1800_000 - 1000);
  t.same(agent.use('simulator').sent().length, 0, 'nothing before its sendAt');
  for (let i = 0; agent.use('simulator').sent().length < 1 && i < 2000; i++) await clock.advance(50);
  t.same(agent.use('simulator').sent().map((s) => s.text), ['code 9876']);
  await clock.advance(T0 + 7200_000 - 1000 - clock.now());
  t.equal(agent.use('simulator').sent().length, 1, 'the changed one waits for its new time');
  for (let i = 0; agent.use('simulator').sent().length < 2 && i < 2000; i++) await clock.advance(50);
  t.same(agent.use('simulator').sent().map((s) => s.text), ['code 9876', 'in two hours']);
  await clock.advance(3600_000);
  t.equal(agent.use('simulator').sent().length, 2, 'the cancelled one never goes');
  const sent = await waitFor(() => (w.json('smsedge/pi/event/sms.sent') as { data: { messageId: string } }[]).length === 2 && w.json('smsedge/pi/event/sms.sent'), 'sms.sent published');
  t.same((sent as { data: { messageId: string } }[]).map((e) => e.data.messageId), [codeId, laterId]);
});
