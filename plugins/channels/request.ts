import { ChannelError } from './channel.ts';

/**
 * One HTTP call of a channel, with a deadline: resolves with the parsed JSON (or text) of a 2xx
 * answer; anything else is a ChannelError, retryable for network errors, timeouts, 408, 429 and 5xx.
 * The message never holds the URL (a Telegram URL carries the bot token).
 */
export async function call(
  url: string,
  init: { method: string; headers?: Record<string, string>; body?: string; timeoutMs: number; signal?: AbortSignal },
): Promise<unknown> {
  const deadline = AbortSignal.timeout(init.timeoutMs);
  const signal = init.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method,
      ...(init.headers ? { headers: init.headers } : {}),
      ...(init.body !== undefined && init.method !== 'GET' ? { body: init.body } : {}),
      signal,
      redirect: 'error',
    });
  } catch (error) {
    const timedOut = deadline.aborted && !init.signal?.aborted;
    throw new ChannelError(timedOut ? 'timeout' : 'unreachable', timedOut ? `no answer within ${init.timeoutMs} ms` : `could not connect (${(error as Error).cause ? String(((error as Error).cause as { code?: string }).code ?? 'network error') : 'network error'})`, { cause: error });
  }
  const text = await response.text().catch(() => '');
  if (!response.ok) {
    const retryable = response.status === 408 || response.status === 429 || response.status >= 500;
    throw new ChannelError('http_status', `answered HTTP ${response.status}`, { retryable, status: response.status });
  }
  if (!/json/i.test(response.headers.get('content-type') ?? '')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ChannelError('bad_answer', 'answered with JSON that does not parse');
  }
}

/** `base` without a trailing slash, joined with `path`. */
export function join(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}${path}`;
}
