// Validation messages in plain words naming the field, never valibot's own wording (issue 31).
import t from 'tap';
import * as v from 'valibot';
import { plainIssue } from '../../core/issues.ts';

const words = (schema: v.GenericSchema, input: unknown) => {
  const result = v.safeParse(schema, input);
  if (result.success) throw new Error('expected a failure');
  return plainIssue(result.issues);
};

t.test("valibot's default messages become plain words with the field first", async (t) => {
  const schema = v.strictObject({
    name: v.string(),
    count: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(9))),
    tags: v.optional(v.pipe(v.array(v.string()), v.minLength(1), v.maxLength(2))),
    code: v.optional(v.pipe(v.string(), v.minLength(2), v.maxLength(3), v.regex(/^[a-z]+$/))),
    mode: v.optional(v.picklist(['a', 'b'])),
    one: v.optional(v.literal('x')),
    link: v.optional(v.pipe(v.string(), v.url())),
    mail: v.optional(v.pipe(v.string(), v.email())),
    exact: v.optional(v.pipe(v.string(), v.length(2))),
    ratio: v.optional(v.pipe(v.number(), v.finite())),
    nested: v.optional(v.object({ flag: v.boolean() })),
    list: v.optional(v.array(v.object({ n: v.number() }))),
    either: v.optional(v.union([v.string(), v.number()])),
    any: v.optional(v.pipe(v.string(), v.check((s) => s !== 'x'))),
    notEmpty: v.optional(v.pipe(v.string(), v.nonEmpty())),
  });
  const ok = { name: 'n' };
  const cases: [unknown, string][] = [
    [{}, 'name: required'],
    [{ ...ok, extra: 1 }, 'extra: unknown field'],
    [{ name: 5 }, 'name: must be a string'],
    [{ ...ok, count: 'x' }, 'count: must be a number'],
    [{ ...ok, count: 1.5 }, 'count: must be a whole number'],
    [{ ...ok, count: 0 }, 'count: must be at least 1'],
    [{ ...ok, count: 10 }, 'count: must be at most 9'],
    [{ ...ok, tags: [] }, 'tags: must have at least 1 item'],
    [{ ...ok, tags: ['a', 'b', 'c'] }, 'tags: must have at most 2 items'],
    [{ ...ok, code: 'a' }, 'code: must have at least 2 characters'],
    [{ ...ok, code: 'abcd' }, 'code: must have at most 3 characters'],
    [{ ...ok, code: 'AB' }, 'code: has the wrong form'],
    [{ ...ok, mode: 'c' }, 'mode: must be one of "a", "b"'],
    [{ ...ok, one: 'y' }, 'one: must be "x"'],
    [{ ...ok, link: 'nope' }, 'link: must be an absolute URL'],
    [{ ...ok, mail: 'nope' }, 'mail: must be an e-mail address'],
    [{ ...ok, exact: 'abc' }, 'exact: must have exactly 2 characters'],
    [{ ...ok, ratio: Infinity }, 'ratio: must be a finite number'],
    [{ ...ok, nested: { flag: 'yes' } }, 'nested.flag: must be true or false'],
    [{ ...ok, nested: 5 }, 'nested: must be an object'],
    [{ ...ok, list: [{ n: 1 }, { n: 'two' }] }, 'list.1.n: must be a number'],
    [{ ...ok, list: {} }, 'list: must be an array'],
    [{ ...ok, either: true }, 'either: must be one of the accepted forms'],
    [{ ...ok, any: 'x' }, 'any: is not valid'],
    [{ ...ok, notEmpty: '' }, 'notEmpty: must not be empty'],
  ];
  for (const [input, message] of cases) {
    const got = words(schema, input);
    t.equal(got.message, message, JSON.stringify(input));
    t.notMatch(got.message, /Expected|received|Invalid/, 'no validator wording');
  }
  t.same(words(schema, 'text'), { message: 'must be an object' }, 'no field: the words alone');
  t.same(words(v.pipe(v.string(), v.regex(/^\d+$/, 'digits only')), 'x'), { message: 'digits only' }, "a schema's own message is kept");
  t.same(words(v.object({ to: v.pipe(v.string(), v.regex(/^\d+$/, 'not a number')) }), { to: 'x' }), { field: 'to', message: 'to: not a number' });
});
