/**
 * Idempotency guard throughput through the real nodes in an embedded Node-RED runtime (`RED.init`/`RED.start`,
 * as in production; the test helper's spies would dominate the figures). A cycle is a new key through
 * idempotency-guard (claim) and idempotency-complete (store the result), for SQLite and Redis, compared with a
 * core change-node hop measured in the same run and runtime.
 */
import * as path from 'node:path';
import { deploy, makeUserDir, SINK_TYPE, startRedIn, throughput, type EmbeddedRed } from '../test/helpers/embedded-red';
import { REDIS_URL, deleteKeys, redisAvailable, uniqueKeyPrefix } from '../test/helpers/redis';

const MESSAGES = 20_000;
const WARM_UP = 2_000;

const order = (id: string | number, i: number) => ({ payload: { id, total: i, lines: [{ sku: 'A', qty: 1 }] } });

async function guardCycles(RED: EmbeddedRed, store: Record<string, unknown>, run: string): Promise<number> {
  await deploy(
    RED,
    [
      { id: 'bench-tab', type: 'tab', label: 'bench' },
      { id: 'bench-store', type: 'middleware-store', ...store },
      { id: 'bench-guard', type: 'idempotency-guard', z: 'bench-tab', store: 'bench-store', namespace: 'bench', key: 'payload.id', keyType: 'msg', leaseSeconds: 300, compareFingerprint: true, wires: [['bench-complete'], [], []] },
      { id: 'bench-complete', type: 'idempotency-complete', z: 'bench-tab', store: 'bench-store', mode: 'success', ttlSeconds: 3600, wires: [['bench-out']] },
      { id: 'bench-out', type: SINK_TYPE, z: 'bench-tab', wires: [] },
    ],
    'bench-guard',
  );
  await throughput(RED, 'bench-guard', WARM_UP, (i) => order(`${run}-warm-${i}`, i));
  return throughput(RED, 'bench-guard', MESSAGES, (i) => order(`${run}-${i}`, i));
}

async function changeHops(RED: EmbeddedRed): Promise<number> {
  await deploy(
    RED,
    [
      { id: 'bench-tab', type: 'tab', label: 'bench' },
      { id: 'bench-change', type: 'change', z: 'bench-tab', rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'hop', tot: 'str' }], wires: [['bench-out']] },
      { id: 'bench-out', type: SINK_TYPE, z: 'bench-tab', wires: [] },
    ],
    'bench-change',
  );
  await throughput(RED, 'bench-change', WARM_UP, (i) => order(i, i));
  return throughput(RED, 'bench-change', MESSAGES, (i) => order(i, i));
}

export async function benchGuard(): Promise<Record<string, number>> {
  const dir = makeUserDir('mw-bench-guard-', ['middleware-store', 'idempotency-guard', 'idempotency-complete'], { sink: true });
  const RED = await startRedIn(dir);
  const prefix = uniqueKeyPrefix('bench-guard');
  const withRedis = await redisAvailable();
  try {
    const hops = await changeHops(RED);
    const sqlite = await guardCycles(RED, { backend: 'sqlite', path: path.join(dir.work, 'bench.sqlite') }, 'sqlite');
    const figures: Record<string, number> = {
      guard_sqlite_cycles_per_s: Math.round(sqlite),
      change_hops_per_s: Math.round(hops),
      guard_sqlite_vs_change_hop_ratio: sqlite / hops,
    };
    if (withRedis) {
      figures.guard_redis_cycles_per_s = Math.round(await guardCycles(RED, { backend: 'redis', url: REDIS_URL, db: 0, keyPrefix: prefix }, 'redis'));
    } else {
      console.error(`guard_redis_cycles_per_s not measured: no Redis at ${REDIS_URL}`);
    }
    return figures;
  } finally {
    await RED.runtime.flows.setFlows({ flows: { flows: [] }, deploymentType: 'full' });
    await RED.stop();
    dir.remove();
    if (withRedis) await deleteKeys(prefix);
  }
}
