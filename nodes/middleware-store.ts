import * as os from 'node:os';
import * as path from 'node:path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { toMiddlewareError } from './lib/errors';
import { createStore, resolveSqlitePath, type StoreConfig } from './lib/store';
import { DEFAULT_COMMAND_TIMEOUT_MS, redactRedisUrl } from './lib/store/redis';
import { storeUnavailable } from './lib/store/store-errors';
import type { MiddlewareStore, StoreProvider } from './lib/store/types';
import { createRedisAuditLog } from './lib/ops/audit/redis';
import { createSqliteAuditLog } from './lib/ops/audit/sqlite';
import type { AuditLog } from './lib/ops/audit/types';
import { deadLetterKey, withDeadLetterEncryption } from './lib/ops/dlq-crypto';
import { opsStores, type OpsStore } from './lib/ops/stores';
import { installOps } from './lib/runtime/ops';

interface MiddlewareStoreDef extends NodeDef {
  backend: 'sqlite' | 'redis';
  path: string;
  url: string;
  db: string | number;
  keyPrefix: string;
  tls: boolean;
  /** Seconds a Redis command may wait for its answer (default 2). */
  commandTimeout: string | number;
  /** Days audit entries are kept; 0 keeps them for ever. */
  auditRetentionDays?: string | number;
  /** Name of the environment variable holding the dead-letter encryption key when the credential is blank. */
  deadLetterKeyEnv?: string;
}

/** As Node-RED types credentials declared in registerType; both are strings when set. */
interface MiddlewareStoreCredentials {
  username: unknown;
  password: unknown;
  deadLetterKey: unknown;
}

/** The one store instance every node using this config shares; getStore never throws (a broken config rejects each call). */
interface MiddlewareStoreNode extends Node<MiddlewareStoreCredentials>, StoreProvider {
  /** The audit log of Odoo writes kept in this store (opened on first use). */
  getAuditLog(): AuditLog;
}

const DEFAULT_AUDIT_RETENTION_DAYS = 365;
const AUDIT_PURGE_INTERVAL_MS = 3_600_000;

function retentionDays(value: string | number | undefined): number {
  const n = typeof value === 'string' ? (value.trim() === '' ? NaN : Number(value)) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : DEFAULT_AUDIT_RETENTION_DAYS;
}

const SWEEP_INTERVAL_MS = 3_600_000;
const WARN_INTERVAL_MS = 30_000;

/** Stands in for a store that could not be created, so every user fails per message with the reason. */
function unavailableStore(backend: 'sqlite' | 'redis', reason: Error): MiddlewareStore {
  const fail = (): Promise<never> =>
    Promise.reject(storeUnavailable(`Store unavailable: ${reason.message}`, { backend }));
  return {
    backend,
    claim: fail,
    complete: fail,
    release: fail,
    getIdempotency: fail,
    addDeadLetter: fail,
    getDeadLetter: fail,
    listDeadLetters: fail,
    countDeadLetters: fail,
    setDeadLetterStatus: fail,
    purgeDeadLetters: fail,
    scheduleRetry: fail,
    removeRetry: fail,
    listRetries: fail,
    getWatermark: fail,
    setWatermark: fail,
    openSla: fail,
    closeSla: fail,
    markSlaBreached: fail,
    listSlas: fail,
    close: () => Promise.resolve(),
  };
}

/** Blank or unusable means the default; a positive number of seconds otherwise. */
function commandTimeoutMs(seconds: string | number | undefined): number {
  const n = Number(seconds);
  return seconds === '' || seconds === undefined || !Number.isFinite(n) || n <= 0 ? DEFAULT_COMMAND_TIMEOUT_MS : Math.round(n * 1000);
}

export = (RED: NodeAPI): void => {
  installOps(RED);
  function MiddlewareStoreConfig(this: MiddlewareStoreNode, def: MiddlewareStoreDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const backend = def.backend === 'redis' ? 'redis' : 'sqlite';
    let lastWarnAt = 0;
    let config: StoreConfig;
    if (backend === 'sqlite') {
      const userDir = RED.settings.userDir ?? path.join(os.homedir(), '.node-red');
      config = { backend, path: resolveSqlitePath(def.path, userDir) };
    } else {
      const db = def.db === '' || def.db === undefined ? 0 : Number(def.db);
      config = {
        backend,
        url: def.url || 'redis://127.0.0.1:6379',
        db: Number.isInteger(db) && db >= 0 ? db : 0,
        keyPrefix: def.keyPrefix || undefined,
        tls: def.tls === true,
        commandTimeoutMs: commandTimeoutMs(def.commandTimeout),
        username: typeof node.credentials?.username === 'string' && node.credentials.username ? node.credentials.username : undefined,
        password: typeof node.credentials?.password === 'string' && node.credentials.password ? node.credentials.password : undefined,
        // Connection errors repeat while Redis is down: log one line per interval, not one per attempt.
        onError: (err) => {
          const now = Date.now();
          if (now - lastWarnAt < WARN_INTERVAL_MS) return;
          lastWarnAt = now;
          node.warn(`Redis store ${redactRedisUrl(def.url || 'redis://127.0.0.1:6379')}: ${err.message}`);
        },
      };
    }

    const secret = typeof node.credentials?.deadLetterKey === 'string' && node.credentials.deadLetterKey ? node.credentials.deadLetterKey : def.deadLetterKeyEnv?.trim() ? process.env[def.deadLetterKeyEnv.trim()] : undefined;
    let store: MiddlewareStore;
    try {
      store = withDeadLetterEncryption(createStore(config), secret ? deadLetterKey(secret) : undefined);
    } catch (err) {
      const reason = toMiddlewareError(err);
      node.error(reason);
      store = unavailableStore(backend, reason);
    }
    if (!secret) node.log('dead letters are stored unencrypted: set a dead-letter key on the store to encrypt them');

    const storeConfig = config;
    let audit: AuditLog | undefined;
    const auditLog = (): AuditLog => {
      if (!audit) {
        if (storeConfig.backend === 'sqlite') audit = createSqliteAuditLog(storeConfig.path);
        else {
          const { backend: _backend, ...redisOptions } = storeConfig;
          audit = createRedisAuditLog(redisOptions);
        }
      }
      return audit;
    };
    const retention = retentionDays(def.auditRetentionDays);
    const auditPurger =
      retention > 0
        ? setInterval(() => {
            audit?.purge(Date.now() - retention * 86_400_000).catch((err: unknown) => node.warn(toMiddlewareError(err).message));
          }, AUDIT_PURGE_INTERVAL_MS)
        : undefined;
    auditPurger?.unref();
    const registration: OpsStore = { id: node.id, name: node.name || node.id, backend, deadLetterEncryption: secret ? 'aes-256-gcm' : 'none', auditLog };
    opsStores.register(registration);
    node.getAuditLog = auditLog;

    const sweep = store.sweepExpired?.bind(store);
    const sweeper = sweep
      ? setInterval(() => {
          sweep(Date.now()).catch((err: unknown) => node.warn(toMiddlewareError(err).message));
        }, SWEEP_INTERVAL_MS)
      : undefined;
    sweeper?.unref();

    node.getStore = () => store;

    node.on('close', (_removed: boolean, done: () => void) => {
      if (sweeper) clearInterval(sweeper);
      if (auditPurger) clearInterval(auditPurger);
      opsStores.unregister(registration);
      Promise.all([store.close(), audit?.close()]).then(
        () => done(),
        (err: unknown) => {
          node.warn(toMiddlewareError(err).message);
          done();
        },
      );
    });
  }

  RED.nodes.registerType('middleware-store', MiddlewareStoreConfig, {
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
      deadLetterKey: { type: 'password' },
    },
  });
};
