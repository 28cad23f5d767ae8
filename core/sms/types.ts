// The shapes decodePdu returns. Field names match the `pdu` CLI JSON contract (see docs/pdu.md).

export type Encoding = 'gsm7' | 'ucs2' | '8bit';

/** 23.040 9.2.3.24.1 / 9.2.3.24.8: concatenated short message reference, part count and part number (1-based). */
export interface Concat { ref: number; total: number; part: number; ref16?: boolean }

/** 23.040 9.1.2.5 address: `number` is what a person reads (`+` for international, letters for alphanumeric). */
export interface Address {
  number: string;
  /** Type of number (bits 6-4 of the type-of-address octet): 0 unknown, 1 international, 2 national, 5 alphanumeric... */
  ton: number;
  /** Numbering plan (bits 3-0): 1 E.164, 8 national, ... */
  npi: number;
  /** The type-of-address octet as sent. */
  toa: number;
}

/** 23.038 clause 4: data coding scheme. */
export interface Dcs {
  raw: number;
  encoding: Encoding;
  class: 0 | 1 | 2 | 3 | null;
  compressed: boolean;
  /** Coding group 01xx: delete after reading. */
  autoDelete: boolean;
  /** Coding groups 1100-1110: message waiting indication. */
  mwi: { active: boolean; kind: 'voicemail' | 'fax' | 'email' | 'other'; store: boolean } | null;
}

/** One information element of the user data header, kept raw. */
export interface InformationElement { iei: number; data: Uint8Array }

/** 23.040 9.2.3.12: validity period of an SMS-SUBMIT. */
export type Validity =
  | { format: 'relative'; minutes: number; octet: number }
  | { format: 'absolute'; time: string }
  | { format: 'enhanced'; minutes: number | null; singleShot: boolean; raw: Uint8Array };

interface Common {
  /** The service centre address from the SMSC field, or null when the field is absent or empty. */
  smsc: string | null;
  /** The first TPDU octet (MTI and flags). */
  firstOctet: number;
  pid: number;
  dcs: Dcs;
  encoding: Encoding;
  /** Decoded text, null for 8-bit (and compressed) data. */
  text: string | null;
  /**
   * UCS2 only, and only when the user data holds a surrogate without its partner (shown as U+FFFD in
   * `text`): the code units as received, the lone surrogate kept. `reassemble()` joins parts by these, so
   * an emoji a sender split across two parts comes back whole.
   */
  utf16?: string;
  /** The payload after the UDH, for 8-bit and compressed data. */
  data?: Uint8Array;
  class: 0 | 1 | 2 | 3 | null;
  concat: Concat | null;
  /** Application port addressing (23.040 9.2.3.24.3/4). */
  port?: { src: number; dst: number };
  /** National language tables selected by the UDH (23.040 9.2.3.24.15/16), ids per 23.038 6.2.1.2.4. */
  language?: { single?: number; locking?: number };
  /** Every UDH information element, raw, or null when there is no UDH. */
  udh: InformationElement[] | null;
  /** TP-UDL as declared. */
  udl: number;
  /** Octets of the TPDU (without SMSC): the <length> of +CMGR/+CMT. */
  tpduLength: number;
  /** Things the decoder tolerated: truncated user data, an unreadable time zone, ignored TP-PI... */
  warnings: string[];
}

export interface DecodedDeliver extends Common {
  type: 'deliver';
  from: string;
  fromAddress: Address;
  /** Service centre timestamp, ISO 8601 with the sender's offset. */
  timestamp: string;
  /** TP-MMS inverted: true when the SC has more messages waiting. */
  moreMessages: boolean;
  statusReportIndication: boolean;
  replyPath: boolean;
}

export interface DecodedSubmit extends Common {
  type: 'submit';
  to: string;
  toAddress: Address;
  mr: number;
  validity: Validity | null;
  statusReportRequest: boolean;
  rejectDuplicates: boolean;
  replyPath: boolean;
}

export interface DecodedStatusReport extends Common {
  type: 'status-report';
  mr: number;
  recipient: string;
  recipientAddress: Address;
  /** SCTS of the original message. */
  timestamp: string;
  dischargeTime: string;
  /** TP-ST (23.040 9.2.3.15). */
  status: number;
  state: 'delivered' | 'pending' | 'failed';
  meaning: string;
  /** false while the SC is still trying (a later report follows). */
  final: boolean;
  /** TP-SRQ: true when this reports on an SMS-COMMAND rather than an SMS-SUBMIT. */
  forCommand: boolean;
  moreMessages: boolean;
}

export type DecodedPdu = DecodedDeliver | DecodedSubmit | DecodedStatusReport;
