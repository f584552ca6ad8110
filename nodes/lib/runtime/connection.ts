/** What odoo-connection exposes to the nodes using it, and how its editor settings become client options. */
import type { Node } from 'node-red';
import { ENVIRONMENTS, parsePolicy, type EnvironmentLabel } from '../odoo/policy';
import type { CircuitState, KeyExpiry, OdooClient, OdooConnectionOptions, OdooProtocolSetting, PauseInfo } from '../odoo/types';
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
  /** Seconds after which a call still running counts as a failure for the circuit. */
  slowCallSeconds?: number | string;
  /** Timeout of read methods, seconds (never above `timeout`). */
  readTimeout?: number | string;
  /** Connection policy: `model:method` allow-lists, read-only, max records per call. */
  allowRead?: string;
  allowWrite?: string;
  readOnly?: boolean | string;
  maxRecords?: number | string;
  /** Label shown in the status of every node on the connection. */
  environment?: string;
  includeTraceback?: boolean | string;
  keyExpiryWarnDays?: number | string;
  /** Name of the environment variable holding the second (rotation) API key. */
  apiKey2Env?: string;
  /** Consecutive authentication failures that pause the connection; 0 never pauses. */
  pauseAfterAuthFailures?: number | string;
}

export interface OdooConnectionCredentials {
  apiKey?: string;
  password?: string;
  /** The second (rotation) API key. */
  apiKey2?: string;
}

/** The config node as other nodes see it (`RED.nodes.getNode(def.connection)`). */
export interface OdooConnectionNode extends Node<OdooConnectionCredentials> {
  client: OdooClient;
  /** Subscribes to the shared circuit breaker; returns the unsubscribe function. */
  onCircuitChange(listener: (state: CircuitState) => void): () => void;
  /** The environment label ('' when none). */
  environment?: EnvironmentLabel | '';
  /** The latest API-key expiry finding, and its changes (see KeyExpiry). */
  keyExpiry?: () => KeyExpiry | undefined;
  onKeyExpiry?(listener: (expiry: KeyExpiry) => void): () => void;
  /** Pause after repeated authentication failures (undefined when running), and its changes. */
  paused?: () => PauseInfo | undefined;
  onPauseChange?(listener: (paused: PauseInfo | undefined) => void): () => void;
  /** Masks personal data in a text bound for the log (the settings' masking rules). */
  maskText?(text: string): string;
}

export const CONNECTION_DEFAULTS = { protocol: 'auto' as OdooProtocolSetting, timeoutSeconds: 120, concurrency: 4, circuitThreshold: 5, circuitCoolDownSeconds: 30, readTimeoutSeconds: 30, slowCallSeconds: 30, keyExpiryWarnDays: 14, pauseAfterAuthFailures: 20 };

/** The environment label of the settings, '' when unset or unknown. */
export function environmentOf(settings: OdooConnectionSettings): EnvironmentLabel | '' {
  const value = String(settings.environment ?? '').trim();
  return (ENVIRONMENTS as readonly string[]).includes(value) ? (value as EnvironmentLabel) : '';
}

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
    apiKey2: env(credentials.apiKey2) ?? fromEnvName(settings.apiKey2Env, lookupEnv),
    timeoutMs: numberOr(settings.timeout, CONNECTION_DEFAULTS.timeoutSeconds) * 1000,
    readTimeoutMs: numberOr(settings.readTimeout, CONNECTION_DEFAULTS.readTimeoutSeconds) * 1000,
    policy: parsePolicy(settings),
    includeTraceback: settings.includeTraceback === true || settings.includeTraceback === 'true',
    keyExpiryWarnDays: wholeOr(settings.keyExpiryWarnDays, CONNECTION_DEFAULTS.keyExpiryWarnDays),
    pauseAfterAuthFailures: wholeOr(settings.pauseAfterAuthFailures, CONNECTION_DEFAULTS.pauseAfterAuthFailures),
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
    slowCallMs: numberOr(settings.slowCallSeconds, CONNECTION_DEFAULTS.slowCallSeconds) * 1000,
  };
}

/** A whole number >= 0 (0 is meaningful: "off"); blank or nonsense is the default. */
function wholeOr(value: number | string | undefined, fallback: number): number {
  const n = typeof value === 'string' ? (value.trim() === '' ? NaN : Number(value.trim())) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 0 ? n : fallback;
}
