import type { AnyEvent } from '../../core/events.ts';
import type { Action, Day, Rule, SenderMatch, When } from './options.ts';

const dayNames: Day[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/** A number or a sender name as compared: without spaces, dashes, dots, brackets; lower case. */
export function normalizeSender(value: string): string {
  return value.replace(/[\s\-.()]/g, '').toLowerCase();
}

function senderMatches(match: SenderMatch, value: string): boolean {
  if (typeof match === 'string') return normalizeSender(match) === normalizeSender(value);
  if ('prefix' in match) return normalizeSender(value).startsWith(normalizeSender(match.prefix));
  return new RegExp(match.regex, 'iu').test(value);
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function textMatches(match: NonNullable<When['text']>, text: string): boolean {
  if ('regex' in match) return new RegExp(match.regex, 'iu').test(text);
  const words = match.keywords.map((k) => escapeRegex(k.trim())).join('|');
  // Words in any script: a keyword is whole when no letter or digit touches it.
  const pattern = match.whole ? `^[\\s\\p{P}]*(?:${words})[\\s\\p{P}]*$` : `(?<![\\p{L}\\p{N}])(?:${words})(?![\\p{L}\\p{N}])`;
  return new RegExp(pattern, 'iu').test(text);
}

/** Day of the week and minutes since midnight of `at` in `timeZone` (the host's when absent). */
export function localTime(at: number, timeZone?: string): { day: Day; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '0';
  return { day: get('weekday').slice(0, 3).toLowerCase() as Day, minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Whether `at` falls in the window: on one of `days` (of the day the window starts), between `from`
 * (inclusive) and `to` (exclusive). A window whose `to` is before its `from` crosses midnight:
 * `{ days: ['fri'], from: '22:00', to: '06:00' }` is Friday night until Saturday 06:00.
 */
export function inWindow(window: NonNullable<When['time']>, at: number): boolean {
  const { day, minutes } = localTime(at, window.timeZone);
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  const dayOk = (d: Day) => !window.days || window.days.includes(d);
  if (from <= to) return minutes >= from && minutes < to && dayOk(day);
  if (minutes >= from) return dayOk(day);
  if (minutes < to) return dayOk(dayNames[(dayNames.indexOf(day) + 6) % 7]!);
  return false;
}

/** When the agent recorded the event: the moment time windows are judged at (the same on every retry). */
export function eventTime(event: AnyEvent): number {
  return Date.parse(event.timestamp);
}

/** Whether `when` holds for the event. Pure: the same event gives the same answer on every redelivery. */
export function matches(when: When, event: AnyEvent): boolean {
  if (!(when.events ?? ['sms.received']).includes(event.type)) return false;
  const d = event.data as unknown as Record<string, unknown>;
  const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
  const list = <T>(x: T | T[]) => (Array.isArray(x) ? x : [x]);
  if (when.from !== undefined) {
    const from = str('from');
    if (from === undefined || !list(when.from).some((m) => senderMatches(m, from))) return false;
  }
  if (when.to !== undefined) {
    const to = str('to');
    if (to === undefined || !list(when.to).some((m) => senderMatches(m, to))) return false;
  }
  if (when.modem !== undefined && !list(when.modem).includes(str('modem') ?? '')) return false;
  if (when.text !== undefined) {
    const text = str('text');
    if (text === undefined || !textMatches(when.text, text)) return false;
  }
  if (when.incomplete !== undefined && Boolean(d.incomplete) !== when.incomplete) return false;
  if (when.time !== undefined && !inWindow(when.time, eventTime(event))) return false;
  return true;
}

/** What a matched rule will do: its actions, each with its place (`rule index`.`action index`). */
export interface PlannedAction {
  key: string;
  rule: string;
  action: Action;
}

export interface Plan {
  /** Names of the rules that matched, in order. */
  matched: string[];
  /** The actions with an effect outside the plan (forward, reply, opt-out), in order. */
  actions: PlannedAction[];
  blocked: boolean;
  tags: string[];
  /** The rule that stopped evaluation (block or stop), if any. */
  stoppedBy?: string;
}

export const kindOf = (action: Action): string => (typeof action === 'string' ? action : Object.keys(action)[0]!);

/**
 * Runs the rules over one event in order: every rule whose `when` holds contributes its actions;
 * `tag` adds tags, `block` marks the message blocked and, like `stop`, ends the evaluation (the
 * actions before it in the same rule still run).
 */
export function evaluate(rules: readonly Rule[], event: AnyEvent): Plan {
  const plan: Plan = { matched: [], actions: [], blocked: false, tags: [] };
  rules.forEach((rule, r) => {
    if (plan.stoppedBy !== undefined || !matches(rule.when, event)) return;
    plan.matched.push(rule.name);
    for (const [a, action] of rule.then.entries()) {
      const kind = kindOf(action);
      if (kind === 'tag') {
        for (const tag of [(action as { tag: string | string[] }).tag].flat()) if (!plan.tags.includes(tag)) plan.tags.push(tag);
      } else if (kind === 'block' || kind === 'stop') {
        if (kind === 'block') plan.blocked = true;
        plan.stoppedBy = rule.name;
        return;
      } else plan.actions.push({ key: `${r}.${a}`, rule: rule.name, action });
    }
  });
  return plan;
}

/**
 * Whether the rules block the event: the test sinks use to leave blocked messages out.
 *
 * @example
 * const config = { rules: [{ name: 'spam', when: { from: { prefix: '+4990' } }, then: ['block'] }] };
 * plugins: [rules(config), file({ filter: notBlockedBy(config) })]
 */
export function isBlocked(rules: readonly Rule[], event: AnyEvent): boolean {
  return evaluate(rules, event).blocked;
}
