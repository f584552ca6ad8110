import type { Node, NodeAPI } from 'node-red';
import { wireSlaNode, type SlaNodeDef } from './lib/runtime/sla';

export = (RED: NodeAPI): void => {
  function SlaClose(this: Node, def: SlaNodeDef) {
    RED.nodes.createNode(this, def);
    let inTime = 0;
    let late = 0;
    wireSlaNode(RED, this, def, {
      type: 'sla-close',
      defaultKey: 'sla.key',
      counts: () => (late > 0 ? `${inTime} in time, ${late} late` : `${inTime} in time`),
      handle: (monitor, key) => monitor.close(key),
      deliver: (result, msg, send) => {
        if (result.found && result.withinDeadline) inTime += 1;
        else if (result.found) late += 1;
        send(msg);
      },
    });
  }

  RED.nodes.registerType('sla-close', SlaClose);
};
