// Preloaded into the agent by the gap report (`node --import sqltime.ts core/cli.ts start`), in a
// drain of its own so that its wrappers stay out of the profiled one: times every SQLite statement
// the agent runs, by its SQL text. The first SIGUSR1 starts the window, the second writes
// `{ sql: { n, us } }` as JSON to SMSEDGE_SQLTIME_FILE and stops. node:sqlite is synchronous, so the
// time around a call is the statement's whole cost on the main thread.
import { writeFileSync } from 'node:fs';
import { DatabaseSync, StatementSync } from 'node:sqlite';

const file = process.env.SMSEDGE_SQLTIME_FILE;
const stats = new Map<string, { n: number; ns: number }>();
let timing = false;

// Keyed by the SQL as written (a statement's text is one string, its hash cached): tidied at the end.
function add(sql: string, ns: bigint): void {
  if (!timing) return;
  const s = stats.get(sql);
  if (s) {
    s.n++;
    s.ns += Number(ns);
  } else stats.set(sql, { n: 1, ns: Number(ns) });
}

type Method = (this: StatementSync, ...args: unknown[]) => unknown;
for (const name of ['run', 'get', 'all'] as const) {
  const original = StatementSync.prototype[name] as unknown as Method;
  (StatementSync.prototype as unknown as Record<string, Method>)[name] = function (this: StatementSync, ...args: unknown[]) {
    const t = process.hrtime.bigint();
    try {
      return original.apply(this, args);
    } finally {
      add(this.sourceSQL, process.hrtime.bigint() - t);
    }
  };
}
const exec = DatabaseSync.prototype.exec;
DatabaseSync.prototype.exec = function (this: DatabaseSync, sql: string) {
  const t = process.hrtime.bigint();
  try {
    return exec.call(this, sql);
  } finally {
    add(sql, process.hrtime.bigint() - t);
  }
};

process.on('SIGUSR1', () => {
  if (!timing) {
    stats.clear();
    timing = true;
    return;
  }
  timing = false;
  const out: Record<string, { n: number; us: number }> = {};
  for (const [sql, s] of stats) {
    const key = sql.replace(/\s+/g, ' ').trim();
    const o = (out[key] ??= { n: 0, us: 0 });
    o.n += s.n;
    o.us += Math.round(s.ns / 1000);
  }
  if (file) writeFileSync(file, JSON.stringify(out));
});
