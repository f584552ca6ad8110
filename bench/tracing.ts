/**
 * Tracing overhead: messages per second through correlation-tracer + 3 change nodes + a sink, with the tracing
 * hooks on (export off) and off, alternating rounds in one runtime. A real embedded Node-RED runtime is used, not the
 * test helper, because the helper wraps every send in a spy that would dilute the very cost being measured.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { HopTracer, SpanRing, type CompleteEvent, type ReceiveEvent } from '../nodes/lib/trace/recorder';
import { epochNow, installTracing, TracingRuntime } from '../nodes/lib/trace/runtime';
import { deploy, nodeRed, startRed, type RuntimeNode } from '../test/helpers/embedded-red';

const root = path.resolve(__dirname, '..', '..');

/** A user directory whose only module is this package's correlation-tracer, pointing at the built files. */
function makeUserDir(): string {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'odoo-mw-bench-'));
  const pkg = path.join(userDir, 'node_modules', 'odoo-mw-bench');
  fs.mkdirSync(pkg, { recursive: true });
  fs.symlinkSync(path.join(root, 'dist'), path.join(pkg, 'dist'));
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(pkg, 'node_modules'));
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: 'odoo-mw-bench', version: '0.0.0', 'node-red': { nodes: { 'correlation-tracer': 'dist/nodes/correlation-tracer.js' } } }));
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'bench-user', dependencies: { 'odoo-mw-bench': '*' } }));
  return userDir;
}

const NOT_STARTED = 'bench flow did not start: correlation-tracer not loaded (run the build first)';

const FLOW = [
  { id: 'bench-tab', type: 'tab', label: 'tracing bench' },
  { id: 'tracer', type: 'correlation-tracer', z: 'bench-tab', setHeaders: false, wires: [['c1']] },
  ...['c1', 'c2', 'c3'].map((id, i, all) => ({
    id, type: 'change', z: 'bench-tab', rules: [{ t: 'set', p: `step${i}`, pt: 'msg', to: id, tot: 'str' }], wires: [[all[i + 1] ?? 'sink']],
  })),
  { id: 'sink', type: 'change', z: 'bench-tab', rules: [{ t: 'delete', p: 'step0', pt: 'msg' }], wires: [] },
];

/** Messages per second, and the process's CPU microseconds per message (what other processes' load barely moves). */
async function throughput(tracer: RuntimeNode, counter: { seen: number }, messages: number): Promise<{ rate: number; cpu: number }> {
  counter.seen = 0;
  const started = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  for (let i = 0; i < messages; i++) tracer.receive({ payload: { i }, correlationId: `bench-${i}` });
  while (counter.seen < messages) await new Promise((resolve) => setImmediate(resolve));
  const used = process.cpuUsage(cpu);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { rate: messages / seconds, cpu: (used.user + used.system) / messages };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/**
 * The recorder's own cost per hop (open on receive, close on complete), with the runtime's clock and a full ring,
 * on hook events built up front: what tracing adds to each node a traced message passes, without Node-RED.
 */
export function recorderNsPerHop(hops = 2_000_000): number {
  const ring = new SpanRing(10_000);
  const tracer = new HopTracer({ ring, clock: epochNow });
  const nodes = Array.from({ length: 5 }, (_, i) => ({ id: `node-${i}`, type: 'change', name: `step ${i}`, z: 'flow' }));
  const messages = Array.from({ length: 1000 }, (_, i) => ({
    _msgid: `msg-${i}`,
    correlationId: `corr-${i}`,
    trace: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', sampled: true },
  }));
  const receives: ReceiveEvent[] = [];
  const completes: CompleteEvent[] = [];
  for (let i = 0; i < 5000; i++) {
    const node = nodes[i % nodes.length];
    const msg = messages[Math.floor(i / nodes.length) % messages.length];
    receives.push({ msg, destination: { id: node.id, node } });
    completes.push({ msg, node: { id: node.id, node } });
  }
  const run = (count: number): number => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) {
      const k = i % receives.length;
      tracer.receive(receives[k]);
      tracer.complete(completes[k]);
    }
    return Number(process.hrtime.bigint() - started) / count;
  };
  run(hops / 4); // warm-up: JIT
  const samples = [run(hops), run(hops), run(hops)];
  return Math.min(...samples);
}

export async function benchTracing(messages = 5000, rounds = 25): Promise<Record<string, number>> {
  const RED = nodeRed();
  const userDir = makeUserDir();
  const server = http.createServer();
  let tracing: TracingRuntime | undefined;
  try {
    await startRed(RED, { userDir, editorTheme: { tours: false } }, server);
    const sink = await deploy(RED, FLOW, 'sink', { timeoutMs: 2000, pollMs: 20, error: NOT_STARTED });
    const tracer = RED.nodes.getNode('tracer');
    if (!tracer) throw new Error(NOT_STARTED);
    const counter = { seen: 0 };
    sink.on('input', () => {
      counter.seen++;
    });
    tracing = installTracing({ hooks: RED.hooks, settings: { odooMiddleware: { tracing: { enabled: false } } } }, {});

    // Empty hooks on the same two events: the share of the overhead that is Node-RED's hook dispatch itself.
    // One declared parameter: Node-RED treats a hook taking fewer or more as asynchronous, waiting on a callback.
    const noop = (_event: unknown): void => undefined;
    const noopHooks = (on: boolean): void => {
      for (const hook of ['onReceive.odooMiddlewareBenchNoop', 'onComplete.odooMiddlewareBenchNoop']) {
        if (on) RED.hooks.add(hook, noop);
        else RED.hooks.remove(hook);
      }
    };

    await throughput(tracer, counter, messages); // warm-up: JIT and first allocations
    tracing.enable();
    await throughput(tracer, counter, messages);
    tracing.disable();
    const active = tracing;
    const setups: Array<(on: boolean) => void> = [() => undefined, noopHooks, (on) => (on ? active.enable() : active.disable())];
    const measured: Array<Array<{ rate: number; cpu: number }>> = [[], [], []];
    // Each round measures off, empty hooks and tracing in a rotating order, so a drift of the shared machine's load
    // falls on all three; each overhead is the median over rounds of that round's own ratio.
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < setups.length; k++) {
        const which = (round + k) % setups.length;
        setups[which](true);
        measured[which].push(await throughput(tracer, counter, messages));
        setups[which](false);
      }
    }
    const [off, dispatchOnly, on] = measured;
    const lost = (traced: typeof off): number => median(traced.map((r, i) => ((off[i].rate - r.rate) / off[i].rate) * 100));
    const cpuAdded = (traced: typeof off): number => median(traced.map((r, i) => ((r.cpu - off[i].cpu) / off[i].cpu) * 100));
    return {
      tracing_overhead_trivial_pct: lost(on),
      tracing_overhead_trivial_cpu_pct: cpuAdded(on),
      tracing_hook_dispatch_overhead_pct: lost(dispatchOnly),
      tracing_hook_dispatch_cpu_pct: cpuAdded(dispatchOnly),
      tracing_on_msgs_per_s: median(on.map((r) => r.rate)),
      tracing_off_msgs_per_s: median(off.map((r) => r.rate)),
      tracing_spans_buffered: tracing.ring.size,
      tracing_ns_per_hop: recorderNsPerHop(),
    };
  } finally {
    await tracing?.close();
    await RED.stop();
    server.close();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}
