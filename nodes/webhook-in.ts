import type { ValidateFunction } from 'ajv';
import type { Request, RequestHandler, Response } from 'express';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { MiddlewareStore } from './lib/store/types';
import { failed, idle, ok, cleared } from './lib/status';
import { MemoryReplayGuard, ReplayGuard, StoreReplayGuard } from './lib/webhook/replay';
import { compileSchema, DEFAULT_MAX_BODY_BYTES, ReceiveOutcome, WebhookReceiver, WebhookRejection } from './lib/webhook/receiver';
import { DEFAULT_STRIPE_TOLERANCE_SEC, SIGNATURE_SCHEMES, SignatureScheme } from './lib/webhook/signatures';
import { bodyConsumed, keepRawBody, type ExpressApp } from './lib/webhook/raw-routes';
import { DEFAULT_MAX_JSON_DEPTH } from './lib/http/json-depth';

type Method = 'post' | 'put' | 'patch' | 'delete';

interface WebhookInDef extends NodeDef {
  path: string;
  /** Name of an environment variable holding the secret when the credential is blank. */
  secretEnv?: string;
  method: Method;
  scheme: SignatureScheme;
  hmacAlgorithm: 'sha256' | 'sha512';
  hmacEncoding: 'hex' | 'base64';
  hmacHeader: string;
  hmacPrefix: string;
  tolerance: string | number;
  replay: boolean;
  store: string;
  deliveryIdHeader: string;
  replayTtl: string | number;
  duplicateStatus: string | number;
  maxBody: string | number;
  maxDepth: string | number;
  contentTypes: string;
  schema: string;
  responseMode: 'ack' | 'flow';
  responseTimeout: string | number;
  rawBody: boolean;
}

interface WebhookInCredentials {
  secret?: string;
  previousSecret?: string;
}

interface StoreConfigNode extends Node {
  getStore(): MiddlewareStore;
}

const METHODS: readonly Method[] = ['post', 'put', 'patch', 'delete'];

/** The same wrapper shape as the core http in node, so the core http response node answers through `_res`. */
const RESPONSE_METHODS = ['append', 'attachment', 'cookie', 'clearCookie', 'download', 'end', 'format', 'get', 'json', 'jsonp', 'links', 'location', 'redirect', 'render', 'send', 'sendfile', 'sendFile', 'sendStatus', 'set', 'status', 'type', 'vary'] as const;

function responseWrapper(res: Response): Record<string, unknown> {
  const wrapper: Record<string, unknown> = { _res: res };
  for (const name of RESPONSE_METHODS) {
    wrapper[name] = (...args: unknown[]) => {
      // Express response methods have differing signatures; the wrapper forwards whatever the flow passes.
      const result = (res as unknown as Record<string, (...a: unknown[]) => unknown>)[name](...args);
      return result === res ? wrapper : result;
    };
  }
  return wrapper;
}

function numberOr(value: unknown, fallback: number, min: number): number {
  const n = Number(value);
  return value === '' || value === undefined || !Number.isFinite(n) || n < min ? fallback : n;
}

function sendError(res: Response, status: number, code: string, message: string, details?: unknown): void {
  if (res.headersSent) return;
  const error: Record<string, unknown> = { code, message };
  if (details !== undefined) error.details = details;
  res.status(status).json({ error });
}

export = (RED: NodeAPI): void => {
  function WebhookIn(this: Node<WebhookInCredentials>, def: WebhookInDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const method: Method = METHODS.includes(def.method) ? def.method : 'post';
    const path = def.path ? (def.path.startsWith('/') ? def.path : `/${def.path}`) : '';
    const scheme: SignatureScheme = SIGNATURE_SCHEMES.includes(def.scheme) ? def.scheme : 'none';
    const responseMode = def.responseMode === 'flow' ? 'flow' : 'ack';
    const responseTimeoutMs = numberOr(def.responseTimeout, 30, 0) * 1000;
    const duplicateStatus = Number(def.duplicateStatus) === 409 ? 409 : 200;
    const pending = new Set<NodeJS.Timeout>();
    let accepted = 0;
    let rejected = 0;

    if (!path) {
      node.status(failed('no path'));
      node.error('path is required, e.g. /hooks/orders');
      return;
    }

    let validate: ValidateFunction | undefined;
    if (def.schema && def.schema.trim() !== '') {
      try {
        validate = compileSchema(JSON.parse(def.schema));
      } catch (err: unknown) {
        node.status(failed('invalid schema'));
        node.error(`schema is not a valid JSON Schema: ${err instanceof Error ? err.message : String(err)}`);
        return;
      }
    }

    const replayTtlMs = numberOr(def.replayTtl, 86_400, 1) * 1000;
    let memoryGuard: MemoryReplayGuard | undefined;
    const replay: ReplayGuard | undefined = def.replay
      ? {
          firstSeen: (id, fingerprint, now) => {
            const config = def.store ? (RED.nodes.getNode(def.store) as StoreConfigNode | null) : null;
            if (config && typeof config.getStore === 'function') {
              return new StoreReplayGuard(config.getStore(), `webhook:${node.id}`, replayTtlMs).firstSeen(id, fingerprint, now);
            }
            memoryGuard ??= new MemoryReplayGuard(replayTtlMs);
            return memoryGuard.firstSeen(id, fingerprint, now);
          },
        }
      : undefined;

    const credentials = node.credentials ?? {};
    // A signed webhook without its secret answers 500 to every call: the status says why from the start.
    const secretProblem =
      scheme !== 'none' && !credentials.secret && !envSecret(def.secretEnv) ? (def.secretEnv?.trim() ? `${def.secretEnv.trim()} not set` : 'no secret set') : undefined;
    const receiver = new WebhookReceiver({
      signature: {
        scheme,
        secrets: [credentials.secret || envSecret(def.secretEnv), credentials.previousSecret ?? ''],
        hmac: {
          algorithm: def.hmacAlgorithm === 'sha512' ? 'sha512' : 'sha256',
          encoding: def.hmacEncoding === 'base64' ? 'base64' : 'hex',
          header: def.hmacHeader?.trim() || 'X-Signature',
          prefix: def.hmacPrefix ?? '',
        },
        toleranceSec: numberOr(def.tolerance, DEFAULT_STRIPE_TOLERANCE_SEC, 0),
      },
      maxBodyBytes: numberOr(def.maxBody, DEFAULT_MAX_BODY_BYTES, 1),
      maxJsonDepth: Math.floor(numberOr(def.maxDepth, DEFAULT_MAX_JSON_DEPTH, 1)),
      contentTypes: (def.contentTypes || 'application/json').split(',').map((t) => t.trim()).filter(Boolean),
      validate,
      deliveryIdHeader: def.deliveryIdHeader,
      replay,
    });

    const reject = (res: Response, error: WebhookRejection): void => {
      rejected++;
      node.status(failed(secretProblem ? `${secretProblem} · rejected ${rejected}` : `rejected ${rejected}`));
      // The body is never logged: it may hold personal data and it failed our checks.
      node.warn(`${method.toUpperCase()} ${path}: ${error.status} ${error.code}: ${error.logMessage}`);
      sendError(res, error.status, error.code, error.message, error.cause.errors);
    };

    const answer = (req: Request, res: Response, outcome: ReceiveOutcome): void => {
      if (outcome.kind === 'rejected') {
        reject(res, outcome.error);
        return;
      }
      res.set('X-Correlation-ID', outcome.correlationId);
      if (outcome.kind === 'duplicate') {
        rejected++;
        node.status(failed(`rejected ${rejected}`));
        if (duplicateStatus === 409) {
          sendError(res, 409, 'WEBHOOK_DUPLICATE', `delivery ${outcome.webhook.deliveryId} was already received`);
        } else {
          res.status(200).json({ accepted: true, duplicate: true, correlationId: outcome.correlationId });
        }
        return;
      }
      accepted++;
      node.status(ok(`accepted ${accepted} · rejected ${rejected}`));
      // Like the core http in node: Node >= 15 computes req.headers lazily and hides it from the debug sidebar.
      Object.defineProperty(req, 'headers', { value: req.headers, enumerable: true });
      const msg: Record<string, unknown> = {
        _msgid: RED.util.generateId(),
        payload: outcome.payload,
        webhook: outcome.webhook,
        correlationId: outcome.correlationId,
      };
      if (def.rawBody) msg.rawBody = outcome.rawBody;
      if (responseMode === 'flow') {
        req.body = outcome.payload;
        msg.req = req;
        msg.res = responseWrapper(res);
        if (responseTimeoutMs > 0) {
          const timer = setTimeout(() => {
            pending.delete(timer);
            node.warn(`${method.toUpperCase()} ${path}: no http response node answered within ${responseTimeoutMs / 1000} s`);
            sendError(res, 503, 'WEBHOOK_NO_RESPONSE', 'the flow did not answer in time');
          }, responseTimeoutMs);
          pending.add(timer);
          res.once('finish', () => {
            clearTimeout(timer);
            pending.delete(timer);
          });
          res.once('close', () => {
            clearTimeout(timer);
            pending.delete(timer);
          });
        }
      } else {
        res.status(202).json({ accepted: true, correlationId: outcome.correlationId });
        msg.req = { headers: req.headers, method: req.method, url: req.originalUrl, path: req.path, query: req.query, ip: req.ip };
      }
      node.send(msg as NodeMessageInFlow);
    };

    const handler: RequestHandler = (req, res) => {
      // A body parser installed in httpNodeMiddleware has eaten the stream: the signature cannot be checked.
      if (bodyConsumed(req)) {
        reject(res, new WebhookRejection(500, 'body_consumed', 'the request body was consumed by other middleware before webhook-in could read it'));
        return;
      }
      receiver.receive({ headers: req.headers, body: req }).then(
        (outcome) => answer(req, res, outcome),
        (err: unknown) => {
          node.error(`${method.toUpperCase()} ${path}: ${err instanceof Error ? err.message : String(err)}`);
          sendError(res, 500, 'WEBHOOK_INTERNAL', 'the webhook could not be processed');
        },
      );
    };

    const app = RED.httpNode as unknown as Record<Method, (route: string, ...handlers: RequestHandler[]) => void> | undefined;
    if (!app || typeof app[method] !== 'function') {
      node.status(failed('no http server'));
      node.error('HTTP endpoints are disabled (httpNodeRoot is false in settings)');
      return;
    }
    // Like the core http in node, honour the user's httpNodeMiddleware (often authentication) before our handler.
    const configured = (RED.settings as unknown as { httpNodeMiddleware?: RequestHandler | RequestHandler[] }).httpNodeMiddleware;
    const middleware: RequestHandler[] = typeof configured === 'function' ? [configured] : Array.isArray(configured) ? configured : [];
    const releaseRawBody = keepRawBody(RED.httpNode as unknown as ExpressApp, method, path);
    app[method](path, ...middleware, handler);
    if (secretProblem) {
      node.status(failed(secretProblem));
      node.warn(`${method.toUpperCase()} ${path}: ${secretProblem}; every request is refused with 500 WEBHOOK_SECRET_MISSING until the secret is set`);
    } else {
      node.status(idle(`${method.toUpperCase()} ${path}`));
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      for (const timer of pending) clearTimeout(timer);
      pending.clear();
      releaseRawBody();
      // Express has no route removal API; this is how the core http in node unregisters too
      // (`_router` on Express 4, `router` on Express 5, whose Express 4 getter throws, hence the order).
      type RouterStack = { stack: Array<{ route?: { path: string; stack: Array<{ handle: unknown }> } }> };
      const express = RED.httpNode as unknown as { _router?: RouterStack; router?: RouterStack };
      const router = express._router ?? express.router;
      if (router) {
        for (let i = router.stack.length - 1; i >= 0; i--) {
          const route = router.stack[i].route;
          if (route && route.path === path && route.stack.some((layer) => layer.handle === handler)) router.stack.splice(i, 1);
        }
      }
      node.status(cleared());
      done();
    });
  }

  RED.nodes.registerType<Node<WebhookInCredentials>, WebhookInDef, unknown, WebhookInCredentials>('webhook-in', WebhookIn, {
    credentials: {
      secret: { type: 'password' },
      previousSecret: { type: 'password' },
    },
  });
};

/** A secret named by its variable keeps flow files free of it and still deployable anywhere. */
function envSecret(name: string | undefined): string {
  const variable = name?.trim();
  return variable ? (process.env[variable] ?? '') : '';
}
