/** The flow files under version control are well-formed: the editor conflates nodes that share an id. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const flowsDir = path.resolve(__dirname, '..', '..', '..', 'flows');
const files = [path.join(flowsDir, 'flows.json'), ...fs.readdirSync(path.join(flowsDir, 'examples')).map((f) => path.join(flowsDir, 'examples', f))];

type FlowNode = { id: string; type: string; z?: string; name?: string; label?: string; info?: string; x?: number; wires?: string[][]; scope?: string[] | null; links?: string[] };

describe('flow files', () => {
  for (const file of files) {
    describe(path.relative(flowsDir, file), () => {
      const nodes = JSON.parse(fs.readFileSync(file, 'utf8')) as FlowNode[];
      const ids = new Set(nodes.map((n) => n.id));

      it('gives every node and tab its own id', () => {
        const seen = new Map<string, string>();
        for (const node of nodes) {
          assert.ok(!seen.has(node.id), `${node.id} is used by a ${seen.get(node.id)} and a ${node.type}`);
          seen.set(node.id, node.type);
        }
      });

      it('wires, catch scopes and tabs point at nodes that exist', () => {
        for (const node of nodes) {
          for (const target of (node.wires ?? []).flat()) assert.ok(ids.has(target), `${node.id} is wired to missing ${target}`);
          for (const target of node.scope ?? []) assert.ok(ids.has(target), `${node.id} catches missing ${target}`);
          if (node.z !== undefined) assert.ok(ids.has(node.z), `${node.id} sits on missing tab ${node.z}`);
        }
      });

      it('holds no secret: credentials stay out of flow files', () => {
        for (const node of nodes) assert.equal((node as { credentials?: unknown }).credentials, undefined, `${node.id} carries credentials`);
      });
    });
  }
});

/** The shipped webhook tabs are documentation: they read left to right and stay short (see the README). */
describe('shipped Orders and Shop webhook tabs', () => {
  const nodes = JSON.parse(fs.readFileSync(path.join(flowsDir, 'flows.json'), 'utf8')) as FlowNode[];
  const byId = new Map(nodes.map((n) => [n.id, n]));
  for (const label of ['Orders', 'Shop webhook']) {
    describe(label, () => {
      const tab = nodes.find((n) => n.type === 'tab' && n.label === label) as FlowNode;
      const onTab = nodes.filter((n) => n.z === tab.id && n.type !== 'group');

      it('has an info text that says how to call it', () => {
        assert.match(tab.info ?? '', /POST \/(api|hooks)\//);
      });

      it('names every node for what it does', () => {
        for (const n of onTab) assert.ok((n.name ?? '').trim().length > 0, `${n.type} ${n.id} has no name`);
      });

      it('runs every wire left to right (error paths go through link nodes)', () => {
        for (const n of onTab) {
          for (const target of (n.wires ?? []).flat()) {
            const t = byId.get(target) as FlowNode;
            assert.ok((t.x ?? 0) > (n.x ?? 0), `${n.name} -> ${t.name} runs back across the canvas`);
          }
        }
      });

      it('keeps every path at about a dozen nodes at most', () => {
        const longest = new Map<string, number>();
        const depth = (id: string): number => {
          const known = longest.get(id);
          if (known !== undefined) return known;
          const n = byId.get(id) as FlowNode;
          const d = 1 + Math.max(0, ...(n.wires ?? []).flat().map(depth));
          longest.set(id, d);
          return d;
        };
        const worst = Math.max(...onTab.map((n) => depth(n.id)));
        // 13: the Orders tab's longest path (credential check and chatter note retry included).
        assert.ok(worst <= 13, `a path of ${worst} nodes`);
      });

      it('writes to Odoo through the Delivery tab, not through guard / retry wiring', () => {
        const writes = onTab.filter((n) => n.type === 'odoo-write') as Array<FlowNode & Record<string, unknown>>;
        assert.ok(writes.length > 0);
        for (const w of writes) assert.ok(w.retry === true && w.deadLetter === true, `${w.name} has no retry or dead letter`);
        assert.deepEqual(onTab.filter((n) => n.type === 'idempotency-guard' || n.type === 'idempotency-complete').map((n) => n.name), []);
      });
    });
  }
});
