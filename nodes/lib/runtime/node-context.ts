import type { Node } from 'node-red';

/** Node context get/set as promises: persistent context stores answer through callbacks. */
export function contextGet(node: Node, key: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    node.context().get(key, (err: Error | undefined, value: unknown) => (err ? reject(err) : resolve(value)));
  });
}

export function contextSet(node: Node, key: string, value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    node.context().set(key, value, (err?: Error) => (err ? reject(err) : resolve()));
  });
}
