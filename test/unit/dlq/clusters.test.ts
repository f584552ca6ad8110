import { strict as assert } from 'node:assert';
import { clusterLetters, errorSignature } from '../../../nodes/lib/dlq/clusters';
import { createOdooClient, type OdooClientWithState } from '../../../nodes/lib/odoo';
import { toMiddlewareError } from '../../../nodes/lib/errors';
import type { DeadLetter } from '../../../nodes/lib/store/types';
import { SANDBOX_DEFAULTS, startSandbox, type Sandbox } from '../../../sandbox';
import { JSON2_ERROR_ROWS } from '../odoo/reference-captures';

let seq = 0;
function letter(message: string, kind: string, code: string, createdAt: number, nodeId = 'retry-1'): DeadLetter {
  seq += 1;
  return {
    id: `dl-${seq}`, message: {}, droppedPaths: [], error: { message, code }, history: [], nodeId, errorKind: kind,
    correlationId: `c-${seq}`, createdAt, updatedAt: createdAt, status: 'dead',
  };
}

describe('dead-letter error clustering', () => {
  it('removes record references, ids, numbers and quoted values from Odoo reference error texts', () => {
    const missing = JSON2_ERROR_ROWS.find((r) => r.case.startsWith('MissingError'))?.body as { message: string };
    assert.equal(errorSignature(missing.message), 'Record does not exist or has been deleted. (Record: res.partner(<ids>), User: <n>)');
    assert.equal(errorSignature("Invalid field res.partner.nofield in condition ('nofield', '=', 1)"), "Invalid field res.partner.nofield in condition ('<v>', '<v>', <n>)");
    assert.equal(
      errorSignature('duplicate key value violates unique constraint "sale_order_client_order_ref_uniq"\nDETAIL: Key (client_order_ref)=(SO-100) already exists.'),
      'duplicate key value violates unique constraint "<v>" DETAIL: Key (client_order_ref)=(<n>) already exists.',
    );
    assert.equal(errorSignature('order S00016 for jane.doe@example.com at 2026-11-23 02:01:24 failed'), 'order <n> for <email> at <time> failed');
    assert.equal(errorSignature(`boom\nTraceback (most recent call last):\n  File "/opt/odoo/odoo/http.py", line 2134`), 'boom');
  });

  it('keeps the distinct Odoo reference errors apart', () => {
    const messages = JSON2_ERROR_ROWS.map((r) => (typeof r.body === 'string' ? r.body : String(r.body.message)));
    const letters = JSON2_ERROR_ROWS.map((r, i) => letter(messages[i], r.kind, `ODOO_${r.kind.toUpperCase()}`, i));
    const clusters = clusterLetters(letters);
    const distinct = new Set(JSON2_ERROR_ROWS.map((r, i) => `${r.kind}|${errorSignature(messages[i])}`));
    assert.equal(clusters.length, distinct.size);
    assert.ok(clusters.length >= JSON2_ERROR_ROWS.length - 2, `${clusters.length} clusters for ${JSON2_ERROR_ROWS.length} different errors`);
  });

  describe('on errors the sandbox answers', function () {
    let sb: Sandbox;
    let client: OdooClientWithState;
    before(async () => {
      sb = await startSandbox({ port: 0 });
      client = createOdooClient({ url: sb.url, database: SANDBOX_DEFAULTS.database, protocol: 'json2', apiKey: SANDBOX_DEFAULTS.apiKey, circuit: false });
    });
    after(async () => {
      client.close();
      await sb.close();
    });

    async function failure(model: string, method: string, args: Record<string, unknown>): Promise<{ message: string; kind: string; code: string }> {
      try {
        await client.call(model, method, args);
      } catch (err) {
        const e = toMiddlewareError(err);
        return { message: e.message, kind: e.kind, code: e.code };
      }
      throw new Error(`${model}.${method} did not fail`);
    }

    it('groups the same failure on different records into one cluster with counts, first/last seen and the latest example', async () => {
      const letters: DeadLetter[] = [];
      let t = 1_000;
      for (const id of [999_999, 123_456, 777_001]) {
        const f = await failure('res.partner', 'write', { ids: [id], vals: { name: `renamed ${id}` } });
        letters.push(letter(f.message, f.kind, f.code, (t += 10), 'retry-partners'));
      }
      for (const email of ['a@example.com', 'b@example.org']) {
        const f = await failure('res.partner', 'create', { vals_list: [{ email }] });
        letters.push(letter(f.message, f.kind, f.code, (t += 10)));
      }
      for (const field of ['nofield', 'nofield']) {
        const f = await failure('res.partner', 'search_read', { domain: [[field, '=', Math.round(t)]], fields: ['name'] });
        letters.push(letter(f.message, f.kind, f.code, (t += 10)));
      }
      const clusters = clusterLetters(letters);
      assert.deepEqual(clusters.map((c) => c.count), [3, 2, 2], JSON.stringify(clusters.map((c) => c.signature)));
      const missing = clusters[0];
      assert.equal(missing.kind, 'missing');
      assert.match(missing.signature, /res\.partner\(<ids>\)/);
      assert.equal(missing.firstSeen, 1_010);
      assert.equal(missing.lastSeen, 1_030);
      assert.match(missing.example.message, /777001/, 'the example is the latest letter, unmasked');
      assert.deepEqual(missing.nodeIds, ['retry-partners']);
      assert.equal(clusterLetters(letters.slice().reverse())[0].id, missing.id, 'the cluster id depends on the signature only');
    });
  });
});
