/**
 * Why a PDU could not be decoded. `code` is stable (tests and callers branch on it); `offset` is the
 * byte offset in the PDU as given (including the SMSC field when present) where decoding stopped.
 *
 * Codes: invalid_hex (not hex), empty, truncated (a field runs past the end), invalid_length (a length field
 * is impossible), invalid_bcd (a timestamp semi-octet is not a decimal digit or the date does not exist),
 * invalid_udh (user data header IEs overrun their declared length), tpdu_length_mismatch (the given <length>
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

/** Why a message could not be encoded: invalid_address (bad number), too_long (more than 255 parts), charset, out_of_range. */
export class SmsEncodeError extends Error {
  override name = 'SmsEncodeError';
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}
