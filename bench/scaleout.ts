/**
 * Scale-out on an I/O-bound flow: signed webhooks through webhook-in's durable inbox -> upsert res.partner (two
 * Odoo calls) -> event ack, with every sandbox call taking 20 ms and 4 Odoo calls at once per instance, so one
 * instance is held by Odoo, not by its CPU. Events processed per second (first webhook sent to last record in
 * Odoo), 3 instances behind a round-robin proxy against 1, on a shared Redis (store and bus). One run each.
 *
 * Both runs start from the same state: a fresh sandbox each (upsert's search by ref scans every partner, so the
 * second run would otherwise search a larger table), and instances that have already handled a few webhooks each
 * (a running deployment, not one whose JIT is cold: three fresh processes would pay the warm-up three times).
 * Where the time went is printed to stderr: when the last webhook was accepted, records written per instance, and
 * how long each process ran on a CPU and waited for one (runnable, not running: the machine's CPU is short).
 */
import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { startSandbox, type Sandbox } from '../sandbox';
import { createCluster, sendWebhooks, startRoundRobinProxy } from '../test/helpers/cluster';
import { deleteKeys, REDIS_URL, redisAvailable } from '../test/helpers/redis';
import { RABBITMQ_URL } from '../test/helpers/rabbitmq';

const EVENTS = 2_000;
const WARM_UP_PER_INSTANCE = 100;
const LATENCY_MS = 20;
const ODOO_CONCURRENCY = 4;
const SENDERS = 32;
const POLL_MS = 20;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Partners whose ref starts with `prefix`, counted inside the sandbox (no HTTP, no injected latency). */
function count(sandbox: Sandbox, prefix: string): number {
  return sandbox.callMethod('res.partner', 'search_count', { domain: [['ref', '=like', `${prefix}%`]] }) as number;
}

async function waitFor(sandbox: Sandbox, prefix: string, expected: number, what: string): Promise<void> {
  const deadline = Date.now() + 300_000;
  while (count(sandbox, prefix) < expected) {
    if (Date.now() > deadline) throw new Error(`${what}: not all ${expected} events in Odoo after 300 s`);
    await sleep(POLL_MS);
  }
}

/** Seconds a process's main thread has run on a CPU and waited for one so far (Linux schedstat; undefined elsewhere). */
function schedSeconds(pid: number | undefined): { run: number; wait: number } | undefined {
  if (pid === undefined) return undefined;
  try {
    const [run, wait] = fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return { run: run / 1e9, wait: wait / 1e9 };
  } catch {
    return undefined;
  }
}

function loadAverage(): string {
  try {
    return fs.readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return '?';
  }
}

/** `on CPU/waiting for CPU` seconds of each process between two readings. */
function schedDelta(before: Array<{ run: number; wait: number } | undefined>, after: Array<{ run: number; wait: number } | undefined>): string {
  return after.map((a, i) => {
    const b = before[i];
    return a && b ? `${(a.run - b.run).toFixed(1)}/${(a.wait - b.wait).toFixed(1)}` : '?';
  }).join(', ');
}

/** Events per second through `instances` Node-RED processes. */
async function eventsPerSecond(instances: number): Promise<number> {
  const sandbox = await startSandbox({ port: 0, faults: { latencyMs: LATENCY_MS } });
  sandbox.recordRequests(false);
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
    const warmUp = Array.from({ length: WARM_UP_PER_INSTANCE * instances }, (_, i) => `${run}-W-${i}`);
    await sendWebhooks(proxy.url, warmUp, SENDERS);
    await waitFor(sandbox, `${run}-W-`, warmUp.length, `${instances} instance(s), warm-up`);

    const refs = Array.from({ length: EVENTS }, (_, i) => `${run}-E-${i}`);
    const pids = [...cluster.map((i) => i.pid), process.pid];
    const before = pids.map(schedSeconds);
    const started = Date.now();
    let acceptedAt = 0;
    const sent = sendWebhooks(proxy.url, refs, SENDERS, (accepted) => {
      if (accepted === EVENTS) acceptedAt = Date.now();
    });
    await waitFor(sandbox, `${run}-E-`, EVENTS, `${instances} instance(s)`);
    const seconds = (Date.now() - started) / 1000;
    await sent;

    const sched = schedDelta(before, pids.map(schedSeconds));
    const rows = sandbox.callMethod('res.partner', 'search_read', { domain: [['ref', '=like', `${run}-E-%`]], fields: ['comment'] }) as Array<{ comment: string | false }>;
    const shares = cluster.map((i) => rows.filter((r) => r.comment === i.name).length);
    console.error(
      `scaleout ${instances} instance(s): ${EVENTS} events in ${seconds.toFixed(2)} s, all accepted after ${((acceptedAt - started) / 1000).toFixed(2)} s; ` +
        `records per instance ${shares.join('/')}; seconds on CPU/waiting for CPU of each Node-RED, then of the sandbox+proxy+senders: ${sched}; ` +
        `load average ${loadAverage()}`,
    );
    return EVENTS / seconds;
  } finally {
    await proxy.close();
    await Promise.all(cluster.map((i) => i.stop()));
    for (const i of cluster) i.remove();
    await deleteKeys(prefix);
    await sandbox.close();
  }
}

export async function benchScaleout(): Promise<Record<string, number>> {
  if (!(await redisAvailable())) {
    console.error(`scaleout_ratio not measured: no Redis at ${REDIS_URL}`);
    return {};
  }
  const one = await eventsPerSecond(1);
  const three = await eventsPerSecond(3);
  return { scaleout_events_per_s_1: Math.round(one), scaleout_events_per_s_3: Math.round(three), scaleout_ratio: three / one };
}
