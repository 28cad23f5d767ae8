import t from 'tap';
import { DependencyError, startOrder } from '../../core/order.ts';

const p = (name: string, dependsOn: string[] = [], after: string[] = []) => ({ name, dependsOn, after });

t.test('dependencies start first, config order otherwise', async (t) => {
  const order = startOrder([p('webhook', ['api']), p('api', ['modem']), p('file'), p('modem')]).map((x) => x.name);
  t.same(order, ['modem', 'api', 'webhook', 'file']);
});

t.test('a dependency on a plugin name matches all its instances', async (t) => {
  const order = startOrder([p('api', ['modem']), p('modem#a'), p('modem#b')]).map((x) => x.name);
  t.same(order, ['modem#a', 'modem#b', 'api']);
});

t.test('soft "after" orders when present and is fine when absent', async (t) => {
  t.same(startOrder([p('mqtt', [], ['modem']), p('modem')]).map((x) => x.name), ['modem', 'mqtt']);
  t.same(startOrder([p('mqtt', [], ['modem'])]).map((x) => x.name), ['mqtt']);
});

t.test('a missing dependency is a clear error', async (t) => {
  t.throws(() => startOrder([p('api', ['modem'])]), { code: 'missing_dependency', message: /"api" depends on "modem"/ });
});

t.test('a cycle is a clear error naming the plugins', async (t) => {
  const err = t.throws(() => startOrder([p('a', ['b']), p('b', ['c']), p('c', ['a'])])) as DependencyError;
  t.equal(err.code, 'dependency_cycle');
  t.match(err.message, /a -> b -> c -> a/);
});
