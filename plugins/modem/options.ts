import * as v from 'valibot';
import { balanceOptions } from './balance.ts';

const hook = v.custom<(pdu: string) => Promise<void> | void>((x) => typeof x === 'function', 'a function');
const positive = (fallback: number) => v.optional(v.pipe(v.number(), v.minValue(0)), fallback);

/** The modem plugin's options, validated before the agent starts (errors name the key). */
export const modemOptions = v.strictObject({
  /** Tells instances apart (`modem#a`); appears as `modem` in events. */
  id: v.optional(v.pipe(v.string(), v.regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'letters, digits, _ and - (max 32)')), 'default'),
  /**
   * The modem's device path, such as `/dev/serial/by-id/usb-...` or `/dev/ttyUSB2`; `simulator` for the
   * built-in simulated modem. Required: a config that forgets it must not run on the simulator unseen.
   */
  port: v.pipe(v.string('a device path such as /dev/ttyUSB2, or "simulator"'), v.minLength(1, 'a device path such as /dev/ttyUSB2, or "simulator"')),
  baudRate: v.optional(v.pipe(v.number(), v.integer(), v.minValue(300)), 115200),
  simulator: v.optional(
    v.strictObject({
      profile: v.optional(v.picklist(['generic', 'sim800', 'sim7600', 'a7670', 'huawei', 'quectel', 'ec25']), 'generic'),
      /**
       * The simulator's timing model (serial line at `baud`, command latency, +CMGS network time, status
       * report delay): `true` for its defaults, or some of them. Off when not given (tests); on in the shipped config.
       */
      timing: v.optional(v.union([v.boolean(), v.strictObject({
        baud: v.optional(v.pipe(v.number(), v.minValue(50))),
        commandMs: v.optional(v.pipe(v.number(), v.minValue(0))),
        storageMs: v.optional(v.pipe(v.number(), v.minValue(0))),
        networkMs: v.optional(v.pipe(v.number(), v.minValue(0))),
        jitterMs: v.optional(v.pipe(v.number(), v.minValue(0))),
        seed: v.optional(v.number()),
        reportDelayMs: v.optional(v.pipe(v.number(), v.minValue(0))),
      })])),
      /** Firmware quirks to switch on (simulator/quirks.ts): line endings, status-report routing, stalls. */
      quirks: v.optional(v.strictObject({
        lineEnding: v.optional(v.picklist(['crlf', 'cr', 'lf'])),
        statusReports: v.optional(v.picklist(['as-asked', 'stored', 'routed'])),
        reportStorage: v.optional(v.picklist(['SR', 'SM'])),
        stall: v.optional(v.strictObject({
          ms: v.pipe(v.number(), v.minValue(1)),
          everyMs: v.optional(v.pipe(v.number(), v.minValue(1))),
          afterMs: v.optional(v.pipe(v.number(), v.minValue(0))),
        })),
        wrongLength: v.optional(v.pipe(v.number(), v.integer(), v.minValue(-100), v.maxValue(100))),
        cpmsTest: v.optional(v.picklist(['malformed', 'garbled'])),
        lteOnly: v.optional(v.boolean()),
        ussdCharset: v.optional(v.boolean()),
      })),
      /** Messages preloaded in SIM storage, or a JSON file of `[{ from, text }]`. */
      inbox: v.optional(v.union([v.string(), v.array(v.looseObject({ from: v.string(), text: v.string() }))])),
      /** SIM PIN the simulated SIM asks for (none by default). */
      pin: v.optional(v.string()),
      /** Keep the simulated SIM/ME storage in this JSON file, so it outlives the agent (`inbox` seeds only a new file). */
      storageFile: v.optional(v.pipe(v.string(), v.minLength(1))),
    }),
    {},
  ),
  /** `stored` (+CMTI, read then delete: the reliable default) or `routed` (+CMT, acknowledged with +CNMA). */
  cnmi: v.optional(v.picklist(['stored', 'routed']), 'stored'),
  /** Environment variable holding the SIM PIN. */
  pinEnv: v.optional(v.pipe(v.string(), v.minLength(1)), 'SMSEDGE_SIM_PIN'),
  healthIntervalSeconds: v.optional(v.pipe(v.number(), v.minValue(1)), 30),
  /** `system.ping` every N minutes; 0 = off. */
  pingMinutes: positive(0),
  rateLimitPerMinute: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  dailyQuota: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  /**
   * Messages queued on this modem by round robin (not pinned with `modem`) move to an online modem once
   * this one has been offline this long. Pinned messages wait for it.
   */
  failoverSeconds: v.optional(v.pipe(v.number(), v.minValue(0)), 120),
  concatTimeoutMinutes: v.optional(v.pipe(v.number(), v.minValue(0)), 10),
  hangUpCalls: v.optional(v.boolean(), false),
  /** Append all traffic to this file in the transcript format (PIN redacted). */
  trace: v.optional(v.string()),
  commandTimeoutMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(100)), 5000),
  /** Health checks without an answer in a row before a soft reset. */
  hangThreshold: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 3),
  reconnectMaxSeconds: v.optional(v.pipe(v.number(), v.minValue(1)), 60),
  /** A delivery report matches a part sent at most this many hours before. */
  reportWindowHours: v.optional(v.pipe(v.number(), v.minValue(1)), 72),
  /**
   * Called around storing each PDU read from the modem (zwave-js's `testingHooks`): the crash tests
   * stop the agent between reading and storing, and between storing and deleting from the SIM.
   */
  testingHooks: v.optional(
    v.strictObject({
      /** After a PDU is read from the modem, before it is stored. */
      beforeStore: v.optional(hook),
      /** After a PDU is durable, before it is deleted from the modem. */
      afterStore: v.optional(hook),
    }),
    {},
  ),
  /** SIM care: read the prepaid balance with a USSD code, every `everyHours` and on demand (plugins/modem/balance.ts). */
  balance: v.optional(balanceOptions),
  /** Send retries on transient errors (cockatiel: retries, not calls) and their backoff. */
  retry: v.optional(
    v.strictObject({
      attempts: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 4),
      initialDelayMs: v.optional(v.pipe(v.number(), v.minValue(0)), 2000),
      maxDelayMs: v.optional(v.pipe(v.number(), v.minValue(0)), 60_000),
    }),
    {},
  ),
});

export type ModemOptions = v.InferOutput<typeof modemOptions>;
