import t from 'tap';
import { decodePdu, PduDecodeError, toJSON } from '../../core/sms/index.ts';

t.test('SMS-DELIVER with SMSC, international sender, GSM 7-bit', async (t) => {
  // 23.040 example shape: SMSC +85290000000, from +85291234567, TZ octet 0x23 = +32 quarter hours.
  const d = decodePdu('07915892000000F0040B915892214365F700007040213252242331493A283D0795C3F33C88FE06C9CB6132885EC6D341EDF27C1E3E97E7207B3A0C0A5241E377BB1D7693E72E');
  t.equal(d.type, 'deliver');
  if (d.type !== 'deliver') return;
  t.equal(d.smsc, '+85290000000');
  t.equal(d.from, '+85291234567');
  t.equal(d.text, 'It is easy to read text messages via AT commands.');
  t.equal(d.timestamp, '2007-04-12T23:25:42+08:00');
  t.equal(d.encoding, 'gsm7');
  t.equal(d.class, null);
  t.equal(d.concat, null);
  t.equal(d.tpduLength, 62);
});

t.test('lower-case hex and trailing junk after the declared length are tolerated', async (t) => {
  const hex = '07915892000000f0040b915892214365f700007040213252242331493a283d0795c3f33c88fe06c9cb6132885ec6d341edf27c1e3e97e7207b3a0c0a5241e377bb1d7693e72e';
  t.equal(decodePdu(hex + '"').text, 'It is easy to read text messages via AT commands.');
  t.equal(decodePdu(hex + 'FFFF', { tpduLength: 62 }).text, 'It is easy to read text messages via AT commands.');
});

t.test('malformed input throws PduDecodeError with code and offset', async (t) => {
  for (const [hex, code] of [['', 'empty'], ['zz', 'invalid_hex'], ['0791', 'truncated'], ['07915892000000F004', 'truncated']] as const) {
    let caught: unknown;
    try { decodePdu(hex); } catch (err) { caught = err; }
    t.ok(caught instanceof PduDecodeError, `${hex || '(empty)'} throws PduDecodeError`);
    t.match(caught, { code, offset: Number }, hex);
  }
});

t.test('toJSON gives the CLI contract fields', async (t) => {
  const j = toJSON(decodePdu('0006D60B911326880736F4111011719551401110117195714000'));
  t.match(j, {
    type: 'status-report', smsc: null, mr: 214, recipient: '+31628870634', timestamp: '2011-01-11T17:59:15+01:00',
    dischargeTime: '2011-01-11T17:59:17+01:00', status: 0, state: 'delivered', concat: null, class: null,
  });
});
