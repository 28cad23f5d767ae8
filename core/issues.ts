import * as v from 'valibot';

/** A validation failure in plain words: `field` is the dotted path (`to.1`), `message` starts with it. */
export interface PlainIssue {
  field?: string;
  message: string;
}

// valibot's own wording ("Invalid type: Expected string but received 5"): never shown as such.
const VALIBOT_WORDING = /^Invalid \w+: (Expected .* but r|R)eceived /;

const TYPE_WORDS: Record<string, string> = {
  string: 'a string', number: 'a number', boolean: 'true or false', object: 'an object', strict_object: 'an object',
  loose_object: 'an object', array: 'an array', integer: 'a whole number', bigint: 'a whole number', date: 'a date', null: 'null',
};

/** What the schema wanted, in words, for a type mismatch. */
function wanted(issue: v.BaseIssue<unknown>): string {
  if (issue.type === 'picklist' || issue.type === 'literal' || issue.type === 'enum') {
    const options = (issue.expected ?? '').replace(/^\(|\)$/g, '').split(' | ').filter(Boolean);
    return options.length > 1 ? `one of ${options.join(', ')}` : `${options[0] ?? 'a fixed value'}`;
  }
  if (issue.type === 'union') return 'one of the accepted forms';
  return TYPE_WORDS[issue.type] ?? `a ${issue.type.replace(/_/g, ' ')}`;
}

function unit(input: unknown, n: number): string {
  const one = Array.isArray(input) ? 'item' : 'character';
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** The words for one issue whose message is valibot's own. */
function words(issue: v.BaseIssue<unknown>): string {
  const r = (issue as { requirement?: unknown }).requirement;
  if (issue.kind === 'schema') {
    if (issue.expected === 'never') return 'unknown field';
    if (issue.received === 'undefined') return 'required';
    return `must be ${wanted(issue)}`;
  }
  switch (issue.type) {
    case 'min_length': return `must have at least ${unit(issue.input, Number(r))}`;
    case 'max_length': return `must have at most ${unit(issue.input, Number(r))}`;
    case 'length': return `must have exactly ${unit(issue.input, Number(r))}`;
    case 'non_empty': return 'must not be empty';
    case 'min_value': return `must be at least ${String(r)}`;
    case 'max_value': return `must be at most ${String(r)}`;
    case 'integer': return 'must be a whole number';
    case 'finite': return 'must be a finite number';
    case 'url': return 'must be an absolute URL';
    case 'email': return 'must be an e-mail address';
    case 'regex': return 'has the wrong form';
    default: return 'is not valid';
  }
}

/**
 * The first issue of a failed valibot parse, in plain words naming the field: a schema's own message
 * (`not a phone number (digits only, with an optional leading +)`) is kept, valibot's internal wording
 * ("Expected never but received ...") is replaced.
 *
 * @example
 * plainIssue(v.safeParse(schema, body).issues!) // { field: 'to.1', message: 'to.1: not a phone number (...)' }
 */
export function plainIssue(issues: readonly v.BaseIssue<unknown>[]): PlainIssue {
  const issue = issues[0]!;
  const field = v.getDotPath(issue) ?? undefined;
  const text = VALIBOT_WORDING.test(issue.message) ? words(issue) : issue.message;
  return field === undefined ? { message: text } : { field, message: `${field}: ${text}` };
}
