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
  const unsubscribePause = connection?.onPauseChange?.((paused) => show(paused ? failed('paused: credentials') : cleared()));
  if (!connection) node.status(failed('no connection'));
  else show(connection.paused?.() ? failed('paused: credentials') : cleared());

  const run = async (msg: OdooMessage, send: Send): Promise<T> => {
    if (!connection?.client) throw new ValidationError(`${type} has no odoo-connection configured: open the node and pick a connection`, { property: 'connection' });
    return handle(connection.client, msg, send);
  };

  // Node-RED logs the message of every failure: Odoo quotes values (a domain's e-mail) in its errors.
  const masked = (err: Error): Error => {
    const text = connection?.maskText?.(err.message) ?? err.message;
    if (text !== err.message) {
      err.stack = err.stack?.replace(err.message, text);
      err.message = text;
    }
    return err;
  };

  node.on('input', (msg, send, done) => {
    run(msg as OdooMessage, send).then(
      (result) => {
        show(statusOf(result));
        done();
      },
      (err: unknown) => {
        show(statusForError(err));
        done(masked(toMiddlewareError(err)));
      },
    );
  });

  node.on('close', (_removed: boolean, done: () => void) => {
    unsubscribe?.();
    unsubscribeKey?.();
    unsubscribePause?.();
    node.status(cleared());
    done();
  });
}
