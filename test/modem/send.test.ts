import t from 'tap';
import type { SmsServiceError } from '../../plugins/modem/service.ts';
import { reportState } from '../../plugins/modem/reports.ts';
import { defineBehavior, is } from '../../simulator/index.ts';
import { statusReport } from '../../simulator/network.ts';
import { ofType, profiles, startRig } from './helpers.ts';

for (const profile of profiles) {
  t.test(`${profile}: send: queued durably, sent part by part with TP-MRs, delivered once`, async (t) => {
    const rig = await startRig(t, { simulator: { profile } });
    const sms = rig.agent.use('sms');
    const accepted = sms.send({ to: '+15550200200', text: 'x'.repeat(200), clientRef: 'order-17', callbackUrl: 'https://example.test/cb' });
    t.match(accepted, { status: 'queued', parts: 2, encoding: 'gsm7' });
    await rig.until(() => ofType(rig.events, 'sms.sent').length === 1, 'sms.sent');
    const [sent] = ofType(rig.events, 'sms.sent');
    t.match(sent!.data, { messageId: accepted.id, clientRef: 'order-17', callbackUrl: 'https://example.test/cb', parts: 2, modem: 'default' });
    t.same(sent!.data.references, rig.sim.sent().map((p) => p.mr));
    await rig.until(() => ofType(rig.events, 'sms.delivered').length === 1, 'sms.delivered');
    await rig.clock.advance(10_000);
    t.equal(ofType(rig.events, 'sms.delivered').length, 1, 'once per message, not per part');
    t.match(ofType(rig.events, 'sms.delivered')[0]!.data, { messageId: accepted.id, clientRef: 'order-17', status: 0 });
    const msg = sms.getMessage(accepted.id);
    t.match(msg, { status: 'delivered', partDetails: [{ part: 1, status: 'delivered' }, { part: 2, status: 'delivered' }] });
    t.equal(sms.listDeliveryReports({ limit: 10 }).length, 2);
  });
}

for (const profile of profiles) {
  t.test(`${profile}: a failed delivery report fails the message once, with TP-ST and meaning`, async (t) => {
    const rig = await startRig(t, { simulator: { profile } });
    rig.sim.setDeliveryOutcome('+15550200201', 'failed', 1000);
    const { id } = rig.agent.use('sms').send({ to: '+15550200201', text: 'will fail', clientRef: 'c1' });
    await rig.until(() => ofType(rig.events, 'sms.failed').length === 1, 'sms.failed');
    const [f] = ofType(rig.events, 'sms.failed');
    t.match(f!.data, { messageId: id, stage: 'delivery', clientRef: 'c1' });
    t.type(f!.data.code, 'number');
    t.equal(ofType(rig.events, 'sms.delivered').length, 0);
  });
}

for (const profile of profiles) {
  t.test(`${profile}: pending then delivered: one sms.delivered`, async (t) => {
    const rig = await startRig(t, { simulator: { profile } });
    rig.sim.setDeliveryOutcome('+15550200202', 'pending-then-delivered', 1000);
    rig.agent.use('sms').send({ to: '+15550200202', text: 'slowly' });
    await rig.until(() => ofType(rig.events, 'sms.delivered').length === 1, 'delivered');
    await rig.clock.advance(30_000);
    t.equal(ofType(rig.events, 'sms.delivered').length, 1);
    t.equal(ofType(rig.events, 'sms.failed').length, 0);
  });
}

t.test('a transient +CMS ERROR 500 is retried; a permanent one fails with code and meaning', async (t) => {
  const rig = await startRig(t);
  const sms = rig.agent.use('sms');
  rig.sim.fault('cms-500', { count: 2 });
  sms.send({ to: '+15550200203', text: 'retried' });
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 1, 'sent after retries');
  rig.sim.fault('cms-304');
  const { id } = sms.send({ to: '+15550200204', text: 'refused', clientRef: 'perm' });
  await rig.until(() => ofType(rig.events, 'sms.failed').length === 1, 'failed');
  t.match(ofType(rig.events, 'sms.failed')[0]!.data, { messageId: id, code: 304, stage: 'send', reason: 'invalid PDU mode parameter', clientRef: 'perm' });
  t.match(sms.getMessage(id), { status: 'failed', error: { code: 304 } });
});

t.test('validation errors name the field', async (t) => {
  const rig = await startRig(t);
  const sms = rig.agent.use('sms');
  const fieldOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return [(e as SmsServiceError).code, (e as SmsServiceError).field];
    }
    return null;
  };
  t.same(fieldOf(() => sms.send({ to: 'abc', text: 'x' })), ['invalid_request', 'to']);
  t.same(fieldOf(() => sms.send({ to: '+15550200205', text: '' })), ['invalid_request', 'text']);
  t.same(fieldOf(() => sms.send({ to: '+15550200205', text: 'a\ud800b' })), ['invalid_request', 'text'], 'a lone surrogate is refused');
  t.same(fieldOf(() => sms.send({ to: '+15550200205', text: 'x', clientRef: 'x'.repeat(41) })), ['invalid_request', 'clientRef']);
  t.same(fieldOf(() => sms.send({ to: '+15550200205', text: '中文', encoding: 'gsm7' })), ['invalid_request', 'text'], 'as the REST API says');
  t.same(fieldOf(() => sms.send({ to: '+15550200205', text: 'x', modem: 'nope' })), ['unknown_modem', 'modem']);
  t.ok(sms.send({ to: '+15550200205', text: 'x' }) && true);
});

t.test('a message whose TTL runs out while the modem is away ends as sms.expired', async (t) => {
  const rig = await startRig(t, { reconnectMaxSeconds: 5 });
  rig.sim.unplug();
  await rig.until(() => !rig.agent.use('sms').modems()[0]!.state.startsWith('online'), 'offline');
  const { id } = rig.agent.use('sms').send({ to: '+15550200206', text: 'too late', ttlSeconds: 60, clientRef: 'ttl' });
  await rig.until(() => ofType(rig.events, 'sms.expired').length === 1, 'expired', 120_000);
  t.match(ofType(rig.events, 'sms.expired')[0]!.data, { messageId: id, ttlSeconds: 60, clientRef: 'ttl' });
  rig.sim.replug();
  await rig.until(() => rig.agent.use('sms').modems()[0]!.state === 'online', 'back online');
  await rig.clock.advance(5000);
  t.equal(rig.sim.sent().length, 0, 'never sent');
});

t.test('rate limit: at most N messages per minute', async (t) => {
  const rig = await startRig(t, { rateLimitPerMinute: 2 });
  const sms = rig.agent.use('sms');
  for (let i = 0; i < 5; i++) sms.send({ to: '+15550200207', text: `m${i}`, deliveryReport: false });
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 2, 'first two');
  await rig.clock.advance(30_000);
  t.equal(ofType(rig.events, 'sms.sent').length, 2, 'held back');
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 5, 'all five', 200_000);
  const times = ofType(rig.events, 'sms.sent').map((e) => Date.parse(e.data.sentAt));
  t.ok(times[2]! - times[0]! >= 60_000, 'third waited a minute after the first');
});

t.test('daily quota holds messages until the next day', async (t) => {
  const rig = await startRig(t, { dailyQuota: 1 });
  const sms = rig.agent.use('sms');
  sms.send({ to: '+15550200208', text: 'one', deliveryReport: false });
  sms.send({ to: '+15550200208', text: 'two', deliveryReport: false });
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 1, 'first');
  await rig.clock.advance(3600_000);
  t.equal(ofType(rig.events, 'sms.sent').length, 1);
  t.equal(sms.stats().outboundQueued, 1);
});

for (const profile of profiles) {
  t.test(`${profile}: an unplug mid-queue: nothing is lost, sending resumes when the modem is back`, async (t) => {
    const rig = await startRig(t, { simulator: { profile }, reconnectMaxSeconds: 2 });
    const sms = rig.agent.use('sms');
    rig.sim.unplug();
    await rig.until(() => sms.modems()[0]!.state !== 'online', 'offline');
    const ids = [0, 1, 2].map((i) => sms.send({ to: '+15550200209', text: `queued ${i}`, deliveryReport: false }).id);
    await rig.clock.advance(10_000);
    t.equal(rig.sim.sent().length, 0);
    rig.sim.replug();
    await rig.until(() => ofType(rig.events, 'sms.sent').length === 3, 'all sent after replug');
    t.same(ofType(rig.events, 'sms.sent').map((e) => e.data.messageId), ids, 'in order');
    t.ok(ofType(rig.events, 'modem.offline').length >= 1);
    t.ok(ofType(rig.events, 'modem.online').length >= 2);
  });
}

t.test('TP-ST states: the 0x20-0x3F group is pending, 0x80+ failed, expiry and refusals named', async (t) => {
  t.same([0x00, 0x02, 0x20, 0x23, 0x3f, 0x40, 0x41, 0x42, 0x46, 0x63, 0x65, 0x80, 0xff].map(reportState), [
    'delivered', 'delivered', 'pending', 'pending', 'pending', 'failed', 'rejected', 'rejected', 'expired', 'rejected', 'failed', 'failed', 'failed',
  ]);
});

for (const profile of profiles) {
  t.test(`${profile}: 0x23 (service rejected, SC still trying) then 0x00: delivered once, never failed`, async (t) => {
    const rig = await startRig(t, { simulator: { profile } });
    // The simulator's own report comes much later; these two are the SC's.
    rig.sim.setDeliveryOutcome('+15550200210', 'delivered', 48 * 3600_000);
    const { id } = rig.agent.use('sms').send({ to: '+15550200210', text: 'temporary trouble' });
    await rig.until(() => ofType(rig.events, 'sms.sent').length === 1, 'sent');
    const [part] = rig.sim.sent();
    statusReport(rig.sim.modem, { mr: part!.mr, to: part!.to, at: part!.at, status: 0x23 });
    await rig.until(() => rig.agent.use('sms').listDeliveryReports({ limit: 5 }).length === 1, 'first report');
    t.match(rig.agent.use('sms').listDeliveryReports({ limit: 5 })[0], { status: 0x23, state: 'pending', messageId: id });
    t.match(rig.agent.use('sms').getMessage(id), { status: 'sent' });
    statusReport(rig.sim.modem, { mr: part!.mr, to: part!.to, at: part!.at, status: 0x00 });
    await rig.until(() => ofType(rig.events, 'sms.delivered').length === 1, 'delivered');
    await rig.clock.advance(10_000);
    t.equal(ofType(rig.events, 'sms.delivered').length, 1);
    t.equal(ofType(rig.events, 'sms.failed').length, 0);
    t.match(rig.agent.use('sms').getMessage(id), { status: 'delivered' });
  });
}

/** Lets the real event loop run (the serial mock and the simulator answer on it) without moving the clock. */
const spin = async (cond: () => boolean, turns = 2000) => {
  for (let i = 0; i < turns && !cond(); i++) await new Promise((r) => setImmediate(r));
  return cond();
};

t.test('the send retry waits its backoff on the injected clock: nothing is resent until the clock moves', async (t) => {
  const rig = await startRig(t, { retry: { attempts: 2, initialDelayMs: 10_000, maxDelayMs: 20_000 } });
  const cmgs = () => rig.sim.transcriptEntries().filter((e) => e.dir === '>' && e.text.startsWith('AT+CMGS=')).length;
  rig.sim.fault('cms-500');
  rig.agent.use('sms').send({ to: '+15550200211', text: 'after a backoff', deliveryReport: false });
  t.ok(await spin(() => rig.sim.transcriptEntries().some((e) => e.text === '+CMS ERROR: 500')), 'the first attempt failed');
  await spin(() => false, 500);
  t.equal(cmgs(), 1, 'not resent while the clock stands still');
  for (let ms = 0; ms < 20_000 && cmgs() < 2; ms += 1000) {
    await rig.clock.advance(1000);
    await spin(() => cmgs() >= 2, 50);
  }
  t.ok(await spin(() => ofType(rig.events, 'sms.sent').length === 1), 'resent once the clock passed the backoff');
  t.equal(cmgs(), 2);
});

t.test('a call ending (NO CARRIER) during AT+CMGS does not fail the send: it is sent once, the next one too', async (t) => {
  const rig = await startRig(t);
  let left = 1;
  rig.sim.useBehavior(defineBehavior({
    name: 'call-ends-during-send',
    match: is('+CMGS'),
    handle(ctx) {
      if (left-- > 0) ctx.modem.urc('NO CARRIER');
      return false; // the real behaviour answers
    },
  }));
  const sms = rig.agent.use('sms');
  const first = sms.send({ to: '+15550200212', text: 'during a call', deliveryReport: false });
  const second = sms.send({ to: '+15550200213', text: 'after it', deliveryReport: false });
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 2, 'both sent');
  t.equal(ofType(rig.events, 'sms.failed').length, 0);
  t.same(ofType(rig.events, 'sms.sent').map((e) => [e.data.messageId, e.data.references]), [[first.id, [rig.sim.sent()[0]!.mr]], [second.id, [rig.sim.sent()[1]!.mr]]]);
  t.equal(rig.sim.sent().length, 2, 'each sent once');
});

t.test('an answer that is not a known permanent +CMS error (a bare ERROR) is retried, not a failure', async (t) => {
  const rig = await startRig(t);
  let left = 1;
  rig.sim.useBehavior(defineBehavior({
    name: 'bare-error-once',
    match: is('+CMGS'),
    handle: (ctx) => (left-- > 0 ? (ctx.error(), true) : false),
  }));
  const { id } = rig.agent.use('sms').send({ to: '+15550200214', text: 'second time lucky', deliveryReport: false });
  await rig.until(() => ofType(rig.events, 'sms.sent').length === 1 || ofType(rig.events, 'sms.failed').length === 1, 'an outcome');
  t.equal(ofType(rig.events, 'sms.failed').length, 0);
  t.equal(ofType(rig.events, 'sms.sent')[0]?.data.messageId, id);
});
