/** Shared set-up for the Odoo node tests: the sandbox behind a test-helper runtime, common flow pieces, collectors. */
import { strict as assert } from 'node:assert';
import type { Node, NodeMessage } from 'node-red';
import { startSandbox, SANDBOX_DEFAULTS, type Sandbox } from '../../sandbox';
import { helper } from './runtime';

export type Msg = NodeMessage & Record<string, unknown>;

export const tab = { id: 'f1', type: 'tab' };

/** A catch node for the whole tab, wired to the helper node `errors`. */
export const caught = [{ id: 'catcher', type: 'catch', z: 'f1', scope: null, uncaught: false, wires: [['errors']] }, { id: 'errors', type: 'helper', z: 'f1' }];

/** Credentials of the connection `conn` for the sandbox's admin user. */
export const adminKey = { conn: { apiKey: SANDBOX_DEFAULTS.apiKey, password: SANDBOX_DEFAULTS.password } };

export function connection(url: string, protocol: 'json2' | 'jsonrpc' = 'json2') {
  return { id: 'conn', type: 'odoo-connection', url, database: SANDBOX_DEFAULTS.database, protocol, login: SANDBOX_DEFAULTS.login, timeout: 5, concurrency: 4, tlsVerify: true };
}

/**
 * Hooks for the calling describe: one sandbox for the whole block (handed to `started`), and a fresh test-helper
 * runtime for each test.
 */
export function useSandbox(started: (sb: Sandbox) => void): void {
  let sb: Sandbox | undefined;
  before(async () => {
    sb = await startSandbox({ port: 0 });
    started(sb);
  });
  after(async () => {
    await sb?.close();
  });
  beforeEach((done) => {
    helper.startServer(done);
  });
  afterEach(async () => {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  });
}

/** The URL of a sandbox that has just closed: nothing listens there. */
export async function unreachableUrl(): Promise<string> {
  const gone = await startSandbox({ port: 0 });
  await gone.close();
  return gone.url;
}

/** Records every status node `id` shows from now on (still showing it). */
export function recordStatuses(id: string): Array<Record<string, unknown>> {
  const node = helper.getNode(id) as Node;
  const seen: Array<Record<string, unknown>> = [];
  const original = node.status.bind(node);
  node.status = ((s: Record<string, unknown>) => {
    seen.push(s);
    original(s);
  }) as Node['status'];
  return seen;
}

/** Collects `count` messages from a helper node. */
export function collect(id: string, count: number): Promise<Msg[]> {
  const node = helper.getNode(id);
  const got: Msg[] = [];
  return new Promise((resolve) => {
    node.on('input', (msg: Msg) => {
      got.push(msg);
      if (got.length === count) resolve(got);
    });
  });
}

/** Calls the sandbox straight over JSON-2 as its admin, independent of the nodes under test; asserts a 200. */
export async function callSandbox<T>(sb: Pick<Sandbox, 'url'>, model: string, method: string, args: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${sb.url}/json/2/${model}/${method}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `bearer ${SANDBOX_DEFAULTS.apiKey}` },
    body: JSON.stringify(args),
  });
  assert.equal(res.status, 200, `${model}.${method} answered ${res.status}`);
  return (await res.json()) as T;
}
