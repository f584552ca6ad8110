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
}

export interface CallOptions {
  context?: Record<string, unknown>;
  /** Sent as X-Correlation-ID and put into the call's context. */
  correlationId?: string;
  /** W3C traceparent header value, forwarded as is. */
  traceparent?: string;
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
