/** The one status vocabulary every node uses (see each node's help). */
export interface NodeStatus {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export const busy = (text = 'working'): NodeStatus => ({ fill: 'blue', shape: 'dot', text });
export const ok = (text: string): NodeStatus => ({ fill: 'green', shape: 'dot', text });
export const waiting = (text: string): NodeStatus => ({ fill: 'yellow', shape: 'ring', text });
export const failed = (reason: string): NodeStatus => ({ fill: 'red', shape: 'ring', text: reason });
export const idle = (text = 'idle'): NodeStatus => ({ fill: 'grey', shape: 'ring', text });
export const cleared = (): NodeStatus => ({});

/** The red ring of a node whose settings cannot work, naming the setting at fault when the error says which. */
export const misconfigured = (cause: unknown): NodeStatus => {
  const property = (cause as { property?: unknown } | null | undefined)?.property;
  return failed(typeof property === 'string' && property !== '' ? `check ${property}` : 'configuration');
};
