// Splits an AT command line into commands (ITU-T V.250 5.2-5.4): basic commands (`E0`, `&F`, `D...`,
// `S0=1`) may follow each other directly; extended commands (`+CMGF=0`, `^CURC=0`) are separated by `;`.

export type CommandKind = 'exec' | 'set' | 'read' | 'test';

export interface Command {
  /** Upper-case name: `+CMGS`, `^CURC`, `E`, `&F`, `D`, `S0`. */
  name: string;
  kind: CommandKind;
  /** Everything after `=` (extended set), the digits of a basic command, or the dial string. */
  args: string;
  /** `args` split at commas outside quotes, quotes removed. */
  params: string[];
  /** Which params were quoted (`"1234"` vs `1234`). */
  quoted: boolean[];
  /** The command as written, without `AT`. */
  raw: string;
}

/** Splits `a,"b,c",d` into params, honouring quotes. */
export function splitParams(args: string): { params: string[]; quoted: boolean[] } {
  const params: string[] = [];
  const quoted: boolean[] = [];
  if (args.trim() === '') return { params, quoted };
  let cur = '';
  let inQuote = false;
  let wasQuoted = false;
  for (const ch of args) {
    if (ch === '"') {
      inQuote = !inQuote;
      wasQuoted = true;
    } else if (ch === ',' && !inQuote) {
      params.push(wasQuoted ? cur : cur.trim());
      quoted.push(wasQuoted);
      cur = '';
      wasQuoted = false;
    } else if (inQuote || ch !== ' ') cur += ch;
  }
  params.push(wasQuoted ? cur : cur.trim());
  quoted.push(wasQuoted);
  return { params, quoted };
}

function make(name: string, kind: CommandKind, args: string, raw: string): Command {
  return { name, kind, args, raw, ...splitParams(args) };
}

/**
 * Parses the part after `AT`. Returns null when the line is not a valid command sequence.
 *
 * @example parseCommands('E0+CMEE=1;+CMGF=0') // E, +CMEE (set "1"), +CMGF (set "0")
 */
export function parseCommands(body: string): Command[] | null {
  const out: Command[] = [];
  let i = 0;
  const n = body.length;
  while (i < n) {
    const c = body[i]!;
    if (c === ' ' || c === ';') { i++; continue; }
    const start = i;
    if ('+^$%#*'.includes(c)) {
      // Extended command: prefix + name, then `=?`, `?`, `=args` or nothing; ends at `;` outside quotes.
      i++;
      while (i < n && /[A-Za-z0-9!%\-._/:]/.test(body[i]!)) i++;
      const name = body.slice(start, i).toUpperCase();
      if (name.length < 2) return null;
      let kind: CommandKind = 'exec';
      let args = '';
      if (body.startsWith('=?', i)) { kind = 'test'; i += 2; }
      else if (body[i] === '?') { kind = 'read'; i++; }
      else if (body[i] === '=') {
        kind = 'set';
        i++;
        const from = i;
        let inQuote = false;
        while (i < n && (inQuote || body[i] !== ';')) {
          if (body[i] === '"') inQuote = !inQuote;
          i++;
        }
        args = body.slice(from, i);
      }
      out.push(make(name, kind, args, body.slice(start, i)));
      continue;
    }
    if (c === 'D' || c === 'd') {
      // V.250 6.3.1: the dial string runs to the end of the line (`;` ends it for voice calls).
      out.push(make('D', 'exec', body.slice(i + 1), body.slice(i)));
      break;
    }
    if (c === '&' || /[A-Za-z]/.test(c)) {
      let name = c.toUpperCase();
      i++;
      if (c === '&') {
        if (i >= n) return null;
        name += body[i]!.toUpperCase();
        i++;
      }
      if (name === 'S') {
        // S-parameters: S<n>? or S<n>=<value>.
        const from = i;
        while (i < n && /[0-9]/.test(body[i]!)) i++;
        name += body.slice(from, i);
        if (body[i] === '?') { i++; out.push(make(name, 'read', '', body.slice(start, i))); continue; }
        if (body[i] === '=') {
          i++;
          const v = i;
          while (i < n && /[0-9]/.test(body[i]!)) i++;
          out.push(make(name, 'set', body.slice(v, i), body.slice(start, i)));
          continue;
        }
        out.push(make(name, 'exec', '', body.slice(start, i)));
        continue;
      }
      const from = i;
      while (i < n && /[0-9]/.test(body[i]!)) i++;
      out.push(make(name, 'exec', body.slice(from, i), body.slice(start, i)));
      continue;
    }
    return null;
  }
  return out;
}
