// Config errors in plain words: the plugin and key, what is wrong, and for a typo the key meant;
// a syntax error names the file, line and column.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { closestKey, ConfigError, loadConfig, resolveConfig } from '../../core/config.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { mqtt } from '../../plugins/mqtt/index.ts';

const fails = (config: unknown) => {
  try {
    resolveConfig(config, {});
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('the config was accepted');
};

t.test('an unknown key says so, with the key that was meant', async (t) => {
  t.equal(fails({ plugins: [modem({ port: '/dev/ttyUSB2', baudrate: 9600 } as never)] }), 'plugins[0] (modem).baudrate: unknown key (did you mean "baudRate"?)');
  t.equal(fails({ plugins: [api(), modem({ port: '/dev/ttyUSB2', prot: 'x' } as never)] }), 'plugins[1] (modem).prot: unknown key (did you mean "port"?)');
  t.equal(fails({ plugins: [modem({ port: '/dev/ttyUSB2', colour: 'red' } as never)] }), 'plugins[0] (modem).colour: unknown key');
  t.equal(fails({ plugins: [], logg: {} }), 'logg: unknown key (did you mean "log"?)');
  t.equal(fails({ plugins: [], log: { levle: 'info' } }), 'log.levle: unknown key (did you mean "level"?)');
});

t.test('a missing required key is named', async (t) => {
  t.equal(fails({ plugins: [mqtt({} as never)] }), 'plugins[0] (mqtt): missing required key "url"');
  t.equal(fails({}), '(root): missing required key "plugins"');
  t.equal(fails({ plugins: [api({ port: 'eighty' } as never)] }), 'plugins[0] (api).port: Invalid type: Expected number but received "eighty"');
});

t.test('closestKey: case and one-letter slips, nothing far off', async (t) => {
  t.equal(closestKey('baudrate', ['baudRate', 'port']), 'baudRate');
  t.equal(closestKey('retyr', ['retry', 'port']), 'retry');
  t.equal(closestKey('zzz', ['port', 'id']), undefined);
});

t.test('a syntax error names file, line and column', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'smsedge-syntax-'));
  const ts = join(dir, 'agent.config.ts');
  writeFileSync(ts, "import { defineConfig } from 'smsedge';\nexport default defineConfig({\n  plugins: [\n    foo(,\n  ],\n});\n");
  await t.rejects(loadConfig(ts, {}), { message: `${ts}:4:9: syntax error: Expression expected` });
  const js = join(dir, 'agent.config.mjs');
  writeFileSync(js, 'export default {\n  plugins: [\n    ]]\n};\n');
  await t.rejects(loadConfig(js, {}), { message: `${js}:3:6: syntax error: Unexpected token ']'` });
  const thrown = join(dir, 'thrown.config.ts');
  writeFileSync(thrown, "throw new Error('no modem configured');\n");
  await t.rejects(loadConfig(thrown, {}), { message: `--config: could not load ${thrown}: no modem configured` });
});
