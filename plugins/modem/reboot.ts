// A modem that reboots in place: on a Pi's UART (a brown-out, a watchdog reset) there is no USB
// re-enumeration, only its boot lines (RDY, +CPIN: SIM PIN, Call Ready, SMS Ready, +CFUN: 1, ^SYSSTART,
// +QIND: SMS DONE ...). It has forgotten its set-up (27.005 3.2.3 +CMGF, 3.4.1 +CNMI, 27.007 5.5 +CSCS)
// and may want its PIN again. A boot line makes the driver look: the set-up lost, the whole of it is
// run again on a reopened port (the PIN once, never one refused before: sim.ts); else only the storage
// is swept (an indication may have been lost while the modem restarted).
import type { DriverContext } from './context.ts';
import { sweepStorage } from './health.ts';
import * as parse from './parse.ts';

/** URC prefixes a modem prints as it boots (3GPP and the vendors'); +QIND only with SMS/PB DONE. */
export const BOOT_LINES = ['RDY', '^SYSSTART', '*ATREADY:', '+CPIN:', 'Call Ready', 'SMS Ready', 'SMS DONE', 'PB DONE', '+CFUN:', '+QIND:', '+QUSIM:', '+PBREADY', '^SIMST:'];

/** Boot lines come in a burst over a second or two: the look waits for the burst to end. */
const SETTLE_MS = 2000;

/** A boot line arrived: unless the set-up is running (it prints some of them itself), look once per burst. */
export function onBootLine(m: DriverContext, line: string): void {
  if (line.startsWith('+QIND:') && !/SMS DONE|PB DONE/i.test(line)) return; // Quectel's other indications
  if (!m.ready || m.rebootCheck) return;
  const { clock, log } = m.deps;
  m.rebootCheck = (async () => {
    await clock.sleep(SETTLE_MS, m.signal);
    if (!m.ready) return;
    const lost = await setUpLost(m);
    if (lost) {
      log.warn({ modem: m.id, line, lost }, 'modem rebooted in place: setting it up again');
      m.resetRequested?.('modem rebooted');
    } else {
      await sweepStorage(m);
    }
  })()
    .catch((error) => {
      if (!m.signal.aborted) log.warn({ err: error, modem: m.id }, 'could not check the modem after its boot lines: setting it up again');
      m.resetRequested?.('modem rebooted');
    })
    .finally(() => {
      m.rebootCheck = undefined;
    });
}

/** What the modem no longer has of the set-up (SIM unlocked, PDU mode, new-message indications), or null. */
async function setUpLost(m: DriverContext): Promise<string | null> {
  const value = async (cmd: string, prefix: string) => parse.valueOf((await m.at.send(cmd)).lines, prefix)?.replace(/"/g, '').trim();
  const sim = await value('AT+CPIN?', '+CPIN');
  if (sim !== 'READY') return `SIM ${sim ?? 'state unknown'}`;
  if ((await value('AT+CMGF?', '+CMGF')) !== '0') return 'PDU mode';
  const cnmi = (await value('AT+CNMI?', '+CNMI'))?.split(',').map((s) => Number(s.trim()));
  if (m.cnmi && cnmi && m.cnmi.some((v, i) => cnmi[i] !== v)) return 'new-message indications';
  return null;
}
