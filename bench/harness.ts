/** A Node-RED runtime for benchmarks that measure whole messages (node-red-node-test-helper, as in the node tests). */
import helper from 'node-red-node-test-helper';
import type { NodeMessage } from 'node-red';

helper.init(require.resolve('node-red'));

export type Msg = NodeMessage & Record<string, unknown>;

export async function withRuntime<T>(work: () => Promise<T>): Promise<T> {
  await new Promise<void>((resolve) => helper.startServer(() => resolve()));
  try {
    return await work();
  } finally {
    await helper.unload();
    await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  }
}

/** Resolves once `count` messages reached the helper node `id`; `each` sees every one. */
export function arrivals(id: string, count: number, each: (msg: Msg) => void = () => undefined): Promise<void> {
  const node = helper.getNode(id);
  let seen = 0;
  return new Promise((resolve) => {
    const listener = (msg: Msg): void => {
      each(msg);
      seen += 1;
      if (seen === count) {
        node.removeListener('input', listener);
        resolve();
      }
    };
    node.on('input', listener);
  });
}

/** The helper's flow typing only knows core node properties; ours carry their own. */
export function loadFlow(nodes: unknown[], flow: Array<Record<string, unknown>>, credentials: Record<string, Record<string, string>>): Promise<void> {
  return helper.load(nodes as Parameters<typeof helper.load>[0], flow as unknown as Parameters<typeof helper.load>[1], credentials) as unknown as Promise<void>;
}

export { helper };
