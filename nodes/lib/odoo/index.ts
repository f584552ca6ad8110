/** The Odoo client: one import for the nodes. */
export { createOdooClient, CLIENT_DEFAULTS, type ClientLog, type OdooClientDeps, type OdooClientWithState } from './client';
export { CircuitBreaker, CIRCUIT_DEFAULTS, type CallOutcome, type CircuitPermit } from './circuit-breaker';
export { enforcePolicy, parseAllowList, parsePolicy, READ_METHODS, ENVIRONMENTS, type ConnectionPolicy, type EnvironmentLabel, type PolicySettings } from './policy';
export { keyExpiryOf, readKeyExpiry, parseOdooDatetime } from './key-expiry';
export { OdooError, isOdooError, withChanges, trimDebug, DEBUG_LIMIT, type OdooErrorKind, type OdooErrorInit } from './errors';
export { parseRetryAfter } from './classify';
export { toPositional } from './jsonrpc';
export { createHttpTransport, TransportError, type HttpTransport, type HttpRequest, type HttpResponse } from './transport';
export type {
  CallEvent,
  CallObserver,
  CallOptions,
  CallOrigin,
  CircuitOptions,
  CircuitState,
  ConnectionReport,
  KeyExpiry,
  OdooClient,
  OdooConnectionOptions,
  OdooProtocol,
  OdooProtocolSetting,
  PauseInfo,
  ServerInfo,
} from './types';
