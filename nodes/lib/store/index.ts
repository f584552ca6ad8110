/** One entry point for the store backends; nodes pick a backend from their config and share the instance. */
import * as path from 'node:path';
import { createRedisStore, type RedisStoreOptions } from './redis';
import { createSqliteStore } from './sqlite';
import type { MiddlewareStore } from './types';

export type StoreConfig =
  | { backend: 'sqlite'; path: string; busyTimeoutMs?: number }
  | ({ backend: 'redis' } & RedisStoreOptions);

export const DEFAULT_SQLITE_FILE = 'odoo-middleware.sqlite';

/** `<userDir>/odoo-middleware.sqlite` when no path is set; a relative path is taken from the user dir. */
export function resolveSqlitePath(configured: string | undefined, userDir: string): string {
  const file = configured?.trim() ? configured.trim() : DEFAULT_SQLITE_FILE;
  if (file === ':memory:') return file;
  return path.resolve(userDir, file);
}

export function createStore(config: StoreConfig): MiddlewareStore {
  if (config.backend === 'sqlite') return createSqliteStore({ path: config.path, busyTimeoutMs: config.busyTimeoutMs });
  const { backend: _backend, ...redisOptions } = config;
  return createRedisStore(redisOptions);
}

export { createRedisStore, createSqliteStore };
export type { RedisStoreOptions } from './redis';
export type { SqliteStoreOptions } from './sqlite';
export * from './types';
