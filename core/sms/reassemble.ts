// 23.040 9.2.3.24.1: putting a concatenated message back together. Pure: the modem plugin keeps the
// parts and the timeouts; this only says whether they make a whole.
import type { Concat } from './types.ts';

/**
 * One part. `utf16` (from decodePdu, UCS2 with a lone surrogate) is the text as code units: parts are
 * joined by it, so a surrogate pair split between two parts joins again.
 */
export interface Fragment { concat: Concat; text?: string | null; utf16?: string; data?: Uint8Array }

/**
 * Joins the parts of one concatenated message, in any order, ignoring duplicates (the first copy of a
 * part number wins). Returns the whole text (and the joined 8-bit data, if any part had some) or the
 * part numbers still missing.
 *
 * @example reassemble([{ concat: { ref: 7, total: 2, part: 2 }, text: 'lo' }, { concat: { ref: 7, total: 2, part: 1 }, text: 'hel' }])
 * // { complete: true, text: 'hello' }
 */
export function reassemble(parts: Fragment[]):
  { complete: true; text: string; data?: Uint8Array } | { complete: false; missing: number[]; total: number } {
  if (parts.length === 0) return { complete: false, missing: [], total: 0 };
  const total = parts[0]!.concat.total;
  const byPart = new Array<Fragment | undefined>(total + 1);
  for (const p of parts) {
    const n = p.concat.part;
    if (n >= 1 && n <= total && byPart[n] === undefined) byPart[n] = p;
  }
  const missing: number[] = [];
  for (let i = 1; i <= total; i++) if (byPart[i] === undefined) missing.push(i);
  if (missing.length > 0) return { complete: false, missing, total };
  const ordered = byPart.slice(1) as Fragment[];
  const text = joinText(ordered);
  let size = 0;
  let hasData = false;
  for (const p of ordered) if (p.data) { hasData = true; size += p.data.length; }
  if (!hasData) return { complete: true, text };
  const data = new Uint8Array(size);
  let at = 0;
  for (const p of ordered) {
    if (p.data) { data.set(p.data, at); at += p.data.length; }
  }
  return { complete: true, text, data };
}

/**
 * The text of parts in the order given. Code units are joined only across neighbours (part n then
 * n + 1), so halves of a surrogate pair meet again; a surrogate still alone after that, or next to a gap
 * where a part is missing, reads U+FFFD as in a single part.
 *
 * @example joinText([{ concat: { ref: 1, total: 2, part: 1 }, text: 'a\uFFFD', utf16: 'a\uD83D' }, { concat: { ref: 1, total: 2, part: 2 }, text: '\uFFFDb', utf16: '\uDE00b' }])
 * // 'a😀b'
 */
export function joinText(parts: Fragment[]): string {
  let text = '';
  let units = false;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p.utf16 === undefined) { text += p.text ?? ''; continue; }
    const prev = parts[i - 1];
    const next = parts[i + 1];
    let s = p.utf16;
    // A lone surrogate at an edge joins only with the part next to it; elsewhere it stays replaced.
    if (!(prev && prev.concat.part === p.concat.part - 1)) s = s.replace(/^[\uDC00-\uDFFF]/, '\uFFFD');
    if (!(next && next.concat.part === p.concat.part + 1)) s = s.replace(/[\uD800-\uDBFF]$/, '\uFFFD');
    text += s;
    units = true;
  }
  return units ? text.toWellFormed() : text;
}
