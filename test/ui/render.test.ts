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
type Render = Record<'renderInbound' | 'renderOutbound' | 'renderReports' | 'renderCalls' | 'renderHooks' | 'renderDeliveries' | 'renderStatus' | 'renderModems', Fn>;
const r = (await import(new URL('../../plugins/api/ui/render.js', import.meta.url).href)) as Render;
const el = (tag = 'ul') => {
  root = new El('body');
  const e = new El(tag);
  root.append(e);
  return e;
};
const asDom = (e: El) => e;

const inbound = {
  id: 'in-1', from: '+15550100100', receivedAt: new Date(Date.now() - 120_000).toISOString(), parts: 2, encoding: 'gsm7', modem: 'default',
  text: '<img src=x onerror=alert(1)> your code is 123456', incomplete: true,
};

t.test('inbound: number masked, text hidden until "Show text", then a text node (never HTML), and hidden again', async (t) => {
  const ul = el();
  const revealed = new Set<string>();
  r.renderInbound(asDom(ul), [inbound], revealed);
  const li = ul.children[0] as El;
  t.equal(li.getAttribute('data-dir'), 'inbound');
  t.match(li.text, /\+155\*\*\*\*0100 incomplete 2 min(utes)? ago/);
  t.match(li.text, '2 parts · gsm7 · default');
  t.notMatch(li.text, /123456/, 'the text is not on the page before it is asked for');
  t.notMatch(li.text, /15550100100/, 'nor the full number');
  const button = li.querySelector('[data-key="show-in-1"]')!;
  t.equal(button.getAttribute('aria-expanded'), 'false');

  button.click();
  t.ok(revealed.has('in-1'));
  const open = ul.children[0] as El;
  t.not(open, li, 'the item is replaced in place');
  const p = open.by('class', 'text')[0]!;
  t.same(p.children, [inbound.text], 'the SMS text is one text node, markup and all');
  t.equal(p.getAttribute('id'), 'text-in-1');
  const again = open.querySelector('[data-key="show-in-1"]')!;
  t.equal(again.getAttribute('aria-expanded'), 'true');
  t.equal(again.textContent, 'Hide text');
  t.equal(focused, again, 'focus stays on the toggle');

  again.click();
  t.notOk(revealed.has('in-1'));
  t.notMatch((ul.children[0] as El).text, /123456/);
});

t.test('outbound: status, clientRef, error and 8-bit data; an empty list says so', async (t) => {
  const ul = el();
  const revealed = new Set(['out-2']);
  r.renderOutbound(asDom(ul), [
    { id: 'out-1', to: '+15550100199', status: 'failed', parts: 1, encoding: 'ucs2', clientRef: 'order-7', error: { message: 'the network refused it (CMS 38)' }, createdAt: new Date().toISOString() },
    { id: 'out-2', to: '12345', status: 'sent', parts: 1, encoding: '8bit', data: '00ff10', port: 2948, sentAt: new Date().toISOString() },
  ], revealed);
  const [a, b] = ul.children as El[];
  t.equal(a!.by('data-role', 'status')[0]!.textContent, 'failed');
  t.match(a!.text, '+155****0199');
  t.match(a!.text, '1 part · ucs2 · ref order-7 · the network refused it (CMS 38)');
  t.match(b!.text, /^12345 sent /, 'a short code is shown as it is');
  t.equal(b!.by('class', 'text')[0]!.textContent, '(8-bit data, 3 bytes, port 2948)');

  r.renderOutbound(asDom(ul), [], revealed);
  t.equal(ul.text, 'Nothing sent yet.');
  r.renderInbound(asDom(ul), [], revealed);
  t.equal(ul.text, 'Nothing received yet.');
});

t.test('reports and missed calls', async (t) => {
  const ul = el();
  r.renderReports(asDom(ul), [{ id: 'rep-1', to: '+15550100100', state: 'delivered', receivedAt: new Date().toISOString(), statusText: 'received by the phone', status: 0, mr: 17 }]);
  t.match(ul.text, /\+155\*\*\*\*0100 delivered .* received by the phone \(TP-ST 0\) · reference 17/);
  r.renderReports(asDom(ul), []);
  t.equal(ul.text, 'No delivery reports yet.');

  r.renderCalls(asDom(ul), [
    { id: 'c1', from: '+15550100177', at: new Date().toISOString(), modem: 'default' },
    { id: 'c2', from: null, at: new Date().toISOString(), modem: 'usb2' },
  ]);
  const [c1, c2] = ul.children as El[];
  t.match(c1!.text, /^\+155\*\*\*\*0177 .* modem default$/);
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
  ], (id: string) => retried.push(id));
  const [d1, d2, d3] = ul.children as El[];
  t.equal(d1!.getAttribute('class'), 'item d-failed');
  t.match(d1!.text, '3 attempts · HTTP 500 · http: HTTP 500 · held: destination refused');
  t.match(d2!.text, /1 attempt · HTTP 200$/);
  t.equal(d2!.querySelector('[data-key="retry-d2"]'), null, 'nothing to retry');
  t.match(d3!.text, / · next /);
  d1!.querySelector('[data-key="retry-d1"]')!.click();
  d3!.querySelector('[data-key="retry-d3"]')!.click();
  t.same(retried, ['d1', 'd3']);
  r.renderDeliveries(asDom(ul), [], () => {});
  t.equal(ul.text, 'No deliveries yet.');
});

t.test('status: queues, webhook counts from either shape, sink lag, plugins not hidden, the agent line', async (t) => {
  const els = { queues: el('dl'), lag: el('dl'), plugins: el('div'), agent: el('span') };
  const dom = els;
  r.renderStatus(dom, {
    agentId: 'pi', version: '1.2.3', status: 'warn', uptimeSeconds: 90_000, queue: { outbound: 4 },
    plugins: { modem: 'pass', webhook: { status: 'warn', backlog: 7, held: 2, failed: 1 } }, journal: { lag: { webhook: 12 } },
  });
  const fact = (k: string) => els.queues.querySelector(`[data-fact="${k}"]`)!.textContent;
  t.equal(fact('Outbound queued'), '4');
  t.equal(fact('Webhook backlog'), '7');
  t.equal(fact('Webhooks held'), '2');
  t.equal(fact('Webhooks failed'), '1');
  t.equal(els.lag.text, 'webhook 12 events');
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
