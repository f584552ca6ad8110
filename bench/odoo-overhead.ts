/**
 * Per-call overhead of each transport: the same call through the client and as a bare keep-alive HTTP POST of the
 * same request to the same server, timed in turns in one process. 1.0 means the client costs nothing.
 */
import * as http from 'node:http';
import { createOdooClient } from '../nodes/lib/odoo';
import { startSandbox, SANDBOX_DEFAULTS } from '../sandbox';

const CALLS = 3000;
const ROUNDS = 3;

function barePost(agent: http.Agent, url: URL, body: string, headers: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function timeCalls(call: () => Promise<unknown>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i += 1) await call();
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function benchOverhead(): Promise<Record<string, number>> {
  const sandbox = await startSandbox({ port: 0 });
  sandbox.recordRequests(false);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const domain = [['is_company', '=', true]];
  try {
    const json2 = createOdooClient({ url: sandbox.url, protocol: 'json2', apiKey: SANDBOX_DEFAULTS.apiKey, database: SANDBOX_DEFAULTS.database, concurrency: 1 });
    const jsonrpc = createOdooClient({ url: sandbox.url, protocol: 'jsonrpc', login: SANDBOX_DEFAULTS.login, password: SANDBOX_DEFAULTS.password, database: SANDBOX_DEFAULTS.database, concurrency: 1 });
    const uid = (await jsonrpc.test()).uid;
    const json2Url = new URL(`${sandbox.url}/json/2/res.partner/search_count`);
    const json2Body = JSON.stringify({ domain });
    const json2Headers = { authorization: `bearer ${SANDBOX_DEFAULTS.apiKey}`, 'x-odoo-database': SANDBOX_DEFAULTS.database };
    const rpcUrl = new URL(`${sandbox.url}/jsonrpc`);
    const rpcBody = JSON.stringify({
      jsonrpc: '2.0',
      method: 'call',
      id: 1,
      params: { service: 'object', method: 'execute_kw', args: [SANDBOX_DEFAULTS.database, uid, SANDBOX_DEFAULTS.password, 'res.partner', 'search_count', [domain], {}] },
    });

    const totals = { json2: 0, json2Bare: 0, jsonrpc: 0, jsonrpcBare: 0 };
    // Warm-up, then alternate so drift on a busy machine hits both sides alike.
    await timeCalls(() => json2.call('res.partner', 'search_count', { domain }));
    await timeCalls(() => barePost(agent, json2Url, json2Body, json2Headers));
    for (let round = 0; round < ROUNDS; round += 1) {
      totals.json2Bare += await timeCalls(() => barePost(agent, json2Url, json2Body, json2Headers));
      totals.json2 += await timeCalls(() => json2.call('res.partner', 'search_count', { domain }));
      totals.jsonrpcBare += await timeCalls(() => barePost(agent, rpcUrl, rpcBody, {}));
      totals.jsonrpc += await timeCalls(() => jsonrpc.call('res.partner', 'search_count', { domain }));
    }
    json2.close();
    jsonrpc.close();
    return {
      json2_overhead_ratio: totals.json2 / totals.json2Bare,
      jsonrpc_overhead_ratio: totals.jsonrpc / totals.jsonrpcBare,
      json2_call_us: (totals.json2 * 1000) / (CALLS * ROUNDS),
      bare_post_us: (totals.json2Bare * 1000) / (CALLS * ROUNDS),
    };
  } finally {
    agent.destroy();
    await sandbox.close();
  }
}
