// 23.040 9.2.3.24.1: putting a concatenated message back together. Pure: the modem plugin keeps the
// parts and the timeouts; this only says whether they make a whole.
import type { Concat } from './types.ts';

export interface Fragment { concat: Concat; text?: string | null; data?: Uint8Array }

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
  let text = '';
  let size = 0;
  let hasData = false;
  for (let i = 1; i <= total; i++) {
    const p = byPart[i]!;
    text += p.text ?? '';
    if (p.data) { hasData = true; size += p.data.length; }
  }
  if (!hasData) return { complete: true, text };
  const data = new Uint8Array(size);
  let at = 0;
  for (let i = 1; i <= total; i++) {
    const d = byPart[i]!.data;
    if (d) { data.set(d, at); at += d.length; }
  }
  return { complete: true, text, data };
}
