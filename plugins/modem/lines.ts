/**
 * Splits the modem's byte stream into lines. V.250 5.2.1: a response is framed by S3 S4 (`\r\n`), but
 * modems also send lone `\r` (CR-only captures) or lone `\n`; all three end a line. The SMS prompt of
 * 27.005 3.5.1 (`> `, some modems `>` alone) has no line end, so it is recognised in the unfinished
 * buffer, and whatever follows it on the same line (an echoed PDU) becomes a line of its own.
 */
export type Token = { kind: 'line'; text: string } | { kind: 'prompt' };

export class LineSplitter {
  #buffer = '';
  #skipLf = false;

  /**
   * Feeds a chunk; returns the complete lines (empty ones dropped) and prompts in order.
   *
   * @example
   * const s = new LineSplitter();
   * s.push('\r\nOK\r\n\r\n> '); // [{ kind: 'line', text: 'OK' }, { kind: 'prompt' }]
   */
  push(chunk: string): Token[] {
    const out: Token[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (c === '\n' && this.#skipLf) {
        this.#skipLf = false;
        continue;
      }
      this.#skipLf = false;
      if (c === '\r' || c === '\n') {
        this.#skipLf = c === '\r';
        this.#flush(out);
        continue;
      }
      // Other control characters (NUL from line noise, the Ctrl-Z of an echoed PDU) carry nothing, except
      // in a USSD string printed in the GSM character set (27.007 5.5): there 0x01-0x1F are characters
      // (£ $ ¥ è é ... and ESC before €), decoded by ussd.ts. NUL ('@') stays dropped: noise is likelier.
      if (c < ' ' && c !== '\t' && (c === '\0' || c === '\x1a' || !this.#buffer.startsWith('+CUSD:'))) continue;
      this.#buffer += c;
      if (this.#buffer === '> ') {
        this.#buffer = '';
        out.push({ kind: 'prompt' });
      }
    }
    return out;
  }

  /** The unfinished line, if any. */
  get pending(): string {
    return this.#buffer;
  }

  /**
   * Called when the host waits for a prompt: a lone `>` that is not followed by its space
   * (warthog618's mock, some SIMCom firmwares) counts as the prompt.
   */
  takeBarePrompt(): boolean {
    if (this.#buffer === '>') {
      this.#buffer = '';
      return true;
    }
    return false;
  }

  reset(): void {
    this.#buffer = '';
    this.#skipLf = false;
  }

  #flush(out: Token[]): void {
    const line = this.#buffer;
    this.#buffer = '';
    // A line that is only `>` is the prompt with its line end (a variant some modems use).
    if (line === '>' || line === '> ') {
      out.push({ kind: 'prompt' });
      return;
    }
    if (line.trim() === '') return;
    out.push({ kind: 'line', text: line });
  }
}
