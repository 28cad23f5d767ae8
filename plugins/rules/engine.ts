import { decorrelatedJitterGenerator } from 'cockatiel';
import type { Clock } from '../../core/clock.ts';
import { RequestError } from '../../core/errors.ts';
import { publicEvent, type AnyEvent } from '../../core/events.ts';
import { isoWithOffset } from '../../core/ids.ts';
import type { Logger } from '../../core/log.ts';
import type { SmsService } from '../../core/services.ts';
import { ChannelError, type Channel } from '../channels/channel.ts';
import { render, templateValues } from '../channels/template.ts';
import { replyVerdict, textHash } from './limits.ts';
import { evaluate, kindOf, type PlannedAction } from './match.ts';
import type { Action, RulesOptions } from './options.ts';
import type { ActionResult, RuleResult, RulesStore } from './store.ts';

export interface EngineDeps {
  options: RulesOptions;
  store: RulesStore;
  channels: ReadonlyMap<string, Channel>;
  sms: () => SmsService | undefined;
  clock: Clock;
  log: Logger;
  agentId: string;
  signal: AbortSignal;
}

export interface EngineStats {
  events: number;
  matched: number;
  blocked: number;
  done: number;
  failed: number;
  skipped: number;
}

/** The key of an action's result: a forward to two channels has one result per channel. */
const resultKey = (r: { key: string; target?: string }) => (r.target === undefined ? r.key : `${r.key}>${r.target}`);

/** A stopped agent: the action stays pending and runs again after the restart. */
class Stopped extends Error {}

/**
 * Applies the rules to each event handed to it by the journal (at least once per event). The plan
 * (matched rules, tags, blocked) is a pure function of the event; each action with an effect runs on
 * its own with retries and backoff, its result saved as it changes. On a redelivery after a crash,
 * actions already done (or given up) are not run again.
 */
export class RulesEngine {
  readonly stats: EngineStats = { events: 0, matched: 0, blocked: 0, done: 0, failed: 0, skipped: 0 };
  readonly #d: EngineDeps;

  constructor(deps: EngineDeps) {
    this.#d = deps;
  }

  async handle(journaled: AnyEvent): Promise<void> {
    const event = publicEvent(journaled);
    const { store, clock } = this.#d;
    this.stats.events++;
    const plan = evaluate(this.#d.options.rules, event);
    if (plan.matched.length === 0) return;
    const data = event.data as unknown as Record<string, unknown>;
    const messageId = typeof data.messageId === 'string' ? data.messageId : event.id;
    const before = new Map((store.result(event.id)?.actions ?? []).map((r) => [resultKey(r), r]));
    const at = isoWithOffset(clock.now());
    const actions: ActionResult[] = plan.actions.flatMap((p) => this.#results(p, at)).map((r) => before.get(resultKey(r)) ?? r);
    const result: RuleResult = { eventId: event.id, eventType: event.type, blocked: plan.blocked, tags: plan.tags, matched: plan.matched, actions };
    const save = () => store.save(messageId, result, clock.now());
    save();
    if (before.size === 0) {
      this.stats.matched++;
      if (plan.blocked) this.stats.blocked++;
    }
    const optingRules = new Set(plan.actions.filter((p) => ['optOut', 'optIn'].includes(kindOf(p.action))).map((p) => p.rule));
    await Promise.all(
      actions.map(async (r) => {
        if (r.status !== 'pending') return;
        const planned = plan.actions.find((p) => p.key === r.key)!;
        try {
          await this.#run(planned.action, r, { event, tags: plan.tags, canReplyOptedOut: optingRules.has(r.rule), save });
        } catch (error) {
          if (error instanceof Stopped) return;
          throw error;
        }
        const status = r.status as ActionResult['status'];
        this.stats[status === 'done' ? 'done' : status === 'failed' ? 'failed' : 'skipped']++;
        save();
      }),
    );
    if (this.#d.signal.aborted) throw new Stopped('stopped');
  }

  #results(p: PlannedAction, at: string): ActionResult[] {
    const kind = kindOf(p.action) as ActionResult['action'];
    const base = { key: p.key, rule: p.rule, action: kind, status: 'pending' as const, attempts: 0, at };
    if (kind === 'forward') return [(p.action as { forward: string | string[] }).forward].flat().map((target) => ({ ...base, target }));
    return [base];
  }

  async #run(action: Action, r: ActionResult, ctx: { event: AnyEvent; tags: string[]; canReplyOptedOut: boolean; save: () => void }): Promise<void> {
    const { store, clock } = this.#d;
    const from = (ctx.event.data as { from?: unknown }).from;
    const number = typeof from === 'string' ? from : undefined;
    const finish = (status: ActionResult['status'], reason?: string) => {
      r.status = status;
      r.at = isoWithOffset(clock.now());
      if (reason === undefined) delete r.reason;
      else r.reason = reason;
    };
    if (r.action === 'optOut' || r.action === 'optIn') {
      if (!number) return finish('skipped', 'no_sender');
      r.attempts++;
      if (r.action === 'optOut') store.optOut(number, r.rule, clock.now());
      else store.optIn(number);
      return finish('done');
    }
    if (r.action === 'forward') {
      const channel = this.#d.channels.get(r.target!)!;
      return this.#retry(r, ctx.save, finish, async () => {
        await channel.send({ event: ctx.event, tags: ctx.tags }, this.#d.signal);
      });
    }
    // reply
    if (ctx.event.type !== 'sms.received' || !number) return finish('skipped', 'not_received');
    const spec = (action as { reply: string | { text: string; cooldownMinutes?: number; maxPerHour?: number } }).reply;
    const reply = typeof spec === 'string' ? { text: spec } : spec;
    const limits = { ...this.#d.options.replyLimits, ...(reply.cooldownMinutes === undefined ? {} : { cooldownMinutes: reply.cooldownMinutes }), ...(reply.maxPerHour === undefined ? {} : { maxPerHour: reply.maxPerHour }) };
    const values = templateValues({ event: ctx.event, tags: ctx.tags, agentId: this.#d.agentId });
    const text = render(reply.text, values);
    const modem = (ctx.event.data as { modem?: string }).modem;
    return this.#retry(r, ctx.save, finish, async () => {
      const sms = this.#d.sms();
      if (!sms) throw new ChannelError('sms_unavailable', 'no modem plugin is running');
      // Checked and recorded in one transaction with the send: a burst from one sender, or a
      // redelivery, cannot slip two replies past the limits.
      store.store.transaction(() => {
        const now = clock.now();
        const inbound = (ctx.event.data as { text?: string }).text ?? '';
        const verdict = replyVerdict({
          from: number,
          now,
          limits,
          sentTo: store.repliesTo(number, now - Math.max(3600_000, limits.cooldownMinutes * 60_000)),
          isOwnReply: inbound !== '' && store.sentText(textHash(inbound), now - 24 * 3600_000),
          optedOut: !ctx.canReplyOptedOut && store.optedOut(number),
        });
        if (verdict !== 'ok') return finish('skipped', verdict);
        const sent = sms.send({ to: number, text, clientRef: `rule:${r.rule}`.slice(0, 40), ...(modem ? { modem } : {}) });
        store.recordReply(number, textHash(text), now);
        r.messageId = sent.id;
        finish('done');
        ctx.save();
      });
    });
  }

  /** Runs `attempt` until it succeeds, fails for good, or `retry.attempts` calls failed; waits with cockatiel's decorrelated-jitter backoff on the injected clock. */
  async #retry(r: ActionResult, save: () => void, finish: (status: ActionResult['status'], reason?: string) => void, attempt: () => Promise<void>): Promise<void> {
    const { retry } = this.#d.options;
    const { clock, signal, log } = this.#d;
    let backoff: [number, number] | undefined;
    for (;;) {
      if (signal.aborted) throw new Stopped('stopped');
      r.attempts++;
      try {
        await attempt();
        if (r.status === 'pending') finish('done');
        return;
      } catch (error) {
        if (signal.aborted) throw new Stopped('stopped');
        const code = error instanceof ChannelError ? error.code : ((error as { code?: string }).code ?? 'error');
        // A refusal retrying cannot change: a channel's 4xx, the send's invalid_request (503s pass).
        const permanent = (error instanceof ChannelError && !error.retryable) || (error instanceof RequestError && error.status < 500);
        if (permanent || r.attempts >= retry.attempts) {
          log.error({ err: error, rule: r.rule, action: r.action, target: r.target, attempts: r.attempts }, 'rule action failed');
          return finish('failed', code);
        }
        r.reason = code;
        save();
        const [delay, next] = decorrelatedJitterGenerator(backoff, { initialDelay: retry.initialMs, maxDelay: retry.maxMs, exponent: 2 } as never) as [number, [number, number]];
        backoff = next;
        log.warn({ err: error, rule: r.rule, action: r.action, target: r.target, attempt: r.attempts, retryInMs: Math.round(delay) }, 'rule action failed; will retry');
        await clock.sleep(Math.round(delay), signal).catch(() => {});
      }
    }
  }
}
