import { CircuitBreaker } from './circuit-breaker';
import { isRecord, tryParseJson } from './classify';
import { OdooError } from './errors';
import { Json2Protocol } from './json2';
import { JsonRpcProtocol } from './jsonrpc';
import { ConcurrencyLimiter } from './limiter';
import { createHttpTransport, type HttpTransport } from './transport';
import type { CallOptions, CircuitState, ConnectionReport, OdooClient, OdooConnectionOptions, OdooProtocol, ServerInfo } from './types';
import { validateCall } from './validate';
import { send, type Wire } from './wire';

export const CLIENT_DEFAULTS = {
  timeoutMs: 120_000,
  concurrency: 4,
  maxResponseBytes: 64 * 1024 * 1024,
};

/** Seams for tests: a fake clock drives the circuit breaker and Retry-After dates; a transport replaces node:http. */
export interface OdooClientDeps {
  now?: () => number;
  transport?: HttpTransport;
}

/** An OdooClient that also tells which protocol it settled on and what its circuit is doing. */
export interface OdooClientWithState extends OdooClient {
  /** The protocol calls use; for `auto` it is known after the first call or test(). */
  readonly protocol: OdooProtocol | undefined;
  readonly circuitState: CircuitState;
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
  const wire: Wire = { baseUrl: String(options.url ?? '').trim().replace(/\/+$/, ''), timeoutMs, transport, now };
  const limiter = new ConcurrencyLimiter(concurrency);
  const circuit = options.circuit === false ? undefined : new CircuitBreaker(options.circuit ?? {}, now);
  const json2 = options.apiKey ? new Json2Protocol(wire, { apiKey: options.apiKey, database: options.database }) : undefined;
  const jsonrpc = new JsonRpcProtocol(wire, { database: options.database, login: options.login, secret: options.password || options.apiKey });
  const setting = options.protocol ?? 'auto';
  let serverInfo: Promise<ServerInfo> | undefined;
  let chosen: OdooProtocol | undefined = setting === 'auto' ? undefined : setting;
  let closed = false;
  let coolDownTimer: NodeJS.Timeout | undefined;
  // Announce half_open when the cool-down ends, so node badges change without waiting for the next message.
  circuit?.onChange((state) => {
    clearTimeout(coolDownTimer);
    coolDownTimer = undefined;
    if (state !== 'open' || closed) return;
    coolDownTimer = setTimeout(() => circuit.refresh(), Math.max(0, circuit.reopensAt - now()));
    coolDownTimer.unref();
  });

  function configurationProblem(protocol: OdooProtocol | 'auto'): string | undefined {
    if (!/^https?:\/\/[^/\s]+/i.test(wire.baseUrl)) return `url must start with http:// or https:// (got ${JSON.stringify(options.url)})`;
    if (protocol === 'json2' && !options.apiKey) return 'JSON-2 needs an API key: set apiKey on the connection';
    if (protocol === 'jsonrpc' && !options.login) return 'JSON-RPC needs a login: set login on the connection';
    if (protocol === 'jsonrpc' && !options.password && !options.apiKey) return 'JSON-RPC needs a password or an API key';
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
    chosen = major >= 19 && options.apiKey ? 'json2' : 'jsonrpc';
    return chosen;
  }

  async function execute(model: string, method: string, args: Record<string, unknown>, callOptions?: CallOptions): Promise<unknown> {
    const use = await protocol();
    checkConfiguration(use, model, method);
    if (use === 'json2' && json2) return json2.call(model, method, args, callOptions);
    return jsonrpc.call(model, method, args, callOptions);
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

  async function call<T = unknown>(model: string, method: string, args: Record<string, unknown> = {}, callOptions?: CallOptions): Promise<T> {
    validateCall(model, method, args, callOptions);
    checkConfiguration(setting, model, method);
    if (closed) throw closedError(model, method);
    return limiter.run(async () => {
      const permit = circuit?.acquire() ?? { allowed: true as const, probe: false };
      if (!permit.allowed) throw circuitOpenError(model, method, permit.retryAfterMs, permit.reopensAt);
      try {
        const result = await execute(model, method, args, callOptions);
        circuit?.record('success', permit.probe);
        return result as T;
      } catch (err) {
        const retryable = err instanceof OdooError ? err.retryable : false;
        circuit?.record(retryable ? 'retryable_failure' : 'other_failure', permit.probe);
        throw err;
      }
    });
  }

  async function test(): Promise<ConnectionReport> {
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
    onCircuitChange(listener) {
      return circuit ? circuit.onChange(listener) : () => undefined;
    },
    close() {
      if (closed) return;
      closed = true;
      clearTimeout(coolDownTimer);
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
