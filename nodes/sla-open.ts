import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { MiddlewareError, toMiddlewareError } from './lib/errors';
import type { SlaBreach } from './lib/ops/sla';
import { slaConfigOf, slaKeyReader } from './lib/runtime/sla';
import { throttledStatus } from './lib/runtime/throttled-status';
import { cleared, failed, idle } from './lib/status';

interface SlaOpenDef extends NodeDef {
  sla: string;
  key: string;
  keyType: string;
}

const STATUS_INTERVAL_MS = 500;

export = (RED: NodeAPI): void => {
  function SlaOpen(this: Node, def: SlaOpenDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const readKey = slaKeyReader(RED, node, def, 'payload.id', 'sla-open');
    let setupError: MiddlewareError | undefined;
    let removeTarget: (() => void) | undefined;
    let opened = 0;
    let breached = 0;
    const status = throttledStatus(node, STATUS_INTERVAL_MS, () => (breached > 0 ? `${opened} opened, ${breached} breached` : `${opened} opened`));

    let config: ReturnType<typeof slaConfigOf> | undefined;
    try {
      config = slaConfigOf(RED, def.sla, 'sla-open');
      if (config.setupError) throw config.setupError;
      removeTarget = config.addBreachTarget(node.id, (breach: SlaBreach) => {
        breached += 1;
        status.show(failed(`${breached} breached`));
        const msg: Record<string, unknown> = { payload: { ...breach }, sla: breach, topic: breach.businessKey };
        if (breach.correlationId !== undefined) msg.correlationId = breach.correlationId;
        node.send([null, msg as NodeMessageInFlow]);
      });
      node.status(idle(config.monitor?.name ?? 'sla'));
    } catch (err) {
      setupError = toMiddlewareError(err);
      node.status(failed('configuration'));
      node.error(setupError);
    }

    node.on('input', (msg: NodeMessageInFlow, send, done) => {
      const monitor = config?.monitor;
      if (!monitor) {
        done(setupError);
        return;
      }
      const carrier = msg as NodeMessageInFlow & { sla?: unknown; correlationId?: unknown };
      readKey(msg)
        .then((key) =>
          monitor.open(key, {
            correlationId: typeof carrier.correlationId === 'string' ? carrier.correlationId : undefined,
            nodeId: node.id,
            flowId: node.z,
          }),
        )
        .then(
          (result) => {
            carrier.sla = result;
            if (result.opened) opened += 1;
            status.update();
            send([msg, null]);
            done();
          },
          (err: unknown) => {
            const error = toMiddlewareError(err);
            status.show(failed(error.kind === 'store_unavailable' ? 'store unavailable' : error.kind));
            done(error);
          },
        );
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      removeTarget?.();
      status.show(cleared());
      done();
    });
  }

  RED.nodes.registerType('sla-open', SlaOpen);
};
