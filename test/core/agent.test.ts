import { join } from 'node:path';
import t, { type Test } from 'tap';
import * as v from 'valibot';
import { createAgent } from '../../core/agent.ts';
import { flushMicrotasks, ManualClock } from '../../core/clock.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import { definePlugin, optional, type ConfiguredPlugin } from '../../core/plugin.ts';

function recorder() {
  const calls: string[] = [];
  const make = (name: string, extra: { dependsOn?: string[]; failStart?: boolean; failSetup?: boolean } = {}) =>
    definePlugin({
      name,
      dependsOn: extra.dependsOn,
      setup(ctx) {
        calls.push(`setup ${name}`);
        if (extra.failSetup) throw new Error(`${name} cannot set up`);
        ctx.events.on('*', () => calls.push(`${name} heard`));
        return {
          start: () => {
            if (extra.failStart) throw new Error(`${name} broke`);
            calls.push(`start ${name}`);
          },
          stop: () => void calls.push(`stop ${name}${ctx.signal.aborted ? ' (aborted)' : ''}`),
          health: () => ({ status: 'pass', name }),
        };
      },
    });
  return { calls, make };
}

function build(t: Test, plugins: ConfiguredPlugin[]) {
  const config = resolveConfig({ agentId: 'test', dataDir: t.testdir(), plugins });
  return createAgent(config, { log: silentLogger(), clock: new ManualClock() });
}

t.test('starts in dependency order, stops in reverse, removes listeners', async (t) => {
  const { calls, make } = recorder();
  const agent = build(t, [make('webhook', { dependsOn: ['api'] })(), make('api', { dependsOn: ['modem'] })(), make('modem')()]);
  await agent.start();
  t.same(calls.filter((c) => c.startsWith('start')), ['start modem', 'start api', 'start webhook']);
  agent.journal.append('system.ping', { agentId: 'test', uptimeSeconds: 0 });
  t.equal(calls.filter((c) => c.endsWith('heard')).length, 3);
  const journal = agent.journal;
  await agent.stop();
  t.same(calls.filter((c) => c.startsWith('stop')), ['stop webhook (aborted)', 'stop api (aborted)', 'stop modem (aborted)']);
  const before = calls.length;
  // The store is closed after stop; listeners were removed before that.
  t.throws(() => journal.append('system.ping', { agentId: 'test', uptimeSeconds: 0 }));
  t.equal(calls.length, before);
});

t.test('a required plugin that fails aborts start-up and stops what was started', async (t) => {
  const { calls, make } = recorder();
  const agent = build(t, [make('modem')(), make('api', { failStart: true })(), make('webhook')()]);
  await t.rejects(agent.start(), { code: 'start_failed', plugin: 'api', message: /plugin "api" failed to start: api broke/ });
  t.ok(calls.includes('stop modem (aborted)'), 'modem stopped again');
  t.notOk(calls.includes('setup webhook'), 'nothing after the failure started');
});

t.test('an optional plugin that fails is logged, shown failed in health, and the agent runs on', async (t) => {
  const { calls, make } = recorder();
  const agent = build(t, [make('modem')(), optional(make('mqtt', { failSetup: true })()), make('file')()]);
  await agent.start();
  t.ok(calls.includes('start file'));
  const health = await agent.health();
  t.equal(health.status, 'warn');
  t.equal(health.plugins.mqtt!.status, 'fail');
  t.match(health.plugins.mqtt!.error, /mqtt cannot set up/);
  t.equal(health.plugins.modem!.status, 'pass');
  await agent.stop();
});

t.test('plugins depending on a failed optional plugin do not start', async (t) => {
  const { calls, make } = recorder();
  const agent = build(t, [optional(make('modem', { failStart: true })()), optional(make('api', { dependsOn: ['modem'] })())]);
  await agent.start();
  t.notOk(calls.includes('setup api'));
  t.match((await agent.health()).plugins.api, { status: 'fail', error: /dependency "modem" failed/ });
  await agent.stop();
});

t.test('services: provide and use, with a clear error for a missing one', async (t) => {
  const producer = definePlugin({ name: 'producer', setup: (ctx) => void ctx.provide('sms', { marker: 1 } as never) });
  let seen: unknown;
  const consumer = definePlugin({
    name: 'consumer',
    dependsOn: ['producer'],
    setup(ctx) {
      seen = ctx.use('sms');
      t.throws(() => ctx.use('nope' as 'sms'), /service "nope" is not provided/);
    },
  });
  const agent = build(t, [consumer(), producer()]);
  await agent.start();
  t.same(seen, { marker: 1 });
  await agent.stop();
});

t.test('plugin sinks are stopped with the plugin', async (t) => {
  let handled = 0;
  const sink = definePlugin({
    name: 'sink',
    setup: (ctx) => ({ start: () => void ctx.events.subscribe('sink', () => void handled++) }),
  });
  const agent = build(t, [sink()]);
  await agent.start();
  agent.journal.append('system.ping', { agentId: 'test', uptimeSeconds: 0 });
  await flushMicrotasks(10);
  t.equal(handled, 1);
  await agent.stop();
});

t.test('options are validated before anything starts, naming plugin and key', async (t) => {
  const { calls, make } = recorder();
  const withOptions = definePlugin({
    name: 'api',
    options: v.strictObject({ port: v.optional(v.pipe(v.number(), v.integer()), 8080) }),
    setup: () => void calls.push('setup api'),
  });
  t.throws(() => resolveConfig({ dataDir: t.testdir(), plugins: [make('modem')(), withOptions({ port: 'x' })] }), {
    code: 'config_error',
    key: 'plugins[1] (api).port',
  });
  t.throws(() => resolveConfig({ dataDir: t.testdir(), plugins: [withOptions({ prot: 1 })] }), { code: 'config_error', key: 'plugins[0] (api).prot' });
  t.throws(() => resolveConfig({ dataDir: t.testdir(), plugins: [{ name: 'x' }] }), { key: 'plugins[0]', message: /call the plugin factory/ });
  t.same(resolveConfig({ dataDir: t.testdir(), plugins: [withOptions] }).plugins[0]!.options, { port: 8080 }, 'an uncalled factory means defaults');
  t.throws(() => resolveConfig({ dataDir: t.testdir(), plugins: [], plugns: [] }), { code: 'config_error', key: 'plugns' });
  t.throws(() => resolveConfig({ dataDir: t.testdir(), plugins: [make('a')(), make('a')()] }), { message: /listed twice/ });
  t.same(calls, []);
  const ok = resolveConfig({ dataDir: join(t.testdir(), 'd'), plugins: [withOptions()] });
  t.same(ok.plugins[0]!.options, { port: 8080 }, 'defaults applied');
  t.match(ok.store.path, /d\/smsedge\.db$/);
});

t.test('instances with an instance key get distinct names', async (t) => {
  const modem = definePlugin({ name: 'modem', instanceKey: 'id', options: v.object({ id: v.optional(v.string(), 'default') }), setup: () => {} });
  const c = resolveConfig({ dataDir: t.testdir(), plugins: [modem({ port: 'simulator' }), modem({ port: 'simulator', id: 'b' })] });
  t.same(c.plugins.map((p) => p.name), ['modem', 'modem#b']);
  t.throws(() => resolveConfig({ dataDir: t.testdir(), plugins: [modem({ port: 'simulator', id: 'b' }), modem({ port: 'simulator', id: 'b' })] }), { message: /distinct "id"/ });
});

t.test('an agent can be started again after stop', async (t) => {
  const { calls, make } = recorder();
  const agent = build(t, [make('modem')()]);
  await agent.start();
  agent.journal.append('system.ping', { agentId: 'test', uptimeSeconds: 0 });
  await agent.stop();
  await agent.start();
  t.equal(agent.journal.head(), 1, 'same database reopened');
  t.same(calls.filter((c) => c.startsWith('start')), ['start modem', 'start modem']);
  await agent.stop();
});
