// Access on the operator page: which key is signed in and what it may do (GET /auth), and for admin
// keys the API keys (list, create with the key shown once, revoke) and the audit log, paged.
// Everything from the agent goes in as text nodes; every request goes through call() (apiUrl()).
import { call, getKey, setKey } from './api.js';
import { ago } from './format.js';
import { h, replace } from './render.js';

/** Audit entries per page. */
const PAGE = 25;
/** How often the newest page of the audit log is read again while it is shown (calls from elsewhere). */
const AUDIT_REFRESH_MS = 30_000;

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * What a key may do, in words: the page says it once in the header so a refused action is no surprise.
 * @param {string[]} scopes
 */
export function scopeWords(scopes) {
  if (scopes.includes('admin')) return 'admin: everything';
  if (scopes.includes('send') && scopes.includes('read')) return 'may read and send';
  if (scopes.includes('send')) return 'may send, not read';
  if (scopes.includes('read')) return 'read only: sending and changes are refused';
  return 'may do nothing';
}

/**
 * Builds the Access section (hidden until an admin signs in) and the "signed in as" line.
 * @param {{ act: (out: HTMLElement, button: HTMLButtonElement | null, work: () => Promise<string>) => Promise<void> }} deps
 *   `act` runs a request and writes its outcome (or the API's error message) into `out`
 */
export function access(deps) {
  const who = h('p', { id: 'whoami', class: 'link', hidden: true });
  $('open-mode').after(who);
  const navLink = h('a', { href: '#access', hidden: true }, 'Access');
  $('nav').append(navLink);

  const keysList = h('ul', { id: 'keys-list', class: 'list' });
  const result = h('p', { id: 'keys-result', class: 'result', role: 'status', 'aria-live': 'polite' });
  const onceValue = h('code', { id: 'key-once-value' });
  const once = h('p', { id: 'key-once', class: 'secret-once', hidden: true }, h('span', null, 'New key, shown this once: copy it now.'), ' ', onceValue, ' ',
    h('button', { type: 'button', class: 'ghost small', onclick: () => forgetOnce() }, 'Done'));
  const name = /** @type {HTMLInputElement} */ (h('input', { id: 'key-name', type: 'text', required: true, maxlength: 64, autocomplete: 'off', spellcheck: 'false', autocapitalize: 'off', placeholder: 'grafana' }));
  /** @param {string} scope @param {string} words */
  const scopeBox = (scope, words) => h('label', { class: 'check' }, h('input', { type: 'checkbox', name: 'key-scope', value: scope, checked: scope === 'read' }), ` ${scope} `, h('span', { class: 'muted small' }, words));
  const perMinute = /** @type {HTMLInputElement} */ (h('input', { id: 'key-rate', type: 'number', min: 1, max: 100000, step: 1, inputmode: 'numeric' }));
  const form = h('form', { id: 'key-form', novalidate: true },
    h('label', { for: 'key-name' }, 'Name ', h('span', { class: 'muted small' }, '(letters, digits, “.”, “_” or “-”)')), name,
    h('fieldset', { id: 'key-scopes', class: 'scopes' }, h('legend', null, 'Scopes'),
      scopeBox('read', '(health, lists, messages)'), scopeBox('send', '(send, USSD, cancel)'), scopeBox('admin', '(everything: keys, webhooks, modems)')),
    h('label', { for: 'key-rate' }, 'Rate limit ', h('span', { class: 'muted small' }, '(requests per minute; empty: the agent’s)')), perMinute,
    h('button', { type: 'submit', id: 'key-submit' }, 'Create key'));

  const auditKey = /** @type {HTMLSelectElement} */ (h('select', { id: 'audit-key' }, h('option', { value: '' }, 'All keys')));
  const auditList = h('ul', { id: 'audit-list', class: 'list' });
  const auditResult = h('p', { id: 'audit-result', class: 'result', role: 'status', 'aria-live': 'polite' });
  const more = /** @type {HTMLButtonElement} */ (h('button', { id: 'audit-more', type: 'button', class: 'small', hidden: true }, 'Load older'));
  const refresh = /** @type {HTMLButtonElement} */ (h('button', { id: 'audit-refresh', type: 'button', class: 'ghost small' }, 'Refresh'));

  const section = h('section', { class: 'card wide', id: 'access', 'aria-labelledby': 'h-access', hidden: true },
    h('h2', { id: 'h-access' }, 'Access'),
    h('h3', null, 'API keys'), result, once, keysList,
    h('details', { id: 'key-add' }, h('summary', null, 'Create a key'), form),
    h('h3', { id: 'h-audit' }, 'Audit log ', h('span', { class: 'muted small' }, '(who changed what; newest first)')),
    h('div', { class: 'row' }, h('label', { for: 'audit-key', class: 'inline' }, 'Key'), auditKey, refresh),
    auditResult, auditList, more);
  $('dash').append(section);

  /** @type {{ key: string | null, scopes: string[], signal: AbortSignal | null, next: string | null, shown: any[], keys: number }} */
  const state = { key: null, scopes: [], signal: null, next: null, shown: [], keys: 0 };

  function forgetOnce() {
    onceValue.textContent = '';
    once.hidden = true;
  }

  /** @param {any[]} keys */
  function showKeys(keys) {
    const chosen = auditKey.value;
    // A key revoked while its entries are shown stays choosable: its entries are still in the log.
    const names = keys.map((k) => k.name);
    if (chosen && !names.includes(chosen)) names.push(chosen);
    auditKey.replaceChildren(h('option', { value: '' }, 'All keys'), ...names.map((n) => h('option', { value: n, selected: n === chosen }, n)));
    replace(keysList, keys.length ? keys.map(keyItem) : [h('li', { class: 'muted empty' }, 'No keys: the API is open on this machine.')]);
  }

  /** @param {any} k */
  function keyItem(k) {
    const limit = k.rateLimit ? `${k.rateLimit.perMinute} requests/min` : 'the agent’s rate limit';
    // Keys from the config are changed where they are defined (agent.config.ts and its variable).
    const revoke = k.source === 'api'
      ? h('button', { type: 'button', class: 'ghost small', 'data-key': `revoke-${k.name}`, onclick: (/** @type {Event} */ e) => revokeKey(k.name, /** @type {HTMLButtonElement} */ (e.currentTarget)) }, 'Revoke')
      : null;
    return h('li', { class: 'item', 'data-name': k.name },
      h('div', { class: 'line' }, h('span', { class: 'who' }, k.name), ...k.scopes.map((/** @type {string} */ s) => h('span', { class: `badge scope-${s}` }, s)),
        k.name === state.key ? h('span', { class: 'muted small' }, '(this key)') : null,
        k.createdAt ? h('time', { datetime: k.createdAt, title: new Date(k.createdAt).toLocaleString() }, ago(k.createdAt)) : null),
      h('div', { class: 'meta muted small' }, [k.source === 'config' ? 'from the config' : `${k.prefix}…`, limit].join(' · '), revoke ? ' ' : null, revoke));
  }

  /** @param {any} e */
  function auditItem(e) {
    const outcome = e.code ? `${e.status} ${e.code}` : String(e.status);
    return h('li', { class: `item${e.status >= 400 ? ' d-failed' : ''}`, 'data-audit': e.id },
      h('div', { class: 'line' }, h('span', { class: 'who' }, e.key ?? 'no key'), h('code', null, `${e.method} ${e.route}`),
        h('span', { class: `badge ${e.status >= 400 ? 's-failed' : 's-sent'}` }, outcome),
        h('time', { datetime: e.at, title: new Date(e.at).toLocaleString() }, ago(e.at))),
      h('div', { class: 'meta muted small' }, [e.target ? `on ${e.target}` : null, e.client ? `from ${e.client}` : null, `request ${e.requestId}`].filter(Boolean).join(' · ')));
  }

  async function loadKeys() {
    const { items } = await call('keys', { signal: state.signal ?? undefined });
    state.keys = items.length;
    showKeys(items);
  }

  /** @param {boolean} older the next page after those shown, else the newest page again */
  async function loadAudit(older) {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (older && state.next) q.set('cursor', state.next);
    if (auditKey.value) q.set('key', auditKey.value);
    const page = await call(`audit?${q}`, { signal: state.signal ?? undefined });
    state.shown = older ? [...state.shown, ...page.items] : page.items;
    state.next = page.next;
    replace(auditList, state.shown.length ? state.shown.map(auditItem) : [h('li', { class: 'muted empty' }, 'Nothing recorded yet.')]);
    more.hidden = !page.next;
  }

  /** @param {string} keyName @param {HTMLButtonElement} button */
  function revokeKey(keyName, button) {
    if (!window.confirm(`Revoke the key “${keyName}”? Programs using it are refused at once.`)) return;
    void deps.act(result, button, async () => {
      await call(`keys/${encodeURIComponent(keyName)}`, { method: 'DELETE' });
      await Promise.all([loadKeys(), loadAudit(false)]);
      return `Revoked “${keyName}”.`;
    });
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const scopes = [...form.querySelectorAll('input[name="key-scope"]:checked')].map((i) => /** @type {HTMLInputElement} */ (i).value);
    const rate = perMinute.value.trim();
    /** @type {Record<string, unknown>} */
    const json = { name: name.value.trim(), scopes };
    if (rate) json.rateLimit = { perMinute: Number(rate) };
    forgetOnce();
    void deps.act(result, /** @type {HTMLButtonElement} */ ($('key-submit')), async () => {
      const wasOpen = state.keys === 0 && getKey() === null;
      const created = await call('keys', { method: 'POST', json });
      onceValue.textContent = created.key;
      once.hidden = false;
      // The first key closes an open API: this tab goes on with it (it is an admin key), or the next
      // request would be refused and sign the page out with the key still unread.
      if (wasOpen) setKey(created.key);
      name.value = '';
      perMinute.value = '';
      await Promise.all([loadKeys(), loadAudit(false)]);
      return `Created “${created.name}” (${created.scopes.join(', ')}).${wasOpen ? ' From now on the API needs a key; this tab uses this one.' : ''}`;
    });
  });
  more.addEventListener('click', () => void deps.act(auditResult, more, async () => (await loadAudit(true), '')));
  refresh.addEventListener('click', () => void deps.act(auditResult, refresh, async () => (await loadAudit(false), '')));
  auditKey.addEventListener('change', () => void deps.act(auditResult, null, async () => (await loadAudit(false), '')));

  return {
    /**
     * After sign-in: asks the agent what this key may do, says it, and opens the admin view for admins.
     * @param {AbortSignal} signal ends with the session
     */
    async enter(signal) {
      state.signal = signal;
      const auth = await call('auth', { signal });
      state.key = auth.key;
      state.scopes = auth.scopes;
      // Without a key (open on loopback, or Home Assistant's Ingress) the header says so already.
      who.hidden = auth.key === null;
      who.textContent = auth.key === null ? '' : `Key “${auth.key}”: ${scopeWords(auth.scopes)}`;
      who.dataset.scopes = auth.scopes.join(' ');
      document.body.dataset.scopes = auth.scopes.join(' ');
      const admin = auth.scopes.includes('admin');
      section.hidden = !admin;
      navLink.hidden = !admin;
      if (!admin) return;
      await Promise.all([loadKeys(), loadAudit(false)]);
      if (signal.aborted) return;
      // Other programs' calls appear without a click, unless the operator is reading older pages.
      const timer = setInterval(() => {
        if (state.shown.length <= PAGE && !document.hidden) loadAudit(false).catch(() => {});
      }, AUDIT_REFRESH_MS);
      signal.addEventListener('abort', () => clearInterval(timer), { once: true });
    },
    /** On sign-out: nothing of the last session stays on the page. */
    leave() {
      state.signal = null;
      state.key = null;
      state.scopes = [];
      state.shown = [];
      state.next = null;
      who.hidden = true;
      who.textContent = '';
      delete document.body.dataset.scopes;
      section.hidden = true;
      navLink.hidden = true;
      forgetOnce();
      result.textContent = '';
      auditResult.textContent = '';
      keysList.replaceChildren();
      auditList.replaceChildren();
    },
  };
}
