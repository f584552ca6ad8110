/**
 * A full embedded Node-RED runtime (`RED.init` + `RED.start`, as in production) for benchmarks and for tests that
 * need a second runtime: node-red-node-test-helper wraps every send in a spy, which would dominate a throughput
 * figure. Loads node-red only when asked, so a module importing this stays light.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

export type RedMsg = Record<string, unknown>;

export interface RuntimeNode {
  receive(msg: RedMsg): void;
  on(event: 'input', listener: (msg: RedMsg) => void): void;
}

/** The part of node-red's embedding API used here (it ships no type declarations). */
export interface EmbeddedRed {
  init(server: http.Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  nodes: { getNode(id: string): RuntimeNode | null };
  runtime: { flows: { setFlows(opts: { flows: { flows: unknown[] }; deploymentType: string }): Promise<unknown> } };
  hooks: { add(hookId: string, callback: (event: never) => void): void; remove(hookId: string): void };
}

/** Where the build puts the compiled node files (dist/nodes). */
const BUILT_NODES = path.resolve(__dirname, '..', '..', 'nodes');

/** The bench sink node calls this for every message it receives. */
const SINK_HOOK = '__odooMiddlewareBenchSink';

export const SINK_TYPE = 'bench-sink';

const SINK_NODE = `module.exports = function (RED) {
  function BenchSink(config) {
    RED.nodes.createNode(this, config);
    this.on('input', function (msg, send, done) { globalThis[${JSON.stringify(SINK_HOOK)}](msg); done(); });
  }
  RED.nodes.registerType(${JSON.stringify(SINK_TYPE)}, BenchSink);
};
`;

export interface UserDir {
  work: string;
  nodesDir: string;
  remove(): void;
}

/**
 * A temporary user directory whose `nodes/` holds a thin wrapper per built node type (`types`), plus the bench
 * sink node when `sink` is set.
 */
export function makeUserDir(prefix: string, types: string[], options: { sink?: boolean } = {}): UserDir {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  const nodesDir = path.join(work, 'nodes');
  fs.mkdirSync(nodesDir);
  for (const type of types) {
    fs.writeFileSync(path.join(nodesDir, `${type}.js`), `module.exports = require(${JSON.stringify(path.join(BUILT_NODES, `${type}.js`))});\n`);
    fs.copyFileSync(path.join(BUILT_NODES, `${type}.html`), path.join(nodesDir, `${type}.html`));
  }
  if (options.sink) {
    fs.writeFileSync(path.join(nodesDir, `${SINK_TYPE}.js`), SINK_NODE);
    fs.writeFileSync(path.join(nodesDir, `${SINK_TYPE}.html`), `<script type="text/javascript">RED.nodes.registerType("${SINK_TYPE}",{category:"bench",defaults:{},inputs:1});</script>\n`);
  }
  return { work, nodesDir, remove: () => fs.rmSync(work, { recursive: true, force: true }) };
}

/** Settings every embedded runtime here shares: no HTTP, no credential encryption, errors only. */
const BASE_SETTINGS = {
  flowFile: 'flows.json',
  credentialSecret: false,
  httpAdminRoot: false,
  httpNodeRoot: false,
  logging: { console: { level: 'error' } },
};

export function nodeRed(): EmbeddedRed {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- node-red's embedding API has no type declarations
  return require('node-red') as EmbeddedRed;
}

/** Initialises and starts `RED` on `server` with BASE_SETTINGS plus `settings` (userDir at least). */
export async function startRed(RED: EmbeddedRed, settings: Record<string, unknown>, server: http.Server = http.createServer()): Promise<void> {
  RED.init(server, { ...BASE_SETTINGS, ...settings });
  await RED.start();
}

/** Starts node-red on a user directory made by makeUserDir, loading only its `nodes/`. */
export async function startRedIn(dir: UserDir): Promise<EmbeddedRed> {
  const RED = nodeRed();
  await startRed(RED, { userDir: dir.work, nodesDir: [dir.nodesDir], disableEditor: true });
  return RED;
}

export interface WaitOptions {
  timeoutMs?: number;
  pollMs?: number;
  /** The error's message on timeout. */
  error?: string;
}

/** Resolves with node `id` once the runtime has started it. */
export async function waitForNode(RED: EmbeddedRed, id: string, options: WaitOptions = {}): Promise<RuntimeNode> {
  const { timeoutMs = 10_000, pollMs = 10, error = `flow with ${id} did not start` } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const node = RED.nodes.getNode(id);
    if (node) return node;
    if (Date.now() > deadline) throw new Error(error);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** Full deploy of `flows`; resolves with node `entry` once it runs. */
export async function deploy(RED: EmbeddedRed, flows: unknown[], entry: string, options: WaitOptions = {}): Promise<RuntimeNode> {
  await RED.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' });
  return waitForNode(RED, entry, options);
}

/** Messages in flight at once: enough to keep the runtime busy, few enough to stay a steady stream. */
const WINDOW = 100;

/**
 * Pushes `count` messages into `entry`, keeping WINDOW in flight, and returns messages per second at the bench
 * sink (every message must reach it).
 */
export async function throughput(RED: EmbeddedRed, entry: string, count: number, makeMsg: (i: number) => RedMsg): Promise<number> {
  const input = RED.nodes.getNode(entry);
  if (!input) throw new Error(`no node ${entry}`);
  let sent = 0;
  let arrived = 0;
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve) => {
    (globalThis as Record<string, unknown>)[SINK_HOOK] = () => {
      arrived += 1;
      if (arrived === count) resolve();
      else if (sent < count) input.receive(makeMsg(sent++));
    };
    while (sent < Math.min(WINDOW, count)) input.receive(makeMsg(sent++));
  });
  return count / (Number(process.hrtime.bigint() - started) / 1e9);
}
