/**
 * The webhook request pipeline without Node-RED: limits, content type, raw body, signature, JSON, schema,
 * delivery id and replay. Returns an outcome the node turns into an HTTP answer or a message; a rejection never
 * reaches the flow. Checks run cheapest first and the signature before any parsing, so an unsigned caller
 * cannot probe the parser.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import Ajv, { ErrorObject, ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { MiddlewareError } from '../errors';
import { DEFAULT_MAX_JSON_DEPTH, jsonTextTooDeep } from '../http/json-depth';
import { isUsableCorrelationId } from '../trace/context';
import type { OdooEventDedupe } from '../odoo-events/dedupe';
import { parseOdooEvent, type OdooEventInfo } from '../odoo-events/event';
import type { ReplayClaim, ReplayGuard, ReplayOutcome } from './replay';
import { Headers, SignatureConfig, SignatureScheme, verifySignature } from './signatures';

export interface ReceiverOptions {
  signature: SignatureConfig;
  maxBodyBytes: number;
  /** Deepest nesting of objects and arrays a JSON body may have (default 100); deeper answers 400. */
  maxJsonDepth?: number;
  /** Media types accepted, e.g. ["application/json"]; "*" matches any part ("application/*", "*\/*"). */
  contentTypes: string[];
  /** Compiled JSON Schema check of the parsed payload; 422 when it fails. */
  validate?: ValidateFunction;
  /** Header carrying the delivery id; blank takes the scheme's usual one (Stripe: the event id in the body). */
  deliveryIdHeader?: string;
  /** Set when replay protection is on. */
  replay?: ReplayGuard;
  /** Scheme odoo: the seen-set that makes Odoo's repeated POSTs of one change one event. */
  odooDedupe?: OdooEventDedupe;
  /** How long a claimed delivery id holds before a resend may take it over (its handling died). */
  replayLeaseMs?: number;
  clock?: () => number;
  /** Told each request's outcome: accepted, duplicate, the rejection kind, or error (metrics). */
  onOutcome?: (outcome: string) => void;
}

export interface IncomingRequest {
  headers: Headers;
  body: Readable;
  /** The secret token presented in the URL (scheme odoo). */
  urlToken?: string;
}

export interface WebhookInfo {
  scheme: SignatureScheme;
  verified: boolean;
  deliveryId?: string;
  /** ISO-8601 time the request arrived. */
  receivedAt: string;
}

export type ReceiveOutcome =
  /**
   * `claim` (replay protection on, or scheme odoo deduplicating): mark it done once the event is safe, release it
   * when handling failed. `odoo` (scheme odoo): the record event.
   */
  | { kind: 'accepted'; payload: unknown; rawBody: Buffer; correlationId: string; webhook: WebhookInfo; claim?: ReplayClaim; odoo?: OdooEvent }
  | { kind: 'duplicate'; correlationId: string; webhook: WebhookInfo }
  | { kind: 'rejected'; error: WebhookRejection };

/** `msg.odoo` of an Odoo record event. */
export type OdooEvent = Pick<OdooEventInfo, 'model' | 'id' | 'action'>;

/** A refused request: `status` is the HTTP answer, `code` goes in the JSON error body. */
export class WebhookRejection extends MiddlewareError {
  readonly status: number;
  /** What goes to the log: like `message` but never quoting the request body. */
  readonly logMessage: string;
  constructor(status: number, kind: string, message: string, details: Record<string, unknown> = {}, logMessage?: string) {
    super(kind, message, { codePrefix: 'WEBHOOK', retryable: status >= 500, details: { status, ...details } });
    this.name = 'WebhookRejection';
    this.status = status;
    this.logMessage = logMessage ?? message;
  }
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
export const DEFAULT_REPLAY_LEASE_MS = 60_000;

const DEFAULT_DELIVERY_HEADERS: Partial<Record<SignatureScheme, string>> = {
  github: 'x-github-delivery',
  shopify: 'x-shopify-webhook-id',
};

function firstHeader(headers: Headers, name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function mediaType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type === '' ? undefined : type;
}

export function isAllowedType(type: string, allowed: string[]): boolean {
  return allowed.some((pattern) => {
    const [pMain, pSub] = pattern.trim().toLowerCase().split('/');
    const [tMain, tSub] = type.split('/');
    if (pSub === undefined) return pMain === '*';
    return (pMain === '*' || pMain === tMain) && (pSub === '*' || pSub === tSub);
  });
}

function isJsonType(type: string): boolean {
  return type === 'application/json' || type.endsWith('+json');
}

/** Reads the stream into one buffer, refusing more than `maxBytes` as soon as it is exceeded. */
export function readBody(stream: Readable, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const finish = (err: Error | undefined, body?: Buffer): void => {
      if (settled) return;
      settled = true;
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      if (err) {
        // Keep draining so the client can read our answer instead of seeing a reset connection.
        stream.resume();
        reject(err);
      } else resolve(body as Buffer);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) finish(new WebhookRejection(413, 'body_too_large', `request body exceeds the ${maxBytes} byte limit`, { limit: maxBytes }));
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish(undefined, Buffer.concat(chunks, size));
    const onError = (err: Error): void => finish(new WebhookRejection(400, 'body_unreadable', `request body could not be read: ${err.message}`));
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
  });
}

/** `/items/0/qty must be number; must have required property 'id'` */
export function describeSchemaErrors(errors: ErrorObject[] | null | undefined): Array<{ path: string; message: string }> {
  return (errors ?? []).map((e) => ({ path: e.instancePath || '/', message: e.message ?? e.keyword }));
}

/** Compiles a JSON Schema once (draft-07 / 2019 keywords Ajv 8 supports, plus formats such as date-time, email). */
export function compileSchema(schema: unknown): ValidateFunction {
  if (!schema || typeof schema !== 'object') throw new MiddlewareError('validation', 'schema must be a JSON object');
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile(schema as object);
}

export class WebhookReceiver {
  private readonly clock: () => number;

  constructor(private readonly options: ReceiverOptions) {
    this.clock = options.clock ?? Date.now;
  }

  async receive(request: IncomingRequest): Promise<ReceiveOutcome> {
    let outcome: ReceiveOutcome;
    try {
      outcome = await this.pipeline(request);
    } catch (err: unknown) {
      if (!(err instanceof WebhookRejection)) {
        this.options.onOutcome?.('error');
        throw err;
      }
      outcome = { kind: 'rejected', error: err };
    }
    this.options.onOutcome?.(outcome.kind === 'rejected' ? outcome.error.kind : outcome.kind);
    return outcome;
  }

  private async pipeline(request: IncomingRequest): Promise<ReceiveOutcome> {
    const { headers } = request;
    const now = this.clock();
    const receivedAt = new Date(now).toISOString();
    const options = this.options;

    const encoding = firstHeader(headers, 'content-encoding');
    if (encoding && encoding.trim().toLowerCase() !== 'identity') {
      throw new WebhookRejection(415, 'unsupported_media_type', `Content-Encoding "${encoding}" is not supported; send the body uncompressed`);
    }
    const type = mediaType(firstHeader(headers, 'content-type'));
    if (!type || !isAllowedType(type, options.contentTypes)) {
      throw new WebhookRejection(415, 'unsupported_media_type', `Content-Type must be one of ${options.contentTypes.join(', ')}; got ${type ?? 'none'}`, { allowed: options.contentTypes });
    }
    const declared = Number(firstHeader(headers, 'content-length'));
    if (Number.isFinite(declared) && declared > options.maxBodyBytes) {
      request.body.resume();
      throw new WebhookRejection(413, 'body_too_large', `request body exceeds the ${options.maxBodyBytes} byte limit (Content-Length ${declared})`, { limit: options.maxBodyBytes });
    }
    const rawBody = await readBody(request.body, options.maxBodyBytes);

    const signature = verifySignature(options.signature, headers, rawBody, now, request.urlToken);
    if (!signature.ok) {
      const status = signature.code === 'WEBHOOK_SECRET_MISSING' ? 500 : 401;
      throw new WebhookRejection(status, signature.code.slice('WEBHOOK_'.length).toLowerCase(), signature.message);
    }

    let payload: unknown;
    if (isJsonType(type)) {
      const maxDepth = options.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
      if (jsonTextTooDeep(rawBody, maxDepth)) {
        throw new WebhookRejection(400, 'json_too_deep', `request body is nested deeper than ${maxDepth} levels of objects and arrays`, { maxDepth });
      }
      try {
        payload = JSON.parse(rawBody.toString('utf8'));
      } catch (err: unknown) {
        // V8 quotes part of the body in its message: fine for the sender, kept out of the log.
        const parserMessage = (err as Error).message;
        const position = /at position \d+/.exec(parserMessage)?.[0];
        throw new WebhookRejection(400, 'invalid_json', `request body is not valid JSON: ${parserMessage}`, {}, `request body is not valid JSON${position ? ` (${position})` : ''}`);
      }
    } else if (type.startsWith('text/') || type === 'application/x-www-form-urlencoded' || type === 'application/xml') {
      payload = rawBody.toString('utf8');
    } else {
      payload = rawBody;
    }

    if (options.validate && !options.validate(payload)) {
      const errors = describeSchemaErrors(options.validate.errors);
      const summary = errors.slice(0, 5).map((e) => `${e.path} ${e.message}`).join('; ');
      throw new WebhookRejection(422, 'schema', `payload does not match the schema: ${summary}`, { errors });
    }

    const odooEvent = options.signature.scheme === 'odoo' ? odooEventOf(payload, options.odooDedupe !== undefined) : undefined;
    const deliveryId = odooEvent ? odooDeliveryId(odooEvent) : this.deliveryId(headers, payload);
    const webhook: WebhookInfo = { scheme: options.signature.scheme, verified: signature.verified, deliveryId, receivedAt };
    const correlationId = correlationFrom(headers);

    let odooClaim: ReplayClaim | undefined;
    if (odooEvent && options.odooDedupe) {
      let seen;
      try {
        seen = await options.odooDedupe.webhook({ model: odooEvent.model, id: odooEvent.id, writeDate: odooEvent.writeDate as string }, now);
      } catch (err: unknown) {
        throw new WebhookRejection(503, 'replay_store_unavailable', `event store unavailable: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (seen.outcome === 'duplicate') return { kind: 'duplicate', correlationId, webhook };
      odooClaim = seen.claim;
    }
    const odoo: OdooEvent | undefined = odooEvent ? { model: odooEvent.model, id: odooEvent.id, action: odooEvent.action } : undefined;
    const extra = odoo ? { odoo } : {};

    if (options.replay) {
      if (!deliveryId) {
        const where = this.deliveryHeaderName() ?? 'the event id';
        throw new WebhookRejection(400, 'delivery_id_missing', `replay protection is on and the request carries no delivery id (${where})`);
      }
      const fingerprint = createHash('sha256').update(rawBody).digest('hex');
      let replay: ReplayOutcome;
      try {
        replay = await options.replay.claim(deliveryId, fingerprint, now, options.replayLeaseMs ?? DEFAULT_REPLAY_LEASE_MS);
      } catch (err: unknown) {
        throw new WebhookRejection(503, 'replay_store_unavailable', `replay store unavailable: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (replay.outcome !== 'claimed') await odooClaim?.release();
      if (replay.outcome === 'duplicate') return { kind: 'duplicate', correlationId, webhook };
      if (replay.outcome === 'in_progress') {
        throw new WebhookRejection(503, 'delivery_in_progress', `delivery ${deliveryId} is being handled right now; send it again later`, { retryAfterSec: 5 });
      }
      return { kind: 'accepted', payload, rawBody, correlationId, webhook, claim: bothClaims(replay.claim, odooClaim), ...extra };
    }
    return { kind: 'accepted', payload, rawBody, correlationId, webhook, ...(odooClaim ? { claim: odooClaim } : {}), ...extra };
  }

  private deliveryHeaderName(): string | undefined {
    const configured = this.options.deliveryIdHeader?.trim();
    return configured ? configured : DEFAULT_DELIVERY_HEADERS[this.options.signature.scheme];
  }

  private deliveryId(headers: Headers, payload: unknown): string | undefined {
    const name = this.deliveryHeaderName();
    if (name) {
      const value = firstHeader(headers, name)?.trim();
      return value ? value.slice(0, 256) : undefined;
    }
    if (this.options.signature.scheme === 'stripe' && payload && typeof payload === 'object') {
      const id = (payload as { id?: unknown }).id;
      return typeof id === 'string' && id !== '' ? id.slice(0, 256) : undefined;
    }
    return undefined;
  }
}

/** Replay protection's claim and the Odoo seen-set's, settled together. */
function bothClaims(replay: ReplayClaim, odoo: ReplayClaim | undefined): ReplayClaim {
  if (!odoo) return replay;
  return {
    done: async (now) => {
      await Promise.all([replay.done(now), odoo.done(now)]);
    },
    release: async () => {
      await Promise.all([replay.release(), odoo.release()]);
    },
  };
}

/** Scheme odoo: the body must be Odoo's webhook body; with deduplication on it must carry write_date. */
function odooEventOf(payload: unknown, dedupe: boolean): OdooEventInfo {
  const parsed = parseOdooEvent(payload);
  if (!parsed.ok) throw new WebhookRejection(400, 'not_odoo_event', `not an Odoo webhook body: ${parsed.message}`);
  if (dedupe && parsed.event.writeDate === undefined) {
    throw new WebhookRejection(422, 'odoo_write_date_missing', 'the body has no write_date: add "Last Updated on" (write_date) to the fields the automation rule sends; it is the deduplication key');
  }
  return parsed.event;
}

function odooDeliveryId(event: OdooEventInfo): string {
  return event.writeDate ? `${event.model}:${event.id}:${event.writeDate}` : `${event.model}:${event.id}`;
}

/** X-Correlation-ID, then X-Request-ID when short and printable; otherwise a new UUID. */
export function correlationFrom(headers: Headers): string {
  for (const name of ['x-correlation-id', 'x-request-id']) {
    const value = firstHeader(headers, name);
    if (isUsableCorrelationId(value)) return value;
  }
  return randomUUID();
}
