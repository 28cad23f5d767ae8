import type { AnyEvent } from '../../core/events.ts';

/** Variables passed through from the agent's environment; the rest (API keys, secrets) stays out. */
const passThrough = ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR'];

/** `messageId` → `MESSAGE_ID`, `signalDbm` → `SIGNAL_DBM`. */
export function envName(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toUpperCase();
}

function envValue(value: unknown): string | undefined {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value) && value.every((v) => ['string', 'number', 'boolean'].includes(typeof v))) return value.join(',');
  return undefined;
}

/**
 * The program's environment, in the manner of Gammu's RunOnReceive and smstools3's eventhandler:
 * `SMSEDGE_EVENT` (the type), `SMSEDGE_EVENT_ID`, `SMSEDGE_TIMESTAMP`, `SMSEDGE_AGENT_ID`, and one
 * `SMSEDGE_<FIELD>` per scalar field of the event's data (`SMSEDGE_FROM`, `SMSEDGE_TEXT`,
 * `SMSEDGE_MESSAGE_ID`, ...). NUL characters, which no environment can hold, are dropped.
 */
export function eventEnv(
  event: AnyEvent,
  agentId: string,
  extra: Record<string, string>,
  inherit: boolean,
  parent: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  if (inherit) {
    for (const [k, v] of Object.entries(parent)) if (v !== undefined) env[k] = v;
  } else {
    for (const k of passThrough) if (parent[k] !== undefined) env[k] = parent[k]!;
  }
  Object.assign(env, extra);
  for (const [key, value] of Object.entries(event.data as unknown as Record<string, unknown>)) {
    const text = envValue(value);
    if (text !== undefined) env[`SMSEDGE_${envName(key)}`] = text;
  }
  env.SMSEDGE_EVENT = event.type;
  env.SMSEDGE_EVENT_ID = event.id;
  env.SMSEDGE_TIMESTAMP = event.timestamp;
  env.SMSEDGE_AGENT_ID = agentId;
  for (const k of Object.keys(env)) env[k] = env[k]!.replaceAll('\0', '');
  return env;
}
