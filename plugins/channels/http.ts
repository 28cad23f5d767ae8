import * as v from 'valibot';
import { ChannelError, envName, template, timeoutMs, type Channel, type ChannelDeps } from './channel.ts';
import { call } from './request.ts';
import { secretFromEnv } from './secret.ts';
import { render, templateValues } from './template.ts';

export const defaultHttpBody = '{"id":"{id}","type":"{type}","from":"{from}","to":"{to}","text":"{text}","modem":"{modem}","time":"{time}","tags":"{tags}"}';

/** `{ http: {...} }`: any HTTP endpoint, the request shaped by templates. */
export const httpOptions = v.strictObject({
  /** A template: placeholders in it are URL-encoded (`https://example.com/sms?from={from}`). */
  url: v.pipe(template, v.regex(/^https?:\/\//i, 'must be an http:// or https:// URL')),
  method: v.optional(v.picklist(['POST', 'PUT', 'PATCH', 'GET']), 'POST'),
  headers: v.optional(v.record(v.pipe(v.string(), v.regex(/^[A-Za-z0-9-]+$/, 'is not a header name')), v.pipe(v.string(), v.regex(/^[^\r\n]*$/, 'has a line break'))), {}),
  /** Headers whose value is read from an environment variable (`{ Authorization: 'HOOK_AUTH' }`). */
  headersEnv: v.optional(v.record(v.pipe(v.string(), v.regex(/^[A-Za-z0-9-]+$/, 'is not a header name')), envName), {}),
  /** A template; with a JSON content type each value is JSON-escaped (write `"{text}"`). */
  body: v.optional(template, defaultHttpBody),
  contentType: v.optional(v.string(), 'application/json'),
  timeoutMs,
});

export type HttpOptions = v.InferOutput<typeof httpOptions>;

/** JSON string contents (without the quotes) of a value. */
const jsonEscape = (s: string) => JSON.stringify(s).slice(1, -1);

/** Generic HTTP: one request per event; a 2xx answer accepts it, 4xx (but 408/429) fails for good. */
export function httpChannel(o: HttpOptions, deps: ChannelDeps): Channel {
  const env = deps.env ?? process.env;
  const secretHeaders = Object.fromEntries(
    Object.entries(o.headersEnv).map(([name, variable]) => [name, secretFromEnv(env, variable, `channels.${deps.name}.http.headersEnv.${name}`)]),
  );
  const json = /json/i.test(o.contentType);
  return {
    name: deps.name,
    kind: 'http',
    async send({ event, tags }, signal) {
      const values = templateValues({ event, tags, agentId: deps.agentId });
      const escape = (f: (s: string) => string) => Object.fromEntries(Object.entries(values).map(([k, s]) => [k, f(s)]));
      const url = render(o.url, escape(encodeURIComponent));
      if (!URL.canParse(url)) throw new ChannelError('bad_url', 'the URL template gave no URL', { retryable: false });
      await call(url, {
        method: o.method,
        headers: { ...(o.method === 'GET' ? {} : { 'Content-Type': o.contentType }), ...o.headers, ...secretHeaders, 'Idempotency-Key': event.id },
        body: render(o.body, json ? escape(jsonEscape) : values),
        timeoutMs: o.timeoutMs,
        ...(signal ? { signal } : {}),
      });
    },
  };
}
