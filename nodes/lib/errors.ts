/**
 * The one error family of the package. Node-RED hands a Catch node only `message`, `code`, `stack` and
 * `cause` of an error, so the structured fields travel in `cause` as a plain object: a flow reads
 * `msg.error.code` (e.g. "ODOO_TIMEOUT") and `msg.error.cause.kind` / `.retryable`, never the message text.
 */
export interface ErrorDetails {
  kind: string;
  retryable: boolean;
  [field: string]: unknown;
}

export class MiddlewareError extends Error {
  readonly kind: string;
  readonly code: string;
  readonly retryable: boolean;
  override readonly cause: ErrorDetails;

  constructor(kind: string, message: string, options: { retryable?: boolean; codePrefix?: string; details?: Record<string, unknown> } = {}) {
    super(message);
    this.name = 'MiddlewareError';
    this.kind = kind;
    this.code = `${options.codePrefix ?? 'MW'}_${kind.toUpperCase()}`;
    this.retryable = options.retryable ?? false;
    this.cause = { kind, retryable: this.retryable, ...stripUndefined(options.details ?? {}) };
  }
}

/** Bad input found before any side effect: names the property and what was expected. */
export class ValidationError extends MiddlewareError {
  constructor(message: string, details: Record<string, unknown> = {}) {
    super('validation', message, { retryable: false, details });
    this.name = 'ValidationError';
  }
}

/** Wraps anything thrown into the family so a Catch node always gets `code` and `cause`. */
export function toMiddlewareError(err: unknown): MiddlewareError {
  if (err instanceof MiddlewareError) return err;
  if (err instanceof Error) {
    const wrapped = new MiddlewareError('internal', err.message, { details: { originalName: err.name } });
    wrapped.stack = err.stack;
    return wrapped;
  }
  return new MiddlewareError('internal', String(err));
}

function stripUndefined(obj: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out;
}
