/**
 * Why a PDU could not be decoded. `code` is stable (tests and callers branch on it); `offset` is the
 * byte offset in the PDU as given (including the SMSC field when present) where decoding stopped.
 *
 * Codes: E_HEX (not hex), E_EMPTY, E_TRUNCATED (a field runs past the end), E_LENGTH (a length field
 * is impossible), E_BCD (a timestamp semi-octet is not a decimal digit or the date does not exist),
 * E_UDH (user data header IEs overrun their declared length), E_TPDU_LENGTH (the given <length>
 * cannot describe this PDU).
 */
export class PduDecodeError extends Error {
  override name = 'PduDecodeError';
  readonly code: string;
  readonly offset: number;
  constructor(code: string, offset: number, message: string) {
    super(`${message} (at byte ${offset})`);
    this.code = code;
    this.offset = offset;
  }
}

/** Why a message could not be encoded: E_ADDRESS (bad number), E_TOO_LONG (more than 255 parts), E_CHARSET, E_RANGE. */
export class SmsEncodeError extends Error {
  override name = 'SmsEncodeError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}
