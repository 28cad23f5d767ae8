/**
 * Every line from the modem is classified exactly once (the warthog618/modem design): echo of the
 * command, information belonging to the command, a final result, an unsolicited result code (URC), or
 * noise. The prompt is recognised earlier, by the line splitter.
 */

export type FinalKind = 'ok' | 'error' | 'cme' | 'cms' | 'no-carrier' | 'busy' | 'no-answer' | 'no-dialtone' | 'not-supported';

export interface FinalResult {
  kind: FinalKind;
  /** Numeric CME/CMS code when the modem gave one (AT+CMEE=1), else undefined. */
  code?: number;
  /** The verbose text after `+CME ERROR:` when the modem gave words (AT+CMEE=2). */
  detail?: string;
  line: string;
}

/**
 * V.250 5.7.1 result codes and 27.007 9.2 / 27.005 3.2.5 error results that end a command. Huawei
 * answers unknown commands with `COMMAND NOT SUPPORT` (or `TOO MANY PARAMETERS`) instead of ERROR.
 *
 * @example parseFinal('+CMS ERROR: 500') // { kind: 'cms', code: 500, line: '+CMS ERROR: 500' }
 */
export function parseFinal(line: string): FinalResult | null {
  const l = line.trim();
  switch (l) {
    case 'OK':
      return { kind: 'ok', line: l };
    case 'ERROR':
      return { kind: 'error', line: l };
    case 'NO CARRIER':
      return { kind: 'no-carrier', line: l };
    case 'BUSY':
      return { kind: 'busy', line: l };
    case 'NO ANSWER':
      return { kind: 'no-answer', line: l };
    case 'NO DIALTONE':
      return { kind: 'no-dialtone', line: l };
    case 'COMMAND NOT SUPPORT':
    case 'TOO MANY PARAMETERS':
      return { kind: 'not-supported', line: l };
  }
  const m = /^\+(CME|CMS) ERROR:\s*(.*)$/i.exec(l);
  // `+CMS ERROR:` with nothing after the colon is not a result (ModemManager's parser agrees).
  if (!m || m[2]!.trim() === '') return null;
  const kind = m[1]!.toUpperCase() === 'CME' ? 'cme' : 'cms';
  const rest = m[2]!.trim();
  return /^\d+$/.test(rest) ? { kind, code: Number(rest), line: l } : { kind, detail: rest, line: l };
}

export type LineKind = 'echo' | 'info' | 'final' | 'urc' | 'noise';

export interface ClassifyContext {
  /** The command line awaiting its result (without CR), if any. */
  command?: string;
  /** Lines starting with this prefix answer the command (`+CMGL` for `AT+CMGL=4`), even if a URC has it too. */
  infoPrefix?: string | null;
  /** Whether a line starts a registered URC. */
  isUrc(line: string): boolean;
}

/**
 * @example
 * classifyLine('+CMTI: "SM",3', { command: 'AT+CSQ', infoPrefix: '+CSQ', isUrc: (l) => l.startsWith('+CMTI:') }) // 'urc'
 */
export function classifyLine(line: string, ctx: ClassifyContext): LineKind {
  const pending = ctx.command !== undefined;
  if (pending && line.trim().toUpperCase() === ctx.command!.trim().toUpperCase()) return 'echo';
  const final = parseFinal(line);
  // V.250 6.3: NO CARRIER, BUSY, NO ANSWER, NO DIALTONE end only a dial, answer or online command (D, A,
  // O); during anything else (an AT+CMGS, its PDU) NO CARRIER is a call ending (27.007 7.18), not its answer.
  if (final && (!pending || (CALL_RESULTS.has(final.kind) && !isCallCommand(ctx.command!)))) return ctx.isUrc(line) ? 'urc' : 'noise';
  if (final) return 'final';
  if (pending && ctx.infoPrefix && line.startsWith(ctx.infoPrefix)) return 'info';
  if (ctx.isUrc(line)) return 'urc';
  return pending ? 'info' : 'noise';
}

const CALL_RESULTS = new Set<FinalKind>(['no-carrier', 'busy', 'no-answer', 'no-dialtone']);

/** V.250 6.3.1 D (dial), 6.3.5 A (answer), 6.3.7 O (return to online data state). */
function isCallCommand(command: string): boolean {
  return /^AT\s*[DAO]/i.test(command.trim());
}

/** The prefix a command's information lines carry: `AT+CMGL=4` → `+CMGL`, `AT^SYSINFO` → `^SYSINFO`. */
export function infoPrefixOf(command: string): string | null {
  const m = /^AT([+^$%*#][A-Z0-9]+)/i.exec(command.trim());
  return m ? m[1]!.toUpperCase() : null;
}
