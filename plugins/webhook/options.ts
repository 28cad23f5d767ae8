import * as v from 'valibot';
import { parseRange, type Resolver } from './destination.ts';
import type { Transport } from './transport.ts';

const range = v.pipe(v.string(), v.check((x) => parseRange(x) !== undefined, 'an IP address or CIDR range (e.g. 169.254.10.0/24)'));

const positive = v.pipe(v.number(), v.integer(), v.minValue(1));

/** The webhook plugin's options; every one has a default. */
export const webhookOptions = v.strictObject({
  /** Only these receiver hosts (`example.com`, `*.example.com`); default: any (LAN receivers included). */
  allowHosts: v.optional(v.array(v.pipe(v.string(), v.minLength(1)))),
  /**
   * Where receivers may be, checked at every connection after DNS (docs/security.md). LAN and this
   * machine are allowed; link-local, cloud metadata, "this host", multicast and reserved addresses
   * are refused unless listed in `allow`. `deny` refuses more; `loopback: false` refuses this machine.
   */
  destinations: v.optional(v.strictObject({
    allow: v.optional(v.array(range)),
    deny: v.optional(v.array(range)),
    loopback: v.optional(v.boolean(), true),
  }), {}),
  /** Signs per-message callbacks and /sms/subscribe subscriptions. Default: SMSEDGE_WEBHOOK_SECRET. */
  defaultSecret: v.optional(v.pipe(v.string(), v.minLength(8))),
  /** The SIM's own number (E.164), the `owner` of every message in the `cloudevents` (httpSMS) format. */
  phoneNumber: v.optional(v.pipe(v.string(), v.regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number (+15550100100)'))),
  /** Per-attempt timeout. */
  timeoutMs: v.optional(v.pipe(positive, v.maxValue(120_000)), 10_000),
  /** Attempts in flight per endpoint and overall, at most. */
  concurrency: v.optional(v.strictObject({
    perEndpoint: v.optional(v.pipe(positive, v.maxValue(64)), 4),
    global: v.optional(v.pipe(positive, v.maxValue(512)), 32),
  }), {}),
  retry: v.optional(v.strictObject({
    initialDelayMs: v.optional(positive, 10_000),
    maxDelayMs: v.optional(positive, 2 * 3600_000),
    maxAttempts: v.optional(v.pipe(positive, v.maxValue(100)), 20),
    maxAgeHours: v.optional(v.pipe(v.number(), v.minValue(0)), 48),
  }), {}),
  breaker: v.optional(v.strictObject({
    threshold: v.optional(positive, 5),
    halfOpenAfterMs: v.optional(positive, 30_000),
    maxHalfOpenAfterMs: v.optional(positive, 300_000),
  }), {}),
  /** Longest Retry-After honoured (longer ones are clamped). */
  retryAfterMaxMs: v.optional(positive, 2 * 3600_000),
  retention: v.optional(v.strictObject({
    hours: v.optional(v.pipe(v.number(), v.minValue(0)), 168),
    maxDeliveries: v.optional(positive, 10_000),
  }), {}),
  /** Hold deliveries while the clock reads earlier than this (ISO 8601). Default: the release date. */
  notBefore: v.optional(v.pipe(v.string(), v.isoTimestamp())),
  /** While offline, one probe attempt this often. */
  offlineProbeMs: v.optional(positive, 30_000),
  /** Attempt outcomes are written in batches gathered this long (0: next event-loop turn). */
  flushIntervalMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1000)), 50),
  /** Events the journal hands over at once (written in one transaction). */
  intakeBatch: v.optional(v.pipe(positive, v.maxValue(5000)), 1000),
  /** Replaces name resolution for deliveries and callbackUrl checks (tests). */
  resolver: v.optional(v.custom<Resolver>((x) => typeof x === 'function', 'a function')),
  /** Replaces the HTTP client (tests simulating DNS failures). */
  transport: v.optional(v.custom<Transport>((x) => typeof x === 'function', 'a function')),
});

export type WebhookOptions = v.InferOutput<typeof webhookOptions>;
