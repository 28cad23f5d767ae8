// The SMPP 3.4 codec is the `smpp` package's (its PDU class and command/TLV tables); this file is the
// typed edge of it. The package decodes short_message and message_payload into text by its own
// charset rules (an unknown octet becomes a space); the agent decodes them itself from the octets
// (text.ts, with the project's 23.038 tables), so PDUs are read here with the package's field
// filters switched off for that one PDU object.
import { createRequire } from 'node:module';

/** A decoded PDU: the header, the command's fields and its TLVs by name (unknown TLVs by tag number). */
export interface Pdu {
  command: string;
  command_id: number;
  command_length: number;
  command_status: number;
  sequence_number: number;
  [field: string]: unknown;
}

interface PduClass {
  new (command: string, options?: Record<string, unknown>): Pdu & { toBuffer(): Buffer };
  prototype: { fromBuffer(buffer: Buffer): void };
  maxLength: number;
}

interface SmppLib {
  PDU: PduClass;
  errors: Record<string, number>;
  commands: Record<string, unknown>;
  commandsById: Record<number, { command: string }>;
  connect(options: Record<string, unknown>, listener?: () => void): unknown;
}

/** The `smpp` package (CommonJS). */
export const smppLib = createRequire(import.meta.url)('smpp') as SmppLib;

/** SMPP 3.4 5.1.3 command_status values the agent answers with. */
export const status = {
  ESME_ROK: 0x00,
  ESME_RINVMSGLEN: 0x01,
  ESME_RINVCMDLEN: 0x02,
  ESME_RINVCMDID: 0x03,
  ESME_RINVBNDSTS: 0x04,
  ESME_RALYBND: 0x05,
  ESME_RSYSERR: 0x08,
  ESME_RINVSRCADR: 0x0a,
  ESME_RINVDSTADR: 0x0b,
  ESME_RINVMSGID: 0x0c,
  ESME_RBINDFAIL: 0x0d,
  ESME_RINVPASWD: 0x0e,
  ESME_RINVSYSID: 0x0f,
  ESME_RCANCELFAIL: 0x11,
  ESME_RMSGQFUL: 0x14,
  ESME_RINVESMCLASS: 0x43,
  ESME_RSUBMITFAIL: 0x45,
  ESME_RINVDSTTON: 0x50,
  ESME_RTHROTTLED: 0x58,
  ESME_RINVSCHED: 0x61,
  ESME_RINVEXPIRY: 0x62,
  ESME_RX_T_APPN: 0x64,
  ESME_RQUERYFAIL: 0x67,
  ESME_RINVTLVVAL: 0xc4,
  ESME_RINVDCS: 0x104,
} as const;

export const HEADER_OCTETS = 16;
/** The longest PDU the agent reads: a submit_sm with a full message_payload fits easily. */
export const MAX_PDU_OCTETS = 16_384;

/** Thrown for a PDU whose body does not match its command (a field runs past command_length). */
export class PduFormatError extends Error {
  override name = 'PduFormatError';
}

/**
 * Decodes one whole PDU (command_length octets, header included). short_message and message_payload
 * stay octets; times stay SMPP time strings. An unknown command_id yields `command: 'unknown'`.
 *
 * @example
 * decodePdu(frame) // { command: 'submit_sm', sequence_number: 7, destination_addr: '4915...', short_message: <Buffer> , ... }
 */
export function decodePdu(frame: Buffer): Pdu {
  const pdu = Object.create(smppLib.PDU.prototype) as Pdu & { fromBuffer(b: Buffer): void; _filter(): void };
  // The package's text filters run from fromBuffer; this object's own no-op keeps the octets.
  pdu._filter = () => {};
  try {
    pdu.fromBuffer(frame);
  } catch (error) {
    throw new PduFormatError(`${commandName(frame.readUInt32BE(4))}: a field runs past command_length (${(error as Error).message})`);
  }
  return pdu;
}

/** The command's name for a command_id, or its number in hex. */
export function commandName(id: number): string {
  return smppLib.commandsById[id]?.command ?? `0x${id.toString(16).padStart(8, '0')}`;
}

/**
 * Encodes a PDU. short_message / message_payload must be Buffers (they are written as given).
 *
 * @example
 * encodePdu('submit_sm_resp', { sequence_number: 7, message_id: 'abc' })
 */
export function encodePdu(command: string, fields: Record<string, unknown>): Buffer {
  return new smppLib.PDU(command, fields).toBuffer();
}

/** A response PDU (command_id | 0x80000000) to `request`; with a non-zero status, its body is left out (5.1.3). */
export function encodeResponse(request: Pick<Pdu, 'command' | 'sequence_number'>, commandStatus: number, fields: Record<string, unknown> = {}): Buffer {
  const command = `${request.command}_resp`;
  // A request without an answer of its own (an unknown command, alert_notification) gets a generic_nack.
  if (!smppLib.commands[command]) return genericNack(request.sequence_number, commandStatus === status.ESME_ROK ? status.ESME_RINVCMDID : commandStatus);
  return encodePdu(command, { ...fields, sequence_number: request.sequence_number, command_status: commandStatus });
}

/** A generic_nack for a PDU that could not be read. */
export function genericNack(sequence: number, commandStatus: number): Buffer {
  return encodePdu('generic_nack', { sequence_number: sequence, command_status: commandStatus });
}
