/**
 * Every error code a user can see, in one vocabulary (snake_case): the REST API's answers
 * (`{ error: { code, message, field } }`), MQTT responses (`{ status: "error", error: { code, ... } }`)
 * and the CLI's JSON (`smsedge pdu decode -`). `status` is the HTTP status the REST API answers with
 * (an MQTT response carries the code alone; `null`: the code is not an HTTP answer). docs/errors.md
 * holds the same table; test/core/errors.test.ts keeps the two in step.
 */
export const errorCodes = {
  // The request
  invalid_request: { status: 400, where: 'REST, MQTT', meaning: 'A field is missing or wrong; `field` names it and the message says why in plain words.' },
  invalid_query: { status: 400, where: 'REST', meaning: 'A query parameter is wrong; `field` names it.' },
  invalid_json: { status: 400, where: 'REST, MQTT', meaning: 'The body (or MQTT payload) is not valid JSON, or a JSON body is missing.' },
  invalid_body: { status: 400, where: 'REST', meaning: 'The body could not be read, or is not valid UTF-8.' },
  invalid_url: { status: 400, where: 'REST', meaning: 'A receiver URL is refused (`url`, `callbackUrl`): the message says why.' },
  invalid_secret: { status: 400, where: 'REST', meaning: 'A webhook secret has the wrong form.' },
  invalid_response_topic: { status: 400, where: 'MQTT', meaning: "The MQTT 5 Response Topic is not under the agent's own response topics (`<base>/<agent>/response/...`); the request was not carried out and is answered on the default response topic." },
  unknown_request: { status: 404, where: 'MQTT', meaning: 'The request topic names no known request (known: send, ussd, cancel, message, read, delete, unpark).' },
  bad_request: { status: 400, where: 'REST', meaning: 'The HTTP request itself is malformed (e.g. a bad URL encoding).' },
  payload_too_large: { status: 413, where: 'REST', meaning: 'The body is larger than the API accepts.' },
  unsupported_media_type: { status: 415, where: 'REST', meaning: 'The body is not sent as application/json.' },
  method_not_allowed: { status: 405, where: 'REST', meaning: 'The route exists but not for this method; `Allow` lists those that do.' },
  unauthorized: { status: 401, where: 'REST', meaning: 'A valid API key is required (Authorization: Bearer <key> or X-API-Key).' },
  host_not_allowed: { status: 403, where: 'REST', meaning: 'Without an API key the API answers only to loopback Host names (localhost, 127.0.0.1, [::1]) and those configured.' },
  cross_site_request: { status: 403, where: 'REST', meaning: 'A page from another site may not change anything (Origin / Sec-Fetch-Site).' },
  too_many_failed_authentications: { status: 429, where: 'REST', meaning: 'Too many wrong API keys from this address; wait (Retry-After) before trying again.' },
  insufficient_scope: { status: 403, where: 'REST', meaning: 'The API key is valid but lacks the scope the route needs (read, send or admin); the message names both.' },
  rate_limited: { status: 429, where: 'REST', meaning: "The API key is over its rate limit; wait (Retry-After) before the next request." },
  not_found: { status: 404, where: 'REST, MQTT', meaning: 'No such route, message, webhook or delivery; `field` names the id when there is one.' },
  // Retries
  invalid_idempotency_key: { status: 400, where: 'REST', meaning: 'Idempotency-Key must be 1-255 printable ASCII characters.' },
  idempotency_unavailable: { status: 400, where: 'REST', meaning: 'This route does not take an Idempotency-Key.' },
  idempotency_key_reused: { status: 422, where: 'REST', meaning: 'The Idempotency-Key was used with a different request in the last 24 h.' },
  idempotency_in_progress: { status: 409, where: 'REST', meaning: 'A request with this Idempotency-Key is still being handled; retry later.' },
  transaction_reused: { status: 422, where: 'MQTT', meaning: 'The `transaction` was used with a different request in the last 24 h.' },
  // Modems and the SMS service
  sms_unavailable: { status: 503, where: 'REST, MQTT', meaning: 'No modem plugin is running (absent, or it failed to start).' },
  no_modem: { status: 503, where: 'REST, MQTT', meaning: 'No modem is configured.' },
  unknown_modem: { status: 400, where: 'REST, MQTT', meaning: 'The `modem` field names no configured modem.' },
  modem_offline: { status: 503, where: 'REST, MQTT', meaning: 'The modem asked for is offline (a USSD request needs it online; an SMS waits).' },
  modem_unavailable: { status: 503, where: 'REST, MQTT', meaning: 'The modem went away while the request waited (unplugged, closed).' },
  modem_error: { status: 502, where: 'REST, MQTT', meaning: 'The modem or network refused the request (ERROR, +CME ERROR, +CMS ERROR); the message quotes it.' },
  ussd_timeout: { status: 504, where: 'REST, MQTT', meaning: 'The network did not answer the USSD request in time.' },
  no_ussd_session: { status: 409, where: 'REST, MQTT', meaning: 'A USSD reply needs an open session; none is open.' },
  balance_not_configured: { status: 409, where: 'REST, MQTT', meaning: 'The modem has no `balance` option (the USSD code and pattern to read its balance with).' },
  balance_unreadable: { status: 502, where: 'REST, MQTT', meaning: "The balance pattern found no amount in the network's answer; the message quotes the answer so the pattern can be fixed." },
  message_not_queued: { status: 409, where: 'REST, MQTT', meaning: 'The message is no longer queued (handed to the modem, sent, failed, expired or cancelled): it cannot be cancelled or changed.' },
  no_recipient: { status: 400, where: 'MQTT', meaning: "Home Assistant's notify was used before an SMS recipient was set." },
  // Webhooks
  webhook_disabled: { status: 409, where: 'REST', meaning: 'The subscription is disabled; enable it first.' },
  already_delivered: { status: 409, where: 'REST', meaning: 'The delivery succeeded already; it is not sent again.' },
  conflict: { status: 409, where: 'REST', meaning: 'The request conflicts with the current state (e.g. a test delivery that exists already).' },
  webhooks_unavailable: { status: 501, where: 'REST', meaning: 'The route needs the webhook plugin, which agent.config.ts does not list.' },
  // The simulator
  simulator_refused: { status: 400, where: 'REST', meaning: 'The simulator refused what a real network could not do either (an unknown fault, text too long for the parts asked).' },
  // The agent
  storage_full: { status: 503, where: 'REST, MQTT', meaning: 'The disk holding the database is full: nothing new can be stored. Try again later; /health says when writes work again (docs/durability.md).' },
  internal: { status: 500, where: 'REST, MQTT', meaning: 'A bug in the agent: the answer carries a request id to quote; the log has the details.' },
  // The PDU codec (`smsedge pdu decode` / `pdu encode`, one JSON object per line)
  invalid_hex: { status: null, where: 'CLI', meaning: 'The PDU is not hexadecimal.' },
  empty: { status: null, where: 'CLI', meaning: 'The PDU is empty.' },
  truncated: { status: null, where: 'CLI', meaning: 'A field of the PDU runs past its end; `offset` says where.' },
  invalid_length: { status: null, where: 'CLI', meaning: 'A length field of the PDU is impossible.' },
  invalid_bcd: { status: null, where: 'CLI', meaning: 'A timestamp digit is not a decimal digit, or the date does not exist.' },
  invalid_udh: { status: null, where: 'CLI', meaning: 'The user data header overruns its declared length.' },
  tpdu_length_mismatch: { status: null, where: 'CLI', meaning: 'The given TPDU length (`--length`) cannot describe this PDU.' },
  invalid_address: { status: null, where: 'CLI', meaning: 'The number cannot be encoded as an SMS address.' },
  too_long: { status: null, where: 'CLI', meaning: 'The text needs more than 255 parts.' },
  charset: { status: null, where: 'CLI', meaning: 'The text has characters outside the GSM 7-bit alphabet and encoding gsm7 was asked for.' },
  out_of_range: { status: null, where: 'CLI', meaning: 'An option is outside its range (e.g. the message class).' },
} as const satisfies Record<string, { status: number | null; where: string; meaning: string }>;

export type ErrorCode = keyof typeof errorCodes;

/** The HTTP status of a code (500 for a code that is no HTTP answer). */
export function statusOf(code: ErrorCode): number {
  return errorCodes[code].status ?? 500;
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(errorCodes, code);
}

/**
 * A request refused, in the shared vocabulary: what the REST API answers with its status, and MQTT
 * with its code. Services (the `sms` service, front doors) throw it; `field` names the input at fault.
 *
 * @example
 * throw new RequestError('unknown_modem', 'no modem "b"', { field: 'modem' }); // 400 on REST
 */
export class RequestError extends Error {
  override name = 'RequestError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly field?: string;
  constructor(code: ErrorCode, message: string, options: { field?: string; status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? statusOf(code);
    if (options.field !== undefined) this.field = options.field;
  }
}
