import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { toMiddlewareError } from './lib/errors';
import { EventSubscriber } from './lib/bus/subscriber';
import { checkName, integerSetting } from './lib/bus/validate';
import { deadLetterRegistry, type ReplayTarget } from './lib/dlq/registry';
import { parsePolicy } from './lib/retry/policy';
import { eventBusOf } from './lib/runtime/event-bus';
import { middlewareStoreOf } from './lib/runtime/middleware-store';
import { secondsSettingMs } from './lib/runtime/seconds';
import { cleared, failed, waiting } from './lib/status';

interface EventSubscribeDef extends NodeDef {
  bus: string;
  store: string;
  topic: string;
  group: string;
  concurrency: string | number;
  leaseSeconds: string | number;
  maxDeliveries: string | number;
  ordered: boolean;
  baseDelayMs: string | number;
  maxDelayMs: string | number;
}

export = (RED: NodeAPI): void => {
  function EventSubscribe(this: Node, def: EventSubscribeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    let subscriber: EventSubscriber | undefined;
    let target: ReplayTarget | undefined;
    let begin: (() => void) | undefined;

    try {
      const bus = eventBusOf(RED, def.bus, 'event-subscribe');
      const store = middlewareStoreOf(RED, def.store, 'event-subscribe');
      const active = new EventSubscriber({
        topic: checkName(def.topic, 'topic'),
        group: checkName(def.group, 'group'),
        concurrency: integerSetting(def.concurrency, 1, 1, 1000, 'concurrency'),
        leaseMs: secondsSettingMs(def.leaseSeconds, 30, 'event-subscribe', 'leaseSeconds'),
        maxDeliveries: integerSetting(def.maxDeliveries, 5, 1, 1000, 'maxDeliveries'),
        ordered: def.ordered === true,
        backoff: parsePolicy({ baseDelayMs: def.baseDelayMs, maxDelayMs: def.maxDelayMs }),
        bus,
        store,
        nodeId: node.id,
        flowId: node.z,
        consumer: `${os.hostname()}-${process.pid}-${node.id}`,
        now: Date.now,
        random: Math.random,
        newId: randomUUID,
        deliver: (msg) => node.send(msg as NodeMessageInFlow),
        status: (s) => node.status(s),
        reportError: (err, msg) => node.error(toMiddlewareError(err), msg as NodeMessageInFlow | undefined),
      });
      subscriber = active;
      target = { nodeId: node.id, store, enqueueReplay: (letter, letterStore) => active.enqueueReplay(letter, letterStore) };
      deadLetterRegistry.register(target);
      node.status(waiting('connecting'));
      // Pulling starts once every node of the flows exists: an event sent earlier would find no wire to travel.
      begin = () => {
        begin = undefined;
        active.start().catch((err: unknown) => {
          node.status(failed('bus unavailable'));
          node.error(toMiddlewareError(err));
        });
      };
      RED.events.once('flows:started', begin);
    } catch (err) {
      node.status(failed('configuration'));
      node.error(toMiddlewareError(err));
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      if (target) deadLetterRegistry.unregister(target);
      if (begin) RED.events.removeListener('flows:started', begin);
      (subscriber ? subscriber.close() : Promise.resolve()).then(
        () => {
          node.status(cleared());
          done();
        },
        (err: unknown) => {
          node.warn(toMiddlewareError(err).message);
          done();
        },
      );
    });
  }

  RED.nodes.registerType('event-subscribe', EventSubscribe);
};
