/**
 * Idempotency guard throughput through the real nodes in an embedded Node-RED runtime (`RED.init`/`RED.start`,
 * as in production; the test helper's spies would dominate the figures). A cycle is a new key through
 * idempotency-guard (claim) and idempotency-complete (store the result), for SQLite and Redis, compared with a
 * core change-node hop measured in the same run and runtime (best of alternating rounds; see ROUNDS).
 */
import * as path from 'node:path';
import { deploy, makeUserDir, SINK_TYPE, startRedIn, throughput, waitForNode, type EmbeddedRed } from '../test/helpers/embedded-red';
import { REDIS_URL, deleteKeys, redisAvailable, uniqueKeyPrefix } from '../test/helpers/redis';

const MESSAGES = 20_000;
const WARM_UP = 2_000;

const order = (id: string | number, i: number) => ({ payload: { id, total: i, lines: [{ sku: 'A', qty: 1 }] } });

/** Best of this many rounds per side, the sides alternating, so a burst of load on the shared machine hits both. */
const ROUNDS = 3;

/**
 * Both paths on one tab: a core change node, and idempotency-guard -> idempotency-complete on the store. Each
 * round sends new keys through the guard path and as many messages through the change node.
 */
async function guardAndChangeHop(RED: EmbeddedRed, store: Record<string, unknown>, run: string): Promise<{ cycles: number; hops: number }> {
  await deploy(
    RED,
    [
      { id: 'bench-tab', type: 'tab', label: 'bench' },
      { id: 'bench-store', type: 'middleware-store', ...store },
      { id: 'bench-guard', type: 'idempotency-guard', z: 'bench-tab', store: 'bench-store', namespace: 'bench', key: 'payload.id', keyType: 'msg', leaseSeconds: 300, compareFingerprint: true, wires: [['bench-complete'], [], []] },
      { id: 'bench-complete', type: 'idempotency-complete', z: 'bench-tab', store: 'bench-store', mode: 'success', ttlSeconds: 3600, wires: [['bench-out']] },
      { id: 'bench-change', type: 'change', z: 'bench-tab', rules: [{ t: 'set', p: 'topic', pt: 'msg', to: 'hop', tot: 'str' }], wires: [['bench-out']] },
      { id: 'bench-out', type: SINK_TYPE, z: 'bench-tab', wires: [] },
    ],
    'bench-guard',
  );
  await waitForNode(RED, 'bench-change');
  await throughput(RED, 'bench-guard', WARM_UP, (i) => order(`${run}-warm-${i}`, i));
  await throughput(RED, 'bench-change', WARM_UP, (i) => order(i, i));
  let cycles = 0;
  let hops = 0;
  for (let round = 0; round < ROUNDS; round += 1) {
    hops = Math.max(hops, await throughput(RED, 'bench-change', MESSAGES, (i) => order(i, i)));
    cycles = Math.max(cycles, await throughput(RED, 'bench-guard', MESSAGES, (i) => order(`${run}-${round}-${i}`, i)));
  }
  return { cycles, hops };
}

export async function benchGuard(): Promise<Record<string, number>> {
  const dir = makeUserDir('mw-bench-guard-', ['middleware-store', 'idempotency-guard', 'idempotency-complete'], { sink: true });
  const RED = await startRedIn(dir);
  const prefix = uniqueKeyPrefix('bench-guard');
  const withRedis = await redisAvailable();
  try {
    const sqlite = await guardAndChangeHop(RED, { backend: 'sqlite', path: path.join(dir.work, 'bench.sqlite') }, 'sqlite');
    const figures: Record<string, number> = {
      guard_sqlite_cycles_per_s: Math.round(sqlite.cycles),
      change_hops_per_s: Math.round(sqlite.hops),
      guard_sqlite_vs_change_hop_ratio: sqlite.cycles / sqlite.hops,
    };
    if (withRedis) {
      const redis = await guardAndChangeHop(RED, { backend: 'redis', url: REDIS_URL, db: 0, keyPrefix: prefix }, 'redis');
      figures.guard_redis_cycles_per_s = Math.round(redis.cycles);
      figures.guard_redis_vs_change_hop_ratio = redis.cycles / redis.hops;
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
