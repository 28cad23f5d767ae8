import { segments } from '../../core/sms/index.ts';

// What of a mail becomes the SMS: the words the writer typed, not what their mail program added.

/** Lines that start what a mail program quotes of the mail answered (English, German, French, Outlook). */
const quoteHeaders = [
  /^On\b.*\bwrote:\s*$/i,
  /^Am\b.*\bschrieb\b.*:\s*$/i,
  /^Le\b.*\ba écrit\s*:\s*$/i,
  /^-{2,}\s*Original Message\s*-{2,}\s*$/i,
  /^-{2,}\s*Urspr[üu]ngliche Nachricht\s*-{2,}\s*$/i,
  /^_{10,}\s*$/, // Outlook's rule above the quoted headers
];

/** RFC 3676 4.3: a line of "-- " starts the signature; many programs drop the space. */
const signature = /^--\s?$/;

/**
 * The text a writer typed: quoted lines (`>`) dropped, and everything from a quote header
 * ("On ... wrote:", also when the program wrapped it onto two lines) or the signature
 * delimiter ("-- ") on cut. Trailing spaces and runs of blank lines go too.
 *
 * @example
 * ownWords('Disk full on db1\n\nOn Mon, Ops <ops@x> wrote:\n> old\n-- \nNagios'); // 'Disk full on db1'
 */
export function ownWords(body: string): string {
  const lines = body.replace(/\r\n?/g, '\n').split('\n');
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trimEnd();
    if (signature.test(line)) break;
    if (quoteHeaders.some((h) => h.test(line))) break;
    // "On Mon, 7 Dec 2026 at 10:00, A Writer <a@example.com>" / "wrote:" on the next line.
    if (/^On\b/i.test(line) && /\bwrote:\s*$/i.test(lines[i + 1] ?? '') && !(lines[i + 1] ?? '').startsWith('>')) break;
    if (line.startsWith('>')) continue;
    kept.push(line);
  }
  return kept.join('\n').replace(/\n{3,}/g, '\n\n').trim();
}

/** Where the subject goes: before the body, only when the body is empty, or nowhere. */
export type SubjectUse = 'prefix' | 'fallback' | 'ignore';

/** The SMS text of a mail: its own words, with the subject as the option says. */
export function smsText(subject: string | undefined, body: string, use: SubjectUse): string {
  const words = ownWords(body);
  const topic = (subject ?? '').replace(/\s+/g, ' ').trim();
  if (use === 'ignore' || !topic) return words;
  if (use === 'fallback') return words || topic;
  return words ? `${topic}\n${words}` : topic;
}

/** Parts the text needs as an SMS (the encoding chosen as the agent chooses it). */
export function partsOf(text: string): number {
  return segments(text, { encoding: 'auto' }).parts;
}

/**
 * The longest start of `text` that fits `maxParts` SMS parts, cut at a space when one is near the
 * end (not in the middle of a word), never between the halves of a surrogate pair.
 *
 * @example
 * fitParts('a'.repeat(200), 1).length; // 160
 */
export function fitParts(text: string, maxParts: number): string {
  if (partsOf(text) <= maxParts) return text;
  const chars = [...text];
  let lo = 0;
  let hi = chars.length;
  // The largest n with chars[0..n) fitting: parts grow with length, so a binary search finds it.
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (partsOf(chars.slice(0, mid).join('')) <= maxParts) lo = mid;
    else hi = mid - 1;
  }
  const cut = chars.slice(0, lo).join('');
  const space = cut.search(/\s\S*$/);
  return (space > cut.length - 20 && space > 0 ? cut.slice(0, space) : cut).trimEnd();
}
