/**
 * Idempotency guard throughput through the real nodes in an embedded Node-RED runtime (`RED.init`/`RED.start`,
 * as in production; the test helper's spies would dominate the figures). A cycle is a new key through
 * idempotency-guard (claim) and idempotency-complete (store the result), for SQLite and Redis, compared with a
 * core change-node hop measured in the same run and runtime.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { REDIS_URL, deleteKeys, redisAvailable, uniqueKeyPrefix } from '../test/helpers/redis';

interface EmbeddedRed {
  init(server: http.Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  nodes: { getNode(id: string): { receive(msg: Record<string, unknown>): void } | null };
  runtime: { flows: { setFlows(opts: { flows: { flows: unknown[] }; deploymentType: string }): Promise<unknown> } };
}

const MESSAGES = 20_000;
const WARM_UP = 2_000;
/** Messages in flight at once: enough to keep the runtime busy, few enough to stay a steady stream. */
const WINDOW = 100;
/** The bench sink node calls this for every message it receives. */
const SINK_HOOK = '__odooMiddlewareBenchSink';

const SINK_NODE = `module.exports = function (RED) {
  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    this.on('input', function (msg, send, done) { globalThis[${JSON.stringify(SINK_HOOK)}](msg); done(); });
  }
  RED.nodes.registerType('bench-sink', BenchSink);
};
`;

function setSink(fn: (msg: unknown) => void): void {
  (globalThis as Record<string, unknown>)[SINK_HOOK] = fn;
}

async function deploy(RED: EmbeddedRed, flows: unknown[], entry: string): Promise<void> {
  await RED.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' });
  const deadline = Date.now() + 10_000;
  while (!RED.nodes.getNode(entry)) {
    if (Date.now() > deadline) throw new Error(`flow with ${entry} did not start`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Pushes `count` messages into `entry`, keeping WINDOW in flight, and returns messages per second at the sink. */
async function throughput(RED: EmbeddedRed, entry: string, count: number, makeMsg: (i: number) => Record<string, unknown>): Promise<number> {
  const input = RED.nodes.getNode(entry);
  if (!input) throw new Error(`no node ${entry}`);
  let sent = 0;
  let arrived = 0;
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    setSink(() => {
      arrived += 1;
      if (arrived === count) resolve();
      else if (sent < count) input.receive(makeMsg(sent++));
    });
    while (sent < Math.min(WINDOW, count)) input.receive(makeMsg(sent++));
  });
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}

const order = (id: string | number, i: number) => ({ payload: { id, total: i, lines: [{ sku: 'A', qty: 1 }] } });

async function guardCycles(RED: EmbeddedRed, store: Record<string, unknown>, run: string): Promise<number> {
  await deploy(
    RED,
    [
      { id: 'bench-tab', type: 'tab', label: 'bench' },
      { id: 'bench-store', type: 'middleware-store', ...store },
      { id: 'bench-guard', type: 'idempotency-guard', z: 'bench-tab', store: 'bench-store', namespace: 'bench', key: 'payload.id', keyType: 'msg', leaseSeconds: 300, compareFingerprint: true, wires: [['bench-complete'], [], []] },
      { id: 'bench-complete', type: 'idempotency-complete', z: 'bench-tab', store: 'bench-store', mode: 'success', ttlSeconds: 3600, wires: [['bench-out']] },
      { id: 'bench-out', type: 'bench-sink', z: 'bench-tab', wires: [] },
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
      { id: 'bench-out', type: 'bench-sink', z: 'bench-tab', wires: [] },
    ],
    'bench-change',
  );
  await throughput(RED, 'bench-change', WARM_UP, (i) => order(i, i));
  return throughput(RED, 'bench-change', MESSAGES, (i) => order(i, i));
}

export async function benchGuard(): Promise<Record<string, number>> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-bench-guard-'));
  const nodesDir = path.join(work, 'nodes');
  fs.mkdirSync(nodesDir);
  const built = path.resolve(__dirname, '..', 'nodes');
  for (const type of ['middleware-store', 'idempotency-guard', 'idempotency-complete']) {
    fs.writeFileSync(path.join(nodesDir, `${type}.js`), `module.exports = require(${JSON.stringify(path.join(built, `${type}.js`))});\n`);
    fs.copyFileSync(path.join(built, `${type}.html`), path.join(nodesDir, `${type}.html`));
  }
  fs.writeFileSync(path.join(nodesDir, 'bench-sink.js'), SINK_NODE);
  fs.writeFileSync(path.join(nodesDir, 'bench-sink.html'), '<script type="text/javascript">RED.nodes.registerType("bench-sink",{category:"bench",defaults:{},inputs:1});</script>\n');

  // eslint-disable-next-line @typescript-eslint/no-require-imports -- node-red's embedding API has no type declarations
  const RED = require('node-red') as EmbeddedRed;
  RED.init(http.createServer(), {
    userDir: work,
    nodesDir: [nodesDir],
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    logging: { console: { level: 'error' } },
  });
  await RED.start();
  const prefix = uniqueKeyPrefix('bench-guard');
  const withRedis = await redisAvailable();
  try {
    const hops = await changeHops(RED);
    const sqlite = await guardCycles(RED, { backend: 'sqlite', path: path.join(work, 'bench.sqlite') }, 'sqlite');
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
    fs.rmSync(work, { recursive: true, force: true });
    if (withRedis) await deleteKeys(prefix);
  }
}
