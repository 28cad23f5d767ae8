import * as v from 'valibot';
import type { H3Event } from 'h3';
import { toApiError } from '../api/errors.ts';
import { ApiError, type RouteDef } from '../api/service.ts';
import type { Ledger } from '../doors/ledger.ts';
import { doorSend, type DoorSendDeps } from '../doors/send.ts';
import { checkUrl } from '../webhook/url.ts';
import { cgiVariables, decodeText } from './cgi.ts';
import { DLR } from './dlr.ts';

export interface KannelMeta {
  dlrUrl: string | null;
  dlrMask: number;
  from: string;
}

/** Kannel's answers to sendsms: one line of text, with its HTTP status. */
export const ACCEPTED = '0: Accepted for delivery';

function answer(status: number, line: string): Response {
  return new Response(line, { status, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
}

/** Refusals as Kannel words them (`Authorization failed for sendsms` is a 403, field errors 400). */
export function kannelError(error: ApiError): Response {
  if (error.status === 401) return answer(403, 'Authorization failed for sendsms');
  if (error.status >= 500) return answer(error.status, 'Sending failed.');
  return answer(error.status, error.message);
}

const field = (name: string, why?: string) => new ApiError(400, 'invalid_request', `${name} field misformed, rejected${why ? `: ${why}` : ''}`);

/** Kannel reads integers with sscanf("%d"): leading digits, anything after ignored. */
function integer(raw: Buffer | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const m = /^\s*([+-]?\d+)/.exec(raw.toString('latin1'));
  return m ? Number(m[1]) : NaN;
}

export interface KannelDeps extends DoorSendDeps<KannelMeta> {
  ledger: Ledger<KannelMeta>;
}

/** The variables of a GET's query or a POST's application/x-www-form-urlencoded body. */
function variables(event: H3Event, body: unknown): Map<string, Buffer> {
  const fromQuery = cgiVariables(event.url.search);
  if (typeof body !== 'string' || !body) return fromQuery;
  const type = event.req.headers.get('content-type') ?? '';
  if (!/^application\/x-www-form-urlencoded/i.test(type)) throw new ApiError(400, 'invalid_request', 'Invalid content-type');
  const fromBody = cgiVariables(body);
  for (const [k, val] of fromQuery) if (!fromBody.has(k)) fromBody.set(k, val);
  return fromBody;
}

/** Kannel's smsbox sendsms interface: GET with CGI variables, or POST with them form-encoded. */
export function kannelRoutes(d: KannelDeps): RouteDef[] {
  // The password is a CGI variable: in the query of a GET, in the body of a form-encoded POST.
  const password = (event: H3Event, body: unknown) => {
    let vars: Map<string, Buffer>;
    try {
      vars = variables(event, body);
    } catch {
      vars = cgiVariables(event.url.search); // a body of another type: the handler refuses it, once authorized
    }
    return (vars.get('password') ?? vars.get('pass'))?.toString('utf8');
  };

  const sendsms = ({ event, body }: { event: H3Event; body: unknown }) => {
    const vars = variables(event, body);
    const to = vars.get('to')?.toString('utf8');
    if (to === undefined) throw new ApiError(400, 'invalid_request', 'Missing receiver number, rejected');
    const receivers = [...new Set(to.split(/\s+/).filter(Boolean))];
    if (!receivers.length) throw new ApiError(400, 'invalid_request', 'Empty receiver number not allowed, rejected');
    if (vars.has('udh')) throw field('UDH', 'binary messages are not supported');
    if (vars.has('deferred')) throw field('Deferred', 'deferred messages are not supported');
    const coding = integer(vars.get('coding')) ?? 0;
    if (!(coding === 0 || coding === 2)) throw field('Coding', coding === 1 ? '8-bit messages are not supported' : undefined);
    const dlrMask = integer(vars.get('dlr-mask') ?? vars.get('dlrmask')) ?? 0;
    if (!(dlrMask >= 0 && dlrMask <= 63)) throw field('DLR-Mask');
    const dlrUrl = (vars.get('dlr-url') ?? vars.get('dlrurl'))?.toString('utf8') || null;
    if (dlrUrl) {
      try {
        checkUrl(dlrUrl, undefined, 'dlr-url');
      } catch {
        throw field('DLR-URL');
      }
    }
    const validity = integer(vars.get('validity'));
    if (validity !== undefined && !(validity >= 0)) throw field('Validity');
    const charset = vars.get('charset')?.toString('latin1');
    const text = decodeText(vars.get('text') ?? Buffer.alloc(0), charset, coding);
    if (text === undefined) throw new ApiError(400, 'invalid_request', 'Charset or body misformed, rejected');
    const from = vars.get('from')?.toString('utf8') ?? '';
    try {
      doorSend(
        d,
        {
          to: receivers,
          text,
          encoding: coding === 2 ? 'ucs2' : 'auto',
          deliveryReport: (dlrMask & (DLR.delivered | DLR.undelivered)) !== 0,
          // The network's validity period starts at 5 minutes (23.040 9.2.3.12.1).
          ...(validity ? { validityMinutes: Math.max(5, validity) } : {}),
        },
        (accepted) => accepted.map((a) => ({ messageId: a.id, doorId: a.id, meta: { dlrUrl, dlrMask, from } })),
      );
    } catch (error) {
      const known = toApiError(error);
      if (known?.field?.startsWith('to')) throw new ApiError(400, 'invalid_request', 'Number(s) has/have been denied by white- and/or black-lists.');
      if (known?.field === 'text') throw field('Text', known.message);
      throw error;
    }
    return answer(202, ACCEPTED);
  };

  // Kannel's sendsms sends with a GET too: audited like every send.
  const door = { tags: ['kannel'], errorAnswer: kannelError, credential: password, scope: 'send', audit: true } satisfies Partial<RouteDef>;
  return [
    {
      ...door, method: 'GET', path: '/cgi-bin/sendsms', summary: 'Kannel: sendsms', status: 202,
      responses: { 202: { description: '0: Accepted for delivery' }, 403: { description: 'Authorization failed for sendsms' } },
      handler: sendsms,
    },
    {
      ...door, method: 'POST', path: '/cgi-bin/sendsms', summary: 'Kannel: sendsms, the variables form-encoded', status: 202,
      bodyType: 'raw', body: v.string(),
      responses: { 202: { description: '0: Accepted for delivery' }, 403: { description: 'Authorization failed for sendsms' } },
      handler: sendsms,
    },
  ];
}
