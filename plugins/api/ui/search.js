// The message search: text, number, direction, status, modem and days, newest first, more loaded as
// you scroll (both directions read as one list), and the shown messages exported as CSV.
import { ApiFailure, call } from './api.js';
import { mergedPager, mergeNewest, messagesCsv } from './format.js';
import { resultItem } from './messages.js';
import { h, replace } from './render.js';

const PAGE = 50;

/** @param {string} id */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @param {string} id */
const value = (id) => /** @type {HTMLInputElement} */ (document.getElementById(id)).value.trim();

/** A day field (YYYY-MM-DD, the browser's local day) as the start of that day, RFC 3339. */
const dayStart = (/** @type {string} */ day, plus = 0) => {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(y, m - 1, d + plus).toISOString();
};

/**
 * @param {{ act: (out: HTMLElement, button: HTMLButtonElement | null, work: () => Promise<string>) => Promise<void>, openThread: (m: any) => void, changed: () => void }} deps
 */
export function search(deps) {
  /** @type {ReturnType<typeof mergedPager<any>> | null} */
  let pager = null;
  /** Items shown, newest first (live updates merge into it). */
  let shown = /** @type {any[]} */ ([]);
  let loading = false;
  let generation = 0;
  /** @type {IntersectionObserver | null} */
  let watch = null;

  /** The filters as query strings, one per direction asked for. */
  function queries() {
    const direction = value('f-direction');
    const status = value('f-status');
    if (status && direction === 'inbound') throw new ApiFailure(400, 'invalid_request', 'A status applies to sent messages only', 'status');
    const common = new URLSearchParams();
    const text = value('f-text');
    const number = value('f-number');
    const modem = value('f-modem');
    const since = value('f-since');
    const until = value('f-until');
    if (text) common.set('q', text);
    if (number) common.set('number', number.replace(/[\s()-]/g, ''));
    if (modem) common.set('modem', modem);
    if (since) common.set('since', dayStart(since));
    if (until) common.set('until', dayStart(until, 1));
    const dirs = status ? ['outbound'] : direction ? [direction] : ['inbound', 'outbound'];
    return dirs.map((d) => {
      const q = new URLSearchParams(common);
      q.set('direction', d);
      if (status) q.set('status', status);
      q.set('limit', String(PAGE));
      return q;
    });
  }

  function render() {
    watch?.disconnect();
    const ul = $('results');
    const items = shown.map((m) => resultItem(m, cancel, deps.openThread));
    if (!items.length) items.push(h('li', { class: 'muted empty' }, 'No messages match.'));
    if (pager?.more) {
      const more = h('li', { class: 'more' }, h('button', { type: 'button', class: 'ghost small', 'data-key': 'results-more', onclick: () => void loadMore() }, 'Load more'));
      items.push(more);
      replace(ul, items);
      watch = new IntersectionObserver((e) => {
        if (e.some((x) => x.isIntersecting)) void loadMore();
      }, { root: ul, rootMargin: '80px' });
      watch.observe(more);
    } else replace(ul, items);
    $('results-info').textContent = `${shown.length} message${shown.length === 1 ? '' : 's'} shown${pager?.more ? '; more load as you scroll' : ''}.`;
  }

  async function loadMore() {
    if (!pager || loading || !pager.more) return;
    loading = true;
    const gen = generation;
    try {
      const items = await pager.next();
      if (gen !== generation) return;
      shown = mergeNewest(shown, items);
      render();
    } catch (error) {
      $('results-info').textContent = `Could not load more: ${/** @type {Error} */ (error).message}`;
    } finally {
      loading = false;
    }
  }

  /** A new search from the filters: the first page. */
  async function run() {
    const qs = queries();
    generation++;
    pager = mergedPager(qs.map((q) => async (/** @type {string | null} */ cursor) => {
      const p = new URLSearchParams(q);
      if (cursor) p.set('cursor', cursor);
      return call(`sms/messages?${p}`);
    }));
    shown = [];
    loading = false;
    await loadMore();
  }

  /** Live: the newest page again, merged (statuses change, new messages appear at the top). */
  async function refresh() {
    if (!pager) return;
    const gen = generation;
    const fresh = await Promise.all(queries().map((q) => call(`sms/messages?${q}`)));
    if (gen !== generation) return;
    // Only what is newer than the oldest shown item: the rest belongs to pages not loaded yet.
    const oldest = shown.at(-1)?.id ?? '';
    shown = mergeNewest(shown, fresh.flatMap((p) => p.items).filter((/** @type {any} */ m) => !pager?.more || m.id >= oldest));
    render();
  }

  /** @param {any} m @param {HTMLButtonElement} button */
  function cancel(m, button) {
    if (!window.confirm('Cancel this message? It will not be sent.')) return;
    void deps.act($('results-info'), button, async () => {
      await call(`sms/messages/${encodeURIComponent(m.id)}`, { method: 'DELETE' });
      await refresh();
      deps.changed();
      return 'Cancelled: it will not be sent.';
    });
  }

  $('filter-form').addEventListener('submit', (e) => {
    e.preventDefault();
    run().catch((/** @type {ApiFailure} */ error) => {
      $('results-info').textContent = `${error.message}${error.field ? ` (${error.field})` : ''}`;
    });
  });

  $('export').addEventListener('click', () => {
    const blob = new Blob([messagesCsv(shown)], { type: 'text/csv;charset=utf-8' });
    const a = /** @type {HTMLAnchorElement} */ (h('a', { href: URL.createObjectURL(blob), download: `smsedge-messages-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.csv` }));
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    $('results-info').textContent = `Exported ${shown.length} message${shown.length === 1 ? '' : 's'} (what is shown) as CSV.`;
  });

  return {
    run,
    refresh,
    rerender: render,
    /** @param {{ id: string }[]} modems */
    setModems(modems) {
      const select = /** @type {HTMLSelectElement} */ ($('f-modem'));
      const ids = modems.map((m) => m.id);
      if (ids.join('\n') === [...select.options].slice(1).map((o) => o.value).join('\n')) return;
      const chosen = select.value;
      select.replaceChildren(h('option', { value: '' }, 'Any'), ...ids.map((id) => h('option', { value: id }, id)));
      select.value = ids.includes(chosen) ? chosen : '';
    },
  };
}
