import type { ConnectionPolicy } from './policy';

/** The call API every node uses, whatever protocol carries it. */
export type OdooProtocol = 'json2' | 'jsonrpc';
export type OdooProtocolSetting = OdooProtocol | 'auto';

export interface OdooConnectionOptions {
  /** Base URL, e.g. https://erp.example.com (no trailing path). */
  url: string;
  /** Database name; JSON-2 sends it as X-Odoo-Database when set. */
  database?: string;
  protocol: OdooProtocolSetting;
  login?: string;
  /** API key: bearer token for JSON-2, password substitute for JSON-RPC. */
  apiKey?: string;
  password?: string;
  /** Per-call timeout in ms; default 120000 (Odoo's limit_time_real). */
  timeoutMs?: number;
  /** Concurrent calls per connection; the rest queue. Default 4. */
  concurrency?: number;
  /** TLS certificate verification; default true. */
  rejectUnauthorized?: boolean;
  /** Circuit breaker shared by every node on the connection; `false` turns it off. Defaults in CircuitOptions. */
  circuit?: CircuitOptions | false;
  /** Largest response body accepted, in bytes; default 64 MiB. A bigger answer fails as a protocol error. */
  maxResponseBytes?: number;
  /** Timeout of read methods (search_read, read...) and the version probe, in ms; default 30000, never above timeoutMs. */
  readTimeoutMs?: number;
  /** The second (rotation) API key: used after the first one fails authentication, and kept from then on. */
  apiKey2?: string;
  /** Allow-lists, read-only and max records, checked before any request leaves. Default: everything allowed. */
  policy?: ConnectionPolicy;
  /** A settings mistake found before the client existed (e.g. a malformed allow-list): every call fails with it. */
  configurationError?: string;
  /** Keep Odoo's `debug` traceback in errors; default false (it is logged at debug level instead). */
  includeTraceback?: boolean;
  /** Days before the API key's expiry date from which the connection warns; unset or 0: no check (odoo-connection sets 14). */
  keyExpiryWarnDays?: number;
  /** Consecutive authentication failures after which the connection pauses (calls fail at once, kind `paused`); unset or 0: never. */
  pauseAfterAuthFailures?: number;
  /** Start paused (the same credentials were paused before a redeploy). */
  paused?: PauseInfo;
}

/** Why and since when a connection is paused. */
export interface PauseInfo {
  /** Epoch ms. */
  since: number;
  reason: string;
}

export interface CircuitOptions {
  /** Consecutive retryable failures that open the circuit; default 5. */
  failureThreshold?: number;
  /** How long the circuit stays open before one probe call is let through; default 30000 ms. */
  coolDownMs?: number;
  /** Sliding window for the failure rate; default 30000 ms. */
  windowMs?: number;
  /** Calls needed in the window before the failure rate counts; default 10. */
  minCalls?: number;
  /** Share of retryable failures in the window (0..1) that opens the circuit; default 0.5. */
  failureRate?: number;
  /** A call still running after this long counts as a retryable failure; default 30000 ms. */
  slowCallMs?: number;
}

export interface CallOptions {
  context?: Record<string, unknown>;
  /** Sent as X-Correlation-ID and put into the call's context. */
  correlationId?: string;
  /** W3C traceparent header value, forwarded as is. */
  traceparent?: string;
  /** Where the call comes from, for the audit log; never sent to Odoo. */
  origin?: CallOrigin;
}

export interface CallOrigin {
  flowId?: string;
  nodeId?: string;
  nodeName?: string;
  /** The business key of the message (`order S1234`). */
  businessKey?: string;
  /** odoo-write's operation: create, write, unlink, call, upsert. */
  operation?: string;
}

/** What the client reports after each call, sent or refused. */
export interface CallEvent {
  model: string;
  method: string;
  args: Record<string, unknown>;
  options?: CallOptions;
  /** 'ok' or the error kind. */
  outcome: string;
  /** False when the call was refused before any request left (policy, circuit open, paused, invalid). */
  sent: boolean;
  durationMs: number;
  /** Odoo's answer, when outcome is 'ok'. */
  result?: unknown;
}

/** Told about every call; must not throw (errors are swallowed) and must not block. */
export interface CallObserver {
  onCall(event: CallEvent): void;
}

export interface ServerInfo {
  version: string;
  /** e.g. [19, 0, 0, 'final', 0, ''] */
  versionInfo: Array<number | string>;
  major: number;
}

export interface ConnectionReport {
  version: string;
  protocol: OdooProtocol;
  uid?: number;
}

export interface OdooClient {
  /** Calls `model.method` with named arguments (JSON-2 style); JSON-RPC maps them to positional ones. */
  call<T = unknown>(model: string, method: string, args?: Record<string, unknown>, options?: CallOptions): Promise<T>;
  /** Probes the server (once, cached) and authenticates where the protocol needs it. */
  test(): Promise<ConnectionReport>;
  /** Circuit breaker state shared by every node on the connection; returns an unsubscribe function. */
  onCircuitChange(listener: (state: CircuitState) => void): () => void;
  close(): void;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

/** What the connection knows about its API key's expiry date (`res.users.apikeys`). */
export interface KeyExpiry {
  state: 'ok' | 'expiring' | 'expired' | 'none';
  /** Epoch ms, when the key has an expiry date. */
  expiresAt?: number;
  /** Whole days left (0 on the last day); negative once expired. */
  daysLeft?: number;
  /** Which configured key is in use: 1 or 2. */
  key: 1 | 2;
}
