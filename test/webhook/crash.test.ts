import { spawn } from 'node:child_process';
import t from 'tap';
import { receiver } from './helpers.ts';

const fixture = new URL('./fixtures/crash-agent.ts', import.meta.url).pathname;

t.test('SIGKILL mid-backlog loses nothing: after a restart every event reaches the receiver', async (t) => {
  const N = 300;
  const r = await receiver(t);
  const dir = t.testdir();
  const run = (args: string[], killAfter?: number) =>
    new Promise<{ out: string; signal: NodeJS.Signals | null }>((resolve) => {
      const child = spawn(process.execPath, [fixture, dir, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      if (killAfter !== undefined) void r.waitFor(killAfter).then(() => child.kill('SIGKILL'));
      child.on('exit', (_code, signal) => resolve({ out, signal }));
    });
  const first = await run(['backlog', String(N), `${r.url}/in`], 40);
  t.equal(first.signal, 'SIGKILL', 'killed mid-delivery');
  const before = new Set(r.received.map((x) => JSON.parse(x.body).id)).size;
  // Everything received before the kill may come again (outcomes not yet written); nothing more.
  const receivedBeforeKill = r.received.length;
  t.ok(before < N, `only part was delivered before the kill (${before})`);
  const second = await run(['resume']);
  t.match(second.out, /^done /);
  const ids = new Set(r.received.map((x) => JSON.parse(x.body).id));
  t.equal(ids.size, N, 'every event arrived (counted by event id)');
  const dupes = r.received.length - N;
  t.ok(dupes <= receivedBeforeKill, `at most one duplicate per request made before the kill (${dupes} of ${receivedBeforeKill})`);
});
