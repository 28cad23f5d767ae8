// Pure helpers for the operator page (no DOM): masking, times, signal, ordering, the SSE parser.
// Plain JavaScript with JSDoc types, so the browser runs it as served and Node's tests import it.

/**
 * Masks a phone number the way the agent's logs do: `+155****0100`. Short codes stay as they are.
 * @param {string | null | undefined} value
 * @returns {string}
 */
export function maskPhone(value) {
  if (!value) return '—';
  const digits = value.replace(/\D/g, '');
  if (digits.length <= 6) return value;
  const plus = value.trim().startsWith('+') ? '+' : '';
  return `${plus}${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

/** The privacy switch: while on, the page masks numbers and hides texts (a shared screen). */
export const privacy = { on: false };

/**
 * A number as the page shows it: whole to the signed-in operator, masked while privacy is on.
 * @param {string | null | undefined} value
 */
export const showNumber = (value) => (privacy.on ? maskPhone(value) : value || '—');

/**
 * The agent sends the IMEI masked already; mask again anything that still looks whole.
 * @param {string | null | undefined} value
 */
export function maskImei(value) {
  if (!value) return '—';
  if (value.includes('*')) return value;
  return value.length > 6 ? `${value.slice(0, 4)}${'*'.repeat(value.length - 6)}${value.slice(-2)}` : '******';
}

/**
 * Bars out of 5 for a received signal strength. 27.007 8.5 reports -113..-51 dBm in 2 dB steps;
 * the thresholds are the usual phone ones (about -73 dBm is full bars for GSM).
 * @param {number | null | undefined} dbm
 * @returns {{ bars: number, word: string }}
 */
export function signalBars(dbm) {
  if (dbm === null || dbm === undefined || !Number.isFinite(dbm)) return { bars: 0, word: 'no signal' };
  const steps = [[-73, 5, 'excellent'], [-83, 4, 'good'], [-93, 3, 'fair'], [-103, 2, 'poor'], [-111, 1, 'very poor']];
  for (const [min, bars, word] of steps) if (dbm >= /** @type {number} */ (min)) return { bars: /** @type {number} */ (bars), word: /** @type {string} */ (word) };
  return { bars: 0, word: 'no signal' };
}

/**
 * An SVG path for a signal chart: x across time, y from -113 (bottom) to -51 dBm (top); a null
 * sample (modem offline) breaks the line.
 * @param {{ at: string, dbm: number | null }[]} samples
 * @param {number} width
 * @param {number} height
 * @returns {string}
 */
export function sparkline(samples, width, height) {
  if (!samples.length) return '';
  const t0 = Date.parse(samples[0].at);
  const span = Math.max(1, Date.parse(samples[samples.length - 1].at) - t0);
  const y = (/** @type {number} */ dbm) => height - ((Math.min(-51, Math.max(-113, dbm)) + 113) / 62) * height;
  let d = '';
  let pen = false;
  for (const s of samples) {
    if (s.dbm === null) {
      pen = false;
      continue;
    }
    const x = samples.length === 1 ? width : ((Date.parse(s.at) - t0) / span) * width;
    d += `${pen ? 'L' : 'M'}${x.toFixed(1)},${y(s.dbm).toFixed(1)}`;
    pen = true;
  }
  // One reading so far: a flat line across, so that it shows.
  if (d && !d.includes('L')) d = `M0,${d.split(',')[1]}L${width},${d.split(',')[1]}`;
  return d;
}

/**
 * "just now", "5 min ago", "3 h ago", else the local date and time.
 * @param {string | null | undefined} iso
 * @param {number} [now]
 */
export function ago(iso, now = Date.now()) {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  const s = Math.round((now - t) / 1000);
  if (s < -5) return `in ${until(-s)}`;
  if (s < 10) return 'just now';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(t).toLocaleString();
}

/** @param {number} s */
function until(s) {
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  return `${Math.round(s / 3600)} h`;
}

/** @param {number} seconds */
export function duration(seconds) {
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86400)} d ${Math.floor((seconds % 86400) / 3600)} h`;
}

const DELIVERY_ORDER = { failed: 0, retrying: 1, held: 2, pending: 3, delivered: 4 };

/**
 * @typedef {{ id: string, status: string, webhookId: string | null, attempts: number, createdAt: string | null }} DeliveryLike
 */

/**
 * Failed first, then retrying, held, pending, delivered; newest first within each (ids are UUIDv7,
 * so they sort by time). Duplicates (the same delivery from two listings) are dropped.
 * @template {DeliveryLike} T
 * @param {T[]} list
 * @returns {T[]}
 */
export function failedFirst(list) {
  const unique = [...new Map(list.map((d) => [d.id, d])).values()];
  const rank = (/** @type {string} */ s) => DELIVERY_ORDER[/** @type {keyof typeof DELIVERY_ORDER} */ (s)] ?? 5;
  return unique.sort((a, b) => rank(a.status) - rank(b.status) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/**
 * Success rate per subscription over the given (recent) deliveries: delivered out of those that
 * were attempted. Waiting deliveries without an attempt yet do not count either way.
 * @param {DeliveryLike[]} list
 * @returns {Map<string, { ok: number, total: number }>}
 */
export function successRates(list) {
  /** @type {Map<string, { ok: number, total: number }>} */
  const rates = new Map();
  for (const d of list) {
    if (!d.webhookId) continue;
    const counted = d.status === 'delivered' || d.status === 'failed' || d.attempts > 0;
    if (!counted) continue;
    const r = rates.get(d.webhookId) ?? { ok: 0, total: 0 };
    r.total++;
    if (d.status === 'delivered') r.ok++;
    rates.set(d.webhookId, r);
  }
  return rates;
}

/**
 * Extra headers typed one per line as `Name: value` (blank lines skipped); a line of another shape is
 * named. Which names may be set is the agent's call: it refuses the others naming the header.
 * @param {string} text
 * @returns {{ headers: Record<string, string> } | { error: string }}
 */
export function parseHeaderLines(text) {
  /** @type {Record<string, string>} */
  const headers = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const m = /^([^:\s]+)\s*:\s*(.*)$/.exec(line);
    if (!m) return { error: `line ${i + 1} is not "Name: value"` };
    headers[m[1]] = m[2];
  }
  return { headers };
}

/**
 * A webhook's options besides URL, events and format, as short phrases for its list item. The sender
 * filter is masked like every number on the page (a trailing `*` kept); header values are never
 * shown by the API, only their names.
 * @param {{ filters?: { from?: string, modem?: string }, maxAttempts?: number | null, timeoutMs?: number | null, rateLimitPerMinute?: number | null, headers?: string[] }} w
 * @returns {string[]}
 */
export function hookOptions(w) {
  const out = [];
  const from = w.filters?.from;
  if (from) out.push(`from ${from.endsWith('*') ? `${maskPhone(from.slice(0, -1))}*` : maskPhone(from)}`);
  if (w.filters?.modem) out.push(`modem ${w.filters.modem}`);
  if (w.maxAttempts) out.push(`${w.maxAttempts} attempt${w.maxAttempts === 1 ? '' : 's'} at most`);
  if (w.timeoutMs) out.push(`timeout ${w.timeoutMs >= 1000 && w.timeoutMs % 1000 === 0 ? `${w.timeoutMs / 1000} s` : `${w.timeoutMs} ms`}`);
  if (w.rateLimitPerMinute) out.push(`${w.rateLimitPerMinute}/min`);
  if (w.headers?.length) out.push(`headers ${w.headers.join(', ')}`);
  return out;
}

/**
 * An incremental parser for a text/event-stream body (WHATWG HTML, "server-sent events"): feed it
 * decoded chunks; it calls `onMessage` for each complete event. Comments and unknown fields are
 * ignored; `data` lines are joined with "\n".
 * @param {(message: { event: string, data: string, id: string | undefined }) => void} onMessage
 * @returns {(chunk: string) => void}
 */
export function sseParser(onMessage) {
  let buffer = '';
  /** The last chunk ended in "\r": a "\n" starting the next one belongs to that line end. */
  let afterCr = false;
  /** @type {{ event: string, data: string[], id: string | undefined }} */
  let current = { event: 'message', data: [], id: undefined };
  return (chunk) => {
    if (afterCr && chunk.startsWith('\n')) chunk = chunk.slice(1);
    afterCr = chunk.endsWith('\r');
    buffer += chunk;
    const lines = buffer.split(/\r\n|\r|\n/);
    // The last piece may be a line cut in half: keep it for the next chunk.
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        if (current.data.length) onMessage({ event: current.event, data: current.data.join('\n'), id: current.id });
        current = { event: 'message', data: [], id: undefined };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') current.event = value;
      else if (field === 'data') current.data.push(value);
      else if (field === 'id') current.id = value;
    }
  };
}

/**
 * A fresh first page merged into what is loaded: items in both are taken from the fresh page (a new
 * status), new ones are added, older pages already loaded stay. Newest first by id (UUIDv7).
 * @template {{ id: string }} T
 * @param {T[]} loaded
 * @param {T[]} fresh
 * @returns {T[]}
 */
export function mergeNewest(loaded, fresh) {
  const byId = new Map(loaded.map((m) => [m.id, m]));
  for (const m of fresh) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/**
 * Pages of two time-ordered lists (inbound and outbound messages) read as one, newest first: an
 * item is shown only when nothing still unloaded from the other list can be newer than it.
 * @template {{ id: string }} T
 * @param {((cursor: string | null) => Promise<{ items: T[], next: string | null }>)[]} sources
 */
export function mergedPager(sources) {
  const lanes = sources.map((load) => ({ load, items: /** @type {T[]} */ ([]), next: /** @type {string | null} */ (null), started: false }));
  /** @type {T[]} */
  let shown = [];
  const done = (/** @type {typeof lanes[number]} */ l) => l.started && l.next === null;
  return {
    /** Everything that may be shown, newest first. */
    get items() {
      return shown;
    },
    /** True while some list has more. */
    get more() {
      return lanes.some((l) => !done(l));
    },
    /** Loads the next page of every list that has one and lets through what is safe to show. */
    async next() {
      await Promise.all(lanes.filter((l) => !done(l)).map(async (l) => {
        const page = await l.load(l.started ? l.next : null);
        l.started = true;
        l.items.push(...page.items);
        l.next = page.next;
      }));
      // The newest of the oldest loaded items of lists that have more: anything older must wait.
      let cut = '';
      for (const l of lanes) if (!done(l) && l.items.length) cut = cut > l.items[l.items.length - 1].id ? cut : l.items[l.items.length - 1].id;
      const all = lanes.flatMap((l) => l.items).sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      shown = cut ? all.filter((m) => m.id >= cut) : all;
      return shown;
    },
  };
}

/**
 * Recipients typed into one field: separated by commas, semicolons, spaces or line breaks; inner
 * spaces of a number written in groups ("+1 555 0100") are not allowed: each group would be a number.
 * @param {string} text
 * @returns {string[]}
 */
export function parseRecipients(text) {
  return [...new Set(text.split(/[\s,;]+/).map((s) => s.trim()).filter(Boolean))];
}

/**
 * A datetime-local value (the browser's local time, no zone) as an RFC 3339 time with offset, or null
 * when empty or not a time.
 * @param {string} value
 * @returns {string | null}
 */
export function localToIso(value) {
  if (!value) return null;
  const t = new Date(value);
  return Number.isNaN(t.getTime()) ? null : t.toISOString();
}

/**
 * Messages as CSV, the same file GET /sms/messages?format=csv gives (plugins/api/csv.ts; a test holds
 * the two to the same output): RFC 4180 (CRLF line ends, fields with a comma, quote or line break
 * quoted, quotes doubled), and a field a spreadsheet would run as a formula (= + - @ tab CR first,
 * phone numbers included) gets a leading apostrophe.
 * @param {any[]} messages
 * @returns {string}
 */
export function messagesCsv(messages) {
  const head = ['id', 'direction', 'time', 'from', 'to', 'modem', 'status', 'parts', 'encoding', 'text', 'priority', 'sendAt', 'clientRef'];
  const cell = (/** @type {unknown} */ v) => {
    let s = v === null || v === undefined ? '' : String(v);
    if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  const rows = messages.map((m) => {
    const inbound = m.direction === 'inbound';
    return [
      m.id, m.direction, inbound ? m.receivedAt ?? m.storedAt : m.createdAt, inbound ? m.from : null, inbound ? null : m.to,
      m.modem, inbound ? 'received' : m.status, m.parts, m.encoding, m.text, m.priority, m.sendAt, m.clientRef,
    ];
  });
  return [head, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n';
}

/**
 * The delivery state of each part of an outbound message, in a few words ("2 of 3 parts delivered").
 * @param {{ parts: number, partDetails?: { part: number, status: string }[] }} m
 * @returns {string}
 */
export function partsSummary(m) {
  const parts = m.partDetails ?? [];
  if (m.parts <= 1 || !parts.length) return '';
  const counts = new Map();
  for (const p of parts) counts.set(p.status, (counts.get(p.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} of ${m.parts} parts ${status}`).join(', ');
}
