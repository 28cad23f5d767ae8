import t from 'tap';
import { validate, version } from 'uuid';
import { newId } from '../../core/ids.ts';

t.test('newId: UUIDv7s, unique and in order across many pool refills, the time part now', async (t) => {
  const before = Date.now();
  const ids = Array.from({ length: 20_000 }, () => newId());
  const after = Date.now();
  t.ok(ids.every((id) => validate(id) && version(id) === 7), 'every one a valid version-7 UUID');
  t.equal(new Set(ids).size, ids.length, 'no two alike (random bytes are not reused from the pool)');
  t.same([...ids].sort(), ids, 'sorted as generated, also within one millisecond');
  const ms = (id: string) => parseInt(id.replace(/-/g, '').slice(0, 12), 16);
  t.ok(ms(ids[0]!) >= before && ms(ids.at(-1)!) <= after + 1, 'the time part is the time of generation');
  // The 62 random bits after the counter differ between neighbours: the bytes really are random.
  const tails = new Set(ids.map((id) => id.slice(-10)));
  t.ok(tails.size > ids.length * 0.99);
});
