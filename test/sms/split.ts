// Hand-built PDUs with a surrogate pair split between two parts (our encoder never splits one).
/** SMS-DELIVER from +15550100200, UCS2, with an 8-bit concatenation IE (ref 0x2A), user data `units`. */
export function splitPart(part: number, total: number, units: number[]): string {
  const ud = units.map((u) => u.toString(16).padStart(4, '0')).join('');
  const udh = `050003${'2A'}${total.toString(16).padStart(2, '0')}${part.toString(16).padStart(2, '0')}`;
  const udl = (udh.length + ud.length) / 2;
  // SMSC absent (00), TP-MTI deliver + TP-MMS + UDHI (44), OA 11 digits international, PID 00, DCS 08 (UCS2),
  // SCTS 2024-01-26 11:00:00 +00.
  return `00440B915155100002F0000842106211000000${udl.toString(16).padStart(2, '0')}${udh}${ud}`.toUpperCase();
}

/** "Hi 😀!" with U+1F600 (D83D DE00) split between the two parts. */
export const SPLIT_EMOJI = [splitPart(1, 2, [0x48, 0x69, 0x20, 0xd83d]), splitPart(2, 2, [0xde00, 0x21])];
