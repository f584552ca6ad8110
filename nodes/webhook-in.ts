import type { ValidateFunction } from 'ajv';
import type { Request, RequestHandler, Response } from 'express';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { MiddlewareStore } from './lib/store/types';
import { failed, idle, ok, cleared, waiting } from './lib/status';
import { MemoryReplayGuard, ReplayGuard, StoreReplayGuard } from './lib/webhook/replay';
import { compileSchema, DEFAULT_MAX_BODY_BYTES, ReceiveOutcome, WebhookReceiver, WebhookRejection } from './lib/webhook/receiver';
import { DEFAULT_STRIPE_TOLERANCE_SEC, SIGNATURE_SCHEMES, SignatureScheme } from './lib/webhook/signatures';
import { bodyConsumed, keepRawBody, type ExpressApp } from './lib/webhook/raw-routes';
import { instruments, nodeLabel } from './lib/ops/instruments';
import { installOps } from './lib/runtime/ops';
import { inboxMessage, inboxPublish, inboxTopic } from './lib/webhook/inbox';
import { integerSetting } from './lib/bus/validate';
import { busUnavailable } from './lib/bus/errors';
import type { EventBus } from './lib/bus/types';
import { toMiddlewareError } from './lib/errors';
import { parsePolicy } from './lib/retry/policy';
import { attachSubscriber, eventBusOf, type AttachedSubscriber } from './lib/runtime/event-bus';
import { middlewareStoreOf } from './lib/runtime/middleware-store';
import { secondsSettingMs } from './lib/runtime/seconds';
import type { NodeStatus } from './lib/status';
import { DEFAULT_MAX_JSON_DEPTH } from './lib/http/json-depth';
import { OdooEventDedupe } from './lib/odoo-events/dedupe';
import { odooWebhookUrl, ODOO_TOKEN_PARAM, withoutUrlToken } from './lib/odoo-events/url-token';
import { AutomationNotInstalledError, parseRuleSpec, ruleName, upsertAutomationRule } from './lib/odoo-events/automation-rule';
import { ValidationError } from './lib/errors';
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
  /** Durable inbox (ack mode): the event-bus config node; blank holds acknowledged events in memory only. */
  inbox?: string;
  inboxTopic?: string;
  inboxConcurrency?: string | number;
  inboxLease?: string | number;
  inboxMaxDeliveries?: string | number;
}

interface WebhookInCredentials {
  secret?: string;
  previousSecret?: string;
}

interface StoreConfigNode extends Node {
  getStore(): MiddlewareStore;
}

const METHODS: readonly Method[] = ['post', 'put', 'patch', 'delete'];

/** How long a webhook waits for its inbox to join its group (at deploy) before it is answered 503. */
const INBOX_JOIN_WAIT_MS = 5000;
/** How long a publish to the inbox may take, as far as a delivery id's claim is concerned (the publish itself is not cut off). */
const INBOX_PUBLISH_WAIT_MS = 10_000;
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
  installOps(RED);
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
          claim: (id, fingerprint, now, leaseMs) => {
            const config = def.store ? (RED.nodes.getNode(def.store) as StoreConfigNode | null) : null;
            if (config && typeof config.getStore === 'function') {
              return new StoreReplayGuard(config.getStore(), `webhook:${node.id}`, replayTtlMs).claim(id, fingerprint, now, leaseMs);
            }
            memoryGuard ??= new MemoryReplayGuard(replayTtlMs);
            return memoryGuard.claim(id, fingerprint, now, leaseMs);
          },
        }
      : undefined;

    let odooDedupe: OdooEventDedupe | undefined;
    if (scheme === 'odoo' && def.odooDedupe !== false) {
      const config = def.store ? (RED.nodes.getNode(def.store) as StoreConfigNode | null) : null;
      if (config && typeof config.getStore === 'function') odooDedupe = new OdooEventDedupe(config.getStore(), def.odooNamespace);
      else node.warn(`${method.toUpperCase()} ${path}: Odoo's repeated POSTs are not deduplicated: choose a middleware-store`);
    }

    // Durable inbox: in ack mode with a bus, 202 means the event is on the bus; the flow gets it from there.
    let inbox: { bus: EventBus; topic: string; attached: AttachedSubscriber } | undefined;
    let inboxStatus: NodeStatus | undefined;
    if (responseMode === 'ack' && def.inbox) {
      try {
        const bus = eventBusOf(RED, def.inbox, 'webhook-in');
        const topic = inboxTopic(def.inboxTopic, path);
        const attached = attachSubscriber(RED, node, {
          topic,
          group: 'webhook-in',
          concurrency: integerSetting(def.inboxConcurrency, 1, 1, 1000, 'inboxConcurrency'),
          leaseMs: secondsSettingMs(def.inboxLease, 30, 'webhook-in', 'inboxLease'),
          maxDeliveries: integerSetting(def.inboxMaxDeliveries, 5, 1, 1000, 'inboxMaxDeliveries'),
          ordered: false,
          backoff: parsePolicy({}),
          bus,
          store: middlewareStoreOf(RED, def.store, 'webhook-in (a durable inbox parks failed events in the store)'),
          deliver: (msg) => node.send(inboxMessage(msg) as NodeMessageInFlow),
          status: (s) => {
            inboxStatus = s;
            node.status({ ...s, text: `accepted ${accepted} · rejected ${rejected} · ${s.text ?? ''}` });
          },
        });
        inbox = { bus, topic, attached };
      } catch (err) {
        node.status(failed('configuration'));
        node.error(toMiddlewareError(err));
        return;
      }
    } else if (responseMode === 'ack') {
      node.warn(`${method.toUpperCase()} ${path}: acknowledges with 202 before the flow runs and holds the event in memory only; a crash or restart loses acknowledged events. Choose an event bus under Durable inbox to keep them.`);
    }
    const counts = (): string => `accepted ${accepted} · rejected ${rejected}${responseMode === 'ack' && !inbox ? ' · memory only' : ''}`;

    const credentials = node.credentials ?? {};
    const metricLabel = nodeLabel(def);
    // A signed webhook without its secret answers 500 to every call: the status says why from the start.
    const secretProblem =
      scheme !== 'none' && !credentials.secret && !envSecret(def.secretEnv) ? (def.secretEnv?.trim() ? `${def.secretEnv.trim()} not set` : 'no secret set') : undefined;
    if (scheme === 'odoo') odooTargets.set(node.id, { path, token: () => credentials.secret || envSecret(def.secretEnv) });
    const receiver = new WebhookReceiver({
      onOutcome: (outcome) => instruments.webhookRequests.inc({ node: metricLabel, outcome }),
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
      // A claim lasts while the flow may still answer, or while joining and publishing to the inbox may still take:
      // a claim of an instance killed meanwhile then lapses soon, and the sender's resend goes through.
      replayLeaseMs: responseMode === 'flow' ? (responseTimeoutMs > 0 ? responseTimeoutMs + 30_000 : undefined) : INBOX_JOIN_WAIT_MS + INBOX_PUBLISH_WAIT_MS,
    });

    const reject = (res: Response, error: WebhookRejection): void => {
      rejected++;
      node.status(failed(secretProblem ? `${secretProblem} · rejected ${rejected}` : `rejected ${rejected}`));
      const retryAfter = (error.cause as { retryAfterSec?: unknown }).retryAfterSec;
      if (typeof retryAfter === 'number' && !res.headersSent) res.set('Retry-After', String(retryAfter));
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
      if (scheme === 'odoo') {
        // The token is the secret: it stays out of the message, the debug sidebar and the logs.
        const clean = withoutUrlToken(req.originalUrl, req.query as Record<string, unknown>, Boolean((req.params as Record<string, string | undefined>)[ODOO_TOKEN_PARAM]));
        Object.defineProperty(req, 'originalUrl', { value: clean.url, enumerable: true, writable: true });
        req.url = clean.url;
        Object.defineProperty(req, 'query', { value: clean.query, enumerable: true, writable: true });
        delete (req.params as Record<string, string>)[ODOO_TOKEN_PARAM];
      }
      const claim = outcome.claim;
      if (inbox) {
        const box = inbox;
        const request = inboxPublish(box.topic, {
          payload: outcome.payload,
          webhook: outcome.webhook,
          correlationId: outcome.correlationId,
          headers: req.headers,
          method: req.method,
          url: req.originalUrl,
          path: req.path,
          query: req.query,
          rawBody: def.rawBody ? outcome.rawBody : undefined,
          odoo: outcome.odoo,
        });
        // Published before the inbox's group exists, the event would never reach the flow (see GroupJoin).
        const published = box.attached.whenJoined(INBOX_JOIN_WAIT_MS).then((joined) => {
          if (!joined) throw busUnavailable(`the inbox has not joined group webhook-in of topic ${box.topic} on the bus yet`);
          return box.bus.publish(request);
        });
        published.then(
          async (event) => {
            accepted++;
            if (inboxStatus) node.status({ ...inboxStatus, text: `${counts()} · ${inboxStatus.text ?? ''}` });
            // Marked done only now: had the publish failed, the sender's resend would have gone through.
            await claim?.done(Date.now()).catch((err: unknown) => node.warn(`${method.toUpperCase()} ${path}: replay store: ${toMiddlewareError(err).message}`));
            res.status(202).json({ accepted: true, correlationId: outcome.correlationId, eventId: event.id });
          },
          async (err: unknown) => {
            await claim?.release().catch(() => undefined);
            reject(res, new WebhookRejection(503, 'inbox_unavailable', 'the event could not be stored; send it again later', { retryAfterSec: 5 }, `inbox: ${toMiddlewareError(err).message}`));
          },
        );
        return;
      }
      accepted++;
      node.status(ok(counts()));
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
        if (claim) {
          // The delivery counts as handled only if the flow answered 2xx; a 5xx, the timeout's 503 or a dropped
          // connection frees the id for the sender's resend.
          let settled = false;
          res.once('finish', () => {
            settled = true;
            const work = res.statusCode >= 200 && res.statusCode < 300 ? claim.done(Date.now()) : claim.release();
            work.catch((err: unknown) => node.warn(`${method.toUpperCase()} ${path}: replay store: ${toMiddlewareError(err).message}`));
          });
          res.once('close', () => {
            if (!settled) claim.release().catch(() => undefined);
          });
        }
      } else {
        res.status(202).json({ accepted: true, correlationId: outcome.correlationId });
        claim?.done(Date.now()).catch((err: unknown) => node.warn(`${method.toUpperCase()} ${path}: replay store: ${toMiddlewareError(err).message}`));
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
    if (secretProblem) {
      node.status(failed(secretProblem));
      node.warn(`${method.toUpperCase()} ${path}: ${secretProblem}; every request is refused with 500 WEBHOOK_SECRET_MISSING until the secret is set`);
    } else {
      node.status(responseMode === 'ack' && !inbox ? waiting(`${method.toUpperCase()} ${path} · memory only`) : idle(`${method.toUpperCase()} ${path}`));
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      odooTargets.delete(node.id);
      const closingInbox = inbox ? inbox.attached.detach() : Promise.resolve();
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
      closingInbox.then(done, (err: unknown) => {
        node.warn(toMiddlewareError(err).message);
        done();
      });
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
