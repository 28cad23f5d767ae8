// The transcript format: what a host wrote and what a modem answered, one line each.
//
//   # a comment
//   > AT+CMGS=23          the host wrote `AT+CMGS=23\r`
//   < >                   the modem's `> ` prompt
//   > 0001000B91...\x1a   the host wrote the PDU and Ctrl-Z (no CR after a line ending in \x1a or \x1b)
//   @delay 1500           the next modem line comes 1.5 s later
//   < +CMGS: 7
//   < OK
//
// Escapes: `\r`, `\n`, `\xNN`, `\\`. Blank lines are ignored; a `<` line with nothing after it is an
// empty line from the modem. In a `>` line, `***` matches any text (a redacted PIN).
import { escapeText } from '../plugins/modem/trace.ts';

export interface TranscriptEntry {
  dir: '>' | '<';
  text: string;
  /** Clock ms when recorded (informative). */
  at?: number;
}

export type TranscriptStep =
  | { kind: 'write'; text: string; line: number }
  | { kind: 'read'; text: string; line: number }
  | { kind: 'delay'; ms: number; line: number };

/** Thrown for a malformed transcript (transcript_syntax) or a replay that went wrong (replay_*). */
export class TranscriptError extends Error {
  override name = 'TranscriptError';
  readonly code: string;
  /** 1-based line of the transcript. */
  readonly line: number;
  constructor(code: string, line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.code = code;
    this.line = line;
  }
}

// The escaping is the modem plugin's trace format (a trace is a transcript).
export { escapeText };

export function unescapeText(text: string, line = 0): string {
  return text.replace(/\\(x[0-9a-fA-F]{2}|r|n|\\|.)/g, (_, e: string) => {
    if (e === 'r') return '\r';
    if (e === 'n') return '\n';
    if (e === '\\') return '\\';
    if (e[0] === 'x' && e.length === 3) return String.fromCharCode(parseInt(e.slice(1), 16));
    throw new TranscriptError('transcript_syntax', line, `unknown escape \\${e}`);
  });
}

/** Entries as transcript text. */
export function formatTranscript(entries: TranscriptEntry[]): string {
  return entries.map((e) => `${e.dir} ${escapeText(e.text)}`.trimEnd() + (e.dir === '<' && e.text === '> ' ? ' ' : '')).join('\n') + (entries.length ? '\n' : '');
}

/**
 * Parses transcript text into steps. Throws TranscriptError naming the line for anything else.
 *
 * @example parseTranscript('> AT\n< OK\n') // [{ kind: 'write', text: 'AT', line: 1 }, { kind: 'read', text: 'OK', line: 2 }]
 */
export function parseTranscript(source: string): TranscriptStep[] {
  const steps: TranscriptStep[] = [];
  const lines = source.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = i + 1;
    if (raw.trim() === '' || raw.startsWith('#')) continue;
    if (raw.startsWith('@')) {
      const m = /^@delay\s+(\d+)\s*$/.exec(raw);
      if (!m) throw new TranscriptError('transcript_syntax', line, `unknown directive "${raw}" (only @delay <ms>)`);
      steps.push({ kind: 'delay', ms: Number(m[1]), line });
      continue;
    }
    const dir = raw[0];
    if ((dir !== '>' && dir !== '<') || (raw.length > 1 && raw[1] !== ' ')) {
      throw new TranscriptError('transcript_syntax', line, 'a line starts with "> " (host), "< " (modem), "#" or "@delay"');
    }
    const body = raw.slice(2);
    // The modem's prompt keeps its trailing space; other modem lines lose trailing blanks.
    const text = dir === '<' ? (body === '>' || body === '> ' ? '> ' : unescapeText(body.trimEnd(), line)) : unescapeText(body.trimEnd(), line);
    if (dir === '>' && text === '') throw new TranscriptError('transcript_syntax', line, 'empty host write');
    steps.push({ kind: dir === '>' ? 'write' : 'read', text, line });
  }
  return steps;
}

/** The bytes a `>` line stands for: the text plus CR, unless it ends in Ctrl-Z or ESC. */
export function hostBytes(text: string): Buffer {
  const last = text.charCodeAt(text.length - 1);
  return Buffer.from(last === 0x1a || last === 0x1b ? text : `${text}\r`, 'latin1');
}

/**
 * Turns the corpus's plain line lists (no direction) into steps: lines starting with `AT` and PDUs
 * ending in Ctrl-Z are host writes, the rest is the modem's.
 */
export function fromLines(lines: string[]): TranscriptStep[] {
  return lines.map((text, i) => {
    const host = /^AT/i.test(text) || text.endsWith('\x1a');
    if (!host && (text === '>' || text === '> ')) return { kind: 'read' as const, text: '> ', line: i + 1 };
    return { kind: host ? ('write' as const) : ('read' as const), text, line: i + 1 };
  });
}
