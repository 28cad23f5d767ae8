import { spawnSync } from 'node:child_process';
import t from 'tap';

// A fresh process: this one may have loaded mqtt.js through another test.
t.test('importing the mqtt plugin (as agent.config.ts does) does not load mqtt.js', async (t) => {
  const plugin = new URL('../../plugins/mqtt/index.ts', import.meta.url).href;
  const script = `
    import { createRequire } from 'node:module';
    const { mqtt } = await import(${JSON.stringify(plugin)});
    mqtt({ url: 'mqtt://127.0.0.1:1' });
    const cache = Object.keys(createRequire(import.meta.url).cache);
    process.stdout.write(JSON.stringify({ mqtt: cache.some((k) => k.includes('/node_modules/mqtt/')), packet: cache.some((k) => k.includes('/node_modules/mqtt-packet/')) }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.same(JSON.parse(r.stdout), { mqtt: false, packet: false });
});
