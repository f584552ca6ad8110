import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { helper, initRuntime } from '../helpers/runtime';
import storeNode = require('../../nodes/middleware-store');
import retryNode = require('../../nodes/middleware-retry');

initRuntime();

type Msg = Record<string, any>; // a message is an open bag of properties

const missing = (id: number): Msg => ({
  message: `Error: res.partner.write: Record does not exist or has been deleted.\n(Record: res.partner(${id},), User: 2)`,
  code: 'ODOO_MISSING',
  source: { id: 'w1', type: 'odoo-write', count: 1 },
  cause: { kind: 'missing', retryable: false },
});

describe('dead-letter clusters endpoint', function () {
  let dir: string;
  before(() => helper.startServer());
  after(() => helper.stopServer());
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-clusters-'));
  });
  afterEach(async () => {
    await helper.unload();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('groups parked letters by normalised error, with counts, first and last seen and one example', async () => {
    const flow = [
      { id: 'f1', type: 'tab' },
      { id: 'store1', type: 'middleware-store', backend: 'sqlite', path: path.join(dir, 'store.sqlite') },
      {
        id: 'retry1', type: 'middleware-retry', z: 'f1', name: 'retry', store: 'store1', maxAttempts: 5, baseDelayMs: 20, maxDelayMs: 100,
        multiplier: 2, maxTotalMs: 60000, retryOn: '', deadLetterOn: '', unknownErrors: 'retry', replayRate: 10, wires: [[], ['dead']],
      },
      { id: 'dead', type: 'helper', z: 'f1' },
    ];
    await helper.load([storeNode, retryNode], flow as never);
    const errors = [missing(41), missing(42), missing(43), { message: 'Error: name is required', code: 'MW_VALIDATION', cause: { kind: 'validation', retryable: false } }];
    for (const error of errors) {
      const parked = new Promise((resolve) => helper.getNode('dead').once('input', resolve));
      helper.getNode('retry1').receive({ payload: { n: 1 }, error } as never);
      await parked;
      // Distinct creation times, so "the latest letter" is one.
      await new Promise((r) => setTimeout(r, 5));
    }
    const res = await helper.request().get('/odoo-middleware/dead-letters/clusters').query({ status: 'dead' }).expect(200);
    assert.equal(res.body.letters, 4);
    assert.deepEqual(res.body.clusters.map((c: Msg) => c.count), [3, 1]);
    const top = res.body.clusters[0];
    assert.equal(top.kind, 'missing');
    assert.match(top.signature, /\(Record: res\.partner\(<ids>\), User: <n>\)/);
    assert.ok(top.firstSeen <= top.lastSeen);
    assert.match(top.example.message, /res\.partner\(43,\)/);
    assert.deepEqual(top.nodeIds, ['retry1']);
    await helper.request().get('/odoo-middleware/dead-letters/clusters').query({ status: 'lost' }).expect(400);
  });
});
