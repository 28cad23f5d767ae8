// A stored status report read in text mode (27.005 4.x): +CMGR: <stat>,<fo>,<mr>,"<ra>",<tora>,
// "<scts>","<dt>",<st> with the recipient's type of address (145 international, 129 otherwise), and
// no text line. smstools3 and gammu in text mode read reports this way.
import t from 'tap';
import { encodeSubmit } from '../../core/sms/index.ts';
import { lines, setup } from './helpers.ts';

async function send(host: Awaited<ReturnType<typeof setup>>['host'], to: string) {
  const part = encodeSubmit({ to, text: 'hi', statusReport: true }).parts[0]!;
  await host.at(`AT+CMGS=${part.tpduLength}`);
  const mark = host.mark();
  await host.write(`${part.pdu}\x1a`);
  return Number(/\+CMGS: (\d+)/.exec(await host.waitFor(/OK\r\n$/, mark))![1]);
}

t.test('text-mode +CMGR of a status report, international and national recipients', async (t) => {
  const { sim, host, clock } = await setup({ delivery: { delayMs: 1000 } });
  t.teardown(async () => { await host.close(); sim.close(); });
  await host.at('AT+CNMI=2,1,0,2,0');
  const mark = host.mark();
  const mr1 = await send(host, '+491700000001');
  const mr2 = await send(host, '01700000002');
  await clock.advance(1000);
  const urcs = await host.waitFor(/\+CDSI: "SR",\d+\r\n[\s\S]*\+CDSI: "SR",\d+\r\n/, mark);
  const [i1, i2] = [...urcs.matchAll(/\+CDSI: "SR",(\d+)/g)].map((m) => m[1]);
  await host.at('AT+CMGF=1');
  await host.at('AT+CPMS="SR"');
  const time = '"\\d\\d/\\d\\d/\\d\\d,\\d\\d:\\d\\d:\\d\\d[+-]\\d\\d"';
  const r1 = lines(await host.at(`AT+CMGR=${i1}`));
  t.equal(r1.length, 2, 'the header line and OK: a report has no text');
  t.match(r1[0], new RegExp(`^\\+CMGR: "REC UNREAD",\\d+,${mr1},"\\+491700000001",145,${time},${time},0$`));
  const r2 = lines(await host.at(`AT+CMGR=${i2}`));
  t.match(r2[0], new RegExp(`^\\+CMGR: "REC UNREAD",\\d+,${mr2},"01700000002",129,${time},${time},0$`));
});
