/**
 * Node-RED as a child process on the Orders tab: a patched copy of flows/flows.json in a temporary user dir
 * (short lease, short Odoo timeout, the soak retry policy on every odoo-write's Delivery tab, the chosen store backend), this package linked into the
 * user dir as `npm start` does, and kill -9 / restart on the same user dir and store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Backend } from './options';

export const ROOT = path.resolve(__dirname, '..', '..');
const ORDERS_TAB_LABEL = 'Orders';
const CONNECTION_ID = 'a1f0c0de000000c1';
/** Properties that name a config node. */
const CONFIG_FIELDS = ['store', 'deliveryStore', 'connection', 'sla', 'inbox'] as const;

type FlowNode = Record<string, unknown> & { id: string; type: string; z?: string };

export interface FlowPatch {
  backend: Backend;
  redisUrl: string;
  keyPrefix: string;
  leaseSeconds: number;
  odooTimeoutSeconds: number;
  odooConcurrency: number;
  circuitThreshold: number;
  circuitCoolDownSeconds: number;
  retry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number; maxTotalMs: number; replayRate: number };
}

/** The Orders tab, its nodes, the shared connection and the config nodes they use; nothing else, patched for the soak. */
export function soakFlows(flows: FlowNode[], patch: FlowPatch): FlowNode[] {
  const tab = flows.find((n) => n.type === 'tab' && n.label === ORDERS_TAB_LABEL);
  if (!tab) throw new Error(`flows/flows.json has no tab labelled "${ORDERS_TAB_LABEL}"`);
  const onTab = flows.filter((n) => n.z === tab.id);
  const configIds = new Set<string>([CONNECTION_ID]);
  // Config nodes the tab uses, and the ones they use in turn (an sla's store).
  const byId = new Map(flows.map((n) => [n.id, n]));
  const refer = (n: FlowNode): void => {
    for (const field of CONFIG_FIELDS) {
      const id = n[field];
      if (typeof id !== 'string' || configIds.has(id) || !byId.has(id)) continue;
      configIds.add(id);
      refer(byId.get(id) as FlowNode);
    }
  };
  onTab.forEach(refer);
  const picked = [tab, ...flows.filter((n) => configIds.has(n.id)), ...onTab].map((n) => ({ ...n }));
  for (const n of picked) {
    if (n.type === 'odoo-connection') {
      Object.assign(n, { timeout: patch.odooTimeoutSeconds, concurrency: patch.odooConcurrency, circuitThreshold: patch.circuitThreshold, circuitCoolDown: patch.circuitCoolDownSeconds });
    }
    if (n.type === 'middleware-store') {
      Object.assign(n, patch.backend === 'redis' ? { backend: 'redis', url: patch.redisUrl, db: 0, keyPrefix: patch.keyPrefix } : { backend: 'sqlite', path: 'soak-store.sqlite' });
    }
    if (n.type === 'odoo-write' && n.once === true) n.onceLeaseSeconds = patch.leaseSeconds;
    if (n.type === 'odoo-write' && n.retry === true) {
      const { maxAttempts, baseDelayMs, maxDelayMs, maxTotalMs, replayRate } = patch.retry;
      Object.assign(n, { retryMaxAttempts: maxAttempts, retryBaseDelayMs: baseDelayMs, retryMaxDelayMs: maxDelayMs, retryMultiplier: 2, retryMaxTotalMs: maxTotalMs, deadLetterReplayRate: replayRate });
    }
  }
  if (!picked.some((n) => n.type === 'middleware-store')) throw new Error('the Orders tab uses no middleware-store');
  return [...picked, ...circuitCounter(picked, tab.id)];
}

/** Written to node-red.log once per circuit that ended its cool-down (see countCircuitOpens). */
export const CIRCUIT_HALF_OPEN_MARK = 'soak-circuit half-open';

/**
 * A status node watching one odoo-write node and a function node that logs each "circuit half-open" status. Every
 * node on the connection shows the shared circuit's state; half-open is only ever set by the breaker itself (the
 * "circuit open" text is also set by calls refused while a probe is in flight), so one line = one open circuit
 * whose cool-down ended. Opens cut short by a kill -9 are not counted.
 */
function circuitCounter(picked: FlowNode[], tabId: string): FlowNode[] {
  const watched = picked.find((n) => n.type === 'odoo-write' && n.connection === CONNECTION_ID);
  if (!watched) return [];
  const fn = 'soak0000000000f2';
  return [
    { id: 'soak0000000000f1', type: 'status', z: tabId, name: 'soak: circuit state', scope: [watched.id], x: 120, y: 900, wires: [[fn]] },
    {
      id: fn,
      type: 'function',
      z: tabId,
      name: 'soak: count circuit opens',
      func: `if (msg.status && msg.status.text === 'circuit half-open') node.warn(${JSON.stringify(CIRCUIT_HALF_OPEN_MARK)});\nreturn null;`,
      outputs: 1,
      x: 340,
      y: 900,
      wires: [[]],
    },
  ];
}

/** How many times the circuit opened (and reached half-open) according to node-red.log. */
export function countCircuitOpens(logFile: string): number {
  if (!fs.existsSync(logFile)) return 0;
  return fs.readFileSync(logFile, 'utf8').split(CIRCUIT_HALF_OPEN_MARK).length - 1;
}

/** Node-RED loads packages from the user dir's node_modules; link this one there, as scripts/start.ts does. */
export function prepareUserDir(userDir: string, flows: FlowNode[]): string {
  const modules = path.join(userDir, 'node_modules');
  fs.mkdirSync(modules, { recursive: true });
  const link = path.join(modules, 'node-red-contrib-odoo-middleware');
  if (!fs.existsSync(link)) fs.symlinkSync(ROOT, link, 'dir');
  const flowFile = path.join(userDir, 'soak-flows.json');
  fs.writeFileSync(flowFile, JSON.stringify(flows, null, 2));
  return flowFile;
}

export interface NodeRedProcess {
  readonly child: ChildProcess;
  /** Resolves once the process has exited. */
  readonly exited: Promise<void>;
}

/** Starts Node-RED and resolves once it logs "Started flows"; its output goes to `log`. */
export function startNodeRed(options: { flowFile: string; env: NodeJS.ProcessEnv; log: fs.WriteStream; timeoutMs: number }): Promise<NodeRedProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve('node-red/red.js'), '-s', path.join(ROOT, 'dist', 'settings.js'), options.flowFile], {
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    let recent = '';
    let ready = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`Node-RED did not start within ${options.timeoutMs} ms:\n${recent}`));
    }, options.timeoutMs);
    const onData = (chunk: Buffer): void => {
      options.log.write(chunk);
      if (ready) return;
      recent = (recent + chunk.toString()).slice(-20_000);
      if (/Started flows/.test(recent)) {
        ready = true;
        clearTimeout(timer);
        resolve({ child, exited });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (!ready) reject(new Error(`Node-RED exited (${code ?? signal}) before it started:\n${recent}`));
    });
  });
}

export async function killHard(red: NodeRedProcess): Promise<void> {
  red.child.kill('SIGKILL');
  await red.exited;
}

export async function stopGracefully(red: NodeRedProcess): Promise<void> {
  const force = setTimeout(() => red.child.kill('SIGKILL'), 10_000);
  red.child.kill('SIGTERM');
  await red.exited;
  clearTimeout(force);
}
