import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { automationModels, seedModelRegistry, sendWebhooks, webhooksFor, type WebhookDelivery } from './automation';
import { Database } from './database';
import {
  OdooServerError,
  accessDenied,
  databaseMissing,
  httpError,
  serializationFailure,
  typeError,
} from './errors';
import { type FaultKind, type FaultOptions, isEligible, pickFault, pickLatency, seededRandom, validateFaults } from './faults';
import { type Protocol, bindNamed, bindPositional, checkMethod, runMethod } from './methods';
import { MODELS, extraIndexes } from './models';
import { Orm } from './orm';
import { seedDemoData } from './seed';
import type { ModelDef } from './types';

export const SANDBOX_DEFAULTS = {
  database: 'odoo',
  login: 'admin',
  password: 'admin',
  apiKey: 'sandbox-admin-key',
  demoLogin: 'demo',
  demoPassword: 'demo',
  demoApiKey: 'sandbox-demo-key',
} as const;

/** uids of the seeded users, as in a stock Odoo database with demo data. */
export const SANDBOX_UIDS = { admin: 2, demo: 6 } as const;

const VERSION_INFO = [19, 0, 0, 'final', 0, ''];
const MAX_RECORDED = 10_000;
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export interface SandboxOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  faults?: FaultOptions;
  uniqueConstraints?: { clientOrderRef?: boolean };
  /** Seed of the random that drives faults and latency. */
  seed?: number;
  /** Database names (default ['odoo']); JSON-2 needs X-Odoo-Database when there are several. */
  databases?: string[];
  /** Clock for create_date/write_date (ms since epoch); default Date.now. */
  now?: () => number;
  /** Whether the base_automation module is installed (default true): without it base.automation does not exist. */
  baseAutomation?: boolean;
}

export interface RecordedRequest {
  at: number;
  /** HTTP method. */
  method: string;
  path: string;
  /** Lower-case names. */
  headers: Record<string, string>;
  /** Parsed JSON, or the raw text when it was not JSON. */
  body: unknown;
  protocol: 'json2' | 'jsonrpc' | 'web' | 'other';
  /** JSON-RPC service (common, object, db). */
  service?: string;
  model?: string;
  /** The Odoo method (search_read, execute_kw's inner method, authenticate...). */
  odooMethod?: string;
  database?: string;
  uid?: number;
  /** The call's `context` as sent. */
  context?: Record<string, unknown>;
  correlationId?: string;
  traceparent?: string;
  status?: number;
  fault?: FaultKind;
}

export interface SandboxStats {
  /** Every HTTP request received. */
  calls: number;
  /** Per endpoint: '/json/2', '/jsonrpc', '/web/version', '/web/webclient/version_info', 'other'. */
  byEndpoint: Record<string, number>;
  /** Per model call, e.g. 'res.partner.search_read'. */
  byMethod: Record<string, number>;
  /** Injected faults by kind. */
  faults: Partial<Record<FaultKind, number>>;
}

export interface Sandbox {
  url: string;
  port: number;
  close(): Promise<void>;
  setFaults(faults: FaultOptions): void;
  /** Most recent requests first in, oldest dropped past 10,000; cleared in place. */
  requests: RecordedRequest[];
  clearRequests(): void;
  recordRequests(on: boolean): void;
  stats: SandboxStats;
  /** Fast seeding without HTTP (e.g. 100,000 partners): creates records as the admin, returns their ids. */
  insertRecords(model: string, valsList: Array<Record<string, unknown>>, database?: string): number[];
  /**
   * Runs a model method as the admin without HTTP or faults, as another Odoo client would (e.g. to change a record
   * while a delayed call of the client under test is held). Named arguments as in JSON-2; throws Odoo's error.
   */
  callMethod(model: string, method: string, args?: Record<string, unknown>, database?: string): unknown;
  /** Throws away all data and re-seeds the demo data (API keys back to the two seeded ones). */
  reset(): void;
  /** A new API key for a user (default admin), optionally expiring; listed in res.users.apikeys. */
  addApiKey(options?: { uid?: number; key?: string; name?: string; expiresAt?: number | Date }): { id: number; key: string };
  /** Sets or clears (null) a key's expiry date; past it the key fails as `Invalid apikey`, as in Odoo. */
  setApiKeyExpiry(key: string, expiresAt: number | Date | null): void;
  /** Deletes a key, as a user does in their preferences: it stops working at once. */
  revokeApiKey(key: string): void;
  /** Every webhook POST automation rules made, oldest first (status, or Odoo's log line when it failed). */
  webhooks: WebhookDelivery[];
  /** Resolves once the webhooks of changes made without HTTP (callMethod, insertRecords) are sent. */
  webhooksSettled(): Promise<void>;
}

interface ApiKey {
  id: number;
  uid: number;
  key: string;
  name: string;
  expiresAt?: number;
}

interface Credential {
  uid: number;
  login: string;
  password: string;
  apiKey: string;
}

const CREDENTIALS: Credential[] = [
  { uid: SANDBOX_UIDS.admin, login: SANDBOX_DEFAULTS.login, password: SANDBOX_DEFAULTS.password, apiKey: SANDBOX_DEFAULTS.apiKey },
  { uid: SANDBOX_UIDS.demo, login: SANDBOX_DEFAULTS.demoLogin, password: SANDBOX_DEFAULTS.demoPassword, apiKey: SANDBOX_DEFAULTS.demoApiKey },
];

class HttpReply {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly contentType: string,
    readonly headers: Record<string, string> = {},
  ) {}
}

const json = (status: number, value: unknown, headers: Record<string, string> = {}): HttpReply =>
  new HttpReply(status, JSON.stringify(value), 'application/json; charset=utf-8', headers);

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;').replace(/'/g, '&#39;');
}

/** werkzeug's HTML error page. */
function werkzeugPage(status: number, title: string, description: string): HttpReply {
  const body = `<!doctype html>\n<html lang=en>\n<title>${status} ${title}</title>\n<h1>${title}</h1>\n<p>${escapeHtml(description)}</p>\n`;
  return new HttpReply(status, body, 'text/html; charset=utf-8');
}

/** What a reverse proxy answers when Odoo is down or throttled. */
function proxyPage(status: number, title: string, headers: Record<string, string>): HttpReply {
  const body = `<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  return new HttpReply(status, body, 'text/html', headers);
}

function json2Error(err: OdooServerError): HttpReply {
  return json(err.status, err.toData(), err.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
}

function rpcEnvelope(id: unknown, err: OdooServerError): HttpReply {
  return json(200, { jsonrpc: '2.0', id, error: { code: 0, message: 'Odoo Server Error', data: err.toData() } });
}

/** Python's json error text, so "could not parse the body as json: ..." reads like Odoo's. */
function pythonJsonError(raw: string, err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const match = /position (\d+)/.exec(message);
  const position = match ? Number(match[1]) : raw.length;
  const before = raw.slice(0, position);
  const line = before.split('\n').length;
  const column = position - before.lastIndexOf('\n');
  const what = /property name/i.test(message) ? 'Expecting property name enclosed in double quotes' : 'Expecting value';
  return `${what}: line ${line} column ${column} (char ${position})`;
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function isJsonContentType(header: string | undefined): boolean {
  return (header ?? '').split(';')[0].trim().toLowerCase() === 'application/json';
}

/** A call that passed routing and may be subject to faults. */
interface PendingCall {
  fault?: FaultKind;
}

class SandboxServer implements Sandbox {
  url = '';
  port = 0;
  readonly requests: RecordedRequest[] = [];
  readonly stats: SandboxStats = { calls: 0, byEndpoint: {}, byMethod: {}, faults: {} };
  private recording = true;
  private faults: FaultOptions;
  private readonly random: () => number;
  private databases = new Map<string, Database>();
  private readonly models: ModelDef[];
  private readonly registry: Map<string, ModelDef>;
  readonly webhooks: WebhookDelivery[] = [];
  /** Webhooks of the transaction that just committed, taken by whoever ran it. */
  private committed: Array<ReturnType<typeof webhooksFor>[number]> = [];
  private readonly afterCommit = new WeakMap<http.ServerResponse, Promise<void>>();
  private readonly background = new Set<Promise<void>>();
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private apiKeys: ApiKey[] = [];

  constructor(private readonly options: SandboxOptions) {
    this.models = [...MODELS, ...automationModels(options.baseAutomation !== false)];
    this.registry = new Map(this.models.map((m) => [m.name, m]));
    this.faults = validateFaults(options.faults ?? {});
    this.random = seededRandom(options.seed ?? 1);
    this.reset();
    this.server = http.createServer((req, res) => this.onRequest(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port ?? 0, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  setFaults(faults: FaultOptions): void {
    this.faults = validateFaults(faults);
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  recordRequests(on: boolean): void {
    this.recording = on;
  }

  reset(): void {
    const names = this.options.databases ?? [SANDBOX_DEFAULTS.database];
    if (names.length === 0) throw new RangeError('databases must name at least one database');
    const indexes = extraIndexes(this.options.uniqueConstraints ?? {});
    this.databases = new Map(
      names.map((name) => {
        const db = new Database(name, this.models, indexes, this.options.now ?? Date.now);
        db.transaction(() => {
          const orm = new Orm(db, 1, {}, this.registry);
          seedDemoData(orm);
          seedModelRegistry(orm, this.registry);
        });
        const rules = this.registry.has('base.automation') ? db.table('base.automation') : undefined;
        db.watchChanges = () => rules !== undefined && rules.rows.size > 0;
        db.onCommit = (changes) => this.committed.push(...webhooksFor(db, this.registry, changes));
        return [name, db];
      }),
    );
    this.committed = [];
    this.apiKeys = [];
    for (const c of CREDENTIALS) this.addApiKey({ uid: c.uid, key: c.apiKey, name: 'sandbox' });
  }

  addApiKey(options: { uid?: number; key?: string; name?: string; expiresAt?: number | Date } = {}): { id: number; key: string } {
    const uid = options.uid ?? SANDBOX_UIDS.admin;
    if (!CREDENTIALS.some((c) => c.uid === uid)) throw new RangeError(`no user with uid ${uid}`);
    // Not from the seeded random: adding a key must not shift the fault sequence.
    const key = options.key ?? `sandbox-key-${randomBytes(12).toString('hex')}`;
    if (this.apiKeys.some((k) => k.key === key)) throw new RangeError('that API key exists already');
    const id = Math.max(0, ...this.apiKeys.map((k) => k.id)) + 1;
    const expiresAt = options.expiresAt === undefined ? undefined : Number(options.expiresAt);
    const entry: ApiKey = { id, uid, key, name: options.name ?? 'sandbox', expiresAt };
    this.apiKeys.push(entry);
    this.forEachKeyTable((orm) => orm.createOne('res.users.apikeys', { name: entry.name, user_id: uid, expiration_date: odooDatetime(expiresAt) }, id));
    return { id, key };
  }

  setApiKeyExpiry(key: string, expiresAt: number | Date | null): void {
    const entry = this.keyEntry(key);
    entry.expiresAt = expiresAt === null ? undefined : Number(expiresAt);
    this.forEachKeyTable((orm) => orm.writeRows('res.users.apikeys', [entry.id], { expiration_date: odooDatetime(entry.expiresAt) }));
  }

  revokeApiKey(key: string): void {
    const entry = this.keyEntry(key);
    this.apiKeys = this.apiKeys.filter((k) => k !== entry);
    this.forEachKeyTable((orm) => orm.unlinkRows('res.users.apikeys', [entry.id]));
  }

  private keyEntry(key: string): ApiKey {
    const entry = this.apiKeys.find((k) => k.key === key);
    if (!entry) throw new RangeError('no such API key');
    return entry;
  }

  private forEachKeyTable(change: (orm: Orm) => void): void {
    for (const db of this.databases.values()) db.transaction(() => change(new Orm(db, 1, {}, this.registry)));
    this.sendInBackground();
  }

  /** Starts the webhooks of the transaction that just committed; undefined when there are none. */
  private sendCommitted(): Promise<void> | undefined {
    if (this.committed.length === 0) return undefined;
    const webhooks = this.committed;
    this.committed = [];
    return sendWebhooks(webhooks, (delivery) => {
      this.webhooks.push(delivery);
      if (this.webhooks.length > MAX_RECORDED + 1000) this.webhooks.splice(0, this.webhooks.length - MAX_RECORDED);
    });
  }

  private sendInBackground(): void {
    const sending = this.sendCommitted();
    if (!sending) return;
    this.background.add(sending);
    void sending.finally(() => this.background.delete(sending));
  }

  async webhooksSettled(): Promise<void> {
    while (this.background.size > 0) await Promise.all([...this.background]);
  }

  /** The user of a key that exists and has not expired, as Odoo's `_check_credentials` (expiration_date > now). */
  private userOfKey(key: unknown): Credential | undefined {
    const now = (this.options.now ?? Date.now)();
    const entry = this.apiKeys.find((k) => k.key === key && (k.expiresAt === undefined || k.expiresAt > now));
    return entry ? CREDENTIALS.find((c) => c.uid === entry.uid) : undefined;
  }

  insertRecords(model: string, valsList: Array<Record<string, unknown>>, database: string = SANDBOX_DEFAULTS.database): number[] {
    const db = this.databases.get(database);
    if (!db) throw new RangeError(`no database named ${database}`);
    if (!this.registry.has(model)) throw new RangeError(`no model named ${model}`);
    const orm = new Orm(db, SANDBOX_UIDS.admin, {}, this.registry);
    try {
      return db.transaction(() => valsList.map((vals) => orm.createOne(model, vals)));
    } finally {
      this.sendInBackground();
    }
  }

  callMethod(model: string, method: string, args: Record<string, unknown> = {}, database: string = SANDBOX_DEFAULTS.database): unknown {
    const db = this.databases.get(database);
    if (!db) throw new RangeError(`no database named ${database}`);
    if (!this.registry.has(model)) throw new RangeError(`no model named ${model}`);
    checkMethod(model, method, 'json2');
    const bound = bindNamed(model, method, args);
    const context = typeof args.context === 'object' && args.context !== null ? (args.context as Record<string, unknown>) : {};
    const orm = new Orm(db, SANDBOX_UIDS.admin, context, this.registry);
    try {
      return db.transaction(() => runMethod({ orm, model, ids: bound.ids, args: bound.args, protocol: 'json2', single: false }, method));
    } finally {
      this.sendInBackground();
    }
  }

  // ---------------------------------------------------------------- HTTP plumbing

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.stats.calls += 1;
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        this.send(res, werkzeugPage(413, 'Request Entity Too Large', 'The data value transmitted exceeds the capacity limit.'));
        return;
      }
      this.route(req, res, Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', () => res.destroy());
  }

  private record(req: http.IncomingMessage, path: string, protocol: RecordedRequest['protocol'], raw: string): RecordedRequest {
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
    }
    let body: unknown = raw;
    if (raw !== '') {
      try {
        body = JSON.parse(raw);
      } catch {
        body = raw;
      }
    }
    const entry: RecordedRequest = {
      at: Date.now(),
      method: req.method ?? 'GET',
      path,
      headers,
      body,
      protocol,
      correlationId: headers['x-correlation-id'],
      traceparent: headers.traceparent,
    };
    if (this.recording) {
      this.requests.push(entry);
      if (this.requests.length > MAX_RECORDED + 1000) this.requests.splice(0, this.requests.length - MAX_RECORDED);
    }
    return entry;
  }

  private count(key: string, table: Record<string, number>): void {
    table[key] = (table[key] ?? 0) + 1;
  }

  private route(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
    const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
    if (path === '/web/version') {
      this.count('/web/version', this.stats.byEndpoint);
      const entry = this.record(req, path, 'web', raw);
      this.reply(res, entry, json(200, { version_info: VERSION_INFO, version: '19.0' }));
    } else if (path === '/web/webclient/version_info') {
      this.count('/web/webclient/version_info', this.stats.byEndpoint);
      const entry = this.record(req, path, 'web', raw);
      const id = asObject(entry.body)?.id ?? null;
      this.reply(res, entry, json(200, { jsonrpc: '2.0', id, result: this.versionResult() }));
    } else if (path === '/json/2' || path.startsWith('/json/2/')) {
      this.count('/json/2', this.stats.byEndpoint);
      this.json2(req, res, path, raw, this.record(req, path, 'json2', raw));
    } else if (path === '/jsonrpc') {
      this.count('/jsonrpc', this.stats.byEndpoint);
      this.jsonrpc(req, res, raw, this.record(req, path, 'jsonrpc', raw));
    } else {
      this.count('other', this.stats.byEndpoint);
      const entry = this.record(req, path, 'other', raw);
      this.reply(res, entry, werkzeugPage(404, 'Not Found', 'The requested URL was not found on the server. If you entered the URL manually please check your spelling and try again.'));
    }
  }

  private reply(res: http.ServerResponse, entry: RecordedRequest, reply: HttpReply): void {
    entry.status = reply.status;
    // Like Odoo, the webhooks of a committed call go out before the caller gets its answer.
    const webhooks = this.afterCommit.get(res);
    if (webhooks) {
      this.afterCommit.delete(res);
      void webhooks.then(() => this.send(res, reply));
    } else this.send(res, reply);
  }

  private send(res: http.ServerResponse, reply: HttpReply): void {
    if (res.destroyed) return;
    res.writeHead(reply.status, {
      'Content-Type': reply.contentType,
      'Content-Length': Buffer.byteLength(reply.body),
      ...reply.headers,
    });
    res.end(reply.body);
  }

  private versionResult(): Record<string, unknown> {
    return { server_version: '19.0', server_version_info: VERSION_INFO, server_serie: '19.0', protocol_version: 1 };
  }

  /**
   * Latency and proxy-level faults happen before Odoo sees the call; the rest are decided now and acted on in
   * `execute`. Calls `next` unless the fault already answered (or deliberately never answers).
   */
  private gate(res: http.ServerResponse, entry: RecordedRequest, model: string | undefined, method: string | undefined, next: (call: PendingCall) => void): void {
    if (!isEligible(this.faults, model, method)) {
      next({});
      return;
    }
    const fault = pickFault(this.faults, this.random);
    const delay = pickLatency(this.faults, this.random);
    if (fault) {
      entry.fault = fault;
      this.count(fault, this.stats.faults as Record<string, number>);
    }
    const proceed = (): void => {
      switch (fault) {
        case 'unavailable': {
          const retryAfter = this.faults.unavailableRetryAfter;
          this.reply(res, entry, proxyPage(503, 'Service Temporarily Unavailable', retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) }));
          return;
        }
        case 'rateLimited':
          this.reply(res, entry, proxyPage(429, 'Too Many Requests', { 'Retry-After': '1' }));
          return;
        case 'dropConnection':
          res.socket?.destroy();
          return;
        case 'timeout':
          // Hold the socket; close() or the client's own timeout ends it.
          return;
        default:
          next({ fault });
      }
    };
    if (delay > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        proceed();
      }, delay);
      this.timers.add(timer);
    } else proceed();
  }

  /** Runs one model method in one transaction; serialization and commit-then-drop faults act here. */
  private execute(call: PendingCall, res: http.ServerResponse, database: string, uid: number, context: Record<string, unknown>, model: string, method: string, bound: { ids: number[]; args: Record<string, unknown> }, protocol: Protocol): { ok: true; result: unknown } | { ok: false; error: OdooServerError } | undefined {
    this.count(`${model}.${method}`, this.stats.byMethod);
    if (call.fault === 'serializationFailure') return { ok: false, error: serializationFailure() };
    const db = this.databases.get(database) as Database;
    const orm = new Orm(db, uid, context, this.registry);
    let outcome: { ok: true; result: unknown } | { ok: false; error: OdooServerError };
    try {
      const result = db.transaction(() => runMethod({ orm, model, ids: bound.ids, args: bound.args, protocol, single: false }, method));
      outcome = { ok: true, result };
    } catch (err) {
      outcome = { ok: false, error: toServerError(err) };
    }
    if (call.fault === 'commitThenDrop') {
      this.sendInBackground();
      res.socket?.destroy();
      return undefined;
    }
    const webhooks = this.sendCommitted();
    if (webhooks) this.afterCommit.set(res, webhooks);
    return outcome;
  }

  // ---------------------------------------------------------------- JSON-2

  private json2(req: http.IncomingMessage, res: http.ServerResponse, path: string, raw: string, entry: RecordedRequest): void {
    const route = /^\/json\/2\/([^/]+)\/([^/]+)\/?$/.exec(path);
    if (req.method !== 'POST' || !route) {
      this.reply(res, entry, json2Error(httpError(404, 'Did you mean POST /json/2/<model>/<method>?')));
      return;
    }
    const model = decodeURIComponent(route[1]);
    const method = decodeURIComponent(route[2]);
    entry.model = model;
    entry.odooMethod = method;
    const requested = entry.headers['x-odoo-database'];
    const database = requested ?? (this.databases.size === 1 ? [...this.databases.keys()][0] : undefined);
    if (database === undefined || !this.databases.has(database)) {
      this.reply(res, entry, werkzeugPage(404, 'Not Found', 'No database is selected and the requested URL was not found in the server-wide controllers.'));
      return;
    }
    entry.database = database;
    this.gate(res, entry, model, method, (call) => {
      try {
        const reply = this.json2Call(call, res, entry, raw, database, model, method);
        if (reply) this.reply(res, entry, reply);
      } catch (err) {
        this.reply(res, entry, json2Error(toServerError(err)));
      }
    });
  }

  private json2Call(call: PendingCall, res: http.ServerResponse, entry: RecordedRequest, raw: string, database: string, model: string, method: string): HttpReply | undefined {
    if (!isJsonContentType(entry.headers['content-type'])) {
      return werkzeugPage(
        415,
        'Unsupported Media Type',
        "Request inferred type is compatible with ['http'] but '/json/2/<__model__>/<__method__>' is type='json2'.",
      );
    }
    const authorization = entry.headers.authorization;
    const bearer = authorization ? /^bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!bearer) throw httpError(401, 'User not authenticated, use an API Key with a Bearer Authorization header.');
    const user = this.userOfKey(bearer[1]);
    if (!user) throw httpError(401, 'Invalid apikey');
    entry.uid = user.uid;
    let body: unknown = {};
    if (raw.trim() !== '') {
      try {
        body = JSON.parse(raw);
      } catch (err) {
        throw httpError(400, `could not parse the body as json: ${pythonJsonError(raw, err)}`);
      }
    }
    const named = asObject(body) ?? {};
    const context = asObject(named.context) ?? {};
    entry.context = asObject(named.context);
    if (!this.registry.has(model)) throw httpError(404, `the model '${model}' does not exist`);
    checkMethod(model, method, 'json2');
    const bound = bindNamed(model, method, named);
    const outcome = this.execute(call, res, database, user.uid, context, model, method, bound, 'json2');
    if (!outcome) return undefined;
    if (!outcome.ok) throw outcome.error;
    return json(200, outcome.result ?? null);
  }

  // ---------------------------------------------------------------- JSON-RPC

  private jsonrpc(req: http.IncomingMessage, res: http.ServerResponse, raw: string, entry: RecordedRequest): void {
    if (req.method !== 'POST') {
      this.reply(res, entry, werkzeugPage(405, 'Method Not Allowed', 'The method is not allowed for the requested URL.'));
      return;
    }
    if (!isJsonContentType(entry.headers['content-type'])) {
      this.reply(res, entry, werkzeugPage(415, 'Unsupported Media Type', "Request inferred type is compatible with ['http'] but '/jsonrpc' is type='jsonrpc'."));
      return;
    }
    let envelope: Record<string, unknown>;
    try {
      envelope = asObject(JSON.parse(raw)) ?? {};
    } catch (err) {
      this.reply(res, entry, rpcEnvelope(null, httpError(400, `Invalid JSON data: ${pythonJsonError(raw, err)}`)));
      return;
    }
    const id = envelope.id ?? null;
    const params = asObject(envelope.params) ?? {};
    const service = typeof params.service === 'string' ? params.service : '';
    const method = typeof params.method === 'string' ? params.method : '';
    const args = Array.isArray(params.args) ? params.args : [];
    entry.service = service;
    entry.odooMethod = method;
    const isObjectCall = service === 'object' && (method === 'execute_kw' || method === 'execute');
    if (isObjectCall) {
      entry.database = typeof args[0] === 'string' ? args[0] : undefined;
      entry.model = typeof args[3] === 'string' ? args[3] : undefined;
      entry.odooMethod = typeof args[4] === 'string' ? args[4] : method;
      entry.context = asObject(asObject(args[6])?.context);
    }
    const answer = (call: PendingCall): void => {
      try {
        const outcome = this.rpcDispatch(call, res, entry, service, method, args);
        if (!outcome) return;
        this.reply(res, entry, outcome.ok ? json(200, { jsonrpc: '2.0', id, result: outcome.result ?? null }) : rpcEnvelope(id, outcome.error));
      } catch (err) {
        this.reply(res, entry, rpcEnvelope(id, toServerError(err)));
      }
    };
    if (isObjectCall) this.gate(res, entry, entry.model, entry.odooMethod, answer);
    else answer({});
  }

  private rpcDispatch(call: PendingCall, res: http.ServerResponse, entry: RecordedRequest, service: string, method: string, args: unknown[]): { ok: true; result: unknown } | { ok: false; error: OdooServerError } | undefined {
    const ok = (result: unknown) => ({ ok: true as const, result });
    switch (service) {
      case 'common':
        if (method === 'version') return ok(this.versionResult());
        if (method === 'login' || method === 'authenticate') {
          const [database, login, password] = args;
          this.requireDatabase(database);
          const user = CREDENTIALS.find((c) => c.login === login && (c.password === password || this.userOfKey(password)?.uid === c.uid));
          return ok(user ? user.uid : false);
        }
        if (method === 'about') return ok('See http://openerp.com');
        throw new OdooServerError('builtins.Exception', `Method not found: ${method}`, 500);
      case 'db':
        if (method === 'list') return ok([...this.databases.keys()]);
        if (method === 'server_version') return ok('19.0');
        throw new OdooServerError('builtins.KeyError', `exp_${method}`, 500);
      case 'object': {
        if (method !== 'execute_kw' && method !== 'execute') {
          throw new OdooServerError('builtins.NameError', `Method not available ${method}`, 500);
        }
        const [database, uid, password, model, modelMethod] = args;
        const db = this.requireDatabase(database);
        const user = CREDENTIALS.find((c) => c.uid === uid && (c.password === password || this.userOfKey(password)?.uid === c.uid));
        if (!user) throw accessDenied();
        entry.uid = user.uid;
        if (typeof model !== 'string' || !this.registry.has(model)) {
          throw new OdooServerError('odoo.exceptions.UserError', `Object ${String(model)} doesn't exist`, 500);
        }
        if (typeof modelMethod !== 'string') throw typeError('execute_kw() argument 5 must be a method name');
        checkMethod(model, modelMethod, 'jsonrpc');
        const positional = method === 'execute_kw' ? args[5] ?? [] : args.slice(5);
        if (!Array.isArray(positional)) throw typeError(`execute_kw() args must be a list, got ${typeof positional}`);
        const kwargs = method === 'execute_kw' ? asObject(args[6]) ?? {} : {};
        const context = asObject(kwargs.context) ?? {};
        const bound = bindPositional(model, modelMethod, positional, kwargs);
        return this.execute(call, res, db.name, user.uid, context, model, modelMethod, bound, 'jsonrpc');
      }
      default:
        throw new OdooServerError('builtins.KeyError', service, 500);
    }
  }

  private requireDatabase(name: unknown): Database {
    const db = typeof name === 'string' ? this.databases.get(name) : undefined;
    if (!db) throw databaseMissing(String(name));
    return db;
  }
}

/** Odoo's UTC datetime text, or false. */
function odooDatetime(ms: number | undefined): string | false {
  return ms === undefined ? false : new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Anything unexpected becomes a 500 with a traceback, like an uncaught Python exception. */
function toServerError(err: unknown): OdooServerError {
  if (err instanceof OdooServerError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new OdooServerError('builtins.Exception', message, 500);
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const sandbox = new SandboxServer(options);
  await sandbox.listen();
  return sandbox;
}
