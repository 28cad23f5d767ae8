import * as v from 'valibot';

/** SMPP 3.4 5.2.1: system_id is a C-octet string of at most 16 octets (15 characters and the NUL). */
const systemId = v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,15}$/, 'printable ASCII without spaces, 1 to 15 characters (SMPP system_id)'));

const account = v.strictObject({
  /** The `system_id` the client binds with. */
  systemId,
  /** The environment variable holding the password (SMPP allows at most 8 octets). */
  passwordEnv: v.pipe(v.string(), v.regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')),
  /** Modem ids this account sends through and receives from; all modems when absent. */
  modems: v.optional(v.pipe(v.array(v.pipe(v.string(), v.regex(/^[A-Za-z0-9_.-]{1,32}$/, 'a modem id'))), v.minLength(1, 'list at least one modem, or leave it out for all'))),
  /** submit_sm per second over all of the account's sessions; above it the answer is ESME_RTHROTTLED. */
  throughputPerSecond: v.optional(v.pipe(v.number(), v.minValue(0.1), v.maxValue(10_000))),
  /** How a received SMS longer than one part is handed over: one deliver_sm with message_payload, or parts with a UDH. */
  longMessages: v.optional(v.picklist(['udh', 'payload']), 'udh'),
});

export const smppOptions = v.strictObject({
  /** Address to listen on; 0.0.0.0 (or ::) to take clients from the network. */
  host: v.optional(v.string(), '127.0.0.1'),
  /** SMPP's registered port. 0 picks a free one (tests). */
  port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535)), 2775),
  accounts: v.pipe(
    v.array(account),
    v.minLength(1, 'list at least one account'),
    v.check((list) => new Set(list.map((a) => a.systemId)).size === list.length, 'each systemId once'),
  ),
  /** SMPP over TLS on a second port (3550 by convention), with a PEM certificate and key. */
  tls: v.optional(
    v.strictObject({
      certFile: v.pipe(v.string(), v.minLength(1)),
      keyFile: v.pipe(v.string(), v.minLength(1)),
      port: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(65535)), 3550),
    }),
  ),
  /** deliver_sm sent to one session and not yet answered, at most. */
  window: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100)), 10),
  /** With nothing from the client for this long, the agent sends enquire_link (a connection never bound is closed). */
  idleSeconds: v.optional(v.pipe(v.number(), v.minValue(1)), 60),
  /** How long the agent waits for an answer to its own request (enquire_link, deliver_sm) before giving up on the session. */
  responseSeconds: v.optional(v.pipe(v.number(), v.minValue(1)), 30),
  /** Bound sessions per account, at most. */
  sessionsPerAccount: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64)), 8),
});

export type SmppOptions = v.InferOutput<typeof smppOptions>;
export type SmppAccount = SmppOptions['accounts'][number];
