import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { PrettyOptions, PrettyStream } from 'pino-pretty';
import { redactString, redactValue, registerSecretsFromEnv } from './redact.ts';

export type Logger = PinoLogger;
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface LogOptions {
  level?: LogLevel;
  /** Human-readable output. Default: when stdout is a terminal; JSON lines (for journald) otherwise. */
  pretty?: boolean;
  /** Where records go; tests pass a stream to capture them. Default: stdout. */
  destination?: DestinationStream;
}

/**
 * The agent's logger: pino, with redaction built in at the logger. Every record (message, fields,
 * child bindings, errors) is scrubbed, so call sites log plain facts: `log.info({ from, text }, 'sms')`.
 *
 * @example
 * const log = createLogger({ level: 'debug' });
 * log.child({ plugin: 'modem' }).info({ from: '+15550100100' }, 'sms received'); // from: +155****0100
 */
export function createLogger(options: LogOptions = {}): Logger {
  registerSecretsFromEnv();
  const usePretty = options.pretty ?? (!options.destination && process.stdout.isTTY === true);
  const destination =
    options.destination ??
    (usePretty ? loadPretty()({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : pino.destination(1));
  return pino(
    {
      level: options.level ?? 'info',
      base: undefined,
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: (e: unknown) => redactValue(e, 'err'), error: (e: unknown) => redactValue(e, 'error') },
      formatters: {
        level: (label) => ({ level: label }),
        bindings: (bindings) => redactValue(bindings) as Record<string, unknown>,
        log: (object) => redactValue(object) as Record<string, unknown>,
      },
      hooks: {
        logMethod(args, method) {
          // The message string and printf-style arguments are scrubbed like any field.
          const scrubbed = args.map((a) => (typeof a === 'string' ? redactString(a) : a));
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

// pino-pretty (and colorette, dateformat, its other dependencies: ~1 MB resident) is loaded only when
// output goes to a terminal: an agent under systemd writes JSON lines and never needs it. Required
// synchronously (it is CommonJS) so createLogger stays synchronous.
function loadPretty(): (options: PrettyOptions) => PrettyStream {
  return createRequire(import.meta.url)('pino-pretty') as (options: PrettyOptions) => PrettyStream;
}

/** A logger that drops everything, for tests that don't look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
