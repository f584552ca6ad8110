/** Mounts the operations endpoints once per runtime, whichever of the package's node types loads first. */
import type { NodeAPI } from 'node-red';
import { deadLetterRegistry } from '../dlq/registry';
import { instruments } from '../ops/instruments';
import { middlewareMetrics } from '../ops/metrics';
import { mountAuditRoutes } from '../ops/audit/routes';
import { maskerFrom, type Masker, type MaskingSettings } from '../ops/masking';
import { mountMetricsRoutes, type OpsApp, type OpsHandler, type OpsSettings } from '../ops/routes';
import { opsStores } from '../ops/stores';

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
  const needsPermission = (permission: string) => RED.auth.needsPermission(permission) as unknown as OpsHandler;
  mountMetricsRoutes(RED.httpAdmin as unknown as OpsApp, needsPermission, middlewareMetrics, httpNode);
  mountAuditRoutes(RED.httpAdmin as unknown as OpsApp, needsPermission, opsStores, settingsMasker(RED));
}

/** The masker of the settings file's `odooMiddleware.masking`. */
export function settingsMasker(RED: NodeAPI): Masker {
  return maskerFrom((RED.settings as unknown as { odooMiddleware?: { masking?: MaskingSettings | boolean } }).odooMiddleware?.masking);
}
