// The behaviours behind the firmware quirks of quirks.ts that change how commands are answered: put in
// front of the profile's when a profile or a simulator switches the quirk on.
import type { Behavior } from '../behavior.ts';
import type { Quirks } from '../quirks.ts';
import { cpmsMalformed } from './cpmslist.ts';
import { wrongLength } from './length.ts';
import { lteOnly } from './lte.ts';
import { ussdCharset } from './ussdcharset.ts';

/** The behaviours `quirks` asks for (none for the quirks the AT engine and the network handle). */
export function quirkBehaviors(quirks: Quirks): Behavior[] {
  const out: Behavior[] = [];
  if (quirks.wrongLength) out.push(wrongLength(quirks.wrongLength));
  if (quirks.cpmsTest) out.push(cpmsMalformed(quirks.cpmsTest === 'malformed' ? 'quotes' : 'garbled'));
  if (quirks.lteOnly) out.push(lteOnly);
  if (quirks.ussdCharset) out.push(ussdCharset);
  return out;
}
