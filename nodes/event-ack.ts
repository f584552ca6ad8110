import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { MiddlewareError, toMiddlewareError, ValidationError } from './lib/errors';
import { subscriberOf } from './lib/bus/subscriber';
import { cleared, failed, ok, waiting } from './lib/status';

interface EventAckDef extends NodeDef {
  action: 'ack' | 'nack';
}

export = (RED: NodeAPI): void => {
  function EventAck(this: Node, def: EventAckDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const nack = def.action === 'nack';
    let count = 0;

    node.on('input', (msg, send, done) => {
      const m = msg as NodeMessage & Record<string, unknown>;
      const event = m.event as Record<string, unknown> | undefined;
      if (!event || typeof event !== 'object' || typeof event.receipt !== 'string') {
        done(new ValidationError('msg.event.receipt is missing: wire this node after an event subscribe node (or a Catch node behind one)', { property: 'event' }));
        return;
      }
      const receipt = event.receipt;
      // A dead letter of a node behind the subscriber, replayed: the delivery it was parked from ended then (settled,
      // or delivered again by the bus after its lease), so nothing is left to settle.
      const replayOf = (m.retry as { replayOf?: unknown } | undefined)?.replayOf;
      const passReplay = (): void => {
        m.event = { ...event, outcome: 'replayed' };
        send(m);
        done();
      };
      const subscriber = subscriberOf(receipt);
      if (!subscriber) {
        if (typeof replayOf === 'string') {
          passReplay();
          return;
        }
        done(new MiddlewareError('lease_lost', `event ${String(event.id)} is not in hand any more: already settled, its lease ended, or its subscriber was redeployed`, { details: { eventId: event.id } }));
        return;
      }
      (nack ? subscriber.nack(receipt, m.error) : subscriber.ack(receipt)).then(
        (result) => {
          if (result.outcome === 'lease_lost' && typeof replayOf === 'string') {
            passReplay();
            return;
          }
          if (result.outcome === 'lease_lost') {
            node.status(failed('lease lost'));
            done(new MiddlewareError('lease_lost', `event ${String(event.id)}: its lease ended before it was settled; another member may handle it again`, { details: { eventId: event.id } }));
            return;
          }
          count += 1;
          m.event = { ...event, outcome: result.outcome };
          if (result.outcome === 'retry') {
            (m.event as Record<string, unknown>).retryInMs = result.delayMs;
            node.status(waiting(`nacked ${count}`));
          } else if (result.outcome === 'dead_lettered') {
            (m.event as Record<string, unknown>).deadLetterId = result.letterId;
            node.status(failed(`dead-lettered ${count}`));
          } else node.status(ok(`acked ${count}`));
          send(m);
          done();
        },
        (err: unknown) => {
          node.status(failed('bus unavailable'));
          done(toMiddlewareError(err));
        },
      );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      node.status(cleared());
      done();
    });
  }

  RED.nodes.registerType('event-ack', EventAck);
};
