/**
 * Admin HTTP endpoints behind the editor's Odoo pickers, mounted on Node-RED's `httpAdmin` so they honour
 * adminAuth: lists need `odoo-connection.read`, the live count too (it only reads). Errors carry a code and a
 * short message, never Odoo's traceback; the editor falls back to free text on any of them.
 */
import { toMiddlewareError } from '../errors';
import type { AdminApp, RouteHandler, RouteRequest, RouteResponse } from '../dlq/routes';
import type { OdooCatalog } from './catalog';

export const EDITOR_PATH = '/odoo-connection/:id';

function sendError(res: RouteResponse, err: unknown): void {
  const e = toMiddlewareError(err);
  const status = e.kind === 'not_deployed' ? 404 : e.kind === 'validation' ? 400 : e.kind === 'policy' ? 403 : 502;
  res.status(status).json({ error: { code: e.code, kind: e.kind, message: e.message } });
}

function handle(work: (req: RouteRequest) => Promise<unknown>): RouteHandler {
  return (req, res) => {
    let answer: Promise<unknown>;
    try {
      answer = work(req);
    } catch (err) {
      sendError(res, err);
      return;
    }
    answer.then(
      (body) => res.status(200).json(body),
      (err: unknown) => sendError(res, err),
    );
  };
}

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const refresh = (req: RouteRequest): boolean => req.query.refresh === '1' || req.query.refresh === 'true';

export function mountEditorRoutes(app: AdminApp, needsPermission: (permission: string) => RouteHandler, catalog: OdooCatalog): void {
  const read = needsPermission('odoo-connection.read');

  app.get(`${EDITOR_PATH}/models`, read, handle((req) => catalog.searchModels(req.params.id, text(req.query.q), refresh(req))));
  app.get(`${EDITOR_PATH}/fields`, read, handle((req) => catalog.fields(req.params.id, text(req.query.model), refresh(req))));
  app.get(`${EDITOR_PATH}/methods`, read, handle((req) => catalog.methods(req.params.id, text(req.query.model), refresh(req))));
  app.post(
    `${EDITOR_PATH}/count`,
    read,
    handle(async (req) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      return { count: await catalog.count(req.params.id, text(body.model), body.domain ?? []) };
    }),
  );
}
