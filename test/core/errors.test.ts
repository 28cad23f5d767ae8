// One vocabulary of error codes (issue 31): the table in core/errors.ts is the one in docs/errors.md,
// row for row, and every code the REST API, MQTT or the CLI's JSON can send is in it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { errorCodes, isErrorCode, RequestError, statusOf } from '../../core/errors.ts';

const root = new URL('../../', import.meta.url).pathname;

/** The rows of docs/errors.md's table: code, status, where, meaning. */
function docRows(): Map<string, { status: number | null; where: string; meaning: string }> {
  const rows = new Map<string, { status: number | null; where: string; meaning: string }>();
  for (const line of readFileSync(join(root, 'docs/errors.md'), 'utf8').split('\n')) {
    const m = /^\| `([^`]+)` \| ([^|]+) \| ([^|]+) \| (.+) \|$/.exec(line);
    if (m) rows.set(m[1]!, { status: m[2]!.trim() === '-' ? null : Number(m[2]), where: m[3]!.trim(), meaning: m[4]!.trim().replace(/\\\|/g, '|') });
  }
  return rows;
}

t.test('docs/errors.md and core/errors.ts hold the same table', async (t) => {
  const docs = docRows();
  t.ok(docs.size > 30, `${docs.size} rows in the docs`);
  t.same([...docs.keys()].sort(), Object.keys(errorCodes).sort(), 'the same codes');
  for (const [code, e] of Object.entries(errorCodes)) t.same(docs.get(code), { status: e.status, where: e.where, meaning: e.meaning }, code);
});

t.test('every code is snake_case, with a status fit for it', async (t) => {
  for (const [code, e] of Object.entries(errorCodes)) {
    t.match(code, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/, code);
    if (e.status !== null) t.ok(e.status >= 400 && e.status < 600, `${code}: ${e.status}`);
    else t.equal(e.where, 'CLI', `${code}: only CLI codes are no HTTP answer`);
  }
  t.equal(statusOf('ussd_timeout'), 504);
  t.equal(statusOf('invalid_hex'), 500);
  t.ok(isErrorCode('not_found'));
  t.notOk(isErrorCode('E_UNKNOWN_MODEM'));
  t.notOk(isErrorCode('toString'), 'not fooled by Object.prototype');
  t.match(new RequestError('unknown_modem', 'no modem "b"', { field: 'modem' }), { code: 'unknown_modem', status: 400, field: 'modem', message: 'no modem "b"' });
  t.equal(new RequestError('no_modem', 'x').field, undefined);
});

function* sources(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* sources(path);
    else if (entry.name.endsWith('.ts')) yield path;
  }
}

t.test('every code the agent sends is in the table', async (t) => {
  // The errors that reach a user: REST answers, MQTT answers, the codec's errors the CLI prints.
  const thrown = /\b(?:ApiError|WebhookError|WebhookUrlError|SmsServiceError|RequestError|BadRequest|PduDecodeError|SmsEncodeError)\(\s*(?:\d{3}\s*,\s*)?'([a-z][a-z0-9_]*)'/g;
  const bodies = /\berrorBody\(\s*'([^']+)'/g;
  const mqtt = /\berror: \{ code: '([^']+)'/g;
  const found = new Map<string, string>();
  for (const top of ['core', 'plugins']) {
    for (const file of sources(join(root, top))) {
      const text = readFileSync(file, 'utf8');
      for (const pattern of [thrown, bodies, mqtt]) for (const m of text.matchAll(pattern)) found.set(m[1]!, file.slice(root.length));
    }
  }
  t.ok(found.size > 25, `${found.size} codes found in the sources`);
  for (const [code, file] of found) t.ok(isErrorCode(code), `${code} (${file}) is in core/errors.ts and docs/errors.md`);
});
