import { composeMessage, fromHttpResponse, fromOdooException, isRecord, protocolError, type CallTarget } from './classify';
import { OdooError } from './errors';
import type { CallOptions } from './types';
import { mergeContext, send, traceHeaders, type Wire } from './wire';

export interface JsonRpcSettings {
  database?: string;
  login?: string;
  /** Password or API key: `execute_kw` takes either. */
  secret?: string;
}

/** One positional parameter of a standard ORM method: its named-argument aliases and the value Odoo defaults it to. */
interface Param {
  names: string[];
  fallback: unknown;
}

const REQUIRED = Symbol('required');
const p = (names: string | string[], fallback: unknown = REQUIRED): Param => ({ names: Array.isArray(names) ? names : [names], fallback });

/**
 * Positional signatures of the ORM methods the nodes use, after the record ids where the method takes them
 * (`read`, `write`, `unlink`). Positional, not keyword, because parameter names moved between series
 * (`name_search(args=)` became `domain=`).
 */
export const POSITIONAL_SIGNATURES: Record<string, { ids: boolean; params: Param[] }> = {
  search_read: { ids: false, params: [p('domain', []), p('fields', null), p('offset', 0), p('limit', null), p('order', null)] },
  read: { ids: true, params: [p('fields', null)] },
  search: { ids: false, params: [p('domain', []), p('offset', 0), p('limit', null), p('order', null)] },
  search_count: { ids: false, params: [p('domain', [])] },
  create: { ids: false, params: [p('vals_list')] },
  write: { ids: true, params: [p('vals')] },
  unlink: { ids: true, params: [] },
  fields_get: { ids: false, params: [p('allfields', null), p('attributes', null)] },
  name_search: { ids: false, params: [p('name', ''), p(['domain', 'args'], null), p('operator', 'ilike'), p('limit', 100)] },
  load: { ids: false, params: [p('fields'), p('data')] },
  default_get: { ids: false, params: [p('fields_list')] },
};

/** Named (JSON-2 style) arguments as `execute_kw`'s positional `args` and keyword `kwargs`. */
export function toPositional(method: string, named: Record<string, unknown>): { args: unknown[]; kwargs: Record<string, unknown> } {
  const rest: Record<string, unknown> = { ...named };
  const args: unknown[] = [];
  const signature = POSITIONAL_SIGNATURES[method];
  if (!signature) {
    if ('ids' in rest) {
      args.push(rest.ids);
      delete rest.ids;
    }
    return { args, kwargs: rest };
  }
  if (signature.ids) {
    args.push(rest.ids ?? []);
    delete rest.ids;
  }
  const values: unknown[] = [];
  let lastGiven = -1;
  signature.params.forEach((param, index) => {
    const name = param.names.find((n) => rest[n] !== undefined);
    if (name !== undefined) {
      values[index] = rest[name];
      lastGiven = index;
    } else {
      values[index] = param.fallback;
      if (param.fallback === REQUIRED) lastGiven = Math.max(lastGiven, index);
    }
    for (const n of param.names) delete rest[n];
  });
  for (let i = 0; i <= lastGiven; i += 1) {
    if (values[i] === REQUIRED) {
      throw new OdooError({
        kind: 'validation',
        message: `${method} needs the named argument "${signature.params[i].names[0]}"`,
        method,
      });
    }
    args.push(values[i]);
  }
  return { args, kwargs: rest };
}

/**
 * Odoo's external JSON-RPC (`POST /jsonrpc`, services `common` and `object`): HTTP 200 even for errors, which
 * arrive in the body. Authenticates once and caches the uid; re-authenticates once when a cached uid is refused.
 */
export class JsonRpcProtocol {
  private uidPromise: Promise<number> | undefined;
  private databasePromise: Promise<string> | undefined;
  private nextId = 1;

  constructor(
    private readonly wire: Wire,
    private readonly settings: JsonRpcSettings,
  ) {}

  async call(model: string, method: string, named: Record<string, unknown>, options?: CallOptions): Promise<unknown> {
    const target: CallTarget = { model, method };
    const { context: argsContext, ...rest } = named;
    const { args, kwargs } = toPositional(method, rest);
    const context = mergeContext(argsContext, options);
    if (context) kwargs.context = context;

    const cached = this.uidPromise;
    const uid = await this.uid(target);
    const execute = async (withUid: number) => {
      const database = await this.database(target);
      return this.rpc('object', 'execute_kw', [database, withUid, this.settings.secret, model, method, args, kwargs], target, options);
    };
    let result: unknown;
    try {
      result = await execute(uid);
    } catch (err) {
      if (!(cached && err instanceof OdooError && err.kind === 'auth')) throw err;
      // The uid came from an earlier login: the password may have changed or the session expired. Log in again once.
      if (this.uidPromise === cached) this.uidPromise = undefined;
      result = await execute(await this.uid(target));
    }
    // JSON-RPC create with one dict answers a bare id; JSON-2 always answers a list. Callers get the list.
    if (method === 'create' && typeof result === 'number' && !Array.isArray(rest.vals_list)) return [result];
    return result;
  }

  /** The uid for the configured login, authenticating once (concurrent callers share the attempt). */
  uid(target: CallTarget = { method: 'authenticate' }): Promise<number> {
    if (!this.uidPromise) {
      const attempt = this.authenticate(target);
      this.uidPromise = attempt;
      attempt.catch(() => {
        if (this.uidPromise === attempt) this.uidPromise = undefined;
      });
    }
    return this.uidPromise;
  }

  async version(): Promise<unknown> {
    return this.rpc('common', 'version', [], { method: 'common.version' });
  }

  private async authenticate(target: CallTarget): Promise<number> {
    const database = await this.database(target);
    const result = await this.rpc('common', 'authenticate', [database, this.settings.login, this.settings.secret, {}], target);
    if (typeof result === 'number' && result > 0) return result;
    throw new OdooError({
      kind: 'auth',
      message: composeMessage('auth', target, `authentication failed: login "${this.settings.login ?? ''}" on database "${database}" was refused (check login and password or API key)`),
      odooMessage: 'authentication failed',
      model: target.model,
      method: target.method,
    });
  }

  /** The configured database, or the only one the server lists. */
  private database(target: CallTarget): Promise<string> {
    if (this.settings.database) return Promise.resolve(this.settings.database);
    if (!this.databasePromise) {
      const attempt = this.discoverDatabase(target);
      this.databasePromise = attempt;
      attempt.catch(() => {
        if (this.databasePromise === attempt) this.databasePromise = undefined;
      });
    }
    return this.databasePromise;
  }

  private async discoverDatabase(target: CallTarget): Promise<string> {
    let listed: unknown;
    try {
      listed = await this.rpc('db', 'list', [], target);
    } catch (err) {
      if (err instanceof OdooError && (err.retryable || err.kind === 'protocol')) throw err;
      listed = undefined;
    }
    if (Array.isArray(listed) && listed.length === 1 && typeof listed[0] === 'string') return listed[0];
    const seen = Array.isArray(listed) ? `the server lists ${listed.length} databases` : 'the server does not list its databases';
    throw new OdooError({
      kind: 'validation',
      message: `JSON-RPC needs the database name: ${seen}; set "database" on the connection`,
      model: target.model,
      method: target.method,
    });
  }

  private async rpc(service: string, method: string, args: unknown[], target: CallTarget, options?: CallOptions): Promise<unknown> {
    const id = this.nextId;
    this.nextId += 1;
    const response = await send(
      this.wire,
      { method: 'POST', path: '/jsonrpc', headers: traceHeaders(options), body: { jsonrpc: '2.0', method: 'call', params: { service, method, args }, id } },
      target,
    );
    if (response.status !== 200) throw fromHttpResponse(response, target, this.wire.now());
    let envelope: unknown;
    try {
      envelope = JSON.parse(response.body);
    } catch {
      throw protocolError(target, response.status, response.body);
    }
    if (!isRecord(envelope)) throw protocolError(target, response.status, response.body, 'the answer is not a JSON-RPC envelope');
    if (isRecord(envelope.error)) throw fromRpcError(envelope.error, target);
    if (!('result' in envelope)) throw protocolError(target, response.status, response.body, 'the JSON-RPC answer has neither result nor error');
    return envelope.result;
  }
}

/** `error` of a JSON-RPC envelope: code 0 (19.0) or 200 (16/17) carry the exception in `data`; 100 is an expired session. */
export function fromRpcError(error: Record<string, unknown>, target: CallTarget): OdooError {
  const data = isRecord(error.data) ? error.data : {};
  if (error.code === 100) {
    const odooMessage = typeof data.message === 'string' ? data.message : String(error.message ?? 'Session expired');
    return new OdooError({
      kind: 'auth',
      message: composeMessage('auth', target, odooMessage),
      odooName: typeof data.name === 'string' ? data.name : 'odoo.http.SessionExpiredException',
      odooMessage,
      debug: typeof data.debug === 'string' ? data.debug : undefined,
      model: target.model,
      method: target.method,
    });
  }
  if (typeof data.name === 'string' || typeof data.message === 'string') return fromOdooException(data, target);
  return fromOdooException({ message: typeof error.message === 'string' ? error.message : JSON.stringify(error) }, target);
}
