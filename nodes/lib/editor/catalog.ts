/**
 * What the editor's pickers ask a live Odoo: models from `ir.model`, fields from `fields_get`, the common public
 * actions of a model, and a record count for a domain. Answers are cached per connection for a short time so
 * typing in a picker does not hit Odoo on every key; `refresh` bypasses the cache.
 */
import { MiddlewareError } from '../errors';
import type { OdooClient } from '../odoo/types';
import { parseDomain, requireModel } from '../read/validate';

type Caller = Pick<OdooClient, 'call'>;

export const CATALOG_TTL_MS = 60_000;
const MODEL_LIMIT = 50;

export interface ModelEntry {
  model: string;
  name: string;
  transient: boolean;
}

export interface FieldEntry {
  name: string;
  label: string;
  type: string;
  required: boolean;
  /** Odoo fills it on create when it is not given (from default_get): a required field with a default need not be set. */
  hasDefault: boolean;
  readonly: boolean;
  /** Stored in the database: the only fields a natural upsert key can search on reliably. */
  stored: boolean;
  relation?: string;
  selection?: Array<[string, string]>;
  help?: string;
}

export interface MethodEntry {
  name: string;
  label: string;
}

export interface CatalogAnswer<T> {
  items: T;
  /** When the answer was fetched from Odoo (ms since epoch); older than now when it came from the cache. */
  fetchedAt: number;
}

/**
 * The public actions integrations call most, per model (Odoo has no API listing a model's public methods).
 * `message_post` is offered on every model that has a chatter.
 */
const MODEL_ACTIONS: Record<string, MethodEntry[]> = {
  'sale.order': [
    { name: 'action_confirm', label: 'Confirm' },
    { name: 'action_cancel', label: 'Cancel' },
    { name: 'action_draft', label: 'Set to quotation' },
    { name: 'action_quotation_send', label: 'Send by email' },
  ],
  'account.move': [
    { name: 'action_post', label: 'Post' },
    { name: 'button_draft', label: 'Reset to draft' },
    { name: 'button_cancel', label: 'Cancel' },
  ],
  'purchase.order': [
    { name: 'button_confirm', label: 'Confirm order' },
    { name: 'button_cancel', label: 'Cancel' },
    { name: 'button_draft', label: 'Set to draft' },
  ],
  'stock.picking': [
    { name: 'action_confirm', label: 'Mark as to do' },
    { name: 'action_assign', label: 'Check availability' },
    { name: 'button_validate', label: 'Validate' },
  ],
  'crm.lead': [
    { name: 'action_set_won', label: 'Mark won' },
    { name: 'action_set_lost', label: 'Mark lost' },
  ],
};
const ARCHIVE_ACTIONS: MethodEntry[] = [
  { name: 'action_archive', label: 'Archive' },
  { name: 'action_unarchive', label: 'Unarchive' },
];
const CHATTER_ACTION: MethodEntry = { name: 'message_post', label: 'Post a chatter message' };
/** Models known to inherit mail.thread, for servers whose fields_get does not show `message_ids`. */
const CHATTER_MODELS = new Set(['res.partner', 'sale.order', 'account.move', 'purchase.order', 'stock.picking', 'crm.lead', 'product.product', 'product.template']);

interface Cached {
  at: number;
  value: Promise<unknown>;
}

export interface OdooCatalogOptions {
  /** The deployed client of a connection node, or undefined when there is none. */
  clientOf(connectionId: string): Caller | undefined;
  ttlMs?: number;
  now?: () => number;
}

export class OdooCatalog {
  private readonly caches = new Map<string, Map<string, Cached>>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: OdooCatalogOptions) {
    this.ttlMs = options.ttlMs ?? CATALOG_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  /** Models whose technical name or label contains `query` (all models, up to a limit, for an empty query). */
  async searchModels(connectionId: string, query: string, refresh = false): Promise<CatalogAnswer<ModelEntry[]>> {
    const q = query.trim();
    return this.cached(connectionId, `models:${q.toLowerCase()}`, refresh, async (client) => {
      const domain = q === '' ? [] : ['|', ['model', 'ilike', q], ['name', 'ilike', q]];
      const rows = await client.call<Array<Record<string, unknown>>>('ir.model', 'search_read', { domain, fields: ['model', 'name', 'transient'], limit: MODEL_LIMIT, order: 'model asc' });
      return rows.map((r) => ({ model: String(r.model), name: typeof r.name === 'string' ? r.name : String(r.model), transient: r.transient === true }));
    });
  }

  /** Every field of `model`, sorted by technical name. */
  async fields(connectionId: string, model: string, refresh = false): Promise<CatalogAnswer<FieldEntry[]>> {
    const name = requireModel(model);
    return this.cached(connectionId, `fields:${name}`, refresh, async (client) => {
      const described = await client.call<Record<string, Record<string, unknown>>>(name, 'fields_get', {
        attributes: ['string', 'type', 'required', 'readonly', 'store', 'relation', 'selection', 'help'],
      });
      const entries = fieldEntries(described);
      const required = entries.filter((f) => f.required).map((f) => f.name);
      if (required.length === 0) return entries;
      // Only a hint for the dialog: a server that refuses default_get leaves every required field flagged.
      const defaults = await client.call<Record<string, unknown>>(name, 'default_get', { fields: required }).catch(() => ({}));
      for (const f of entries) f.hasDefault = Object.prototype.hasOwnProperty.call(defaults, f.name);
      return entries;
    });
  }

  /** The model's common public actions: its own, archive/unarchive when it has `active`, chatter when it has one. */
  async methods(connectionId: string, model: string, refresh = false): Promise<CatalogAnswer<MethodEntry[]>> {
    const name = requireModel(model);
    const fields = await this.fields(connectionId, name, refresh);
    const has = new Set(fields.items.map((f) => f.name));
    const items = [...(MODEL_ACTIONS[name] ?? [])];
    if (has.has('active')) items.push(...ARCHIVE_ACTIONS);
    if (has.has('message_ids') || CHATTER_MODELS.has(name)) items.push(CHATTER_ACTION);
    return { items, fetchedAt: fields.fetchedAt };
  }

  /** How many records match `domain` now (never cached: the dialog shows it live). */
  async count(connectionId: string, model: string, domain: unknown): Promise<number> {
    const client = this.client(connectionId);
    return client.call<number>(requireModel(model), 'search_count', { domain: parseDomain(domain) });
  }

  /** Forgets everything cached for a connection (its settings changed or it was removed). */
  forget(connectionId: string): void {
    this.caches.delete(connectionId);
  }

  private client(connectionId: string): Caller {
    const client = this.options.clientOf(connectionId);
    if (!client) {
      throw new MiddlewareError('not_deployed', `no deployed odoo-connection node with id '${connectionId}': deploy the connection to load lists from Odoo`, { details: { property: 'connection' } });
    }
    return client;
  }

  private async cached<T>(connectionId: string, key: string, refresh: boolean, load: (client: Caller) => Promise<T>): Promise<CatalogAnswer<T>> {
    const client = this.client(connectionId);
    let cache = this.caches.get(connectionId);
    if (!cache) {
      cache = new Map();
      this.caches.set(connectionId, cache);
    }
    const now = this.now();
    const hit = cache.get(key);
    if (!refresh && hit && now - hit.at < this.ttlMs) return { items: (await hit.value) as T, fetchedAt: hit.at };
    const value = load(client);
    const entry: Cached = { at: now, value };
    cache.set(key, entry);
    // A failed answer is not kept: the next keystroke asks Odoo again.
    value.catch(() => {
      if (cache.get(key) === entry) cache.delete(key);
    });
    return { items: await value, fetchedAt: now };
  }
}

export function fieldEntries(described: Record<string, Record<string, unknown>>): FieldEntry[] {
  return Object.entries(described)
    .map(([name, f]) => {
      const entry: FieldEntry = {
        name,
        label: typeof f.string === 'string' ? f.string : name,
        type: typeof f.type === 'string' ? f.type : 'unknown',
        required: f.required === true,
        hasDefault: false,
        readonly: f.readonly === true,
        stored: f.store !== false,
      };
      if (typeof f.relation === 'string' && f.relation) entry.relation = f.relation;
      if (Array.isArray(f.selection)) entry.selection = f.selection as Array<[string, string]>;
      if (typeof f.help === 'string' && f.help) entry.help = f.help;
      return entry;
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
