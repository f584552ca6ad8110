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
import { OdooEventDedupe } from './lib/odoo-events/dedupe';
import { odooWebhookUrl, ODOO_TOKEN_PARAM, withoutUrlToken } from './lib/odoo-events/url-token';
import { AutomationNotInstalledError, parseRuleSpec, ruleName, upsertAutomationRule } from './lib/odoo-events/automation-rule';
import { toMiddlewareError, ValidationError } from './lib/errors';
import type { OdooConnectionNode } from './lib/runtime/connection';

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
  /** Scheme odoo: Odoo's repeated POSTs of one change are one event (needs the store). */
  odooDedupe?: boolean;
  /** Scheme odoo: the seen-set shared with the odoo-read sweep of the same namespace. */
  odooNamespace?: string;
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

/** Deployed webhook-in nodes of scheme odoo: what the automation-rule endpoint needs (the token never leaves here). */
const odooTargets = new Map<string, { path: string; token: () => string }>();

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

    let odooDedupe: OdooEventDedupe | undefined;
    if (scheme === 'odoo' && def.odooDedupe !== false) {
      const config = def.store ? (RED.nodes.getNode(def.store) as StoreConfigNode | null) : null;
      if (config && typeof config.getStore === 'function') odooDedupe = new OdooEventDedupe(config.getStore(), def.odooNamespace);
      else node.warn(`${method.toUpperCase()} ${path}: Odoo's repeated POSTs are not deduplicated: choose a middleware-store`);
    }

    const credentials = node.credentials ?? {};
    if (scheme === 'odoo') odooTargets.set(node.id, { path, token: () => credentials.secret || envSecret(def.secretEnv) });
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
      odooDedupe,
    });

    const reject = (res: Response, error: WebhookRejection): void => {
      rejected++;
      node.status(failed(`rejected ${rejected}`));
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
      if (outcome.odoo) msg.odoo = outcome.odoo;
      if (scheme === 'odoo') {
        // The token is the secret: it stays out of the message, the debug sidebar and the logs.
        const clean = withoutUrlToken(req.originalUrl, req.query as Record<string, unknown>, Boolean((req.params as Record<string, string | undefined>)[ODOO_TOKEN_PARAM]));
        Object.defineProperty(req, 'originalUrl', { value: clean.url, enumerable: true, writable: true });
        req.url = clean.url;
        Object.defineProperty(req, 'query', { value: clean.query, enumerable: true, writable: true });
        delete (req.params as Record<string, string>)[ODOO_TOKEN_PARAM];
      }
      const odooClaim = outcome.odooClaim;
      const seenWarn = (err: unknown): void => node.warn(`${method.toUpperCase()} ${path}: event store: ${err instanceof Error ? err.message : String(err)}`);
      if (responseMode === 'flow') {
        if (odooClaim) {
          // Seen only once the flow answered 2xx: otherwise the sweep picks the change up later.
          let settled = false;
          res.once('finish', () => {
            settled = true;
            (res.statusCode >= 200 && res.statusCode < 300 ? odooClaim.done(Date.now()) : odooClaim.release()).catch(seenWarn);
          });
          res.once('close', () => {
            if (!settled) odooClaim.release().catch(seenWarn);
          });
        }
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
        odooClaim?.done(Date.now()).catch(seenWarn);
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
      const urlToken = scheme === 'odoo' ? tokenOf(req) : undefined;
      receiver.receive({ headers: req.headers, body: req, urlToken }).then(
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
    // Odoo's rule may carry the token as the last path segment instead of ?token=.
    const tokenRoute = scheme === 'odoo' ? `${path.replace(/\/+$/, '')}/:${ODOO_TOKEN_PARAM}` : undefined;
    if (tokenRoute) app[method](tokenRoute, ...middleware, handler);
    node.status(idle(`${method.toUpperCase()} ${path}`));

    node.on('close', (_removed: boolean, done: () => void) => {
      odooTargets.delete(node.id);
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
          if (route && (route.path === path || route.path === tokenRoute) && route.stack.some((layer) => layer.handle === handler)) router.stack.splice(i, 1);
        }
      }
      node.status(cleared());
      done();
    });
  }

  // The editor's "Create or update the rule in Odoo" button: the deployed node's token goes into the rule's URL.
  RED.httpAdmin.post('/webhook-in/:id/odoo-rule', RED.auth.needsPermission('webhook-in.write'), (req: Request, res: Response) => {
    const fail = (status: number, err: unknown): void => {
      const error = toMiddlewareError(err);
      res.status(status).json({ error: { code: error.code, message: error.message } });
    };
    const target = odooTargets.get(String(req.params.id));
    if (!target) {
      fail(409, new ValidationError('deploy this webhook-in with the scheme Odoo first: the rule carries the deployed token'));
      return;
    }
    const token = target.token();
    if (!token) {
      fail(409, new ValidationError('the deployed webhook-in has no secret: set the Secret (the token Odoo puts in the URL) and deploy'));
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    const connection = typeof body.connection === 'string' && body.connection ? (RED.nodes.getNode(body.connection) as OdooConnectionNode | null) : null;
    if (!connection?.client) {
      fail(409, new ValidationError('choose a deployed odoo-connection', { property: 'connection' }));
      return;
    }
    const nodeRoot = String((RED.settings as unknown as { httpNodeRoot?: string }).httpNodeRoot ?? '/').replace(/\/+$/, '');
    const url = typeof body.url === 'string' && body.url.trim() ? body.url.trim() : `${req.protocol}://${req.get('host') ?? 'localhost'}${nodeRoot}${target.path}`;
    let spec;
    try {
      spec = parseRuleSpec({ ...body, url }, ruleName(String(body.model ?? '').trim(), target.path));
    } catch (err) {
      fail(400, err);
      return;
    }
    const shownUrl = odooWebhookUrl(spec.url, '…').replace(/%E2%80%A6$/, '…');
    upsertAutomationRule(connection.client, { ...spec, url: odooWebhookUrl(spec.url, token) }).then(
      (result) => res.json({ ...result, url: shownUrl }),
      (err: unknown) => fail(err instanceof AutomationNotInstalledError ? 409 : err instanceof ValidationError ? 400 : 502, err),
    );
  });

  RED.nodes.registerType<Node<WebhookInCredentials>, WebhookInDef, unknown, WebhookInCredentials>('webhook-in', WebhookIn, {
    credentials: {
      secret: { type: 'password' },
      previousSecret: { type: 'password' },
    },
  });
};

function tokenOf(req: Request): string | undefined {
  const fromPath = (req.params as Record<string, string | undefined>)[ODOO_TOKEN_PARAM];
  if (fromPath) return fromPath;
  const fromQuery = (req.query as Record<string, unknown>)[ODOO_TOKEN_PARAM];
  return typeof fromQuery === 'string' ? fromQuery : undefined;
}

/** A secret named by its variable keeps flow files free of it and still deployable anywhere. */
function envSecret(name: string | undefined): string {
  const variable = name?.trim();
  return variable ? (process.env[variable] ?? '') : '';
}
