import t from 'tap';
import { startRig } from './helpers.ts';

// The defaults: a health check every 30 s, 5 s per command, a soft reset after 3 missed commands.
const bound = { warnMs: 30_000 + 5_000, failMs: 30_000 + 3 * 5_000 };

t.test('a modem that stops answering while its port stays open leaves pass/online within a bounded time', async (t) => {
  const rig = await startRig(t, {});
  const modemHealth = async () => (await rig.agent.health()).plugins.modem as { status: string; state: string; since: string; reason?: string };
  // Just after a health check answered: the worst moment for the hang to begin.
  await rig.clock.advance(30_000);
  await rig.until(() => rig.agent.use('sms').modems()[0]!.state === 'online', 'online');
  t.equal((await modemHealth()).status, 'pass');
  const hungAt = rig.clock.now();
  rig.sim.fault('hang');
  let warnedAt: number | undefined;
  let failedAt: number | undefined;
  let failed: Awaited<ReturnType<typeof modemHealth>> | undefined;
  let warned: Awaited<ReturnType<typeof modemHealth>> | undefined;
  for (let waited = 0; waited <= 200_000 && failedAt === undefined; waited += 500) {
    await rig.clock.advance(500);
    const h = await modemHealth();
    if (h.status !== 'pass' && warnedAt === undefined) {
      warnedAt = rig.clock.now();
      warned = h;
    }
    if (h.status === 'fail') {
      failedAt = rig.clock.now();
      failed = h;
    }
  }
  t.ok(warnedAt !== undefined && warnedAt - hungAt <= bound.warnMs, `not pass after ${((warnedAt ?? NaN) - hungAt) / 1000} s (at most ${bound.warnMs / 1000} s)`);
  t.ok(failedAt !== undefined && failedAt - hungAt <= bound.failMs, `fail after ${((failedAt ?? NaN) - hungAt) / 1000} s (at most ${bound.failMs / 1000} s)`);
  t.not(failed?.state, 'online');
  t.match(failed?.reason, /no answer/);
  // `since` is when the state began, not the time of the request.
  const since = Date.parse(failed!.since);
  t.ok(since > hungAt && since <= failedAt!, 'since is when the modem went offline');
  t.match(warned, { status: 'warn', state: 'online', reason: 'no answer to the last command' }, 'first miss: warn, still online');
  await rig.clock.advance(1_000);
  t.equal(Date.parse((await modemHealth()).since), since, 'and stays so on later requests');
  // The soft reset reopens the port, which ends the simulated hang: back to pass on its own.
  await rig.until(() => rig.agent.use('sms').modems()[0]!.state === 'online', 'online again', 120_000);
  const back = await modemHealth();
  t.match(back, { status: 'pass', state: 'online' });
  t.notOk(back.reason);
  t.ok(Date.parse(back.since) > since, 'since: when it came back');
});
