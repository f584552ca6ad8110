/**
 * An exported flow file as a graph the lint rules can ask questions of: which nodes a message reaches, which
 * Catch nodes see a node's errors. Pure: takes the parsed JSON, never reads a file.
 */

/** One entry of an exported flow file: a tab, subflow, group, config node or flow node. */
export interface FlowObject {
  id: string;
  type: string;
  z?: string;
  g?: string;
  name?: string;
  wires?: unknown;
  [property: string]: unknown;
}

const LINK_TYPES = new Set(['link out', 'link call']);

/** Accepts both export shapes: a plain array, or the runtime's `{ rev, flows: [...] }`. */
export function flowObjects(parsed: unknown): FlowObject[] {
  const list = Array.isArray(parsed) ? parsed : isRecord(parsed) && Array.isArray(parsed.flows) ? parsed.flows : undefined;
  if (!list) throw new TypeError('a flow file holds a JSON array of nodes (or an object with a "flows" array)');
  list.forEach((entry, i) => {
    if (!isRecord(entry) || typeof entry.id !== 'string' || typeof entry.type !== 'string') {
      throw new TypeError(`entry ${i} of the flow file is not a node: it needs a string "id" and "type"`);
    }
  });
  return list as FlowObject[];
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class FlowIndex {
  readonly objects: readonly FlowObject[];
  private readonly byId = new Map<string, FlowObject>();
  private readonly outgoing = new Map<string, Set<string>>();
  private readonly incoming = new Map<string, Set<string>>();

  constructor(objects: readonly FlowObject[]) {
    this.objects = objects;
    for (const o of objects) this.byId.set(o.id, o);
    for (const o of objects) {
      for (const target of wireTargets(o.wires)) this.link(o.id, target);
      // Link out (link mode) and link call carry the message on to the link in nodes they name.
      if (LINK_TYPES.has(o.type) && o.mode !== 'return' && Array.isArray(o.links)) {
        for (const target of o.links) if (typeof target === 'string') this.link(o.id, target);
      }
    }
    for (const subflow of objects.filter((o) => o.type === 'subflow')) this.linkSubflowPorts(subflow);
  }

  /** A subflow instance passes its input to the nodes behind the subflow's inputs, and their output on. */
  private linkSubflowPorts(subflow: FlowObject): void {
    const portTargets = (port: unknown): string[] =>
      isRecord(port) && Array.isArray(port.wires) ? port.wires.flatMap((w) => (isRecord(w) && typeof w.id === 'string' ? [w.id] : [])) : [];
    const inputs = Array.isArray(subflow.in) ? subflow.in.flatMap(portTargets) : [];
    const outputs = Array.isArray(subflow.out) ? subflow.out.map(portTargets) : [];
    for (const instance of this.ofType(`subflow:${subflow.id}`)) {
      for (const inner of inputs) this.link(instance.id, inner);
      const ports = Array.isArray(instance.wires) ? instance.wires : [];
      outputs.forEach((inners, i) => {
        for (const inner of inners) for (const target of wireTargets([ports[i]])) this.link(inner, target);
      });
    }
  }

  node(id: string | undefined): FlowObject | undefined {
    return id === undefined ? undefined : this.byId.get(id);
  }

  ofType(...types: string[]): FlowObject[] {
    return this.objects.filter((o) => types.includes(o.type));
  }

  /** Nodes a message from `id` reaches, not counting `id` itself; `stop` nodes are reached but not passed. */
  downstream(id: string, stop: (node: FlowObject) => boolean = () => false): FlowObject[] {
    return this.walk(id, this.outgoing, stop);
  }

  upstream(id: string, stop: (node: FlowObject) => boolean = () => false): FlowObject[] {
    return this.walk(id, this.incoming, stop);
  }

  hasInputs(id: string): boolean {
    return (this.incoming.get(id)?.size ?? 0) > 0;
  }

  /** Catch nodes that receive the errors of `node`, following a subflow's errors out to its instances. */
  catchesCovering(node: FlowObject): FlowObject[] {
    const found: FlowObject[] = [];
    const seen = new Set<string>();
    const visit = (target: FlowObject): void => {
      if (seen.has(target.id)) return;
      seen.add(target.id);
      const own = this.objects.filter((c) => c.type === 'catch' && c.z === target.z && !c.d && this.catchScopeIncludes(c, target));
      found.push(...own);
      const container = this.node(target.z);
      if (container?.type === 'subflow') {
        for (const instance of this.ofType(`subflow:${container.id}`)) visit(instance);
      }
    };
    visit(node);
    return found;
  }

  private catchScopeIncludes(c: FlowObject, target: FlowObject): boolean {
    if (Array.isArray(c.scope)) return c.scope.includes(target.id);
    if (c.scope === 'group') return c.g !== undefined && this.groupsOf(target).includes(c.g);
    return true;
  }

  private groupsOf(node: FlowObject): string[] {
    const groups: string[] = [];
    let group = this.node(node.g);
    while (group && !groups.includes(group.id)) {
      groups.push(group.id);
      group = this.node(group.g);
    }
    return groups;
  }

  private link(from: string, to: string): void {
    if (!this.outgoing.has(from)) this.outgoing.set(from, new Set());
    if (!this.incoming.has(to)) this.incoming.set(to, new Set());
    this.outgoing.get(from)?.add(to);
    this.incoming.get(to)?.add(from);
  }

  private walk(start: string, edges: Map<string, Set<string>>, stop: (node: FlowObject) => boolean): FlowObject[] {
    const seen = new Set<string>([start]);
    const reached: FlowObject[] = [];
    const queue = [start];
    while (queue.length > 0) {
      const current = queue.shift() as string;
      for (const next of edges.get(current) ?? []) {
        if (seen.has(next)) continue;
        seen.add(next);
        const node = this.byId.get(next);
        if (!node || node.d) continue;
        reached.push(node);
        if (!stop(node)) queue.push(next);
      }
    }
    return reached;
  }
}

function wireTargets(wires: unknown): string[] {
  if (!Array.isArray(wires)) return [];
  return wires.flatMap((port) => (Array.isArray(port) ? port.filter((t): t is string => typeof t === 'string') : []));
}

/** How a finding names a node: its name (a tab's label) if it has one, else its type and id. */
export function describeNode(node: FlowObject): string {
  const name = node.type === 'tab' ? node.label : node.name;
  return typeof name === 'string' && name.trim() !== '' ? `${node.type} "${name}"` : `${node.type} ${node.id}`;
}
