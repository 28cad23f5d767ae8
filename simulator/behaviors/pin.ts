// 27.007 8.3 +CPIN: the SIM asks for its PIN; three wrong PINs lock it behind the PUK, ten wrong PUKs
// block it for good. 8.65 +CPINR reports the attempts left.
import { defineBehavior, is } from '../behavior.ts';
import { drainNetwork } from '../network.ts';

export const PIN_ATTEMPTS = 3;
export const PUK_ATTEMPTS = 10;

export const cpin = defineBehavior({
  name: 'cpin',
  match: is('+CPIN'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    const sim = modem.sim;
    if (cmd.kind === 'test') return true;
    if (cmd.kind === 'read') {
      if (sim.status === 'NOT INSERTED') ctx.cme(10);
      else if (sim.status === 'BLOCKED') ctx.cme(13);
      else ctx.info(`+CPIN: ${sim.status}`);
      return true;
    }
    if (cmd.kind !== 'set' || !cmd.params[0]) {
      ctx.cme(50);
      return true;
    }
    const [code, newPin] = cmd.params;
    if (sim.status === 'SIM PIN') {
      if (code === sim.pin) {
        sim.status = 'READY';
        sim.pinAttempts = PIN_ATTEMPTS;
        ctx.ok();
        ctx.after(() => ready(modem));
      } else {
        sim.pinAttempts--;
        if (sim.pinAttempts <= 0) sim.status = 'SIM PUK';
        ctx.cme(16);
      }
    } else if (sim.status === 'SIM PUK') {
      if (!newPin) ctx.cme(50);
      else if (code === sim.puk) {
        sim.status = 'READY';
        sim.pin = newPin;
        sim.pinAttempts = PIN_ATTEMPTS;
        sim.pukAttempts = PUK_ATTEMPTS;
        ctx.ok();
        ctx.after(() => ready(modem));
      } else {
        sim.pukAttempts--;
        if (sim.pukAttempts <= 0) sim.status = 'BLOCKED';
        ctx.cme(16);
      }
    } else if (sim.status === 'READY') ctx.cme(3);
    else ctx.cme(sim.status === 'BLOCKED' ? 13 : 10);
    return true;
  },
});

/** The SIM is unlocked: vendor ready URCs, the modem registers, held messages arrive. */
function ready(modem: import('../modem.ts').Modem): void {
  const urcs = modem.profile.simReadyUrcs;
  if (urcs.length) modem.urc(...urcs);
  modem.networkChanged();
  drainNetwork(modem);
}

export const cpinr = defineBehavior({
  name: 'cpinr',
  match: is('+CPINR'),
  handle(ctx) {
    const sim = ctx.modem.sim;
    if (ctx.cmd.kind === 'test') return true;
    const filter = (ctx.cmd.params[0] ?? '*').replace(/\*/g, '.*');
    const re = new RegExp(`^${filter}$`);
    if (re.test('SIM PIN')) ctx.info(`+CPINR: SIM PIN,${sim.pinAttempts},${PIN_ATTEMPTS}`);
    if (re.test('SIM PUK')) ctx.info(`+CPINR: SIM PUK,${sim.pukAttempts},${PUK_ATTEMPTS}`);
    return true;
  },
});

// The vendors' own attempt counters, for modems without 8.65 +CPINR (the profiles drop `cpinr`).
// PIN2 is not modelled: its counters print as untouched.

/** Quectel: AT+QPINC="SC" → +QPINC: "SC",<pin counter>,<puk counter>; "P2" for PIN2; read lists both. */
export const qpinc = defineBehavior({
  name: 'qpinc',
  match: is('+QPINC'),
  handle(ctx) {
    const { cmd, modem } = ctx;
    const sc = `+QPINC: "SC",${modem.sim.pinAttempts},${modem.sim.pukAttempts}`;
    const p2 = `+QPINC: "P2",${PIN_ATTEMPTS},${PUK_ATTEMPTS}`;
    if (cmd.kind === 'test') ctx.info('+QPINC: ("SC","P2")');
    else if (cmd.kind === 'read') ctx.info(sc, p2);
    else if (cmd.kind === 'set' && cmd.params[0]?.toUpperCase() === 'SC') ctx.info(sc);
    else if (cmd.kind === 'set' && cmd.params[0]?.toUpperCase() === 'P2') ctx.info(p2);
    else ctx.cme(50);
    return true;
  },
});

/** SIMCom SIM800: AT+SPIC → +SPIC: <pin1>,<puk1>,<pin2>,<puk2> (the times left). */
export const spic = defineBehavior({
  name: 'spic',
  match: (cmd) => cmd.name === '+SPIC' && (cmd.kind === 'exec' || cmd.kind === 'test'),
  handle(ctx) {
    if (ctx.cmd.kind === 'exec') ctx.info(`+SPIC: ${ctx.modem.sim.pinAttempts},${ctx.modem.sim.pukAttempts},${PIN_ATTEMPTS},${PUK_ATTEMPTS}`);
    return true;
  },
});

/** Huawei: AT^CPIN? → ^CPIN: <code>,[<times>],<puk_times>,<pin_times>,<puk2_times>,<pin2_times>. */
export const huaweiCpin = defineBehavior({
  name: 'huawei-cpin',
  match: (cmd) => cmd.name === '^CPIN' && cmd.kind === 'read',
  handle(ctx) {
    const sim = ctx.modem.sim;
    if (sim.status === 'NOT INSERTED') ctx.cme(10);
    else {
      const times = sim.status === 'SIM PIN' ? sim.pinAttempts : sim.status === 'SIM PUK' ? sim.pukAttempts : '';
      ctx.info(`^CPIN: ${sim.status},${times},${sim.pukAttempts},${sim.pinAttempts},${PUK_ATTEMPTS},${PIN_ATTEMPTS}`);
    }
    return true;
  },
});
