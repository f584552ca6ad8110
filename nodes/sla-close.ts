import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { MiddlewareError, toMiddlewareError } from './lib/errors';
import { slaConfigOf, slaKeyReader } from './lib/runtime/sla';
import { throttledStatus } from './lib/runtime/throttled-status';
import { cleared, failed, idle } from './lib/status';

interface SlaCloseDef extends NodeDef {
  sla: string;
  key: string;
  keyType: string;
}

const STATUS_INTERVAL_MS = 500;

export = (RED: NodeAPI): void => {
  function SlaClose(this: Node, def: SlaCloseDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const readKey = slaKeyReader(RED, node, def, 'sla.key', 'sla-close');
    let setupError: MiddlewareError | undefined;
    let inTime = 0;
    let late = 0;
    const status = throttledStatus(node, STATUS_INTERVAL_MS, () => (late > 0 ? `${inTime} in time, ${late} late` : `${inTime} in time`));

    let config: ReturnType<typeof slaConfigOf> | undefined;
    try {
      config = slaConfigOf(RED, def.sla, 'sla-close');
      if (config.setupError) throw config.setupError;
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
      readKey(msg)
        .then((key) => monitor.close(key))
        .then(
          (result) => {
            (msg as NodeMessageInFlow & { sla?: unknown }).sla = result;
            if (result.found && result.withinDeadline) inTime += 1;
            else if (result.found) late += 1;
            status.update();
            send(msg);
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
      status.show(cleared());
      done();
    });
  }

  RED.nodes.registerType('sla-close', SlaClose);
};
