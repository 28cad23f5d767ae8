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
