/** What odoo-connection exposes to the nodes using it, and how its editor settings become client options. */
import type { Node } from 'node-red';
import type { CircuitState, OdooClient, OdooConnectionOptions, OdooProtocolSetting } from '../odoo/types';
import { substituteEnv } from './env';

export interface OdooConnectionSettings {
  url?: string;
  database?: string;
  protocol?: string;
  login?: string;
  /** Seconds. */
  timeout?: number | string;
  concurrency?: number | string;
  tlsVerify?: boolean | string;
  /** Names (not values) of environment variables that supply the secrets when the credentials are blank. */
  apiKeyEnv?: string;
  passwordEnv?: string;
  /** Consecutive retryable failures that open the shared circuit; 0 turns the breaker off. */
  circuitThreshold?: number | string;
  /** Seconds the circuit stays open before one probe call. */
  circuitCoolDown?: number | string;
}

export interface OdooConnectionCredentials {
  apiKey?: string;
  password?: string;
}

/** The config node as other nodes see it (`RED.nodes.getNode(def.connection)`). */
export interface OdooConnectionNode extends Node<OdooConnectionCredentials> {
  client: OdooClient;
  /** Subscribes to the shared circuit breaker; returns the unsubscribe function. */
  onCircuitChange(listener: (state: CircuitState) => void): () => void;
}

export const CONNECTION_DEFAULTS = { protocol: 'auto' as OdooProtocolSetting, timeoutSeconds: 120, concurrency: 4, circuitThreshold: 5, circuitCoolDownSeconds: 30 };

function numberOr(value: number | string | undefined, fallback: number): number {
  const n = typeof value === 'string' ? Number(value.trim()) : value;
  return typeof n === 'number' && Number.isFinite(n) && n > 0 ? n : fallback;
}

/**
 * Editor settings + credentials -> client options. `${NAME}` references are resolved with `lookupEnv` (Node-RED
 * already does it for deployed nodes; the admin "test" endpoint gets raw editor values).
 */
export function connectionOptions(
  settings: OdooConnectionSettings,
  credentials: OdooConnectionCredentials,
  lookupEnv: (name: string) => string | undefined,
): OdooConnectionOptions {
  const env = (v: string | undefined): string | undefined => {
    const resolved = substituteEnv(v?.trim(), lookupEnv);
    return resolved === '' ? undefined : resolved;
  };
  const protocol = ['json2', 'jsonrpc', 'auto'].includes(String(settings.protocol)) ? (settings.protocol as OdooProtocolSetting) : CONNECTION_DEFAULTS.protocol;
  return {
    url: env(settings.url) ?? '',
    database: env(settings.database),
    protocol,
    login: env(settings.login),
    apiKey: env(credentials.apiKey) ?? fromEnvName(settings.apiKeyEnv, lookupEnv),
    password: env(credentials.password) ?? fromEnvName(settings.passwordEnv, lookupEnv),
    timeoutMs: numberOr(settings.timeout, CONNECTION_DEFAULTS.timeoutSeconds) * 1000,
    concurrency: Math.floor(numberOr(settings.concurrency, CONNECTION_DEFAULTS.concurrency)),
    rejectUnauthorized: settings.tlsVerify !== false && settings.tlsVerify !== 'false',
    circuit: circuitOptions(settings),
  };
}

/** A secret named by its variable keeps flow files in git free of it and still deployable anywhere. */
function fromEnvName(name: string | undefined, lookupEnv: (name: string) => string | undefined): string | undefined {
  const variable = name?.trim();
  if (!variable) return undefined;
  const value = lookupEnv(variable);
  return value === '' ? undefined : value;
}

function circuitOptions(settings: OdooConnectionSettings): OdooConnectionOptions['circuit'] {
  const threshold = Number(String(settings.circuitThreshold ?? '').trim() || CONNECTION_DEFAULTS.circuitThreshold);
  if (threshold === 0) return false;
  return {
    failureThreshold: Number.isInteger(threshold) && threshold > 0 ? threshold : CONNECTION_DEFAULTS.circuitThreshold,
    coolDownMs: numberOr(settings.circuitCoolDown, CONNECTION_DEFAULTS.circuitCoolDownSeconds) * 1000,
  };
}
