// docs/configuration.md against the plugins' option schemas: every option a plugin accepts is
// documented in the plugin's section, and the section documents no option the plugin does not have.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import * as v from 'valibot';
import { eventTypes } from '../../core/events.ts';
import type { PluginDefinition } from '../../core/plugin.ts';
import { proseLines, read, root } from './markdown.ts';

type Schema = { type: string; entries?: Record<string, Schema>; wrapped?: Schema };

const wrappers = new Set(['optional', 'exact_optional', 'nullable', 'nullish', 'undefinedable', 'non_optional', 'non_nullable', 'non_nullish']);
const objects = new Set(['object', 'strict_object', 'loose_object', 'object_with_rest']);

/** The dotted paths of every option in an object schema, nested objects included (`retry.attempts`). */
export function optionPaths(schema: Schema | undefined, prefix = ''): string[] {
  let s = schema;
  while (s && wrappers.has(s.type) && s.wrapped) s = s.wrapped;
  if (!s || !objects.has(s.type) || !s.entries) return [];
  return Object.entries(s.entries).flatMap(([key, sub]) => [`${prefix}${key}`, ...optionPaths(sub, `${prefix}${key}.`)]);
}

/** `## name` sections of docs/configuration.md → the options named in the first column of their tables. */
export function documentedOptions(markdown: string): Map<string, string[]> {
  const sections = new Map<string, string[]>();
  let current: string[] | null = null;
  for (const { text } of proseLines(markdown)) {
    const heading = /^##\s+(.+?)\s*$/.exec(text);
    if (heading) sections.set(heading[1]!.toLowerCase(), (current = []));
    const row = /^\|\s*`([^`]+)`/.exec(text);
    if (row && current) current.push(row[1]!);
  }
  return sections;
}

/** Every plugin the project ships: the factories exported by plugins/<name>/index.ts. */
async function shippedPlugins(): Promise<PluginDefinition[]> {
  const found = new Map<string, PluginDefinition>();
  const dir = join(root, 'plugins');
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const index = join(dir, entry.name, 'index.ts');
    let mod: Record<string, unknown>;
    try {
      mod = await import(index);
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND' && String((error as Error).message).includes(index)) continue;
      throw error;
    }
    for (const value of Object.values(mod)) {
      const def = (value as { definition?: PluginDefinition } | null)?.definition;
      if (typeof value === 'function' && def && typeof def.setup === 'function') found.set(def.name, def);
    }
  }
  return [...found.values()];
}

t.test('optionPaths walks nested option objects through optional and pipe', async (t) => {
  const schema = v.strictObject({
    a: v.optional(v.number(), 1),
    b: v.optional(v.strictObject({ c: v.pipe(v.string(), v.minLength(1)), d: v.optional(v.object({ e: v.boolean() })) })),
    f: v.optional(v.array(v.object({ g: v.string() }))),
  });
  t.same(optionPaths(schema as unknown as Schema), ['a', 'b', 'b.c', 'b.d', 'b.d.e', 'f']);
});

t.test('documentedOptions reads the option tables of each plugin section', async (t) => {
  const md = '# x\n## alpha\n| option | default |\n| --- | --- |\n| `a` | 1 |\n| `b.c` | |\n```\n| `nope` |\n```\n## beta\ntext\n';
  t.same(Object.fromEntries(documentedOptions(md)), { alpha: ['a', 'b.c'], beta: [] });
});

t.test('docs/configuration.md documents every option of every plugin, and no other', async (t) => {
  const plugins = await shippedPlugins();
  const names = plugins.map((p) => p.name);
  for (const expected of ['modem', 'api', 'webhook', 'file', 'exec', 'mqtt']) t.ok(names.includes(expected), `finds the ${expected} plugin`);
  const documented = documentedOptions(read('docs/configuration.md'));
  for (const plugin of plugins) {
    const section = documented.get(plugin.name);
    if (!section) {
      t.fail(`docs/configuration.md has no "## ${plugin.name}" section`);
      continue;
    }
    const options = optionPaths(plugin.options as unknown as Schema);
    t.same(options.filter((o) => !section.includes(o)), [], `${plugin.name}: every option is documented`);
    t.same(section.filter((o) => !options.includes(o)), [], `${plugin.name}: every documented option exists`);
  }
});

t.test('docs/events.md lists every event type', async (t) => {
  const events = read('docs/events.md');
  for (const type of eventTypes) t.match(events, new RegExp(`^\\|[^|]*\`${type.replace('.', '\\.')}\``, 'm'), type);
});
