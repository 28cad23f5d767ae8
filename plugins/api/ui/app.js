// The operator page: sign-in, panels, forms, and live updates (the event stream, else polling).
import { access } from './admin.js';
import { ApiFailure, call, clearKey, getKey, setKey, stream, whenUnauthorized } from './api.js';
import { failedFirst, parseHeaderLines, successRates } from './format.js';
import { conversations } from './conversations.js';
import { privacy } from './messages.js';
import { renderCalls, renderDeliveries, renderHooks, renderModems, renderReports, renderSmpp, renderStatus, webhookCounts } from './render.js';
import { search } from './search.js';

/** Polling period while the event stream is down, and the slow refresh while it is up. */
const POLL_MS = 10_000;
const SAFETY_MS = 60_000;
/** A stream that brought nothing (not even a status snapshot) for this long is stale. */
const STALE_MS = 30_000;

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const state = {
  history: /** @type {Map<string, { at: string, dbm: number | null }[]>} */ (new Map()),
  /** GET /modems per id: SIM storage, network type, today's counts. */
  details: /** @type {Map<string, any>} */ (new Map()),
  /** Paths the agent serves (from /openapi.json): panels for absent plugins stay hidden. */
  paths: /** @type {Set<string>} */ (new Set()),
  modems: /** @type {any[]} */ ([]),
  webhookCounts: '',
  live: false,
  /** No key is needed (the API is open on loopback): no sign-in, no log-out. */
  open: false,
  /** Doctor reports per modem, from the page's Run checks. */
  doctor: /** @type {Map<string, any>} */ (new Map()),
  /** Per modem, a Check balance under way or its failure. */
  balanceChecks: /** @type {Map<string, { running?: boolean, error?: string }>} */ (new Map()),
  /** Aborts the stream and timers on sign-out. */
  session: /** @type {AbortController | null} */ (null),
};

// --- sign-in -------------------------------------------------------------------------------------

// Under Home Assistant's Ingress (the agent marks the page so), Home Assistant has signed the user in.
const ingress = document.documentElement.dataset.auth === 'ingress';

function showLogin(message = '') {
  state.session?.abort();
  state.session = null;
  accessView.leave();
  $('dash').hidden = true;
  $('logout').hidden = true;
  $('privacy-box').hidden = true;
  $('nav').hidden = true;
  $('open-mode').hidden = true;
  $('link').hidden = true;
  $('agent').textContent = '';
  $('login').hidden = false;
  $('login-error').textContent = message;
  /** @type {HTMLInputElement} */ ($('key')).value = '';
  $('key').focus();
}

whenUnauthorized(() => {
  clearKey();
  showLogin('The agent refused the key. Sign in again.');
});

$('login-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const key = /** @type {HTMLInputElement} */ ($('key')).value.trim();
  $('login-error').textContent = '';
  try {
    const doc = await call('openapi.json', { key: key || null });
    setKey(key);
    await enter(doc);
  } catch (error) {
    const f = /** @type {ApiFailure} */ (error);
    $('login-error').textContent = f.status === 401 ? 'The agent refused this key.' : `Cannot sign in: ${f.message}`;
  }
});

$('logout').addEventListener('click', () => {
  clearKey();
  showLogin('Signed out.');
});

// The privacy switch: numbers masked and texts hidden on a shared screen; remembered on this browser.
const PRIVACY = 'smsedge.privacy';
const privacyBox = /** @type {HTMLInputElement} */ ($('privacy'));
privacy.on = localStorage.getItem(PRIVACY) === '1';
privacyBox.checked = privacy.on;
privacyBox.addEventListener('change', () => {
  privacy.on = privacyBox.checked;
  if (privacy.on) localStorage.setItem(PRIVACY, '1');
  else localStorage.removeItem(PRIVACY);
  document.body.classList.toggle('private', privacy.on);
  conv.rerender();
  finder.rerender();
  schedule('reports', 'calls');
});
document.body.classList.toggle('private', privacy.on);

/** @param {any} [doc] the OpenAPI document, when the sign-in fetched it already */
async function enter(doc) {
  doc ??= await call('openapi.json');
  state.paths = new Set(Object.keys(doc.paths ?? {}));
  state.session?.abort();
  const session = new AbortController();
  state.session = session;
  $('login').hidden = true;
  $('dash').hidden = false;
  $('logout').hidden = ingress || state.open;
  $('open-mode').hidden = !state.open;
  $('privacy-box').hidden = false;
  $('nav').hidden = false;
  $('sim-card').hidden = !state.paths.has('/simulator/sms');
  $('sim-call').hidden = !state.paths.has('/simulator/call');
  for (const name of Object.keys(loaders)) schedule(/** @type {Panel} */ (name));
  void finder.run().catch(() => {});
  live(session.signal);
  // Who is signed in and what the key may do; keys and the audit log for admin keys (admin.js).
  void accessView.enter(session.signal).catch(() => {});
}

// --- loading panels ------------------------------------------------------------------------------

/** @typedef {'status' | 'modems' | 'history' | 'threads' | 'results' | 'reports' | 'calls' | 'webhooks'} Panel */

/** @type {Record<Panel, () => Promise<void>>} */
const loaders = {
  async status() {
    // A failing agent answers 503 with the same details: the page shows why (a modem's reason).
    const health = await call('health', { allow: [503] });
    showStatus(health);
  },
  async modems() {
    if (!state.paths.has('/modems')) return;
    const { items } = await call('modems');
    state.details = new Map(items.map((/** @type {any} */ m) => [m.id, m]));
    showModems();
  },
  async history() {
    if (!state.paths.has('/modems/signal-history')) return;
    const { items } = await call('modems/signal-history');
    state.history = new Map(items.map((/** @type {any} */ i) => [i.modem, i.samples]));
    showModems();
  },
  async threads() {
    if (!state.paths.has('/sms/threads')) return;
    await conv.refresh();
  },
  async results() {
    await finder.refresh();
  },
  async reports() {
    const { items } = await call('sms/delivery-reports?limit=20');
    renderReports($('reports'), items);
  },
  async calls() {
    if (!state.paths.has('/calls')) return;
    const { items } = await call('calls?limit=20');
    renderCalls($('calls'), items);
  },
  async webhooks() {
    if (!state.paths.has('/webhooks')) {
      $('hooks').replaceChildren(Object.assign(document.createElement('li'), { className: 'muted empty', textContent: 'The webhook plugin is not running.' }));
      $('deliveries').replaceChildren();
      return;
    }
    // The newest 200 give the success rates; failed ones are fetched apart so an old failure still shows.
    const load = ++hookLoads;
    // Open attempt logs follow the list (a new attempt, a new wait).
    await Promise.allSettled([...openDeliveries].filter(([, d]) => !d.loading).map(async ([id]) => {
      const d = await call(`sms/webhook-deliveries/${encodeURIComponent(id)}`);
      if (openDeliveries.has(id)) openDeliveries.set(id, d);
    }));
    const [hooks, recent, failed] = await Promise.all([
      call('webhooks'),
      call('sms/webhook-deliveries?limit=200'),
      call('sms/webhook-deliveries?status=failed&limit=50'),
    ]);
    for (const w of hooks.items) remember(w, load);
    renderHooks($('hooks'), hooks.items.map((/** @type {any} */ w) => latestHooks.get(w.id) ?? w), successRates(recent.items), { test: testHook, edit: editHook, replay: replayHook, rotate: rotateHook, toggle: toggleHook, remove: removeHook });
    renderDeliveries($('deliveries'), failedFirst([...failed.items, ...recent.items]).slice(0, 50), { retry: retryDelivery, attempts: deliveryAttempts }, openDeliveries);
  },
};

/** @type {Set<Panel>} */
const dirty = new Set();
let timer = 0;
let running = false;

/**
 * Marks panels for reloading; loads happen together a moment later, never two at once.
 * @param {...Panel} panels
 */
function schedule(...panels) {
  for (const p of panels) dirty.add(p);
  if (!timer && !running) timer = window.setTimeout(flush, 100);
}

async function flush() {
  timer = 0;
  if (!state.session) return;
  running = true;
  const panels = [...dirty];
  dirty.clear();
  const results = await Promise.allSettled(panels.map((p) => loaders[p]()));
  running = false;
  const down = results.find((r) => r.status === 'rejected' && /** @type {ApiFailure} */ (r.reason)?.status === 0);
  const other = results.find((r) => r.status === 'rejected' && /** @type {ApiFailure} */ (r.reason)?.status !== 0 && r.reason?.status !== 401);
  notice(down ? 'The agent cannot be reached; showing what was last seen. Retrying…' : other && other.status === 'rejected' ? `Could not load everything: ${other.reason.message}` : '');
  if (down) for (const p of panels) dirty.add(p);
  if (dirty.size) timer = window.setTimeout(flush, down ? POLL_MS : 100);
}

/** @param {string} text */
function notice(text) {
  $('notice').textContent = text;
  $('notice').hidden = !text;
}

/** @param {any} s GET /health details or a status snapshot */
function showStatus(s) {
  state.modems = s.modems ?? [];
  showModems();
  conv.setModems(state.modems);
  finder.setModems(state.modems);
  renderStatus({ queues: $('queues'), lag: $('lag'), plugins: $('plugins'), agent: $('agent') }, s);
  // GET /health carries the SMPP server's sessions; a stream snapshot only its status word: it asks for them.
  const smpp = s.plugins?.smpp;
  if (typeof smpp === 'object') renderSmpp($('smpp-card'), $('smpp'), smpp);
  else if (smpp) schedule('status');
  else renderSmpp($('smpp-card'), $('smpp'), undefined);
  const counts = JSON.stringify(webhookCounts(s) ?? s.webhookBacklog ?? null);
  if (counts !== state.webhookCounts) {
    if (state.webhookCounts) schedule('webhooks');
    state.webhookCounts = counts;
  }
}

// --- live updates --------------------------------------------------------------------------------

/** @param {string} text @param {'live' | 'poll'} kind */
function link(text, kind) {
  $('link').hidden = false;
  $('link').textContent = text;
  $('link').dataset.kind = kind;
}

/** @type {Record<string, Panel[]>} */
const affects = {
  'sms.received': ['threads', 'results', 'webhooks', 'modems'],
  'sms.sent': ['threads', 'results', 'webhooks', 'modems'],
  'sms.delivered': ['threads', 'results', 'reports', 'webhooks'],
  'sms.failed': ['threads', 'results', 'reports', 'webhooks', 'modems'],
  'sms.expired': ['threads', 'results', 'webhooks'],
  'sms.cancelled': ['threads', 'results', 'webhooks'],
  'call.missed': ['calls', 'webhooks'],
  'modem.online': ['status', 'modems', 'history'],
  'modem.offline': ['status', 'modems', 'history'],
  'modem.parked': ['status', 'modems'],
  'modem.unparked': ['status', 'modems'],
  // A scheduled reading (or one from Home Assistant's button) shows without a reload.
  'sim.balance': ['status'],
  'webhook.test': ['webhooks'],
};

/**
 * The event stream, reopened with a growing delay after a drop; polling covers the gaps.
 * @param {AbortSignal} signal
 */
async function live(signal) {
  let delay = 1000;
  let poller = window.setInterval(() => {
    if (!state.live) schedule(...Object.keys(loaders).map((p) => /** @type {Panel} */ (p)));
  }, POLL_MS);
  const safety = window.setInterval(() => schedule('history', 'modems', 'threads', 'webhooks'), SAFETY_MS);
  signal.addEventListener('abort', () => {
    clearInterval(poller);
    clearInterval(safety);
  });
  while (!signal.aborted) {
    const attempt = new AbortController();
    const stop = () => attempt.abort();
    signal.addEventListener('abort', stop);
    let last = Date.now();
    const watchdog = window.setInterval(() => {
      if (Date.now() - last > STALE_MS) attempt.abort();
    }, 5000);
    try {
      await stream({
        signal: attempt.signal,
        onOpen: () => {
          state.live = true;
          delay = 1000;
          link('Live', 'live');
          // Whatever happened while the stream was down.
          schedule('threads', 'results', 'reports', 'calls', 'webhooks', 'history', 'modems');
        },
        onMessage: (m) => {
          last = Date.now();
          if (m.event === 'status') showStatus(m.data);
          else if (m.event === 'agent') schedule(...(affects[m.data.type] ?? []));
        },
      });
    } catch (error) {
      if (/** @type {ApiFailure} */ (error).status === 401) return;
    } finally {
      clearInterval(watchdog);
      signal.removeEventListener('abort', stop);
    }
    state.live = false;
    if (signal.aborted) return;
    link(`Polling every ${POLL_MS / 1000} s (live updates unavailable)`, 'poll');
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 60_000);
  }
}

// --- actions -------------------------------------------------------------------------------------

/**
 * Runs a request from a form or button: disables the button meanwhile and writes the outcome.
 * @param {HTMLElement} out where the outcome goes
 * @param {HTMLButtonElement | null} button
 * @param {() => Promise<string>} work resolves with the success text
 */
async function act(out, button, work) {
  if (button) button.disabled = true;
  out.textContent = 'Working…';
  out.classList.remove('error');
  try {
    out.textContent = await work();
  } catch (error) {
    const f = /** @type {ApiFailure} */ (error);
    out.textContent = `${f.message}${f.field ? ` (${f.field})` : ''}`;
    out.classList.add('error');
  } finally {
    if (button) button.disabled = false;
  }
}

/** @param {Event} e */
const submitter = (e) => /** @type {HTMLButtonElement | null} */ (/** @type {SubmitEvent} */ (e).submitter ?? /** @type {HTMLFormElement} */ (e.target).querySelector('button[type=submit]'));
/** @param {string} id */
const value = (id) => /** @type {HTMLInputElement} */ ($(id)).value.trim();

const conv = conversations({ act, changed: () => schedule('status') });
const finder = search({ act, openThread: (m) => conv.openFor(m), changed: () => schedule('status', 'threads') });
const accessView = access({ act });

function showModems() {
  renderModems($('modems'), state.modems, state.history, { doctor: runDoctor, reports: state.doctor, details: state.details, unpark: state.paths.has('/modems/{id}/unpark') ? unparkModem : undefined, balance: state.paths.has('/modems/{id}/balance') ? checkBalance : undefined, balanceChecks: state.balanceChecks });
}

/**
 * Reads the balance now (a USSD exchange: seconds). The reading comes back with the status; a failure
 * stays under the button until the next check.
 * @param {string} id
 */
function checkBalance(id) {
  state.balanceChecks.set(id, { running: true });
  showModems();
  call(`modems/${encodeURIComponent(id)}/balance`, { method: 'POST' })
    .then(() => state.balanceChecks.delete(id), (/** @type {ApiFailure} */ e) => state.balanceChecks.set(id, { error: e.message }))
    .finally(() => { showModems(); schedule('status'); });
}

/** @param {string} id @param {HTMLButtonElement} button */
function unparkModem(id, button) {
  button.disabled = true;
  call(`modems/${encodeURIComponent(id)}/unpark`, { method: 'POST' })
    .then(() => schedule('status', 'modems'), (/** @type {ApiFailure} */ e) => notice(`Could not unpark ${id}: ${e.message}`))
    .finally(() => { button.disabled = false; });
}

/** @param {string} id @param {HTMLButtonElement} button */
function runDoctor(id, button) {
  button.disabled = true;
  state.doctor.set(id, { running: true });
  showModems();
  call(`modems/${encodeURIComponent(id)}/doctor`)
    .then((r) => state.doctor.set(id, r), (/** @type {ApiFailure} */ e) => state.doctor.set(id, { error: e.message }))
    .finally(() => showModems());
}

/**
 * The newest copy of each webhook the page has seen, from a list load or a save. Edit fills the form
 * in from it: a list that has not reloaded yet after a save (or a load that started before it) would
 * otherwise hand Edit the old settings, and saving them would undo the change.
 */
const latestHooks = new Map();
/** List loads started so far, and for each webhook saved from the page, that count at its save. */
let hookLoads = 0;
const savedAtLoad = new Map();
/** @param {any} w @param {number} [load] the list load that fetched it; none for a save's answer */
function remember(w, load) {
  if (load === undefined) {
    latestHooks.set(w.id, w);
    savedAtLoad.set(w.id, hookLoads);
  } else if ((savedAtLoad.get(w.id) ?? -1) < load) latestHooks.set(w.id, w);
}

const eventBoxes = () => /** @type {HTMLInputElement[]} */ ([...document.querySelectorAll('#hook-events input')]);

/** The webhook the form changes (PATCH), or null: the form adds one. */
let editing = /** @type {any} */ (null);

/** Puts the webhook form in edit mode for `w` (filled in from it), or back to adding one (`null`). */
function hookFormMode(/** @type {any} */ w) {
  editing = w;
  $('hook-editing').hidden = !w;
  $('hook-editing-url').textContent = w ? w.url : '';
  $('hook-submit').textContent = w ? 'Save changes' : 'Add webhook';
  // The API shows a URL without its query and credentials (they may hold a token).
  $('hook-url-hint').hidden = !w;
  $('hook-secret-hint').textContent = w ? '(empty: the current one is kept; one given here replaces it at once)' : '(empty: one is generated and shown once)';
  /** @type {HTMLInputElement} */ ($('hook-url')).value = w ? w.url : '';
  for (const box of eventBoxes()) box.checked = w ? w.events.includes(box.value) : box.value === 'sms.received';
  /** @type {HTMLSelectElement} */ ($('hook-format')).value = w ? w.format : 'standard';
  /** @type {HTMLInputElement} */ ($('hook-secret')).value = '';
  const fill = (/** @type {string} */ id, /** @type {unknown} */ v) => (/** @type {HTMLInputElement} */ ($(id)).value = v === null || v === undefined ? '' : String(v));
  fill('hook-from', w?.filters?.from);
  fill('hook-modem', w?.filters?.modem);
  fill('hook-attempts', w?.maxAttempts);
  fill('hook-timeout', w?.timeoutMs);
  fill('hook-rate', w?.rateLimitPerMinute);
  fill('hook-headers', '');
  // Header values are never shown by the API: the names are listed, and lines typed here replace them all.
  const names = w?.headers?.length ? w.headers.join(', ') : '';
  $('hook-headers-hint').textContent = names ? `(now: ${names}, values not shown; lines given here replace them all)` : '(one “Name: value” per line)';
  $('hook-headers-clear-box').hidden = !names;
  /** @type {HTMLInputElement} */ ($('hook-headers-clear')).checked = false;
  /** @type {HTMLDetailsElement} */ ($('hook-more')).open = Boolean(w && (names || w.filters?.from || w.filters?.modem || w.maxAttempts || w.timeoutMs || w.rateLimitPerMinute));
}

/**
 * The form's "More options" as API fields; each one is sent (null or {} when empty), so an edit that
 * empties a field clears it. Headers are sent only when lines were given or removal was ticked.
 */
function hookOptionFields() {
  /** @param {string} id @param {string} field */
  const int = (id, field) => {
    const raw = value(id);
    // A number field holding something that is no number reads as empty: refuse it rather than clear the option.
    if (/** @type {HTMLInputElement} */ ($(id)).validity.badInput) throw new ApiFailure(400, 'invalid_request', 'Enter a whole number', field);
    if (!raw) return null;
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new ApiFailure(400, 'invalid_request', 'Enter a whole number', field);
    return n;
  };
  const from = value('hook-from');
  const modem = value('hook-modem');
  const parsed = parseHeaderLines(/** @type {HTMLTextAreaElement} */ ($('hook-headers')).value);
  if ('error' in parsed) throw new ApiFailure(400, 'invalid_request', `Extra headers: ${parsed.error}`, 'headers');
  const typed = Object.keys(parsed.headers).length > 0;
  const clear = /** @type {HTMLInputElement} */ ($('hook-headers-clear')).checked;
  return {
    filters: { ...(from ? { from } : {}), ...(modem ? { modem } : {}) },
    maxAttempts: int('hook-attempts', 'maxAttempts'),
    timeoutMs: int('hook-timeout', 'timeoutMs'),
    rateLimitPerMinute: int('hook-rate', 'rateLimitPerMinute'),
    ...(typed ? { headers: parsed.headers } : clear ? { headers: null } : {}),
  };
}

/** @param {any} w a webhook from GET /webhooks */
function editHook(w) {
  hookFormMode(latestHooks.get(w.id) ?? w);
  $('hook-form-result').textContent = '';
  /** @type {HTMLDetailsElement} */ ($('hook-add')).open = true;
  $('hook-url').focus();
}
$('hook-edit-cancel').addEventListener('click', () => {
  hookFormMode(null);
  $('hook-form-result').textContent = '';
});

$('hook-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const once = $('hook-secret-once');
  once.hidden = true;
  $('hook-secret-value').textContent = '';
  void act($('hook-form-result'), submitter(e), async () => {
    const url = value('hook-url');
    if (!url) throw new ApiFailure(400, 'invalid_request', 'Enter the receiver’s URL', 'url');
    const offered = new Set(eventBoxes().map((i) => i.value));
    const events = eventBoxes().filter((i) => i.checked).map((i) => i.value);
    // Editing: events the page offers no box for (`*`, or set through the API) are kept, not dropped unseen.
    const kept = editing ? editing.events.filter((/** @type {string} */ ev) => !offered.has(ev)) : [];
    if (!events.length && !kept.length) throw new ApiFailure(400, 'invalid_request', 'Choose at least one event', 'events');
    const secretInput = /** @type {HTMLInputElement} */ ($('hook-secret'));
    const format = /** @type {HTMLSelectElement} */ ($('hook-format')).value;
    const options = hookOptionFields();
    if (editing) {
      const w = editing;
      // An unchanged URL is not sent: it is the shown one, not the stored one (see hookFormMode).
      const saved = await call(`webhooks/${encodeURIComponent(w.id)}`, {
        method: 'PATCH',
        json: { ...(url === w.url ? {} : { url }), events: [...events, ...kept], format, ...options, ...(secretInput.value ? { secret: secretInput.value } : {}) },
      });
      remember(saved);
      hookFormMode(null);
      schedule('webhooks', 'status');
      return `Saved: ${saved.events.join(', ')} → ${saved.url}`;
    }
    const generated = !secretInput.value;
    const r = await call('webhooks', { method: 'POST', json: { url, events, format, ...options, ...(generated ? {} : { secret: secretInput.value }) } });
    // Back to an empty form (the secret shown once below stays).
    hookFormMode(null);
    // A generated secret is in this answer only: the operator copies it now or rotates it later.
    if (generated && r.secret) {
      $('hook-secret-value').textContent = r.secret;
      once.dataset.id = r.webhook.id;
      once.hidden = false;
    }
    schedule('webhooks');
    return `Added: ${r.webhook.events.join(', ')} → ${r.webhook.url}`;
  });
});

/** @param {any} r UssdResult */
function ussdAnswer(r) {
  $('ussd-reply-form').hidden = !r.sessionOpen;
  if (r.sessionOpen) $('ussd-reply').focus();
  return r.response || '(empty answer)';
}

$('ussd-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void act($('ussd-result'), submitter(e), async () => ussdAnswer(await call('ussd/send', { method: 'POST', json: { code: value('ussd-code') } })));
});
$('ussd-reply-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void act($('ussd-result'), submitter(e), async () => {
    const r = await call('ussd/reply', { method: 'POST', json: { text: value('ussd-reply') } });
    /** @type {HTMLInputElement} */ ($('ussd-reply')).value = '';
    return ussdAnswer(r);
  });
});
$('ussd-cancel').addEventListener('click', () => {
  void act($('ussd-result'), /** @type {HTMLButtonElement} */ ($('ussd-cancel')), async () => {
    await call('ussd/cancel', { method: 'POST' });
    $('ussd-reply-form').hidden = true;
    return 'Session ended.';
  });
});

$('sim-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void act($('sim-result'), submitter(e), async () => {
    await call('simulator/sms', { method: 'POST', json: { from: value('sim-from'), text: value('sim-text') } });
    return 'The simulated network is delivering it; it appears under Received.';
  });
});
$('sim-call').addEventListener('click', () => {
  void act($('sim-result'), /** @type {HTMLButtonElement} */ ($('sim-call')), async () => {
    await call('simulator/call', { method: 'POST', json: { from: value('sim-from') } });
    return 'The modem is ringing; once the caller gives up it is listed under Missed calls.';
  });
});

/** @param {any} r AttemptResult */
const attemptText = (r) =>
  r.status === 'delivered'
    ? `Delivered (HTTP ${r.httpStatus}, ${r.durationMs} ms).`
    : `Not delivered: ${r.outcome}${r.httpStatus ? `, HTTP ${r.httpStatus}` : ''}${r.error ? `, ${r.error}` : ''}.`;

/** Deliveries whose attempt log is open, with what was loaded for each. */
const openDeliveries = new Map();

/** Opens (loading it) or closes a delivery's attempt log. @param {string} id */
function deliveryAttempts(id) {
  if (openDeliveries.has(id)) openDeliveries.delete(id);
  else {
    openDeliveries.set(id, { loading: true });
    void loadAttempts(id);
  }
  schedule('webhooks');
}

/** @param {string} id */
async function loadAttempts(id) {
  try {
    const d = await call(`sms/webhook-deliveries/${encodeURIComponent(id)}`);
    if (openDeliveries.has(id)) openDeliveries.set(id, d);
  } catch (error) {
    if (openDeliveries.has(id)) openDeliveries.set(id, { error: /** @type {Error} */ (error).message });
  }
  schedule('webhooks');
}

/** @param {string} id @param {HTMLButtonElement} button */
function retryDelivery(id, button) {
  void act($('deliveries-result'), button, async () => {
    const r = await call(`sms/webhook-deliveries/${encodeURIComponent(id)}/retry`, { method: 'POST' });
    schedule('webhooks', 'status');
    return `Delivery ${id.slice(-6)}: ${attemptText(r)}`;
  });
}

/** @param {string} id @param {HTMLButtonElement} button */
function testHook(id, button) {
  void act($('hooks-result'), button, async () => {
    const r = await call(`webhooks/${encodeURIComponent(id)}/test`, { method: 'POST' });
    schedule('webhooks');
    return attemptText(r);
  });
}

/** @param {string} id @param {boolean} enable @param {HTMLButtonElement} button */
function toggleHook(id, enable, button) {
  void act($('hooks-result'), button, async () => {
    const w = await call(`webhooks/${encodeURIComponent(id)}`, { method: 'PATCH', json: { enabled: enable } });
    remember(w);
    schedule('webhooks', 'status');
    return enable ? `Enabled ${w.url}: held deliveries resume.` : `Disabled ${w.url}: its deliveries are held until it is enabled.`;
  });
}

/** The webhook the replay form sends past events to, or null. */
let replaying = /** @type {any} */ (null);

/** A datetime-local value (local time, to the second) for `ms`. */
const localInput = (/** @type {number} */ ms) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 19);
};

function replayTarget(/** @type {any} */ w) {
  replaying = w;
  /** @type {HTMLButtonElement} */ ($('replay-submit')).disabled = !w;
  $('replay-target').textContent = w ? `To ${w.url} (${w.events.join(', ')}), each event once more: the same event id, a new delivery id.` : 'Choose a webhook with its Replay button.';
}

/** @param {any} w a webhook from GET /webhooks */
function replayHook(w) {
  replayTarget(w);
  const since = /** @type {HTMLInputElement} */ ($('replay-since'));
  if (!since.value) since.value = localInput(Date.now() - 3_600_000);
  $('replay-result').textContent = '';
  /** @type {HTMLDetailsElement} */ ($('hook-replay')).open = true;
  since.focus();
}

$('replay-form').addEventListener('submit', (e) => {
  e.preventDefault();
  void act($('replay-result'), submitter(e), async () => {
    const w = replaying;
    if (!w) throw new ApiFailure(400, 'invalid_request', 'Choose a webhook with its Replay button', 'id');
    // datetime-local has no zone: the browser reads it as local time, as the operator meant it.
    const since = new Date(value('replay-since'));
    if (!value('replay-since') || Number.isNaN(since.getTime())) throw new ApiFailure(400, 'invalid_request', 'Enter the time to replay from', 'since');
    const r = await call(`webhooks/${encodeURIComponent(w.id)}/replay`, { method: 'POST', json: { since: since.toISOString() } });
    schedule('webhooks', 'status');
    return `Queued ${r.queued} event${r.queued === 1 ? '' : 's'} for ${w.url}${r.truncated ? ' (cut at the replay limit: replay the rest from a later time)' : ''}.`;
  });
});

/** Hides a secret shown once (under the list or under the form) when it belongs to webhook `id`, or always. */
function forgetShownSecret(/** @type {string | null} */ id) {
  for (const [box, code] of [['hooks-secret-once', 'hooks-secret-value'], ['hook-secret-once', 'hook-secret-value']]) {
    if (id !== null && $(box).dataset.id !== id) continue;
    $(box).hidden = true;
    $(code).textContent = '';
  }
}

/** @param {any} w a webhook from GET /webhooks @param {HTMLButtonElement} button */
function rotateHook(w, button) {
  // Only a `standard` receiver accepts two signatures: for the other formats the old secret stops now.
  const overlap = w.format === 'standard';
  const question = overlap
    ? `Rotate the secret of ${w.url}? The old one keeps signing alongside the new one for 24 hours.`
    : `Rotate the secret of ${w.url}? With the ${w.format} format the receiver needs the new secret at once.`;
  if (!window.confirm(question)) return;
  forgetShownSecret(null);
  void act($('hooks-result'), button, async () => {
    const r = await call(`webhooks/${encodeURIComponent(w.id)}/rotate-secret`, { method: 'POST' });
    $('hooks-secret-value').textContent = r.secret;
    $('hooks-secret-once').dataset.id = w.id;
    $('hooks-secret-once').hidden = false;
    schedule('webhooks');
    return overlap && r.previousSecretUntil
      ? `New secret for ${w.url}; the old one also signs until ${new Date(r.previousSecretUntil).toLocaleString()}.`
      : `New secret for ${w.url}; the old one no longer signs.`;
  });
}

/** @param {string} id @param {string} url @param {HTMLButtonElement} button */
function removeHook(id, url, button) {
  if (!window.confirm(`Delete the webhook to ${url}? Its waiting deliveries end as failed.`)) return;
  void act($('hooks-result'), button, async () => {
    await call(`webhooks/${encodeURIComponent(id)}`, { method: 'DELETE' });
    if (editing?.id === id) hookFormMode(null);
    if (replaying?.id === id) replayTarget(null);
    // A secret shown once for it belongs to nothing any more.
    forgetShownSecret(id);
    schedule('webhooks', 'status');
    return `Deleted ${url}.`;
  });
}

// --- start ---------------------------------------------------------------------------------------

if (getKey() !== null || ingress) {
  enter().catch((/** @type {ApiFailure} */ error) => {
    if (error.status !== 401) showLogin(`Cannot reach the agent: ${error.message}`);
  });
} else {
  // GET /auth says whether this caller needs a key: not on an API without keys (it listens on
  // loopback only) nor through Home Assistant's Ingress. Then the page opens at once and says so.
  call('auth', { key: null }).then(
    (auth) => {
      if (!auth || auth.required !== false) return showLogin();
      state.open = true;
      return enter();
    },
    () => showLogin(),
  );
}
