import type { Node, NodeAPI, NodeMessageInFlow } from 'node-red';
import type { SlaBreach } from './lib/ops/sla';
import { wireSlaNode, type SlaNodeDef } from './lib/runtime/sla';
import { failed } from './lib/status';

export = (RED: NodeAPI): void => {
  function SlaOpen(this: Node, def: SlaNodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    let opened = 0;
    let breached = 0;
    wireSlaNode(RED, node, def, {
      type: 'sla-open',
      defaultKey: 'payload.id',
      counts: () => (breached > 0 ? `${opened} opened, ${breached} breached` : `${opened} opened`),
      attach: (config, status) =>
        config.addBreachTarget(node.id, (breach: SlaBreach) => {
          breached += 1;
          status.show(failed(`${breached} breached`));
          const msg: Record<string, unknown> = { payload: { ...breach }, sla: breach, topic: breach.businessKey };
          if (breach.correlationId !== undefined) msg.correlationId = breach.correlationId;
          node.send([null, msg as NodeMessageInFlow]);
        }),
      handle: (monitor, key, msg) => {
        const correlationId = (msg as { correlationId?: unknown }).correlationId;
        return monitor.open(key, { correlationId: typeof correlationId === 'string' ? correlationId : undefined, nodeId: node.id, flowId: node.z });
      },
      deliver: (result, msg, send) => {
        if (result.opened) opened += 1;
        send([msg, null]);
      },
    });
  }

  RED.nodes.registerType('sla-open', SlaOpen);
};
