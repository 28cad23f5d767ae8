// 23.040 9.2.3.15: TP-Status of an SMS-STATUS-REPORT.

const MEANINGS: Record<number, string> = {
  0x00: 'received by the recipient',
  0x01: 'forwarded, delivery unconfirmed',
  0x02: 'replaced by the service centre',
  0x20: 'congestion', 0x21: 'recipient busy', 0x22: 'no response from recipient', 0x23: 'service rejected',
  0x24: 'quality of service not available', 0x25: 'error in recipient',
  0x40: 'remote procedure error', 0x41: 'incompatible destination', 0x42: 'connection rejected by recipient',
  0x43: 'not obtainable', 0x44: 'quality of service not available', 0x45: 'no interworking available',
  0x46: 'validity period expired', 0x47: 'deleted by the sender', 0x48: 'deleted by service centre administration',
  0x49: 'message does not exist',
  0x60: 'congestion', 0x61: 'recipient busy', 0x62: 'no response from recipient', 0x63: 'service rejected',
  0x64: 'quality of service not available', 0x65: 'error in recipient',
};

/**
 * What a TP-ST value means for the sender: delivered (final), pending (temporary error, the SC is
 * still trying; a later report follows) or failed (permanent error, or temporary error the SC gave up on).
 *
 * @example statusState(0x00) // { state: 'delivered', meaning: 'received by the recipient', final: true }
 */
export function statusState(tpSt: number): { state: 'delivered' | 'pending' | 'failed'; meaning: string; final: boolean } {
  const st = tpSt & 0xff;
  const group = st >> 5;
  const known = MEANINGS[st];
  const specific = (st & 0x10) !== 0;
  if (group === 0) {
    return { state: 'delivered', meaning: known ?? (specific ? 'delivered (service-centre specific)' : 'delivered (reserved value)'), final: true };
  }
  if (group === 1) {
    return { state: 'pending', meaning: `temporary error, still trying: ${known ?? (specific ? 'service-centre specific' : 'reserved value')}`, final: false };
  }
  if (group === 2) {
    return { state: 'failed', meaning: `permanent error: ${known ?? (specific ? 'service-centre specific' : 'reserved value')}`, final: true };
  }
  if (group === 3) {
    return { state: 'failed', meaning: `temporary error, given up: ${known ?? (specific ? 'service-centre specific' : 'reserved value')}`, final: true };
  }
  // 0x80-0xFF are reserved; 9.2.3.15 says an unknown value is to be treated as "service rejected".
  return { state: 'failed', meaning: 'reserved value (treated as service rejected)', final: true };
}
