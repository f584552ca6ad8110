import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { toMiddlewareError } from './lib/errors';
import { publishRequest } from './lib/bus/message';
import { checkKey, checkName } from './lib/bus/validate';
import type { EventBus } from './lib/bus/types';
import { eventBusOf } from './lib/runtime/event-bus';
import { evaluateTypedInput } from './lib/runtime/typed-input';
import { cleared, failed, ok } from './lib/status';

interface EventPublishDef extends NodeDef {
  bus: string;
  topic: string;
  key: string;
  keyType: string;
}

export = (RED: NodeAPI): void => {
  function EventPublish(this: Node, def: EventPublishDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    let bus: EventBus | undefined;
    let setupError: Error | undefined;
    let published = 0;
    try {
      bus = eventBusOf(RED, def.bus, 'event-publish');
      if (def.topic) checkName(def.topic, 'topic');
    } catch (err) {
      setupError = toMiddlewareError(err);
      node.status(failed('configuration'));
      node.error(setupError);
    }

    node.on('input', (msg, send, done) => {
      if (!bus || setupError) {
        done(setupError);
        return;
      }
      const target = bus;
      const m = msg as NodeMessage & Record<string, unknown>;
      (async () => {
        const topic = checkName(def.topic || m.topic, 'topic');
        const key = checkKey(await evaluateTypedInput(RED, node, 'key', def.key, def.keyType || 'msg', msg), 'key');
        const event = await target.publish(publishRequest(m, topic, key));
        const info: Record<string, unknown> = { id: event.id, topic: event.topic, publishedAt: event.publishedAt };
        if (event.key !== undefined) info.key = event.key;
        m.event = info;
        return m;
      })().then(
        (out) => {
          published += 1;
          node.status(ok(`published ${published}`));
          send(out);
          done();
        },
        (err: unknown) => {
          const e = toMiddlewareError(err);
          node.status(failed(e.kind === 'validation' ? 'bad input' : 'bus unavailable'));
          done(e);
        },
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      node.status(cleared());
      done();
    });
  }

  RED.nodes.registerType('event-publish', EventPublish);
};
