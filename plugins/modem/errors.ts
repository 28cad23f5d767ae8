import type { FinalResult } from './classify.ts';

export type AtErrorCode =
  /** `ERROR` (or Huawei's `COMMAND NOT SUPPORT`). */
  | 'at_error'
  /** `+CME ERROR: n` (27.007 9.2): equipment / SIM errors. */
  | 'cme_error'
  /** `+CMS ERROR: n` (27.005 3.2.5): message service errors. */
  | 'cms_error'
  /** NO CARRIER, BUSY, NO ANSWER, NO DIALTONE. */
  | 'call_ended'
  /** No final result within the command's timeout. */
  | 'timeout'
  /** The port closed (or was closed) while the command waited. */
  | 'closed'
  /** The request was refused before reaching the modem (bad argument). */
  | 'invalid_command';

/** 27.007 9.2.1/9.2.2: +CME ERROR codes. */
const cme: Record<number, string> = {
  0: 'phone failure', 1: 'no connection to phone', 2: 'phone-adaptor link reserved', 3: 'operation not allowed',
  4: 'operation not supported', 5: 'PH-SIM PIN required', 10: 'SIM not inserted', 11: 'SIM PIN required',
  12: 'SIM PUK required', 13: 'SIM failure', 14: 'SIM busy', 15: 'SIM wrong', 16: 'incorrect password',
  17: 'SIM PIN2 required', 18: 'SIM PUK2 required', 20: 'memory full', 21: 'invalid index', 22: 'not found',
  23: 'memory failure', 24: 'text string too long', 25: 'invalid characters in text string',
  26: 'dial string too long', 27: 'invalid characters in dial string', 30: 'no network service',
  31: 'network timeout', 32: 'network not allowed - emergency calls only', 100: 'unknown',
  260: 'SIM PIN2 required', 261: 'SIM PUK2 required',
};

/** 27.005 3.2.5: +CMS ERROR codes (0-127 are 24.011 RP causes, 128-255 23.040 TP-FCS values). */
const cms: Record<number, string> = {
  1: 'unassigned (unallocated) number', 8: 'operator determined barring', 10: 'call barred',
  21: 'short message transfer rejected', 27: 'destination out of service', 28: 'unidentified subscriber',
  29: 'facility rejected', 30: 'unknown subscriber', 38: 'network out of order', 41: 'temporary failure',
  42: 'congestion', 47: 'resources unavailable, unspecified', 50: 'requested facility not subscribed',
  69: 'requested facility not implemented', 81: 'invalid short message transfer reference value',
  95: 'invalid message, unspecified', 96: 'invalid mandatory information', 97: 'message type non-existent or not implemented',
  98: 'message not compatible with short message protocol state', 99: 'information element non-existent or not implemented',
  111: 'protocol error, unspecified', 127: 'interworking, unspecified', 128: 'telematic interworking not supported',
  129: 'short message type 0 not supported', 130: 'cannot replace short message', 143: 'unspecified TP-PID error',
  144: 'data coding scheme (alphabet) not supported', 145: 'message class not supported', 159: 'unspecified TP-DCS error',
  160: 'command cannot be actioned', 161: 'command unsupported', 175: 'unspecified TP-Command error',
  176: 'TPDU not supported', 192: 'SC busy', 193: 'no SC subscription', 194: 'SC system failure',
  195: 'invalid SME address', 196: 'destination SME barred', 197: 'SM rejected-duplicate SM',
  198: 'TP-VPF not supported', 199: 'TP-VP not supported', 208: 'SIM SMS storage full',
  209: 'no SMS storage capability in SIM', 210: 'error in MS', 211: 'memory capacity exceeded',
  212: 'SIM application toolkit busy', 213: 'SIM data download error', 255: 'unspecified error cause',
  300: 'ME failure', 301: 'SMS service of ME reserved', 302: 'operation not allowed', 303: 'operation not supported',
  304: 'invalid PDU mode parameter', 305: 'invalid text mode parameter', 310: 'SIM not inserted',
  311: 'SIM PIN required', 312: 'PH-SIM PIN required', 313: 'SIM failure', 314: 'SIM busy', 315: 'SIM wrong',
  316: 'SIM PUK required', 317: 'SIM PIN2 required', 318: 'SIM PUK2 required', 320: 'memory failure',
  321: 'invalid memory index', 322: 'memory full', 330: 'SMSC address unknown', 331: 'no network service',
  332: 'network timeout', 340: 'no +CNMA acknowledgement expected', 500: 'unknown error',
  512: 'network busy or message rejected (manufacturer specific)',
};

/** The meaning of a +CME ERROR code, per 27.007 9.2. */
export function cmeMeaning(code: number): string {
  return cme[code] ?? (code >= 256 ? 'manufacturer specific' : 'reserved');
}

/** The meaning of a +CMS ERROR code, per 27.005 3.2.5. */
export function cmsMeaning(code: number): string {
  return cms[code] ?? (code >= 512 ? 'manufacturer specific' : 'reserved');
}

/**
 * A command that did not end in OK. `code` is what callers branch on; `cme`/`cms` carry the number.
 *
 * @example
 * try { await at.send('AT+CMGS=23', { pdu }); } catch (e) { if (e instanceof AtError && e.cms === 332) retry(); }
 */
export class AtError extends Error {
  override name = 'AtError';
  readonly code: AtErrorCode;
  readonly command: string;
  readonly cme?: number;
  readonly cms?: number;
  readonly meaning: string;
  /** The final result line as received, when there was one. */
  readonly line?: string;

  constructor(code: AtErrorCode, command: string, meaning: string, extra: { cme?: number; cms?: number; line?: string; cause?: unknown } = {}) {
    const number = extra.cme ?? extra.cms;
    super(`${redactCommand(command)}: ${number !== undefined ? `${code === 'cme_error' ? 'CME' : 'CMS'} ${number} ` : ''}${meaning}`, extra.cause ? { cause: extra.cause } : undefined);
    this.code = code;
    this.command = redactCommand(command);
    this.meaning = meaning;
    if (extra.cme !== undefined) this.cme = extra.cme;
    if (extra.cms !== undefined) this.cms = extra.cms;
    if (extra.line !== undefined) this.line = extra.line;
  }

  /** The numeric CME or CMS code, whichever there is. */
  get number(): number | undefined {
    return this.cme ?? this.cms;
  }

  static fromFinal(command: string, final: FinalResult): AtError {
    switch (final.kind) {
      case 'cme':
        return final.code !== undefined
          ? new AtError('cme_error', command, cmeMeaning(final.code), { cme: final.code, line: final.line })
          : new AtError('cme_error', command, final.detail ?? 'unknown', { cme: codeFor(cme, final.detail), line: final.line });
      case 'cms':
        return final.code !== undefined
          ? new AtError('cms_error', command, cmsMeaning(final.code), { cms: final.code, line: final.line })
          : new AtError('cms_error', command, final.detail ?? 'unknown', { cms: codeFor(cms, final.detail), line: final.line });
      case 'error':
      case 'not-supported':
        return new AtError('at_error', command, final.kind === 'error' ? 'error' : 'command not supported', { line: final.line });
      default:
        return new AtError('call_ended', command, final.line.toLowerCase(), { line: final.line });
    }
  }
}

/** AT+CMEE=2 gives words; map them back to the number so callers can branch on one thing. */
function codeFor(table: Record<number, string>, detail: string | undefined): number | undefined {
  if (!detail) return undefined;
  const d = detail.toLowerCase();
  for (const [k, v] of Object.entries(table)) if (v.toLowerCase() === d) return Number(k);
  return undefined;
}

/** Hides the PIN/PUK in `AT+CPIN="1234"` (and `AT+CPIN="puk","newpin"`), for errors, logs and traces. */
export function redactCommand(command: string, mask = '****'): string {
  return command.replace(/^(AT\+CPIN=|AT\+CLCK=[^,]*,[^,]*,|AT\+CPWD=[^,]*,)(.*)$/i, (_, head: string, rest: string) =>
    head + rest.replace(/"[^"]*"|[^,]+/g, `"${mask}"`),
  );
}

/**
 * +CMS errors worth another try (the network or the modem was busy): 27.005 314 SIM busy, 331 no network
 * service, 332 network timeout, 500 unknown, 512+ manufacturer specific (SIMCom/Quectel use them for
 * "try later"), the 24.011 RP causes 38/41/42/47 (temporary network conditions) and the 23.040 TP-FCS
 * 192 SC busy, 212 SIM toolkit busy. Timeouts and a closed port are transient too.
 */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof AtError)) return false;
  if (error.code === 'timeout' || error.code === 'closed') return true;
  if (error.code === 'cms_error' && error.cms !== undefined) return [38, 41, 42, 47, 192, 212, 314, 331, 332, 500].includes(error.cms) || error.cms >= 512;
  if (error.code === 'cme_error' && error.cme !== undefined) return [14, 30, 31, 100].includes(error.cme);
  return false;
}

/**
 * Whether a failed send must not be tried again: a +CMS error whose 27.005 3.2.5 code is known and not
 * transient (the number, the message or the subscription is refused: 1 unassigned number, 304 invalid PDU
 * parameter, 330 SMSC unknown...), or a request refused before it reached the modem. Anything else (a
 * stray NO CARRIER, a bare ERROR, a +CME error, an unknown code) may be a passing state of the modem or
 * the network: the send is retried, and fails only once its retries are spent.
 *
 * @example isPermanent(new AtError('cms_error', 'AT+CMGS=23', 'invalid PDU mode parameter', { cms: 304 })) // true
 */
export function isPermanent(error: AtError): boolean {
  if (error.code === 'invalid_command') return true;
  return error.code === 'cms_error' && error.cms !== undefined && cms[error.cms] !== undefined && !isTransient(error);
}
