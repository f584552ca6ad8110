import type { NodeAPI } from 'node-red';
import type { AdminApp, RouteHandler } from '../dlq/routes';
import { OdooCatalog } from '../editor/catalog';
import { mountEditorRoutes } from '../editor/routes';
import type { OdooConnectionNode } from './connection';

/** One catalog and one set of picker endpoints per admin app, however many times the module function runs. */
const catalogs = new WeakMap<object, OdooCatalog>();

export function editorCatalog(RED: NodeAPI): OdooCatalog {
  let catalog = catalogs.get(RED.httpAdmin);
  if (!catalog) {
    catalog = new OdooCatalog({ clientOf: (id) => (RED.nodes.getNode(id) as OdooConnectionNode | null)?.client ?? undefined });
    catalogs.set(RED.httpAdmin, catalog);
    mountEditorRoutes(RED.httpAdmin as unknown as AdminApp, (permission) => RED.auth.needsPermission(permission) as unknown as RouteHandler, catalog);
  }
  return catalog;
}
