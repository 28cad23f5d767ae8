// The default behaviours, one per command family, tried in order. Profiles put their vendor
// behaviours in front and may leave some of these out; scenarios swap them on a running simulator.
import type { Behavior } from '../behavior.ts';
import { ati, cmee, echo, noop, reset, verbose } from './basic.ts';
import { answer, clcc, clip, dial, hangup } from './call.ts';
import { cclk } from './cclk.ts';
import { cmgs } from './cmgs.ts';
import { cnma, cnmi } from './cnmi.ts';
import { cmgf, csca, cscs, csmp, csms } from './config.ts';
import { cpms } from './cpms.ts';
import { cusd } from './cusd.ts';
import { ccid, imei, imsi, manufacturer, model, revision } from './identity.ts';
import { cpin, cpinr } from './pin.ts';
import { probeBehaviors } from './probe.ts';
import { cereg, cfun, cgreg, cops, creg, csq } from './radio.ts';
import { cmgd, cmgl, cmgr } from './read.ts';

export * from './basic.ts';
export * from './call.ts';
export * from './cclk.ts';
export * from './cmgs.ts';
export * from './cnmi.ts';
export * from './config.ts';
export * from './cpms.ts';
export * from './cusd.ts';
export * from './identity.ts';
export * from './pin.ts';
export * from './probe.ts';
export * from './radio.ts';
export * from './read.ts';
export * from './vendor.ts';

export const defaultBehaviors: readonly Behavior[] = [
  reset, echo, verbose, ati, cmee, noop,
  manufacturer, model, revision, imei, imsi, ccid,
  cpin, cpinr,
  creg, cgreg, cereg, cops, csq, cfun,
  cmgf, cscs, csms, csca, csmp, cpms, cnmi, cnma,
  cmgr, cmgl, cmgd, cmgs,
  cusd, clip, hangup, answer, dial, clcc, cclk,
  ...probeBehaviors,
];
