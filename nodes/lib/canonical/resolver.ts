/**
 * Finds Odoo ids for canonical references (partner by external ID, ref or email; product by default_code;
 * country by ISO code) and the reverse (country code, product SKU, partner details by id) through an OdooClient.
 * Results are cached per resolver with a TTL on an injected clock; concurrent look-ups of one key share a call.
 */
import type { CallOptions, OdooClient } from '../odoo/types';

export interface PartyReference {
  odooId?: number;
  externalId?: string;
  email?: string;
  name?: string;
  phone?: string;
}

export interface ResolverOptions {
  /** How long a found id is trusted; default 5 minutes. Not-found answers are never cached. */
  ttlMs?: number;
  now?: () => number;
  /** Module for external IDs given without one (`cust-42` -> `__import__.cust-42`), like Odoo's import. */
  externalIdModule?: string;
  /** Create a res.partner (and its external ID) when none matches; default false (the field fails instead). */
  createMissingPartners?: boolean;
  callOptions?: CallOptions;
}

export interface OdooResolver {
  /** The partner id, or `undefined` when nothing matches (and creation is off). */
  partnerId(ref: PartyReference): Promise<number | undefined>;
  /** default_code -> id for the SKUs that exist (one search per uncached batch). */
  productIds(skus: string[]): Promise<Map<string, number>>;
  countryId(code: string): Promise<number | undefined>;
  /** Record readers for the reverse direction: `read` with the given fields, missing ids skipped. */
  read(model: string, ids: number[], fields: string[]): Promise<Array<Record<string, unknown>>>;
  countryCodes(ids: number[]): Promise<Map<number, string>>;
  productSkus(ids: number[]): Promise<Map<number, string>>;
}

interface Entry {
  value: Promise<unknown>;
  expires: number;
}

const firstId = (created: unknown): number => (Array.isArray(created) ? Number(created[0]) : Number(created));

export function createOdooResolver(client: Pick<OdooClient, 'call'>, options: ResolverOptions = {}): OdooResolver {
  const ttl = options.ttlMs ?? 300_000;
  const now = options.now ?? Date.now;
  const module = options.externalIdModule ?? '__import__';
  const callOptions = options.callOptions;
  const cache = new Map<string, Entry>();

  /** Caches found values; `undefined` (not found) and failures are dropped so the next message asks again. */
  function cached<T>(key: string, load: () => Promise<T | undefined>): Promise<T | undefined> {
    const hit = cache.get(key);
    if (hit && hit.expires > now()) return hit.value as Promise<T | undefined>;
    const value = load();
    cache.set(key, { value, expires: now() + ttl });
    value.then(
      (v) => {
        if (v === undefined && cache.get(key)?.value === value) cache.delete(key);
      },
      () => {
        if (cache.get(key)?.value === value) cache.delete(key);
      },
    );
    return value;
  }

  const call = <T>(model: string, method: string, args: Record<string, unknown>): Promise<T> =>
    client.call<T>(model, method, args, callOptions);

  const splitXmlId = (externalId: string): [string, string] => {
    const dot = externalId.indexOf('.');
    return dot > 0 ? [externalId.slice(0, dot), externalId.slice(dot + 1)] : [module, externalId];
  };

  async function byExternalId(externalId: string): Promise<number | undefined> {
    const [mod, name] = splitXmlId(externalId);
    const rows = await call<Array<{ res_id: number }>>('ir.model.data', 'search_read', {
      domain: [['model', '=', 'res.partner'], ['module', '=', mod], ['name', '=', name]],
      fields: ['res_id'],
      limit: 1,
    });
    if (rows.length > 0) return rows[0].res_id;
    // A shop's customer number often lives in the partner's Reference field instead.
    const byRef = await call<Array<{ id: number }>>('res.partner', 'search_read', {
      domain: [['ref', '=', externalId]],
      fields: ['id'],
      limit: 1,
      order: 'id asc',
    });
    return byRef[0]?.id;
  }

  async function byEmail(email: string): Promise<number | undefined> {
    const rows = await call<Array<{ id: number }>>('res.partner', 'search_read', {
      domain: [['email', '=ilike', email]],
      fields: ['id'],
      limit: 1,
      order: 'id asc',
    });
    return rows[0]?.id;
  }

  async function createPartner(ref: PartyReference): Promise<number> {
    const vals: Record<string, unknown> = { name: ref.name || ref.email || ref.externalId };
    if (ref.email) vals.email = ref.email;
    if (ref.phone) vals.phone = ref.phone;
    const id = firstId(await call('res.partner', 'create', { vals_list: [vals] }));
    if (ref.externalId) {
      const [mod, name] = splitXmlId(ref.externalId);
      await call('ir.model.data', 'create', { vals_list: [{ module: mod, name, model: 'res.partner', res_id: id }] });
    }
    return id;
  }

  return {
    async partnerId(ref) {
      if (ref.odooId) return ref.odooId;
      if (ref.externalId) {
        const id = await cached(`partner:xmlid:${ref.externalId}`, () => byExternalId(ref.externalId as string));
        if (id !== undefined) return id;
      }
      if (ref.email) {
        const id = await cached(`partner:email:${ref.email.toLowerCase()}`, () => byEmail(ref.email as string));
        if (id !== undefined) return id;
      }
      if (!options.createMissingPartners || (!ref.externalId && !ref.email)) return undefined;
      const key = ref.externalId ? `partner:xmlid:${ref.externalId}` : `partner:email:${(ref.email as string).toLowerCase()}`;
      return cached(key, () => createPartner(ref));
    },

    async productIds(skus) {
      const unique = [...new Set(skus)];
      const found = new Map<string, number>();
      const missing = unique.filter((sku) => {
        const hit = cache.get(`product:${sku}`);
        return !(hit && hit.expires > now());
      });
      if (missing.length > 0) {
        const batch = call<Array<{ id: number; default_code: string }>>('product.product', 'search_read', {
          domain: [['default_code', 'in', missing]],
          fields: ['id', 'default_code'],
          order: 'id asc',
        });
        for (const sku of missing) {
          cached(`product:${sku}`, () => batch.then((rows) => rows.find((r) => r.default_code === sku)?.id)).catch(() => undefined);
        }
      }
      for (const sku of unique) {
        const id = await (cache.get(`product:${sku}`)?.value as Promise<number | undefined> | undefined);
        if (id !== undefined) found.set(sku, id);
      }
      return found;
    },

    countryId(code) {
      return cached(`country:${code.toUpperCase()}`, async () => {
        const rows = await call<Array<{ id: number }>>('res.country', 'search_read', {
          domain: [['code', '=', code.toUpperCase()]],
          fields: ['id'],
          limit: 1,
        });
        return rows[0]?.id;
      });
    },

    async read(model, ids, fields) {
      if (ids.length === 0) return [];
      return call<Array<Record<string, unknown>>>(model, 'read', { ids, fields });
    },

    async countryCodes(ids) {
      const out = new Map<number, string>();
      for (const id of [...new Set(ids)]) {
        const code = await cached(`country-code:${id}`, async () => {
          const rows = await call<Array<{ code: string }>>('res.country', 'read', { ids: [id], fields: ['code'] });
          return rows[0]?.code || undefined;
        });
        if (code) out.set(id, code);
      }
      return out;
    },

    async productSkus(ids) {
      const out = new Map<number, string>();
      const unique = [...new Set(ids)];
      const rows = unique.length === 0 ? [] : await call<Array<{ id: number; default_code: string | false }>>('product.product', 'read', {
        ids: unique,
        fields: ['default_code'],
      });
      for (const r of rows) if (r.default_code) out.set(r.id, r.default_code);
      return out;
    },
  };
}
