import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import { toMiddlewareError, ValidationError } from '../errors';
import type { OdooClient } from '../odoo/types';
import { cleared, failed, type NodeStatus } from '../status';
import type { OdooConnectionNode } from './connection';
import { statusForCircuit, statusForError, withConnectionNotice } from './odoo-status';

export type OdooMessage = NodeMessageInFlow & Record<string, unknown>;
export type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;

/**
 * The wiring odoo-read and odoo-write share: the connection's circuit state shown on the node; each message
 * handled with the connection's client, its result shown by `statusOf` and a failure reaching done(err) under a
 * red ring; on close the circuit subscription dropped and the status cleared.
 */
export function handleWithConnection<T>(
  RED: NodeAPI,
  node: Node,
  type: string,
  connectionId: string,
  handle: (client: OdooClient, msg: OdooMessage, send: Send) => Promise<T>,
  statusOf: (result: T) => NodeStatus,
): void {
  const connection = RED.nodes.getNode(connectionId) as OdooConnectionNode | null;
  // Every status carries the connection's environment label and key warning; `shown` is re-decorated when they change.
  let shown: NodeStatus = cleared();
  const show = (status: NodeStatus) => {
    shown = status;
    node.status(connection ? withConnectionNotice(status, { environment: connection.environment, keyExpiry: connection.keyExpiry?.() }) : status);
  };
  const unsubscribe = connection?.onCircuitChange((state) => show(statusForCircuit(state)));
  const unsubscribeKey = connection?.onKeyExpiry?.(() => show(shown));
  if (!connection) node.status(failed('no connection'));
  else show(cleared());

  const run = async (msg: OdooMessage, send: Send): Promise<T> => {
    if (!connection?.client) throw new ValidationError(`${type} has no odoo-connection configured: open the node and pick a connection`, { property: 'connection' });
    return handle(connection.client, msg, send);
  };

  node.on('input', (msg, send, done) => {
    run(msg as OdooMessage, send).then(
      (result) => {
        show(statusOf(result));
        done();
      },
      (err: unknown) => {
        show(statusForError(err));
        done(toMiddlewareError(err));
      },
    );
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    unsubscribe?.();
    unsubscribeKey?.();
    node.status(cleared());
    done();
  });
}
