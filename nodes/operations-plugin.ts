/**
 * Node-RED plugin (type "odoo-middleware-operations"): the Operations sidebar and its endpoint
 * GET /odoo-middleware/operations; starts the anomaly monitor so the per-connection charts fill without an
 * ops-alert node.
 */
import type { NodeAPI } from 'node-red';
import { anomalyMonitor } from './lib/runtime/anomaly';
import { mountOperationsRoutes } from './lib/runtime/operations';

export = (RED: NodeAPI): void => {
  const definition: { type: string; onadd: () => void } = {
    type: 'odoo-middleware-operations',
    onadd: () => {
      anomalyMonitor(RED);
      mountOperationsRoutes(RED);
    },
  };
  RED.plugins.registerPlugin('odoo-middleware-operations', definition);
};
