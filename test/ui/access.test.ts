// Access on the operator page in real Chromium against a real agent on the simulator (issue 30): a
// read-only key signs in and reads, but cannot send (the page says why; the API answers 403
// insufficient_scope); an admin sees the keys, creates one (its key shown once, working at once),
// revokes it, and finds all of it in the audit log, paged and filtered by key. Screenshots at desktop
// and phone size.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Browser, Page } from 'playwright-core';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { CHROMIUM, hasChromium, KEY, KEY_ENV, launch, problemsOf, startAgent, type Rig } from './rig.ts';

const ARTIFACTS = process.env.SMSEDGE_UI_ARTIFACTS ?? 'test-output';
const READ_KEY = 'ui-read-key-5d3f1b7a9c2e4068';
process.env.SMSEDGE_UI_TEST_READ_KEY = READ_KEY;

/** A page that records console errors and failed requests other than those the test causes. */
async function openPage(browser: Browser, rig: Rig, viewport: { width: number; height: number }, phone = false, fakeClock = false) {
  const context = await browser.newContext({ viewport, ...(phone ? { deviceScaleFactor: 2, isMobile: true, hasTouch: true } : {}) });
  const page = await context.newPage();
  // The page's timers on a clock the test moves (its polling and the audit log's refresh).
  if (fakeClock) await page.clock.install();
  // The refusals this test provokes are logged by Chromium as failed resources.
  const problems = problemsOf(page, /status of 40[39]/);
  const requests: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('dialog', (d) => void d.accept());
  await page.goto(rig.base + '/');
  return { page, problems, requests, close: () => context.close() };
}

async function signIn(page: Page, key: string) {
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('#dash').waitFor({ timeout: 10_000 });
}

if (!hasChromium()) {
  t.plan(0, `skip: ${CHROMIUM} is missing (Debian: apt-get install chromium); the operator page tests need a real browser`);
} else {
  t.test('access on the operator page', async (t) => {
    const rig = await startAgent(t, {
      plugins: [
        modem({ port: 'simulator', retry: { initialDelayMs: 0 } }),
        api({ port: 0, apiKeyEnv: KEY_ENV, keys: [{ name: 'monitoring', keyEnv: 'SMSEDGE_UI_TEST_READ_KEY', scopes: ['read'] }] }),
      ],
    });
    for (let i = 0; !rig.agent.use('sms').modems().every((m) => m.state === 'online'); i++) {
      if (i > 2000) throw new Error('the simulated modem did not come online');
      await rig.clock.advance(50);
    }
    // The rig starts the agent's clock minutes in the past (for a signal history this test has no use
    // for): bring it to the browser's time, so the audit log's times read "just now".
    while (rig.clock.now() < Date.now()) await rig.clock.advance(5000);
    await rig.call('/simulator/sms', { from: '+15550100161', text: 'Read me, do not answer' });
    const browser = await launch(t);

    await t.test('a read-only key signs in and reads, but cannot send: the page says why', async (t) => {
      const { page, problems, requests, close } = await openPage(browser, rig, { width: 1280, height: 900 });
      await signIn(page, READ_KEY);
      await page.locator('#whoami').waitFor({ timeout: 10_000 });
      t.equal(await page.locator('#whoami').textContent(), 'Key “monitoring”: read only: sending and changes are refused', 'the header says what the key may do');
      await rig.until(page.locator('#threads li.thread', { hasText: '+15550100161' }), 'the received SMS in the conversations');
      t.pass('it reads the conversations');
      t.ok(await page.locator('#access').isHidden(), 'no keys or audit log for a read key');
      t.ok(await page.getByRole('link', { name: 'Access' }).isHidden(), 'and no link to them');

      await page.getByRole('button', { name: 'New message' }).click();
      const form = page.locator('#compose-form');
      await form.getByLabel('To').fill('+15550100162');
      await form.getByLabel('Text', { exact: true }).fill('Not from a read key');
      const refused = page.waitForResponse((r) => r.url().endsWith('/sms/send') && r.request().method() === 'POST');
      await form.getByRole('button', { name: 'Send', exact: true }).click();
      const res = await refused;
      t.equal(res.status(), 403, 'the API refuses the send');
      t.match(await res.json(), { error: { code: 'insufficient_scope', message: 'the key "monitoring" may not do this: the route needs the send scope (the key has read)' } }, 'in the error vocabulary, naming the scope');
      const result = page.locator('#compose-result');
      await result.locator('xpath=self::*[contains(@class, "error")]').waitFor({ timeout: 10_000 });
      t.match(await result.textContent(), /needs the send scope \(the key has read\)/, 'the page says why');
      t.same(rig.agent.use('sms').listMessages({ direction: 'outbound', limit: 10 }), [], 'nothing was queued');
      mkdirSync(ARTIFACTS, { recursive: true });
      await form.screenshot({ path: join(ARTIFACTS, 'ui-access-read-only.png') });
      t.same(requests.filter((r) => !r.startsWith(rig.base + '/')), [], 'every request went to the agent');
      t.same(problems, [], 'no console errors');
      await close();
    });

    await t.test('an admin creates a key, sees it work and in the audit log, and revokes it', async (t) => {
      const { page, problems, close } = await openPage(browser, rig, { width: 1280, height: 900 });
      await signIn(page, KEY);
      const section = page.locator('#access');
      await section.waitFor({ timeout: 10_000 });
      t.equal(await page.locator('#whoami').textContent(), 'Key “default”: admin: everything');
      t.ok(await page.getByRole('link', { name: 'Access' }).isVisible(), 'the section is in the navigation');
      const keys = page.locator('#keys-list');
      await keys.locator('li[data-name="monitoring"]').waitFor({ timeout: 10_000 });
      t.match(await keys.locator('li[data-name="default"]').textContent(), /default.*admin.*\(this key\).*from the config/s, 'the config key, marked as this one');
      t.match(await keys.locator('li[data-name="monitoring"]').textContent(), /monitoring.*read.*from the config/s, 'the read key');
      t.equal(await keys.getByRole('button', { name: 'Revoke' }).count(), 0, 'config keys cannot be revoked from the page');
      // The read key's refused send is on record already.
      await page.locator('#audit-list li', { hasText: 'POST /sms/send' }).waitFor({ timeout: 10_000 });
      t.match(await page.locator('#audit-list li', { hasText: 'POST /sms/send' }).textContent(), /monitoring.*403 insufficient_scope/s, 'the refusal is audited');

      await page.locator('#key-add summary').click();
      await page.locator('#key-name').fill('grafana');
      await page.locator('#key-scopes input[value="send"]').check();
      await page.locator('#key-rate').fill('120');
      await page.getByRole('button', { name: 'Create key' }).click();
      await page.locator('#key-once').waitFor({ timeout: 10_000 });
      const secret = (await page.locator('#key-once-value').textContent()) ?? '';
      t.match(secret, /^smsedge_[A-Za-z0-9_-]{43}$/, 'the new key is shown');
      // The key shows before the list and the log are read again; the result line comes after them.
      await page.locator('#keys-result', { hasText: 'Created' }).waitFor({ timeout: 10_000 });
      t.equal(await page.locator('#keys-result').textContent(), 'Created “grafana” (read, send).');
      const row = keys.locator('li[data-name="grafana"]');
      await row.waitFor();
      t.match(await row.textContent(), new RegExp(`grafana.*read.*send.*${secret.slice(0, 12)}… · 120 requests/min`, 's'), 'listed with its scopes, first characters and limit');
      t.notMatch(await keys.textContent(), secret, 'the list never holds the key itself');
      const auth = (await (await fetch(`${rig.base}/auth`, { headers: { authorization: `Bearer ${secret}` } })).json()) as { key: string; scopes: string[] };
      t.same(auth, { required: true, key: 'grafana', scopes: ['read', 'send'] }, 'the new key works at once');
      const created = page.locator('#audit-list li', { hasText: 'POST /keys' });
      await created.waitFor();
      t.match(await created.first().textContent(), /default.*POST \/keys.*201.*on grafana/s, 'the creation is in the audit log: who, what, which key');
      await section.screenshot({ path: join(ARTIFACTS, 'ui-access-admin.png') });

      await page.locator('#key-once').getByRole('button', { name: 'Done' }).click();
      t.ok(await page.locator('#key-once').isHidden(), 'Done hides the key');
      t.equal(await page.locator('#key-once-value').textContent(), '', 'and forgets it');
      await row.getByRole('button', { name: 'Revoke' }).click();
      await page.locator('#keys-result', { hasText: 'Revoked “grafana”.' }).waitFor({ timeout: 10_000 });
      t.equal(await keys.locator('li[data-name="grafana"]').count(), 0, 'gone from the list');
      t.equal((await fetch(`${rig.base}/auth`, { headers: { authorization: `Bearer ${secret}` } })).status, 401, 'and refused at once');
      t.match(await page.locator('#audit-list li').first().textContent(), /default.*DELETE \/keys\/:name.*204.*on grafana/s, 'the revocation heads the audit log');
      t.same(problems, [], 'no console errors');
      await close();
    });

    await t.test('the audit log pages older entries and filters by key', async (t) => {
      // 30 more entries by the admin key: refused creations (a name in use) are calls that changed nothing, recorded all the same.
      for (let i = 0; i < 30; i++)
        await fetch(`${rig.base}/keys`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'monitoring', scopes: ['read'] }) }).then((r) => r.body?.cancel());
      const { page, problems, close } = await openPage(browser, rig, { width: 1280, height: 900 }, false, true);
      await signIn(page, KEY);
      const list = page.locator('#audit-list');
      await list.locator('li').first().waitFor({ timeout: 10_000 });
      t.equal(await list.locator('li').count(), 25, 'one page at first');
      // A call from elsewhere shows up by itself within 30 s (the page's own clock, faked).
      const newest = Number(await list.locator('li').first().getAttribute('data-audit'));
      await fetch(`${rig.base}/sms/messages/nope`, { method: 'DELETE', headers: { authorization: `Bearer ${READ_KEY}` } }).then((r) => r.body?.cancel());
      await page.clock.runFor(31_000);
      await list.locator(`li[data-audit="${newest + 1}"]`, { hasText: 'monitoring' }).waitFor({ timeout: 10_000 });
      t.pass('the read key\'s refused delete appeared without a click');
      t.equal(await list.locator('li').count(), 25, 'still one page');
      const firstPage = await list.locator('li').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.audit)));
      await page.getByRole('button', { name: 'Load older' }).click();
      await page.waitForFunction(() => document.querySelectorAll('#audit-list li').length > 25, null, { timeout: 10_000 });
      const all = await list.locator('li').evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.audit)));
      t.same(all.slice(0, 25), firstPage, 'older entries are added below');
      t.same(all, [...all].sort((a, b) => b - a), 'newest first, none twice');
      t.equal(new Set(all).size, all.length);
      t.ok(all.length >= 33, `every entry reachable (${all.length})`);
      t.ok(await page.getByRole('button', { name: 'Load older' }).isHidden(), 'no more to load');

      await page.getByLabel('Key', { exact: true }).selectOption('monitoring');
      await page.waitForFunction(() => [...document.querySelectorAll('#audit-list li')].every((li) => li.textContent?.startsWith('monitoring')), null, { timeout: 10_000 });
      t.equal(await list.locator('li').count(), 2, "the read key's two entries: its refused send and delete");
      t.same(problems, [], 'no console errors');
      await close();
    });

    await t.test('with no key on loopback the page opens directly, says so, and its first key keeps it open', async (t) => {
      const open = await startAgent(t, { plugins: [modem({ port: 'simulator' }), api({ port: 0, apiKeyEnv: 'SMSEDGE_UI_TEST_UNSET_KEY' })] });
      const { page, problems, close } = await openPage(browser, open, { width: 1280, height: 900 });
      await page.locator('#dash').waitFor({ timeout: 10_000 });
      t.ok(await page.locator('#login').isHidden(), 'no sign-in');
      t.equal(await page.locator('#open-mode').textContent(), 'No key needed (open on this machine)', 'it says so');
      t.ok(await page.locator('#whoami').isHidden(), 'no key to name');
      await page.locator('#keys-list li', { hasText: 'No keys: the API is open on this machine.' }).waitFor({ timeout: 10_000 });
      t.pass('the keys view says there are none');
      await page.locator('#key-add summary').click();
      await page.locator('#key-name').fill('app');
      await page.getByRole('button', { name: 'Create key' }).click();
      await page.locator('#keys-result.error').waitFor({ timeout: 10_000 });
      t.match(await page.locator('#keys-result').textContent(), /the first key must have the admin scope/, 'a first key without admin is refused, saying why');
      await page.locator('#key-name').fill('owner');
      await page.locator('#key-scopes input[value="read"]').uncheck();
      await page.locator('#key-scopes input[value="admin"]').check();
      await page.getByRole('button', { name: 'Create key' }).click();
      await page.locator('#key-once').waitFor({ timeout: 10_000 });
      const secret = (await page.locator('#key-once-value').textContent()) ?? '';
      await page.locator('#keys-result', { hasText: 'Created' }).waitFor({ timeout: 10_000 });
      t.match(await page.locator('#keys-result').textContent(), /From now on the API needs a key; this tab uses this one\./, 'the page says the API is closed now');
      t.equal((await fetch(`${open.base}/sms/messages`)).status, 401, 'the API needs a key now');
      t.equal(await page.evaluate(() => sessionStorage.getItem('smsedge.key')), secret, 'this tab goes on with the new key');
      await page.locator('#keys-list li[data-name="owner"]').waitFor({ timeout: 10_000 });
      await open.clock.advance(11_000);
      await page.waitForTimeout(300);
      t.ok(await page.locator('#login').isHidden(), 'the page was not signed out: the key is still readable');
      t.ok(await page.locator('#key-once').isVisible());
      t.same(problems, [], 'no console errors');
      await close();
    });

    await t.test('on a phone', async (t) => {
      const { page, problems, close } = await openPage(browser, rig, { width: 390, height: 844 }, true);
      await signIn(page, KEY);
      await page.locator('#keys-list li[data-name="monitoring"]').waitFor({ timeout: 10_000 });
      await page.locator('#audit-list li').first().waitFor({ timeout: 10_000 });
      await page.getByRole('link', { name: 'Access' }).click();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      t.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);
      await page.locator('#access').screenshot({ path: join(ARTIFACTS, 'ui-access-phone.png') });
      t.same(problems, [], 'no console errors');
      await close();
    });
  });
}
