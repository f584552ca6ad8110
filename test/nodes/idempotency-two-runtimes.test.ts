/**
 * Two Node-RED runtimes sharing one Redis: the same keys are delivered to both at once and exactly one message
 * per key leaves a guard's first output. Runtime A is the test helper in this process; runtime B is a full
 * embedded Node-RED (`RED.init` + `RED.start`) in a child process running this same file as its main module.
 */
import { strict as assert } from 'node:assert';
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeUserDir, startRedIn, waitForNode } from '../helpers/embedded-red';

type Msg = Record<string, unknown> & { payload?: { id?: string } };
type Outcome = 'first' | 'dup' | 'conflict';
type Tally = Record<Outcome, string[]>;
type ChildMessage = { type: 'ready' } | { type: 'result'; tally: Tally } | { type: 'error'; message: string };

const OUTCOMES: Outcome[] = ['first', 'dup', 'conflict'];

/** The guarded flow; `sink` is the node type that receives each outcome (helper here, junction in the child). */
function guardedFlow(redisUrl: string, keyPrefix: string, sink: string): Array<Record<string, unknown>> {
  return [
    { id: 'tab1', type: 'tab', label: 'guard' },
    { id: 'store1', type: 'middleware-store', backend: 'redis', url: redisUrl, db: 0, keyPrefix, tls: false },
    { id: 'guard1', type: 'idempotency-guard', z: 'tab1', store: 'store1', namespace: 'two-runtimes', key: 'payload.id', keyType: 'msg', leaseSeconds: 300, compareFingerprint: true, wires: [['complete1'], ['dup'], ['conflict']] },
    { id: 'complete1', type: 'idempotency-complete', z: 'tab1', store: 'store1', mode: 'success', ttlSeconds: 600, wires: [['first']] },
    ...OUTCOMES.map((id) => ({ id, type: sink, z: 'tab1', x: 0, y: 0, wires: [] })),
  ];
}

/** Child side: an embedded Node-RED with this package's three nodes, driven over IPC. */
async function runChild(): Promise<void> {
  const send = (m: ChildMessage): void => {
    process.send?.(m);
  };
  const dir = makeUserDir('mw-runtime-b-', ['middleware-store', 'idempotency-guard', 'idempotency-complete']);
  const flow = guardedFlow(process.env.MW_REDIS_URL ?? '', process.env.MW_KEY_PREFIX ?? '', 'junction');
  fs.writeFileSync(path.join(dir.work, 'flows.json'), JSON.stringify(flow));
  const RED = await startRedIn(dir);
  const guard = await waitForNode(RED, 'guard1', { timeoutMs: 15_000, pollMs: 20, error: 'runtime B did not start the flow' });

  let tally: Tally = { first: [], dup: [], conflict: [] };
  let expected = 0;
  RED.hooks.add('onReceive.twoRuntimes', (event: { msg: Msg; destination: { id: string } }) => {
    const outcome = OUTCOMES.find((o) => o === event.destination.id);
    if (!outcome) return;
    tally[outcome].push(String(event.msg.payload?.id));
    if (OUTCOMES.reduce((n, o) => n + tally[o].length, 0) === expected) send({ type: 'result', tally });
  });
  process.on('message', (m: { type: string; keys?: string[]; at?: number }) => {
    if (m.type === 'fire' && m.keys) {
      const keys = m.keys;
      tally = { first: [], dup: [], conflict: [] };
      expected = keys.length;
      setTimeout(() => {
        // Opposite order to runtime A, so the two bursts cross on the keys in the middle.
        for (const id of [...keys].reverse()) guard.receive({ payload: { id } });
      }, Math.max(0, (m.at ?? 0) - Date.now()));
    } else if (m.type === 'stop') {
      RED.stop().finally(() => {
        dir.remove();
        process.exit(0);
      });
    }
  });
  send({ type: 'ready' });
}

function defineTests(): void {
  /* eslint-disable @typescript-eslint/no-require-imports -- loaded only in the mocha process, never in the child */
  const { helper, initRuntime } = require('../helpers/runtime') as typeof import('../helpers/runtime');
  const { REDIS_URL, deleteKeys, requireRedis, uniqueKeyPrefix } = require('../helpers/redis') as typeof import('../helpers/redis');
  const nodes = [require('../../nodes/middleware-store'), require('../../nodes/idempotency-guard'), require('../../nodes/idempotency-complete')] as Parameters<typeof helper.load>[0];
  /* eslint-enable @typescript-eslint/no-require-imports */
  initRuntime();

  describe('idempotency-guard across two Node-RED runtimes sharing Redis', function () {
    this.timeout(40_000);
    const prefix = uniqueKeyPrefix('two-runtimes');
    let child: ChildProcess | undefined;
    let childMessages: ChildMessage[] = [];

    const fromChild = (type: ChildMessage['type'], timeoutMs = 20_000): Promise<ChildMessage> =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`runtime B sent no "${type}" within ${timeoutMs} ms`)), timeoutMs);
        const check = setInterval(() => {
          const found = childMessages.find((m) => m.type === type || m.type === 'error');
          if (!found) return;
          childMessages = childMessages.filter((m) => m !== found);
          clearTimeout(timer);
          clearInterval(check);
          if (found.type === 'error') reject(new Error(`runtime B failed: ${found.message}`));
          else resolve(found);
        }, 5);
      });

    before(async function () {
      await requireRedis(this);
      await helper.startServer();
      child = fork(__filename, [], { env: { ...process.env, MW_REDIS_URL: REDIS_URL, MW_KEY_PREFIX: prefix }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child.on('message', (m: ChildMessage) => childMessages.push(m));
      await fromChild('ready');
    });

    after(async () => {
      await helper.unload();
      await helper.stopServer();
      if (child && child.exitCode === null) {
        const exited = new Promise((r) => child?.once('exit', r));
        child.send({ type: 'stop' });
        await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
        if (child.exitCode === null) child.kill();
      }
      await deleteKeys(prefix);
    });

    it('delivers each duplicate to both runtimes at once and lets exactly one proceed', async () => {
      await helper.load(nodes, guardedFlow(REDIS_URL, prefix, 'helper') as unknown as Parameters<typeof helper.load>[1]);
      const local: Tally = { first: [], dup: [], conflict: [] };
      for (const outcome of OUTCOMES) {
        (helper.getNode(outcome) as unknown as { on(e: 'input', fn: (m: Msg) => void): void }).on('input', (m) => local[outcome].push(String(m.payload?.id)));
      }
      // Connect runtime A's store before the race, as runtime B's already is.
      await (helper.getNode('store1') as unknown as { getStore(): { getWatermark(k: string): Promise<unknown> } }).getStore().getWatermark('warm-up');
      const keys = Array.from({ length: 60 }, (_, i) => `order-${i}`);

      // Both runtimes deliver the same keys at the same wall-clock moment.
      const at = Date.now() + 300;
      const remote = fromChild('result');
      child?.send({ type: 'fire', keys, at });
      const guard = helper.getNode('guard1') as unknown as { receive(m: Msg): void };
      await new Promise((r) => setTimeout(r, at - Date.now()));
      for (const id of keys) guard.receive({ payload: { id } });

      const tally = ((await remote) as { tally: Tally }).tally;
      const deadline = Date.now() + 10_000;
      while (OUTCOMES.reduce((n, o) => n + local[o].length, 0) < keys.length) {
        if (Date.now() > deadline) throw new Error('runtime A did not route every message');
        await new Promise((r) => setTimeout(r, 10));
      }

      for (const key of keys) {
        const proceeded = local.first.filter((k) => k === key).length + tally.first.filter((k) => k === key).length;
        assert.equal(proceeded, 1, `key ${key} proceeded ${proceeded} times`);
      }
      assert.equal(local.first.length + tally.first.length, keys.length);
      assert.equal(local.dup.length + local.conflict.length + tally.dup.length + tally.conflict.length, keys.length);
    });
  });
}

if (require.main === module) {
  runChild().catch((err: unknown) => {
    process.send?.({ type: 'error', message: err instanceof Error ? err.stack ?? err.message : String(err) });
    process.exit(1);
  });
} else {
  defineTests();
}
