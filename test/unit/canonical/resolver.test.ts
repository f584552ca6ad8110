import { strict as assert } from 'node:assert';
import { createOdooResolver } from '../../../nodes/lib/canonical/resolver';
import { OdooError } from '../../../nodes/lib/odoo/errors';

type Call = { model: string; method: string; args: Record<string, unknown> };

/** A fake OdooClient.call answering from small tables and recording every call. */
function fakeOdoo(tables: { xmlids?: Array<{ module: string; name: string; res_id: number }>; partners?: Array<{ id: number; email?: string; ref?: string }>; products?: Array<{ id: number; default_code: string }> }) {
  const calls: Call[] = [];
  let nextId = 100;
  const call = async <T>(model: string, method: string, args: Record<string, unknown> = {}): Promise<T> => {
    calls.push({ model, method, args });
    const domain = (args.domain ?? []) as Array<[string, string, unknown]>;
    const where = (field: string) => domain.find((d) => d[0] === field)?.[2];
    if (model === 'ir.model.data' && method === 'search_read') {
      return (tables.xmlids ?? []).filter((x) => x.module === where('module') && x.name === where('name')) as T;
    }
    if (model === 'ir.model.data' && method === 'create') {
      const [vals] = args.vals_list as Array<{ module: string; name: string; res_id: number }>;
      (tables.xmlids ??= []).push(vals);
      return [nextId++] as T;
    }
    if (model === 'res.partner' && method === 'search_read') {
      const email = where('email');
      const ref = where('ref');
      return (tables.partners ?? []).filter((p) => (email !== undefined && p.email?.toLowerCase() === String(email).toLowerCase()) || (ref !== undefined && p.ref === ref)) as T;
    }
    if (model === 'res.partner' && method === 'create') {
      const [vals] = args.vals_list as Array<{ email?: string }>;
      const id = nextId++;
      (tables.partners ??= []).push({ id, email: vals.email });
      return [id] as T;
    }
    if (model === 'product.product' && method === 'search_read') {
      const codes = where('default_code') as string[];
      return (tables.products ?? []).filter((p) => codes.includes(p.default_code)) as T;
    }
    throw new Error(`unexpected call ${model}.${method}`);
  };
  return { call, calls };
}

describe('canonical: OdooResolver', () => {
  it('finds a partner by external ID (module.name or the default module), then by ref, then by email', async () => {
    const odoo = fakeOdoo({ xmlids: [{ module: 'shop', name: 'c1', res_id: 7 }, { module: '__import__', name: 'c2', res_id: 8 }], partners: [{ id: 9, ref: 'C3' }, { id: 10, email: 'A@x.io' }] });
    const resolver = createOdooResolver(odoo);
    assert.equal(await resolver.partnerId({ externalId: 'shop.c1' }), 7);
    assert.equal(await resolver.partnerId({ externalId: 'c2' }), 8);
    assert.equal(await resolver.partnerId({ externalId: 'C3' }), 9);
    assert.equal(await resolver.partnerId({ externalId: 'unknown', email: 'a@X.io' }), 10);
    assert.equal(await resolver.partnerId({ odooId: 3 }), 3);
    assert.equal(await resolver.partnerId({ email: 'nobody@x.io' }), undefined);
  });

  it('caches found ids for the TTL on the injected clock; not-found answers are not cached', async () => {
    const odoo = fakeOdoo({ partners: [{ id: 10, email: 'a@x.io' }] });
    let now = 1_000;
    const resolver = createOdooResolver(odoo, { ttlMs: 60_000, now: () => now });
    await resolver.partnerId({ email: 'a@x.io' });
    await resolver.partnerId({ email: 'A@X.IO' });
    assert.equal(odoo.calls.length, 1, 'second look-up served from cache');
    now += 59_999;
    await resolver.partnerId({ email: 'a@x.io' });
    assert.equal(odoo.calls.length, 1);
    now += 2;
    await resolver.partnerId({ email: 'a@x.io' });
    assert.equal(odoo.calls.length, 2, 'expired entry asks Odoo again');
    await resolver.partnerId({ email: 'new@x.io' });
    await resolver.partnerId({ email: 'new@x.io' });
    assert.equal(odoo.calls.length, 4, 'a miss is asked again next time');
  });

  it('shares one call between concurrent look-ups of the same key', async () => {
    const odoo = fakeOdoo({ partners: [{ id: 10, email: 'a@x.io' }] });
    const resolver = createOdooResolver(odoo);
    const ids = await Promise.all([1, 2, 3].map(() => resolver.partnerId({ email: 'a@x.io' })));
    assert.deepEqual(ids, [10, 10, 10]);
    assert.equal(odoo.calls.length, 1);
  });

  it('creates a missing partner with its external ID when asked to', async () => {
    const odoo = fakeOdoo({});
    const resolver = createOdooResolver(odoo, { createMissingPartners: true });
    const id = await resolver.partnerId({ externalId: 'shop.c9', email: 'c9@x.io', name: 'C Nine' });
    assert.equal(typeof id, 'number');
    const created = odoo.calls.find((c) => c.model === 'res.partner' && c.method === 'create');
    assert.deepEqual(created?.args, { vals_list: [{ name: 'C Nine', email: 'c9@x.io' }] });
    const xmlid = odoo.calls.find((c) => c.model === 'ir.model.data' && c.method === 'create');
    assert.deepEqual(xmlid?.args, { vals_list: [{ module: 'shop', name: 'c9', model: 'res.partner', res_id: id }] });
    assert.equal(await resolver.partnerId({ externalId: 'shop.c9' }), id, 'cached after creation');
  });

  it('resolves product SKUs in one batch and caches them', async () => {
    const odoo = fakeOdoo({ products: [{ id: 1, default_code: 'A' }, { id: 2, default_code: 'B' }] });
    const resolver = createOdooResolver(odoo);
    const found = await resolver.productIds(['A', 'B', 'A', 'C']);
    assert.deepEqual([...found.entries()].sort(), [['A', 1], ['B', 2]]);
    assert.equal(odoo.calls.length, 1);
    assert.deepEqual(odoo.calls[0].args.domain, [['default_code', 'in', ['A', 'B', 'C']]]);
    await resolver.productIds(['A', 'B']);
    assert.equal(odoo.calls.length, 1, 'found SKUs served from cache');
    await resolver.productIds(['C']);
    assert.equal(odoo.calls.length, 2, 'unknown SKU asked again');
  });

  it('lets Odoo failures through (so the node fails the message for a retry) and does not cache them', async () => {
    let fail = true;
    const resolver = createOdooResolver({
      call: async <T>() => {
        if (fail) throw new OdooError({ kind: 'timeout', message: 'timed out', outcomeUnknown: true });
        return [{ id: 5 }] as T;
      },
    });
    await assert.rejects(resolver.partnerId({ email: 'a@x.io' }), (err: unknown) => err instanceof OdooError && err.kind === 'timeout');
    fail = false;
    assert.equal(await resolver.partnerId({ email: 'a@x.io' }), 5);
  });
});
