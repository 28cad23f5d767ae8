// The incumbents' daemons against the simulator on a pty: gammu-smsd (files backend, RunOnReceive) and
// smstools3 (smsd, eventhandler) receive what is stored on the SIM and send single and 3-part SMS on
// several profiles, and their logs show no error. Each is the real program from its Debian package.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { reassemble } from '../../core/sms/index.ts';
import { createSimulator, profiles, type ProfileName } from '../../simulator/index.ts';
import { peerMissing, simulatorPty, startGammuSmsd, startSmstools, type PeerRun } from '../bench/peers-daemons.ts';

const long = 'abcdefghij'.repeat(40); // 400 GSM 7-bit characters: 3 parts
const inbox = [{ from: '+15550100200', text: 'hello from the sim' }, { from: '+15550100201', text: 'Grüße' }];

/** Waits for another process (bounded polling, not a simulated delay). */
async function until(what: string, cond: () => boolean, ms: number, run: PeerRun): Promise<void> {
  for (const end = Date.now() + ms; !cond(); ) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${run.log().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.jobs = 4;

const daemons = [
  {
    name: 'gammu-smsd',
    skip: peerMissing('gammuSmsd') ?? false,
    // The test shortens the outbox scan (CommTimeout, default 30 s) so it does not wait half a minute.
    start: (dir: string, link: string, _profile: ProfileName) => startGammuSmsd(dir, link, ['CommTimeout = 1', 'ReceiveFrequency = 1']),
    // Lines gammu-smsd logs on a failure: "Error ...", "... failed", "Terminating".
    errors: (log: string) => log.split('\n').map((l) => (/gammu-smsd\[\d+\]: (.*)$/.exec(l)?.[1] ?? '').replace(/\/\S+/g, '<path>'))
      .filter((m) => /error|fail/i.test(m) && !/^SMS with errors moved|^Stopping Gammu smsd: No error/.test(m)),
  },
  {
    name: 'smstools',
    skip: peerMissing('smstools') ?? false,
    // delaytime (default 10 s) shortened for the same reason. Modems that number their storage from 0
    // need `memory_start = 0`, as smstools' manual says (it tells so in its log otherwise).
    start: (dir: string, link: string, profile: ProfileName) =>
      startSmstools(dir, link, ['delaytime = 1', 'delaytime_mainprocess = 1'], profiles[profile].firstIndex === 0 ? ['memory_start = 0'] : []),
    // smsd logs errors at level 3 (`<date>,3, GSM1: ...`; level 2 is its start/stop notices); and the
    // modem's "ERROR" answers as `<- ... ERROR`.
    // An empty slot read is `+CMS ERROR: 321` on modems that answer so (Huawei): that is no failure.
    errors: (log: string) => log.split('\n').filter((l) => /^\S+ \S+,3, /.test(l) || (/<- .*\bERROR\b/.test(l) && !/<- \+CMS ERROR: 321\b/.test(l))),
  },
];

for (const d of daemons) {
  for (const profile of ['sim800', 'sim7600', 'huawei'] as ProfileName[]) {
    t.test(`${d.name} on the ${profile} profile: receives the stored SMS, sends single and 3-part, logs no error`, { skip: d.skip, timeout: 120_000 }, async (t) => {
      const sim = createSimulator({ profile, inbox, transcriptLimit: Infinity });
      t.teardown(() => sim.close());
      const dir = t.testdir({});
      const pty = await simulatorPty(sim, dir);
      t.teardown(() => pty.close());
      const run = await d.start(dir, pty.link, profile);
      t.teardown(() => run.stop());
      await until('both stored SMS handled', () => run.handled().length >= 2, 60_000, run);
      t.equal(run.handled().length, 2, 'each stored SMS reached the handler once');
      await run.queue([{ to: '+15550100300', text: 'hello from the daemon' }, { to: '+15550100301', text: long }]);
      // Done when the daemon has moved both to its sent spool (the modem took a part before it answered).
      // smstools locks a file it moves with a `<name>.LOCK` beside it in the destination: not a message.
      await until('both messages sent', () => readdirSync(join(dir, 'sent')).filter((f) => !f.endsWith('.LOCK')).length >= 2, 60_000, run);
      const sent = sim.sent();
      t.same(sent.filter((s) => !s.concat).map((s) => s.text), ['hello from the daemon']);
      const parts = sent.filter((s) => s.concat);
      t.equal(parts.length, 3);
      const whole = reassemble(parts.map((s) => ({ concat: s.concat!, text: s.text })));
      t.equal(whole.complete && whole.text, long, 'the parts reassemble');
      await run.stop();
      t.same(d.errors(run.log()), [], 'no error in its log');
      t.equal(sim.modem.storage(sim.modem.mem[0]).used, 0, 'it deleted what it read');
    });
  }
}
