// systemd's watchdog: fed with the real systemd-notify when systemd asked for one, never otherwise,
// and a failing feed said once.
import t from 'tap';
import { startWatchdog } from '../../core/watchdog.ts';
import { createLogger } from '../../core/log.ts';
import { notifySocket, notifyTools } from '../fixtures/notify.ts';

function logLines() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: 'info', destination: { write: (s: string) => (lines.push(JSON.parse(s) as Record<string, unknown>), true) } });
  return { log, lines };
}

t.test('not asked for (no WATCHDOG_USEC, no socket, another pid): nothing runs', async (t) => {
  const calls: string[] = [];
  const notify = async (state: string) => void calls.push(state);
  t.equal(startWatchdog({ env: {}, notify }), undefined);
  t.equal(startWatchdog({ env: { WATCHDOG_USEC: '60000000' }, notify }), undefined, 'no socket');
  t.equal(startWatchdog({ env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '0' }, notify }), undefined);
  t.equal(startWatchdog({ env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '60000000', WATCHDOG_PID: '1' }, notify, pid: 4242 }), undefined, 'meant for another process');
  t.same(calls, []);
});

t.test('fed at once and every half period; its variables are not passed on; a failure said once', async (t) => {
  const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '60000000', WATCHDOG_PID: '4242', OTHER: 'kept' };
  let fail = false;
  const calls: [string, string][] = [];
  const { log, lines } = logLines();
  const dog = startWatchdog({ env, pid: 4242, log, notify: async (state, socket) => {
    calls.push([state, socket]);
    if (fail) throw new Error('Failed to notify init system');
  } })!;
  t.teardown(() => dog.stop());
  t.equal(dog.everyMs, 30_000);
  t.same(env, { OTHER: 'kept' }, 'programs the agent runs do not inherit NOTIFY_SOCKET or WATCHDOG_*');
  t.same(calls, [['WATCHDOG=1', '/run/systemd/notify']], 'fed once at start');
  fail = true;
  t.equal(await dog.feed(), false);
  t.equal(await dog.feed(), false);
  t.equal(lines.filter((l) => /cannot feed the systemd watchdog/.test(String(l.msg))).length, 1, 'warned once');
  fail = false;
  t.equal(await dog.feed(), true);
  t.ok(lines.some((l) => l.msg === 'systemd watchdog fed again'));
  t.equal(startWatchdog({ env: { NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '500000' }, notify: async () => {} })?.everyMs, 1000, 'never more often than once a second');
});

t.test('the real systemd-notify reaches the notification socket', { skip: notifyTools ? false : 'python3 or systemd-notify is not installed' }, async (t) => {
  const socket = await notifySocket();
  t.teardown(() => socket.close());
  const dog = startWatchdog({ env: { NOTIFY_SOCKET: socket.path, WATCHDOG_USEC: '60000000' } })!;
  t.teardown(() => dog.stop());
  await socket.next(/^WATCHDOG=1/);
  t.equal(await dog.feed(), true, 'systemd-notify succeeded');
  t.ok(socket.messages.filter((m) => /^WATCHDOG=1/.test(m)).length >= 2);
});
