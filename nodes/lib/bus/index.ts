/** One entry point for the bus backends; the event-bus config node picks one and shares the instance. */
import { createRabbitBus, type RabbitBusOptions } from './rabbitmq';
import { createRedisBus, type RedisBusOptions } from './redis';
import { createSqliteBus, type SqliteBusOptions } from './sqlite';
import type { EventBus } from './types';

export type BusConfig =
  | ({ backend: 'sqlite' } & SqliteBusOptions)
  | ({ backend: 'redis' } & RedisBusOptions)
  | ({ backend: 'rabbitmq' } & RabbitBusOptions);

export const DEFAULT_SQLITE_BUS_FILE = 'odoo-middleware-events.sqlite';

export function createBus(config: BusConfig): EventBus {
  if (config.backend === 'sqlite') return createSqliteBus(config);
  if (config.backend === 'redis') return createRedisBus(config);
  return createRabbitBus(config);
}

export { createRabbitBus, createRedisBus, createSqliteBus };
export * from './types';
