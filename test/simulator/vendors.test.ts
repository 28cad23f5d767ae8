// What each vendor profile says when probed and when it boots: ATI (what ModemManager, gammu and
// `smsedge init` read to tell modems apart) and the boot URCs after AT+CFUN=1,1, with the SIM ready
// and with a PIN still to enter (then no "SMS Ready"-style lines: the agent must not wait for them).
import t from 'tap';
import type { ProfileName } from '../../simulator/index.ts';
import { lines, openHost, setup } from './helpers.ts';

const vendors: { profile: ProfileName; ati: (imei: string) => string[]; boot: RegExp; ready: string[]; locked: RegExp }[] = [
  { profile: 'sim800', ati: () => ['SIM800 R14.18'], boot: /RDY\r\n[\s\S]*\+CFUN: 1\r\n[\s\S]*\+CPIN: READY\r\n[\s\S]*Call Ready\r\n[\s\S]*SMS Ready\r\n/, ready: ['Call Ready', 'SMS Ready'], locked: /\+CPIN: SIM PIN\r\n/ },
  {
    profile: 'huawei',
    ati: (imei) => ['Manufacturer: huawei', 'Model: E3531', 'Revision: 22.521.23.00.00', `IMEI: ${imei}`, '+GCAP: +CGSM,+DS,+ES'],
    boot: /\^SIMST: 1\r\n[\s\S]*\^SRVST: 2\r\n/, ready: [], locked: /\^SRVST: 2\r\n/,
  },
  { profile: 'quectel', ati: () => ['Quectel', 'EC25', 'Revision: EC25EFAR06A06M4G'], boot: /RDY\r\n[\s\S]*\+QUSIM: 1\r\n[\s\S]*\+QIND: SMS DONE\r\n[\s\S]*\+QIND: PB DONE\r\n/, ready: ['+QIND: SMS DONE', '+QIND: PB DONE'], locked: /\+QUSIM: 1\r\n/ },
  { profile: 'ec25', ati: () => ['Quectel', 'EC25', 'Revision: EC25EFAR06A08M4G'], boot: /RDY\r\n[\s\S]*\+QUSIM: 1\r\n[\s\S]*\+QIND: SMS DONE\r\n[\s\S]*\+QIND: PB DONE\r\n/, ready: ['+QIND: SMS DONE', '+QIND: PB DONE'], locked: /\+QUSIM: 1\r\n/ },
  {
    profile: 'sim7600',
    ati: (imei) => ['Manufacturer: SIMCOM INCORPORATED', 'Model: SIMCOM_SIM7600E-H', 'Revision: SIM7600M22_V2.0', `IMEI: ${imei}`, '+GCAP: +CGSM'],
    boot: /RDY\r\n[\s\S]*\+CPIN: READY\r\n[\s\S]*SMS DONE\r\n[\s\S]*PB DONE\r\n/, ready: ['SMS DONE', 'PB DONE'], locked: /\+CPIN: SIM PIN\r\n/,
  },
  {
    profile: 'a7670',
    ati: (imei) => ['Manufacturer: SIMCOM INCORPORATED', 'Model: A7670E-LASE', 'Revision: A7670M7_V1.11.1', `IMEI: ${imei}`, '+GCAP: +CGSM'],
    boot: /\*ATREADY: 1\r\n[\s\S]*\+CPIN: READY\r\n[\s\S]*SMS DONE\r\n[\s\S]*PB DONE\r\n/, ready: ['SMS DONE', 'PB DONE'], locked: /\+CPIN: SIM PIN\r\n/,
  },
];

for (const v of vendors) {
  t.test(`${v.profile}: ATI and the boot URCs, SIM ready and SIM locked`, async (t) => {
    for (const pin of [null, '1234']) {
      const { sim, host, clock } = await setup({ profile: v.profile, resetMs: 100, pin });
      t.teardown(() => sim.close());
      const imei = /(\d{15})/.exec((await host.at('AT+CGSN')).replace(/\r\n/g, ' '))![1]!;
      t.same(lines(await host.at('ATI')), [...v.ati(imei), 'OK'], `${v.profile} ATI`);
      await host.at('AT+CFUN=1,1');
      await new Promise((r) => host.port.once('close', r));
      await clock.advance(100);
      const again = await openHost(sim.path, sim.binding);
      t.teardown(() => again.close());
      await again.waitFor(pin ? v.locked : v.boot);
      // The modem's own lines come in one burst; let it finish before judging what is absent.
      await clock.advance(0);
      const said = again.received();
      if (pin) for (const l of v.ready) t.notMatch(said, `\r\n${l}\r\n`, `${v.profile} locked: no ${l}`);
      else t.match(said, v.boot, `${v.profile} booted`);
    }
  });
}
