// The documentation holds together: every relative link in the project's Markdown reaches a file
// (and, for a link into a Markdown file, a heading), and no document carries dated work notes.
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize } from 'node:path';
import t from 'tap';
import { anchorsOf, isExternal, linksOf, markdownFiles, proseLines, read, root, slug } from './markdown.ts';

/** A heading that belongs in a lab notebook, not in the docs: "Session of 2026-12-06, night". */
export function isDatedWorkNote(heading: string): boolean {
  const date = /\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2} (jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{4}\b|\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]* \d{1,2},? \d{4}\b/i;
  const timeOfDay = /\b(morning|afternoon|evening|night|midnight|today|yesterday|tonight)\b/i;
  if (/\bsession (of|on)\b/i.test(heading)) return true;
  if (date.test(heading) && timeOfDay.test(heading)) return true;
  // A heading that starts with a date is a diary entry ("### 2026-12-06: what was tried").
  return /^\W*\d{4}-\d{2}-\d{2}\b/.test(heading);
}

const headings = (markdown: string) =>
  proseLines(markdown).flatMap(({ line, text }) => {
    const m = /^#{1,6}\s+(.*)$/.exec(text);
    return m ? [{ line, heading: m[1]! }] : [];
  });

t.test('the dated-work-note check knows one when it sees one', async (t) => {
  for (const h of [
    'Session of 2026-12-06, evening: what else was measured',
    'Session of 2026-12-06, night: the attempt\'s deadline (0.74 → ~0.77)',
    '2026-11-23: the heap release',
    'Benchmarks, 2026-12-06 morning',
    'What we tried on 6 December 2026 in the night',
  ])
    t.ok(isDatedWorkNote(h), h);
  for (const h of ['Performance', 'The store\'s migrations', 'Night mode for the operator page', 'Retention: 2026 limits', 'Upgrading from 0.1 to 0.2'])
    t.notOk(isDatedWorkNote(h), h);
});

t.test('no Markdown file in the project has dated work-note headings', async (t) => {
  const files = markdownFiles();
  t.ok(files.includes('README.md') && files.includes('docs/README.md'), 'the README and the docs index are found');
  const found: string[] = [];
  for (const file of files) {
    for (const { line, heading } of headings(read(file))) if (isDatedWorkNote(heading)) found.push(`${file}:${line}: ${heading}`);
    for (const { line, text } of proseLines(read(file))) if (/\bsession of \d{4}-/i.test(text)) found.push(`${file}:${line}: ${text.trim()}`);
  }
  t.same(found, [], 'dated work notes belong in commit messages, figures in docs/performance.md');
});

t.test('the anchor of a heading is the one GitHub makes', async (t) => {
  t.equal(slug('The SIM wants a PIN, or the PIN was refused'), 'the-sim-wants-a-pin-or-the-pin-was-refused');
  t.equal(slug("The store's migrations"), 'the-stores-migrations');
  t.equal(slug('The SMS codec and `smsedge pdu`'), 'the-sms-codec-and-smsedge-pdu');
  t.equal(slug('GET /modems/signal-history'), 'get-modemssignal-history');
  t.same([...anchorsOf('# A\n## B\n```\n# not a heading\n```\n## B\n')], ['a', 'b', 'b-1']);
});

t.test('every relative link in the project\'s Markdown reaches an existing file and heading', async (t) => {
  const files = markdownFiles();
  const broken: string[] = [];
  let checked = 0;
  for (const file of files) {
    for (const { line, target } of linksOf(read(file))) {
      if (isExternal(target)) continue;
      checked++;
      const [pathPart, anchor] = target.split('#', 2) as [string, string | undefined];
      const path = pathPart === '' ? file : normalize(join(dirname(file), decodeURIComponent(pathPart)));
      const where = `${file}:${line}: ${target}`;
      if (path.startsWith('..') || !existsSync(join(root, path))) {
        broken.push(`${where} (no such file)`);
        continue;
      }
      if (anchor && path.endsWith('.md') && statSync(join(root, path)).isFile() && !anchorsOf(read(path)).has(anchor))
        broken.push(`${where} (no such heading in ${path})`);
    }
  }
  t.ok(checked > 50, `${checked} links checked`);
  t.same(broken, [], 'broken links');
});

t.test('the README and the docs index lead to install, configuration, troubleshooting and upgrade', async (t) => {
  const index = read('docs/README.md');
  for (const doc of ['install.md', 'configuration.md', 'troubleshooting.md', 'backup-and-upgrade.md'])
    t.ok(linksOf(index).some((l) => l.target === doc), `docs/README.md links ${doc}`);
  t.ok(linksOf(read('README.md')).some((l) => l.target === 'docs/README.md'), 'README.md links the docs index');
  const lines = read('README.md').split('\n').length;
  t.ok(lines <= 320, `the README stays short (${lines} lines)`);
});

t.test('the README keeps the quick start: the two commands and the test peers', async (t) => {
  const readme = read('README.md');
  t.match(readme, /^npm ci$/m);
  t.match(readme, /^npm start\b/m);
  t.match(readme, /^npm test\b/m);
  t.match(readme, /^apt-get update && apt-get install -y .*socat.*mosquitto/m);
});
