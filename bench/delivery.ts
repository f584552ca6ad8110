/**
 * What odoo-write's Delivery tab costs per message: single-record creates against the sandbox through the same
 * node in an embedded runtime, with exactly once + retry on (SQLite, then Redis) and with the tab off, measured in
 * alternating rounds of the same run. The overhead is the difference in time per message; best round of each.
 */
import * as path from 'node:path';
import { startSandbox, SANDBOX_DEFAULTS, type Sandbox } from '../sandbox';
import { deploy, makeUserDir, SINK_TYPE, startRedIn, throughput, type EmbeddedRed } from '../test/helpers/embedded-red';
import { REDIS_URL, deleteKeys, redisAvailable, uniqueKeyPrefix } from '../test/helpers/redis';

const MESSAGES = 3_000;
const WARM_UP = 500;
const ROUNDS = 3;

type Store = Record<string, unknown> | undefined;

function flow(url: string, store: Store): unknown[] {
  const delivery = store
    ? { deliveryStore: 'bench-store', once: true, onceNamespace: 'bench', onceKey: 'payload.ref', onceKeyType: 'msg', onceLeaseSeconds: 300, onceCompareFingerprint: true, retry: true }
    : {};
  return [
    { id: 'bench-tab', type: 'tab', label: 'bench' },
    {
      id: 'bench-conn', type: 'odoo-connection', url, database: SANDBOX_DEFAULTS.database, protocol: 'json2', timeout: 60, concurrency: 4, tlsVerify: true,
      credentials: { apiKey: SANDBOX_DEFAULTS.apiKey },
    },
    ...(store ? [{ id: 'bench-store', type: 'middleware-store', ...store }] : []),
    {
      id: 'bench-write', type: 'odoo-write', z: 'bench-tab', connection: 'bench-conn', operation: 'create', model: 'res.partner', modelType: 'str',
      chunkSize: 100, keyType: 'none', ...delivery, wires: [['bench-out'], []],
    },
    { id: 'bench-out', type: SINK_TYPE, z: 'bench-tab', wires: [] },
  ];
}

/** Messages per second through odoo-write, each a new partner with a new key. */
async function writesPerSecond(RED: EmbeddedRed, url: string, store: Store, run: string): Promise<number> {
  await deploy(RED, flow(url, store), 'bench-write');
  const partner = (i: number) => ({ payload: { name: `${run} ${i}`, ref: `${run}-${i}` } });
  await throughput(RED, 'bench-write', WARM_UP, (i) => partner(-1 - i));
  return throughput(RED, 'bench-write', MESSAGES, partner);
}

/** Best of ROUNDS for each setting, alternating so drift on a busy machine hits both alike; us per message. */
async function overheadUs(RED: EmbeddedRed, sandbox: Sandbox, store: Record<string, unknown>, label: string): Promise<{ off: number; on: number; overhead: number }> {
  let off = 0;
  let on = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    off = Math.max(off, await writesPerSecond(RED, sandbox.url, undefined, `${label}-off-${round}`));
    on = Math.max(on, await writesPerSecond(RED, sandbox.url, store, `${label}-on-${round}`));
  }
  return { off, on, overhead: (1 / on - 1 / off) * 1e6 };
}

export async function benchDelivery(): Promise<Record<string, number>> {
  const sandbox = await startSandbox({ port: 0 });
  sandbox.recordRequests(false);
  const dir = makeUserDir('mw-bench-delivery-', ['odoo-connection', 'odoo-write', 'middleware-store'], { sink: true });
  const RED = await startRedIn(dir);
  const prefix = uniqueKeyPrefix('bench-delivery');
  const withRedis = await redisAvailable();
  try {
    const sqlite = await overheadUs(RED, sandbox, { backend: 'sqlite', path: path.join(dir.work, 'bench.sqlite') }, 'sqlite');
    const figures: Record<string, number> = {
      delivery_overhead_us_per_msg: sqlite.overhead,
      delivery_off_writes_per_s: Math.round(sqlite.off),
      delivery_on_writes_per_s: Math.round(sqlite.on),
    };
    if (withRedis) {
      const redis = await overheadUs(RED, sandbox, { backend: 'redis', url: REDIS_URL, db: 0, keyPrefix: prefix }, 'redis');
      figures.delivery_overhead_us_per_msg_redis = redis.overhead;
      figures.delivery_on_writes_per_s_redis = Math.round(redis.on);
    } else {
      console.error(`delivery_overhead_us_per_msg_redis not measured: no Redis at ${REDIS_URL}`);
    }
    return figures;
  } finally {
    await RED.runtime.flows.setFlows({ flows: { flows: [] }, deploymentType: 'full' });
    await RED.stop();
    dir.remove();
    await sandbox.close();
    if (withRedis) await deleteKeys(prefix);
  }
}
