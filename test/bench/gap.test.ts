// The gap report: reading CPU profiles within a window and by component (pure), and one real small
// run (agent and bare loop profiled, the agent's SQL timed) whose report must name what only the
// agent does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { missing } from './agent.ts';
import { formatGapReport, gapReport } from './gap.ts';
import { compare, component, functionKey, selfTime, type CpuProfile } from './profile.ts';

const root = 'file:///srv/smsedge/';
const frame = (functionName: string, url: string, lineNumber = 0) => ({ functionName, url, lineNumber });

t.test('component: project files, packages, Node internals, native code and V8 buckets', async (t) => {
  t.equal(component(frame('run', `${root}core/store.ts`, 105), root), 'core/store.ts');
  t.equal(component(frame('execute', `${root}node_modules/cockatiel/dist/esm/Policy.js`), root), 'cockatiel');
  t.equal(component(frame('x', `${root}node_modules/@serialport/stream/dist/index.js`), root), '@serialport/stream');
  t.equal(component(frame('fetch', 'node:internal/deps/undici/undici'), root), 'node:internal/deps/undici');
  t.equal(component(frame('writev', ''), root), '(native)');
  t.equal(component(frame('(garbage collector)', ''), root), '(garbage collector)');
  t.equal(component(frame('wasm-function[20]', 'wasm://wasm/00034eea'), root), 'wasm');
  t.equal(functionKey(frame('run', `${root}core/store.ts`, 105), root), 'run core/store.ts:106');
  t.equal(functionKey(frame('', `${root}core/store.ts`, 9), root), '(anonymous) core/store.ts:10');
  t.equal(functionKey(frame('(idle)', ''), root), '(idle)');
});

t.test('selfTime counts only samples inside the window, each for the time until the next one', async (t) => {
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)', ''), children: [2, 3] },
      { id: 2, callFrame: frame('run', `${root}core/store.ts`) },
      { id: 3, callFrame: frame('(idle)', '') },
    ],
    startTime: 1000,
    // Samples at t = 1000, 1100, 1300, 1600, 2000.
    samples: [2, 2, 3, 2, 2],
    timeDeltas: [0, 100, 200, 300, 400],
  };
  const within = selfTime(profile, 1050, 1700, (f) => component(f, root));
  // t=1100 (store, 200 µs until the next), t=1300 (idle, 300), t=1600 (store, 400).
  t.same(Object.fromEntries(within), { 'core/store.ts': 600, '(idle)': 300 });
  const all = selfTime(profile, 0, Number.POSITIVE_INFINITY, (f) => component(f, root));
  t.equal(all.get('core/store.ts'), 100 + 200 + 400 + 0);
});

t.test('compare: per event, largest gap first, idle left out', async (t) => {
  const ours = new Map([['core/store.ts', 400], ['undici', 2000], ['(idle)', 5000]]);
  const base = new Map([['undici', 1800], ['(native)', 100]]);
  t.same(compare(ours, base, 10), [
    { key: 'core/store.ts', ours: 40, baseline: 0, gap: 40 },
    { key: 'undici', ours: 200, baseline: 180, gap: 20 },
    { key: '(native)', ours: 0, baseline: 10, gap: -10 },
  ]);
});

const absent = await missing('modem', 'api', 'webhook');

t.test('a real small run names what only the agent does', { skip: absent ?? false }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-gap-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = await gapReport({ backlog: 300, top: 500, dir });
  t.equal(r.events, 300);
  t.ok(r.drainMs.ours > 0 && r.drainMs.baseline > 0, 'both drains were timed at the receiver');
  t.ok(r.sampledUsPerEvent.ours > 0 && r.sampledUsPerEvent.baseline > 0, 'both profiles have samples in their window');
  const row = (key: string) => r.components.find((c) => c.key === key);
  // Only the agent signs and keeps its deliveries in SQLite; both send with undici: the agent with the
  // undici package (its Agent takes the destination policy's lookup), the bare loop with Node's fetch.
  t.ok(row('plugins/webhook/engine.ts')?.ours, 'the webhook engine ran in the agent');
  t.equal(row('plugins/webhook/engine.ts')?.baseline, 0, 'and not in the bare loop');
  t.ok(row('undici')?.ours, 'the undici package ran in the agent');
  t.ok(row('node:internal/deps/undici')?.baseline, "Node's own undici ran in the bare loop");
  t.notOk(r.components.some((c) => c.key === '(idle)'), 'idle is not work');
  const sql = (prefix: string) => r.sql.find((s) => s.sql.startsWith(prefix));
  // The window is opened and closed by signals, and outcomes are written in batches: the attempt rows
  // timed are most of the drain's, never more.
  const attempts = sql('INSERT INTO webhook_attempts')?.calls ?? 0;
  t.ok(attempts > 0 && attempts <= 300, `attempt rows were timed in the window (${attempts})`);
  t.equal(r.sqlEvents, attempts, 'the SQL figures are per delivery timed');
  t.ok(sql('UPDATE webhook_deliveries')?.usEach, 'outcome writes were timed');
  t.notOk(r.components.some((c) => c.key.includes('sqltime')), 'the SQL timing stays out of the profiled drain');
  const text = formatGapReport(r);
  t.match(text, /backlog of 300/);
  t.match(text, /plugins\/webhook\/engine\.ts/);
  t.match(text, /INSERT INTO webhook_attempts/);
});
