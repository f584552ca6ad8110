/** The process's anomaly monitor on the Node-RED runtime: its hooks, its odoo-connection lookups, the DLQ stores. */
import type { NodeAPI } from 'node-red';
import { deadLetterRegistry } from '../dlq/registry';
import { AnomalyMonitor, type AnomalySettings, type MonitorHost } from '../ops/anomaly-monitor';

interface FlowConfig {
  id: string;
  type: string;
  name?: string;
  connection?: unknown;
}

/** What the typings of NodeAPI leave out and this needs. */
interface RuntimeApi {
  hooks: MonitorHost['hooks'];
  events?: { on(event: string, listener: () => void): void; removeListener(event: string, listener: () => void): void };
  nodes: { eachNode(cb: (n: FlowConfig) => void): void; getNode(id: string): unknown };
  settings: { odooMiddleware?: { anomaly?: AnomalySettings } };
}

let current: { runtime: object; monitor: AnomalyMonitor; forget: () => void } | undefined;

/**
 * The monitor of this runtime, started on first use. Each node module gets its own RED object but they share
 * the runtime's settings object, so that tells one runtime from another (a test runtime started again).
 */
export function anomalyMonitor(RED: NodeAPI): AnomalyMonitor {
  const runtime = RED.settings as unknown as object;
  if (current?.runtime === runtime) return current.monitor;
  current?.monitor.stop();
  current?.forget();
  const api = RED as unknown as RuntimeApi;
  let connections: Map<string, { id: string; name: string }> | undefined;
  const index = (): Map<string, { id: string; name: string }> => {
    const configs = new Map<string, FlowConfig>();
    api.nodes.eachNode((n) => configs.set(n.id, n));
    const map = new Map<string, { id: string; name: string }>();
    for (const n of configs.values()) {
      const target = typeof n.connection === 'string' ? configs.get(n.connection) : undefined;
      if (target?.type === 'odoo-connection') map.set(n.id, { id: target.id, name: target.name || target.id });
    }
    return map;
  };
  const forgetConnections = (): void => {
    connections = undefined;
  };
  api.events?.on('flows:started', forgetConnections);
  const monitor = new AnomalyMonitor(
    {
      hooks: api.hooks,
      connectionOf: (nodeId) => (connections ??= index()).get(nodeId),
      circuitOf: (id) => (api.nodes.getNode(id) as { client?: { circuitState?: string } } | null)?.client?.circuitState,
      stores: () => deadLetterRegistry.stores(),
    },
    api.settings.odooMiddleware?.anomaly ?? {},
  );
  if (api.settings.odooMiddleware?.anomaly?.enabled !== false) monitor.start();
  current = { runtime, monitor, forget: () => api.events?.removeListener('flows:started', forgetConnections) };
  return monitor;
}
