import * as v from 'valibot';
import { ApiError } from './service.ts';

/** The body of every 4xx/5xx answer. */
export interface ErrorBody {
  error: { code: string; message: string; field?: string; requestId?: string };
}

export function errorBody(code: string, message: string, field?: string, requestId?: string): ErrorBody {
  const error: ErrorBody['error'] = { code, message };
  if (field !== undefined) error.field = field;
  if (requestId !== undefined) error.requestId = requestId;
  return { error };
}

/** The first valibot issue as a 400 naming the field as a dotted path (`to`, `to.1`, `text`). */
export function validationError(issues: readonly v.BaseIssue<unknown>[], where: 'body' | 'query'): ApiError {
  const issue = issues[0]!;
  const field = v.getDotPath(issue) ?? undefined;
  let message = issue.message;
  if (issue.kind === 'schema' && (issue.type === 'strict_object' || issue.type === 'object') && field) {
    // valibot reports a key that must not be there as expected "never", a missing one as received undefined.
    if (issue.expected === 'never') message = `unknown field "${field}"`;
    else if (issue.received === 'undefined') message = `"${field}" is required`;
  } else if (!field) {
    message = where === 'body' ? `the body must be a JSON object: ${message}` : message;
  }
  return new ApiError(400, where === 'body' ? 'invalid_request' : 'invalid_query', clip(message, 300), field);
}

/** HTTP statuses a service error (e.g. from the sms service) may carry to the client. */
const passThrough = (status: number) => (status >= 400 && status < 500) || status === 502 || status === 503 || status === 504;

/**
 * Maps what a handler threw to an ApiError, or undefined when it is a bug (→ 500). Besides ApiError,
 * service errors shaped like core's ServiceErrorShape (`code`, `message`, and a 4xx `status` or a
 * `field`) are the caller's fault and pass through.
 */
export function toApiError(error: unknown): ApiError | undefined {
  if (error instanceof ApiError) return error;
  if (!error || typeof error !== 'object') return undefined;
  const e = error as { code?: unknown; message?: unknown; status?: unknown; field?: unknown };
  if (typeof e.code !== 'string' || typeof e.message !== 'string') return undefined;
  const field = typeof e.field === 'string' ? e.field : undefined;
  if (typeof e.status === 'number') return passThrough(e.status) ? new ApiError(e.status, e.code, e.message, field) : undefined;
  return field !== undefined ? new ApiError(400, e.code, e.message, field) : undefined;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
