import * as v from 'valibot';
import type { Clock } from '../../core/clock.ts';
import type { AnyEvent } from '../../core/events.ts';
import type { Logger } from '../../core/log.ts';
import { unknownPlaceholders } from './template.ts';

/** One event handed to a channel, with what the rules engine adds to it. */
export interface ChannelMessage {
  event: AnyEvent;
  /** Tags the rules gave the message so far (`{tags}`). */
  tags?: readonly string[];
}

/** An answer typed in a two-way channel (a reply in Telegram) to a message it forwarded. */
export interface ChannelReply {
  /** The channel instance's name. */
  channel: string;
  /** The phone number the forwarded SMS came from: where the answer goes. */
  to: string;
  text: string;
  /** The modem the forwarded SMS arrived on, so the answer leaves from the same SIM. */
  modem?: string;
  /** Stable per answer (e.g. `telegram:<chat>:<message_id>`): a redelivered answer is sent once. */
  id: string;
}

/**
 * A place messages are forwarded to. `send` resolves once the far end accepted the message and
 * rejects to be retried: every channel call is made at least once per forwarded event.
 */
export interface Channel {
  readonly name: string;
  readonly kind: ChannelKind;
  send(message: ChannelMessage, signal?: AbortSignal): Promise<void>;
  /** Two-way channels start listening for answers here. */
  start?(): void | Promise<void>;
  stop?(): void | Promise<void>;
}

export type ChannelKind = 'email' | 'telegram' | 'ntfy' | 'matrix' | 'http';

export interface ChannelDeps {
  /** The channel's name in the config (`mail`, `family-chat`): its log child and its identity. */
  name: string;
  clock: Clock;
  log: Logger;
  /** Where `passwordEnv`, `tokenEnv`, ... are read. Default process.env. */
  env?: NodeJS.ProcessEnv;
  agentId?: string;
  /** Called with each answer typed in a two-way channel; rejects to have it offered again. */
  onReply?: (reply: ChannelReply) => Promise<void>;
  /** Remembers which SMS a forwarded chat message was, across restarts (rules plugin: the store). */
  links?: LinkStore;
}

/** Which SMS (its sender and modem) a message a channel posted stands for. */
export interface LinkStore {
  put(channel: string, ref: string, link: { number: string; modem?: string }): void;
  get(channel: string, ref: string): { number: string; modem?: string } | undefined;
  /** Durable cursor of a polling channel (Telegram's update offset). */
  getCursor(channel: string): number | undefined;
  setCursor(channel: string, value: number): void;
}

/** A template option: a string whose placeholders are all known. */
export const template = v.pipe(
  v.string(),
  v.check((s) => unknownPlaceholders(s).length === 0, (issue) => `unknown placeholder {${unknownPlaceholders(String(issue.input))[0]}}`),
);

/** A base URL option: http(s) only. */
export const baseUrl = v.pipe(v.string(), v.url('is not a URL'), v.regex(/^https?:\/\//i, 'must be an http:// or https:// URL'));

export const envName = v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'is not an environment variable name'));

export const timeoutMs = v.optional(v.pipe(v.number(), v.integer(), v.minValue(100)), 15_000);

/** The failure of one channel call; `retryable` false means retrying cannot help (a 400, a 401). */
export class ChannelError extends Error {
  override name = 'ChannelError';
  readonly code: string;
  readonly retryable: boolean;
  readonly status?: number;
  constructor(code: string, message: string, options: { retryable?: boolean; status?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? true;
    if (options.status !== undefined) this.status = options.status;
  }
}
