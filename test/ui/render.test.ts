// The page's panels (plugins/api/ui/render.js) in Node, on a small DOM of our own: what an operator
// sees in each list, that SMS text goes in as text (never parsed as HTML) and stays hidden until
// asked for, numbers masked, and that the buttons call their handlers with the right ids.
// (test/ui/page.test.ts drives the real page in Chromium; its coverage is not counted by tap.)
import t from 'tap';

/** Just enough of an Element: attributes, listeners, children (strings are text nodes), tree walks. */
class El {
  tag: string;
  attrs = new Map<string, string>();
  listeners = new Map<string, () => void>();
  children: (El | string)[] = [];
  parent: El | null = null;
  constructor(tag: string) {
    this.tag = tag;
  }
  setAttribute(k: string, v: string) {
    this.attrs.set(k, v);
  }
  getAttribute(k: string) {
    return this.attrs.get(k) ?? null;
  }
  addEventListener(type: string, fn: () => void) {
    this.listeners.set(type, fn);
  }
  click() {
    this.listeners.get('click')?.();
  }
  focus() {
    focused = this;
  }
  get dataset(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.attrs) if (k.startsWith('data-')) out[k.slice(5).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = v;
    return out;
  }
  append(...c: (El | string)[]) {
    for (const x of c) if (x instanceof El) x.parent = this;
    this.children.push(...c);
  }
  replaceChildren(...c: (El | string)[]) {
    this.children = [];
    this.append(...c);
  }
  replaceWith(other: El) {
    const p = this.parent!;
    p.children[p.children.indexOf(this)] = other;
    other.parent = p;
    this.parent = null;
  }
  contains(other: El | null): boolean {
    for (let e = other; e; e = e.parent) if (e === this) return true;
    return false;
  }
  closest(tag: string): El | null {
    for (let e: El | null = this; e; e = e.parent) if (e.tag === tag) return e;
    return null;
  }
  all(): El[] {
    return this.children.flatMap((c) => (typeof c === 'string' ? [] : [c, ...c.all()]));
  }
  querySelector(sel: string): El | null {
    const [, k, v] = /^\[([\w-]+)="(.*)"\]$/.exec(sel) ?? [];
    return this.all().find((e) => e.attrs.get(k!) === v) ?? null;
  }
  by(k: string, v?: string): El[] {
    return this.all().filter((e) => e.attrs.has(k) && (v === undefined || e.attrs.get(k) === v));
  }
  set textContent(s: string) {
    this.children = [s];
  }
  get textContent(): string {
    return this.children.map((c) => (typeof c === 'string' ? c : c.textContent)).join('');
  }
  /** The text as a reader sees it: a space between elements. */
  get text(): string {
    return this.children.map((c) => (typeof c === 'string' ? c : ` ${c.text} `)).join('').replace(/\s+/g, ' ').trim();
  }
}

let focused: El | null = null;
let root = new El('body');
const g = globalThis as Record<string, unknown>;
g.HTMLElement = El;
g.CSS = { escape: (s: string) => s };
g.document = {
  createElement: (tag: string) => new El(tag),
  createElementNS: (_ns: string, tag: string) => new El(tag),
  get activeElement() {
    return focused;
  },
  querySelector: (sel: string) => root.querySelector(sel),
};
t.teardown(() => {
  delete g.document;
  delete g.HTMLElement;
  delete g.CSS;
});

// render.js is plain JavaScript typed with JSDoc for the browser's DOM; our El stands in for it.
type Fn = (...args: any[]) => void;
type Render = Record<'renderReports' | 'renderCalls' | 'renderHooks' | 'renderDeliveries' | 'renderStatus' | 'renderModems' | 'renderSmpp' | 'storageText' | 'balanceText', Fn>;
const r = (await import(new URL('../../plugins/api/ui/render.js', import.meta.url).href)) as Render;
const f = (await import(new URL('../../plugins/api/ui/format.js', import.meta.url).href)) as { privacy: { on: boolean } };
const el = (tag = 'ul') => {
  root = new El('body');
  const e = new El(tag);
  root.append(e);
  return e;
};
const asDom = (e: El) => e;

t.test('reports and missed calls', async (t) => {
  const ul = el();
  r.renderReports(asDom(ul), [{ id: 'rep-1', to: '+15550100100', state: 'delivered', receivedAt: new Date().toISOString(), statusText: 'received by the phone', status: 0, mr: 17 }]);
  t.match(ul.text, /\+15550100100 delivered .* received by the phone \(TP-ST 0\) · reference 17/, 'the whole number for the signed-in operator');
  f.privacy.on = true;
  r.renderReports(asDom(ul), [{ id: 'rep-1', to: '+15550100100', state: 'delivered', receivedAt: new Date().toISOString(), statusText: 'received by the phone', status: 0, mr: 17 }]);
  t.match(ul.text, /^\+155\*\*\*\*0100 delivered/, 'masked while privacy is on');
  f.privacy.on = false;
  r.renderReports(asDom(ul), []);
  t.equal(ul.text, 'No delivery reports yet.');

  r.renderCalls(asDom(ul), [
    { id: 'c1', from: '+15550100177', at: new Date().toISOString(), modem: 'default' },
    { id: 'c2', from: null, at: new Date().toISOString(), modem: 'usb2' },
  ]);
  const [c1, c2] = ul.children as El[];
  t.match(c1!.text, /^\+15550100177 .* modem default$/);
  t.match(c2!.text, /^number withheld .* modem usb2$/);
  r.renderCalls(asDom(ul), []);
  t.equal(ul.text, 'No missed calls in the journal.');
});

t.test('webhooks: options, delivery rate, and each button calls its handler with the subscription', async (t) => {
  const ul = el();
  const calls: unknown[][] = [];
  const on = new Proxy({}, { get: (_, name) => (...args: unknown[]) => calls.push([name, ...args]) }) ;
  const hook = { id: 'wh1', url: 'https://example.test/in', enabled: true, format: 'standard', events: ['sms.received', 'sms.delivered'], filters: { from: '+15550100100' }, maxAttempts: 5 };
  const off = { id: 'wh2', url: 'https://example.test/off', enabled: false, format: 'json', events: ['sms.received'], disabledReason: 'disabled after 50 failures' };
  r.renderHooks(asDom(ul), [hook, off], new Map([['wh1', { ok: 3, total: 4 }]]), on);
  const [a, b] = ul.children as El[];
  t.equal(a!.by('data-role', 'options')[0]!.textContent, 'standard · sms.received, sms.delivered · from +155****0100 · 5 attempts at most');
  const rate = a!.by('data-role', 'rate')[0]!;
  t.equal(rate.textContent, '75% of the last 4 delivered');
  t.equal(rate.getAttribute('class'), 'rate bad');
  t.equal(b!.by('data-role', 'rate')[0]!.textContent, 'no recent deliveries');
  t.match(b!.text, 'disabled after 50 failures');
  t.equal(a!.querySelector('[data-key="toggle-wh1"]')!.textContent, 'Disable');
  t.equal(b!.querySelector('[data-key="toggle-wh2"]')!.textContent, 'Enable');

  for (const k of ['test', 'edit', 'replay', 'rotate', 'toggle', 'delete']) a!.querySelector(`[data-key="${k}-wh1"]`)!.click();
  b!.querySelector('[data-key="toggle-wh2"]')!.click();
  const button = (k: string) => a!.querySelector(`[data-key="${k}-wh1"]`);
  t.same(calls, [
    ['test', 'wh1', button('test')],
    ['edit', hook],
    ['replay', hook],
    ['rotate', hook, button('rotate')],
    ['toggle', 'wh1', false, button('toggle')],
    ['remove', 'wh1', hook.url, button('delete')],
    ['toggle', 'wh2', true, b!.querySelector('[data-key="toggle-wh2"]')],
  ]);
  r.renderHooks(asDom(ul), [], new Map(), on);
  t.equal(ul.text, 'No webhook subscriptions.');
});

t.test('deliveries: attempts, HTTP status, error and hold; "Retry now" only when not delivered', async (t) => {
  const ul = el();
  const retried: string[] = [];
  r.renderDeliveries(asDom(ul), [
    { id: 'd1', status: 'failed', eventType: 'sms.received', url: 'https://example.test/in', attempts: 3, lastStatus: 500, lastError: { class: 'http', message: 'HTTP 500' }, heldReason: 'destination refused', createdAt: new Date().toISOString() },
    { id: 'd2', status: 'delivered', eventType: 'sms.sent', url: 'https://example.test/in', attempts: 1, lastStatus: 200, createdAt: new Date().toISOString() },
    { id: 'd3', status: 'retrying', eventType: 'sms.sent', url: 'https://example.test/in', attempts: 1, createdAt: new Date().toISOString(), nextAttemptAt: new Date(Date.now() + 60_000).toISOString() },
  ], { retry: (id: string) => retried.push(id) });
  const [d1, d2, d3] = ul.children as El[];
  t.equal(d1!.getAttribute('class'), 'item d-failed');
  t.match(d1!.text, '3 attempts · HTTP 500 · http: HTTP 500 · held: destination refused');
  t.match(d2!.text, /1 attempt · HTTP 200$/);
  t.equal(d2!.querySelector('[data-key="retry-d2"]'), null, 'nothing to retry');
  t.match(d3!.text, / · next /);
  d1!.querySelector('[data-key="retry-d1"]')!.click();
  d3!.querySelector('[data-key="retry-d3"]')!.click();
  t.same(retried, ['d1', 'd3']);
  r.renderDeliveries(asDom(ul), [], { retry: () => {} });
  t.equal(ul.text, 'No deliveries yet.');
});

t.test('status: queues, webhook counts from either shape, sink lag, plugins not hidden, the agent line', async (t) => {
  const els = { queues: el('dl'), lag: el('dl'), plugins: el('div'), agent: el('span') };
  const dom = els;
  r.renderStatus(dom, {
    agentId: 'pi', version: '1.2.3', status: 'warn', uptimeSeconds: 90_000, queue: { outbound: 4 },
    plugins: { modem: 'pass', webhook: { status: 'warn', backlog: 7, held: 2, failed: 1 } },
    journal: { lag: { webhook: 12, file: 1, mqtt: 0 }, errors: { file: { message: 'EACCES: permission denied', at: new Date().toISOString(), failing: true }, mqtt: { message: 'connack timeout', at: new Date(Date.now() - 600_000).toISOString(), failing: false } } },
  });
  const fact = (k: string) => els.queues.querySelector(`[data-fact="${k}"]`)!.textContent;
  t.equal(fact('Outbound queued'), '4');
  t.equal(fact('Webhook backlog'), '7');
  t.equal(fact('Webhooks held'), '2');
  t.equal(fact('Webhooks failed'), '1');
  t.equal(els.lag.text, 'webhook 12 events behind file 1 event behind · failing just now: EACCES: permission denied mqtt 0 events behind · last error 10 min ago: connack timeout');
  t.equal(els.plugins.text, 'modem: pass webhook: warn');
  t.equal(els.agent.textContent, 'pi · v1.2.3 · health warn · up 1 d 1 h');

  r.renderStatus(dom, { agentId: 'pi', webhookBacklog: 3 });
  t.equal(fact('Webhook backlog'), '3', 'a health answer without the webhook plugin');
  t.equal(els.queues.querySelector('[data-fact="Webhooks held"]'), null);
  t.equal(els.lag.text, 'No sinks');
  t.equal(els.agent.textContent, 'pi');
});

t.test('modems: facts, the reason it is offline, signal bars and history for screen readers', async (t) => {
  const c = el('div');
  r.renderModems(asDom(c), [], new Map());
  t.equal(c.text, 'No modem is configured or running.');
  r.renderModems(asDom(c), [
    { id: 'usb2', state: 'offline', reason: 'cannot open /dev/ttyUSB2: Permission denied', signalDbm: null, imei: '356938035643809', resets: 2, simulator: false },
    { id: 'default', state: 'online', reason: 'stale', operator: 'smsedge sim', signalDbm: -73, simulator: true },
  ], new Map([['default', [{ at: '2026-03-01T10:00:00Z', dbm: -80 }, { at: '2026-03-01T10:01:00Z', dbm: -73 }]]]));
  const [off, on] = c.children as El[];
  t.equal(off!.by('data-role', 'modem-reason')[0]!.textContent, 'cannot open /dev/ttyUSB2: Permission denied');
  t.match(off!.text, 'IMEI 3569*********09');
  t.match(off!.text, 'Resets 2');
  t.match(off!.text, '— dBm');
  t.equal(off!.by('class', 'chart')[0]!.getAttribute('aria-label'), 'Signal history: no samples yet');
  t.equal(on!.by('data-role', 'modem-reason').length, 0, 'no reason shown for a modem that is online');
  t.match(on!.text, /default online simulator .*-73 dBm .*Operator smsedge sim/);
  t.match(on!.by('class', 'bars')[0]!.getAttribute('aria-label'), /^Signal 5 of 5 bars/);
  t.match(on!.by('class', 'chart')[0]!.getAttribute('aria-label'), /^Signal history: 2 samples since .*, between -80 and -73 dBm$/);
});

t.test('a delivery’s attempt log: each attempt, why and until when it waits; the toggle says whether it is open', async (t) => {
  const ul = el();
  const opened: string[] = [];
  const d = { id: 'd9', status: 'retrying', eventType: 'sms.received', url: 'https://example.test/in', attempts: 2, createdAt: new Date().toISOString(), nextAttemptAt: new Date(Date.now() + 60_000).toISOString() };
  r.renderDeliveries(asDom(ul), [d], { retry: () => {}, attempts: (id: string) => opened.push(id) });
  const toggle = (ul.children[0] as El).querySelector('[data-key="log-d9"]')!;
  t.equal(toggle.textContent, 'Attempts');
  t.equal(toggle.getAttribute('aria-expanded'), 'false');
  toggle.click();
  t.same(opened, ['d9']);
  const until = new Date(Date.now() + 90_000).toISOString();
  r.renderDeliveries(asDom(ul), [d], { retry: () => {}, attempts: () => {} }, new Map([['d9', {
    ...d,
    waiting: { reason: 'circuit open (the receiver failed 5 times)', until },
    attemptLog: [
      { n: 1, at: new Date().toISOString(), durationMs: 12, outcome: 'retry', counted: true, status: 503, errorClass: 'http', error: 'HTTP 503' },
      { n: 2, at: new Date().toISOString(), durationMs: null, outcome: 'offline', counted: false, status: null, errorClass: null, error: null },
    ],
  }]]));
  const item = ul.children[0] as El;
  t.equal(item.querySelector('[data-key="log-d9"]')!.textContent, 'Hide attempts');
  t.match(item.by('data-role', 'waiting')[0]!.textContent, /^Waiting: circuit open \(the receiver failed 5 times\) until .* \(in 2 min\)$/);
  const rows = item.all().filter((e) => e.tag === 'tr').slice(1).map((e) => e.text);
  t.match(rows[0], /^1 .* retry HTTP 503 12 ms http: HTTP 503$/);
  t.match(rows[1], /^2 .* offline \(not counted\) — — —$/);
  r.renderDeliveries(asDom(ul), [d], { retry: () => {}, attempts: () => {} }, new Map([['d9', { loading: true }]]));
  t.match((ul.children[0] as El).text, 'Loading the attempts…');
  r.renderDeliveries(asDom(ul), [d], { retry: () => {}, attempts: () => {} }, new Map([['d9', { error: 'HTTP 404' }]]));
  t.match((ul.children[0] as El).text, 'Could not load the attempts: HTTP 404');
  r.renderDeliveries(asDom(ul), [d], { retry: () => {}, attempts: () => {} }, new Map([['d9', { ...d, attemptLog: [] }]]));
  t.match((ul.children[0] as El).text, 'No attempt yet.');

  // The list line gives the scheduler's reason and time when the agent sends them, not the backoff's.
  r.renderDeliveries(asDom(ul), [{ ...d, waiting: { reason: 'circuit breaker open after 5 failures in a row', until: new Date(Date.now() + 600_000).toISOString() } }], { retry: () => {} });
  t.match((ul.children[0] as El).text, /2 attempts · circuit breaker open after 5 failures in a row \(in 10 min\)/);
  t.notMatch((ul.children[0] as El).text, /next in/);
  r.renderDeliveries(asDom(ul), [{ ...d, status: 'held', heldReason: 'disabled', waiting: { reason: 'held: the subscription is disabled (enabling it resumes the delivery)', until: null } }], { retry: () => {} });
  t.match((ul.children[0] as El).text, /2 attempts · held: the subscription is disabled \(enabling it resumes the delivery\) Retry now$/, 'the held reason once');
});

t.test('modems: the doctor run from the page, its checks or why it could not run', async (t) => {
  const c = el('div');
  const ran: string[] = [];
  const modem = { id: 'usb2', state: 'online', signalDbm: -80, simulator: false };
  r.renderModems(asDom(c), [modem], new Map(), { doctor: (id: string) => ran.push(id), reports: new Map() });
  c.querySelector('[data-key="doctor-usb2"]')!.click();
  t.same(ran, ['usb2']);
  r.renderModems(asDom(c), [modem], new Map(), { doctor: () => {}, reports: new Map([['usb2', { running: true }]]) });
  t.match(c.by('data-role', 'doctor')[0]!.text, 'Running the checks…');
  r.renderModems(asDom(c), [modem], new Map(), { doctor: () => {}, reports: new Map([['usb2', { status: 'warn', checks: [{ name: 'sim', status: 'pass', detail: 'ready' }, { name: 'storage', status: 'warn', detail: 'SM 28 of 30 used' }] }]]) });
  t.same(c.by('data-role', 'doctor')[0]!.children.map((x) => (x as El).text), ['pass sim ready', 'warn storage SM 28 of 30 used']);
  r.renderModems(asDom(c), [modem], new Map(), { doctor: () => {}, reports: new Map([['usb2', { error: 'no modem "usb2"' }]]) });
  t.match(c.by('data-role', 'doctor')[0]!.text, 'The checks could not run: no modem "usb2"');
});

type Messages = { bubble: Fn; threadItem: Fn; resultItem: Fn };
const m = (await import(new URL('../../plugins/api/ui/messages.js', import.meta.url).href)) as Messages & Record<string, (...a: any[]) => any>;

t.test('conversations: a thread item, bubbles with parts, schedule, hold and Cancel; texts as text; privacy', async (t) => {
  const opened: unknown[] = [];
  const thread = { number: '+15550100111', modem: 'default', messages: 3, inbound: 2, last: { id: 'x', direction: 'outbound', text: '<b>ok</b>', at: new Date().toISOString(), status: 'sent' } };
  const item = m.threadItem(thread, true, (x: unknown) => opened.push(x)) as unknown as El;
  t.match(item.text, /^\+15550100111 sent just now You: <b>ok<\/b> 3 messages · default$/);
  t.equal(item.getAttribute('class'), 'thread current');
  item.all().find((e) => e.tag === 'button')!.click();
  t.same(opened, [thread]);

  const cancelled: string[] = [];
  const scheduled = { id: 'o1', direction: 'outbound', to: '+15550100111', text: 'later', status: 'queued', parts: 1, encoding: 'gsm7', createdAt: new Date().toISOString(), sendAt: '2030-01-01T08:00:00Z', held: 'daily cap', heldUntil: '2030-01-01T00:00:00Z', partDetails: [] };
  const b = m.bubble(scheduled, (x: { id: string }) => cancelled.push(x.id)) as unknown as El;
  t.equal(b.getAttribute('class'), 'bubble out');
  t.match(b.by('data-role', 'facts')[0]!.text, /^scheduled for .* · held: daily cap until .*$/);
  b.querySelector('[data-key="cancel-o1"]')!.click();
  t.same(cancelled, ['o1']);

  const long = { id: 'o2', direction: 'outbound', to: '+15550100111', text: 'x', status: 'sent', parts: 3, encoding: 'gsm7', createdAt: new Date().toISOString(), error: { message: 'part 3 refused' },
    partDetails: [{ part: 1, status: 'delivered' }, { part: 2, status: 'delivered' }, { part: 3, status: 'failed', reportText: 'rejected' }] };
  const b2 = m.bubble(long, () => {}) as unknown as El;
  t.equal(b2.querySelector('[data-key="cancel-o2"]'), null, 'no Cancel once handed to the modem');
  t.match(b2.by('data-role', 'facts')[0]!.text, '2 of 3 parts delivered, 1 of 3 parts failed · part 3 refused');
  t.same(b2.all().filter((e) => e.tag === 'li').map((e) => e.text), ['part 1: delivered', 'part 2: delivered', 'part 3: failed']);

  const inbound = { id: 'i1', direction: 'inbound', from: '+15550100111', text: '<img src=x onerror=alert(1)>', parts: 1, encoding: 'gsm7', receivedAt: new Date().toISOString(), incomplete: true, modem: 'default' };
  const b3 = m.bubble(inbound, () => {}) as unknown as El;
  t.equal(b3.by('class', 'text')[0]!.children[0], '<img src=x onerror=alert(1)>', 'the text is a text node');
  t.match(b3.text, /incomplete/);
  const data = m.bubble({ ...inbound, text: undefined, data: '00ff', port: 16 }, () => {}) as unknown as El;
  t.equal(data.by('class', 'text')[0]!.textContent, '(8-bit data, 2 bytes, port 16)');

  const found = m.resultItem(scheduled, (x: { id: string }) => cancelled.push(x.id), (x: unknown) => opened.push(x)) as unknown as El;
  t.match(found.text, /^To \+15550100111 queued .* later 1 part · gsm7 · any modem · scheduled for/);
  found.querySelector('[data-key="open-o1"]')!.click();
  found.querySelector('[data-key="rcancel-o1"]')!.click();
  t.same(opened.at(-1), scheduled);
  t.same(cancelled, ['o1', 'o1']);
  const received = m.resultItem({ ...inbound, incomplete: false }, () => {}, () => {}) as unknown as El;
  t.match(received.text, /^From \+15550100111 received/);

  f.privacy.on = true;
  const hidden = m.threadItem(thread, false, () => {}) as unknown as El;
  t.match(hidden.text, /^\+155\*\*\*\*0111 .* You: Text hidden \(privacy\)/);
  t.equal((m.bubble(inbound, () => {}) as unknown as El).by('class', 'text')[0]!.textContent, 'Text hidden (privacy)');
  f.privacy.on = false;
});

t.test('modems: SIM storage, network, today’s counts, balance, and the sending policy (parked with Unpark, held)', async (t) => {
  const c = el('div');
  const unparked: string[] = [];
  const soon = new Date(Date.now() + 3_600_000).toISOString();
  r.renderModems(asDom(c), [
    { id: 'a', state: 'online', signalDbm: -70, sim: 'READY', model: 'E3372', resets: 0, balance: { amount: 4.5, currency: 'EUR', checkedAt: new Date().toISOString() },
      sending: { counts: { minute: 0, hour: 3, day: 7, month: 7, recipients30Days: 2 }, caps: { day: 100 }, held: 'quiet hours', heldUntil: soon, parked: null, failures: 0 } },
    { id: 'b', state: 'online', signalDbm: -80, resets: 1,
      sending: { counts: { minute: 0, hour: 0, day: 0, month: 0, recipients30Days: 0 }, caps: {}, held: 'parked', heldUntil: null, parked: { since: new Date().toISOString(), reason: 'SIM barred', failures: 3, retryAt: null }, failures: 3 } },
    { id: 'c', state: 'online', signalDbm: -80, resets: 0 },
    { id: 'd', state: 'online', signalDbm: -80, resets: 0, storage: [{ mem: 'SM', used: 25, total: 30, nearlyFull: true }, { mem: 'ME', used: 99, total: 100, nearlyFull: false }],
      keepAlive: { kind: 'sms', everyDays: 60, lastActivityAt: null, lastKeepAliveAt: null, dueAt: new Date(Date.now() + 86_400_000 * 3).toISOString() } },
  ], new Map(), {
    details: new Map([['a', { networkType: 'LTE', manufacturer: 'Huawei', simStorage: { mem: 'SM', used: 28, total: 30 }, sentToday: 7, failedToday: 1, queued: 2 }]]),
    unpark: (id: string) => unparked.push(id),
  });
  const [a, b, cc, dd] = c.children as El[];
  const fact = (m: El, k: string) => m.querySelector(`[data-fact="${k}"]`)?.textContent;
  t.equal(fact(a!, 'Network'), 'LTE');
  t.equal(fact(a!, 'SIM storage'), '28 of 30 used (SM), nearly full');
  t.equal(fact(a!, 'Today'), '7 sent, 1 failed, 2 queued');
  t.equal(fact(a!, 'Model'), 'Huawei E3372');
  t.equal(fact(a!, 'Balance'), '4.5 EUR (just now)');
  t.match(a!.by('data-role', 'sending')[0]!.textContent, /^Holding new messages: quiet hours until .* · Sent 7\/100 this day$/);
  t.match(b!.by('data-role', 'sending')[0]!.textContent, /^Parked just now after 3 failed sends: SIM barred/);
  (b!.querySelector('[data-key="unpark-b"]') as unknown as { click(): void }).click();
  t.same(unparked, ['b'], 'Unpark calls back with the modem');
  t.equal(fact(cc!, 'SIM storage'), undefined, 'no details row without GET /modems');
  t.equal(cc!.by('data-role', 'sending').length, 0, 'nothing about sending when nothing holds it');
  t.equal(fact(dd!, 'Storage'), '25 of 30 used (SM), nearly full; 99 of 100 used (ME)', 'every storage from /health, nearly full as the agent judged it');
  t.equal(fact(dd!, 'SIM storage'), undefined);
  t.match(fact(dd!, 'Keep-alive'), /^SMS every 60 days, next in \d+ h$/);
  t.equal(cc!.querySelector('[data-key="balance-c"]'), null, 'no Check balance without a balance option');
  t.equal(r.storageText(null), '—');
  t.equal(r.storageText({ mem: 'ME', used: 1, total: 100 }), '1 of 100 used (ME)');
});

t.test('modems: the balance not read yet, low, a failed read since, and Check balance with its progress and failure', async (t) => {
  const c = el('div');
  const checked: string[] = [];
  const hourAgo = new Date(Date.now() - 3_600_000).toISOString();
  const modems = [
    { id: 'a', state: 'online', signalDbm: -70, resets: 0, balance: null },
    { id: 'b', state: 'online', signalDbm: -70, resets: 0, balance: { amount: 1.5, currency: 'EUR', checkedAt: hourAgo, low: true, lastError: { message: 'modem "b" is offline', at: new Date().toISOString() } } },
    { id: 'c', state: 'online', signalDbm: -70, resets: 0, balance: { amount: 12, currency: null, checkedAt: hourAgo, low: false } },
  ];
  const checks = new Map<string, { running?: boolean, error?: string }>([['b', { running: true }], ['c', { error: 'the network did not answer in time' }]]);
  r.renderModems(asDom(c), modems, new Map(), { balance: (id: string) => checked.push(id), balanceChecks: checks });
  const [a, b, cc] = c.children as El[];
  const fact = (m: El) => m.querySelector('[data-fact="Balance"]')?.textContent;
  t.equal(fact(a!), 'not read yet', 'a balance option without a reading yet');
  t.equal(fact(b!), '1.5 EUR (1 h ago), low · the last read failed just now: modem "b" is offline');
  t.equal(fact(cc!), '12 (1 h ago)');
  (a!.querySelector('[data-key="balance-a"]') as unknown as { click(): void }).click();
  t.same(checked, ['a'], 'Check balance calls back with the modem');
  t.equal(b!.querySelector('[data-key="balance-b"]')!.getAttribute('disabled'), '', 'disabled while a check runs');
  t.equal(a!.querySelector('[data-key="balance-a"]')!.getAttribute('disabled'), null, 'enabled otherwise');
  t.equal(b!.by('data-role', 'balance-check')[0]!.textContent, 'Asking the network for the balance…');
  t.equal(a!.by('data-role', 'balance-check').length, 0, 'nothing under the button before a check');
  t.equal(cc!.by('data-role', 'balance-check')[0]!.textContent, 'The balance could not be read: the network did not answer in time');
  t.equal(r.balanceText(null), 'not read yet');
});

t.test('SMPP: the server, and per account its bound sessions by mode, waiting events and a problem', async (t) => {
  const card = el('section');
  const ul = el();
  r.renderSmpp(asDom(card), asDom(ul), undefined);
  t.equal((card as unknown as { hidden: boolean }).hidden, true, 'hidden without the smpp plugin');
  r.renderSmpp(asDom(card), asDom(ul), {
    status: 'warn', port: 2775, unbound: 1,
    accounts: { alpha: { bound: 2, transceiver: 1, transmitter: 1, receiver: 0, pending: 0 }, beta: { bound: 0, transceiver: 0, transmitter: 0, receiver: 0, pending: 3, problem: 'SMSEDGE_SMPP_B is not set' } },
  });
  t.equal((card as unknown as { hidden: boolean }).hidden, false, 'shown');
  const [server, alpha, beta] = ul.children as El[];
  t.equal(server!.text, 'port 2775 · 1 connection not bound · status warn');
  t.equal(alpha!.by('data-role', 'sessions')[0]!.textContent, '2 sessions: 1 transceiver, 1 transmitter');
  t.match(alpha!.text, /^alpha bound/);
  t.match(beta!.text, /^beta not-bound no session 3 events waiting for a receiver · SMSEDGE_SMPP_B is not set$/);
});

t.test('a message’s details: parts with references, times, and what the rules did', async (t) => {
  const li = m.bubble({ id: 'm1', direction: 'outbound', to: '+15550100111', text: 'hi', status: 'queued', parts: 1, encoding: 'gsm7', sendAt: new Date(Date.now() + 3_600_000).toISOString(), held: 'quiet hours', heldUntil: new Date(Date.now() + 3_600_000).toISOString(), createdAt: new Date().toISOString() },
    { cancel: () => {}, sendNow: () => {}, details: () => {}, detail: () => undefined }) as unknown as El;
  root = new El('body');
  root.append(li);
  t.match(li.by('data-role', 'facts')[0]!.textContent, /^scheduled for .* · held: quiet hours until /);
  t.same(li.all().filter((e) => e.tag === 'button').map((b) => b.textContent), ['Send now', 'Cancel', 'Details']);
  const d = m.messageDetail({
    id: 'in1', direction: 'inbound', from: '+15550100199', modem: 'default', receivedAt: '2026-03-01T10:00:00Z', smsc: '+15550000000', text: 'STOP',
    rules: { blocked: true, tags: ['optout'], results: [{ eventId: 'e1', eventType: 'sms.received', blocked: true, tags: ['optout'], matched: ['stop words', 'mail me'],
      actions: [{ key: 'a1', rule: 'stop words', action: 'optOut', status: 'done', attempts: 1, at: '2026-03-01T10:00:01Z' },
        { key: 'a2', rule: 'mail me', action: 'forward', target: 'email', status: 'failed', attempts: 5, reason: '550 mailbox unavailable', at: '2026-03-01T10:00:09Z' }] }] },
  }) as unknown as El;
  t.match(d.text, /Id in1 From \+15550100199 Modem default Received .* SMSC \+15550000000/);
  const rules = d.by('data-role', 'rules')[0]!;
  t.match(rules.text, /^Rules blocked by a rule · tags: optout sms\.received: matched stop words, mail me/);
  t.match(rules.text, /done stop words: optOut · 1 attempt failed mail me: forward → email · 5 attempts · 550 mailbox unavailable$/);
  const out = m.messageDetail({ id: 'o1', direction: 'outbound', to: '+15550100111', status: 'delivered', partDetails: [{ part: 1, mr: 17, status: 'delivered' }, { part: 2, mr: null, status: 'sent' }] }) as unknown as El;
  t.match(out.by('data-role', 'parts')[0]!.text, /Part Reference State 1 17 delivered 2 — sent/);
  t.equal((m.messageDetail({ loading: true }) as unknown as El).text, 'Loading…');
  t.equal((m.messageDetail({ error: 'HTTP 404' }) as unknown as El).text, 'Could not load it: HTTP 404');
});
