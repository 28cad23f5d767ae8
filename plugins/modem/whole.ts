// Whether a PDU as read from the modem holds a whole message. 27.005 gives the <length> of the TPDU
// beside it, and several firmwares print a wrong one (smaller or larger than the PDU that follows);
// 23.040's own lengths (address lengths, TP-UDL) are the better witness when they account for every
// octet. Anything else (odd hex digits, user data cut short, octets no length explains) is not whole:
// it is never stored as a message nor deleted from the SIM.
import { decodePdu, type DecodedPdu } from '../../core/sms/index.ts';

const cutShort = (d: DecodedPdu) => d.warnings.some((w) => w.includes('cut short'));

function attempt(pdu: string, opts: Parameters<typeof decodePdu>[1]): DecodedPdu | null {
  try {
    const d = decodePdu(pdu, opts);
    return cutShort(d) ? null : d;
  } catch {
    return null;
  }
}

/**
 * The decoded message when `pdu` is provably whole, else null.
 *
 * @example
 * decodeWhole(pdu, 19) // the <length> fits: decoded with it
 * decodeWhole(pdu, 12) // a firmware's <length> too small: decoded by the PDU's own lengths if they fit exactly
 */
export function decodeWhole(pdu: string, length: number | undefined): DecodedPdu | null {
  if (pdu === '' || pdu.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(pdu)) return null;
  const octets = pdu.length / 2;
  const smscOctets = parseInt(pdu.slice(0, 2), 16) + 1;
  if (length !== undefined) {
    // 27.005 3.4.3: the SMSC field (if printed) and then exactly <length> TPDU octets.
    if (octets === length || octets === smscOctets + length) {
      const d = attempt(pdu, { tpduLength: length });
      if (d) return d;
    } else if (length < octets) {
      // <length> and 23.040's lengths agree, with junk after them: nothing of the message is missing.
      const d = attempt(pdu, { tpduLength: length });
      if (d && d.tpduLength === length) return d;
    }
  }
  // The modem's <length> is wrong (or absent): 23.040's own lengths must account for every octet.
  for (const smsc of [true, false]) {
    const d = attempt(pdu, { smsc });
    if (d && (smsc ? smscOctets : 0) + d.tpduLength === octets) return d;
  }
  return null;
}

/**
 * True when `pdu` is every octet the modem says the slot holds (27.005 3.4.3: the SMSC field and
 * <length> TPDU octets), even if it does not decode: a raw copy of it is the whole message.
 */
export function allOctets(pdu: string, length: number | undefined): boolean {
  if (length === undefined || pdu === '' || pdu.length % 2 !== 0 || !/^[0-9A-Fa-f]+$/.test(pdu)) return false;
  const octets = pdu.length / 2;
  return octets === length || octets === parseInt(pdu.slice(0, 2), 16) + 1 + length;
}
