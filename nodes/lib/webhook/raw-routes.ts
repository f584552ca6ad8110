/**
 * Keeps the raw request stream for webhook-in routes. When the editor and the HTTP endpoints share a root (the
 * default, both on "/"), the admin app's JSON parser runs first and would consume every JSON body, leaving nothing
 * to check a signature over. A middleware at the very top of the root app marks webhook-in requests as already
 * parsed (`_body`), which every body-parser honours, so the stream reaches webhook-in untouched. Node-RED 4.1's own
 * http in node uses the same place for its raw-body option.
 */
interface RawRequest {
  method: string;
  url: string;
  _parsedUrl?: { pathname?: string | null };
  _body?: boolean;
  /** Set here: the `_body` flag is ours, the stream is still unread. */
  webhookRaw?: boolean;
}

type Middleware = (req: RawRequest, res: unknown, next: () => void) => void;

interface Layer {
  handle: unknown;
}

export interface ExpressApp {
  parent?: ExpressApp;
  path(): string;
  use(middleware: Middleware): unknown;
  _router?: { stack: Layer[] };
  router?: { stack: Layer[] };
}

const routes = new Map<string, number>();
const installed = new WeakSet<object>();

export function routeKey(method: string, url: string): string {
  return `${method.toUpperCase()}:${url.replace(/\/{2,}/g, '/').replace(/(.)\/$/, '$1')}`;
}

const markRaw: Middleware = (req, _res, next) => {
  const pathname = req._parsedUrl?.pathname ?? req.url.split('?')[0];
  if (routes.has(routeKey(req.method, pathname))) {
    req._body = true;
    req.webhookRaw = true;
  }
  next();
};

function rootOf(app: ExpressApp): ExpressApp {
  return app.parent ? rootOf(app.parent) : app;
}

/** Registers `method path` (relative to the app's mount path); returns the function that unregisters it. */
export function keepRawBody(app: ExpressApp, method: string, path: string): () => void {
  const root = rootOf(app);
  if (!installed.has(root)) {
    root.use(markRaw);
    // Express 4 keeps the stack in `_router`, Express 5 in `router` (whose Express 4 getter throws, hence the order).
    const stack = (root._router ?? root.router)?.stack;
    const index = stack ? stack.findIndex((layer) => layer.handle === markRaw) : -1;
    if (stack && index > 0) stack.unshift(...stack.splice(index, 1));
    installed.add(root);
  }
  const key = routeKey(method, `${app.path()}/${path}`);
  routes.set(key, (routes.get(key) ?? 0) + 1);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    const left = (routes.get(key) ?? 1) - 1;
    if (left > 0) routes.set(key, left);
    else routes.delete(key);
  };
}

/** True when something other than webhook-in already read the body (a parser in httpNodeMiddleware, say). */
export function bodyConsumed(req: RawRequest & { readableEnded?: boolean }): boolean {
  return req.readableEnded === true || (req._body === true && req.webhookRaw !== true);
}
