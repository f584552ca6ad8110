import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { toMiddlewareError } from './lib/errors';
import { checkName, integerSetting } from './lib/bus/validate';
import { parsePolicy } from './lib/retry/policy';
import { attachSubscriber, eventBusOf, type AttachedSubscriber } from './lib/runtime/event-bus';
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
    let attached: AttachedSubscriber | undefined;

    try {
      attached = attachSubscriber(RED, node, {
        topic: checkName(def.topic, 'topic'),
        group: checkName(def.group, 'group'),
        concurrency: integerSetting(def.concurrency, 1, 1, 1000, 'concurrency'),
        leaseMs: secondsSettingMs(def.leaseSeconds, 30, 'event-subscribe', 'leaseSeconds'),
        maxDeliveries: integerSetting(def.maxDeliveries, 5, 1, 1000, 'maxDeliveries'),
        ordered: def.ordered === true,
        backoff: parsePolicy({ baseDelayMs: def.baseDelayMs, maxDelayMs: def.maxDelayMs }),
        bus: eventBusOf(RED, def.bus, 'event-subscribe'),
        store: middlewareStoreOf(RED, def.store, 'event-subscribe'),
        deliver: (msg) => node.send(msg as NodeMessageInFlow),
        status: (s) => node.status(s),
      });
      node.status(waiting('connecting'));
    } catch (err) {
      node.status(failed('configuration'));
      node.error(toMiddlewareError(err));
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      (attached ? attached.detach() : Promise.resolve()).then(
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
