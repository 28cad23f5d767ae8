import * as v from 'valibot';
import { isErrorCode } from '../../core/errors.ts';
import { plainIssue } from '../../core/issues.ts';
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

/**
 * The first valibot issue as a 400 naming the field as a dotted path, in plain words
 * (`to.1: not a phone number (digits only, with an optional leading +)`), never valibot's own wording.
 */
export function validationError(issues: readonly v.BaseIssue<unknown>[], where: 'body' | 'query'): ApiError {
  const { field, message } = plainIssue(issues);
  const text = field === undefined && where === 'body' ? `the body must be a JSON object: ${message}` : message;
  return new ApiError(400, where === 'body' ? 'invalid_request' : 'invalid_query', clip(text, 300), field);
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
  const status = typeof e.status === 'number' ? e.status : field !== undefined ? 400 : undefined;
  if (status === undefined || !passThrough(status)) return undefined;
  if (isErrorCode(e.code)) return new ApiError(status, e.code, e.message, field);
  // A code outside the one vocabulary (a third-party plugin's): the caller's fault still reads as one.
  return status < 500 ? new ApiError(status, 'invalid_request', e.message, field) : undefined;
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
