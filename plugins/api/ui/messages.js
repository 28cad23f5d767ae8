// Messages as DOM: thread list items, chat bubbles with per-part delivery, search results. Numbers and
// texts are shown whole to the signed-in operator unless the privacy switch is on (a shared screen).
import { ago, partsSummary, privacy, showNumber } from './format.js';
import { h } from './render.js';

export { privacy, showNumber };

/** @param {any} m a message: its text, or what stands for it */
export function showText(m) {
  if (privacy.on) return 'Text hidden (privacy)';
  if (m.text !== undefined && m.text !== null) return m.text;
  if (m.data) return `(8-bit data, ${m.data.length / 2} bytes${m.port !== undefined && m.port !== null ? `, port ${m.port}` : ''})`;
  return '';
}

/** @param {string | null | undefined} iso */
const time = (iso) => h('time', { datetime: iso ?? '', title: iso ? new Date(iso).toLocaleString() : '' }, ago(iso));
/** @param {string} status */
const badge = (status) => h('span', { class: `badge s-${status.replace(/[^a-z-]/g, '')}`, 'data-role': 'status' }, status);

/** Why a queued message waits (the sending policy's `held`), when the agent says. @param {any} m */
function heldText(m) {
  if (!m.held) return '';
  return `held: ${m.held}${m.heldUntil ? ` until ${new Date(m.heldUntil).toLocaleString()}` : ''}`;
}

/** @param {any} m */
export const messageTime = (m) => (m.direction === 'inbound' ? m.receivedAt ?? m.storedAt : m.deliveredAt ?? m.sentAt ?? m.createdAt);

/**
 * What an outbound message's state is, in words, with its parts and the reason it waits.
 * @param {any} m
 */
function outboundFacts(m) {
  const facts = [];
  if (m.status === 'queued' && m.sendAt) facts.push(`scheduled for ${new Date(m.sendAt).toLocaleString()}`);
  const held = heldText(m);
  if (held) facts.push(held);
  const parts = partsSummary(m);
  if (parts) facts.push(parts);
  if (m.error) facts.push(m.error.message);
  if (m.cancelledAt) facts.push(`cancelled ${ago(m.cancelledAt)}`);
  return facts;
}

/**
 * @param {any} t a thread from GET /sms/threads
 * @param {boolean} current
 * @param {(t: any) => void} open
 */
export function threadItem(t, current, open) {
  const last = t.last;
  const preview = privacy.on ? 'Text hidden (privacy)' : last.text ?? '(no text)';
  return h('li', { class: `thread${current ? ' current' : ''}`, 'data-number': t.number, 'data-modem': t.modem },
    h('button', { type: 'button', class: 'thread-open', 'data-key': `thread-${t.modem}-${t.number}`, 'aria-current': current ? 'true' : null, onclick: () => open(t) },
      h('span', { class: 'line' }, h('span', { class: 'who' }, showNumber(t.number)), last.status ? badge(last.status) : null, time(last.at)),
      h('span', { class: 'preview muted small' }, `${last.direction === 'outbound' ? 'You: ' : ''}${preview}`),
      h('span', { class: 'muted small' }, `${t.messages} message${t.messages === 1 ? '' : 's'} · ${t.modem}`)));
}

/**
 * @typedef {{ cancel: (m: any, button: HTMLButtonElement) => void, sendNow?: (m: any, button: HTMLButtonElement) => void,
 *   details?: (m: any) => void, detail?: (id: string) => any,
 *   read?: (m: any, button: HTMLButtonElement) => void, remove?: (m: any, button: HTMLButtonElement) => void }} BubbleActions
 */

/**
 * A chat bubble: received on the left, sent on the right with its delivery state per part and, while it
 * is still queued, Cancel (and Send now when it waits for a later time); a received one can be marked
 * read or unread and deleted (the inbox; its event stays in the journal); Details opens what the agent
 * knows of it (GET /sms/messages/:id: parts with references, times, what the rules did).
 * @param {any} m
 * @param {BubbleActions | ((m: any, button: HTMLButtonElement) => void)} on
 */
export function bubble(m, on) {
  const actions = typeof on === 'function' ? { cancel: on } : on;
  const out = m.direction === 'outbound';
  const facts = out ? outboundFacts(m) : [];
  const parts = out && m.parts > 1 && m.partDetails?.length
    ? h('ol', { class: 'parts', 'aria-label': 'Parts' }, ...m.partDetails.map((/** @type {any} */ p) =>
        h('li', { class: `badge s-${p.status}` }, `part ${p.part}: ${p.status}`)))
    : null;
  const queued = out && m.status === 'queued';
  const cancel = queued
    ? /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'ghost small danger', 'data-key': `cancel-${m.id}`, onclick: () => actions.cancel(m, /** @type {HTMLButtonElement} */ (cancel)) }, 'Cancel'))
    : null;
  const sendNow = queued && m.sendAt && actions.sendNow
    ? /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'ghost small', 'data-key': `now-${m.id}`, onclick: () => actions.sendNow?.(m, /** @type {HTMLButtonElement} */ (sendNow)) }, 'Send now'))
    : null;
  const read = !out && actions.read
    ? /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'ghost small', 'data-key': `read-${m.id}`, onclick: () => actions.read?.(m, /** @type {HTMLButtonElement} */ (read)) }, m.readAt ? 'Mark unread' : 'Mark read'))
    : null;
  const remove = !out && actions.remove
    ? /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'ghost small danger', 'data-key': `delete-${m.id}`, onclick: () => actions.remove?.(m, /** @type {HTMLButtonElement} */ (remove)) }, 'Delete'))
    : null;
  const shown = actions.detail?.(m.id);
  const details = actions.details
    ? h('button', { type: 'button', class: 'ghost small', 'data-key': `details-${m.id}`, 'aria-expanded': shown ? 'true' : 'false', onclick: () => actions.details?.(m) }, shown ? 'Hide details' : 'Details')
    : null;
  return h('li', { class: `bubble ${out ? 'out' : 'in'}`, 'data-id': m.id, 'data-dir': m.direction },
    h('p', { class: 'text' }, showText(m)),
    h('div', { class: 'line meta small' },
      out ? badge(m.status) : m.incomplete ? badge('incomplete') : null,
      h('span', { class: 'muted' }, `${m.parts} part${m.parts === 1 ? '' : 's'} · ${m.encoding}`),
      time(messageTime(m))),
    facts.length ? h('p', { class: 'muted small facts-line', 'data-role': 'facts' }, facts.join(' · ')) : null,
    parts,
    cancel || sendNow || read || remove || details ? h('span', { class: 'actions' }, sendNow, cancel, read, remove, details) : null,
    shown ? messageDetail(shown) : null);
}

/** @param {string | null | undefined} iso */
const when = (iso) => (iso ? new Date(iso).toLocaleString() : null);

/**
 * One message as GET /sms/messages/:id gives it: its facts, each part's reference and state, and what
 * the rules plugin did with it (blocked, tags, per event the rules that matched and each action).
 * @param {any} d the message, or { loading } / { error }
 */
export function messageDetail(d) {
  if (d.loading) return h('div', { class: 'detail muted small', 'data-role': 'detail' }, 'Loading…');
  if (d.error) return h('div', { class: 'detail error small', 'data-role': 'detail' }, `Could not load it: ${d.error}`);
  const out = d.direction === 'outbound';
  const facts = /** @type {[string, string | null | undefined][]} */ ([
    ['Id', d.id],
    [out ? 'To' : 'From', showNumber(out ? d.to : d.from)],
    ['Modem', d.modem ?? 'any'],
    ...(out
      ? /** @type {[string, string | null | undefined][]} */ ([
          ['Priority', d.priority], ['Reference', d.clientRef], ['Created', when(d.createdAt)], ['Send at', when(d.sendAt)],
          ['Sent', when(d.sentAt)], ['Delivered', when(d.deliveredAt)], ['Failed', d.error ? `${d.error.code ?? ''} ${d.error.message ?? ''}`.trim() : null],
          ['Cancelled', when(d.cancelledAt)], ['Held', d.held ? `${d.held}${d.heldUntil ? ` until ${when(d.heldUntil)}` : ''}` : null],
        ])
      : /** @type {[string, string | null | undefined][]} */ ([['Received', when(d.receivedAt)], ['Read', when(d.readAt)], ['SMSC', d.smsc ? showNumber(d.smsc) : null]])),
  ]).filter(([, v]) => v !== null && v !== undefined && v !== '');
  const parts = out && d.partDetails?.length
    ? h('table', { class: 'log', 'data-role': 'parts' },
        h('thead', null, h('tr', null, ...['Part', 'Reference', 'State'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', null, ...d.partDetails.map((/** @type {any} */ p) => h('tr', null, h('td', null, String(p.part)), h('td', null, p.mr === null ? '—' : String(p.mr)), h('td', null, p.status)))))
    : null;
  return h('div', { class: 'detail small', 'data-role': 'detail' },
    h('dl', { class: 'facts' }, ...facts.flatMap(([k, v]) => [h('dt', null, k), h('dd', null, String(v))])),
    parts,
    d.rules ? rulesDetail(d.rules) : null);
}

/** @param {any} r the message's `rules` */
function rulesDetail(r) {
  const head = [r.blocked ? 'blocked by a rule' : 'not blocked', r.tags?.length ? `tags: ${r.tags.join(', ')}` : ''].filter(Boolean).join(' · ');
  return h('div', { class: 'rules', 'data-role': 'rules' },
    h('p', null, h('strong', null, 'Rules'), ` ${head}`),
    ...(r.results ?? []).map((/** @type {any} */ e) => h('div', { 'data-event': e.eventType },
      h('p', { class: 'muted' }, `${e.eventType}: ${e.matched.length ? `matched ${e.matched.join(', ')}` : 'no rule matched'}`),
      e.actions.length
        ? h('ul', { class: 'checks' }, ...e.actions.map((/** @type {any} */ a) => h('li', { 'data-action': a.key },
            badge(a.status), ' ', h('strong', null, `${a.rule}: ${a.action}`), a.target ? ` → ${a.target}` : '',
            h('span', { class: 'muted' }, ` · ${a.attempts} attempt${a.attempts === 1 ? '' : 's'}`),
            a.reason ? ` · ${a.reason}` : '', a.messageId ? ` · reply ${a.messageId}` : '')))
        : null)));
}

/**
 * A search result: who, direction, state, text.
 * @param {any} m
 * @param {(m: any, button: HTMLButtonElement) => void} cancel
 * @param {(m: any) => void} openThread
 */
export function resultItem(m, cancel, openThread) {
  const out = m.direction === 'outbound';
  const number = out ? m.to : m.from;
  const facts = out ? outboundFacts(m) : [];
  const button = out && m.status === 'queued'
    ? /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'ghost small danger', 'data-key': `rcancel-${m.id}`, onclick: () => cancel(m, /** @type {HTMLButtonElement} */ (button)) }, 'Cancel'))
    : null;
  return h('li', { class: 'item', 'data-id': m.id, 'data-dir': m.direction },
    h('div', { class: 'line' },
      h('span', { class: 'muted small' }, out ? 'To' : 'From'),
      h('button', { type: 'button', class: 'linkish who', 'data-key': `open-${m.id}`, onclick: () => openThread(m) }, showNumber(number)),
      out ? badge(m.status) : badge('received'),
      time(messageTime(m))),
    h('p', { class: 'text' }, showText(m)),
    h('div', { class: 'meta muted small' }, [`${m.parts} part${m.parts === 1 ? '' : 's'} · ${m.encoding} · ${m.modem ?? 'any modem'}`, ...facts].join(' · ')),
    button);
}
