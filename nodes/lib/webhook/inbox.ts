/**
 * The durable inbox of webhook-in: what is published for an accepted request (parsed body, headers without
 * credentials, correlation and delivery id) and the message the flow gets back from the bus.
 */
import { checkName } from '../bus/validate';
import { toJsonSafe } from '../retry/serialize';
import type { PublishRequest } from '../bus/types';
import type { WebhookInfo } from './receiver';
import type { Headers } from './signatures';

/** Headers that authenticate a request never go to the bus: a consumer of the event needs none of them. */
const CREDENTIAL_HEADER = /auth|cookie|signature|hmac|token|secret|password|api-?key/i;

export function headersWithoutCredentials(headers: Headers): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || CREDENTIAL_HEADER.test(name)) continue;
    out[name] = value;
  }
  return out;
}

/** `/hooks/orders` -> `webhook.hooks.orders`: the default topic of a webhook-in's inbox. */
export function inboxTopic(configured: string | undefined, path: string): string {
  const topic = configured?.trim() || `webhook${path.replace(/[^A-Za-z0-9_:-]+/g, '.').replace(/\.+$/, '')}`;
  return checkName(topic.slice(0, 100), 'topic');
}

export interface InboxRequest {
  payload: unknown;
  webhook: WebhookInfo;
  correlationId: string;
  headers: Headers;
  method: string;
  url: string;
  path: string;
  query: unknown;
  rawBody?: Buffer;
  /** Scheme odoo: `msg.odoo` = {model, id, action}. */
  odoo?: unknown;
}

interface InboxPayload {
  payload: unknown;
  webhook: WebhookInfo;
  req: { headers: Record<string, string | string[]>; method: string; url: string; path: string; query: unknown };
  rawBody?: Buffer;
  odoo?: unknown;
}

/** The delivery id, when there is one, is the event key: resends of one delivery are handled in order. */
export function inboxPublish(topic: string, request: InboxRequest): PublishRequest {
  const body: InboxPayload = {
    payload: request.payload,
    webhook: request.webhook,
    req: { headers: headersWithoutCredentials(request.headers), method: request.method, url: request.url, path: request.path, query: request.query },
  };
  if (request.rawBody) body.rawBody = request.rawBody;
  if (request.odoo) body.odoo = request.odoo;
  // Buffers (a binary body, rawBody) travel as tagged base64 and are Buffers again on delivery.
  const publish: PublishRequest = { topic, payload: toJsonSafe({ body }).value.body, headers: { correlationId: request.correlationId } };
  if (request.webhook.deliveryId) publish.key = request.webhook.deliveryId;
  return publish;
}

/** A delivery of the inbox as the flow sees it: the same properties as ack mode without a bus, plus `msg.event`. */
export function inboxMessage(delivery: Record<string, unknown>): Record<string, unknown> {
  const body = (delivery.payload ?? {}) as Partial<InboxPayload>;
  const msg: Record<string, unknown> = { ...delivery, payload: body.payload, webhook: body.webhook, req: body.req };
  delete msg.topic;
  if (body.rawBody !== undefined) msg.rawBody = body.rawBody;
  if (body.odoo !== undefined) msg.odoo = body.odoo;
  return msg;
}
