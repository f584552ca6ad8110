import assert from 'node:assert/strict';
import http from 'node:http';
import { startSandbox, type Sandbox } from '../../../sandbox';
import { adminPost, benchSandbox } from '../../../sandbox/bench';

/** 100,000 partners seeded and read back page by page, over keep-alive HTTP, like a batch sync would. */
describe('sandbox: 100,000 partners', function () {
  this.timeout(60_000);
  let sb: Sandbox;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  before(async () => {
    sb = await startSandbox();
    sb.recordRequests(false);
  });
  after(async () => {
    agent.destroy();
    await sb.close();
  });

  const post = (path: string, body: unknown): Promise<unknown> => adminPost(sb.url, agent)(path, body);

  it('seeds them and pages through all of them, 1,000 at a time, in id order', async () => {
    const before = (await post('/json/2/res.partner/search_count', { domain: [] })) as number;
    const batch: Array<Record<string, unknown>> = [];
    for (let i = 0; i < 100_000; i += 1) batch.push({ name: `Bulk ${i}`, email: `bulk${i}@example.com`, country_id: 1 + (i % 8), ref: `B${i}` });
    const ids = sb.insertRecords('res.partner', batch);
    assert.equal(ids.length, 100_000);
    assert.equal(await post('/json/2/res.partner/search_count', { domain: [] }), before + 100_000);

    let lastId = 0;
    let seen = 0;
    let pages = 0;
    for (;;) {
      const page = (await post('/json/2/res.partner/search_read', {
        domain: [['ref', '=like', 'B%'], ['id', '>', lastId]],
        fields: ['name', 'email', 'country_id', 'write_date'],
        limit: 1000,
        order: 'id asc',
      })) as Array<{ id: number; name: string; country_id: [number, string] }>;
      if (page.length === 0) break;
      assert.ok(page.length <= 1000);
      assert.ok(page[0].id > lastId);
      assert.ok(Array.isArray(page[0].country_id));
      seen += page.length;
      pages += 1;
      lastId = page[page.length - 1].id;
    }
    assert.equal(seen, 100_000);
    assert.equal(pages, 100);

    const offsetPage = (await post('/json/2/res.partner/search_read', { domain: [['ref', '=like', 'B%']], fields: ['name'], limit: 1000, offset: 99_000, order: 'id asc' })) as Array<{ name: string }>;
    assert.equal(offsetPage.length, 1000);
    assert.equal(offsetPage[999].name, 'Bulk 99999');
  });
});

describe('sandbox: bounded recording and benchmark entry', function () {
  this.timeout(60_000);

  it('keeps at most about 10,000 recorded requests', async () => {
    const sb = await startSandbox();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    try {
      const get = (): Promise<void> =>
        new Promise((resolve, reject) => {
          http.get(`${sb.url}/web/version`, { agent }, (res) => res.resume().on('end', resolve)).on('error', reject);
        });
      let left = 11_500;
      await Promise.all([0, 1, 2, 3].map(async () => {
        while (left > 0) {
          left -= 1;
          await get();
        }
      }));
      assert.equal(sb.stats.calls, 11_500);
      assert.ok(sb.requests.length >= 10_000 && sb.requests.length <= 11_000, `recorded ${sb.requests.length}`);
    } finally {
      agent.destroy();
      await sb.close();
    }
  });

  it('benchSandbox reports throughput for creates and paging', async () => {
    const results = await benchSandbox({ creates: 50, partners: 2_000, pageSize: 500 });
    assert.equal(results.length, 2);
    assert.deepEqual(results.map((r) => r.operations), [50, 2_000]);
    assert.ok(results.every((r) => r.perSecond > 0));
  });
});
