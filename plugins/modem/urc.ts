/**
 * Unsolicited result codes, registered by prefix with the lines that follow them (warthog618/modem's
 * "indications"): `+CMTI:` stands alone, `+CMT:` and `+CDS:` carry the PDU on the next line (27.005
 * 3.4.1), and a `+CUSD:` string may run over several lines until its closing quote.
 */

/** How many lines follow the head line: a count, or a function saying whether more are needed yet. */
export type TrailingLines = number | ((collected: readonly string[]) => boolean);

export interface UrcOptions {
  lines?: TrailingLines;
  /**
   * A trailing line must pass this to belong to the URC (a `+CMT:` PDU line is hex); a line that does
   * not ends the URC early and is classified on its own, so a lost PDU line cannot swallow `OK`.
   */
  accept?: (line: string) => boolean;
}

/** `lines` holds the head line first, then its trailing lines (fewer than announced if cut short). */
export type UrcHandler = (lines: string[]) => void;

interface Entry extends UrcOptions {
  prefix: string;
  handler: UrcHandler;
}

export class UrcRegistry {
  #entries: Entry[] = [];

  /**
   * Registers a handler; returns its unregister function. The longest matching prefix wins.
   *
   * @example
   * urcs.on('+CMT:', ([head, pdu]) => onDeliver(head, pdu), { lines: 1, accept: isHex });
   */
  on(prefix: string, handler: UrcHandler, options: UrcOptions = {}): () => void {
    const entry: Entry = { prefix, handler, ...options };
    this.#entries.push(entry);
    this.#entries.sort((a, b) => b.prefix.length - a.prefix.length);
    return () => {
      this.#entries = this.#entries.filter((e) => e !== entry);
    };
  }

  match(line: string): Entry | undefined {
    return this.#entries.find((e) => line.startsWith(e.prefix));
  }
}

/**
 * Collects the trailing lines of one URC. `add` returns true while it wants more lines.
 */
export class UrcCollector {
  readonly lines: string[];
  readonly #entry: Entry;

  constructor(entry: Entry, head: string) {
    this.#entry = entry;
    this.lines = [head];
  }

  /** Whether the URC still expects lines after those collected. */
  get wantsMore(): boolean {
    const spec = this.#entry.lines ?? 0;
    if (typeof spec === 'number') return this.lines.length - 1 < spec;
    // A runaway multi-line URC (a quote never closed) is cut at 32 lines.
    return this.lines.length < 32 && spec(this.lines);
  }

  accepts(line: string): boolean {
    return this.#entry.accept ? this.#entry.accept(line) : true;
  }

  deliver(): void {
    this.#entry.handler(this.lines);
  }
}

/** True for a line of hex digits (a PDU), tolerating a stray trailing quote some modems print. */
export function isHexLine(line: string): boolean {
  return /^[0-9A-Fa-f]+"?$/.test(line.trim());
}

/** For `+CUSD: 1,"...`: more lines are needed while the quoted string is open. */
export function openQuote(collected: readonly string[]): boolean {
  const all = collected.join('\n');
  const quotes = all.split('"').length - 1;
  return quotes % 2 === 1;
}
