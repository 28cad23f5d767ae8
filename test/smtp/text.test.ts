// What of a mail becomes the SMS: the writer's own words (quotes and signatures cut), the subject as
// configured, and a cut to N parts at a word without splitting a character.
import t from 'tap';
import { fitParts, ownWords, partsOf, smsText } from '../../plugins/smtp/text.ts';

t.test('ownWords cuts quoted replies and signatures', async (t) => {
  t.equal(ownWords('Disk full on db1\r\n\r\nOn Mon, 7 Dec 2026, Ops <ops@example.com> wrote:\r\n> old alert\r\n'), 'Disk full on db1');
  t.equal(ownWords('Restarted.\n\nOn Mon, 7 Dec 2026 at 10:00, A Very Long Name <someone@example.com>\nwrote:\n> x'), 'Restarted.', 'the header wrapped onto two lines');
  t.equal(ownWords('Neu gestartet.\n\nAm 07.12.2026 um 10:00 schrieb Ops <ops@example.com>:\n> alt'), 'Neu gestartet.');
  t.equal(ownWords('Redémarré.\n\nLe lun. 7 déc. 2026, Ops a écrit :\n> x'), 'Redémarré.');
  t.equal(ownWords('ok\n\n-----Original Message-----\nFrom: x'), 'ok');
  t.equal(ownWords('ok\n________________________________\nFrom: x'), 'ok', "Outlook's rule");
  t.equal(ownWords('alert text\n-- \nNagios\n'), 'alert text', 'RFC 3676 signature');
  t.equal(ownWords('alert text\n--\nsig'), 'alert text', 'signature delimiter without its space');
  t.equal(ownWords('> quoted first\nmy answer\n> more quote'), 'my answer', '> lines anywhere are dropped');
  t.equal(ownWords('one  \n\n\n\ntwo\t\n'), 'one\n\ntwo', 'trailing spaces and runs of blank lines');
  t.equal(ownWords('On call: Alice\nOn duty: Bob'), 'On call: Alice\nOn duty: Bob', 'a line starting with "On" is kept when no "wrote:" follows');
  t.equal(ownWords('a -- b\n--- c'), 'a -- b\n--- c', 'dashes inside text are not a signature');
});

t.test('smsText places the subject as configured', async (t) => {
  t.equal(smsText('PROBLEM db1', 'disk full', 'prefix'), 'PROBLEM db1\ndisk full');
  t.equal(smsText('PROBLEM db1', '', 'prefix'), 'PROBLEM db1');
  t.equal(smsText('PROBLEM db1', 'disk full', 'fallback'), 'disk full');
  t.equal(smsText('  PROBLEM\r\n  db1 ', '> only a quote', 'fallback'), 'PROBLEM db1', 'folded subject, body empty after the cut');
  t.equal(smsText('PROBLEM db1', '', 'ignore'), '');
  t.equal(smsText(undefined, 'body', 'prefix'), 'body');
});

t.test('fitParts cuts to N parts at a word, never inside a character', async (t) => {
  t.equal(fitParts('short', 1), 'short');
  t.equal(fitParts('a'.repeat(200), 1), 'a'.repeat(160), 'no space near the end: cut at the limit');
  const words = 'alpha beta gamma delta '.repeat(20);
  const one = fitParts(words, 1);
  t.ok(one.length <= 160 && one.length >= 140, `${one.length} characters`);
  t.match(one, /[a-z]$/, 'ends in a whole word');
  t.ok(words.startsWith(one));
  t.equal(partsOf(fitParts(words, 2)), 2);
  // UCS-2: 70 characters in one part; an emoji is two UTF-16 units and must not be split.
  const emoji = '😀'.repeat(50);
  const cut = fitParts(emoji, 1);
  t.ok(cut.isWellFormed(), 'no lone surrogate');
  t.equal(partsOf(cut), 1);
  t.equal(cut, '😀'.repeat(35));
  // GSM 7-bit extension characters count twice.
  const euros = fitParts('€'.repeat(100), 1);
  t.equal(euros, '€'.repeat(80));
});
