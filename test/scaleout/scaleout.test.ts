/**
 * Scale-out: three Node-RED processes run the same flow against a shared Redis (store and bus), or a RabbitMQ bus
 * with a Redis store, behind a round-robin proxy. 3,000 signed webhooks go through webhook-in's durable inbox while
 * one instance is killed with SIGKILL and restarted: every event ends up in the Odoo sandbox exactly once (checked
 * over JSON-2), nothing is dead-lettered, and each instance wrote a share of the records.
 */
import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { startSandbox, type Sandbox } from '../../sandbox';
import { clusterQueues, createCluster, sendWebhooks, startRoundRobinProxy, type ClusterBus, type ClusterInstance, type RoundRobinProxy } from '../helpers/cluster';
import { callSandbox } from '../helpers/odoo';
import { getJson } from '../helpers/process';
import { deleteRabbitObjects, RABBITMQ_URL, requireRabbit } from '../helpers/rabbitmq';
import { deleteKeys, REDIS_URL, requireRedis } from '../helpers/redis';

const WEBHOOKS = 3_000;
const INSTANCES = 3;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface PartnerRow {
  ref: string;
  comment: string | false;
}

async function partners(sandbox: Sandbox, run: string): Promise<PartnerRow[]> {
  return callSandbox<PartnerRow[]>(sandbox, 'res.partner', 'search_read', { domain: [['ref', 'like', `${run}-`]], fields: ['ref', 'comment'], context: { active_test: false } });
}

/** Waits until every ref is in Odoo and the record count has stopped changing (late redeliveries would show). */
async function settled(sandbox: Sandbox, run: string, expected: number, timeoutMs: number): Promise<PartnerRow[]> {
  const deadline = Date.now() + timeoutMs;
  let rows = await partners(sandbox, run);
  let stable = 0;
  while (Date.now() < deadline) {
    await sleep(1_000);
    const now = await partners(sandbox, run);
    stable = now.length === rows.length && now.length >= expected ? stable + 1 : 0;
    rows = now;
    if (stable >= 3) break;
  }
  return rows;
}

function scaleOut(bus: ClusterBus): void {
  describe(`scale-out: ${INSTANCES} Node-RED instances, ${bus} bus, Redis store`, function () {
    this.timeout(600_000);
    const run = `SCALE-${bus}-${randomBytes(4).toString('hex')}`;
    const prefix = bus === 'redis' ? `test:scaleout:${run}:` : `test.scaleout.${run}.`;
    let sandbox: Sandbox | undefined;
    let instances: ClusterInstance[] = [];
    let proxy: RoundRobinProxy | undefined;

    before(async function () {
      await requireRedis(this);
      if (bus === 'rabbitmq') await requireRabbit(this);
      sandbox = await startSandbox({ port: 0, faults: { latencyMs: [1, 5] } });
      sandbox.recordRequests(false);
      instances = await createCluster(INSTANCES, {
        bus,
        redisUrl: REDIS_URL,
        rabbitUrl: RABBITMQ_URL,
        prefix,
        sandbox,
        odooConcurrency: 4,
        inboxConcurrency: 8,
        leaseSeconds: 5,
      });
      await Promise.all(instances.map((i) => i.start()));
      proxy = await startRoundRobinProxy(instances.map((i) => i.port));
    });

    after(async function () {
      await proxy?.close();
      await Promise.all(instances.map((i) => i.stop()));
      for (const i of instances) i.remove();
      await sandbox?.close();
      await deleteKeys(prefix);
      if (bus === 'rabbitmq') await deleteRabbitObjects(prefix, clusterQueues(prefix));
    });

    it('processes every webhook exactly once across the instances while one is killed with SIGKILL and restarted', async function () {
      const odoo = sandbox as Sandbox;
      const refs = Array.from({ length: WEBHOOKS }, (_, i) => `${run}-${String(i).padStart(5, '0')}`);
      const victim = instances[1];
      let killAt: (() => void) | undefined;
      const killPoint = new Promise<void>((resolve) => (killAt = resolve));
      const chaos = (async () => {
        await killPoint;
        await victim.kill();
        await sleep(1_000);
        await victim.start();
      })();
      const stats = await sendWebhooks((proxy as RoundRobinProxy).url, refs, 32, (accepted) => {
        if (accepted === Math.floor(WEBHOOKS / 3)) killAt?.();
      });
      await chaos;
      assert.equal(stats.accepted, WEBHOOKS, JSON.stringify(stats));

      const rows = await settled(odoo, run, WEBHOOKS, 180_000);
      const byRef = new Map<string, number>();
      for (const r of rows) byRef.set(r.ref, (byRef.get(r.ref) ?? 0) + 1);
      const missing = refs.filter((r) => !byRef.has(r));
      const duplicated = [...byRef].filter(([, n]) => n > 1).map(([r]) => r);
      assert.deepEqual(missing.slice(0, 10), [], `${missing.length} webhooks never reached Odoo`);
      assert.deepEqual(duplicated.slice(0, 10), [], `${duplicated.length} webhooks created more than one partner`);
      assert.equal(rows.length, WEBHOOKS);

      // Each instance wrote a share: at least a sixth of an even split, the killed one included.
      const shares = new Map<string, number>(instances.map((i) => [i.name, 0]));
      for (const r of rows) {
        const writer = instances.find((i) => typeof r.comment === 'string' && r.comment.includes(i.name));
        assert.ok(writer, `partner ${r.ref} names no instance: ${String(r.comment)}`);
        shares.set(writer.name, (shares.get(writer.name) ?? 0) + 1);
      }
      for (const [name, count] of shares) assert.ok(count >= WEBHOOKS / INSTANCES / 6, `${name} wrote only ${count} of ${WEBHOOKS}: ${JSON.stringify([...shares])}`);
      for (const [port, count] of (proxy as RoundRobinProxy).forwarded) assert.ok(count > 0, `no request reached port ${port}`);

      // Nothing parked: the shared store's dead-letter queue is empty, seen from any instance.
      const dead = await getJson(`http://127.0.0.1:${instances[0].port}/odoo-middleware/dead-letters?status=dead&limit=10`);
      assert.equal(dead.status, 200, JSON.stringify(dead.body));
      assert.equal((dead.body as { total: number }).total, 0, JSON.stringify(dead.body));
      console.log(`      ${bus}: ${WEBHOOKS} webhooks, answers ${JSON.stringify(stats.byStatus)}, ${stats.connectionErrors} connection errors; records per instance ${JSON.stringify(Object.fromEntries(shares))}`);
    });
  });
}

scaleOut('redis');
scaleOut('rabbitmq');
