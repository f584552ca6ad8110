/**
 * The shipped "Shop webhook" tab, run as users run it: an embedded Node-RED serving /hooks/shop-orders over HTTP,
 * the Odoo sandbox behind it, signed orders posted with a few in flight. The tab answers 202 once an order is on its
 * inbox and writes it to Odoo afterwards, so a round ends when its last order reached the tab's ack after the
 * write. Measures orders per second with tracing (export off), the metrics or the anomaly monitor on and off, rounds
 * alternating in one runtime.
 */
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { NodeAPI } from 'node-red';
import { Counter, Histogram } from 'prom-client';
import { anomalyMonitor } from '../nodes/lib/runtime/anomaly';
import { installTracing, type TracingRuntime } from '../nodes/lib/trace/runtime';
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '../sandbox';
import { makeUserDir, nodeRed, startRed, waitForNode, type EmbeddedRed } from '../test/helpers/embedded-red';

const root = path.resolve(__dirname, '..', '..');
const SHOP_TAB = 'a3f0c0de00000001';
const SECRET = 'bench-shop-secret';
const TYPES = ['webhook-in', 'correlation-tracer', 'canonical-mapper', 'odoo-write', 'odoo-connection', 'middleware-store', 'event-bus', 'event-ack', 'sla', 'sla-open', 'sla-close'];
/** The tab's ack after a written order, and its failure path's ack (parked) and nack. */
const WRITTEN_ACK = 'a3f0c0de00000009';
const NOT_WRITTEN = ['a3f0c0de00000017', 'a3f0c0de00000018'];

/** The Shop webhook tab and the config nodes it uses, as shipped in flows/flows.json. */
function shopFlow(): unknown[] {
  const all = JSON.parse(fs.readFileSync(path.join(root, 'flows', 'flows.json'), 'utf8')) as Array<Record<string, unknown>>;
  return all.filter((n) => n.id === SHOP_TAB || n.z === SHOP_TAB || (!n.z && n.type !== 'tab'));
}

function order(id: number): string {
  return JSON.stringify({
    id,
    email: `shopper.${id}@example.com`,
    created_at: '2026-01-15T10:20:30-05:00',
    currency: 'EUR',
    total_price: '209.00',
    total_tax: '0.00',
    customer: { id: 700000 + id, first_name: 'Bob', last_name: `Norman ${id}` },
    billing_address: { first_name: 'Bob', last_name: 'Norman', address1: 'Chestnut Street 92', city: 'Louisville', zip: '40202', country_code: 'US' },
    line_items: [
      { sku: 'FURN_7777', title: 'Office Chair', quantity: 1, price: '199.00' },
      { sku: 'FURN_8888', title: 'Office Lamp', quantity: 2, price: '5,00' },
    ],
  });
}

export interface ShopRig {
  RED: EmbeddedRed;
  /** Posts `count` new signed orders, `inFlight` at a time; orders per second until all are written (every answer must be 202). */
  run(count: number, inFlight?: number): Promise<number>;
  close(): Promise<void>;
}

export async function startShopRig(settings: Record<string, unknown> = {}): Promise<ShopRig> {
  const sandbox: Sandbox = await startSandbox({ port: 0 });
  Object.assign(process.env, {
    ODOO_URL: sandbox.url,
    ODOO_DB: SANDBOX_DEFAULTS.database,
    ODOO_LOGIN: SANDBOX_DEFAULTS.login,
    ODOO_API_KEY: SANDBOX_DEFAULTS.apiKey,
    ODOO_PASSWORD: SANDBOX_DEFAULTS.password,
    SHOP_WEBHOOK_SECRET: SECRET,
  });
  const dir = makeUserDir('mw-bench-shop-', TYPES);
  const RED = nodeRed();
  // Embedded, Node-RED serves nothing itself: the server hands requests to its httpNode app.
  const server = http.createServer((req, res) => (RED as unknown as { httpNode: http.RequestListener }).httpNode(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  await startRed(RED, { userDir: dir.work, nodesDir: [dir.nodesDir], disableEditor: true, httpNodeRoot: '/', ...settings }, server);
  await RED.runtime.flows.setFlows({ flows: { flows: shopFlow() }, deploymentType: 'full' });
  await waitForNode(RED, 'a3f0c0de000000f1', { error: 'the Shop webhook tab did not start' });
  // Listeners of one argument leave the nodes' own completion alone.
  let written = 0;
  let waiting: { target: number; settle(err?: Error): void } | undefined;
  let failure: Error | undefined;
  (await waitForNode(RED, WRITTEN_ACK)).on('input', () => {
    written += 1;
    if (waiting && written >= waiting.target) waiting.settle();
  });
  for (const id of NOT_WRITTEN) {
    (await waitForNode(RED, id)).on('input', (msg) => {
      const why = (msg as { error?: unknown }).error ?? (msg as { deadLetter?: unknown }).deadLetter;
      failure ??= new Error(`an order acknowledged by the Shop webhook was not written: ${JSON.stringify(why)}`);
      waiting?.settle(failure);
    });
  }
  const allWritten = (target: number): Promise<void> =>
    failure
      ? Promise.reject(failure)
      : written >= target
      ? Promise.resolve()
      : new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => waiting?.settle(new Error(`${target - written} acknowledged orders were not written within 2 minutes`)), 120_000);
          waiting = {
            target,
            settle: (err) => {
              clearTimeout(timer);
              waiting = undefined;
              if (err) reject(err);
              else resolve();
            },
          };
        });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/shop-orders`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  let next = 1_000_000 + (Date.now() % 1_000_000) * 100;

  const post = (body: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'x-signature': signature, 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(body);
    });

  return {
    RED,
    async run(count, inFlight = 4) {
      const bodies = Array.from({ length: count }, () => order(next++));
      let i = 0;
      const target = written + count;
      const started = process.hrtime.bigint();
      const worker = async (): Promise<void> => {
        while (i < bodies.length) {
          const status = await post(bodies[i++]);
          if (status !== 202) throw new Error(`the Shop webhook answered ${status}`);
        }
      };
      await Promise.all(Array.from({ length: inFlight }, worker));
      await allWritten(target);
      return count / (Number(process.hrtime.bigint() - started) / 1e9);
    },
    async close() {
      agent.destroy();
      await RED.stop();
      server.close();
      await sandbox.close();
      dir.remove();
    },
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

interface Overhead {
  /** Orders per second lost, in percent: the median of the pairs' own ratios. */
  pct: number;
  /** The process's CPU time per order added, in percent (sender, Node-RED and sandbox share the process). */
  cpuPct: number;
  on: number;
  off: number;
}

/**
 * Short rounds in pairs, the order inside a pair alternating (off-on, on-off, ...), so a drift of the shared
 * machine's load falls on both sides; the overhead is the median of the pairs' overheads. CPU time per order is
 * read beside the rate: other processes on the machine take wall time from a round, far less its CPU time.
 */
async function pairedOverhead(rig: ShopRig, turn: (on: boolean) => void, orders: number, pairs: number): Promise<Overhead> {
  await rig.run(orders * 2); // warm-up: JIT, first allocations, Odoo lookups cached by the mapper
  const measure = async (on: boolean): Promise<{ rate: number; cpu: number }> => {
    turn(on);
    try {
      const before = process.cpuUsage();
      const rate = await rig.run(orders);
      const used = process.cpuUsage(before);
      return { rate, cpu: (used.user + used.system) / orders };
    } finally {
      turn(false);
    }
  };
  const on: number[] = [];
  const off: number[] = [];
  const overheads: number[] = [];
  const cpuOverheads: number[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    const first = pair % 2 === 1;
    const a = await measure(first);
    const b = await measure(!first);
    const [withIt, without] = first ? [a, b] : [b, a];
    on.push(withIt.rate);
    off.push(without.rate);
    overheads.push(((without.rate - withIt.rate) / without.rate) * 100);
    cpuOverheads.push(((withIt.cpu - without.cpu) / without.cpu) * 100);
  }
  return { pct: median(overheads), cpuPct: median(cpuOverheads), on: median(on), off: median(off) };
}

export async function benchShopTracing(orders = 150, pairs = 20): Promise<Record<string, number>> {
  const rig = await startShopRig();
  let tracing: TracingRuntime | undefined;
  try {
    tracing = installTracing({ hooks: rig.RED.hooks, settings: { odooMiddleware: { tracing: { enabled: false } } } }, {});
    const active = tracing;
    const result = await pairedOverhead(rig, (on) => (on ? active.enable() : active.disable()), orders, pairs);
    return { tracing_overhead_pct: result.pct, tracing_overhead_cpu_pct: result.cpuPct, shop_orders_per_s_tracing_on: result.on, shop_orders_per_s_tracing_off: result.off };
  } finally {
    await tracing?.close();
    await rig.close();
  }
}

/**
 * The metrics' cost on the same flow: rounds with every counter and histogram recording against rounds with
 * prom-client's recording methods replaced by no-ops (the product has no switch for them; a scrape is not timed).
 */
export async function benchShopMetrics(orders = 150, pairs = 20): Promise<Record<string, number>> {
  const rig = await startShopRig();
  const counterInc = Counter.prototype.inc;
  const histogramObserve = Histogram.prototype.observe;
  const turn = (on: boolean): void => {
    Counter.prototype.inc = on ? counterInc : () => undefined;
    Histogram.prototype.observe = on ? histogramObserve : () => undefined;
  };
  try {
    const result = await pairedOverhead(rig, turn, orders, pairs);
    return { metrics_overhead_pct: result.pct, metrics_overhead_cpu_pct: result.cpuPct, shop_orders_per_s_metrics_on: result.on, shop_orders_per_s_metrics_off: result.off };
  } finally {
    turn(true);
    await rig.close();
  }
}

/**
 * The anomaly monitor's cost on the same flow: its message hooks on against off (the monitor of this runtime, as
 * the Operations sidebar and ops-alert nodes start it; its once-a-window judging is not timed).
 */
export async function benchShopAnomaly(orders = 150, pairs = 20): Promise<Record<string, number>> {
  const rig = await startShopRig({ odooMiddleware: { anomaly: { enabled: false } } });
  const monitor = anomalyMonitor(rig.RED as unknown as NodeAPI);
  try {
    const result = await pairedOverhead(rig, (on) => (on ? monitor.start() : monitor.stop()), orders, pairs);
    return { anomaly_overhead_pct: result.pct, anomaly_overhead_cpu_pct: result.cpuPct, shop_orders_per_s_anomaly_on: result.on, shop_orders_per_s_anomaly_off: result.off };
  } finally {
    monitor.stop();
    await rig.close();
  }
}
