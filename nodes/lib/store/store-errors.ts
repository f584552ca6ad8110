import { MiddlewareError } from '../errors';

/** The backend cannot be reached or is locked: the caller may retry later. Catch flows see `MW_STORE_UNAVAILABLE`. */
export function storeUnavailable(message: string, details: Record<string, unknown> = {}): MiddlewareError {
  return new MiddlewareError('store_unavailable', message, { retryable: true, details: { ...details } });
}

/** The backend answered but refused the operation (corrupt file, script error): retrying will not help. */
export function storeFailure(message: string, details: Record<string, unknown> = {}): MiddlewareError {
  return new MiddlewareError('store_error', message, { retryable: false, details: { ...details } });
}

/** `JSON.parse` for columns and fields the store wrote itself; undefined stays undefined. */
export function parseJson<T>(text: string | null | undefined): T | undefined {
  if (text === null || text === undefined || text === '') return undefined;
  return JSON.parse(text) as T;
}

/** `JSON.stringify` that keeps "no value" distinct from `null`. */
export function toJson(value: unknown): string | null {
  return value === undefined ? null : JSON.stringify(value);
}
