import { MiddlewareError } from '../errors';

/** One error model for both Odoo protocols; downstream nodes decide from `kind` and `retryable`, never from text. */
export type OdooErrorKind =
  | 'auth'
  | 'access'
  | 'validation'
  | 'user'
  | 'missing'
  | 'not_found'
  | 'concurrency'
  | 'rate_limited'
  | 'unavailable'
  | 'timeout'
  | 'network'
  | 'protocol'
  | 'server'
  | 'circuit_open'
  /** Refused by the connection's policy before any request left (allow-lists, read-only, max records). */
  | 'policy'
  /** The connection paused itself after repeated authentication failures; retryable once resumed. */
  | 'paused';

export interface OdooErrorInit {
  kind: OdooErrorKind;
  message: string;
  retryable?: boolean;
  status?: number;
  odooName?: string;
  odooMessage?: string;
  debug?: string;
  model?: string;
  method?: string;
  retryAfterMs?: number;
  /** The request may have reached Odoo and committed, but no answer came back (timeout, dropped response). */
  outcomeUnknown?: boolean;
}

const RETRYABLE_KINDS: ReadonlySet<OdooErrorKind> = new Set<OdooErrorKind>([
  'concurrency',
  'rate_limited',
  'unavailable',
  'timeout',
  'network',
  'circuit_open',
  'paused',
]);

/** Odoo's `debug` is a multi-KB traceback with server paths: keep only its tail. */
export const DEBUG_LIMIT = 1000;

export function trimDebug(debug: string | undefined): string | undefined {
  if (debug === undefined) return undefined;
  return debug.length <= DEBUG_LIMIT ? debug : `…${debug.slice(-DEBUG_LIMIT)}`;
}

export class OdooError extends MiddlewareError {
  declare readonly kind: OdooErrorKind;
  readonly status?: number;
  readonly odooName?: string;
  readonly odooMessage?: string;
  readonly debug?: string;
  readonly model?: string;
  readonly method?: string;
  readonly retryAfterMs?: number;
  readonly outcomeUnknown: boolean;

  constructor(init: OdooErrorInit) {
    const debug = trimDebug(init.debug);
    super(init.kind, init.message, {
      retryable: init.retryable ?? RETRYABLE_KINDS.has(init.kind),
      codePrefix: 'ODOO',
      details: {
        status: init.status,
        odooName: init.odooName,
        odooMessage: init.odooMessage,
        debug,
        model: init.model,
        method: init.method,
        retryAfterMs: init.retryAfterMs,
        outcomeUnknown: init.outcomeUnknown ?? false,
      },
    });
    this.name = 'OdooError';
    this.outcomeUnknown = init.outcomeUnknown ?? false;
    if (init.status !== undefined) this.status = init.status;
    if (init.odooName !== undefined) this.odooName = init.odooName;
    if (init.odooMessage !== undefined) this.odooMessage = init.odooMessage;
    if (debug !== undefined) this.debug = debug;
    if (init.model !== undefined) this.model = init.model;
    if (init.method !== undefined) this.method = init.method;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
  }
}

/** The same error with some fields changed; the stack is kept so the log still points at the failing call. */
export function withChanges(err: OdooError, changes: Partial<OdooErrorInit>): OdooError {
  const init: OdooErrorInit = {
    kind: err.kind,
    message: err.message,
    retryable: err.retryable,
    status: err.status,
    odooName: err.odooName,
    odooMessage: err.odooMessage,
    debug: err.debug,
    model: err.model,
    method: err.method,
    retryAfterMs: err.retryAfterMs,
    outcomeUnknown: err.outcomeUnknown,
    ...changes,
  };
  const copy = new OdooError(init);
  copy.stack = err.stack?.replace(err.message, copy.message);
  return copy;
}

export function isOdooError(err: unknown): err is OdooError {
  return err instanceof OdooError;
}
