/**
 * Exactly-once soak of the Orders flow, after Kafka's exactly-once system test: a webhook provider delivers N
 * orders through Node-RED into a faulty Odoo sandbox, Node-RED is killed with SIGKILL several times mid-stream and
 * restarted on the same store, and at the end an oracle checks over JSON-2 that every order is in Odoo exactly
 * once (or still dead-lettered), after one replay of the dead-letter queue.
 *
 *   npm run soak -- --orders 10000 --backend sqlite|redis     (default: both backends, one after the other)
 *
 * Prints per backend `orders=N in_odoo=N lost=0 duplicates=0 dead_after_replay=0` and exits 1 when any
 * check fails.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import Redis from 'ioredis';
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '../sandbox';
import { seededRandom } from '../sandbox/faults';
import { SOAK_FAULTS } from './faults';
import { createAgent, requestJson } from './http';
import { countCircuitOpens, killHard, prepareUserDir, ROOT, soakFlows, startNodeRed, stopGracefully, type NodeRedProcess } from './node-red';
import { checkOracle, listDeadLetters, odooCall, type DeadLetterRow, type OracleResult } from './oracle';
import { parseOptions, type Backend, type SoakOptions } from './options';
import { makeOrders, Provider } from './provider';

// Few attempts on purpose: some orders exhaust them under these fault rates, so parking (202) and the replay are exercised.
const SOAK_RETRY = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, maxTotalMs: 60_000, replayRate: 100 };
const START_TIMEOUT_MS = 60_000;

interface KillRecord {
  atProgress: number;
  inFlight: number;
  /** In-flight orders whose sale.order was already committed when Node-RED died. */
  committedInFlight: number;
  restartMs: number;
}

interface BackendResult {
  backend: Backend;
  oracle: OracleResult;
  ok: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** Progress points (order counts) for the kills: random, the first at 10-20%, each next one 20-28% later. */
function killPoints(orders: number, kills: number, random: () => number): number[] {
  const points: number[] = [];
  const slack = Math.max(0, (0.85 - 0.2 * kills) / Math.max(kills, 1));
  let at = 0.1 + random() * 0.1;
  for (let i = 0; i < kills; i += 1) {
    points.push(Math.floor(at * orders));
    at += 0.2 + random() * slack;
  }
  return points;
}

async function cleanRedis(url: string, prefix: string): Promise<number> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  let removed = 0;
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) removed += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return removed;
}

/**
 * Replays every dead letter once, then waits until Odoo and the queue stop changing. Retries still under way when
 * the faults stopped (e.g. waiting out an open circuit) may park after a pass started: later passes replay those,
 * and no letter is ever replayed twice.
 */
async function replayAndDrain(agent: http.Agent, adminUrl: string, odooUrl: string, tag: string, log: (line: string) => void): Promise<void> {
  const replayed = new Set<string>();
  const started = Date.now();
  for (let pass = 1; pass <= 5; pass += 1) {
    const fresh = (await listDeadLetters(agent, adminUrl, 'dead')).filter((d) => !replayed.has(d.id));
    if (fresh.length === 0 && pass > 1) break;
    for (let i = 0; i < fresh.length; i += 500) {
      const ids = fresh.slice(i, i + 500).map((d) => d.id);
      const answer = await requestJson(agent, `${adminUrl}/odoo-middleware/dead-letters/replay`, { body: { ids }, timeoutMs: 30_000 });
      if (answer.status !== 200) throw new Error(`replay answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 500)}`);
      const { conflicts = [], notFound = [] } = answer.body as { conflicts?: Array<{ id: string; reason: string; message: string }>; notFound?: string[] };
      for (const c of conflicts) log(`    replay refused: ${c.id} ${c.reason}: ${c.message}`);
      for (const id of notFound) log(`    replay refused: ${id} not found`);
      ids.forEach((id) => replayed.add(id));
    }
    // Replays leave at the retry nodes' replay rate; then let pending retries and chatter notes settle.
    const passStarted = Date.now();
    const minWaitMs = 2_000 + Math.ceil(fresh.length / SOAK_RETRY.replayRate) * 1_000;
    let previous = '';
    let stableFor = 0;
    while (Date.now() - passStarted < 120_000) {
      await sleep(1_000);
      const [count, dead] = await Promise.all([
        odooCall<number>(agent, odooUrl, 'sale.order', 'search_count', { domain: [['client_order_ref', 'like', `SOAK-${tag}-`]] }),
        listDeadLetters(agent, adminUrl, 'dead'),
      ]);
      const state = `${count}/${dead.length}`;
      stableFor = state === previous ? stableFor + 1 : 0;
      previous = state;
      if (stableFor >= 3 && Date.now() - passStarted >= minWaitMs) break;
    }
    log(`  replay pass ${pass}: ${fresh.length} dead letters replayed`);
  }
  log(`  replay settled after ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

async function runBackend(backend: Backend, options: SoakOptions): Promise<BackendResult> {
  const started = Date.now();
  const tag = `${backend}-${randomBytes(3).toString('hex')}`;
  const apiToken = randomBytes(24).toString('hex');
  const random = seededRandom(options.seed);
  const log = (line: string): void => console.log(line);
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), `odoo-mw-soak-${backend}-`));
  const keyPrefix = `odoo-mw-soak:${tag}:`;
  const agent = createAgent(options.concurrency * 2 + 8);
  const adminAgent = createAgent(8);
  let sandbox: Sandbox | undefined;
  let red: NodeRedProcess | undefined;
  const nodeRedLog = fs.createWriteStream(path.join(userDir, 'node-red.log'));
  try {
    sandbox = await startSandbox({ port: 0, faults: SOAK_FAULTS, uniqueConstraints: { clientOrderRef: options.uniqueRef }, seed: options.seed });
    sandbox.recordRequests(false);
    const flows = soakFlows(JSON.parse(fs.readFileSync(path.join(ROOT, 'flows', 'flows.json'), 'utf8')), {
      backend,
      redisUrl: options.redisUrl,
      keyPrefix,
      leaseSeconds: options.leaseSeconds,
      odooTimeoutSeconds: options.odooTimeoutSeconds,
      odooConcurrency: options.odooConcurrency,
      circuitThreshold: options.circuitThreshold,
      circuitCoolDownSeconds: options.circuitCoolDownSeconds,
      retry: SOAK_RETRY,
    });
    const flowFile = prepareUserDir(userDir, flows);
    const port = await freePort();
    const adminUrl = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_RED_USER_DIR: userDir,
      ODOO_URL: sandbox.url,
      ODOO_DB: SANDBOX_DEFAULTS.database,
      ODOO_LOGIN: SANDBOX_DEFAULTS.login,
      ODOO_API_KEY: SANDBOX_DEFAULTS.apiKey,
      ODOO_PASSWORD: SANDBOX_DEFAULTS.password,
      API_TOKEN: apiToken,
    };
    delete env.NODE_RED_ADMIN_PASSWORD;
    log(`backend=${backend} orders=${options.orders} concurrency=${options.concurrency} lease=${options.leaseSeconds}s circuit=${options.circuitThreshold === 0 ? 'off' : `${options.circuitThreshold}x/${options.circuitCoolDownSeconds}s`} unique_ref=${options.uniqueRef ? 'on' : 'off'} seed=${options.seed} userDir=${userDir}${backend === 'redis' ? ` prefix=${keyPrefix}` : ''}`);
    red = await startNodeRed({ flowFile, env, log: nodeRedLog, timeoutMs: START_TIMEOUT_MS });

    const orders = makeOrders(options.orders, tag, random);
    const provider = new Provider(agent, () => `${adminUrl}/api/orders`, random, apiToken);
    const kills: KillRecord[] = [];
    const points = killPoints(options.orders, options.kills, random);
    const odooUrl = sandbox.url;
    const killer = (async () => {
      for (const point of points) {
        await provider.waitForProgress(point);
        if (provider.progress >= options.orders) return;
        await sleep(random() * 300);
        const inFlight = provider.inFlightOrders();
        await killHard(red as NodeRedProcess);
        const killedAt = Date.now();
        // Looked up while Node-RED restarts: resends meet the dead instance's claims (409) until their lease ends,
        // so nothing new commits for these orders before the answer. A short timeout skips the sandbox's timeout fault.
        const [committed, restarted] = await Promise.all([
          inFlight.length
            ? odooCall<unknown[]>(agent, odooUrl, 'sale.order', 'search_read', { domain: [['client_order_ref', 'in', inFlight]], fields: ['id'] }, 500)
            : Promise.resolve([]),
          startNodeRed({ flowFile, env, log: nodeRedLog, timeoutMs: START_TIMEOUT_MS }),
        ]);
        red = restarted;
        kills.push({ atProgress: provider.progress, inFlight: inFlight.length, committedInFlight: committed.length, restartMs: Date.now() - killedAt });
        log(`  kill -9 at ${provider.progress}/${options.orders}: ${inFlight.length} orders in flight, ${committed.length} of them already committed in Odoo; back in ${Date.now() - killedAt} ms`);
      }
    })();
    const deadline = setTimeout(() => provider.abort(new Error(`deadline of ${options.deadlineMs / 60_000} min passed at ${provider.progress}/${options.orders} orders`)), options.deadlineMs);
    const ticker = setInterval(() => log(`  ${provider.progress}/${options.orders} orders answered 2xx (${((Date.now() - started) / 1000).toFixed(0)} s)`), 30_000);
    // Seconds in which the sandbox got (almost) no call: Node-RED restarting, or its circuit breaker open.
    let idleSeconds = 0;
    let lastCalls = sandbox.stats.calls;
    const sampler = setInterval(() => {
      const calls = (sandbox as Sandbox).stats.calls;
      if (calls - lastCalls < 10) idleSeconds += 1;
      lastCalls = calls;
    }, 1_000);
    try {
      await provider.run(orders, options.concurrency);
      await killer;
    } finally {
      clearTimeout(deadline);
      clearInterval(ticker);
      clearInterval(sampler);
    }
    const deliveredMs = Date.now() - started;

    sandbox.setFaults({});
    // A call sent before the faults stopped may still hang until the Odoo timeout, and the circuit it opens waits out
    // its cool-down: replay, as an operator would, once Odoo answers again, so replays do not spend their attempts on it.
    await sleep((options.odooTimeoutSeconds + options.circuitCoolDownSeconds + 1) * 1_000);
    const deadBeforeReplay = await listDeadLetters(adminAgent, adminUrl, 'dead');
    const kindsBefore = countBy(deadBeforeReplay, (d) => `${String(d.errorCode ?? d.errorKind)}/${String(d.reason)}`);
    await replayAndDrain(adminAgent, adminUrl, odooUrl, tag, log);
    const deadAfter: DeadLetterRow[] = await listDeadLetters(adminAgent, adminUrl, 'dead');
    const oracle = await checkOracle(adminAgent, odooUrl, tag, orders, deadAfter);
    for (const d of deadAfter.slice(0, 5)) log(`    still dead: ${d.id} ${d.correlationId ?? ''} ${String(d.errorCode)} ${String(d.reason)} ${String(d.errorMessage ?? '').slice(0, 200)}`);
    const wallMs = Date.now() - started;

    const s = provider.stats;
    const waits = [...s.takeoverWaitsMs].sort((a, b) => a - b);
    const faults = Object.entries(sandbox.stats.faults).map(([k, v]) => `${k}=${v}`).join(' ');
    log(`  delivered in ${(deliveredMs / 1000).toFixed(1)} s (${idleSeconds} s of it with < 10 Odoo calls/s); wall ${(wallMs / 1000).toFixed(1)} s; Odoo calls ${sandbox.stats.calls}; faults ${faults}`);
    log(`  provider: ${s.requests} answers ${JSON.stringify(s.byStatus)}, ${s.connectionErrors} connection errors, ${s.clientTimeouts} client timeouts, ${s.routeMissing} 404s while the flows were starting`);
    const circuitNote = options.circuitThreshold === 0 ? 'off' : `opened ${countCircuitOpens(path.join(userDir, 'node-red.log'))} times (threshold ${options.circuitThreshold}, cool-down ${options.circuitCoolDownSeconds} s; counted at half-open, so not an open cut short by a kill)`;
    log(`  circuit breaker: ${circuitNote}`);
    log(`  kills: ${kills.length} (${kills.map((k) => `${k.atProgress}: ${k.committedInFlight}/${k.inFlight} committed in flight, restart ${k.restartMs} ms`).join('; ')})`);
    log(`  takeover: ${s.staleClaimBlocks.length} requests blocked > lease + 1 s; wait after lease end until a resend got through: max ${waits.at(-1) ?? 0} ms, p50 ${waits[Math.floor(waits.length / 2)] ?? 0} ms over ${waits.length}`);
    log(`  dead letters before replay: ${deadBeforeReplay.length} ${JSON.stringify(kindsBefore)}; after: ${deadAfter.length}`);
    log(`  sale.orders with wrong line count: ${oracle.lineMismatches}; without their correlation id on the chatter: ${oracle.missingCorrelation}; answers disagreeing between duplicate deliveries: ${s.disagreements.length}; unexpected answers: ${s.unexpected.length}`);
    log(`  partner emails held by several partners (no unique email in Odoo): ${oracle.duplicatePartnerEmails}`);
    for (const line of [...oracle.examples, ...s.staleClaimBlocks.slice(0, 5), ...s.disagreements.slice(0, 5), ...s.unexpected.slice(0, 5)]) log(`    ${line}`);
    const ok =
      oracle.lost === 0 &&
      oracle.duplicates === 0 &&
      oracle.deadAfterReplay === 0 &&
      oracle.missingCorrelation === 0 &&
      oracle.lineMismatches === 0 &&
      s.staleClaimBlocks.length === 0 &&
      s.disagreements.length === 0 &&
      s.unexpected.length === 0 &&
      kills.length === options.kills;
    log(`backend=${backend} ${ok ? 'PASS' : 'FAIL'} wall=${(wallMs / 1000).toFixed(1)}s`);
    log(`orders=${oracle.orders} in_odoo=${oracle.inOdoo} lost=${oracle.lost} duplicates=${oracle.duplicates} dead_after_replay=${oracle.deadAfterReplay}`);
    return { backend, oracle, ok };
  } finally {
    if (red) await stopGracefully(red);
    await sandbox?.close();
    agent.destroy();
    adminAgent.destroy();
    nodeRedLog.end();
    if (backend === 'redis') await cleanRedis(options.redisUrl, keyPrefix);
    if (process.env.SOAK_KEEP !== '1') fs.rmSync(userDir, { recursive: true, force: true });
  }
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[key(item)] = (out[key(item)] ?? 0) + 1;
  return out;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const results: BackendResult[] = [];
  for (const backend of options.backends) results.push(await runBackend(backend, options));
  process.exitCode = results.every((r) => r.ok) ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack ?? err.message : String(err));
  process.exit(1);
});
