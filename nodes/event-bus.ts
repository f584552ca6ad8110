import * as os from 'node:os';
import * as path from 'node:path';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { toMiddlewareError } from './lib/errors';
import { createBus, DEFAULT_SQLITE_BUS_FILE, type BusConfig, type EventBus } from './lib/bus';
import { busUnavailable } from './lib/bus/errors';
import { redactAmqpUrl } from './lib/bus/rabbitmq';
import { redactRedisUrl } from './lib/store/redis';

interface EventBusDef extends NodeDef {
  backend: 'sqlite' | 'redis' | 'rabbitmq';
  path: string;
  url: string;
  db: string | number;
  keyPrefix: string;
  tls: boolean;
  amqpUrl: string;
  amqpPrefix: string;
}

interface EventBusCredentials {
  username: unknown;
  password: unknown;
}

/** What event nodes get from the config node: the one bus instance they share. */
interface EventBusNode extends Node<EventBusCredentials> {
  getBus(): EventBus;
}

const WARN_INTERVAL_MS = 30_000;

/** Stands in for a bus that could not be created, so every user fails with the reason. */
function unavailableBus(backend: EventBus['backend'], reason: Error): EventBus {
  const fail = (): Promise<never> => Promise.reject(busUnavailable(`Event bus unavailable: ${reason.message}`, { backend }));
  return { backend, keyOrderNative: false, publish: fail, consume: fail, stats: fail, durabilityWarnings: () => Promise.resolve([]), close: () => Promise.resolve() };
}

function credential(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The broker URL with the credentials of the node (kept out of the flow file) filled in. */
function amqpUrlWith(url: string, username: string | undefined, password: string | undefined): string {
  if (!username && !password) return url;
  const parsed = new URL(url);
  if (username) parsed.username = encodeURIComponent(username);
  if (password) parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

export = (RED: NodeAPI): void => {
  function EventBusConfig(this: EventBusNode, def: EventBusDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const backend = def.backend === 'redis' || def.backend === 'rabbitmq' ? def.backend : 'sqlite';
    const username = credential(node.credentials?.username);
    const password = credential(node.credentials?.password);
    let lastWarnAt = 0;
    // Connection errors repeat while a broker is down: one line per interval, not one per attempt.
    const onError = (where: string) => (err: Error): void => {
      const now = Date.now();
      if (now - lastWarnAt < WARN_INTERVAL_MS) return;
      lastWarnAt = now;
      node.warn(`event bus ${where}: ${err.message}`);
    };

    let bus: EventBus;
    try {
      let config: BusConfig;
      if (backend === 'sqlite') {
        const userDir = RED.settings.userDir ?? path.join(os.homedir(), '.node-red');
        config = { backend, path: path.resolve(userDir, def.path?.trim() || DEFAULT_SQLITE_BUS_FILE) };
      } else if (backend === 'redis') {
        const url = def.url || 'redis://127.0.0.1:6379';
        const db = def.db === '' || def.db === undefined ? 0 : Number(def.db);
        config = {
          backend,
          url,
          db: Number.isInteger(db) && db >= 0 ? db : 0,
          keyPrefix: def.keyPrefix || undefined,
          tls: def.tls === true,
          username,
          password,
          onError: onError(redactRedisUrl(url)),
        };
      } else {
        const url = def.amqpUrl || 'amqp://127.0.0.1:5672';
        config = { backend, url: amqpUrlWith(url, username, password), prefix: def.amqpPrefix || undefined, onError: onError(redactAmqpUrl(url)) };
      }
      bus = createBus(config);
    } catch (err) {
      const reason = toMiddlewareError(err);
      node.error(reason);
      bus = unavailableBus(backend, reason);
    }

    bus.durabilityWarnings().then(
      (warnings) => warnings.forEach((w) => node.warn(w)),
      () => undefined,
    );

    node.getBus = () => bus;

    node.on('close', (_removed: boolean, done: () => void) => {
      bus.close().then(
        () => done(),
        (err: unknown) => {
          node.warn(toMiddlewareError(err).message);
          done();
        },
      );
    });
  }

  RED.nodes.registerType('event-bus', EventBusConfig, {
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
    },
  });
};
