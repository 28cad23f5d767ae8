// Conversations: the thread list (search, paging as you scroll), one thread (older messages as you
// scroll up), reply, a new message to several numbers, send later and cancel.
import { ApiFailure, call } from './api.js';
import { localToIso, mergeNewest, parseRecipients } from './format.js';
import { bubble, showNumber, threadItem } from './messages.js';
import { h, replace } from './render.js';

const PAGE = 30;

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @param {string} id */
const input = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id));

/**
 * @typedef {{ act: (out: HTMLElement, button: HTMLButtonElement | null, work: () => Promise<string>) => Promise<void>, changed: () => void }} Deps
 */

/**
 * Calls `load` whenever `sentinel` scrolls into view inside `root` (and once now if it is in view).
 * @param {Element} root
 * @param {Element} sentinel
 * @param {() => void} load
 */
function whenVisible(root, sentinel, load) {
  const seen = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting)) load();
  }, { root, rootMargin: '80px' });
  seen.observe(sentinel);
  return () => seen.disconnect();
}

/** @param {Deps} deps */
export function conversations(deps) {
  const state = {
    threads: /** @type {any[]} */ ([]),
    threadsNext: /** @type {string | null} */ (null),
    q: '',
    open: /** @type {{ number: string, modem: string } | null} */ (null),
    messages: /** @type {any[]} */ ([]),
    messagesNext: /** @type {string | null} */ (null),
    loadingMore: false,
    loadingOlder: false,
    stopThreadsWatch: () => {},
    stopOlderWatch: () => {},
  };
  const key = (/** @type {{ number: string, modem: string }} */ t) => `${t.modem}\n${t.number}`;

  const threadsQuery = (/** @type {string | null} */ cursor) =>
    `sms/threads?limit=${PAGE}${state.q ? `&q=${encodeURIComponent(state.q)}` : ''}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
  const threadQuery = (/** @type {{ number: string, modem: string }} */ t, /** @type {string | null} */ cursor) =>
    `sms/threads/messages?number=${encodeURIComponent(t.number)}&modem=${encodeURIComponent(t.modem)}&limit=${PAGE}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;

  function renderThreads() {
    state.stopThreadsWatch();
    const ul = $('threads');
    const items = state.threads.map((t) => threadItem(t, state.open !== null && key(t) === key(state.open), openThread));
    if (!items.length) items.push(h('li', { class: 'muted empty' }, state.q ? 'No conversation matches.' : 'No messages yet.'));
    if (state.threadsNext) {
      const more = h('li', { class: 'more' }, h('button', { type: 'button', class: 'ghost small', 'data-key': 'threads-more', onclick: () => void moreThreads() }, 'Load more'));
      items.push(more);
      replace(ul, items);
      state.stopThreadsWatch = whenVisible(ul, more, () => void moreThreads());
    } else replace(ul, items);
  }

  /** The first page again (a search, or something happened): pages loaded beyond it stay. */
  async function loadThreads(fresh = false) {
    const q = state.q;
    const page = await call(threadsQuery(null));
    if (q !== state.q) return;
    if (fresh) {
      state.threads = page.items;
      state.threadsNext = page.next;
    } else {
      const byKey = new Map(state.threads.map((t) => [key(t), t]));
      for (const t of page.items) byKey.set(key(t), t);
      state.threads = [...byKey.values()].sort((a, b) => (a.last.id < b.last.id ? 1 : a.last.id > b.last.id ? -1 : 0));
      if (!state.threadsNext || state.threads.length <= page.items.length) state.threadsNext = page.next;
    }
    renderThreads();
  }

  async function moreThreads() {
    if (state.loadingMore || !state.threadsNext) return;
    state.loadingMore = true;
    try {
      const q = state.q;
      const page = await call(threadsQuery(state.threadsNext));
      if (q !== state.q) return;
      const known = new Set(state.threads.map(key));
      state.threads.push(...page.items.filter((/** @type {any} */ t) => !known.has(key(t))));
      state.threadsNext = page.next;
      renderThreads();
    } finally {
      state.loadingMore = false;
    }
  }

  /** Messages whose details are open, with what was loaded (GET /sms/messages/:id). */
  const details = new Map();

  /** @param {string} id */
  async function loadDetail(id) {
    try {
      const d = await call(`sms/messages/${encodeURIComponent(id)}`);
      if (details.has(id)) details.set(id, d);
    } catch (error) {
      if (details.has(id)) details.set(id, { error: /** @type {Error} */ (error).message });
    }
    renderThread();
  }

  /** @param {any} m */
  function toggleDetails(m) {
    if (details.has(m.id)) details.delete(m.id);
    else {
      details.set(m.id, { loading: true });
      void loadDetail(m.id);
    }
    renderThread();
  }

  /** A message waiting for its sendAt goes now (PATCH sendAt null). @param {any} m @param {HTMLButtonElement} button */
  function sendNow(m, button) {
    void deps.act($('reply-result'), button, async () => {
      await call(`sms/messages/${encodeURIComponent(m.id)}`, { method: 'PATCH', json: { sendAt: null } });
      await refresh();
      deps.changed();
      return 'Sending now instead of at the time set.';
    });
  }

  /** A received message marked read, or unread again (PATCH read). @param {any} m @param {HTMLButtonElement} button */
  function markRead(m, button) {
    void deps.act($('reply-result'), button, async () => {
      await call(`sms/messages/${encodeURIComponent(m.id)}`, { method: 'PATCH', json: { read: !m.readAt } });
      await refresh();
      return m.readAt ? 'Marked unread.' : 'Marked read.';
    });
  }

  /** A received message deleted from the inbox (its sms.received event stays in the journal). @param {any} m @param {HTMLButtonElement} button */
  function remove(m, button) {
    if (!window.confirm('Delete this received message? It is removed from the inbox; its event stays in the journal.')) return;
    void deps.act($('reply-result'), button, async () => {
      await call(`sms/messages/${encodeURIComponent(m.id)}`, { method: 'DELETE' });
      state.messages = state.messages.filter((x) => x.id !== m.id);
      details.delete(m.id);
      await refresh();
      deps.changed();
      return 'Deleted from the inbox.';
    });
  }

  const actions = { cancel, sendNow, read: markRead, remove, details: toggleDetails, detail: (/** @type {string} */ id) => details.get(id) };

  /** @param {any} m @param {HTMLButtonElement} button */
  function cancel(m, button) {
    if (!window.confirm('Cancel this message? It will not be sent.')) return;
    void deps.act($('reply-result'), button, async () => {
      await call(`sms/messages/${encodeURIComponent(m.id)}`, { method: 'DELETE' });
      await refresh();
      deps.changed();
      return 'Cancelled: it will not be sent.';
    });
  }

  function renderThread(stick = false) {
    state.stopOlderWatch();
    const ol = $('thread');
    const atBottom = ol.scrollHeight - ol.scrollTop - ol.clientHeight < 40;
    const fromBottom = ol.scrollHeight - ol.scrollTop;
    const items = [...state.messages].reverse().map((m) => bubble(m, actions));
    if (state.messagesNext) {
      const older = h('li', { class: 'more' }, h('button', { type: 'button', class: 'ghost small', 'data-key': 'thread-older', onclick: () => void olderMessages() }, 'Load older'));
      items.unshift(older);
      replace(ol, items);
      state.stopOlderWatch = whenVisible(ol, older, () => void olderMessages());
    } else replace(ol, items.length ? items : [h('li', { class: 'muted empty' }, 'No messages.')]);
    // New messages keep the view at the bottom; older ones loaded above keep what was in view.
    if (stick || atBottom) ol.scrollTop = ol.scrollHeight;
    else ol.scrollTop = ol.scrollHeight - fromBottom;
  }

  async function loadThread(stick = false) {
    const t = state.open;
    if (!t) return;
    const page = await call(threadQuery(t, null));
    if (state.open !== t) return;
    const first = !state.messages.length;
    state.messages = mergeNewest(state.messages, page.items);
    if (first) state.messagesNext = page.next;
    renderThread(stick || first);
    // Open details follow the message (a part delivered, a rule's action done).
    for (const [id, d] of details) if (!d.loading) void loadDetail(id);
  }

  async function olderMessages() {
    const t = state.open;
    if (!t || state.loadingOlder || !state.messagesNext) return;
    state.loadingOlder = true;
    try {
      const page = await call(threadQuery(t, state.messagesNext));
      if (state.open !== t) return;
      state.messages = mergeNewest(state.messages, page.items);
      state.messagesNext = page.next;
      renderThread();
    } finally {
      state.loadingOlder = false;
    }
  }

  /** @param {{ number: string, modem: string }} t */
  function openThread(t) {
    state.open = { number: t.number, modem: t.modem };
    state.messages = [];
    state.messagesNext = null;
    details.clear();
    $('thread-number').textContent = '';
    $('compose-form').hidden = true;
    $('thread-empty').hidden = true;
    $('thread-view').hidden = false;
    $('conv').dataset.open = 'thread';
    $('reply-result').textContent = '';
    showHead();
    replace($('thread'), [h('li', { class: 'muted empty' }, 'Loading…')]);
    renderThreads();
    loadThread(true).catch((/** @type {ApiFailure} */ e) => replace($('thread'), [h('li', { class: 'error' }, `Could not load the conversation: ${e.message}`)]));
  }

  function showHead() {
    if (!state.open) return;
    $('thread-number').textContent = showNumber(state.open.number);
    $('thread-modem').textContent = `via ${state.open.modem}`;
  }

  function closePane() {
    state.open = null;
    $('thread-view').hidden = true;
    $('compose-form').hidden = true;
    $('thread-empty').hidden = false;
    delete $('conv').dataset.open;
    renderThreads();
  }

  $('thread-back').addEventListener('click', closePane);

  let searchTimer = 0;
  $('thread-search').addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = window.setTimeout(() => {
      state.q = input('thread-search').value.trim();
      loadThreads(true).catch(() => {});
    }, 250);
  });

  $('reply-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = state.open;
    if (!t) return;
    const text = /** @type {HTMLTextAreaElement} */ ($('reply-text'));
    void deps.act($('reply-result'), /** @type {HTMLButtonElement} */ (/** @type {SubmitEvent} */ (e).submitter), async () => {
      if (!text.value.trim()) throw new ApiFailure(400, 'invalid_request', 'Write a reply first', 'text');
      const at = input('reply-at').value;
      const sendAt = localToIso(at);
      if (at && !sendAt) throw new ApiFailure(400, 'invalid_request', 'Enter the time to send at', 'sendAt');
      // The reply goes out through the thread's modem: the other side sees the same number answering.
      const r = await call('sms/send', { method: 'POST', json: { to: t.number, text: text.value, modem: t.modem, ...(sendAt ? { sendAt } : {}) } });
      text.value = '';
      input('reply-at').value = '';
      await refresh(true);
      deps.changed();
      return sendAt ? `Scheduled for ${new Date(sendAt).toLocaleString()} (${r.parts} part${r.parts === 1 ? '' : 's'}).` : `Queued (${r.parts} part${r.parts === 1 ? '' : 's'}, ${r.encoding}).`;
    });
  });

  const composeText = /** @type {HTMLTextAreaElement} */ ($('compose-text'));
  composeText.addEventListener('input', () => {
    $('compose-count').textContent = `${composeText.value.length} character${composeText.value.length === 1 ? '' : 's'}`;
  });
  $('compose-open').addEventListener('click', () => {
    state.open = null;
    $('thread-view').hidden = true;
    $('thread-empty').hidden = true;
    $('compose-form').hidden = false;
    $('compose-result').textContent = '';
    $('conv').dataset.open = 'compose';
    renderThreads();
    $('compose-to').focus();
  });
  $('compose-cancel').addEventListener('click', closePane);
  $('compose-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void deps.act($('compose-result'), /** @type {HTMLButtonElement} */ (/** @type {SubmitEvent} */ (e).submitter), async () => {
      const to = parseRecipients(/** @type {HTMLTextAreaElement} */ ($('compose-to')).value);
      if (!to.length) throw new ApiFailure(400, 'invalid_request', 'Enter at least one number', 'to');
      if (!composeText.value.trim()) throw new ApiFailure(400, 'invalid_request', 'Enter a text', 'text');
      const at = input('compose-at').value;
      const sendAt = localToIso(at);
      if (at && !sendAt) throw new ApiFailure(400, 'invalid_request', 'Enter the time to send at', 'sendAt');
      const modem = /** @type {HTMLSelectElement} */ ($('compose-modem')).value;
      const r = await call('sms/send', {
        method: 'POST',
        json: { to: to.length === 1 ? to[0] : to, text: composeText.value, deliveryReport: input('compose-report').checked, ...(modem ? { modem } : {}), ...(sendAt ? { sendAt } : {}) },
      });
      const list = Array.isArray(r) ? r : [r];
      composeText.value = '';
      composeText.dispatchEvent(new Event('input'));
      /** @type {HTMLTextAreaElement} */ ($('compose-to')).value = '';
      input('compose-at').value = '';
      await loadThreads().catch(() => {});
      deps.changed();
      const n = list.length;
      return `${sendAt ? `Scheduled for ${new Date(sendAt).toLocaleString()}` : 'Queued'}: ${n} message${n === 1 ? '' : 's'} (${list[0].parts} part${list[0].parts === 1 ? '' : 's'} each).`;
    });
  });

  /** Reloads the first page of the list and of the open thread (live updates). */
  async function refresh(stick = false) {
    await Promise.all([loadThreads(), loadThread(stick)]);
  }

  return {
    refresh,
    /** Opens the thread of a message found in the search. @param {any} m */
    openFor(m) {
      openThread({ number: m.direction === 'outbound' ? m.to : m.from, modem: m.modem });
      $('conversations').scrollIntoView({ block: 'start' });
    },
    /** Renders again (the privacy switch changed). */
    rerender() {
      renderThreads();
      if (state.open) {
        showHead();
        renderThread();
      }
    },
    /** @param {{ id: string }[]} modems */
    setModems(modems) {
      const select = /** @type {HTMLSelectElement} */ ($('compose-modem'));
      const ids = modems.map((m) => m.id);
      const have = [...select.options].slice(1).map((o) => o.value);
      if (ids.join('\n') === have.join('\n')) return;
      const chosen = select.value;
      select.replaceChildren(h('option', { value: '' }, 'Any online modem'), ...ids.map((id) => h('option', { value: id }, id)));
      select.value = ids.includes(chosen) ? chosen : '';
    },
  };
}
