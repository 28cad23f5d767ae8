import * as v from 'valibot';
import { balanceOptions } from './balance.ts';
import { keepAliveOptions } from './keepalive.ts';
import { isTimeZone } from './zoned.ts';

const hook = v.custom<(pdu: string) => Promise<void> | void>((x) => typeof x === 'function', 'a function');
const positive = (fallback: number) => v.optional(v.pipe(v.number(), v.minValue(0)), fallback);
const cap = v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)));
const clockTime = v.pipe(v.string(), v.regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, 'a time of day as HH:MM (00:00-23:59)'));

/** The SIM's sending policy: caps count SMS parts (what operators bill and cap). */
const policyOptions = v.strictObject({
  /** At most this many SMS in any 60 s. */
  perMinute: cap,
  /** In any 60 minutes. */
  perHour: cap,
  /** Per calendar day in `timeZone`. */
  perDay: cap,
  /** Per calendar month in `timeZone`. */
  perMonth: cap,
  /** Distinct recipients in any 30 days (a recipient written to in that time needs no new room). */
  recipientsPer30Days: cap,
  /** A random pause between two messages, in seconds. */
  pauseSeconds: v.optional(
    v.pipe(
      v.strictObject({ min: v.pipe(v.number(), v.minValue(0)), max: v.pipe(v.number(), v.minValue(0)) }),
      v.check((p) => p.max >= p.min, 'max must not be less than min'),
    ),
  ),
  /** A daily window without sends (across midnight when from is later than to); high priority passes. */
  quietHours: v.optional(v.strictObject({ from: clockTime, to: clockTime })),
  /** The IANA time zone of days, months and quiet hours (default: the system's). */
  timeZone: v.optional(v.pipe(v.string(), v.check(isTimeZone, 'an IANA time zone such as Europe/Berlin or UTC'))),
});

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
  /** The same as `policy.perMinute` (kept from before the policy existed; the policy's wins). */
  rateLimitPerMinute: cap,
  /** The same as `policy.perDay`. */
  dailyQuota: cap,
  /** Caps, pause and quiet hours of this SIM (docs/sending.md). */
  policy: v.optional(policyOptions, {}),
  /** An SMS or a USSD code when the SIM has sent nothing for `everyDays`, so a prepaid SIM stays active. */
  keepAlive: v.optional(keepAliveOptions),
  /** A SIM/modem storage this full (percent) is emptied and reported (`sim.storage_nearly_full`); 0 = off. */
  storageWarnPercent: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(100)), 80),
  /** Permanent send failures in a row take the modem out of sending; its unpinned messages go to other modems. */
  parking: v.optional(
    v.strictObject({
      /** Failures in a row that park it; 0 = never. */
      afterFailures: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 5),
      /** It tries again by itself after this long; 0 = only by POST /modems/:id/unpark. */
      retryMinutes: v.optional(v.pipe(v.number(), v.minValue(0)), 60),
    }),
    {},
  ),
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
