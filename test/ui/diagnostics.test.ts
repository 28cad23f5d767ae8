// The page where nothing is set up yet: no API key configured (loopback) and a modem whose port does
// not exist. The page opens without asking for a key and says so, and the modem panel shows why it
// is offline (the port and the OS's words) rather than a bare HTTP 503. Then the SMPP server's sessions
// per account, a message's details with what the rules plugin did with it, and the balance with Check balance.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { rules } from '../../plugins/rules/index.ts';
import { smpp } from '../../plugins/smpp/index.ts';
import { CHROMIUM, hasChromium, launch, problemsOf, startAgent } from './rig.ts';

const ARTIFACTS = process.env.SMSEDGE_UI_ARTIFACTS ?? 'test-output';
const UNSET = 'SMSEDGE_UI_TEST_NO_KEY';
delete process.env[UNSET];

if (!hasChromium()) {
  t.plan(0, `skip: ${CHROMIUM} is missing (Debian: apt-get install chromium); the operator page tests need a real browser`);
} else {
  t.test('no key needed, and an offline modem with its reason', async (t) => {
    const port = join(t.testdir(), 'ttyUSB-missing');
    const rig = await startAgent(t, { plugins: [modem({ port, retry: { initialDelayMs: 1000 } }), api({ port: 0, apiKeyEnv: UNSET })] });
    const browser = await launch(t);
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const problems = problemsOf(page, /status of 503/);
    await page.goto(rig.base + '/');
    await page.locator('#dash').waitFor({ timeout: 10_000 });
    t.ok(await page.locator('#login').isHidden(), 'no sign-in');
    t.equal(await page.locator('#open-mode').textContent(), 'No key needed (open on this machine)', 'and it says why');
    t.ok(await page.locator('#logout').isHidden(), 'nothing to log out of');

    const reason = page.locator('#modems [data-modem="default"] [data-role="modem-reason"]');
    await rig.until(reason, 'the reason the modem is offline', 500);
    const text = (await reason.textContent()) ?? '';
    t.match(text, `cannot open ${port}`, `the port path (${text})`);
    t.match(text, /no such file or directory/i, 'in the OS’s words');
    t.match(await page.locator('#modems [data-role="modem-state"]').textContent(), /offline|error|starting/, 'not online');
    await page.waitForTimeout(300);
    t.notMatch((await page.locator('#notice').textContent()) ?? '', /HTTP 503/, 'no bare HTTP 503');
    t.same(problems, [], 'no other console errors');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator('#modems').screenshot({ path: join(ARTIFACTS, 'ui-modem-offline.png') });

    // On a phone: the same reason, nothing wider than the screen.
    const phone = await (await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true })).newPage();
    await phone.goto(rig.base + '/');
    const onPhone = phone.locator('#modems [data-modem="default"] [data-role="modem-reason"]');
    await rig.until(onPhone, 'the reason on a phone', 500);
    t.match(await onPhone.textContent(), `cannot open ${port}`, 'the reason on a phone');
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    t.ok(overflow <= 0, `no sideways scrolling (${overflow}px)`);
    // The panel, not the reason: live updates replace the modem's elements.
    await phone.locator('#modems').scrollIntoViewIfNeeded();
    await phone.screenshot({ path: join(ARTIFACTS, 'ui-phone-modem-offline.png') });
  });
}

if (hasChromium()) {
  t.test('SMPP sessions per account, and what the rules did with a message', async (t) => {
    const { bound, defaultAccounts } = await import('../smpp/fixtures.ts');
    const rig = await startAgent(t, {
      plugins: [
        modem({ port: 'simulator', retry: { initialDelayMs: 0 } }),
        api({ port: 0, apiKeyEnv: UNSET }),
        smpp({ port: 0, accounts: defaultAccounts as never }),
        rules({ rules: [{ name: 'parcels', when: { events: ['sms.received'], text: { keywords: ['parcel'] } }, then: [{ tag: ['delivery', 'home'] }] }] }),
      ],
    });
    const port = Number((await rig.agent.health()).plugins.smpp?.port);
    await bound(t, port, 'transceiver');
    await bound(t, port, 'receiver');
    const browser = await launch(t);
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(rig.base + '/');
    await page.locator('#dash').waitFor({ timeout: 10_000 });

    const alpha = page.locator('#smpp [data-account="alpha"]');
    await rig.until(alpha, 'the SMPP panel');
    t.equal(await alpha.locator('[data-role="sessions"]').textContent(), '2 sessions: 1 transceiver, 1 receiver', 'alpha’s bound sessions by mode');
    t.match(await page.locator('#smpp [data-account="beta"]').textContent(), /not-bound.*no session/, 'beta has none');
    t.match(await page.locator('#smpp [data-role="smpp-server"]').textContent(), `port ${port} · 0 connections not bound`);

    await rig.until(page.locator('#modems [data-role="modem-state"]', { hasText: 'online' }), 'the modem online');
    rig.agent.use('simulator').receiveSms({ from: '+15550100155', text: 'Your parcel is at the door' });
    const thread = page.locator('#threads li.thread', { hasText: '+15550100155' });
    await rig.until(thread, 'the thread');
    await thread.getByRole('button').click();
    const bubble = page.locator('#thread li.bubble.in', { hasText: 'parcel' });
    await bubble.waitFor({ timeout: 10_000 });
    const rulesShown = bubble.locator('[data-role="rules"]');
    for (let i = 0; i < 50 && !(await rulesShown.count()); i++) {
      // The rules plugin handles the event on its own journal subscription: until then there is nothing to show.
      if ((await bubble.getByRole('button', { name: 'Hide details' }).count())) await bubble.getByRole('button', { name: 'Hide details' }).click();
      await bubble.getByRole('button', { name: 'Details', exact: true }).click();
      await bubble.locator('[data-role="detail"] dl').waitFor({ timeout: 10_000 });
      if (!(await rulesShown.count())) await rig.clock.advance(200);
    }
    const text = (await rulesShown.textContent()) ?? '';
    t.match(text, /^Rules not blocked · tags: delivery, home/, `tags (${text})`);
    t.match(text, 'sms.received: matched parcels', 'the rule that matched, per event');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.locator('#thread-pane').screenshot({ path: join(ARTIFACTS, 'ui-message-rules.png') });
    await page.locator('#smpp-card').screenshot({ path: join(ARTIFACTS, 'ui-smpp.png') });
  });
}

if (hasChromium()) {
  t.test('the balance: read once online, Check balance reads it again, and a failed read says why', async (t) => {
    const rig = await startAgent(t, {
      plugins: [
        modem({ port: 'simulator', retry: { initialDelayMs: 0 }, balance: { ussd: '*100#', pattern: '(?<amount>[0-9.]+) (?<currency>[A-Z]{3})', everyHours: 24, low: 2 } }),
        api({ port: 0, apiKeyEnv: UNSET }),
      ],
    });
    const browser = await launch(t);
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    // The refused read below is an HTTP 502 in the console; the page shows it under the button.
    const problems = problemsOf(page, /status of 502/);
    await page.goto(rig.base + '/');
    await page.locator('#dash').waitFor({ timeout: 10_000 });
    const card = page.locator('#modems [data-modem="default"]');
    const balance = card.locator('[data-fact="Balance"]');
    // The scheduled read runs once the modem is online; the page shows it without a reload.
    await rig.until(card.locator('[data-fact="Balance"]', { hasText: /^5 EUR \(/ }), 'the first reading');
    t.notMatch(await balance.textContent(), /low/, 'not below low');

    rig.agent.use('simulator').setUssdMenu({ '*100#': { text: 'Your balance is 1.25 EUR.' } });
    await card.getByRole('button', { name: 'Check balance' }).click();
    await rig.until(card.locator('[data-fact="Balance"]', { hasText: /^1\.25 EUR \(.*\), low$/ }), 'the new reading, low');
    t.equal(await card.locator('[data-role="balance-check"]').count(), 0, 'nothing left under the button');
    t.equal((await rig.agent.use('sms').modems()[0]!.balance)?.amount, 1.25, 'the agent has the same reading');

    rig.agent.use('simulator').setUssdMenu({ '*100#': { text: 'Service unavailable, try later.' } });
    await card.getByRole('button', { name: 'Check balance' }).click();
    const failure = card.locator('[data-role="balance-check"]', { hasText: 'The balance could not be read' });
    await rig.until(failure, 'the failure under the button');
    t.match(await failure.textContent(), 'the pattern found no amount in the answer to *100#: "Service unavailable, try later."', 'in the agent’s words');
    await rig.until(card.locator('[data-fact="Balance"]', { hasText: 'the last read failed' }), 'the failed read beside the last reading');
    t.match(await balance.textContent(), /^1\.25 EUR .*, low · the last read failed/, 'the last good reading is kept');
    t.ok(await card.getByRole('button', { name: 'Check balance' }).isEnabled(), 'and it can be tried again');
    t.same(problems, [], 'no console errors');
    mkdirSync(ARTIFACTS, { recursive: true });
    // The panel, not the card: live updates replace the modem's elements.
    await page.locator('#modems').screenshot({ path: join(ARTIFACTS, 'ui-modem-balance.png') });
  });
}
