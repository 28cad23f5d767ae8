// docs/configuration.md against the plugins' option schemas: every option a plugin accepts is
// documented in the plugin's section, and the section documents no option the plugin does not have.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import * as v from 'valibot';
import { eventTypes } from '../../core/events.ts';
import type { PluginDefinition } from '../../core/plugin.ts';
import { proseLines, read, root } from './markdown.ts';

type Schema = { type: string; entries?: Record<string, Schema>; wrapped?: Schema; options?: unknown[] };

const wrappers = new Set(['optional', 'exact_optional', 'nullable', 'nullish', 'undefinedable', 'non_optional', 'non_nullable', 'non_nullish']);
const objects = new Set(['object', 'strict_object', 'loose_object', 'object_with_rest']);

const unwrap = (schema: Schema | undefined): Schema | undefined => {
  let s = schema;
  while (s && wrappers.has(s.type) && s.wrapped) s = s.wrapped;
  return s;
};

/** Every option in an object schema by dotted path, nested objects included (`retry.attempts`). */
export function optionSchemas(schema: Schema | undefined, prefix = ''): Map<string, Schema> {
  const out = new Map<string, Schema>();
  const s = unwrap(schema);
  if (!s || !objects.has(s.type) || !s.entries) return out;
  for (const [key, sub] of Object.entries(s.entries)) {
    out.set(`${prefix}${key}`, unwrap(sub)!);
    for (const [path, nested] of optionSchemas(sub, `${prefix}${key}.`)) out.set(path, nested);
  }
  return out;
}

export const optionPaths = (schema: Schema | undefined, prefix = '') => [...optionSchemas(schema, prefix).keys()];

/** `## name` sections of docs/configuration.md → the rows of their tables, by the option in the first column. */
export function documentedRows(markdown: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | null = null;
  for (const { text } of proseLines(markdown)) {
    const heading = /^##\s+(.+?)\s*$/.exec(text);
    if (heading) sections.set(heading[1]!.toLowerCase(), (current = new Map()));
    const row = /^\|\s*`([^`]+)`/.exec(text);
    if (row && current) current.set(row[1]!, text);
  }
  return sections;
}

export const documentedOptions = (markdown: string) => new Map([...documentedRows(markdown)].map(([name, rows]) => [name, [...rows.keys()]]));

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
  const documented = documentedRows(read('docs/configuration.md'));
  for (const plugin of plugins) {
    const rows = documented.get(plugin.name);
    if (!rows) {
      t.fail(`docs/configuration.md has no "## ${plugin.name}" section: add one saying what the plugin does, with a table of its options (one row per option, nested ones as \`a.b\`)`);
      continue;
    }
    const section = [...rows.keys()];
    const schemas = optionSchemas(plugin.options as unknown as Schema);
    const options = [...schemas.keys()];
    t.same(options.filter((o) => !section.includes(o)), [], `${plugin.name}: every option is documented (add a row to its table in docs/configuration.md)`);
    t.same(section.filter((o) => !options.includes(o)), [], `${plugin.name}: every documented option exists (remove or rename the row in docs/configuration.md)`);
    // An option that takes one of a few values names each of them.
    for (const [path, schema] of schemas) {
      if (schema.type !== 'picklist' || !rows.has(path)) continue;
      const row = rows.get(path)!;
      t.same(schema.options!.filter((value) => !row.includes(`\`${String(value)}\``)), [], `${plugin.name}: ${path} names every value it takes`);
    }
  }
});

t.test('docs/events.md lists every event type', async (t) => {
  const events = read('docs/events.md');
  for (const type of eventTypes) t.match(events, new RegExp(`^\\|[^|]*\`${type.replace('.', '\\.')}\``, 'm'), type);
});

t.test('docs/configuration.md documents the top level as resolveConfig reads it', async (t) => {
  const { resolveConfig } = await import('../../core/config.ts');
  const rows = [...(documentedRows(read('docs/configuration.md')).get('top level')?.keys() ?? [])];
  t.ok(rows.includes('plugins'), 'the section exists');
  // What a resolved config holds (every setting with its default filled in) is documented...
  const resolved = resolveConfig({ plugins: [] }, {}) as unknown as Record<string, unknown>;
  const paths = Object.entries(resolved).flatMap(([key, value]) =>
    value && typeof value === 'object' && !Array.isArray(value) ? [key, ...Object.keys(value).map((k) => `${key}.${k}`)] : [key],
  );
  t.same(paths.filter((p) => !rows.includes(p) && !rows.some((r) => r.startsWith(`${p}.`))), [], 'every setting is documented');
  // ...and every documented setting is one the config accepts (unknown keys are refused).
  for (const row of rows) {
    const [head, leaf] = row.split('.') as [string, string | undefined];
    const config: Record<string, unknown> = { plugins: [] };
    if (head !== 'plugins') config[head] = leaf ? { [leaf]: undefined } : undefined;
    t.doesNotThrow(() => resolveConfig(config, {}), `${row} is accepted`);
  }
  t.throws(() => resolveConfig({ plugins: [], notAnOption: undefined }, {}), 'an unknown key is refused (so the check above means something)');
});
