import type { AnyEvent, EventType } from '../../core/events.ts';
import { ConfigError } from '../../core/config.ts';
import { definePlugin, type PluginHealth } from '../../core/plugin.ts';
import * as v from 'valibot';
import type { Channel } from '../channels/channel.ts';
import { createChannel } from '../channels/create.ts';
import { answerSender, storeLinks } from '../channels/links.ts';
import { RulesEngine } from './engine.ts';
import { isBlocked } from './match.ts';
import { rulesOptions, type RulesInput, type RulesOptions } from './options.ts';
import { rulesRoutes } from './routes.ts';
import { RulesStore, type RuleResult } from './store.ts';

export { evaluate, isBlocked, matches } from './match.ts';
export { replyable, replyVerdict } from './limits.ts';
export { rulesOptions, type RulesInput, type RulesOptions } from './options.ts';
export type { ActionResult, RuleResult } from './store.ts';

/** What the API shows under `rules` on a message. */
export interface MessageRules {
  blocked: boolean;
  tags: string[];
  results: RuleResult[];
}

/** The `rules` service: the per-message results, for the API (GET /sms/messages/:id) and the page. */
export interface RulesView {
  forMessage(messageId: string): MessageRules | undefined;
  isOptedOut(number: string): boolean;
}

declare module '../../core/plugin.ts' {
  interface Services {
    rules: RulesView;
  }
}

/**
 * A filter for any sink with a `filter` option (file, exec, mqtt, channel): leaves out the events
 * the rules block. It evaluates the same rules, so it holds whichever of the sink and the rules
 * plugin sees the event first.
 *
 * @example
 * const config = { rules: [{ name: 'spam', when: { from: 'SPAMMER' }, then: ['block'] }] } satisfies RulesInput;
 * plugins: [rules(config), file({ filter: notBlockedBy(config) })]
 */
export function notBlockedBy(config: RulesInput | RulesOptions): (event: AnyEvent) => boolean {
  const parsed = v.parse(rulesOptions, config);
  return (event) => !isBlocked(parsed.rules, event);
}

/** Every forward names a configured channel: checked before anything starts, naming the action. */
function checkForwards(o: RulesOptions): void {
  o.rules.forEach((rule, r) =>
    rule.then.forEach((action, a) => {
      if (typeof action !== 'object' || !('forward' in action)) return;
      for (const target of [action.forward].flat())
        if (!(target in o.channels)) throw new ConfigError(`rules[${r}].then[${a}].forward`, `no channel "${target}" in channels (${Object.keys(o.channels).join(', ') || 'none configured'})`);
    }),
  );
  const names = new Set<string>();
  o.rules.forEach((rule, r) => {
    if (names.has(rule.name)) throw new ConfigError(`rules[${r}].name`, `"${rule.name}" is used by another rule`);
    names.add(rule.name);
  });
}

/**
 * No-code rules over the agent's events: `when` an event matches (type, sender, modem, text, time
 * window, incomplete), `then` forward it to channels, reply, block, tag, opt the sender out or in,
 * or stop. Evaluated on the journal's durable subscription (at least once per event); each action
 * is retried on its own; the results are kept per message and shown by the API.
 *
 * @example
 * rules({
 *   channels: { mail: { email: { host: 'smtp.example.com', user: 'sms', passwordEnv: 'SMTP_PASSWORD', from: 'sms@example.com', to: 'me@example.com' } } },
 *   rules: [{ name: 'all to mail', then: [{ forward: 'mail' }] }],
 * })
 */
export const rules = definePlugin({
  name: 'rules',
  after: ['modem', 'api'],
  options: rulesOptions,
  setup(ctx) {
    const o = ctx.options;
    checkForwards(o);
    const now = () => ctx.clock.now();
    const store = new RulesStore(ctx.store);
    const links = storeLinks(ctx.store, now);
    const onReply = answerSender(ctx.store, () => ctx.tryUse('sms'), now);
    const channels = new Map<string, Channel>(
      Object.entries(o.channels).map(([name, config]) => [name, createChannel(config, { name, clock: ctx.clock, log: ctx.log.child({ channel: name }), agentId: ctx.agentId, links, onReply })]),
    );
    const engine = new RulesEngine({ options: o, store, channels, sms: () => ctx.tryUse('sms'), clock: ctx.clock, log: ctx.log, agentId: ctx.agentId, signal: ctx.signal });
    const types = [...new Set(o.rules.flatMap((r) => r.when.events ?? (['sms.received'] as EventType[])))];
    ctx.provide('rules', {
      forMessage(messageId) {
        const results = store.forMessage(messageId);
        if (results.length === 0) return undefined;
        return { blocked: results.some((r) => r.blocked), tags: [...new Set(results.flatMap((r) => r.tags))], results };
      },
      isOptedOut: (number) => store.optedOut(number),
    });
    const api = ctx.tryUse('api');
    const unroute = api ? rulesRoutes(store).map((def) => api.route(def)) : [];
    let subscription: { lag(): number; stop(): Promise<void> } | undefined;
    let pruned = 0;
    return {
      async start() {
        for (const channel of channels.values()) await channel.start?.();
        subscription = ctx.events.subscribe('rules', (event) => {
          if (now() - pruned > 3600_000) {
            pruned = now();
            store.prune(pruned);
          }
          return engine.handle(event);
        }, { types, concurrency: o.concurrency });
      },
      async stop() {
        await subscription?.stop();
        for (const channel of channels.values()) await channel.stop?.();
        for (const off of unroute) off();
      },
      health(): PluginHealth {
        return { status: engine.stats.failed > 0 ? 'warn' : 'pass', rules: o.rules.length, channels: [...channels.keys()], ...engine.stats, lag: subscription?.lag() ?? 0 };
      },
    };
  },
});

export default rules;
