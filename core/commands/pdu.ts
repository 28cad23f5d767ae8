// `smsedge pdu decode <hex|->` and `smsedge pdu encode --to N --text T`: the codec on the command line.
// The JSON printed here is a public contract (docs/pdu.md).
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { defineCommand, UsageError, type CommandIO } from '../command.ts';
import { decodePdu, encodeSubmit, PduDecodeError, SmsEncodeError, toJSON } from '../sms/index.ts';

const USAGE = `pdu decode <hex> [--length <tpdu octets>]
pdu decode -            (one hex PDU per line on stdin, one JSON object per line out)
pdu encode --to <number> --text <text> [--encoding auto|gsm7|ucs2] [--srr] [--ref16] [--class0]
           [--validity <minutes>] [--smsc <number>]`;

function errorJson(err: unknown): string {
  if (err instanceof PduDecodeError) return JSON.stringify({ error: { code: err.code, message: err.message, offset: err.offset } });
  if (err instanceof SmsEncodeError) return JSON.stringify({ error: { code: err.code, message: err.message } });
  throw err;
}

function decodeLine(line: string, tpduLength: number | undefined): { json: string; ok: boolean } {
  try {
    return { json: JSON.stringify(toJSON(decodePdu(line, tpduLength === undefined ? {} : { tpduLength }))), ok: true };
  } catch (err) {
    return { json: errorJson(err), ok: false };
  }
}

async function decode(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { length: { type: 'string' } }, strict: true });
  if (positionals.length !== 1) throw new UsageError(`pdu decode takes one PDU (or - for stdin)\n${USAGE}`);
  let tpduLength: number | undefined;
  if (values.length !== undefined) {
    tpduLength = Number(values.length);
    if (!Number.isInteger(tpduLength) || tpduLength < 1) throw new UsageError('--length must be a positive integer');
  }
  if (positionals[0] !== '-') {
    const r = decodeLine(positionals[0]!, tpduLength);
    io.stdout.write(r.json + '\n');
    return r.ok ? 0 : 1;
  }
  // One PDU per line; a bad line prints its error and the run goes on.
  let failed = 0;
  const lines = createInterface({ input: io.stdin, crlfDelay: Infinity });
  for await (const raw of lines) {
    const line = raw.trim();
    if (line === '') continue;
    const r = decodeLine(line, tpduLength);
    if (!r.ok) failed++;
    io.stdout.write(r.json + '\n');
  }
  return failed > 0 ? 1 : 0;
}

function encode(args: string[], io: CommandIO): number {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true, strict: true,
    options: {
      to: { type: 'string' }, text: { type: 'string' }, encoding: { type: 'string' }, srr: { type: 'boolean' },
      ref16: { type: 'boolean' }, class0: { type: 'boolean' }, validity: { type: 'string' }, smsc: { type: 'string' },
    },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${positionals[0]}\n${USAGE}`);
  if (values.to === undefined || values.text === undefined) throw new UsageError(`pdu encode needs --to and --text\n${USAGE}`);
  const encoding = values.encoding ?? 'auto';
  if (encoding !== 'auto' && encoding !== 'gsm7' && encoding !== 'ucs2') throw new UsageError('--encoding must be auto, gsm7 or ucs2');
  let validityMinutes: number | undefined;
  if (values.validity !== undefined) {
    validityMinutes = Number(values.validity);
    if (!Number.isFinite(validityMinutes) || validityMinutes <= 0) throw new UsageError('--validity must be a positive number of minutes');
  }
  try {
    const out = encodeSubmit({
      to: values.to, text: values.text, encoding, statusReport: values.srr, ref16: values.ref16, class0: values.class0,
      validityMinutes, smsc: values.smsc,
    });
    io.stdout.write(JSON.stringify(out) + '\n');
    return 0;
  } catch (err) {
    io.stdout.write(errorJson(err) + '\n');
    return 1;
  }
}

export default defineCommand({
  name: 'pdu',
  summary: 'decode or encode SMS PDUs (3GPP TS 23.040)',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    try {
      if (sub === 'decode') return await decode(rest, io);
      if (sub === 'encode') return encode(rest, io);
    } catch (err) {
      // parseArgs rejects unknown or malformed options with a TypeError carrying an ERR_PARSE_ARGS_* code.
      if (err instanceof TypeError && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) {
        throw new UsageError(`${err.message}\n${USAGE}`);
      }
      throw err;
    }
    throw new UsageError(`pdu needs a subcommand: decode or encode\n${USAGE}`);
  },
});
