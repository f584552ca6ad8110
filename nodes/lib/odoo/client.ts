import { CIRCUIT_DEFAULTS, CircuitBreaker } from './circuit-breaker';
import { isRecord, tryParseJson } from './classify';
import { OdooError, withChanges } from './errors';
import { keyExpiryOf, KEY_CHECK_INTERVAL_MS, readKeyExpiry } from './key-expiry';
import { Json2Protocol } from './json2';
import { JsonRpcProtocol } from './jsonrpc';
import { ConcurrencyLimiter } from './limiter';
import { enforcePolicy, isOpenPolicy } from './policy';
import { createHttpTransport, type HttpTransport } from './transport';
import type { CallObserver, CallOptions, CircuitState, ConnectionReport, KeyExpiry, OdooClient, OdooConnectionOptions, OdooProtocol, PauseInfo, ServerInfo } from './types';
import { validateCall } from './validate';
import { send, type Wire } from './wire';

export const CLIENT_DEFAULTS = {
  timeoutMs: 120_000,
  readTimeoutMs: 30_000,
  concurrency: 4,
  maxResponseBytes: 64 * 1024 * 1024,
};

/** Seams for tests: a fake clock drives the circuit breaker and Retry-After dates; a transport replaces node:http. */
export interface OdooClientDeps {
  now?: () => number;
  transport?: HttpTransport;
  /** Where the client reports what only an operator should read: Odoo tracebacks (debug) and key changes (warn). */
  log?: ClientLog;
  /** Told about every call (metrics, audit log). */
  observer?: CallObserver;
}

export interface ClientLog {
  debug(text: string): void;
  warn(text: string): void;
}

/** An OdooClient that also tells which protocol it settled on and what its circuit is doing. */
export interface OdooClientWithState extends OdooClient {
  /** The protocol calls use; for `auto` it is known after the first call or test(). */
  readonly protocol: OdooProtocol | undefined;
  readonly circuitState: CircuitState;
  /** The last key-expiry check's finding, undefined before the first one. */
  readonly keyExpiry: KeyExpiry | undefined;
  /** Reads the expiry date of the key in use now (also run after the first successful call, then twice a day). */
  checkKeyExpiry(): Promise<KeyExpiry>;
  /** Listens to key-expiry findings and key switches; returns the unsubscribe function. */
  onKeyExpiry(listener: (expiry: KeyExpiry) => void): () => void;
  /** Set while the connection is paused after repeated authentication failures. */
  readonly paused: PauseInfo | undefined;
  /** Lets calls through again; false when it was not paused. */
  resume(): boolean;
  /** Listens to pause (info) and resume (undefined); returns the unsubscribe function. */
  onPauseChange(listener: (paused: PauseInfo | undefined) => void): () => void;
}

/**
 * One client per connection: a keep-alive agent capped at `concurrency` sockets, a FIFO queue in front of it, a
 * circuit breaker shared by every node on the connection, and JSON-2 or JSON-RPC (or `auto`: the server's version
 * decides, once).
 */
export function createOdooClient(options: OdooConnectionOptions, deps: OdooClientDeps = {}): OdooClientWithState {
  const now = deps.now ?? Date.now;
  const timeoutMs = positiveOr(options.timeoutMs, CLIENT_DEFAULTS.timeoutMs);
  const concurrency = Math.floor(positiveOr(options.concurrency, CLIENT_DEFAULTS.concurrency));
  const transport =
    deps.transport ??
    createHttpTransport({
      maxSockets: concurrency,
      rejectUnauthorized: options.rejectUnauthorized !== false,
      maxResponseBytes: positiveOr(options.maxResponseBytes, CLIENT_DEFAULTS.maxResponseBytes),
    });
  const readTimeoutMs = positiveOr(options.readTimeoutMs, CLIENT_DEFAULTS.readTimeoutMs);
  const wire: Wire = { baseUrl: String(options.url ?? '').trim().replace(/\/+$/, ''), timeoutMs, readTimeoutMs, transport, now };
  const limiter = new ConcurrencyLimiter(concurrency);
  const circuit = options.circuit === false ? undefined : new CircuitBreaker(options.circuit ?? {}, now);
  const slowCallMs = options.circuit === false ? undefined : positiveOr(options.circuit?.slowCallMs, CIRCUIT_DEFAULTS.slowCallMs);
  const policy = options.policy && !isOpenPolicy(options.policy) ? options.policy : undefined;
  const log = deps.log;
  // The rotation key takes over after an auth failure of the first and stays; JSON-RPC with a password never rotates.
  const keys = [options.apiKey, options.apiKey2].filter((k): k is string => typeof k === 'string' && k !== '');
  let keyIndex = 0;
  const currentKey = (): string | undefined => keys[keyIndex];
  const json2 = keys.length > 0 ? new Json2Protocol(wire, { get apiKey() { return currentKey() ?? ''; }, database: options.database }) : undefined;
  const jsonrpc = new JsonRpcProtocol(wire, { database: options.database, login: options.login, get secret() { return options.password || currentKey(); } });
  const warnDays = options.keyExpiryWarnDays ?? 0;
  const keyListeners = new Set<(expiry: KeyExpiry) => void>();
  let keyExpiry: KeyExpiry | undefined;
  let keyCheckTimer: NodeJS.Timeout | undefined;
  let keyCheckStarted = false;
  const setting = options.protocol ?? 'auto';
  let serverInfo: Promise<ServerInfo> | undefined;
  let chosen: OdooProtocol | undefined = setting === 'auto' ? undefined : setting;
  let closed = false;
  const pauseAfter = options.pauseAfterAuthFailures ?? 0;
  let paused: PauseInfo | undefined = options.paused;
  let authFailures = 0;
  const pauseListeners = new Set<(info: PauseInfo | undefined) => void>();
  const observer = deps.observer;
  let coolDownTimer: NodeJS.Timeout | undefined;
  // Announce half_open when the cool-down ends, so node badges change without waiting for the next message.
  circuit?.onChange((state) => {
    clearTimeout(coolDownTimer);
    coolDownTimer = undefined;
    if (state !== 'open' || closed) return;
    // Calls waiting for a slot would only find the circuit open once one frees: fail them now.
    limiter.cancelQueued((label) => {
      const [model, method] = (label ?? '.').split(' ');
      return circuitOpenError(model, method, circuit.reopensAt - now(), circuit.reopensAt);
    });
    scheduleHalfOpen();
  });

  // A timer may fire a millisecond before the wall clock says the cool-down is over: then it waits again.
  function scheduleHalfOpen(): void {
    if (!circuit) return;
    coolDownTimer = setTimeout(() => {
      circuit.refresh();
      if (circuit.state === 'open' && !closed) scheduleHalfOpen();
    }, Math.max(1, circuit.reopensAt - now()));
    coolDownTimer.unref();
  }

  function configurationProblem(protocol: OdooProtocol | 'auto'): string | undefined {
    if (options.configurationError) return options.configurationError;
    if (!/^https?:\/\/[^/\s]+/i.test(wire.baseUrl)) return `url must start with http:// or https:// (got ${JSON.stringify(options.url)})`;
    if (protocol === 'json2' && keys.length === 0) return 'JSON-2 needs an API key: set apiKey on the connection';
    if (protocol === 'jsonrpc' && !options.login) return 'JSON-RPC needs a login: set login on the connection';
    if (protocol === 'jsonrpc' && !options.password && keys.length === 0) return 'JSON-RPC needs a password or an API key';
    return undefined;
  }

  function checkConfiguration(protocol: OdooProtocol | 'auto', model?: string, method?: string): void {
    const problem = configurationProblem(protocol);
    if (problem) throw new OdooError({ kind: 'validation', message: `Odoo connection is misconfigured: ${problem}`, model, method });
  }

  function info(): Promise<ServerInfo> {
    if (!serverInfo) {
      const attempt = probeVersion(wire, jsonrpc);
      serverInfo = attempt;
      attempt.catch(() => {
        if (serverInfo === attempt) serverInfo = undefined;
      });
    }
    return serverInfo;
  }

  async function protocol(): Promise<OdooProtocol> {
    if (chosen) return chosen;
    const { major } = await info();
    chosen = major >= 19 && keys.length > 0 ? 'json2' : 'jsonrpc';
    return chosen;
  }

  async function send(model: string, method: string, args: Record<string, unknown>, callOptions?: CallOptions): Promise<unknown> {
    const use = await protocol();
    checkConfiguration(use, model, method);
    if (use === 'json2' && json2) return json2.call(model, method, args, callOptions);
    return jsonrpc.call(model, method, args, callOptions);
  }

  /** One call with the key in use; an auth failure of the first key hands over to the second, once and for good. */
  async function execute(model: string, method: string, args: Record<string, unknown>, callOptions?: CallOptions): Promise<unknown> {
    const used = keyIndex;
    try {
      return await send(model, method, args, callOptions);
    } catch (err) {
      const rotates = err instanceof OdooError && err.kind === 'auth' && used === 0 && keys.length > 1 && !(chosen === 'jsonrpc' && options.password);
      if (!rotates) throw err;
      if (keyIndex === 0) {
        keyIndex = 1;
        keyExpiry = undefined;
        log?.warn(`Odoo refused the first API key (${(err as OdooError).message}); the connection now uses the second key. Remove the first key once it is no longer valid.`);
        scheduleKeyCheck(0);
      }
      return send(model, method, args, callOptions);
    }
  }

  /** Odoo's traceback goes to the debug log; errors carry it only when the connection says so. Expired keys are named. */
  function presentable(err: unknown): unknown {
    if (!(err instanceof OdooError)) return err;
    let out = err;
    if (err.kind === 'auth' && keyExpiry?.expiresAt !== undefined && now() >= keyExpiry.expiresAt) {
      out = withChanges(out, { message: `API key expired on ${new Date(keyExpiry.expiresAt).toISOString()}: ${err.message}` });
      if (keyExpiry.state !== 'expired') announceKeyExpiry(keyExpiryOf(keyExpiry.expiresAt, now(), warnDays, keyExpiry.key));
    }
    if (err.debug !== undefined && !options.includeTraceback) {
      log?.debug(`Odoo traceback of ${err.model ?? ''}${err.method ? `.${err.method}` : ''}: ${err.debug}`);
      out = withChanges(out, { debug: undefined });
    }
    return out;
  }

  function usesKey(): boolean {
    return keys.length > 0 && warnDays > 0 && !(chosen === 'jsonrpc' && options.password);
  }

  function scheduleKeyCheck(delayMs: number): void {
    if (closed || !usesKey()) return;
    clearTimeout(keyCheckTimer);
    keyCheckTimer = setTimeout(() => {
      checkKeyExpiry().catch((err: unknown) => log?.debug(`API key expiry not read: ${err instanceof Error ? err.message : String(err)}`));
    }, delayMs);
    keyCheckTimer.unref();
  }

  /** The key owner's uid where it is known cheaply: JSON-RPC has it, JSON-2 looks the login up. */
  async function keyOwner(): Promise<number | undefined> {
    if ((await protocol()) === 'jsonrpc') return jsonrpc.uid();
    if (!options.login || !json2) return undefined;
    const users = await json2.call('res.users', 'search_read', { domain: [['login', '=', options.login]], fields: ['id'], limit: 1 });
    const first = Array.isArray(users) ? (users[0] as unknown) : undefined;
    return isRecord(first) && typeof first.id === 'number' ? first.id : undefined;
  }

  async function checkKeyExpiry(): Promise<KeyExpiry> {
    if (closed) throw closedError('res.users.apikeys', 'search_read');
    const key = (keyIndex + 1) as 1 | 2;
    // The connection's own bookkeeping: outside the policy and the circuit, inside the concurrency limit.
    const expiresAt = await limiter.run(async () => readKeyExpiry((m, meth, a) => send(m, meth, a), await keyOwner()));
    const found = keyExpiryOf(expiresAt, now(), warnDays, key);
    announceKeyExpiry(found);
    scheduleKeyCheck(KEY_CHECK_INTERVAL_MS);
    return found;
  }

  function announceKeyExpiry(found: KeyExpiry): void {
    keyExpiry = found;
    const at = new Date(found.expiresAt ?? 0).toISOString();
    if (found.state === 'expired') log?.warn(`the Odoo API key in use (key ${found.key}) expired on ${at}`);
    if (found.state === 'expiring') log?.warn(`the Odoo API key in use (key ${found.key}) expires on ${at}, in ${found.daysLeft} day(s): add a new key as the second key and deploy`);
    for (const listener of [...keyListeners]) {
      try {
        listener(found);
      } catch {
        // A node's status update must not break the call or the check.
      }
    }
  }

  function circuitOpenError(model: string, method: string, retryAfterMs: number, reopensAt: number): OdooError {
    const when = circuit?.state === 'half_open' ? 'once the probe call in flight has answered' : `in ${Math.ceil(retryAfterMs / 1000)} s (${new Date(reopensAt).toISOString()})`;
    return new OdooError({
      kind: 'circuit_open',
      message: `Odoo calls are paused after repeated failures (circuit open); ${model}.${method} was not sent; the next attempt is allowed ${when}`,
      retryAfterMs,
      model,
      method,
    });
  }

  function closedError(model?: string, method?: string): OdooError {
    return new OdooError({ kind: 'network', message: 'the Odoo connection was closed (node stopped or redeployed) before the call was sent', model, method });
  }

  function pausedError(model: string, method: string, info: PauseInfo): OdooError {
    return new OdooError({
      kind: 'paused',
      message: `the Odoo connection is paused since ${new Date(info.since).toISOString()} (${info.reason}); ${model}.${method} was not sent. Fix the credentials and deploy, or resume the connection from its dialog`,
      model,
      method,
    });
  }

  function announcePause(info: PauseInfo | undefined): void {
    for (const listener of [...pauseListeners]) {
      try {
        listener(info);
      } catch {
        // A node's status update must not break the call.
      }
    }
  }

  /** Consecutive auth failures pause the connection: a revoked key stops hammering Odoo and fills no retry budget. */
  function countAuth(err: unknown): void {
    if (!(err instanceof OdooError) || err.kind !== 'auth') return;
    authFailures += 1;
    if (pauseAfter <= 0 || authFailures < pauseAfter || paused) return;
    paused = { since: now(), reason: `${authFailures} consecutive authentication failures, the last: ${err.message}` };
    limiter.cancelQueued((label) => {
      const [model, method] = (label ?? '.').split(' ');
      return pausedError(model, method, paused as PauseInfo);
    });
    announcePause(paused);
  }

  function observe(model: string, method: string, args: Record<string, unknown>, callOptions: CallOptions | undefined, started: number, sent: boolean, outcome: { result: unknown } | { error: unknown }): void {
    if (!observer) return;
    const kind = 'error' in outcome ? ((outcome.error as { kind?: unknown } | null)?.kind ?? 'error') : 'ok';
    try {
      observer.onCall({ model, method, args, options: callOptions, outcome: String(kind), sent, durationMs: now() - started, ...('result' in outcome ? { result: outcome.result } : {}) });
    } catch {
      // Metrics and audit never change a call's outcome.
    }
  }

  let slowInFlight = 0;

  async function call<T = unknown>(model: string, method: string, args: Record<string, unknown> = {}, callOptions?: CallOptions): Promise<T> {
    const started = now();
    const sent = { value: false };
    try {
      const result = await attempt<T>(model, method, args, callOptions, sent);
      observe(model, method, args, callOptions, started, true, { result });
      return result;
    } catch (err) {
      observe(model, method, args, callOptions, started, sent.value, { error: err });
      throw err;
    }
  }

  async function attempt<T>(model: string, method: string, args: Record<string, unknown>, callOptions: CallOptions | undefined, sent: { value: boolean }): Promise<T> {
    validateCall(model, method, args, callOptions);
    checkConfiguration(setting, model, method);
    if (policy) enforcePolicy(policy, model, method, args);
    if (closed) throw closedError(model, method);
    if (paused) throw pausedError(model, method, paused);
    // An open circuit fails fast here, not after waiting behind calls that hold every slot.
    if (circuit?.isOpen()) throw circuitOpenError(model, method, circuit.reopensAt - now(), circuit.reopensAt);
    return limiter.run(async () => {
      const permit = circuit?.acquire() ?? { allowed: true as const, probe: false };
      if (!permit.allowed) throw circuitOpenError(model, method, permit.retryAfterMs, permit.reopensAt);
      if (paused) throw pausedError(model, method, paused);
      sent.value = true;
      let slow = false;
      const slowTimer =
        circuit && slowCallMs !== undefined
          ? setTimeout(() => {
              slow = true;
              slowInFlight += 1;
              circuit.recordSlow(permit.probe, slowInFlight >= concurrency);
            }, slowCallMs)
          : undefined;
      slowTimer?.unref();
      const settle = () => {
        clearTimeout(slowTimer);
        if (slow) slowInFlight -= 1;
      };
      try {
        const result = await execute(model, method, args, callOptions);
        settle();
        if (!slow) circuit?.record('success', permit.probe);
        authFailures = 0;
        if (!keyCheckStarted) {
          keyCheckStarted = true;
          scheduleKeyCheck(0);
        }
        return result as T;
      } catch (err) {
        settle();
        const retryable = err instanceof OdooError ? err.retryable : false;
        if (!slow) circuit?.record(retryable ? 'retryable_failure' : 'other_failure', permit.probe);
        countAuth(err);
        throw presentable(err);
      }
    }, `${model} ${method}`);
  }

  async function test(): Promise<ConnectionReport> {
    try {
      return await testConnection();
    } catch (err) {
      throw presentable(err);
    }
  }

  async function testConnection(): Promise<ConnectionReport> {
    checkConfiguration(setting);
    if (closed) throw closedError();
    const { version } = await info();
    const use = await protocol();
    checkConfiguration(use);
    if (use === 'jsonrpc') return { version, protocol: use, uid: await jsonrpc.uid() };
    if (!json2) throw new OdooError({ kind: 'validation', message: 'Odoo connection is misconfigured: JSON-2 needs an API key' });
    if (!options.login) {
      // Any authenticated call proves the key; without a login there is no uid to look up.
      await json2.call('res.users', 'search_count', { domain: [] });
      return { version, protocol: use };
    }
    const users = await json2.call('res.users', 'search_read', { domain: [['login', '=', options.login]], fields: ['id'], limit: 1 });
    const first = Array.isArray(users) ? (users[0] as unknown) : undefined;
    const uid = isRecord(first) && typeof first.id === 'number' ? first.id : undefined;
    return uid === undefined ? { version, protocol: use } : { version, protocol: use, uid };
  }

  return {
    call,
    test,
    get protocol() {
      return chosen;
    },
    get circuitState() {
      return circuit?.state ?? 'closed';
    },
    get keyExpiry() {
      return keyExpiry;
    },
    checkKeyExpiry,
    onKeyExpiry(listener) {
      keyListeners.add(listener);
      return () => {
        keyListeners.delete(listener);
      };
    },
    get paused() {
      return paused;
    },
    resume() {
      if (!paused) return false;
      paused = undefined;
      authFailures = 0;
      announcePause(undefined);
      return true;
    },
    onPauseChange(listener) {
      pauseListeners.add(listener);
      return () => {
        pauseListeners.delete(listener);
      };
    },
    onCircuitChange(listener) {
      return circuit ? circuit.onChange(listener) : () => undefined;
    },
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(coolDownTimer);
      clearTimeout(keyCheckTimer);
      limiter.cancelQueued(() => closedError());
      transport.close();
    },
  };
}

/** `GET /web/version`, or JSON-RPC `common.version` where that route is missing or answers something else. */
export async function probeVersion(wire: Wire, jsonrpc: JsonRpcProtocol): Promise<ServerInfo> {
  const response = await send(wire, { method: 'GET', path: '/web/version' }, { method: 'version' });
  const body = response.status === 200 ? tryParseJson(response.body) : undefined;
  if (isRecord(body)) {
    const parsed = toServerInfo(body.version, body.version_info);
    if (parsed) return parsed;
  }
  const result = await jsonrpc.version();
  const parsed = isRecord(result) ? toServerInfo(result.server_version, result.server_version_info) : undefined;
  if (parsed) return parsed;
  throw new OdooError({ kind: 'protocol', message: `Odoo sent an unexpected answer to version: ${JSON.stringify(result)?.slice(0, 200)}`, method: 'version' });
}

function toServerInfo(version: unknown, versionInfo: unknown): ServerInfo | undefined {
  if (!Array.isArray(versionInfo) || versionInfo.length === 0) return undefined;
  const first = versionInfo[0] as unknown;
  // SaaS series report e.g. "saas~18.4" as the first element.
  const major = typeof first === 'number' ? first : Number.parseInt(String(first).replace(/^saas~/, ''), 10);
  if (!Number.isFinite(major)) return undefined;
  return { version: typeof version === 'string' ? version : versionInfo.join('.'), versionInfo: versionInfo as Array<number | string>, major };
}

function positiveOr(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}
