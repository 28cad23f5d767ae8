// Dialects: where real modems differ in ways a driver must cope with. `generic` follows 3GPP 27.005 /
// 27.007 closely; the others reproduce the quirks of SIMCom SIM800, SIM7600 and A7670, Huawei E-series
// sticks and Quectel EC25 modules.
import type { Behavior } from './behavior.ts';
import { huaweiCpin, qpinc, spic } from './behaviors/pin.ts';
import { ccidBare, ciccid, curc, huaweiIccid, portsel, qccid, qindcfg } from './behaviors/vendor.ts';
import type { Modem } from './modem.ts';
import type { Quirks } from './quirks.ts';
import type { StorageName } from './storage.ts';
import type { ProfileLatency } from './timing.ts';

export type ProfileName = 'generic' | 'sim800' | 'sim7600' | 'a7670' | 'huawei' | 'quectel' | 'ec25';

export interface Profile {
  name: ProfileName;
  manufacturer: string;
  model: string;
  revision: string;
  imei: string;
  ati(modem: Modem): string[];
  /** Storages and their capacities; no `SR` means status reports land in the receive storage. */
  storages: Partial<Record<StorageName, number>>;
  /** First storage index: Huawei counts from 0, most from 1. */
  firstIndex: 0 | 1;
  defaultMem: [StorageName, StorageName, StorageName];
  /** +CNMI defaults and the values each parameter accepts. */
  cnmiDefault: [number, number, number, number, number];
  cnmiAllowed: number[][];
  /** How a list of values prints in a test answer: `0-2` ranges or `0,1,2` (Huawei). */
  listStyle(values: number[]): string;
  /** The <alpha> field of +CMGR/+CMGL in PDU mode: empty (`0,,23`) or quoted (`0,"",23`). */
  alpha: '' | '""';
  /** +CMGR of an empty index: OK without a line, or +CMS ERROR: 321. */
  emptyRead: 'ok' | 'error';
  /** LTE module: answers +CEREG and reports AcT 7 in +COPS. */
  lte: boolean;
  /** USSD strings as text (in +CSCS) or as packed GSM 7-bit hex (Huawei). */
  ussd: 'text' | 'hex-packed';
  /** URCs after a power cycle (AT+CFUN=1,1) once the host reopens the port. */
  boot(modem: Modem): string[];
  /** URCs when the SIM PIN was accepted. */
  simReadyUrcs: string[];
  /** A storage filled up (Huawei ^SMMEMFULL). */
  memFullUrc?: (storage: StorageName) => string;
  /** Vendor status URCs (noise a driver must ignore). */
  noise: {
    signal?(modem: Modem): string[] | null;
    registration?(modem: Modem): string[] | null;
    /** Sent every `everyMs` while noise is on. */
    periodic?: { everyMs: number; lines(modem: Modem): string[] };
  } | null;
  /** Vendor behaviours, tried before the defaults. */
  behaviors: Behavior[];
  /** Default behaviours this modem does not have (by name). */
  without: string[];
  /** The timing model's answer latencies (when timing is on). */
  latency: ProfileLatency;
  /** Quirks this modem has out of the box (quirks.ts); a simulator's own quirks override them. */
  quirks: Quirks;
}

const range = (values: number[]) => {
  const out: string[] = [];
  for (let i = 0; i < values.length; ) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j]! + 1) j++;
    out.push(j - i >= 2 ? `${values[i]}-${values[j]}` : values.slice(i, j + 1).join(','));
    i = j + 1;
  }
  return out.join(',');
};

const identity = (m: Modem) => [`Manufacturer: ${m.profile.manufacturer}`, `Model: ${m.profile.model}`, `Revision: ${m.profile.revision}`, `IMEI: ${m.identity.imei}`, '+GCAP: +CGSM'];

export const generic: Profile = {
  name: 'generic',
  manufacturer: 'smsedge',
  model: 'SIMULATOR-3GPP',
  revision: 'smsedge-sim 1.0',
  imei: '004999010640000',
  ati: identity,
  storages: { SM: 30, ME: 100, SR: 20 },
  firstIndex: 1,
  defaultMem: ['SM', 'SM', 'SM'],
  // 27.005 3.4.1: <mode> 0 (buffer) and everything off by default.
  cnmiDefault: [0, 0, 0, 0, 0],
  cnmiAllowed: [[0, 1, 2], [0, 1, 2, 3], [0, 2], [0, 1, 2], [0, 1]],
  listStyle: range,
  alpha: '',
  emptyRead: 'error',
  lte: true,
  ussd: 'text',
  boot: () => [],
  simReadyUrcs: [],
  noise: null,
  behaviors: [],
  without: [],
  latency: { commandMs: 5, storageMs: 20 },
  quirks: {},
};

export const sim800: Profile = {
  name: 'sim800',
  manufacturer: 'SIMCOM_Ltd',
  model: 'SIMCOM_SIM800L',
  revision: 'Revision:1418B04SIM800L24',
  imei: '869170031234566',
  ati: () => ['SIM800 R14.18'],
  storages: { SM: 30, ME: 50 },
  firstIndex: 1,
  defaultMem: ['SM', 'SM', 'SM'],
  cnmiDefault: [2, 1, 0, 0, 0],
  cnmiAllowed: [[0, 1, 2, 3], [0, 1, 2, 3], [0, 2], [0, 1, 2], [0, 1]],
  listStyle: range,
  alpha: '""',
  emptyRead: 'ok',
  lte: false,
  ussd: 'text',
  boot: (m) => ['RDY', '+CFUN: 1', `+CPIN: ${m.sim.status === 'READY' ? 'READY' : m.sim.status}`, ...(m.sim.status === 'READY' ? ['Call Ready', 'SMS Ready'] : [])],
  simReadyUrcs: ['+CPIN: READY', 'Call Ready', 'SMS Ready'],
  noise: null,
  // No 27.007 +CPINR: the SIM's PIN attempts come from SIMCom's +SPIC.
  behaviors: [ccidBare, spic],
  without: ['ccid', 'cpinr'],
  // A SIM800 reads its SIM slowly: tens of ms per stored message.
  latency: { commandMs: 20, storageMs: 60 },
  // Its +CNMI offers <ds> 0-1 only: status reports come routed as +CDS.
  quirks: { statusReports: 'routed' },
};

export const huawei: Profile = {
  name: 'huawei',
  manufacturer: 'huawei',
  model: 'E3531',
  revision: '22.521.23.00.00',
  imei: '861234020012344',
  ati: (m) => ['Manufacturer: huawei', 'Model: E3531', 'Revision: 22.521.23.00.00', `IMEI: ${m.identity.imei}`, '+GCAP: +CGSM,+DS,+ES'],
  storages: { SM: 50, ME: 255 },
  firstIndex: 0,
  defaultMem: ['SM', 'SM', 'SM'],
  cnmiDefault: [0, 0, 0, 0, 0],
  cnmiAllowed: [[0, 1, 2], [0, 1, 2, 3], [0, 2], [0, 1, 2], [0, 1]],
  listStyle: (v) => v.join(','),
  alpha: '',
  emptyRead: 'error',
  lte: false,
  ussd: 'hex-packed',
  boot: () => ['^SIMST: 1', '^SRVST: 2'],
  simReadyUrcs: ['^SIMST: 1'],
  memFullUrc: (s) => `^SMMEMFULL: "${s}"`,
  noise: {
    signal: (m) => [`^RSSI: ${m.csq().rssi}`],
    registration: (m) => [`^MODE: ${m.registered ? '5,4' : '0,0'}`],
    periodic: { everyMs: 20_000, lines: () => ['^BOOT:20952927,0,0,0,75'] },
  },
  // No 27.007 +CPINR: the SIM's PIN attempts come from ^CPIN?.
  behaviors: [huaweiIccid, curc, portsel, huaweiCpin],
  without: ['ccid', 'cpinr'],
  latency: { commandMs: 10, storageMs: 40 },
  quirks: {},
};

export const quectel: Profile = {
  name: 'quectel',
  manufacturer: 'Quectel',
  model: 'EC25',
  revision: 'EC25EFAR06A06M4G',
  imei: '866758041234560',
  ati: () => ['Quectel', 'EC25', 'Revision: EC25EFAR06A06M4G'],
  storages: { SM: 50, ME: 255, SR: 50 },
  firstIndex: 0,
  defaultMem: ['SM', 'SM', 'SM'],
  cnmiDefault: [2, 1, 0, 0, 0],
  cnmiAllowed: [[0, 1, 2], [0, 1, 2, 3], [0, 2], [0, 1, 2], [0, 1]],
  listStyle: range,
  alpha: '',
  emptyRead: 'ok',
  lte: true,
  ussd: 'text',
  boot: (m) => ['RDY', '+CFUN: 1', `+CPIN: ${m.sim.status === 'READY' ? 'READY' : m.sim.status}`, '+QUSIM: 1', ...(m.sim.status === 'READY' ? ['+QIND: SMS DONE', '+QIND: PB DONE'] : [])],
  simReadyUrcs: ['+CPIN: READY', '+QIND: SMS DONE', '+QIND: PB DONE'],
  noise: {
    signal: (m) => [`+QIND: "csq",${m.csq().rssi},${m.csq().ber}`],
  },
  // No 27.007 +CPINR: the SIM's PIN attempts come from +QPINC.
  behaviors: [qccid, qindcfg, qpinc],
  without: ['ccid', 'cpinr'],
  latency: { commandMs: 5, storageMs: 25 },
  quirks: {},
};

/**
 * Quectel EC25/EG25 as shipped: `quectel` plus the status-report habit of its firmware: a report is
 * stored in SR and announced with `+CDSI: "SR",<index>` even when +CNMI asked for it routed (<ds> 1).
 */
export const ec25: Profile = {
  ...quectel,
  name: 'ec25',
  model: 'EC25',
  revision: 'EC25EFAR06A08M4G',
  ati: () => ['Quectel', 'EC25', 'Revision: EC25EFAR06A08M4G'],
  quirks: { statusReports: 'stored' },
};

const simcomBoot = (m: Modem, ready: string[]) => [`+CPIN: ${m.sim.status === 'READY' ? 'READY' : m.sim.status}`, ...(m.sim.status === 'READY' ? ready : [])];
const simcomIdentity = (m: Modem) => [`Manufacturer: ${m.profile.manufacturer}`, `Model: ${m.profile.model}`, `Revision: ${m.profile.revision}`, `IMEI: ${m.identity.imei}`, '+GCAP: +CGSM'];

/** SIMCom SIM7600E-H (LTE Cat 4): indices from 0, `+ICCID` from AT+CICCID, status reports routed as +CDS. */
export const sim7600: Profile = {
  name: 'sim7600',
  manufacturer: 'SIMCOM INCORPORATED',
  model: 'SIMCOM_SIM7600E-H',
  revision: 'SIM7600M22_V2.0',
  imei: '862636051234561',
  ati: simcomIdentity,
  storages: { SM: 30, ME: 180 },
  firstIndex: 0,
  defaultMem: ['SM', 'SM', 'SM'],
  cnmiDefault: [2, 1, 0, 0, 0],
  cnmiAllowed: [[0, 1, 2], [0, 1, 2, 3], [0, 2], [0, 1], [0, 1]],
  listStyle: range,
  alpha: '""',
  emptyRead: 'ok',
  lte: true,
  ussd: 'text',
  boot: (m) => ['RDY', ...simcomBoot(m, ['SMS DONE', 'PB DONE'])],
  simReadyUrcs: ['+CPIN: READY', 'SMS DONE', 'PB DONE'],
  noise: null,
  behaviors: [ciccid, spic],
  without: ['cpinr'],
  latency: { commandMs: 10, storageMs: 30 },
  quirks: { statusReports: 'routed' },
};

/** SIMCom A7670E (LTE Cat 1): like the SIM7600, boots with `*ATREADY: 1`. */
export const a7670: Profile = {
  ...sim7600,
  name: 'a7670',
  model: 'A7670E-LASE',
  revision: 'A7670M7_V1.11.1',
  imei: '862205061234564',
  storages: { SM: 30, ME: 100 },
  boot: (m) => ['*ATREADY: 1', ...simcomBoot(m, ['SMS DONE', 'PB DONE'])],
  latency: { commandMs: 15, storageMs: 40 },
};

export const profiles: Record<ProfileName, Profile> = { generic, sim800, sim7600, a7670, huawei, quectel, ec25 };

export function isProfileName(name: string): name is ProfileName {
  return Object.hasOwn(profiles, name);
}
