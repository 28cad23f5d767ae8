// The page's pure helpers (plugins/api/ui/format.js), run in Node as the browser runs them.
import fc from 'fast-check';
import t from 'tap';
import { maskPhone as coreMask } from '../../core/redact.ts';
import { CSV_COLUMNS, csvRow, toCsv } from '../../plugins/api/csv.ts';

// A plain-JS module for the browser: imported by URL so TypeScript does not look for its types.
const f = await import(new URL('../../plugins/api/ui/format.js', import.meta.url).href);

t.test('phone numbers are masked exactly as the agent logs them', async (t) => {
  for (const n of ['+15550100199', '15550100199', '+4917012345678', '12345', '+123456', '0049 170 1234567', '112'])
    t.equal(f.maskPhone(n), coreMask(n), n);
  fc.assert(fc.property(fc.stringMatching(/^\+?[0-9]{0,20}$/), (n) => n === '' || f.maskPhone(n) === coreMask(n)));
  t.equal(f.maskPhone(null), '—');
  t.notMatch(f.maskPhone('+15550100199'), /0100199/, 'the middle digits are gone');
});

t.test('an IMEI that arrives whole is masked', async (t) => {
  t.equal(f.maskImei('490154203237518'), '4901*********18');
  t.equal(f.maskImei('0049****00'), '0049****00', 'already masked by the agent');
  t.equal(f.maskImei(null), '—');
});

t.test('signal bars follow the dBm thresholds', async (t) => {
  const cases: [number | null, number][] = [[-51, 5], [-73, 5], [-74, 4], [-83, 4], [-90, 3], [-100, 2], [-111, 1], [-113, 0], [null, 0], [Number.NaN, 0]];
  for (const [dbm, bars] of cases) t.equal(f.signalBars(dbm).bars, bars, String(dbm));
  t.equal(f.signalBars(null).word, 'no signal');
});

t.test('the signal chart: time across, gaps while offline, one reading drawn flat', async (t) => {
  const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();
  const d = f.sparkline([{ at: at(0), dbm: -113 }, { at: at(10), dbm: -51 }, { at: at(20), dbm: null }, { at: at(30), dbm: -82 }, { at: at(40), dbm: -82 }], 240, 48);
  t.equal(d, 'M0.0,48.0L60.0,0.0M180.0,24.0L240.0,24.0');
  t.equal(f.sparkline([{ at: at(0), dbm: -82 }], 240, 48), 'M0,24.0L240,24.0');
  t.equal(f.sparkline([], 240, 48), '');
  t.match(f.sparkline([{ at: at(0), dbm: -200 }, { at: at(1), dbm: 0 }], 240, 48), /^M0\.0,48\.0L240\.0,0\.0$/, 'clamped to the chart');
});

t.test('deliveries: failed first, then retrying, held, pending, delivered; newest first within each', async (t) => {
  const d = (id: string, status: string) => ({ id, status, webhookId: 'w', attempts: 1, createdAt: null });
  const list = [d('01', 'delivered'), d('02', 'failed'), d('03', 'retrying'), d('04', 'delivered'), d('05', 'failed'), d('06', 'pending'), d('07', 'held'), d('02', 'failed')];
  t.same(f.failedFirst(list).map((x: { id: string }) => x.id), ['05', '02', '03', '07', '06', '04', '01']);
});

t.test('success rates count attempted deliveries per subscription', async (t) => {
  const d = (webhookId: string | null, status: string, attempts: number) => ({ id: 'x', status, webhookId, attempts, createdAt: null });
  const rates = f.successRates([d('a', 'delivered', 1), d('a', 'failed', 3), d('a', 'retrying', 1), d('a', 'pending', 0), d('b', 'delivered', 2), d(null, 'failed', 1)]);
  t.same(Object.fromEntries(rates), { a: { ok: 1, total: 3 }, b: { ok: 1, total: 1 } });
});

t.test('relative times', async (t) => {
  const now = Date.parse('2026-01-01T12:00:00Z');
  t.equal(f.ago('2026-01-01T11:59:58Z', now), 'just now');
  t.equal(f.ago('2026-01-01T11:59:30Z', now), '30 s ago');
  t.equal(f.ago('2026-01-01T11:55:00Z', now), '5 min ago');
  t.equal(f.ago('2026-01-01T09:00:00Z', now), '3 h ago');
  t.equal(f.ago('2026-01-01T12:02:00Z', now), 'in 2 min');
  t.equal(f.ago(null, now), '—');
  t.equal(f.ago('garbage', now), '—');
  t.equal(f.duration(3 * 86400 + 7200), '3 d 2 h');
});

t.test('the SSE parser gives the same events however the stream is cut', async (t) => {
  const stream = ': hello\n\nevent: status\ndata: {"a":1}\nretry: 3000\n\nid: e1\r\nevent: agent\r\ndata: line one\r\ndata: line two\r\n\r\ndata:no space\n\nevent: ignored-without-data\n\n';
  const want = [
    { event: 'status', data: '{"a":1}', id: undefined },
    { event: 'agent', data: 'line one\nline two', id: 'e1' },
    { event: 'message', data: 'no space', id: undefined },
  ];
  const run = (chunks: string[]) => {
    const got: unknown[] = [];
    const push = f.sseParser((m: unknown) => got.push(m));
    for (const c of chunks) push(c);
    return got;
  };
  t.same(run([stream]), want);
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }), (cuts) => {
      const sorted = [...cuts].sort((a, b) => a - b);
      const chunks = [0, ...sorted].map((start, i) => stream.slice(start, sorted[i] ?? stream.length));
      // Cuts between "\r" and "\n" included: that is one line end, not two.
      t.same(run(chunks), want);
    }),
    { numRuns: 300 },
  );
});

t.test('extra headers typed as "Name: value" lines', async (t) => {
  t.same(f.parseHeaderLines('X-Env: test\n\n  X-Token:abc:def  \r\nAuthorization: Bearer x y'), { headers: { 'X-Env': 'test', 'X-Token': 'abc:def', Authorization: 'Bearer x y' } });
  t.same(f.parseHeaderLines(''), { headers: {} }, 'nothing typed: no headers');
  t.same(f.parseHeaderLines('X-Ok: 1\nno colon here'), { error: 'line 2 is not "Name: value"' }, 'the first bad line is named');
  t.same(f.parseHeaderLines('Bad Name: 1'), { error: 'line 1 is not "Name: value"' }, 'a name with a space is no token');
  t.same(f.parseHeaderLines('X-Empty:'), { headers: { 'X-Empty': '' } }, 'an empty value is a value');
});

t.test('a webhook’s options as the list shows them', async (t) => {
  t.same(f.hookOptions({ filters: {}, maxAttempts: null, timeoutMs: null, rateLimitPerMinute: null, headers: [] }), [], 'none set: nothing');
  t.same(
    f.hookOptions({ filters: { from: '+15550100199', modem: 'usb1' }, maxAttempts: 1, timeoutMs: 2500, rateLimitPerMinute: 60, headers: ['X-Env', 'X-Token'] }),
    ['from +155****0199', 'modem usb1', '1 attempt at most', 'timeout 2500 ms', '60/min', 'headers X-Env, X-Token'],
    'a full number is masked like every number on the page',
  );
  t.same(f.hookOptions({ filters: { from: '+4477*' }, maxAttempts: 5, timeoutMs: 10000 }), ['from +4477*', '5 attempts at most', 'timeout 10 s'], 'a short prefix stays, its * kept');
  t.same(f.hookOptions({ filters: { from: '+1555010019*' } }), ['from +155****0019*'], 'a long prefix is masked too');
});

t.test('a fresh first page merges into what is loaded: new ones added, changed ones replaced, older pages kept', async (t) => {
  const loaded = [{ id: 'c', s: 'queued' }, { id: 'b', s: 'sent' }, { id: 'a', s: 'sent' }];
  t.same(f.mergeNewest(loaded, [{ id: 'd', s: 'queued' }, { id: 'c', s: 'sent' }]), [{ id: 'd', s: 'queued' }, { id: 'c', s: 'sent' }, { id: 'b', s: 'sent' }, { id: 'a', s: 'sent' }]);
  t.same(f.mergeNewest([], []), []);
});

t.test('two lists read as one: nothing shown that an unloaded page of the other could precede', async (t) => {
  // Ids sort by time; each list pages 2 at a time.
  const lists = [['i9', 'i5', 'i4', 'i3', 'i1'], ['o8', 'o7', 'o6', 'o2']].map((ids) => ids.map((id) => ({ id: id.slice(1) + id[0] })));
  const asked: (string | null)[][] = [[], []];
  const pager = f.mergedPager(lists.map((items, n) => async (cursor: string | null) => {
    asked[n]!.push(cursor);
    const from = cursor === null ? 0 : items.findIndex((x) => x.id === cursor) + 1;
    const page = items.slice(from, from + 2);
    return { items: page, next: from + 2 < items.length ? page[1]!.id : null };
  }));
  const ids = (list: { id: string }[]) => list.map((x) => x.id);
  t.ok(pager.more, 'more before anything is loaded');
  t.same(ids(await pager.next()), ['9i', '8o', '7o'], 'down to the newer of the two oldest loaded');
  t.same(ids(await pager.next()), ['9i', '8o', '7o', '6o', '5i', '4i', '3i'], '2o waits: the first list may still hold something newer');
  t.ok(pager.more, 'the first list has more');
  t.same(ids(await pager.next()), ['9i', '8o', '7o', '6o', '5i', '4i', '3i', '2o', '1i'], 'all, once both ended');
  t.notOk(pager.more);
  t.same(asked, [[null, '5i', '3i'], [null, '7o']], 'each list asked with its own cursor, an ended one no more');
  t.same(ids(pager.items), ['9i', '8o', '7o', '6o', '5i', '4i', '3i', '2o', '1i']);
});

t.test('recipients typed in one field', async (t) => {
  t.same(f.parseRecipients('+15550100100, +15550100101;\n+15550100102  +15550100100'), ['+15550100100', '+15550100101', '+15550100102'], 'separators, duplicates once');
  t.same(f.parseRecipients('  '), []);
});

t.test('a datetime-local value as an instant', async (t) => {
  t.equal(f.localToIso(''), null);
  t.equal(f.localToIso('not a time'), null);
  t.equal(f.localToIso('2030-01-02T03:04'), new Date(2030, 0, 2, 3, 4).toISOString());
});

t.test('CSV of messages: RFC 4180 quoting, formulas defused, both directions', async (t) => {
  const csv = f.messagesCsv([
    { id: 'o1', direction: 'outbound', createdAt: '2026-03-01T10:00:00Z', to: '+15550100100', modem: 'default', status: 'sent', parts: 1, encoding: 'gsm7', text: 'Hello, "you"\nsecond line' },
    { id: 'i1', direction: 'inbound', receivedAt: '2026-03-01T09:00:00Z', from: 'BANK', modem: 'usb2', parts: 2, encoding: 'ucs2', text: '=HYPERLINK("x")' },
    { id: 'i2', direction: 'inbound', storedAt: '2026-03-01T08:00:00Z', from: '+15550100101', modem: 'usb2', parts: 1, encoding: '8bit', data: '00' },
  ]);
  t.equal(csv, [
    'id,direction,time,from,to,modem,status,parts,encoding,text,priority,sendAt,clientRef',
    `o1,outbound,2026-03-01T10:00:00Z,,'+15550100100,default,sent,1,gsm7,"Hello, ""you""\nsecond line",,,`,
    `i1,inbound,2026-03-01T09:00:00Z,BANK,,usb2,received,2,ucs2,"'=HYPERLINK(""x"")",,,`,
    `i2,inbound,2026-03-01T08:00:00Z,'+15550100101,,usb2,received,1,8bit,,,,`,
    '',
  ].join('\r\n'));
});

t.test("the page's CSV is the API's CSV for the same messages", async (t) => {
  const messages = [
    { id: 'o1', direction: 'outbound', createdAt: '2026-03-01T10:00:00Z', to: '+15550100100', from: null, modem: 'default', status: 'queued', parts: 2, encoding: 'ucs2', text: 'Grüße, "du"\r\n=1+1', priority: 'high', sendAt: '2026-03-02T08:00:00Z', clientRef: 'ref,1' },
    { id: 'i1', direction: 'inbound', receivedAt: '2026-03-01T09:00:00+01:00', storedAt: '2026-03-01T08:00:05Z', from: '-x', to: '+15550100999', modem: 'usb2', parts: 1, encoding: 'gsm7', text: '@home\ttab', read: true },
    { id: 'i2', direction: 'inbound', storedAt: '2026-03-01T08:00:00Z', from: '+15550100101', modem: 'usb2', parts: 1, encoding: '8bit', data: '00' },
  ];
  t.equal(f.messagesCsv(messages), toCsv(CSV_COLUMNS, messages.map(csvRow)));
});

t.test('parts in a few words; the privacy switch masks what showNumber shows', async (t) => {
  t.equal(f.partsSummary({ parts: 1, partDetails: [{ part: 1, status: 'delivered' }] }), '');
  t.equal(f.partsSummary({ parts: 2, partDetails: [] }), '');
  t.equal(f.partsSummary({ parts: 3, partDetails: [{ part: 1, status: 'delivered' }, { part: 2, status: 'pending' }, { part: 3, status: 'delivered' }] }), '2 of 3 parts delivered, 1 of 3 parts pending');
  t.equal(f.showNumber('+15550100199'), '+15550100199');
  f.privacy.on = true;
  t.equal(f.showNumber('+15550100199'), '+155****0199');
  f.privacy.on = false;
  t.equal(f.showNumber(null), '—');
});
