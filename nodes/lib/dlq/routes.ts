/**
 * Admin HTTP endpoints of the dead-letter queue, mounted on Node-RED's `httpAdmin` so they honour adminAuth:
 * GET needs `middleware-retry.read`, actions need `middleware-retry.write`.
 */
import { toMiddlewareError } from '../errors';
import { listClusters } from './clusters';
import type { DeadLetterRegistry } from './registry';
import {
  discardLetters,
  findLetter,
  listLetters,
  parseIds,
  parseListQuery,
  parseOlderThanDays,
  purgeLetters,
  replayLetters,
  type ReplayResult,
} from './service';

export const DEAD_LETTERS_PATH = '/odoo-middleware/dead-letters';

export interface RouteRequest {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body?: unknown;
}

export interface RouteResponse {
  status(code: number): RouteResponse;
  json(body: unknown): unknown;
}

export type RouteHandler = (req: RouteRequest, res: RouteResponse, next: (err?: unknown) => void) => void;

export interface AdminApp {
  get(path: string, ...handlers: RouteHandler[]): unknown;
  post(path: string, ...handlers: RouteHandler[]): unknown;
}

function sendError(res: RouteResponse, err: unknown): void {
  const e = toMiddlewareError(err);
  const status = e.kind === 'validation' ? 400 : e.retryable ? 503 : 500;
  res.status(status).json({ code: e.code, message: e.message });
}

function handle(work: (req: RouteRequest) => Promise<{ status: number; body: unknown }>): RouteHandler {
  return (req, res) => {
    work(req).then(
      (out) => res.status(out.status).json(out.body),
      (err: unknown) => sendError(res, err),
    );
  };
}

/** 200 when anything was queued or nothing went wrong; otherwise 409 for conflicts, 404 for unknown ids. */
function replayStatus(result: ReplayResult): { status: number; body: unknown } {
  if (result.queued.length > 0 || (result.conflicts.length === 0 && result.notFound.length === 0)) return { status: 200, body: result };
  if (result.conflicts.length > 0) return { status: 409, body: { ...result, message: result.conflicts[0].message } };
  return { status: 404, body: { ...result, message: `dead letter ${result.notFound[0]} not found` } };
}

export function mountDeadLetterRoutes(
  app: AdminApp,
  needsPermission: (permission: string) => RouteHandler,
  registry: DeadLetterRegistry,
  now: () => number = Date.now,
  /** What a reader may see of a letter (PII masked); replays always use the stored original. */
  view: <T>(body: T) => T = (body) => body,
): void {
  const read = needsPermission('middleware-retry.read');
  const write = needsPermission('middleware-retry.write');

  app.get(DEAD_LETTERS_PATH, read, handle(async (req) => ({ status: 200, body: view(await listLetters(registry, parseListQuery(req.query))) })));
  // Before `/:id`, which would take "clusters" for an id.
  app.get(`${DEAD_LETTERS_PATH}/clusters`, read, handle(async (req) => ({ status: 200, body: view(await listClusters(registry.stores(), parseListQuery(req.query))) })));

  app.get(
    `${DEAD_LETTERS_PATH}/:id`,
    read,
    handle(async (req) => {
      const found = await findLetter(registry, req.params.id);
      if (!found) return { status: 404, body: { code: 'MW_NOT_FOUND', message: `dead letter ${req.params.id} not found` } };
      return { status: 200, body: view(found.letter) };
    }),
  );

  app.post(`${DEAD_LETTERS_PATH}/replay`, write, handle(async (req) => replayStatus(await replayLetters(registry, parseIds(req.body)))));
  app.post(`${DEAD_LETTERS_PATH}/:id/replay`, write, handle(async (req) => replayStatus(await replayLetters(registry, [req.params.id]))));

  app.post(
    `${DEAD_LETTERS_PATH}/discard`,
    write,
    handle(async (req) => ({ status: 200, body: await discardLetters(registry, parseIds(req.body), now()) })),
  );
  app.post(
    `${DEAD_LETTERS_PATH}/:id/discard`,
    write,
    handle(async (req) => {
      const result = await discardLetters(registry, [req.params.id], now());
      return { status: result.discarded.length > 0 ? 200 : 404, body: result };
    }),
  );

  app.post(
    `${DEAD_LETTERS_PATH}/purge`,
    write,
    handle(async (req) => ({ status: 200, body: await purgeLetters(registry, parseOlderThanDays(req.body), now()) })),
  );
}
