import http from 'node:http';
import { SANDBOX_DEFAULTS, startSandbox } from './server';

export interface SandboxBenchResult {
  name: string;
  operations: number;
  ms: number;
  perSecond: number;
}

/**
 * Sandbox throughput over keep-alive HTTP: single-record creates, then paging through seeded partners.
 * The `sandbox` section of `npm run bench`; sizes default to the targets (10,000 creates, 100,000 partners read by 1,000).
 */
export async function benchSandbox(sizes: { creates?: number; partners?: number; pageSize?: number } = {}): Promise<SandboxBenchResult[]> {
  const creates = sizes.creates ?? 10_000;
  const partners = sizes.partners ?? 100_000;
  const pageSize = sizes.pageSize ?? 1_000;
  const sb = await startSandbox();
  sb.recordRequests(false);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = adminPost(sb.url, agent);
  const results: SandboxBenchResult[] = [];
  const measure = async (name: string, operations: number, run: () => Promise<void>): Promise<void> => {
    const started = process.hrtime.bigint();
    await run();
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    results.push({ name, operations, ms: Math.round(ms), perSecond: Math.round((operations / ms) * 1000) });
  };
  try {
    await measure('sandbox: single-record creates (JSON-2)', creates, async () => {
      for (let i = 0; i < creates; i += 1) await post('/json/2/res.partner/create', { vals_list: { name: `Bench ${i}` } });
    });
    const seed = Array.from({ length: partners }, (_, i) => ({ name: `Paged ${i}`, ref: `P${i}` }));
    sb.insertRecords('res.partner', seed);
    await measure(`sandbox: read ${partners} partners by ${pageSize} (JSON-2 search_read)`, partners, async () => {
      let lastId = 0;
      for (;;) {
        const page = (await post('/json/2/res.partner/search_read', {
          domain: [['ref', '=like', 'P%'], ['id', '>', lastId]],
          fields: ['name', 'email', 'write_date'],
          limit: pageSize,
          order: 'id asc',
        })) as Array<{ id: number }>;
        if (page.length === 0) break;
        lastId = page[page.length - 1].id;
      }
    });
  } finally {
    agent.destroy();
    await sb.close();
  }
  return results;
}

/** A JSON-2 POST as the sandbox admin over a given (keep-alive) agent; rejects on any status but 200. */
export function adminPost(baseUrl: string, agent: http.Agent): (path: string, body: unknown) => Promise<unknown> {
  return (path, body) =>
    new Promise((resolve, reject) => {
      const req = http.request(
        `${baseUrl}${path}`,
        { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${SANDBOX_DEFAULTS.apiKey}` } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(Buffer.concat(chunks).toString())) : reject(new Error(`HTTP ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
}
