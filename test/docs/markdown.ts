// Reading the project's Markdown for the documentation tests: which files, their prose (code
// fences left out), their links, and the anchors GitHub gives their headings.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

export const root = new URL('../../', import.meta.url).pathname;

const skipped = new Set(['node_modules', '.git', '.tap', 'coverage', 'test-output', 'data']);

/** Every *.md file of the project, as paths relative to the root, sorted. */
export function markdownFiles(dir = root): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skipped.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...markdownFiles(path));
    else if (entry.name.endsWith('.md')) out.push(relative(root, path));
  }
  return out.sort();
}

export interface ProseLine {
  line: number;
  text: string;
}

/** The lines outside fenced code blocks, with their 1-based line numbers. */
export function proseLines(markdown: string): ProseLine[] {
  const out: ProseLine[] = [];
  let fence: string | null = null;
  markdown.split('\n').forEach((text, i) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(text)?.[1];
    if (marker && (fence === null || marker.startsWith(fence))) {
      fence = fence === null ? marker : null;
      return;
    }
    if (fence === null) out.push({ line: i + 1, text });
  });
  return out;
}

export interface Link {
  line: number;
  target: string;
}

/** Inline links `[text](target)` and reference definitions `[id]: target`, outside code. */
export function linksOf(markdown: string): Link[] {
  const out: Link[] = [];
  for (const { line, text } of proseLines(markdown)) {
    const prose = text.replace(/`[^`]*`/g, '');
    for (const m of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ line, target: m[1]! });
    const ref = /^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(prose);
    if (ref) out.push({ line, target: ref[1]! });
  }
  return out;
}

/** A link to another site (or a mail address): not checked here. */
export const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function slug(heading: string): string {
  return heading
    .trim()
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The anchors of a document's headings, numbered as GitHub numbers repeated ones (`x`, `x-1`). */
export function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { text } of proseLines(markdown)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(text);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  for (const m of markdown.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) out.add(m[1]!);
  return out;
}

export const read = (path: string) => readFileSync(join(root, path), 'utf8');

/** The code blocks marked `<!-- file: name -->` in a Markdown document, by file name. */
export function exampleFiles(markdown: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const m of markdown.matchAll(/<!--\s*file:\s*(\S+)\s*-->\s*\n```[a-z]*\n([\s\S]*?)\n```/g)) files.set(m[1]!, `${m[2]}\n`);
  return files;
}
