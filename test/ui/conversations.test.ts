// Conversations, search and diagnostics in real Chromium against a real agent on the simulator: a
// thread per number with both directions, a reply reaching delivered, a message to several numbers
// sent later and cancelled, search and filters with paging as you scroll, the CSV export of what is
// shown, the privacy switch, the doctor run from the page and a webhook delivery's attempt log.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CHROMIUM, hasChromium, KEY, launch, problemsOf, receiver, startAgent } from './rig.ts';

const ARTIFACTS = process.env.SMSEDGE_UI_ARTIFACTS ?? 'test-output';

/** A datetime-local value `ms` from now, in the browser's (and this process's) local time. */
const localIn = (ms: number) => {
  const at = Date.now() + ms;
  return new Date(at - new Date(at).getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

if (!hasChromium()) {
  t.plan(0, `skip: ${CHROMIUM} is missing (Debian: apt-get install chromium); the operator page tests need a real browser`);
} else {
  t.test('conversations, search and diagnostics on the operator page', async (t) => {
    const rig = await startAgent(t);
    const hook = await receiver(t, 500);
    await rig.call('/webhooks', { url: hook.url, events: ['sms.received'], maxAttempts: 2 });
    const browser = await launch(t);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    const problems = problemsOf(page);
    await page.goto(rig.base + '/');
    await page.getByLabel('API key').fill(KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('#dash').waitFor({ timeout: 10_000 });
    await page.locator('#link[data-kind="live"]').waitFor({ timeout: 10_000 });

    const threads = page.locator('#threads');
    await t.test('incoming messages make a thread per number, live', async (t) => {
      // The list is empty until its first load renders, so wait for that rather than read it at once.
      await threads.locator('li.empty', { hasText: 'No messages yet.' }).waitFor({ timeout: 10_000 });
      t.equal(await threads.textContent(), 'No messages yet.');
      await rig.call('/simulator/sms', { from: '+15550100111', text: 'Is the gate open?' });
      await rig.call('/simulator/sms', { from: '+15550100222', text: 'Parcel at the door' });
      await rig.until(threads.locator('li.thread', { hasText: '+15550100222' }), 'the second thread');
      await rig.until(threads.locator('li.thread', { hasText: '+15550100111' }), 'the first thread');
      t.match(await threads.locator('li.thread').first().textContent(), /\+15550100222.*Parcel at the door.*1 message · default/, 'newest first, the full number and text for the signed-in operator');
    });

    const view = page.locator('#thread');
    await t.test('a thread: open, reply, the reply reaches delivered with its parts', async (t) => {
      rig.agent.use('simulator').setDeliveryOutcome('+15550100111', 'delivered', 1000);
      await threads.locator('li.thread', { hasText: '+15550100111' }).getByRole('button').click();
      await view.locator('li.bubble.in', { hasText: 'Is the gate open?' }).waitFor({ timeout: 10_000 });
      t.equal(await page.locator('#thread-number').textContent(), '+15550100111');
      t.equal(await page.locator('#thread-modem').textContent(), 'via default');
      const reply = 'Opening it now. ' + 'This reply is long enough to need two parts of a concatenated SMS, so each part is followed on its own. '.repeat(2);
      await page.locator('#reply-form').getByLabel('Reply').fill(reply);
      await page.getByRole('button', { name: 'Send reply' }).click();
      await rig.until(page.locator('#reply-result', { hasText: 'Queued (2 parts, gsm7)' }), 'the reply queued');
      const out = view.locator('li.bubble.out');
      await rig.until(out, 'the reply in the thread');
      t.match(await out.locator('.text').textContent(), /^Opening it now\./);
      await rig.until(out.locator('[data-role="status"]', { hasText: 'delivered' }), 'the reply delivered', 500);
      t.same(await out.locator('.parts li').allTextContents(), ['part 1: delivered', 'part 2: delivered'], 'each part’s delivery');
      await out.getByRole('button', { name: 'Details', exact: true }).click();
      const parts = out.locator('[data-role="detail"] [data-role="parts"] tbody tr');
      await rig.until(parts.first(), 'the message’s details');
      const rows = await parts.allTextContents();
      t.equal(rows.length, 2, 'a row per part');
      t.ok(rows.every((r, i) => new RegExp(`^${i + 1}\\d+delivered$`).test(r)), `each with its reference and state (${rows.join(' | ')})`);
      t.match(await out.locator('[data-role="detail"] dl').textContent(), /To\+15550100111ModemdefaultPrioritynormal.*Delivered/, 'to whom, through which modem, when');
      await out.getByRole('button', { name: 'Hide details' }).click();
      const order = await view.locator('li.bubble').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.dir));
      t.same(order, ['inbound', 'outbound'], 'oldest at the top');
      await rig.call('/simulator/sms', { from: '+15550100111', text: 'Thanks!' });
      await rig.until(view.locator('li.bubble.in', { hasText: 'Thanks!' }), 'the answer appearing live in the open thread');
      t.same(await view.locator('li.bubble').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.dir)), ['inbound', 'outbound', 'inbound']);
      const api = await rig.call('/sms/threads/messages?number=%2B15550100111&modem=default');
      t.match(api.items[1], { direction: 'outbound', to: '+15550100111', modem: 'default', status: 'delivered' }, 'sent through the thread’s modem');
    });

    await t.test('a new message to several numbers, sent later, and cancelled', async (t) => {
      await page.getByRole('button', { name: 'New message' }).click();
      await page.locator('#compose-form').getByLabel('To').fill('+15550100301, +15550100302');
      await page.locator('#compose-text').fill('Water off tomorrow 9-11');
      await page.locator('#compose-form').getByLabel('Send at').fill(localIn(2 * 3600_000));
      await page.locator('#compose-form').getByRole('button', { name: 'Send', exact: true }).click();
      await rig.until(page.locator('#compose-result', { hasText: /^Scheduled for .*: 2 messages/ }), 'both scheduled');
      const queued = (await rig.call('/sms/messages?direction=outbound&status=queued')).items as { to: string; sendAt?: string }[];
      t.same(queued.map((m) => m.to).sort(), ['+15550100301', '+15550100302'], 'queued for both');
      t.ok(queued.every((m) => m.sendAt && Date.parse(m.sendAt) > Date.now() + 3600_000), 'held for later');
      await rig.until(threads.locator('li.thread', { hasText: '+15550100302' }), 'its thread');
      await threads.locator('li.thread', { hasText: '+15550100302' }).getByRole('button').click();
      const bubble = view.locator('li.bubble.out');
      await bubble.waitFor({ timeout: 10_000 });
      t.match(await bubble.locator('[data-role="facts"]').textContent(), /^scheduled for /, 'shown as scheduled');
      page.once('dialog', (d) => void d.accept());
      await bubble.getByRole('button', { name: 'Cancel' }).click();
      await rig.until(bubble.locator('[data-role="status"]', { hasText: 'cancelled' }), 'shown cancelled');
      t.equal(await bubble.getByRole('button', { name: 'Cancel' }).count(), 0, 'nothing left to cancel');
      t.match((await rig.call('/sms/messages?direction=outbound&to=%2B15550100302')).items[0], { status: 'cancelled' }, 'cancelled in the agent');

      // The other one is wanted now after all.
      await threads.locator('li.thread', { hasText: '+15550100301' }).getByRole('button').click();
      const other = view.locator('li.bubble.out');
      await other.getByRole('button', { name: 'Send now' }).waitFor({ timeout: 10_000 });
      await other.getByRole('button', { name: 'Send now' }).click();
      await rig.until(other.locator('[data-role="status"]', { hasText: /^(sent|delivered)$/ }), 'sent at once', 250);
      t.equal(await other.getByRole('button', { name: 'Send now' }).count(), 0, 'nothing left to send now');
      t.notOk((await rig.call('/sms/messages?direction=outbound&to=%2B15550100301')).items[0].sendAt, 'its sendAt dropped in the agent');
    });

    await t.test('searching the conversations by number digits and by text', async (t) => {
      await page.getByLabel('Search conversations').fill('0100 222');
      await rig.until(threads.locator('li.thread', { hasText: '+15550100222' }), 'the match');
      await page.waitForFunction(() => document.querySelectorAll('#threads li.thread').length === 1, null, { timeout: 10_000 });
      t.pass('only the number that matches');
      await page.getByLabel('Search conversations').fill('gate');
      await page.waitForFunction(() => [...document.querySelectorAll('#threads li.thread')].map((e) => (e as HTMLElement).dataset.number).join() === '+15550100111', null, { timeout: 10_000 });
      t.pass('a word of a message finds its thread');
      await page.getByLabel('Search conversations').fill('nothing like this');
      await rig.until(threads.locator('li', { hasText: 'No conversation matches.' }), 'no match said so');
      await page.getByLabel('Search conversations').fill('');
      await page.waitForFunction(() => document.querySelectorAll('#threads li.thread').length === 4, null, { timeout: 10_000 });
    });

    await t.test('many conversations and messages: more load as you scroll', async (t) => {
      const numbers = Array.from({ length: 64 }, (_, i) => `+1555020${String(i).padStart(4, '0')}`);
      await rig.call('/sms/send', { to: numbers, text: 'Meter reading due', sendAt: new Date(Date.now() + 86_400_000).toISOString() });
      await page.reload();
      await page.locator('#dash').waitFor({ timeout: 10_000 });
      await threads.locator('li.thread').first().waitFor({ timeout: 10_000 });
      t.equal(await threads.locator('li.thread').count(), 30, 'a first page of 30');
      // Scroll to the end until every thread is in; each scroll waits for its page to arrive (a fixed
      // pause was not enough on a loaded machine).
      for (let i = 0, shown = 30; i < 10 && shown < 68; i++) {
        await threads.locator('li.more, li.thread').last().scrollIntoViewIfNeeded();
        await page.waitForFunction((n) => document.querySelectorAll('#threads li.thread').length > n, shown, { timeout: 5_000 }).catch(() => {});
        shown = await threads.locator('li.thread').count();
      }
      t.equal(await threads.locator('li.thread').count(), 68, 'every thread once scrolled to the end');
      t.equal(await threads.locator('li.more').count(), 0, 'nothing more to load');
      const listed = await threads.locator('li.thread').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.number));
      t.equal(new Set(listed).size, 68, 'no thread twice');

      // The message search: sent and queued, more as you scroll, exported as shown.
      const results = page.locator('#results');
      await page.getByLabel('Direction').selectOption('outbound');
      await page.getByLabel('Status (sent ones)').selectOption('queued');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.waitForFunction(() => document.querySelectorAll('#results li.item').length === 50, null, { timeout: 10_000 });
      t.match(await page.locator('#results-info').textContent(), '50 messages shown; more load as you scroll');
      await results.locator('li.more').scrollIntoViewIfNeeded();
      await page.waitForFunction(() => document.querySelectorAll('#results li.item').length === 64, null, { timeout: 10_000 });
      t.match(await page.locator('#results-info').textContent(), /^64 messages shown\.$/, 'the rest loaded');
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
      mkdirSync(ARTIFACTS, { recursive: true });
      const file = join(ARTIFACTS, 'messages.csv');
      await download.saveAs(file);
      const lines = readFileSync(file, 'utf8').trimEnd().split('\r\n');
      t.equal(lines[0], 'id,direction,time,from,to,modem,status,parts,encoding,text,priority,sendAt,clientRef', "the API's columns");
      t.equal(lines.length, 65, 'a line per message shown');
      t.ok(lines.slice(1).every((l) => /,outbound,.*,,'\+1555\d{7},default,queued,1,gsm7,/.test(l)), 'numbers whole (as text for a spreadsheet), status, text');

      await page.getByLabel('Direction').selectOption('');
      await page.getByLabel('Status (sent ones)').selectOption('');
      await page.getByLabel('Text contains').fill('gate');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.waitForFunction(() => document.querySelectorAll('#results li.item').length === 1, null, { timeout: 10_000 });
      t.match(await results.locator('li.item').textContent(), /From\+15550100111received.*Is the gate open\?/, 'both directions searched, by text');
      await page.getByLabel('Text contains').fill('');
      await page.getByLabel('Number contains').fill('0100111');
      await page.getByRole('button', { name: 'Search', exact: true }).click();
      await page.waitForFunction(() => document.querySelectorAll('#results li.item').length === 3, null, { timeout: 10_000 });
      t.same(await results.locator('li.item').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.dir)), ['inbound', 'outbound', 'inbound'], 'both directions merged, newest first');
      await results.locator('li.item').nth(1).getByRole('button', { name: '+15550100111' }).click();
      await view.locator('li.bubble.in', { hasText: 'Thanks!' }).waitFor({ timeout: 10_000 });
      t.pass('a result opens its thread');
    });

    await t.test('the privacy switch hides numbers and texts on a shared screen', async (t) => {
      await page.getByLabel('Privacy').check();
      // The delivery reports reload a moment later.
      await page.waitForFunction(() => !(document.getElementById('dash')?.textContent ?? '').includes('5550100111'), null, { timeout: 10_000 }).catch(() => {});
      const body = (await page.locator('#dash').textContent()) ?? '';
      t.notOk(body.includes('5550100111'), 'no full number');
      t.notOk(body.includes('Is the gate open?'), 'no text');
      t.match(await page.locator('#thread-number').textContent(), '+155****0111', 'numbers masked');
      await page.reload();
      await page.locator('#dash').waitFor({ timeout: 10_000 });
      t.ok(await page.getByLabel('Privacy').isChecked(), 'remembered on this browser');
      await threads.locator('li.thread').first().waitFor({ timeout: 10_000 });
      t.match(await threads.locator('li.thread').first().textContent(), /\+155\*\*\*\*0\d{3}.*Text hidden \(privacy\)/, 'masked from the start');
      await page.getByLabel('Privacy').uncheck();
      await threads.locator('li.thread', { hasText: '+1555020' }).first().waitFor({ timeout: 10_000 });
    });

    await t.test('the doctor’s checks, run from the page', async (t) => {
      const modem = page.locator('#modems [data-modem="default"]');
      await modem.getByRole('button', { name: 'Run checks' }).click();
      await rig.until(modem.locator('[data-role="doctor"] li').first(), 'the checks');
      const checks = (await modem.locator('[data-role="doctor"]').textContent()) ?? '';
      t.match(checks, /pass/, 'with their status');
      t.match(checks, /SIM|sim/, 'the SIM among them');
      // Every storage from /health's last check, or the SIM's from GET /modems before the first.
      t.match(await modem.locator('[data-fact="Storage"], [data-fact="SIM storage"]').textContent(), /^\d+ of \d+ used \(\w+\)/, 'the message storage');
      t.match(await modem.locator('[data-fact="Today"]').textContent(), /^\d+ sent, \d+ failed, \d+ queued$/, 'today’s counts');
      t.equal(await modem.locator('[data-fact="Resets"]').textContent(), '0');
      t.equal(await modem.locator('.chart').count(), 1, 'the signal history chart');
      t.match(await modem.locator('.chart').getAttribute('aria-label'), /^Signal history: \d+ samples since .*, between -97 and -\d+ dBm$/, 'with the readings');
    });

    await t.test('a webhook delivery’s attempt log', async (t) => {
      const failed = page.locator('#deliveries li.d-failed', { hasText: 'sms.received' }).first();
      await rig.until(failed, 'a failed delivery', 500);
      await failed.getByRole('button', { name: 'Attempts' }).click();
      const log = failed.locator('[data-role="attempts"] table');
      await rig.until(log, 'the attempt log');
      const rows = await log.locator('tbody tr').allTextContents();
      t.equal(rows.length, 2, 'both attempts');
      t.ok(rows.every((r) => /HTTP 500/.test(r)), 'each with its answer');
      t.equal(await failed.getByRole('button', { name: 'Hide attempts' }).getAttribute('aria-expanded'), 'true');
    });

    await t.test('a delivery that waits says why and until when, as the scheduler has it', async (t) => {
      hook.status = 503;
      hook.retryAfter = '600';
      const before = hook.received;
      await rig.call('/simulator/sms', { from: '+15550100444', text: 'Retry me later' });
      const waiting = page.locator('#deliveries li.d-retrying', { hasText: 'sms.received' }).first();
      await rig.until(waiting, 'a delivery waiting to be retried', 100);
      t.ok(hook.received > before, 'it was tried');
      await waiting.getByRole('button', { name: 'Attempts' }).click();
      const line = waiting.locator('[data-role="attempts"] [data-role="waiting"]');
      await line.waitFor({ timeout: 10_000 });
      const id = await waiting.getAttribute('data-id');
      const api = await rig.call(`/sms/webhook-deliveries/${id}`);
      const text = (await line.textContent()) ?? '';
      t.match(text, `Waiting: ${api.waiting.reason} until ${await page.evaluate((iso) => new Date(iso).toLocaleString(), api.waiting.until)}`, `the agent's reason and time (${text})`);
      t.match(api.waiting.reason, /Retry-After|circuit breaker/, 'the receiver’s pause or the open breaker');
      t.match(await waiting.locator('.meta').nth(1).textContent(), ` · ${api.waiting.reason} (in `, 'the list line says it too');
      t.ok(Date.parse(api.waiting.until) - rig.clock.now() > 60_000, 'not before the pause ends');
      t.match(await waiting.locator('[data-role="attempts"] tbody tr').first().textContent(), /HTTP 503/, 'the attempt with its answer');
      hook.status = 500;
      hook.retryAfter = null;
    });

    t.same(problems, [], 'no console errors');
    await page.getByLabel('Search conversations').fill('0100111');
    await threads.locator('li.thread', { hasText: '+15550100111' }).getByRole('button').click();
    await view.locator('li.bubble.out').waitFor({ timeout: 10_000 });
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator('#conversations').screenshot({ path: join(ARTIFACTS, 'ui-conversations.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'ui-desktop.png'), fullPage: true });

    await t.test('on a phone: the list, then the thread with a way back', async (t) => {
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
      const p = await phone.newPage();
      await p.goto(rig.base + '/');
      await p.getByLabel('API key').fill(KEY);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.locator('#dash').waitFor({ timeout: 10_000 });
      await p.getByLabel('Search conversations').fill('0100111');
      const item = p.locator('#threads li.thread', { hasText: '+15550100111' });
      await item.waitFor({ timeout: 10_000 });
      t.ok(await p.locator('#thread-pane').isHidden(), 'the list alone at first');
      await item.getByRole('button').click();
      await p.locator('#thread li.bubble').first().waitFor({ timeout: 10_000 });
      t.ok(await p.locator('#threads').isHidden(), 'then the thread alone');
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      t.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);
      await p.screenshot({ path: join(ARTIFACTS, 'ui-phone-thread.png') });
      await p.getByRole('button', { name: 'Back' }).click();
      t.ok(await p.locator('#threads').isVisible(), 'Back returns to the list');
      await phone.close();
    });

    await t.test('the inbox: a received message marked read, unread again, and deleted', async (t) => {
      await rig.call('/simulator/sms', { from: '+15550100333', text: 'Code 4711, delete me' });
      await page.getByLabel('Search conversations').fill('0100333');
      const thread = threads.locator('li.thread', { hasText: '+15550100333' });
      await rig.until(thread, 'the new thread');
      await thread.getByRole('button').click();
      const bubble = view.locator('li.bubble.in', { hasText: 'Code 4711, delete me' });
      await bubble.waitFor({ timeout: 10_000 });
      const id = (await bubble.getAttribute('data-id'))!;
      const stored = async () => {
        const res = await fetch(`${rig.base}/sms/messages/${id}`, { headers: { 'X-API-Key': KEY } });
        return res.status === 404 ? null : ((await res.json()) as { readAt?: string });
      };
      t.notOk((await stored())?.readAt, 'unread at first');
      await bubble.getByRole('button', { name: 'Mark read', exact: true }).click();
      await rig.until(bubble.getByRole('button', { name: 'Mark unread', exact: true }), 'the button turns to Mark unread');
      t.match((await stored())?.readAt, /^\d{4}-/, 'readAt set through the API');
      await bubble.getByRole('button', { name: 'Mark unread', exact: true }).click();
      await rig.until(bubble.getByRole('button', { name: 'Mark read', exact: true }), 'unread again');
      t.notOk((await stored())?.readAt, 'readAt cleared');
      page.once('dialog', (d) => void d.accept());
      await bubble.getByRole('button', { name: 'Delete', exact: true }).click();
      await rig.until(page.locator('#reply-result', { hasText: 'Deleted from the inbox.' }), 'deleted');
      t.equal(await bubble.count(), 0, 'gone from the thread');
      t.equal(await stored(), null, 'gone from the store (404)');
      const journal = rig.agent.journal.range({ types: ['sms.received'], limit: 10_000 }).filter((e) => e.type === 'sms.received' && (e.data as { text: string }).text === 'Code 4711, delete me');
      t.equal(journal.length, 1, 'its sms.received stays in the journal');
    });
  });
}
