import { strict as assert } from 'node:assert';
import { ValidationError } from '../../../nodes/lib/errors';
import { advanceWatermark, incrementalDomain } from '../../../nodes/lib/read/incremental';
import { runRead, type Batch, type ReadRequest } from '../../../nodes/lib/read/reader';
import type { CallOptions } from '../../../nodes/lib/odoo/types';

interface Recorded {
  model: string;
  method: string;
  args: Record<string, unknown>;
  options?: CallOptions;
}

/** Honours the watermark condition the engine appends, so keyset paging advances. */
function afterWatermark(r: { id: number; write_date: string }, domain: unknown[] = []): boolean {
  const at = domain.indexOf('|');
  if (at < 0) return true;
  const wd = (domain[at + 1] as unknown[])[2] as string;
  const id = (domain[at + 4] as unknown[])[2] as number;
  return r.write_date > wd || (r.write_date === wd && r.id > id);
}

/** A fake client over `n` records with ids 1..n, honouring limit/offset like search_read. */
function fakeClient(n: number) {
  const calls: Recorded[] = [];
  const records = Array.from({ length: n }, (_, i) => ({ id: i + 1, name: `P${i + 1}`, write_date: `2026-01-01 00:00:${String(Math.floor(i / 3)).padStart(2, '0')}` }));
  return {
    calls,
    client: {
      call: async <T>(model: string, method: string, args: Record<string, unknown> = {}, options?: CallOptions): Promise<T> => {
        calls.push({ model, method, args, options });
        if (method === 'search_count') return n as T;
        if (method === 'read') return records.filter((r) => (args.ids as number[]).includes(r.id)) as T;
        const offset = (args.offset as number) ?? 0;
        const limit = (args.limit as number) ?? n;
        return records.filter((r) => afterWatermark(r, args.domain as unknown[])).slice(offset, offset + limit) as T;
      },
    },
  };
}

const base: ReadRequest = { model: 'res.partner', operation: 'search_read', domain: [], output: 'all', pageSize: 10, maxRecords: 100 };

async function collect(client: ReturnType<typeof fakeClient>['client'], req: ReadRequest, options: CallOptions = {}): Promise<Batch[]> {
  const batches: Batch[] = [];
  await runRead(client, req, options, async (b) => {
    batches.push(b);
  });
  return batches;
}

describe('read engine', () => {
  it('reads all records in one batch with the correlation id passed to the call', async () => {
    const fake = fakeClient(42);
    const batches = await collect(fake.client, base, { correlationId: 'c-1' });
    assert.equal(batches.length, 1);
    assert.equal((batches[0].result as unknown[]).length, 42);
    assert.equal(fake.calls[0].options?.correlationId, 'c-1');
    assert.equal(fake.calls[0].args.limit, 101, 'fetches one more than the guard');
  });

  it('refuses to load more than maxRecords in "all" mode and says to switch to page mode', async () => {
    const fake = fakeClient(150);
    await assert.rejects(collect(fake.client, base), (err: unknown) => err instanceof ValidationError && /page/.test(err.message));
  });

  it('accepts exactly maxRecords', async () => {
    const fake = fakeClient(100);
    const batches = await collect(fake.client, base);
    assert.equal((batches[0].result as unknown[]).length, 100);
  });

  it('pages with limit/offset, one batch per page, last flagged, no empty trailing fetch', async () => {
    const fake = fakeClient(25);
    const batches = await collect(fake.client, { ...base, output: 'page' });
    assert.deepEqual(batches.map((b) => b.count), [10, 10, 5]);
    assert.deepEqual(batches.map((b) => b.last), [false, false, true]);
    assert.deepEqual(fake.calls.map((c) => c.args.offset), [0, 10, 20]);
    assert.equal(fake.calls.length, 3);
    const ids = batches.flatMap((b) => (b.result as Array<{ id: number }>).map((r) => r.id));
    assert.deepEqual(ids, Array.from({ length: 25 }, (_, i) => i + 1));
  });

  it('an exact multiple of the page size ends on a full last page', async () => {
    const fake = fakeClient(20);
    const batches = await collect(fake.client, { ...base, output: 'page' });
    assert.deepEqual(batches.map((b) => [b.count, b.last]), [[10, false], [10, true]]);
  });

  it('honours a user limit across pages', async () => {
    const fake = fakeClient(100);
    const batches = await collect(fake.client, { ...base, output: 'page', limit: 15 });
    assert.deepEqual(batches.map((b) => b.count), [10, 5]);
    assert.equal(batches[1].last, true);
  });

  it('waits for the consumer before fetching the next page (backpressure)', async () => {
    const fake = fakeClient(30);
    let callsWhenConsuming: number[] = [];
    await runRead(fake.client, { ...base, output: 'page' }, {}, async () => {
      callsWhenConsuming.push(fake.calls.length);
      await new Promise((r) => setTimeout(r, 5));
    });
    assert.deepEqual(callsWhenConsuming, [1, 2, 3]);
    callsWhenConsuming = [];
  });

  it('incremental mode pages by watermark, orders by write_date then id and reports the watermark per page', async () => {
    const fake = fakeClient(5);
    const batches = await collect(fake.client, { ...base, output: 'page', pageSize: 2, incremental: { includeArchived: true, watermark: { writeDate: '2025-12-31 00:00:00', id: 9 } } });
    assert.equal(fake.calls[0].args.order, 'write_date asc, id asc');
    assert.deepEqual(fake.calls[0].options?.context, { active_test: false });
    assert.deepEqual(batches[0].watermark, { writeDate: '2026-01-01 00:00:00', id: 2 });
    const secondDomain = fake.calls[1].args.domain as unknown[];
    assert.deepEqual(secondDomain.slice(-5), ['|', ['write_date', '>', '2026-01-01 00:00:00'], '&', ['write_date', '=', '2026-01-01 00:00:00'], ['id', '>', 2]]);
  });

  it('adds write_date to explicit fields in incremental mode', async () => {
    const fake = fakeClient(1);
    await collect(fake.client, { ...base, fields: ['name'], incremental: { includeArchived: false } });
    assert.deepEqual(fake.calls[0].args.fields, ['name', 'write_date']);
  });

  it('search_count, fields_get and name_search are single calls', async () => {
    const fake = fakeClient(7);
    const [count] = await collect(fake.client, { ...base, operation: 'search_count', domain: [['is_company', '=', true]] });
    assert.equal(count.result, 7);
    assert.deepEqual(fake.calls[0].args, { domain: [['is_company', '=', true]] });
    await collect(fake.client, { ...base, operation: 'name_search', name: 'Az', limit: 3 });
    assert.deepEqual(fake.calls[1].args, { name: 'Az', domain: [], operator: 'ilike', limit: 3 });
  });

  it('read needs ids', async () => {
    const fake = fakeClient(3);
    await assert.rejects(collect(fake.client, { ...base, operation: 'read' }), ValidationError);
    const [batch] = await collect(fake.client, { ...base, operation: 'read', ids: [1, 2], fields: ['name'] });
    assert.deepEqual(fake.calls[0].args, { ids: [1, 2], fields: ['name'] });
    assert.equal(batch.count, 2);
  });
});

describe('incremental domain', () => {
  it('leaves the domain alone without a watermark', () => {
    assert.deepEqual(incrementalDomain([['a', '=', 1]], undefined), [['a', '=', 1]]);
  });
  it('appends the tie-broken watermark condition', () => {
    assert.deepEqual(incrementalDomain([['a', '=', 1]], { writeDate: 'W', id: 3 }), [['a', '=', 1], '|', ['write_date', '>', 'W'], '&', ['write_date', '=', 'W'], ['id', '>', 3]]);
  });
  it('advances to the last record, or stays when there is none', () => {
    assert.deepEqual(advanceWatermark(undefined, [{ id: 1, write_date: 'A' }, { id: 2, write_date: 'B' }]), { writeDate: 'B', id: 2 });
    assert.deepEqual(advanceWatermark({ writeDate: 'X', id: 1 }, []), { writeDate: 'X', id: 1 });
  });
});
