import { MiddlewareError } from '../errors';

/** The broker or file cannot be reached: the caller may retry later. Catch flows see `MW_BUS_UNAVAILABLE`. */
export function busUnavailable(message: string, details: Record<string, unknown> = {}): MiddlewareError {
  return new MiddlewareError('bus_unavailable', message, { retryable: true, details });
}
