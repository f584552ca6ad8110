/**
 * Decides from a Catch message whether a failure is worth another attempt. Our own errors carry
 * `msg.error.code` and `msg.error.cause` = {kind, retryable, status?, retryAfterMs?, outcomeUnknown?};
 * the http request node carries socket codes (ECONNRESET...) in `msg.error.code` and the answer in `msg.statusCode`.
 */

/** Kinds whose retry can only fail the same way again: parked after one attempt. */
export const FATAL_KINDS: ReadonlySet<string> = new Set([
  'validation',
  'access',
  'auth',
  'missing',
  'not_found',
  'user',
  'mapping',
  'lease_lost',
]);

/** Socket and DNS codes of a transient network failure (Node's net/http/undici). */
export const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EAI_AGAIN',
  'ESOCKETTIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_SOCKET',
]);

/** HTTP answers that say "try again later". */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599);
}

/** Tokens (an error code, a kind or an HTTP status) whose verdict the user forces. */
export interface ClassificationOverrides {
  retryable: ReadonlySet<string>;
  fatal: ReadonlySet<string>;
}

export const NO_OVERRIDES: ClassificationOverrides = { retryable: new Set(), fatal: new Set() };

/** Parses the editor's comma/space-separated override list; tokens compare case-insensitively. */
export function parseOverrideList(text: unknown): Set<string> {
  if (typeof text !== 'string') return new Set();
  return new Set(
    text
      .split(/[\s,;]+/)
      .map((t) => t.trim().toLowerCase())
      .filter((t) => t.length > 0),
  );
}

export interface Classification {
  retryable: boolean;
  /** Our kind when the error carries one; otherwise 'http', 'network' or 'unknown'. */
  kind: string;
  code?: string;
  status?: number;
  retryAfterMs?: number;
  outcomeUnknown: boolean;
  /** Why it was judged so, for the history and the dead-letter reason. */
  rule: 'override_retryable' | 'override_fatal' | 'fatal_kind' | 'error_flag' | 'network_code' | 'http_status' | 'unknown';
}

export interface FailureInput {
  /** `msg.error` as a Catch node delivers it. */
  error: unknown;
  /** `msg.statusCode` (http request node). */
  statusCode?: unknown;
  /** When the error says neither way: retry (true) or park (false). */
  unknownRetryable: boolean;
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function asStatus(value: unknown): number | undefined {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599 ? n : undefined;
}

export function classify(input: FailureInput, overrides: ClassificationOverrides = NO_OVERRIDES): Classification {
  const error = asRecord(input.error) ?? {};
  const cause = asRecord(error.cause) ?? {};
  const code = typeof error.code === 'string' && error.code !== '' ? error.code : undefined;
  const causeKind = typeof cause.kind === 'string' && cause.kind !== '' ? cause.kind : undefined;
  const status = asStatus(cause.status) ?? asStatus(input.statusCode);
  const retryAfterMs =
    typeof cause.retryAfterMs === 'number' && Number.isFinite(cause.retryAfterMs) && cause.retryAfterMs > 0 ? cause.retryAfterMs : undefined;
  const outcomeUnknown = cause.outcomeUnknown === true;
  const networkCode = code !== undefined && RETRYABLE_NETWORK_CODES.has(code.toUpperCase());
  const kind = causeKind ?? (networkCode ? 'network' : status !== undefined ? 'http' : 'unknown');
  const base = { kind, code, status, retryAfterMs, outcomeUnknown };

  const tokens = [code, causeKind, status === undefined ? undefined : String(status)]
    .filter((t): t is string => t !== undefined)
    .map((t) => t.toLowerCase());
  // Fatal wins over retryable when a user lists the same failure under both.
  if (tokens.some((t) => overrides.fatal.has(t))) return { ...base, retryable: false, rule: 'override_fatal' };
  if (tokens.some((t) => overrides.retryable.has(t))) return { ...base, retryable: true, rule: 'override_retryable' };
  if (causeKind !== undefined && FATAL_KINDS.has(causeKind)) return { ...base, retryable: false, rule: 'fatal_kind' };
  if (typeof cause.retryable === 'boolean') return { ...base, retryable: cause.retryable, rule: 'error_flag' };
  if (networkCode) return { ...base, retryable: true, rule: 'network_code' };
  if (status !== undefined) return { ...base, retryable: isRetryableStatus(status), rule: 'http_status' };
  return { ...base, retryable: input.unknownRetryable, rule: 'unknown' };
}
