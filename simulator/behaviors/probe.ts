// Standard commands other modem software probes while identifying and setting up a modem
// (ModemManager, Gammu, smstools3): capabilities (V.250 +GCAP), own number (27.007 7.1 +CNUM),
// restricted SIM access (8.18 +CRSM), indicators (8.9 +CIND, 8.10 +CMER), packet service (10.1.9
// +CGATT, 10.1.1 +CGDCONT, 10.1.10 +CGACT, 10.1.19 +CGEREP, 10.1.20 +CGSMS), the SMS link (27.005 3.5.6
// +CMMS), facility locks (7.4 +CLCK), phonebook storage (8.11 +CPBS), activity (8.1 +CPAS), battery
// (8.4 +CBC), the cell-broadcast selection (27.005 3.3.4 +CSCB), time-zone reporting (8.41 +CTZR),
// network modes (V.250-like +WS46). Each answers as a plain 3GPP modem does, so the probe moves on.
import { defineBehavior, is, type Behavior } from '../behavior.ts';
import type { Modem } from '../modem.ts';
import { simReady } from './guard.ts';

/** The simulated SIM's MSISDN, as +CNUM reports it. */
export const OWN_NUMBER = '+15550000001';

/** A setting that is only remembered: read gives it back, test lists the range, set checks it. */
function setting(name: string, values: number[], initial: number, opts: { needsSim?: boolean } = {}): Behavior {
  return defineBehavior({
    name: name.slice(1).toLowerCase(),
    match: is(name),
    handle(ctx) {
      const { cmd, modem } = ctx;
      const kept = modem.settings.kept;
      if (opts.needsSim && !simReady(ctx, 'cme')) return true;
      if (cmd.kind === 'test') ctx.info(`${name}: (${modem.profile.listStyle(values)})`);
      else if (cmd.kind === 'read') ctx.info(`${name}: ${kept[name] ?? initial}`);
      else if (cmd.kind === 'set' && cmd.params[0] !== '' && values.includes(Number(cmd.params[0]))) kept[name] = Number(cmd.params[0]);
      else ctx.cme(50);
      return true;
    },
  });
}

/** V.250 6.1.9: the command sets it supports. */
export const gcap = defineBehavior({
  name: 'gcap',
  match: (cmd) => cmd.name === '+GCAP' && (cmd.kind === 'exec' || cmd.kind === 'test'),
  handle(ctx) {
    if (ctx.cmd.kind === 'exec') ctx.info(ctx.modem.profile.lte ? '+GCAP: +CGSM,+DS,+ES' : '+GCAP: +CGSM');
    return true;
  },
});

/** 27.007 7.1: the subscriber number stored on the SIM. */
export const cnum = defineBehavior({
  name: 'cnum',
  match: (cmd) => cmd.name === '+CNUM' && (cmd.kind === 'exec' || cmd.kind === 'test'),
  handle(ctx) {
    if (ctx.cmd.kind === 'test') return true;
    if (simReady(ctx, 'cme')) ctx.info(`+CNUM: "","${OWN_NUMBER}",145`);
    return true;
  },
});

/** BCD with swapped nibbles, as EF_ICCID and EF_IMSI hold digits (31.102 4.2.2, 51.011 10.3.2). */
function swappedBcd(digits: string): string {
  const d = digits.length % 2 ? `${digits}F` : digits;
  let out = '';
  for (let i = 0; i < d.length; i += 2) out += d[i + 1]! + d[i]!;
  return out;
}

/** The elementary files a host reads with +CRSM READ BINARY (176), by file id. */
function elementaryFile(modem: Modem, fileId: number): string | null {
  switch (fileId) {
    case 0x2fe2: return swappedBcd(modem.identity.iccid); // EF_ICCID
    case 0x6fad: return '00000002'; // EF_AD: normal operation, MNC of 2 digits
    case 0x6f46: { // EF_SPN: display condition, then the name in GSM default alphabet, FF-padded
      const name = Buffer.from(modem.network.operator.slice(0, 16), 'latin1').toString('hex').toUpperCase();
      return `00${name}${'FF'.repeat(16 - name.length / 2)}`;
    }
    case 0x6f3e: // EF_GID1, EF_GID2: group identifiers, unset
    case 0x6f3f: return 'FFFFFFFF';
    case 0x6fb7: return `11F2FF${'FF'.repeat(12)}`; // EF_ECC: 112, then unused entries
    case 0x6f07: { // EF_IMSI: length, then parity nibble 9 and the digits
      const imsi = swappedBcd(`9${modem.identity.imsi}`);
      return `${(imsi.length / 2).toString(16).padStart(2, '0')}${imsi}`.toUpperCase();
    }
    default: return null;
  }
}

/** 27.007 8.18: `+CRSM=<command>,<fileid>[,<P1>,<P2>,<P3>]` → `+CRSM: <sw1>,<sw2>[,<response>]`. */
export const crsm = defineBehavior({
  name: 'crsm',
  match: is('+CRSM'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'test') return true;
    if (cmd.kind !== 'set') return ctx.cme(50), true;
    if (!simReady(ctx, 'cme')) return true;
    const command = Number(cmd.params[0]);
    const data = command === 176 ? elementaryFile(modem, Number(cmd.params[1])) : null;
    // 102.221 10.2: 90 00 normal ending; 6A 82 file not found; 6D 00 instruction not supported.
    if (data !== null) ctx.info(`+CRSM: 144,0,"${data}"`);
    else ctx.info(command === 176 || command === 192 ? '+CRSM: 106,130' : '+CRSM: 109,0');
    return true;
  },
});

/**
 * 27.007 8.17 +CSIM: a raw APDU. Hosts send VERIFY (0x20) and UNBLOCK PIN (0x2C) without data to read the
 * attempts left (102.221 11.1.9: SW 63Cx, x tries); anything else is "instruction not supported" (6D00).
 */
export const csim = defineBehavior({
  name: 'csim',
  match: is('+CSIM'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'test') return true;
    if (cmd.kind !== 'set') return ctx.cme(50), true;
    const apdu = (cmd.params[1] ?? '').toUpperCase();
    if (!/^[0-9A-F]{8,}$/.test(apdu)) return ctx.cme(50), true;
    const ins = apdu.slice(2, 4);
    const sw = ins === '20' && apdu.length === 10 ? `63C${Math.min(15, modem.sim.pinAttempts).toString(16).toUpperCase()}`
      : ins === '2C' && apdu.length === 10 ? `63C${Math.min(15, modem.sim.pukAttempts).toString(16).toUpperCase()}` : '6D00';
    ctx.info(`+CSIM: 4,"${sw}"`);
    return true;
  },
});

/** 27.007 7.19 +CPOL / 7.20 +CPLS: the SIM's preferred operator list (empty here). */
export const cpol = defineBehavior({
  name: 'cpol',
  match: is('+CPOL', '+CPLS'),
  handle(ctx) {
    const { cmd } = ctx;
    if (!simReady(ctx, 'cme')) return true;
    if (cmd.name === '+CPLS') {
      if (cmd.kind === 'test') ctx.info('+CPLS: (0-2)');
      else if (cmd.kind === 'read') ctx.info('+CPLS: 0');
      return true;
    }
    if (cmd.kind === 'test') ctx.info('+CPOL: (1-8),(0-2)');
    return true; // read: no entries; set: accepted (the format, or an entry nobody reads back)
  },
});

/** 27.007 10.1.28 +CEMODE: UE mode of operation for EPS (2: CS/PS mode 2, data centric). */
export const cemode = setting('+CEMODE', [0, 1, 2, 3], 2);

/** 27.007 8.69 +CESQ: extended signal quality; the LTE fields (RSRQ, RSRP) on an LTE module. */
export const cesq = defineBehavior({
  name: 'cesq',
  match: (cmd) => cmd.name === '+CESQ' && (cmd.kind === 'exec' || cmd.kind === 'test'),
  handle(ctx) {
    const { modem } = ctx;
    if (ctx.cmd.kind === 'test') ctx.info('+CESQ: (0-63,99),(0-7,99),(0-96,255),(0-49,255),(0-34,255),(0-97,255)');
    else {
      const { rssi } = modem.csq();
      // 27.007 8.69: rxlev 0-63 (-110 dBm and up, 1 dB steps); rsrp 0-97 (-140 dBm and up, 1 dB steps).
      const dbm = rssi === 99 ? null : -113 + 2 * rssi;
      if (modem.profile.lte) ctx.info(`+CESQ: 99,99,255,255,${dbm === null ? 255 : 20},${dbm === null ? 255 : Math.max(0, Math.min(97, dbm - 20 + 140))}`);
      else ctx.info(`+CESQ: ${dbm === null ? 99 : Math.max(0, Math.min(63, dbm + 111))},99,255,255,255,255`);
    }
    return true;
  },
});

const INDICATORS: [string, string][] = [
  ['battchg', '0-5'], ['signal', '0-5'], ['service', '0,1'], ['call', '0,1'], ['roam', '0,1'], ['smsfull', '0,1'], ['message', '0,1'],
];

/** 27.007 8.9: indicator names and ranges, and their values (signal in 0-5 from +CSQ). */
export const cind = defineBehavior({
  name: 'cind',
  match: is('+CIND'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'test') ctx.info(`+CIND: ${INDICATORS.map(([n, r]) => `("${n}",(${r}))`).join(',')}`);
    else if (cmd.kind === 'read') {
      const { rssi } = modem.csq();
      const signal = rssi === 99 ? 0 : Math.min(5, Math.ceil(rssi / 6));
      const full = modem.storage(modem.mem[2]).used >= modem.storage(modem.mem[2]).capacity ? 1 : 0;
      ctx.info(`+CIND: 5,${signal},${modem.registered ? 1 : 0},${modem.call?.state === 'active' ? 1 : 0},${modem.network.roaming ? 1 : 0},${full},0`);
    } else if (cmd.kind === 'set') ctx.ok(); // 27.007 8.9: setting indicators is allowed to do nothing
    else ctx.error();
    return true;
  },
});

/** 27.007 10.1.9: attached to the packet domain while registered. */
export const cgatt = defineBehavior({
  name: 'cgatt',
  match: is('+CGATT'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'test') ctx.info('+CGATT: (0,1)');
    else if (cmd.kind === 'read') ctx.info(`+CGATT: ${modem.registered ? 1 : 0}`);
    else if (cmd.kind === 'set' && (cmd.params[0] === '0' || cmd.params[0] === '1')) {
      if (cmd.params[0] === '1' && !modem.registered) ctx.cme(30);
    } else ctx.cme(50);
    return true;
  },
});

/** 27.007 10.1.1 / 10.1.10: one default PDP context, never activated here. */
export const cgdcont = defineBehavior({
  name: 'cgdcont',
  match: is('+CGDCONT', '+CGACT', '+CGPADDR'),
  handle(ctx) {
    const { cmd } = ctx;
    if (cmd.name === '+CGDCONT') {
      if (cmd.kind === 'test') ctx.info('+CGDCONT: (1-16),"IP",,,(0-2),(0-4)', '+CGDCONT: (1-16),"IPV6",,,(0-2),(0-4)', '+CGDCONT: (1-16),"IPV4V6",,,(0-2),(0-4)');
      else if (cmd.kind === 'read') ctx.info('+CGDCONT: 1,"IPV4V6","internet","0.0.0.0",0,0');
    } else if (cmd.name === '+CGACT') {
      if (cmd.kind === 'test') ctx.info('+CGACT: (0,1)');
      else if (cmd.kind === 'read') ctx.info('+CGACT: 1,0');
    } else if (cmd.kind === 'test') ctx.info('+CGPADDR: (1)');
    else ctx.info('+CGPADDR: 1');
    return true;
  },
});

/** 27.007 7.4: facility locks; `+CLCK="SC",2` asks whether the SIM PIN is on. */
export const clck = defineBehavior({
  name: 'clck',
  match: is('+CLCK'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    if (cmd.kind === 'test') ctx.info('+CLCK: ("SC","AO","OI","OX","AI","IR","AB","AG","AC","PN","FD")');
    else if (cmd.kind === 'set' && cmd.params[1] === '2') {
      if (!simReady(ctx, 'cme')) return true;
      if (cmd.params[0]?.toUpperCase() === 'SC') ctx.info(`+CLCK: ${modem.sim.pin ? 1 : 0}`);
      else ctx.info('+CLCK: 0,7');
    } else ctx.cme(3); // locking or unlocking is not simulated: operation not allowed
    return true;
  },
});

/** 27.007 8.11: phonebook storages (the SIM's, empty). */
export const cpbs = defineBehavior({
  name: 'cpbs',
  match: is('+CPBS', '+CPBR'),
  handle(ctx) {
    const { cmd } = ctx;
    if (!simReady(ctx, 'cme')) return true;
    if (cmd.name === '+CPBR') {
      if (cmd.kind === 'test') ctx.info('+CPBR: (1-250),40,14');
      else if (cmd.kind !== 'set') ctx.cme(50);
      return true; // empty entries: nothing to list
    }
    if (cmd.kind === 'test') ctx.info('+CPBS: ("SM","FD","ON","EN")');
    else if (cmd.kind === 'read') ctx.info('+CPBS: "SM",0,250');
    else if (cmd.kind === 'set' && !['SM', 'FD', 'ON', 'EN'].includes((cmd.params[0] ?? '').toUpperCase())) ctx.cme(50);
    return true;
  },
});

/** 27.007 8.1: 0 ready, 3 ringing, 4 call in progress. */
export const cpas = defineBehavior({
  name: 'cpas',
  match: is('+CPAS'),
  handle(ctx) {
    const call = ctx.modem.call;
    if (ctx.cmd.kind === 'test') ctx.info('+CPAS: (0-5)');
    else ctx.info(`+CPAS: ${!call ? 0 : call.state === 'ringing' ? 3 : 4}`);
    return true;
  },
});

/** 27.007 8.4: powered by the USB bus (1), full. */
export const cbc = defineBehavior({
  name: 'cbc',
  match: is('+CBC'),
  handle(ctx) {
    if (ctx.cmd.kind === 'test') ctx.info('+CBC: (0-3),(0-100)');
    else ctx.info('+CBC: 1,100');
    return true;
  },
});

/** 27.005 3.3.4: cell broadcast selection (none received here). */
export const cscb = defineBehavior({
  name: 'cscb',
  match: is('+CSCB'),
  handle(ctx) {
    if (ctx.cmd.kind === 'test') ctx.info('+CSCB: (0,1)');
    else if (ctx.cmd.kind === 'read') ctx.info('+CSCB: 0,"",""');
    return true;
  },
});

/** 27.007 5.7 +WS46: the radio access the modem selects (12 GSM, 25 3GPP systems incl. LTE, 28 E-UTRAN only). */
export const ws46 = defineBehavior({
  name: 'ws46',
  match: is('+WS46'),
  handle(ctx) {
    const lte = ctx.modem.profile.lte;
    if (ctx.cmd.kind === 'test') ctx.info(lte ? '+WS46: (12,22,25,28,29)' : '+WS46: (12)');
    else if (ctx.cmd.kind === 'read') ctx.info(`+WS46: ${lte ? 25 : 12}`);
    return true;
  },
});

/** The settings a probe reads or sets and nothing here depends on. */
export const cmms = setting('+CMMS', [0, 1, 2], 0);
export const cmer = defineBehavior({
  name: 'cmer',
  match: is('+CMER'),
  handle(ctx) {
    if (ctx.cmd.kind === 'test') ctx.info('+CMER: (0-3),(0),(0),(0-2),(0,1)');
    else if (ctx.cmd.kind === 'read') ctx.info('+CMER: 0,0,0,0,0');
    return true;
  },
});
export const cgerep = setting('+CGEREP', [0, 1, 2], 0);
export const cgsms = setting('+CGSMS', [0, 1, 2, 3], 1);
export const ctzr = setting('+CTZR', [0, 1], 0);
export const ctzu = setting('+CTZU', [0, 1], 0);
export const cvhu = setting('+CVHU', [0, 1], 0);
export const csns = setting('+CSNS', [0, 2, 4], 0);
/** 27.007 6.11 +CRC (+CRING instead of RING) and 7.12 +CCWA (call waiting indications): remembered. */
export const crc = setting('+CRC', [0, 1], 0);
export const ccwa = setting('+CCWA', [0, 1], 0);

export const probeBehaviors: readonly Behavior[] = [
  gcap, cnum, crsm, csim, cpol, cemode, cesq, cind, cgatt, cgdcont, clck, cpbs, cpas, cbc, cscb, ws46, cmms, cmer, cgerep, cgsms, ctzr, ctzu, cvhu, csns, crc, ccwa,
];
