/**
 * Scale-out on an I/O-bound flow: signed webhooks through webhook-in's durable inbox -> upsert res.partner (two
 * Odoo calls) -> event ack, with every sandbox call taking 20 ms and 4 Odoo calls at once per instance, so one
 * instance is held by Odoo, not by its CPU. Events processed per second (first webhook sent to last record in
 * Odoo), 3 instances behind a round-robin proxy against 1, on a shared Redis (store and bus). One run each.
 */
import { randomBytes } from 'node:crypto';
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '../sandbox';
import { createCluster, sendWebhooks, startRoundRobinProxy } from '../test/helpers/cluster';
import { deleteKeys, REDIS_URL, redisAvailable } from '../test/helpers/redis';
import { RABBITMQ_URL } from '../test/helpers/rabbitmq';

const EVENTS = 2_000;
const LATENCY_MS = 20;
const ODOO_CONCURRENCY = 4;

async function count(sandbox: Sandbox, run: string): Promise<number> {
  const res = await fetch(`${sandbox.url}/json/2/res.partner/search_count`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `bearer ${SANDBOX_DEFAULTS.apiKey}` },
    body: JSON.stringify({ domain: [['ref', 'like', `${run}-`]] }),
  });
  if (res.status !== 200) throw new Error(`search_count answered ${res.status}`);
  return (await res.json()) as number;
}

/** Events per second through `instances` Node-RED processes. */
async function eventsPerSecond(sandbox: Sandbox, instances: number): Promise<number> {
  const run = `BENCH-SCALE-${instances}-${randomBytes(3).toString('hex')}`;
  const prefix = `bench:scaleout:${run}:`;
  const cluster = await createCluster(instances, {
    bus: 'redis',
    redisUrl: REDIS_URL,
    rabbitUrl: RABBITMQ_URL,
    prefix,
    sandbox,
    odooConcurrency: ODOO_CONCURRENCY,
    inboxConcurrency: 2 * ODOO_CONCURRENCY,
    leaseSeconds: 60,
  });
  const proxy = await startRoundRobinProxy(cluster.map((i) => i.port));
  try {
    await Promise.all(cluster.map((i) => i.start()));
    const refs = Array.from({ length: EVENTS }, (_, i) => `${run}-${i}`);
    const started = Date.now();
    const sent = sendWebhooks(proxy.url, refs, 32);
    const deadline = started + 300_000;
    while ((await count(sandbox, run)) < EVENTS) {
      if (Date.now() > deadline) throw new Error(`${instances} instance(s): not all ${EVENTS} events in Odoo after 300 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (Date.now() - started) / 1000;
    await sent;
    return EVENTS / seconds;
  } finally {
    await proxy.close();
    await Promise.all(cluster.map((i) => i.stop()));
    for (const i of cluster) i.remove();
    await deleteKeys(prefix);
  }
}

export async function benchScaleout(): Promise<Record<string, number>> {
  if (!(await redisAvailable())) {
    console.error(`scaleout_ratio not measured: no Redis at ${REDIS_URL}`);
    return {};
  }
  const sandbox = await startSandbox({ port: 0, faults: { latencyMs: LATENCY_MS } });
  sandbox.recordRequests(false);
  try {
    const one = await eventsPerSecond(sandbox, 1);
    const three = await eventsPerSecond(sandbox, 3);
    return { scaleout_events_per_s_1: Math.round(one), scaleout_events_per_s_3: Math.round(three), scaleout_ratio: three / one };
  } finally {
    await sandbox.close();
  }
}
