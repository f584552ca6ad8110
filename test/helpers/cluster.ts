/**
 * Several Node-RED processes running the same flow against one shared broker, behind a round-robin HTTP proxy:
 * the deployment the README's "Scale-out" section describes, on loopback. The flow: a signed webhook-in in ack
 * mode with the durable inbox -> upsert res.partner by ref -> event ack (a failed write or call nacks, so the bus
 * delivers the event again after a backoff).
 * Each record names the instance that wrote it last, so a test can see how the work was shared.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { SANDBOX_DEFAULTS, type Sandbox } from '../../sandbox';
import { freePort } from './process';

const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CLUSTER_HOOK_PATH = '/hooks/orders';
export const CLUSTER_TOPIC = 'orders.received';
const SECRET = 'scale-out-webhook-secret';

export type ClusterBus = 'sqlite' | 'redis' | 'rabbitmq';

export interface ClusterOptions {
  bus: ClusterBus;
  redisUrl: string;
  rabbitUrl: string;
  /** Unique per run: Redis keys (store and bus) and RabbitMQ exchange and queues are named under it. */
  prefix: string;
  sandbox: Sandbox;
  /** Odoo connection concurrency per instance. */
  odooConcurrency: number;
  /** Events each instance's inbox hands to the flow at once. */
  inboxConcurrency: number;
  /** Seconds before an unacknowledged event goes to another instance. */
  leaseSeconds: number;
  /** Deliveries of one event before it is dead-lettered (default 20). */
  maxDeliveries?: number;
  /** Odoo call timeout in seconds (default 10). */
  odooTimeoutSeconds?: number;
  /** The store for replay claims and dead letters: the shared Redis (default), or a SQLite file per instance. */
  store?: 'redis' | 'sqlite';
}

type FlowNode = Record<string, unknown> & { id: string; type: string };

/** The one flow every instance runs; only the environment (instance name, port, URLs) differs. */
export function clusterFlow(options: ClusterOptions): FlowNode[] {
  const bus =
    options.bus === 'sqlite'
      ? { backend: 'sqlite', path: 'events.sqlite' }
      : options.bus === 'redis'
        ? { backend: 'redis', url: options.redisUrl, db: 0, keyPrefix: `${options.prefix}bus:` }
        : { backend: 'rabbitmq', amqpUrl: options.rabbitUrl, amqpPrefix: options.prefix };
  const store =
    options.store === 'sqlite'
      ? { backend: 'sqlite', path: 'store.sqlite' }
      : { backend: 'redis', url: options.redisUrl, db: 0, keyPrefix: `${options.prefix}store:` };
  return [
    { id: 'scale-tab', type: 'tab', label: 'Orders', info: 'A signed order webhook acknowledged durably, then upserted into Odoo.' },
    { id: 'scale-bus', type: 'event-bus', name: 'shared bus', ...bus },
    { id: 'scale-store', type: 'middleware-store', name: 'shared store', ...store },
    {
      id: 'scale-odoo', type: 'odoo-connection', name: 'Odoo', url: '${ODOO_URL}', database: '${ODOO_DB}', protocol: 'json2', login: '${ODOO_LOGIN}',
      apiKeyEnv: 'ODOO_API_KEY', passwordEnv: 'ODOO_PASSWORD', timeout: options.odooTimeoutSeconds ?? 10, concurrency: options.odooConcurrency, tlsVerify: true, circuitThreshold: 0, circuitCoolDown: 30,
    },
    {
      id: 'scale-hook', type: 'webhook-in', z: 'scale-tab', name: 'order webhook', path: CLUSTER_HOOK_PATH, method: 'post', scheme: 'hmac', hmacAlgorithm: 'sha256',
      hmacEncoding: 'hex', hmacHeader: 'X-Signature', hmacPrefix: 'sha256=', secretEnv: 'SCALE_WEBHOOK_SECRET', responseMode: 'ack', contentTypes: 'application/json',
      replay: true, store: 'scale-store', deliveryIdHeader: 'X-Delivery', inbox: 'scale-bus', inboxTopic: CLUSTER_TOPIC,
      inboxConcurrency: options.inboxConcurrency, inboxLease: options.leaseSeconds, inboxMaxDeliveries: options.maxDeliveries ?? 20, x: 120, y: 80, wires: [['scale-vals']],
    },
    {
      id: 'scale-vals', type: 'change', z: 'scale-tab', name: 'partner from order',
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"ref": payload.id, "name": payload.name, "comment": $env("INSTANCE_NAME")}', tot: 'jsonata' }],
      x: 320, y: 80, wires: [['scale-write']],
    },
    {
      id: 'scale-write', type: 'odoo-write', z: 'scale-tab', name: 'upsert res.partner by ref', connection: 'scale-odoo', operation: 'upsert', model: 'res.partner',
      modelType: 'str', method: '', methodType: 'str', ids: '', idsType: 'msg', chunkSize: 100, keyType: 'field', keyField: 'ref', xmlidModule: '__import__',
      postCorrelation: false, x: 520, y: 80, wires: [['scale-ack'], ['scale-nack']],
    },
    { id: 'scale-ack', type: 'event-ack', z: 'scale-tab', name: 'ack', action: 'ack', x: 720, y: 80, wires: [[]] },
    { id: 'scale-catch', type: 'catch', z: 'scale-tab', name: 'Odoo call failed', scope: ['scale-write'], uncaught: false, x: 520, y: 140, wires: [['scale-nack']] },
    { id: 'scale-nack', type: 'event-ack', z: 'scale-tab', name: 'nack: retry later', action: 'nack', x: 720, y: 140, wires: [[]] },
  ];
}

/** The RabbitMQ queues the flow declares (AMQP cannot list them, so cleanup needs the names). */
export const clusterQueues = (prefix: string): string[] => [`${prefix}${CLUSTER_TOPIC}.webhook-in`];

export class ClusterInstance {
  private child: ChildProcess | undefined;
  private out = '';

  constructor(readonly name: string, readonly port: number, private readonly userDir: string, private readonly flowFile: string, private readonly env: NodeJS.ProcessEnv) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The Node-RED process while it runs. */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  output(): string {
    return this.out;
  }

  /** Starts Node-RED and resolves once its flows have started. */
  start(timeoutMs = 90_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [require.resolve('node-red/red.js'), '-s', path.join(ROOT, 'dist', 'settings.js'), this.flowFile], {
        env: this.env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.child = child;
      let ready = false;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${this.name} did not start within ${timeoutMs} ms:\n${this.out.slice(-5000)}`));
      }, timeoutMs);
      const onData = (chunk: Buffer): void => {
        this.out = (this.out + chunk.toString()).slice(-200_000);
        if (!ready && /Started flows/.test(this.out)) {
          ready = true;
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        if (!ready) reject(new Error(`${this.name} exited (${code ?? signal}) before it started:\n${this.out.slice(-5000)}`));
      });
    });
  }

  /** kill -9: no close handlers, no acknowledgements, sockets cut. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    this.out += '\n[killed with SIGKILL]\n';
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(force);
  }

  remove(): void {
    fs.rmSync(this.userDir, { recursive: true, force: true });
  }
}

/** N instances on the same flow, each with its own user dir and port; not started. */
export async function createCluster(count: number, options: ClusterOptions): Promise<ClusterInstance[]> {
  const flow = JSON.stringify(clusterFlow(options), null, 2);
  const instances: ClusterInstance[] = [];
  for (let i = 1; i <= count; i += 1) {
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), `odoo-mw-scaleout-${i}-`));
    // Node-RED loads packages from the user dir's node_modules: link this one, as `npm start` does.
    fs.mkdirSync(path.join(userDir, 'node_modules'));
    fs.symlinkSync(ROOT, path.join(userDir, 'node_modules', 'node-red-contrib-odoo-middleware'), 'dir');
    const flowFile = path.join(userDir, 'flows.json');
    fs.writeFileSync(flowFile, flow);
    const port = await freePort();
    const name = `node-red-${i}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      NODE_RED_USER_DIR: userDir,
      INSTANCE_NAME: name,
      SCALE_WEBHOOK_SECRET: SECRET,
      ODOO_URL: options.sandbox.url,
      ODOO_DB: SANDBOX_DEFAULTS.database,
      ODOO_LOGIN: SANDBOX_DEFAULTS.login,
      ODOO_API_KEY: SANDBOX_DEFAULTS.apiKey,
      ODOO_PASSWORD: SANDBOX_DEFAULTS.password,
    };
    delete env.NODE_RED_ADMIN_PASSWORD;
    instances.push(new ClusterInstance(name, port, userDir, flowFile, env));
  }
  return instances;
}

export interface RoundRobinProxy {
  url: string;
  /** Requests forwarded to each upstream port. */
  forwarded: Map<number, number>;
  close(): Promise<void>;
}

/**
 * A round-robin HTTP load balancer, as nginx or HAProxy in front of the instances: the next upstream in turn; an
 * upstream refusing the connection (down) is skipped for the next one; a request cut after it was sent answers 502,
 * as a proxy does, and the sender resends.
 */
export async function startRoundRobinProxy(ports: readonly number[]): Promise<RoundRobinProxy> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const forwarded = new Map<number, number>(ports.map((p) => [p, 0]));
  let next = 0;
  const forward = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse, tries: number): void => {
    const port = ports[next++ % ports.length];
    const upstream = http.request({ host: '127.0.0.1', port, path: req.url, method: req.method, headers: req.headers, agent }, (answer) => {
      forwarded.set(port, (forwarded.get(port) ?? 0) + 1);
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    });
    upstream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED' && tries < ports.length) return forward(req, body, res, tries + 1);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'BAD_GATEWAY', message: err.message } }));
      else res.destroy();
    });
    upstream.end(body);
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => forward(req, Buffer.concat(chunks), res, 1));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forwarded,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      agent.destroy();
    },
  };
}

export interface SendStats {
  /** Answers by status code, resends included. */
  byStatus: Record<number, number>;
  /** Webhooks answered 202 (or 200 duplicate: an earlier attempt was already accepted). */
  accepted: number;
  connectionErrors: number;
}

/** The signed order webhook for `ref`, as a shop sends it. */
export function orderWebhook(ref: string): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ id: ref, name: `Customer ${ref}` });
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-signature': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
      'x-delivery': ref,
    },
  };
}

/**
 * Sends every ref's webhook through `url` with `senders` concurrent keep-alive senders; like a shop, each one is
 * resent (after Retry-After, or 200 ms) until it is answered 202, or 200 as a duplicate of an accepted delivery.
 */
export async function sendWebhooks(url: string, refs: readonly string[], senders: number, onAccepted?: (accepted: number, ref: string) => void): Promise<SendStats> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: senders });
  const stats: SendStats = { byStatus: {}, accepted: 0, connectionErrors: 0 };
  const post = (ref: string): Promise<{ status: number; retryAfterSec?: number }> =>
    new Promise((resolve) => {
      const { body, headers } = orderWebhook(ref);
      const req = http.request(`${url}${CLUSTER_HOOK_PATH}`, { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) }, timeout: 30_000 }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, retryAfterSec: Number(res.headers['retry-after']) || undefined }));
        res.on('error', () => resolve({ status: 0 }));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => resolve({ status: 0 }));
      req.end(body);
    });
  let next = 0;
  await Promise.all(
    Array.from({ length: senders }, async () => {
      while (next < refs.length) {
        const ref = refs[next++];
        for (;;) {
          const answer = await post(ref);
          if (answer.status === 0) stats.connectionErrors += 1;
          else stats.byStatus[answer.status] = (stats.byStatus[answer.status] ?? 0) + 1;
          if (answer.status === 202 || answer.status === 200) break;
          await new Promise((r) => setTimeout(r, Math.min(answer.retryAfterSec ?? 0.2, 2) * 1000));
        }
        stats.accepted += 1;
        onAccepted?.(stats.accepted, ref);
      }
    }),
  );
  agent.destroy();
  return stats;
}
