import type { IncomingHttpHeaders } from 'node:http';
import { OdooError, type OdooErrorKind } from './errors';
import type { TransportError } from './transport';

/** Which call failed, for the message and the error's fields. */
export interface CallTarget {
  model?: string;
  method?: string;
  /** Base URL, named in network messages so a person can see which server was tried. */
  url?: string;
}

/** The exception payload both protocols carry: JSON-2 as the body, JSON-RPC in `error.data`. */
export interface OdooExceptionPayload {
  name?: unknown;
  message?: unknown;
  debug?: unknown;
}

const NAME_KINDS: Record<string, OdooErrorKind> = {
  AccessDenied: 'auth',
  Unauthorized: 'auth',
  SessionExpiredException: 'auth',
  AccessError: 'access',
  Forbidden: 'access',
  ValidationError: 'validation',
  UnprocessableEntity: 'validation',
  BadRequest: 'validation',
  UniqueViolation: 'validation',
  IntegrityError: 'validation',
  NotNullViolation: 'validation',
  ForeignKeyViolation: 'validation',
  CheckViolation: 'validation',
  UserError: 'user',
  RedirectWarning: 'user',
  MissingError: 'missing',
  NotFound: 'not_found',
  SerializationFailure: 'concurrency',
  TransactionRollbackError: 'concurrency',
  DeadlockDetected: 'concurrency',
  LockNotAvailable: 'concurrency',
  TooManyRequests: 'rate_limited',
  ServiceUnavailable: 'unavailable',
  BadGateway: 'unavailable',
  GatewayTimeout: 'unavailable',
};

const CONCURRENCY_TEXT = /could not serialize access|concurrent update|deadlock detected/i;

/** Kind from an Odoo exception class path such as `odoo.exceptions.AccessError`; undefined when unknown. */
export function kindFromOdooName(name: string, message: string): OdooErrorKind | undefined {
  const short = name.slice(name.lastIndexOf('.') + 1);
  if (CONCURRENCY_TEXT.test(message)) return 'concurrency';
  if (short === 'UserError' && /^Object \S+ doesn't exist/.test(message)) return 'not_found';
  if (short === 'AttributeError' && /does not exist/.test(message)) return 'not_found';
  if (short === 'OperationalError') return /database "[^"]*" does not exist/.test(message) ? 'not_found' : 'unavailable';
  const kind = NAME_KINDS[short];
  if (kind) return kind;
  if (name.startsWith('builtins.') || name.startsWith('psycopg2.') || name.startsWith('odoo.')) return 'server';
  return undefined;
}

export function kindFromStatus(status: number): OdooErrorKind {
  if (status === 401) return 'auth';
  if (status === 403) return 'access';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 409) return 'concurrency';
  if (status === 429) return 'rate_limited';
  if (status === 502 || status === 503 || status === 504) return 'unavailable';
  if (status === 400 || status === 422) return 'validation';
  if (status >= 500) return 'server';
  return 'protocol';
}

/** `Retry-After` as seconds or an HTTP date, in ms from now; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | undefined {
  const raw = Array.isArray(value) ? value[0] : value;
  if (raw === undefined || raw.trim() === '') return undefined;
  const trimmed = raw.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

function describe(target: CallTarget): string {
  if (target.model && target.method) return `${target.model}.${target.method}`;
  return target.method ?? target.model ?? 'the call';
}

/** The sentence a person reads in the debug sidebar or a dead-letter entry. */
export function composeMessage(kind: OdooErrorKind, target: CallTarget, detail: string, extra: { status?: number; retryAfterMs?: number } = {}): string {
  const what = describe(target);
  const suffix = detail ? `: ${detail}` : '';
  switch (kind) {
    case 'auth':
      return `Odoo authentication failed for ${what}${suffix}`;
    case 'access':
      return `Odoo refused access to ${what}${suffix}`;
    case 'concurrency':
      return `Odoo could not complete ${what} because of a concurrent update (safe to retry)${suffix}`;
    case 'rate_limited':
      return `Odoo is rate limiting ${what}${extra.retryAfterMs !== undefined ? `; retry after ${Math.ceil(extra.retryAfterMs / 1000)} s` : ''}${suffix}`;
    case 'unavailable':
      return `Odoo is unavailable for ${what}${extra.status ? ` (HTTP ${extra.status})` : ''}${suffix}`;
    case 'server':
      return `Odoo failed on ${what}${suffix}`;
    case 'protocol':
      return `Odoo sent an unexpected answer to ${what}${suffix}`;
    default:
      return `Odoo rejected ${what}${suffix}`;
  }
}

/** An Odoo exception (JSON-2 error body or JSON-RPC `error.data`) as an OdooError. */
export function fromOdooException(payload: OdooExceptionPayload, target: CallTarget, extra: { status?: number; retryAfterMs?: number } = {}): OdooError {
  const name = typeof payload.name === 'string' ? payload.name : undefined;
  const odooMessage = typeof payload.message === 'string' ? payload.message : undefined;
  const debug = typeof payload.debug === 'string' ? payload.debug : undefined;
  const kind =
    (name !== undefined ? kindFromOdooName(name, odooMessage ?? '') : undefined) ??
    (extra.status !== undefined && extra.status !== 200 ? kindFromStatus(extra.status) : 'server');
  const shortName = name ? name.slice(name.lastIndexOf('.') + 1) : undefined;
  const detail = kind === 'server' && shortName ? `${shortName}: ${odooMessage ?? ''}` : (odooMessage ?? '');
  return new OdooError({
    kind,
    message: composeMessage(kind, target, detail, extra),
    status: extra.status,
    odooName: name,
    odooMessage,
    debug,
    model: target.model,
    method: target.method,
    retryAfterMs: extra.retryAfterMs,
  });
}

/** A non-2xx HTTP answer (JSON-2 error, proxy page, HTML error page) as an OdooError. */
export function fromHttpResponse(
  response: { status: number; headers: IncomingHttpHeaders; body: string },
  target: CallTarget,
  now: number,
): OdooError {
  const { status } = response;
  const retryAfterMs = status === 429 || status === 503 ? parseRetryAfter(response.headers['retry-after'], now) : undefined;
  const parsed = tryParseJson(response.body);
  if (isRecord(parsed) && (typeof parsed.name === 'string' || typeof parsed.message === 'string')) {
    return fromOdooException(parsed, target, { status, retryAfterMs });
  }
  const kind = kindFromStatus(status);
  const text = summarizeBody(response.body);
  let detail = text;
  if (status >= 300 && status < 400) {
    detail = `HTTP ${status} redirect to ${String(response.headers.location ?? '?')}; check the URL (http or https, no path)`;
  } else if (kind === 'not_found' && /No database is selected/i.test(text)) {
    detail = `no such database; check the database name (${text})`;
  } else if (status === 415) {
    detail = `HTTP 415 unsupported content type (${text})`;
  } else if (kind !== 'unavailable' && kind !== 'rate_limited') {
    detail = `HTTP ${status}${text ? ` ${text}` : ''}`;
  }
  return new OdooError({
    kind,
    message: composeMessage(kind, target, detail, { status, retryAfterMs }),
    status,
    odooMessage: text || undefined,
    model: target.model,
    method: target.method,
    retryAfterMs,
  });
}

/** A body that should have been JSON but is not. */
export function protocolError(target: CallTarget, status: number, body: string, reason = 'the answer is not valid JSON'): OdooError {
  const text = summarizeBody(body);
  return new OdooError({
    kind: 'protocol',
    message: composeMessage('protocol', target, `${reason} (HTTP ${status})${text ? `: ${text}` : ''}`),
    status,
    odooMessage: text || undefined,
    model: target.model,
    method: target.method,
  });
}

const TLS_CODE = /CERT|SELF_SIGNED|TLS|SSL|ERR_OSSL/;

/** A request that got no (complete) answer. */
export function fromTransportError(err: TransportError, target: CallTarget): OdooError {
  const where = target.url ? ` at ${target.url}` : '';
  const what = describe(target);
  const common = { model: target.model, method: target.method };
  if (err.code === 'ETIMEDOUT_CLIENT') {
    return new OdooError({
      kind: 'timeout',
      message: `No answer from Odoo${where} within ${err.timeoutMs} ms for ${what}${err.written ? '; the call may or may not have been applied' : ''}`,
      outcomeUnknown: err.written,
      ...common,
    });
  }
  if (err.code === 'ETOOLARGE') {
    return new OdooError({ kind: 'protocol', message: composeMessage('protocol', target, err.message), ...common });
  }
  if (TLS_CODE.test(err.code)) {
    return new OdooError({
      kind: 'network',
      retryable: false,
      message: `TLS check of Odoo${where} failed for ${what} (${err.code}): ${err.message}; fix the certificate or turn off TLS verification`,
      ...common,
    });
  }
  if (err.code === 'ECLOSED' || err.code === 'EINVALIDURL' || (err.code.startsWith('ERR_') && !err.written)) {
    return new OdooError({
      kind: 'network',
      retryable: err.code === 'ECLOSED',
      message: `Could not send ${what} to Odoo${where}: ${err.message}`,
      ...common,
    });
  }
  // Refused, unresolvable or unreachable hosts fail before the request is written: nothing can have run.
  const outcomeUnknown = err.written;
  const message = outcomeUnknown
    ? `Connection to Odoo${where} dropped before an answer came for ${what} (${err.code}); the call may or may not have been applied`
    : `Could not connect to Odoo${where} for ${what} (${err.code}): ${err.message}`;
  return new OdooError({ kind: 'network', message, outcomeUnknown, ...common });
}

/** At most a line of readable text from an HTML or plain body. */
export function summarizeBody(body: string, limit = 300): string {
  const titled = /<title>([^<]*)<\/title>/i.exec(body)?.[1]?.trim();
  const text = body
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<title>[^<]*<\/title>/i, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .trim();
  const joined = titled && !text.startsWith(titled) ? `${titled}: ${text}` : text;
  return joined.length <= limit ? joined : `${joined.slice(0, limit)}…`;
}

export function tryParseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
