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
  const held = m.held;
  if (!held) return '';
  if (typeof held === 'string') return `held: ${held}`;
  const until = held.until ?? held.at;
  return `held: ${held.reason ?? 'waiting'}${until ? ` until ${new Date(until).toLocaleString()}` : ''}`;
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
 * A chat bubble: received on the left, sent on the right with its delivery state and, while it is
 * still queued, a Cancel button.
 * @param {any} m
 * @param {(m: any, button: HTMLButtonElement) => void} cancel
 */
export function bubble(m, cancel) {
  const out = m.direction === 'outbound';
  const facts = out ? outboundFacts(m) : [];
  const parts = out && m.parts > 1 && m.partDetails?.length
    ? h('ol', { class: 'parts', 'aria-label': 'Parts' }, ...m.partDetails.map((/** @type {any} */ p) =>
        h('li', { class: `badge s-${p.status}`, title: p.reportText ?? '' }, `part ${p.part}: ${p.status}`)))
    : null;
  const button = out && m.status === 'queued'
    ? /** @type {HTMLButtonElement} */ (h('button', { type: 'button', class: 'ghost small danger', 'data-key': `cancel-${m.id}`, onclick: () => cancel(m, /** @type {HTMLButtonElement} */ (button)) }, 'Cancel'))
    : null;
  return h('li', { class: `bubble ${out ? 'out' : 'in'}`, 'data-id': m.id, 'data-dir': m.direction },
    h('p', { class: 'text' }, showText(m)),
    h('div', { class: 'line meta small' },
      out ? badge(m.status) : m.incomplete ? badge('incomplete') : null,
      h('span', { class: 'muted' }, `${m.parts} part${m.parts === 1 ? '' : 's'} · ${m.encoding}`),
      time(messageTime(m))),
    facts.length ? h('p', { class: 'muted small facts-line', 'data-role': 'facts' }, facts.join(' · ')) : null,
    parts,
    button);
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
