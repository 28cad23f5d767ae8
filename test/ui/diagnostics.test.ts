// The page where nothing is set up yet: no API key configured (loopback) and a modem whose port does
// not exist. The page opens without asking for a key and says so, and the modem panel shows why it
// is offline (the port and the OS's words) rather than a bare HTTP 503.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { CHROMIUM, hasChromium, launch, startAgent } from './rig.ts';

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
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 503/.test(m.text())) problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
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
  });
}
