/**
 * Exactly-once soak through webhook-in's durable inbox: a shop sends N signed webhooks to webhook-in in ack mode
 * with an event bus; the flow behind it upserts one res.partner per webhook into a faulty Odoo sandbox (the
 * soak's faults), nacking failed calls so the bus delivers them again. Node-RED is killed with SIGKILL several
 * times and restarted on the same bus and store; each kill is taken while acknowledged events are still waiting for
 * their Odoo write, and the run fails if none was. The faults stay on until the bus has drained into Odoo; then,
 * with faults off and the dead letters replayed once, every webhook must be in Odoo exactly once.
 *
 *   npm run soak:inbox -- --bus sqlite|redis|rabbitmq [--webhooks 10000] [--kills 3] [--seed N]
 *
 * Prints per bus `orders=N in_odoo=N lost=0 duplicates=0 dead_after_replay=0` (an order is one webhook) and
 * exits 1 when any check fails.
 */
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import { startSandbox, type Sandbox } from '../sandbox';
import { seededRandom } from '../sandbox/faults';
import { clusterQueues, createCluster, sendWebhooks, type ClusterBus, type ClusterInstance } from '../test/helpers/cluster';
import { deleteRabbitObjects, RABBITMQ_URL } from '../test/helpers/rabbitmq';
import { deleteKeys, REDIS_URL } from '../test/helpers/redis';
import { SOAK_FAULTS } from './faults';
import { requestJson } from './http';
import { listDeadLetters, odooCall } from './oracle';

const USAGE = 'usage: node dist/soak/inbox.js [--bus sqlite|redis|rabbitmq] [--webhooks N] [--kills N] [--seed N]   (default: every bus in turn)';
const BUSES: readonly ClusterBus[] = ['sqlite', 'redis', 'rabbitmq'];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface InboxSoakOptions {
  buses: ClusterBus[];
  webhooks: number;
  kills: number;
  seed: number;
}

function parseArgs(argv: string[]): InboxSoakOptions {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    const match = /^--(bus|webhooks|kills|seed)(?:=(.*))?$/.exec(argv[i]);
    if (!match) throw new Error(`unexpected argument '${argv[i]}'\n${USAGE}`);
    const value = match[2] ?? argv[(i += 1)];
    if (value === undefined) throw new Error(`--${match[1]} needs a value\n${USAGE}`);
    args.set(match[1], value);
  }
  const int = (name: string, fallback: number, min: number): number => {
    const raw = args.get(name);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`--${name} must be an integer >= ${min}, got '${raw}'\n${USAGE}`);
    return n;
  };
  const bus = args.get('bus');
  if (bus !== undefined && !BUSES.includes(bus as ClusterBus)) throw new Error(`--bus must be sqlite, redis or rabbitmq, got '${bus}'\n${USAGE}`);
  return { buses: bus ? [bus as ClusterBus] : [...BUSES], webhooks: int('webhooks', 10_000, 1), kills: int('kills', 3, 0), seed: int('seed', Date.now() % 1_000_000, 0) };
}

async function refsInOdoo(agent: http.Agent, sandbox: Sandbox, run: string): Promise<Map<string, number>> {
  // Retried through the sandbox's faults; a short timeout skips its timeout fault.
  const rows = await odooCall<Array<{ ref: string }>>(agent, sandbox.url, 'res.partner', 'search_read', { domain: [['ref', 'like', `${run}-`]], fields: ['ref'], context: { active_test: false } }, 3_000);
  const counts = new Map<string, number>();
  for (const row of rows) counts.set(row.ref, (counts.get(row.ref) ?? 0) + 1);
  return counts;
}

/** Waits until the partner count has not changed for `stableSeconds` (pending deliveries and backoffs done). */
async function settle(agent: http.Agent, sandbox: Sandbox, run: string, expected: number, stableSeconds: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  let stable = 0;
  while (Date.now() < deadline) {
    await sleep(1_000);
    const now = (await refsInOdoo(agent, sandbox, run)).size;
    stable = now === last ? stable + 1 : 0;
    last = now;
    if (stable >= (now >= expected ? 3 : stableSeconds)) return;
  }
}

async function runBus(bus: ClusterBus, options: InboxSoakOptions): Promise<boolean> {
  const started = Date.now();
  const run = `SOAK-INBOX-${bus}-${randomBytes(3).toString('hex')}`;
  const prefix = bus === 'rabbitmq' ? `soak.${run}.` : `soak:${run}:`;
  const random = seededRandom(options.seed);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const sandbox = await startSandbox({ port: 0, faults: SOAK_FAULTS, seed: options.seed });
  sandbox.recordRequests(false);
  let red: ClusterInstance | undefined;
  try {
    [red] = await createCluster(1, {
      bus,
      store: bus === 'sqlite' ? 'sqlite' : 'redis',
      redisUrl: REDIS_URL,
      rabbitUrl: RABBITMQ_URL,
      prefix,
      sandbox,
      odooConcurrency: 16,
      odooTimeoutSeconds: 2,
      inboxConcurrency: 8,
      // Longer than one delivery can take (two calls of at most 2 s), so a live delivery is never taken over.
      leaseSeconds: 15,
      maxDeliveries: 25,
    });
    const instance = red;
    console.log(`bus=${bus} webhooks=${options.webhooks} kills=${options.kills} seed=${options.seed} store=${bus === 'sqlite' ? 'sqlite' : 'redis'}`);
    await instance.start();

    const refs = Array.from({ length: options.webhooks }, (_, i) => `${run}-${String(i).padStart(6, '0')}`);
    const accepted = new Set<string>();
    const killPoints = Array.from({ length: options.kills }, (_, k) => Math.floor(options.webhooks * (0.15 + (0.7 * k) / Math.max(options.kills, 1) + random() * 0.1)));
    const kills: string[] = [];
    let killsBetweenAckAndWrite = 0;
    const killer = (async () => {
      for (const point of killPoints) {
        while (accepted.size < point) await sleep(50);
        await sleep(random() * 300);
        await instance.kill();
        // Node-RED is dead: whatever was acknowledged and is not in Odoo now waits on the bus.
        const acknowledged = [...accepted];
        const inOdoo = await refsInOdoo(agent, sandbox, run);
        const waiting = acknowledged.filter((r) => !inOdoo.has(r)).length;
        if (waiting > 0) killsBetweenAckAndWrite += 1;
        const down = Date.now();
        await instance.start();
        kills.push(`${acknowledged.length}/${options.webhooks} acknowledged, ${waiting} of them not yet in Odoo, back in ${Date.now() - down} ms`);
        console.log(`  kill -9: ${kills.at(-1)}`);
      }
    })();
    const ticker = setInterval(() => console.log(`  ${accepted.size}/${options.webhooks} acknowledged (${((Date.now() - started) / 1000).toFixed(0)} s)`), 30_000);
    let stats;
    try {
      stats = await sendWebhooks(`http://127.0.0.1:${instance.port}`, refs, 32, (_n, ref) => accepted.add(ref));
    } finally {
      clearInterval(ticker);
    }
    await killer;
    const deliveredMs = Date.now() - started;

    // Acknowledged is not yet written: the faults stay on until the bus has drained into Odoo. Backoffs after many
    // failed deliveries reach a minute, so "drained" is all in Odoo, or no change for longer than that.
    await settle(agent, sandbox, run, options.webhooks, 70, 600_000);
    const drainedMs = Date.now() - started;
    sandbox.setFaults({});
    await settle(agent, sandbox, run, options.webhooks, 10, 120_000);
    const adminUrl = `http://127.0.0.1:${instance.port}`;
    const dead = await listDeadLetters(agent, adminUrl, 'dead');
    if (dead.length > 0) {
      const answer = await requestJson(agent, `${adminUrl}/odoo-middleware/dead-letters/replay`, { body: { ids: dead.map((d) => d.id) }, timeoutMs: 30_000 });
      if (answer.status !== 200) throw new Error(`replay answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
      await settle(agent, sandbox, run, options.webhooks, 10, 120_000);
    }
    const deadAfter = await listDeadLetters(agent, adminUrl, 'dead');
    const inOdoo = await refsInOdoo(agent, sandbox, run);
    const lost = refs.filter((r) => !inOdoo.has(r));
    const duplicates = [...inOdoo].filter(([, n]) => n > 1);
    const faults = Object.entries(sandbox.stats.faults).map(([k, v]) => `${k}=${v}`).join(' ');
    console.log(`  acknowledged in ${(deliveredMs / 1000).toFixed(1)} s, written to Odoo (faults on) by ${(drainedMs / 1000).toFixed(1)} s; wall ${((Date.now() - started) / 1000).toFixed(1)} s; Odoo calls ${sandbox.stats.calls}; faults ${faults}`);
    console.log(`  sender: answers ${JSON.stringify(stats.byStatus)}, ${stats.connectionErrors} connection errors`);
    console.log(`  kills: ${kills.length}, ${killsBetweenAckAndWrite} of them with acknowledged events not yet written to Odoo`);
    console.log(`  dead letters before replay: ${dead.length}; after: ${deadAfter.length}`);
    for (const r of lost.slice(0, 5)) console.log(`    lost: ${r}`);
    for (const [r, n] of duplicates.slice(0, 5)) console.log(`    duplicate: ${r} x${n}`);
    const ok = lost.length === 0 && duplicates.length === 0 && deadAfter.length === 0 && kills.length === options.kills && (options.kills === 0 || killsBetweenAckAndWrite > 0);
    console.log(`bus=${bus} ${ok ? 'PASS' : 'FAIL'} wall=${((Date.now() - started) / 1000).toFixed(1)}s`);
    console.log(`orders=${refs.length} in_odoo=${inOdoo.size} lost=${lost.length} duplicates=${duplicates.length} dead_after_replay=${deadAfter.length}`);
    return ok;
  } finally {
    await red?.stop();
    red?.remove();
    await sandbox.close();
    agent.destroy();
    if (bus !== 'sqlite') await deleteKeys(prefix);
    if (bus === 'rabbitmq') await deleteRabbitObjects(prefix, clusterQueues(prefix));
  }
}

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  let ok = true;
  for (const bus of options.buses) ok = (await runBus(bus, options)) && ok;
  process.exitCode = ok ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});
