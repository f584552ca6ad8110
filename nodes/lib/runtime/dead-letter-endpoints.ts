import type { NodeAPI } from 'node-red';
import { deadLetterRegistry } from '../dlq/registry';
import { mountDeadLetterRoutes, type AdminApp, type RouteHandler } from '../dlq/routes';

/** One set of endpoints per admin app, however many node modules ask for them. */
const mountedApps = new WeakSet<object>();

/**
 * The Dead letters sidebar's admin endpoints, shared by every node that parks letters (middleware-retry, odoo-write);
 * `view` is what a reader may see of a letter (masked), mounted by whichever node module loads first.
 */
export function mountDeadLetterEndpoints(RED: NodeAPI, view: <T>(body: T) => T): void {
  if (mountedApps.has(RED.httpAdmin)) return;
  mountedApps.add(RED.httpAdmin);
  mountDeadLetterRoutes(
    RED.httpAdmin as unknown as AdminApp,
    (permission) => RED.auth.needsPermission(permission) as unknown as RouteHandler,
    deadLetterRegistry,
    Date.now,
    view,
  );
}
