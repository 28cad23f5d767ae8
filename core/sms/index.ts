// The SMS codec: pure functions over 3GPP TS 23.038 (alphabets) and 23.040 (PDUs). No I/O.
export type {
  Address, Concat, Dcs, DecodedDeliver, DecodedPdu, DecodedStatusReport, DecodedSubmit, Encoding, InformationElement,
  Validity,
} from './types.ts';
export { PduDecodeError, SmsEncodeError } from './errors.ts';
export { decodePdu, relativeMinutes, type DecodeOptions } from './decode.ts';
export {
  encodeDeliver, encodeStatusReport, encodeSubmit, relativeValidity,
  type DeliverOptions, type EncodedPart, type StatusReportOptions, type SubmitOptions,
} from './encode.ts';
export { segments } from './segment.ts';
export { joinText, reassemble, type Fragment } from './reassemble.ts';
export { statusState } from './status.ts';
export { toJSON } from './json.ts';
export { decodeGsm7Packed, decodeUcs2Hex, encodeGsm7Packed } from './ussd.ts';
export { LANGUAGES } from './alphabet.ts';
export { toHex } from './hex.ts';
