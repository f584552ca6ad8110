/**
 * GET /odoo-middleware/operations: what the Operations sidebar shows, in one answer: per connection the last hour
 * of calls, errors, p95 latency and circuit state; the dead-letter backlog by error cluster; open and breached
 * SLAs; active alerts; paused connections.
 */
import type { NodeAPI } from 'node-red';
import type { Request, Response } from 'express';
import { listClusters } from '../dlq/clusters';
import { deadLetterRegistry } from '../dlq/registry';
import { slaRegistry } from '../ops/sla';
import { anomalyMonitor } from './anomaly';
import { settingsMasker } from './ops';

export const OPERATIONS_PATH = '/odoo-middleware/operations';
export const OPERATIONS_PERMISSION = 'odoo-middleware.operations.read';
/** Clusters and SLA keys listed; the sidebar shows totals beside them. */
const MAX_LISTED = 20;

interface ConnectionNode {
  client?: { circuitState?: string };
  /** Present where the connection can pause after repeated authentication failures. */
  paused?: () => { since: number; reason: string } | undefined;
}

export async function operationsSnapshot(RED: NodeAPI): Promise<Record<string, unknown>> {
  const monitor = anomalyMonitor(RED);
  const snapshot = monitor.snapshot();
  const history = new Map(snapshot.connections.map((c) => [c.id, c]));
  const connections: Array<Record<string, unknown>> = [];
  (RED.nodes as unknown as { eachNode(cb: (n: { id: string; type: string; name?: string }) => void): void }).eachNode((n) => {
    if (n.type !== 'odoo-connection') return;
    const deployed = RED.nodes.getNode(n.id) as unknown as ConnectionNode | null;
    connections.push({
      id: n.id,
      name: n.name || n.id,
      circuit: deployed?.client?.circuitState,
      pausable: typeof deployed?.paused === 'function',
      paused: deployed?.paused?.() ?? null,
      windows: history.get(n.id)?.windows ?? [],
    });
  });
  const stores = deadLetterRegistry.stores();
  // Cluster examples are dead-letter error texts: masked like the dead-letter endpoints.
  const masker = settingsMasker(RED);
  const deadLetters = stores.length > 0 ? await listClusters(stores, { status: 'dead' }).catch((err: unknown) => ({ error: String(err instanceof Error ? err.message : err) })) : undefined;
  const slas = (await slaRegistry.figures()).map((f) =>
    'items' in f ? { ...f, items: f.items.filter((i) => i.breached).concat(f.items.filter((i) => !i.breached)).slice(0, MAX_LISTED) } : f,
  );
  return {
    windowMs: snapshot.windowMs,
    connections,
    alerts: snapshot.alerts,
    backlog: snapshot.backlog ?? null,
    deadLetters: deadLetters && 'clusters' in deadLetters ? masker.maskValue({ ...deadLetters, clusters: deadLetters.clusters.slice(0, MAX_LISTED) }) : deadLetters ?? null,
    slas,
  };
}

const mountedApps = new WeakSet<object>();

export function mountOperationsRoutes(RED: NodeAPI): void {
  if (!RED.httpAdmin || mountedApps.has(RED.httpAdmin)) return;
  mountedApps.add(RED.httpAdmin);
  RED.httpAdmin.get(OPERATIONS_PATH, RED.auth.needsPermission(OPERATIONS_PERMISSION), (_req: Request, res: Response) => {
    operationsSnapshot(RED).then(
      (body) => res.json(body),
      (err: unknown) => res.status(500).json({ code: 'MW_INTERNAL', message: err instanceof Error ? err.message : String(err) }),
    );
  });
}
