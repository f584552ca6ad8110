/** The flow files under version control are well-formed: the editor conflates nodes that share an id. */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';

const flowsDir = path.resolve(__dirname, '..', '..', '..', 'flows');
const files = [path.join(flowsDir, 'flows.json'), ...fs.readdirSync(path.join(flowsDir, 'examples')).map((f) => path.join(flowsDir, 'examples', f))];

type FlowNode = { id: string; type: string; z?: string; wires?: string[][]; scope?: string[] | null; links?: string[] };

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
