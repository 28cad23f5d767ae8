// docs/api.md follows the OpenAPI document the API serves: every route in it (with the webhook
// plugin's and the simulator's) is explained in the docs, under its method and path.
import t from 'tap';
import { createAgent } from '../../core/agent.ts';
import { resolveConfig } from '../../core/config.ts';
import { silentLogger } from '../../core/log.ts';
import type { ApiApp } from '../../plugins/api/app.ts';
import { api } from '../../plugins/api/index.ts';
import { modem } from '../../plugins/modem/index.ts';
import { webhook } from '../../plugins/webhook/index.ts';
import { proseLines, read } from './markdown.ts';

const KEY_ENV = 'SMSEDGE_DOCS_TEST_KEY';
const KEY = 'docs-test-key-0123456789abcdef';

/** `/webhooks/{id}` → `/webhooks/:id`, as the docs write paths. */
const docPath = (openApiPath: string) => openApiPath.replace(/\{([^}]+)\}/g, ':$1');

/** Whether a line of the docs names this method and this path (not a longer path that starts with it). */
export function mentions(line: string, method: string, path: string): boolean {
  const escaped = path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`\\b${method}\\b`).test(line) && new RegExp(`${escaped}(?![\\w/:{-])`).test(line);
}

t.test('mentions() reads the ways the docs name routes', async (t) => {
  t.ok(mentions('## POST /ussd/send, /ussd/reply, /ussd/cancel', 'POST', '/ussd/reply'));
  t.ok(mentions('| `GET/PATCH/DELETE /webhooks/:id` | one subscription |', 'PATCH', '/webhooks/:id'));
  t.notOk(mentions('| `GET/PATCH/DELETE /webhooks/:id` | one subscription |', 'GET', '/webhooks'), 'a longer path is not this one');
  t.notOk(mentions('## GET /sms/messages', 'POST', '/sms/messages'), 'the method must match');
});

t.test('every route of the OpenAPI document is in docs/api.md or docs/webhooks.md', async (t) => {
  process.env[KEY_ENV] = KEY;
  t.teardown(() => void delete process.env[KEY_ENV]);
  const config = resolveConfig({
    agentId: 'docs',
    dataDir: t.testdir(),
    plugins: [modem({ port: 'simulator' }), api({ port: 0, apiKeyEnv: KEY_ENV }), webhook()],
  });
  const agent = createAgent(config, { log: silentLogger() });
  await agent.start();
  t.teardown(() => agent.stop());
  const http = agent.use('api') as unknown as ApiApp;
  const res = await http.app.request('/openapi.json', { headers: { authorization: `Bearer ${KEY}` } });
  t.equal(res.status, 200);
  const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
  const lines = [...proseLines(read('docs/api.md')), ...proseLines(read('docs/webhooks.md'))].map((l) => l.text);
  const routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${docPath(path)}`));
  t.ok(routes.length > 20, `${routes.length} routes in the document`);
  const missing = routes.filter((route) => {
    const [method, path] = route.split(' ') as [string, string];
    return !lines.some((line) => mentions(line, method, path));
  });
  t.same(missing, [], 'routes the docs do not explain (add them to docs/api.md, or docs/webhooks.md for the webhook plugin)');
});
