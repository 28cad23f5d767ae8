import { spawnSync } from 'node:child_process';
import t from 'tap';
import { releaseHeapWhenQuiet } from '../../core/heap.ts';

const MB = 2 ** 20;

/** A release whose RSS, loop utilization and collection are set by the test; the timer is stopped. */
function scripted(options: { collect?: (() => void) | undefined } = {}) {
  const state = { rss: 90 * MB, busy: 0, collected: 0, freed: 0 };
  const logged: Record<string, unknown>[] = [];
  const log = { debug: (o: Record<string, unknown>) => logged.push(o) } as never;
  const release = releaseHeapWhenQuiet({
    rss: () => state.rss,
    utilization: () => state.busy,
    collect:
      'collect' in options
        ? options.collect
        : () => {
            state.collected++;
            state.rss -= state.freed;
          },
    log,
  });
  release.stop();
  return { state, release, logged };
}

t.test('the first quiet moment gives back what start-up took; then only growth while quiet does', async (t) => {
  const { state, release, logged } = scripted();
  state.busy = 0.5;
  t.notOk(release.check(), 'busy at start: nothing');
  state.busy = 0.01;
  state.freed = 10 * MB;
  t.ok(release.check(), 'quiet: collected');
  t.equal(state.rss, 80 * MB);
  t.notOk(release.check(), 'nothing grew since');
  state.rss += 20 * MB;
  state.busy = 0.9;
  t.notOk(release.check(), 'grown, but busy (a backlog draining): not now');
  state.busy = 0.02;
  state.freed = 19 * MB;
  t.ok(release.check(), 'grown and quiet again');
  t.equal(state.rss, 81 * MB);
  state.rss += 12 * MB;
  t.notOk(release.check(), 'less than the growth worth a collection (what steady traffic moves)');
  t.equal(release.releases, 2);
  t.equal(state.collected, 2);
  t.same(
    logged.map((o) => [o.rssBeforeMb, o.rssAfterMb]),
    [
      [90, 80],
      [100, 81],
    ],
  );
});

t.test('a collection that frees nothing is not repeated until RSS grows again', async (t) => {
  const { state, release } = scripted();
  state.rss = 200 * MB;
  t.ok(release.check());
  t.notOk(release.check(), 'RSS held by something else: the next one waits for new growth');
  t.equal(state.collected, 1);
});

t.test('without a collector nothing is done', async (t) => {
  const { release } = scripted({ collect: undefined });
  t.notOk(release.check());
  t.equal(release.releases, 0);
});

t.test('the real collection gives back a young generation grown by a burst, and leaves no global gc', async (t) => {
  // A process of its own, with V8's default heap sizing (as `start` runs) and nothing else in its heap.
  const script = `
    import { getHeapStatistics } from 'node:v8';
    import { lastResortCollector } from ${JSON.stringify(new URL('../../core/heap.ts', import.meta.url).href)};
    const collect = lastResortCollector();
    let keep = [];
    // A burst: many short-lived objects, some surviving a while, as requests in flight do.
    for (let i = 0; i < 3e5; i++) { keep.push({ i, s: 'x'.repeat(i % 64) }); if (keep.length > 5e3) keep = []; }
    keep = [];
    const before = getHeapStatistics().total_physical_size;
    collect();
    const after = getHeapStatistics().total_physical_size;
    console.log(JSON.stringify({ before, after, gc: typeof globalThis.gc, collector: typeof collect }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } });
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { before: number; after: number; gc: string; collector: string };
  t.equal(out.collector, 'function');
  t.equal(out.gc, 'undefined', 'the agent’s global scope gets no gc()');
  t.ok(out.after < out.before - 4 * MB, `physical heap ${Math.round(out.before / MB)} MB → ${Math.round(out.after / MB)} MB`);
});
