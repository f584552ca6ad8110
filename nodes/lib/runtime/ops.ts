/** Mounts the operations endpoints once per runtime, whichever of the package's node types loads first. */
import type { NodeAPI } from 'node-red';
import { deadLetterRegistry } from '../dlq/registry';
import { instruments } from '../ops/instruments';
import { middlewareMetrics } from '../ops/metrics';
import { mountMetricsRoutes, type OpsApp, type OpsHandler, type OpsSettings } from '../ops/routes';

const mountedApps = new WeakSet<object>();
let deadLettersWatched = false;

export function installOps(RED: NodeAPI): void {
  if (!deadLettersWatched) {
    deadLettersWatched = true;
    instruments.watchDeadLetters(() => deadLetterRegistry.stores());
  }
  if (!RED.httpAdmin || mountedApps.has(RED.httpAdmin)) return;
  mountedApps.add(RED.httpAdmin);
  const settings = ((RED.settings as unknown as { odooMiddleware?: OpsSettings }).odooMiddleware ?? {}) as OpsSettings;
  const httpNode = settings.metricsOnHttpNode === true && RED.httpNode ? (RED.httpNode as unknown as OpsApp) : undefined;
  mountMetricsRoutes(
    RED.httpAdmin as unknown as OpsApp,
    (permission) => RED.auth.needsPermission(permission) as unknown as OpsHandler,
    middlewareMetrics,
    httpNode,
  );
}
