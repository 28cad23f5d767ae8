// The operator page end to end in real Chromium against a real agent on the simulator: sign in, the
// modem online, an SMS injected from the page appearing live, an SMS sent to `delivered`, a failing
// webhook retried from the page, the polling fallback, and the page on a phone screen.
import { mkdirSync } from 'node:fs';
import t from 'tap';
import type { Page } from 'playwright-core';
import { CHROMIUM, hasChromium, KEY, launch, problemsOf, receiver, startAgent } from './rig.ts';

if (!hasChromium()) {
  t.plan(0, `skip: ${CHROMIUM} is missing (Debian: apt-get install chromium); the operator page tests need a real browser`);
} else {
  t.test('the operator page', async (t) => {
    const rig = await startAgent(t);
    const { base } = rig;
    const hook = await receiver(t, 500);
    const created = await rig.call('/webhooks', { url: hook.url, events: ['sms.received'], maxAttempts: 2 });
    const browser = await launch(t);
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const problems = problemsOf(page);
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    let navigations = 0;
    page.on('framenavigated', (f) => {
      if (f === page.mainFrame()) navigations++;
    });

    await page.goto(base + '/');
    await t.test('sign in', async (t) => {
      await page.getByLabel('API key').fill('not-the-key');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByText('The agent refused this key.').waitFor({ timeout: 10_000 });
      t.ok(await page.locator('#dash').isHidden(), 'the panels stay hidden after a wrong key');
      t.match(problems.splice(0), [/status of 401/], 'the refused key is the only failed request so far');
      await page.getByLabel('API key').fill(KEY);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('#dash').waitFor({ timeout: 10_000 });
      t.equal(await page.evaluate(() => sessionStorage.getItem('smsedge.key')), KEY, 'the key is kept in session storage');
      t.same(await context.cookies(), [], 'no cookies');
      await page.locator('#link[data-kind="live"]').waitFor({ timeout: 10_000 });
      t.equal(await page.locator('#link').textContent(), 'Live', 'the event stream is open');
    });

    await t.test('the modem is online', async (t) => {
      const modem = page.locator('#modems [data-modem="default"]');
      await modem.locator('[data-role="modem-state"]', { hasText: 'online' }).waitFor({ timeout: 10_000 });
      const text = (await modem.textContent()) ?? '';
      t.match(text, /dBm/, 'signal in dBm');
      t.match(await modem.locator('svg.bars').getAttribute('aria-label'), /^Signal \d of 5 bars/, 'signal bars are labelled');
      // The history loads next to the status: wait for the chart to have its points.
      await page.waitForFunction(() => (document.querySelector('#modems svg.chart path')?.getAttribute('d') ?? '').split('L').length >= 6, null, { timeout: 10_000 }).catch(() => {});
      const path = (await modem.locator('svg.chart path').getAttribute('d')) ?? '';
      t.ok(path.split('L').length >= 6, `a history chart of the readings so far (${path.split('L').length} points)`);
      t.match(await modem.locator('svg.chart').getAttribute('aria-label'), /between -97 and -\d+ dBm/, 'the chart is described');
      const imei = /IMEI(\S+)/.exec(text.replace(/\s+/g, ''))?.[1] ?? '';
      t.match(imei, /\*{4,}/, `the IMEI is masked (${imei})`);
      t.ok(await page.locator('#sim-card').isVisible(), 'simulator controls are shown on the simulator');
      t.equal(await page.locator('#queues [data-fact="Webhooks failed"]').textContent(), '0', 'webhook counts in the queues');
    });

    const text = 'Your parcel arrives today 7g2';
    await t.test('an SMS injected from the page appears without reloading', async (t) => {
      await page.evaluate(() => ((window as unknown as { marker: number }).marker = 42));
      await page.getByLabel('From').fill('+15550100199');
      await page.locator('#sim-text').fill(text);
      await page.getByRole('button', { name: 'Inject SMS' }).click();
      const item = page.locator('#threads li.thread', { hasText: '+15550100199' });
      await rig.until(item, 'the injected SMS in the conversations');
      t.match(await item.textContent(), text, 'its text, whole for the signed-in operator');
      await page.getByLabel('Privacy').check();
      t.notOk(((await page.locator('#threads').textContent()) ?? '').includes(text), 'the privacy switch hides the text');
      t.match(await page.locator('#threads li.thread[data-number="+15550100199"]').textContent(), '+155****0199', 'and masks the number');
      await page.getByLabel('Privacy').uncheck();
      t.equal(await page.evaluate(() => (window as unknown as { marker: number }).marker), 42, 'the page was not reloaded');
      t.equal(navigations, 1, 'one navigation only');
    });

    await t.test('a call injected from the page is listed under Missed calls once the caller gives up', async (t) => {
      t.equal(await page.locator('#calls').textContent(), 'No missed calls in the journal.', 'none yet');
      await page.getByLabel('From').fill('+15550100177');
      await page.getByRole('button', { name: 'Inject call' }).click();
      await rig.until(page.locator('#sim-result', { hasText: 'The modem is ringing' }), 'the call placed');
      const item = page.locator('#calls li.item', { hasText: '+15550100177' });
      await rig.until(item, 'the missed call in the list');
      t.match(await item.textContent(), /modem default/, 'with its modem');
      t.match(await rig.call('/calls'), { items: [{ from: '+15550100177', modem: 'default' }] }, 'the API has the number');
    });

    await t.test('a failing webhook is retried from the page', async (t) => {
      const failed = page.locator('#deliveries li.d-failed', { hasText: 'sms.received' });
      // Two attempts answered 500, the second after the backoff (agent time): then the delivery failed.
      await rig.until(failed, 'the failed delivery', 500);
      t.ok(hook.received >= 2, `the receiver saw the attempts (${hook.received})`);
      t.equal(await page.locator('#deliveries li.item').first().getAttribute('class'), 'item d-failed', 'failed deliveries come first');
      t.match(await failed.textContent(), /HTTP 500/);
      const hookItem = page.locator(`#hooks li[data-id="${created.webhook.id}"]`);
      await hookItem.locator('[data-role="rate"]', { hasText: '0% of the last 1 delivered' }).waitFor({ timeout: 10_000 });
      hook.status = 204;
      await failed.getByRole('button', { name: 'Retry now' }).click();
      await rig.until(page.locator('#deliveries-result', { hasText: 'Delivered (HTTP 204' }), 'the retry result');
      await rig.until(page.locator('#deliveries li.d-delivered', { hasText: 'sms.received' }), 'the delivery shown delivered');
      t.equal(await page.locator('#deliveries li.d-failed').count(), 0, 'nothing failed any more');
      await hookItem.locator('[data-role="rate"]', { hasText: '100% of the last 1 delivered' }).waitFor({ timeout: 10_000 });
      await hookItem.getByRole('button', { name: 'Send test' }).click();
      await rig.until(page.locator('#hooks-result', { hasText: 'Delivered' }), 'the test delivery');
    });

    await t.test('a webhook added from the page: a generated secret shown once, a bad URL named', async (t) => {
      const added = await receiver(t, 204);
      await page.getByText('Add a webhook').click();
      await page.getByLabel('URL', { exact: true }).fill('not a url');
      await page.getByRole('button', { name: 'Add webhook' }).click();
      await rig.until(page.locator('#hook-form-result.error', { hasText: '(url)' }), 'the refusal naming the field');
      t.ok(await page.locator('#hook-secret-once').isHidden(), 'no secret shown for a refused webhook');
      t.match(problems.splice(0), [/status of 400/], 'the refused webhook is the only failed request');
      await page.getByLabel('URL', { exact: true }).fill(added.url);
      await page.getByLabel('sms.delivered').check();
      await page.getByRole('button', { name: 'Add webhook' }).click();
      await rig.until(page.locator('#hook-form-result', { hasText: 'Added: sms.received, sms.delivered' }), 'the added webhook');
      const shown = (await page.locator('#hook-secret-value').textContent()) ?? '';
      t.match(shown, /^whsec_[A-Za-z0-9+/=]{32,}$/, 'the generated secret, shown once');
      const list = (await rig.call('/webhooks')) as { items: { id: string; url: string; format: string; events: string[] }[] };
      const made = list.items.find((w) => w.url === added.url);
      t.match(made, { format: 'standard', events: ['sms.received', 'sms.delivered'] }, 'created as asked');
      await rig.until(page.locator(`#hooks li[data-id="${made!.id}"]`), 'the new webhook in the list');
      t.equal(await page.getByLabel('URL', { exact: true }).inputValue(), '', 'the form is cleared');
      t.notOk(JSON.stringify(list).includes(shown), 'the API never shows the secret again');

      const item = page.locator(`#hooks li[data-id="${made!.id}"]`);
      await item.getByRole('button', { name: 'Disable' }).click();
      await rig.until(item.locator('.badge', { hasText: 'disabled' }), 'shown disabled');
      t.match(await rig.call(`/webhooks/${made!.id}`), { enabled: false }, 'disabled in the agent');
      await item.getByRole('button', { name: 'Enable' }).click();
      await rig.until(item.locator('.badge', { hasText: 'enabled' }), 'shown enabled again');

      await item.getByRole('button', { name: 'Edit' }).click();
      t.equal(await page.getByLabel('URL', { exact: true }).inputValue(), added.url, 'Edit fills the form in from the webhook');
      t.ok(await page.getByLabel('sms.delivered').isChecked(), 'with its events');
      await page.getByRole('button', { name: 'Cancel' }).click();
      t.equal(await page.getByLabel('URL', { exact: true }).inputValue(), '', 'Cancel empties it again');
      t.equal(await page.getByRole('button', { name: 'Add webhook' }).count(), 1, 'and it adds again');
      const moved = await receiver(t, 204);
      await item.getByRole('button', { name: 'Edit' }).click();
      await page.getByLabel('URL', { exact: true }).fill(moved.url);
      await page.getByLabel('sms.delivered').uncheck();
      await page.getByLabel('sms.failed').check();
      await page.getByRole('button', { name: 'Save changes' }).click();
      await rig.until(page.locator('#hook-form-result', { hasText: `Saved: sms.received, sms.failed → ${moved.url}` }), 'the saved webhook');
      t.match(await rig.call(`/webhooks/${made!.id}`), { url: moved.url, events: ['sms.received', 'sms.failed'], format: 'standard' }, 'changed in the agent');
      await rig.until(item.locator('.url', { hasText: moved.url }), 'the list shows the new URL');
      t.equal(await page.getByRole('button', { name: 'Add webhook' }).count(), 1, 'the form adds again after saving');
      t.equal(await page.getByLabel('URL', { exact: true }).inputValue(), '', 'and is empty');
      t.notOk(problems.splice(0).length, 'no request failed');

      // A URL with a token in its query is shown without it; an edit that leaves the field alone keeps it.
      const tokened = await receiver(t, 204);
      await page.getByLabel('URL', { exact: true }).fill(`${tokened.url}?token=keep-me`);
      await page.getByRole('button', { name: 'Add webhook' }).click();
      await rig.until(page.locator('#hook-form-result', { hasText: `Added: sms.received → ${tokened.url}` }), 'the webhook with a token');
      const withToken = ((await rig.call('/webhooks')) as { items: { id: string; url: string }[] }).items.find((w) => w.url === tokened.url);
      const tokenItem = page.locator(`#hooks li[data-id="${withToken!.id}"]`);
      await rig.until(tokenItem, 'it in the list');
      await tokenItem.getByRole('button', { name: 'Edit' }).click();
      t.equal(await page.getByLabel('URL', { exact: true }).inputValue(), tokened.url, 'shown without its query');
      t.ok(await page.locator('#hook-url-hint').isVisible(), 'and the form says so');
      await page.getByLabel('sms.delivered').check();
      await page.getByRole('button', { name: 'Save changes' }).click();
      await rig.until(page.locator('#hook-form-result', { hasText: `Saved: sms.received, sms.delivered → ${tokened.url}` }), 'the saved webhook');
      await tokenItem.getByRole('button', { name: 'Send test' }).click();
      await rig.until(page.locator('#hooks-result', { hasText: 'Delivered' }), 'the test delivery');
      t.same(tokened.paths, ['/hook?token=keep-me'], 'the stored URL kept its token');
      page.once('dialog', (d) => void d.accept());
      await tokenItem.getByRole('button', { name: 'Delete' }).click();
      await tokenItem.waitFor({ state: 'detached', timeout: 10_000 });

      page.once('dialog', (d) => void d.dismiss());
      await item.getByRole('button', { name: 'Rotate secret' }).click();
      t.ok(await page.locator('#hooks-secret-once').isHidden(), 'a dismissed rotation shows nothing');
      t.match(await rig.call(`/webhooks/${made!.id}`), { previousSecretUntil: null }, 'and rotates nothing');
      page.once('dialog', (d) => void d.accept());
      await item.getByRole('button', { name: 'Rotate secret' }).click();
      await rig.until(page.locator('#hooks-result', { hasText: `New secret for ${moved.url}; the old one also signs until` }), 'the rotation');
      const rotated = (await page.locator('#hooks-secret-value').textContent()) ?? '';
      t.match(rotated, /^whsec_[A-Za-z0-9+/=]{32,}$/, 'the new secret, shown once');
      t.not(rotated, shown, 'a new one');
      const after = (await rig.call(`/webhooks/${made!.id}`)) as { previousSecretUntil: string | null };
      t.ok(after.previousSecretUntil, 'the old one signs alongside for a while');
      t.notOk(JSON.stringify(after).includes(rotated), 'the API does not show it');

      await item.getByRole('button', { name: 'Replay' }).click();
      t.not(await page.locator('#hook-replay').getAttribute('open'), null, 'Replay opens the replay form');
      t.match(await page.locator('#replay-target').textContent(), moved.url, 'aimed at that webhook');
      // The agent runs on a manual clock: replay from well before anything it journaled.
      await page.getByRole('textbox', { name: 'Since' }).fill('2000-01-01T00:00:00');
      await page.getByRole('button', { name: 'Replay events' }).click();
      await rig.until(page.locator('#replay-result', { hasText: `for ${moved.url}` }), 'the replay');
      const queued = Number(/Queued (\d+) event/.exec((await page.locator('#replay-result').textContent()) ?? '')?.[1]);
      t.ok(queued >= 1, `the SMS injected earlier is among them (${queued})`);
      const log = (await rig.call(`/sms/webhook-deliveries?webhookId=${made!.id}`)) as { items: { eventType: string }[] };
      t.ok(log.items.filter((d) => d.eventType === 'sms.received').length >= queued, 'queued in the delivery log');

      page.once('dialog', (d) => void d.dismiss());
      await item.getByRole('button', { name: 'Delete' }).click();
      t.match(await rig.call(`/webhooks/${made!.id}`), { enabled: true }, 'a dismissed confirmation deletes nothing');
      page.once('dialog', (d) => void d.accept());
      await item.getByRole('button', { name: 'Delete' }).click();
      await rig.until(page.locator('#hooks-result', { hasText: `Deleted ${moved.url}` }), 'the deletion');
      await page.locator(`#hooks li[data-id="${made!.id}"]`).waitFor({ state: 'detached', timeout: 10_000 });
      t.ok(await page.locator('#hook-secret-once').isHidden(), 'the deleted webhook’s secret is no longer shown');
      t.equal(await page.locator('#hook-secret-value').textContent(), '', 'nor left in the page');
      t.ok(await page.locator('#hooks-secret-once').isHidden(), 'nor its rotated one');
      t.ok(await page.locator('#replay-submit').isDisabled(), 'the replay form no longer aims at it');
      t.equal(await page.locator('#hooks-secret-value').textContent(), '', 'which is not left in the page either');
      t.notOk(((await rig.call('/webhooks')) as { items: { id: string }[] }).items.some((w) => w.id === made!.id), 'gone from the agent');
    });

    await t.test('a webhook’s options from the page: sender and modem filters, limits, extra headers', async (t) => {
      const opts = await receiver(t, 204);
      await page.getByLabel('URL', { exact: true }).fill(opts.url);
      await page.getByText('More options').click();
      await page.getByLabel('Sender filter').fill('+1555*');
      await page.getByLabel('Attempts at most').fill('3');
      await page.getByLabel('Requests per minute at most').fill('600');
      await page.getByLabel('Extra headers').fill('X-Env: test\nnot a header line');
      await page.getByRole('button', { name: 'Add webhook' }).click();
      await rig.until(page.locator('#hook-form-result.error', { hasText: 'line 2 is not "Name: value" (headers)' }), 'the bad header line named');
      await page.getByLabel('Extra headers').fill('X-Env: test\n\nX-Token: s3cr3t-value');
      await page.getByLabel('Timeout per attempt, ms').fill('50');
      await page.getByRole('button', { name: 'Add webhook' }).click();
      await rig.until(page.locator('#hook-form-result.error', { hasText: '(timeoutMs)' }), 'the agent’s refusal naming the field');
      t.match(problems.splice(0), [/status of 400/], 'the refused timeout is the only failed request');
      await page.getByLabel('Timeout per attempt, ms').fill('5000');
      await page.getByLabel('Attempts at most').pressSequentially('e');
      await page.getByRole('button', { name: 'Add webhook' }).click();
      await rig.until(page.locator('#hook-form-result.error', { hasText: 'Enter a whole number (maxAttempts)' }), 'what is no number refused, not taken as empty');
      await page.getByLabel('Attempts at most').fill('3');
      await page.getByRole('button', { name: 'Add webhook' }).click();
      await rig.until(page.locator('#hook-form-result', { hasText: `Added: sms.received → ${opts.url}` }), 'the added webhook');
      const made = ((await rig.call('/webhooks')) as { items: { id: string; url: string }[] }).items.find((w) => w.url === opts.url)!;
      t.match(await rig.call(`/webhooks/${made.id}`), {
        filters: { from: '+1555*' }, maxAttempts: 3, timeoutMs: 5000, rateLimitPerMinute: 600, headers: ['X-Env', 'X-Token'],
      }, 'created with its options');
      t.equal(await page.getByLabel('Extra headers').inputValue(), '', 'the form is emptied, header values too');
      const item = page.locator(`#hooks li[data-id="${made.id}"]`);
      await rig.until(item.locator('[data-role="options"]', { hasText: 'from +1555* · 3 attempts at most · timeout 5 s · 600/min · headers X-Env, X-Token' }), 'the options in the list');
      t.notOk(((await item.textContent()) ?? '').includes('s3cr3t'), 'no header value in the list');
      await item.getByRole('button', { name: 'Send test' }).click();
      await rig.until(page.locator('#hooks-result', { hasText: 'Delivered' }), 'the test delivery');
      t.match(opts.headers.at(-1), { 'x-env': 'test', 'x-token': 's3cr3t-value' }, 'the receiver got the extra headers');

      await item.getByRole('button', { name: 'Edit' }).click();
      t.not(await page.locator('#hook-more').getAttribute('open'), null, 'Edit opens the options of a webhook that has some');
      t.equal(await page.getByLabel('Sender filter').inputValue(), '+1555*', 'filled in: the sender filter');
      t.equal(await page.getByLabel('Attempts at most').inputValue(), '3', 'the attempts');
      t.equal(await page.getByLabel('Extra headers').inputValue(), '', 'header values are not shown');
      t.match(await page.locator('#hook-headers-hint').textContent(), 'now: X-Env, X-Token', 'their names are');
      await page.getByLabel('Sender filter').fill('');
      await page.getByLabel('Modem filter').fill('default');
      await page.getByLabel('Attempts at most').fill('');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await rig.until(page.locator('#hook-form-result', { hasText: `Saved: sms.received → ${opts.url}` }), 'the saved webhook');
      // Edit at once, before the list has reloaded: the form shows what was just saved, not the old settings.
      await item.getByRole('button', { name: 'Edit' }).click();
      t.equal(await page.getByLabel('Modem filter').inputValue(), 'default', 'Edit right after saving fills in the saved modem filter');
      t.equal(await page.getByLabel('Sender filter').inputValue(), '', 'and not the old sender filter');
      await page.getByRole('button', { name: 'Cancel' }).click();
      t.match(await rig.call(`/webhooks/${made.id}`), {
        filters: { modem: 'default' }, maxAttempts: null, timeoutMs: 5000, rateLimitPerMinute: 600, headers: ['X-Env', 'X-Token'],
      }, 'emptied fields cleared, headers left alone kept');
      t.notOk('from' in ((await rig.call(`/webhooks/${made.id}`)) as { filters: object }).filters, 'the sender filter is gone');
      await rig.until(item.locator('[data-role="options"]', { hasText: 'modem default · timeout 5 s' }), 'the list follows');

      await item.getByRole('button', { name: 'Edit' }).click();
      await page.getByLabel('Remove the current headers').check();
      await page.getByRole('button', { name: 'Save changes' }).click();
      await rig.until(page.locator('#hook-form-result', { hasText: 'Saved:' }), 'saved again');
      t.same(((await rig.call(`/webhooks/${made.id}`)) as { headers: string[] }).headers, [], 'headers removed');
      await rig.until(item.locator('[data-role="options"]', { hasText: /modem default · timeout 5 s · 600\/min$/ }), 'the list without them');
      t.notOk(((await item.textContent()) ?? '').includes('headers'), 'no headers listed any more');
      t.notOk(problems.splice(0).length, 'no other request failed');
      page.once('dialog', (d) => void d.accept());
      await item.getByRole('button', { name: 'Delete' }).click();
      await item.waitFor({ state: 'detached', timeout: 10_000 });
    });

    await t.test('an SMS sent from the page reaches delivered', async (t) => {
      rig.agent.use('simulator').setDeliveryOutcome('+15550100123', 'delivered', 1000);
      await page.getByRole('button', { name: 'New message' }).click();
      await page.locator('#compose-form').getByLabel('To').fill('+15550100123');
      await page.locator('#compose-text').fill('Test from the operator page');
      t.ok(await page.getByLabel('Ask for a delivery report').isChecked());
      await page.locator('#compose-form').getByRole('button', { name: 'Send', exact: true }).click();
      await page.locator('#compose-result', { hasText: 'Queued: 1 message (1 part each)' }).waitFor({ timeout: 10_000 });
      t.equal(await page.locator('#compose-count').textContent(), '0 characters', 'the form is cleared');
      const item = page.locator('#threads li.thread', { hasText: '+15550100123' });
      await rig.until(item.locator('[data-role="status"]', { hasText: 'delivered' }), 'the sent SMS delivered');
      await rig.until(page.locator('#reports li.item', { hasText: '+15550100123' }).locator('.badge', { hasText: 'delivered' }), 'its delivery report');
    });

    await t.test('USSD', async (t) => {
      await page.getByLabel('Code').fill('*100#');
      await page.getByRole('button', { name: 'Run', exact: true }).click();
      await rig.until(page.locator('#ussd-result', { hasText: 'Your balance is 5.00 EUR.' }), 'the USSD answer');
      t.pass('answered');
    });

    await t.test('the page is accessible and self-contained', async (t) => {
      const unlabelled = await page.evaluate(() =>
        [...document.querySelectorAll('input, textarea, select')]
          .filter((el) => !(el as HTMLInputElement).labels?.length && !el.getAttribute('aria-label'))
          .map((el) => el.id),
      );
      t.same(unlabelled, [], 'every field has a label');
      const nameless = await page.evaluate(() => [...document.querySelectorAll('button')].filter((b) => !b.textContent?.trim() && !b.getAttribute('aria-label')).length);
      t.equal(nameless, 0, 'every button has a name');
      t.same(requests.filter((u) => !u.startsWith(base) && !u.startsWith('data:')), [], 'nothing is loaded from elsewhere');
      t.same(requests.filter((u) => u.includes(KEY)), [], 'the key is never in a URL');
      t.same(problems, [], 'no console errors');
    });

    mkdirSync('test-output', { recursive: true });
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: 'test-output/ui-main.png', fullPage: true });

    await t.test('on a phone', async (t) => {
      const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
      const p = await phone.newPage();
      await p.goto(base + '/');
      await signIn(p);
      await p.locator('#modems [data-role="modem-state"]', { hasText: 'online' }).waitFor({ timeout: 10_000 });
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      t.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);
      await p.screenshot({ path: 'test-output/ui-phone.png' });
      await phone.close();
    });

    await t.test('without the event stream it polls', async (t) => {
      const ctx = await browser.newContext();
      const p = await ctx.newPage();
      await p.clock.install();
      await p.route('**/events', (route) => route.abort());
      await p.goto(base + '/');
      await signIn(p);
      await p.locator('#link[data-kind="poll"]').waitFor({ timeout: 10_000 });
      await rig.call('/simulator/sms', { from: '+15550100177', text: 'while polling' });
      const item = p.locator('#threads li.thread', { hasText: 'while polling' });
      for (let i = 0; i < 200 && !(await item.count()); i++) {
        await rig.clock.advance(250); // the agent receives it
        await p.clock.runFor(2000); // the page's poll timer comes round
        await item.waitFor({ timeout: 100 }).catch(() => {});
      }
      t.equal(await item.count(), 1, 'the new SMS came in by polling');
      t.equal(await p.locator('#link').textContent(), 'Polling every 10 s (live updates unavailable)');
      await ctx.close();
    });

    await t.test('logging out forgets the key', async (t) => {
      await page.getByRole('button', { name: 'Log out' }).click();
      await page.getByLabel('API key').waitFor();
      t.equal(await page.evaluate(() => sessionStorage.getItem('smsedge.key')), null);
      t.ok(await page.locator('#dash').isHidden());
    });
  });
}

async function signIn(p: Page): Promise<void> {
  await p.getByLabel('API key').fill(KEY);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.locator('#dash').waitFor({ timeout: 10_000 });
}
