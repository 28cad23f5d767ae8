// Panels as DOM. Everything from the agent goes in as text nodes (never HTML): SMS text comes from
// anyone who knows the number.
import { ago, duration, hookOptions, maskImei, showNumber, signalBars, sparkline } from './format.js';

const SVG = 'http://www.w3.org/2000/svg';

/**
 * @param {string} tag
 * @param {Record<string, any> | null} [props] attributes; `on*` functions become listeners
 * @param {...(Node | string | number | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'number' ? String(c) : c);
  return el;
}

/**
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {...Element} children
 */
function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

/**
 * Replaces a container's children, keeping keyboard focus on the control with the same
 * `data-key` (a live update must not throw the operator's focus away).
 * @param {Element} container
 * @param {Node[]} children
 */
export function replace(container, children) {
  const active = document.activeElement;
  const key = active instanceof HTMLElement && container.contains(active) ? active.dataset.key : undefined;
  container.replaceChildren(...children);
  if (key) /** @type {HTMLElement | null} */ (container.querySelector(`[data-key="${CSS.escape(key)}"]`))?.focus();
}

/** @param {string} status */
const badge = (status) => h('span', { class: `badge s-${status.replace(/[^a-z-]/g, '')}` }, status);
/** @param {string | null | undefined} iso */
const time = (iso) => h('time', { datetime: iso ?? '', title: iso ? new Date(iso).toLocaleString() : '' }, ago(iso));
/** @param {string} text */
const empty = (text) => h('li', { class: 'muted empty' }, text);

/** @param {number | null} dbm */
export function bars(dbm) {
  const { bars: n, word } = signalBars(dbm);
  const rects = [0, 1, 2, 3, 4].map((i) => svg('rect', { x: i * 6, y: 16 - (i + 1) * 3.2, width: 4, height: (i + 1) * 3.2, rx: 1, class: i < n ? 'on' : 'off' }));
  const el = svg('svg', { viewBox: '0 0 28 16', width: 42, height: 24, class: 'bars', role: 'img', 'aria-label': `Signal ${n} of 5 bars, ${word}` }, ...rects);
  return el;
}

/** @param {{ at: string, dbm: number | null }[]} samples */
export function chart(samples) {
  const values = samples.map((s) => s.dbm).filter((x) => x !== null);
  const label = values.length
    ? `Signal history: ${samples.length} samples since ${new Date(samples[0].at).toLocaleTimeString()}, between ${Math.min(...values)} and ${Math.max(...values)} dBm`
    : 'Signal history: no samples yet';
  const grid = [-73, -93].map((dbm) => svg('line', { x1: 0, x2: 240, y1: 48 - ((dbm + 113) / 62) * 48, y2: 48 - ((dbm + 113) / 62) * 48, class: 'grid' }));
  return svg('svg', { viewBox: '0 0 240 48', class: 'chart', role: 'img', 'aria-label': label, preserveAspectRatio: 'none' }, ...grid, svg('path', { d: sparkline(samples, 240, 48), class: 'line' }));
}

/**
 * A modem's doctor report (GET /modems/:id/doctor), as the page ran it.
 * @param {any} report
 */
function doctorReport(report) {
  if (!report) return null;
  if (report.running) return h('p', { class: 'muted small', 'data-role': 'doctor' }, 'Running the checks…');
  if (report.error) return h('p', { class: 'error small', 'data-role': 'doctor' }, `The checks could not run: ${report.error}`);
  return h('ul', { class: 'checks', 'data-role': 'doctor', 'aria-label': 'Checks' },
    ...report.checks.map((/** @type {any} */ c) => h('li', null, badge(c.status), ' ', h('strong', null, c.name), ' ', h('span', { class: 'small' }, c.detail))));
}

/**
 * A message storage as "12 of 30 used (SM)", marked when nearly full (the agent's own verdict when it
 * gives one, else 90 %).
 * @param {{ mem: string, used: number, total: number, nearlyFull?: boolean } | null | undefined} s
 */
export function storageText(s) {
  if (!s) return '—';
  const full = s.nearlyFull ?? (s.total > 0 && s.used / s.total >= 0.9);
  return `${s.used} of ${s.total} used (${s.mem})${full ? ', nearly full' : ''}`;
}

/** @param {any} k the modem's keepAlive */
const keepAliveText = (k) =>
  `${k.kind.toUpperCase()} every ${k.everyDays} day${k.everyDays === 1 ? '' : 's'}${k.lastKeepAliveAt ? `, last ${ago(k.lastKeepAliveAt)}` : ''}${k.dueAt ? `, next ${ago(k.dueAt)}` : ''}`;

/**
 * The sending policy's state: parked (with an Unpark button), held for a reason until when, or sending.
 * @param {any} m ModemStatus
 * @param {((id: string, button: HTMLButtonElement) => void) | undefined} unpark
 */
function sendingState(m, unpark) {
  const s = m.sending;
  if (!s) return null;
  if (s.parked) {
    const button = unpark
      ? /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'ghost small', 'data-key': `unpark-${m.id}`, onclick: () => unpark(m.id, button) }, 'Unpark'))
      : null;
    return h('p', { class: 'reason small', 'data-role': 'sending' },
      `Parked ${ago(s.parked.since)} after ${s.parked.failures} failed send${s.parked.failures === 1 ? '' : 's'}: ${s.parked.reason}`,
      s.parked.retryAt ? ` (tries again ${ago(s.parked.retryAt)})` : '', ' ', button);
  }
  const counts = Object.entries(s.caps ?? {}).map(([w, cap]) => `${s.counts?.[w] ?? 0}/${cap} ${w === 'recipients30Days' ? 'recipients in 30 days' : `this ${w}`}`);
  const held = s.held ? `Holding new messages: ${s.held}${s.heldUntil ? ` until ${new Date(s.heldUntil).toLocaleString()}` : ''}` : '';
  if (!held && !counts.length) return null;
  return h('p', { class: `small${held ? ' reason' : ' muted'}`, 'data-role': 'sending' }, [held, counts.length ? `Sent ${counts.join(', ')}` : ''].filter(Boolean).join(' · '));
}

/**
 * @param {Element} container
 * @param {any[]} modems ModemStatus[]
 * @param {Map<string, { at: string, dbm: number | null }[]>} history
 * @param {{ doctor?: (id: string, button: HTMLButtonElement) => void, reports?: Map<string, any>, details?: Map<string, any>, unpark?: (id: string, button: HTMLButtonElement) => void, balance?: (id: string) => void, balanceChecks?: Map<string, { running?: boolean, error?: string }> }} [on]
 *   balance: Check balance (POST /modems/:id/balance) on modems with a balance option; balanceChecks: per modem, a check under way or its failure
 *   details: GET /modems per id (SIM storage, network type, today's counts), when the agent has it
 */
export function renderModems(container, modems, history, on = {}) {
  if (!modems.length) return replace(container, [h('p', { class: 'muted' }, 'No modem is configured or running.')]);
  replace(container, modems.map((m) => {
    const d = on.details?.get(m.id);
    const balance = m.balance;
    const facts = /** @type {[string, string][]} */ ([
      ['Operator', m.operator ?? '—'],
      ['Registration', m.registration ?? '—'],
      ...(d ? /** @type {[string, string][]} */ ([['Network', d.networkType ?? '—']]) : []),
      ['SIM', m.sim ?? '—'],
      // Every storage from the last health check (/health), else the SIM's from GET /modems.
      ...(m.storage?.length
        ? /** @type {[string, string][]} */ ([['Storage', m.storage.map(storageText).join('; ')]])
        : d ? /** @type {[string, string][]} */ ([['SIM storage', storageText(d.simStorage)]]) : []),
      ...(m.keepAlive ? /** @type {[string, string][]} */ ([['Keep-alive', keepAliveText(m.keepAlive)]]) : []),
      // `balance` is there (null until the first reading) when the modem has a balance option.
      ...('balance' in m ? /** @type {[string, string][]} */ ([['Balance', balanceText(balance)]]) : []),
      ['Model', [d?.manufacturer, m.model].filter(Boolean).join(' ') || '—'],
      ['IMEI', maskImei(m.imei)],
      ['Resets', String(m.resets ?? 0)],
      ...(d ? /** @type {[string, string][]} */ ([['Today', `${d.sentToday} sent, ${d.failedToday} failed, ${d.queued} queued`]]) : []),
    ]);
    return h('div', { class: 'modem', 'data-modem': m.id },
      h('div', { class: 'line' },
        h('strong', null, m.id),
        h('span', { class: `badge s-${m.state}`, 'data-role': 'modem-state' }, m.state),
        m.simulator ? h('span', { class: 'badge s-sim' }, 'simulator') : null),
      // Why it is not online (e.g. "cannot open /dev/ttyUSB2: Permission denied (...)").
      m.reason && m.state !== 'online' ? h('p', { class: 'reason', 'data-role': 'modem-reason' }, m.reason) : null,
      sendingState(m, on.unpark),
      h('div', { class: 'signal' }, bars(m.signalDbm), h('span', { class: 'dbm' }, m.signalDbm === null ? '— dBm' : `${m.signalDbm} dBm`), chart(history.get(m.id) ?? [])),
      h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', null, k), h('dd', { 'data-fact': k }, v)])),
      on.doctor ? doctorButton(m.id, on.doctor) : null,
      'balance' in m && on.balance ? balanceButton(m.id, on.balance, on.balanceChecks?.get(m.id)) : null,
      balanceCheck(on.balanceChecks?.get(m.id)),
      doctorReport(on.reports?.get(m.id)));
  }));
}

/**
 * The last reading, whether it is below `low`, and a failed read since (the reading stays the last good one).
 * @param {{ amount: number, currency: string | null, checkedAt: string, low?: boolean, lastError?: { message: string, at: string } } | null} b
 */
export function balanceText(b) {
  if (!b) return 'not read yet';
  return `${b.amount}${b.currency ? ` ${b.currency}` : ''} (${ago(b.checkedAt)})${b.low ? ', low' : ''}` +
    (b.lastError ? ` · the last read failed ${ago(b.lastError.at)}: ${b.lastError.message}` : '');
}

/**
 * @param {string} id @param {(id: string) => void} check
 * @param {{ running?: boolean, error?: string } | undefined} state a check under way or its failure
 */
function balanceButton(id, check, state) {
  return h('button', { type: 'button', class: 'ghost small', 'data-key': `balance-${id}`, disabled: Boolean(state?.running), onclick: () => check(id) }, 'Check balance');
}

/** @param {{ running?: boolean, error?: string } | undefined} state */
function balanceCheck(state) {
  if (state?.running) return h('p', { class: 'muted small', 'data-role': 'balance-check' }, 'Asking the network for the balance…');
  if (state?.error) return h('p', { class: 'error small', 'data-role': 'balance-check' }, `The balance could not be read: ${state.error}`);
  return null;
}

/** @param {string} id @param {(id: string, button: HTMLButtonElement) => void} run */
function doctorButton(id, run) {
  const button = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'ghost small', 'data-key': `doctor-${id}`, onclick: () => run(id, button) }, 'Run checks'));
  return button;
}

/**
 * @param {any} s
 * @returns {{ backlog: number, held: number, failed: number, delivered: number } | null}
 */
export function webhookCounts(s) {
  const w = s.webhook ?? (typeof s.plugins?.webhook === 'object' ? s.plugins.webhook : null);
  return w && typeof w.backlog === 'number' ? { backlog: w.backlog, held: w.held ?? 0, failed: w.failed ?? 0, delivered: w.delivered ?? 0 } : null;
}

/**
 * @param {{ queues: Element, lag: Element, plugins: Element, agent: Element }} els
 * @param {any} s GET /health details or an SSE status snapshot
 */
export function renderStatus(els, s) {
  // A status snapshot carries `webhook`; GET /health has the same counts in the webhook plugin's health.
  const w = webhookCounts(s);
  const facts = /** @type {[string, string | number][]} */ ([
    ['Outbound queued', s.queue?.outbound ?? 0],
    ['Webhook backlog', w ? w.backlog : s.webhookBacklog ?? 0],
    ...(w ? /** @type {[string, number][]} */ ([['Webhooks held', w.held], ['Webhooks failed', w.failed]]) : []),
  ]);
  replace(els.queues, facts.flatMap(([k, v]) => [h('dt', null, k), h('dd', { 'data-fact': k }, String(v))]));
  // The sinks running now (the agent lists no others), each with its last failure when it had one.
  const lag = Object.entries(s.journal?.lag ?? {});
  const errors = s.journal?.errors ?? {};
  replace(els.lag, lag.length
    ? lag.flatMap(([sink, n]) => {
        const e = errors[sink];
        return [h('dt', null, sink), h('dd', { 'data-sink': sink }, `${n} event${n === 1 ? '' : 's'} behind`,
          e ? h('span', { class: `small${e.failing ? ' error' : ' muted'}` }, ` · ${e.failing ? 'failing' : 'last error'} ${ago(e.at)}: ${e.message}`) : null)];
      })
    : [h('dd', { class: 'muted' }, 'No sinks')]);
  const plugins = Object.entries(s.plugins ?? {}).map(([name, p]) => {
    const status = typeof p === 'string' ? p : p.status;
    return h('span', { class: `badge s-${status}` }, `${name}: ${status}`);
  });
  replace(els.plugins, plugins);
  els.agent.textContent = [s.agentId, s.version ? `v${s.version}` : '', s.status ? `health ${s.status}` : '', s.uptimeSeconds !== undefined ? `up ${duration(s.uptimeSeconds)}` : '']
    .filter(Boolean).join(' · ');
}

/** @param {Element} ul @param {any[]} items */
export function renderReports(ul, items) {
  replace(ul, items.length
    ? items.map((r) => h('li', { class: 'item', 'data-id': r.id },
        h('div', { class: 'line' }, h('span', { class: 'who' }, showNumber(r.to)), badge(r.state), time(r.receivedAt)),
        h('div', { class: 'meta muted small' }, `${r.statusText} (TP-ST ${r.status}) · reference ${r.mr}`)))
    : [empty('No delivery reports yet.')]);
}

/**
 * @param {Element} ul
 * @param {{ id: string, from: string | null, at: string, modem: string }[]} items GET /calls
 */
export function renderCalls(ul, items) {
  replace(ul, items.length
    ? items.map((c) => h('li', { class: 'item', 'data-id': c.id },
        h('div', { class: 'line' }, h('span', { class: 'who' }, c.from ? showNumber(c.from) : 'number withheld'), time(c.at)),
        h('div', { class: 'meta muted small' }, `modem ${c.modem}`)))
    : [empty('No missed calls in the journal.')]);
}

/**
 * @param {Element} ul
 * @param {any[]} hooks
 * @param {Map<string, { ok: number, total: number }>} rates
 * @param {{ test: (id: string, button: HTMLButtonElement) => void, toggle: (id: string, enable: boolean, button: HTMLButtonElement) => void, remove: (id: string, url: string, button: HTMLButtonElement) => void }} on
 */
export function renderHooks(ul, hooks, rates, on) {
  replace(ul, hooks.length
    ? hooks.map((w) => {
        const r = rates.get(w.id);
        const rate = r ? `${Math.round((r.ok / r.total) * 100)}% of the last ${r.total} delivered` : 'no recent deliveries';
        const test = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'ghost small', 'data-key': `test-${w.id}`, onclick: () => on.test(w.id, test) }, 'Send test'));
        const toggle = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'ghost small', 'data-key': `toggle-${w.id}`, onclick: () => on.toggle(w.id, !w.enabled, toggle) }, w.enabled ? 'Disable' : 'Enable'));
        const remove = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'ghost small danger', 'data-key': `delete-${w.id}`, onclick: () => on.remove(w.id, w.url, remove) }, 'Delete'));
        const edit = h('button', { type: 'button', class: 'ghost small', 'data-key': `edit-${w.id}`, onclick: () => on.edit(w) }, 'Edit');
        const rotate = /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'ghost small', 'data-key': `rotate-${w.id}`, onclick: () => on.rotate(w, rotate) }, 'Rotate secret'));
        const replay = h('button', { type: 'button', class: 'ghost small', 'data-key': `replay-${w.id}`, onclick: () => on.replay(w) }, 'Replay');
        return h('li', { class: 'item', 'data-id': w.id },
          h('div', { class: 'line' }, h('span', { class: 'who url' }, w.url), badge(w.enabled ? 'enabled' : 'disabled')),
          h('div', { class: 'meta muted small', 'data-role': 'options' }, [w.format, w.events.join(', '), ...hookOptions(w), ...(w.disabledReason ? [w.disabledReason] : [])].join(' · ')),
          h('div', { class: 'line' }, h('span', { class: `rate${r && r.ok < r.total ? ' bad' : ''}`, 'data-role': 'rate' }, rate), h('span', { class: 'actions' }, test, edit, replay, rotate, toggle, remove)));
      })
    : [empty('No webhook subscriptions.')]);
}

/**
 * A delivery's attempts (GET /sms/webhook-deliveries/:id), and why and until when it waits.
 * @param {any} d the delivery with its attemptLog, or { error } / { loading }
 */
function attemptLog(d) {
  if (d.loading) return h('p', { class: 'muted small' }, 'Loading the attempts…');
  if (d.error) return h('p', { class: 'error small' }, `Could not load the attempts: ${d.error}`);
  const rows = (d.attemptLog ?? []).map((/** @type {any} */ a) => h('tr', null,
    h('td', null, String(a.n)),
    h('td', null, a.at ? new Date(a.at).toLocaleString() : '—'),
    h('td', null, a.outcome + (a.counted ? '' : ' (not counted)')),
    h('td', null, a.status === null ? '—' : `HTTP ${a.status}`),
    h('td', null, a.durationMs === null ? '—' : `${a.durationMs} ms`),
    h('td', { class: 'url' }, [a.errorClass, a.error].filter(Boolean).join(': ') || '—')));
  const waiting = d.waiting
    ? h('p', { class: 'small', 'data-role': 'waiting' }, `Waiting: ${d.waiting.reason}${d.waiting.until ? ` until ${new Date(d.waiting.until).toLocaleString()} (${ago(d.waiting.until)})` : ''}`)
    : null;
  return h('div', { class: 'attempts', 'data-role': 'attempts' },
    waiting,
    rows.length
      ? h('table', { class: 'log' },
          h('thead', null, h('tr', null, ...['#', 'When', 'Outcome', 'Answer', 'Took', 'Error'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', null, ...rows))
      : h('p', { class: 'muted small' }, 'No attempt yet.'));
}

/**
 * @param {Element} ul
 * @param {any[]} list failed first already
 * @param {{ retry: (id: string, button: HTMLButtonElement) => void, attempts?: (id: string) => void }} on
 * @param {Map<string, any>} [open] deliveries whose attempt log is open, with what was loaded
 */
export function renderDeliveries(ul, list, on, open = new Map()) {
  replace(ul, list.length
    ? list.map((d) => {
        const err = d.lastError ? `${d.lastError.class}: ${d.lastError.message}` : '';
        const button = d.status === 'delivered'
          ? null
          : /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'small', 'data-key': `retry-${d.id}`, onclick: () => on.retry(d.id, /** @type {HTMLButtonElement} */ (button)) }, 'Retry now'));
        const shown = open.get(d.id);
        const log = on.attempts
          ? h('button', { type: 'button', class: 'ghost small', 'data-key': `log-${d.id}`, 'aria-expanded': shown ? 'true' : 'false', onclick: () => on.attempts?.(d.id) }, shown ? 'Hide attempts' : 'Attempts')
          : null;
        return h('li', { class: `item d-${d.status}`, 'data-id': d.id },
          h('div', { class: 'line' }, badge(d.status), h('span', null, d.eventType), time(d.lastAttemptAt ?? d.createdAt)),
          h('div', { class: 'meta muted small url' }, d.url),
          h('div', { class: 'meta small' },
            `${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`,
            d.lastStatus ? ` · HTTP ${d.lastStatus}` : '',
            err ? ` · ${err}` : '',
            d.heldReason && !d.waiting ? ` · held: ${d.heldReason}` : '',
            // The scheduler's reason and time when the agent gives them (an open breaker outlasts the backoff).
            d.waiting ? ` · ${d.waiting.reason}${d.waiting.until ? ` (${ago(d.waiting.until)})` : ''}`
              : d.status === 'retrying' || d.status === 'pending' ? ` · next ${ago(d.nextAttemptAt)}` : ''),
          h('span', { class: 'actions' }, button, log),
          shown ? attemptLog(shown) : null);
      })
    : [empty('No deliveries yet.')]);
}

/**
 * The SMPP server (GET /health plugins.smpp): its port, connections not bound yet, and per account the
 * bound sessions by mode, events waiting for a receiver and a problem (a password not set).
 * @param {HTMLElement} card shown only while the smpp plugin runs
 * @param {Element} ul
 * @param {any} smpp the plugin's health, or undefined
 */
export function renderSmpp(card, ul, smpp) {
  card.hidden = !smpp;
  if (!smpp) return;
  const accounts = Object.entries(smpp.accounts ?? {});
  const head = h('li', { class: 'muted small', 'data-role': 'smpp-server' },
    [`port ${smpp.port ?? '—'}`, smpp.tlsPort ? `TLS port ${smpp.tlsPort}` : '', `${smpp.unbound ?? 0} connection${smpp.unbound === 1 ? '' : 's'} not bound`, `status ${smpp.status}`].filter(Boolean).join(' · '));
  replace(ul, [head, ...(accounts.length
    ? accounts.map(([id, a]) => {
        const modes = ['transceiver', 'transmitter', 'receiver'].filter((m) => a[m] > 0).map((m) => `${a[m]} ${m}`);
        return h('li', { class: 'item', 'data-account': id },
          h('div', { class: 'line' }, h('strong', null, id), badge(a.bound > 0 ? 'bound' : 'not-bound'),
            h('span', { class: 'small', 'data-role': 'sessions' }, a.bound > 0 ? `${a.bound} session${a.bound === 1 ? '' : 's'}: ${modes.join(', ')}` : 'no session')),
          a.pending || a.problem
            ? h('div', { class: `meta small${a.problem ? ' error' : ' muted'}` }, [a.pending ? `${a.pending} event${a.pending === 1 ? '' : 's'} waiting for a receiver` : '', a.problem ?? ''].filter(Boolean).join(' · '))
            : null);
      })
    : [empty('No SMPP accounts.')])]);
}
