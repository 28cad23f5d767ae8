// Two modems: messages queued by round robin on a modem that stays offline move to an online one after
// the grace period (failoverSeconds); a message pinned to it waits for it.
import t from 'tap';
import type { OutboundMessage } from '../../core/services.ts';
import { onSimulator, type Simulator } from '../../simulator/index.ts';
import { ofType, startRig } from './helpers.ts';

t.test('round-robin messages leave a modem that stays offline; pinned ones wait', async (t) => {
  const sims: Simulator[] = [];
  t.teardown(onSimulator((sim) => void sims.push(sim)));
  const rig = await startRig(t, { id: 'a', failoverSeconds: 60 }, { plugins: [{ id: 'b', failoverSeconds: 60, retry: { initialDelayMs: 0 } }] });
  const [simA, simB] = sims;
  const sms = rig.agent.use('sms');
  const state = (id: string) => sms.modems().find((m) => m.id === id)!.state;
  const msg = (id: string) => sms.getMessage(id) as OutboundMessage;

  // Both unplugged: round robin has no online modem to prefer, so the messages are spread over both.
  simA!.unplug();
  simB!.unplug();
  await rig.until(() => state('a') !== 'online' && state('b') !== 'online', 'both offline');
  const bOffline = rig.clock.now();
  const spread = [0, 1, 2, 3].map((i) => sms.send({ to: '+15550300400', text: `spread ${i}`, deliveryReport: false }));
  const pinned = sms.send({ to: '+15550300400', text: 'only via b', modem: 'b', deliveryReport: false });
  const onB = spread.filter((s) => msg(s.id)!.modem === 'b').map((s) => s.id);
  t.equal(onB.length, 2, 'two of four went to b');

  simA!.replug();
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 2, "a's own two sent");
  t.same(onB.map((id) => msg(id)!.status), ['queued', 'queued'], 'within the grace period they stay on b');
  t.same(onB.map((id) => msg(id)!.modem), ['b', 'b']);

  await rig.until(() => ofType(rig.events, 'sms.sent').length === 4, "b's unpinned messages sent via a", 120_000);
  const waited = rig.clock.now() - bOffline;
  t.ok(waited >= 59_000 && waited <= 60_000 + 15_000 + 5000, `moved once b was offline for the grace period (60 s; after ${waited} ms)`);
  const sent = new Map(ofType(rig.events, 'sms.sent').map((e) => [e.data.messageId, e.data.modem]));
  t.same(onB.map((id) => sent.get(id)), ['a', 'a'], 'sent by a, and the event says so');
  t.same(onB.map((id) => msg(id)!.modem), ['a', 'a']);
  t.same(simA!.sent().map((s) => s.text).sort(), ['spread 0', 'spread 1', 'spread 2', 'spread 3']);

  await rig.clock.advance(10 * 60_000);
  t.match(msg(pinned.id), { status: 'queued', modem: 'b' }, 'pinned: still waiting for b');
  t.equal(simA!.sent().length, 4);

  simB!.replug();
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 5, 'pinned message sent once b is back');
  t.equal(sent.size, 4);
  t.equal(ofType(rig.events, 'sms.sent').at(-1)!.data.modem, 'b');
  t.same(simB!.sent().map((s) => s.text), ['only via b']);
});

t.test('a message whose first part went out stays with its modem', async (t) => {
  const sims: Simulator[] = [];
  t.teardown(onSimulator((sim) => void sims.push(sim)));
  const rig = await startRig(t, { id: 'a', failoverSeconds: 30 }, { plugins: [{ id: 'b', failoverSeconds: 30, retry: { initialDelayMs: 0 } }] });
  const [simA, simB] = sims;
  const sms = rig.agent.use('sms');
  const state = (id: string) => sms.modems().find((m) => m.id === id)!.state;
  const msg = (id: string) => sms.getMessage(id) as OutboundMessage;
  simA!.unplug();
  await rig.until(() => state('a') !== 'online', 'a offline');
  // b takes it (the only one online); its SIM is pulled after part 1 was accepted.
  simB!.useBehavior({
    name: 'unplug-after-first-part',
    match: (cmd, modem) => cmd.name === '+CMGS' && modem.sent.length === 1,
    handle: () => { queueMicrotask(() => simB!.unplug()); return false; },
  });
  const long = sms.send({ to: '+15550300401', text: 'x'.repeat(300), deliveryReport: false });
  t.equal(msg(long.id)!.modem, 'b');
  await rig.until(() => state('b') !== 'online', 'b gone mid-message');
  simA!.replug();
  await rig.until(() => state('a') === 'online', 'a back');
  await rig.clock.advance(5 * 60_000);
  t.match(msg(long.id), { status: 'queued', modem: 'b' }, 'not moved: part 1 went out from b');
  t.equal(simA!.sent().length, 0);
  simB!.removeBehavior('unplug-after-first-part');
  simB!.replug();
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 1, 'finished by b');
  t.equal(simB!.sent().length, 2);
});
