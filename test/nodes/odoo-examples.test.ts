import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useSandbox, type Msg } from '../helpers/odoo';
import { helper, initRuntime } from '../helpers/runtime';
import { SANDBOX_DEFAULTS, type Sandbox } from '../../sandbox';
import connectionNode = require('../../nodes/odoo-connection');
import readNode = require('../../nodes/odoo-read');
import writeNode = require('../../nodes/odoo-write');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const injectNode = require('@node-red/nodes/core/common/20-inject.js');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const commentNode = require('@node-red/nodes/core/common/90-comment.js');

initRuntime();

type FlowNode = Record<string, unknown> & { id: string; type: string };

/** The example as shipped, with debug nodes swapped for test helpers (same ids and wiring). */
function example(name: string): FlowNode[] {
  const file = path.resolve(__dirname, '..', '..', '..', 'flows', 'examples', name);
  return (JSON.parse(fs.readFileSync(file, 'utf8')) as FlowNode[]).map((n) => (n.type === 'debug' ? { id: n.id, type: 'helper', z: n.z } : n));
}

function first(id: string): Promise<Msg> {
  return new Promise((resolve) => helper.getNode(id).once('input', (msg: Msg) => resolve(msg)));
}

describe('odoo example flows (sandbox, connection from ${ODOO_URL}/${ODOO_DB}/${ODOO_API_KEY})', function () {
  let sb: Sandbox;

  useSandbox((started) => (sb = started));
  before(() => {
    process.env.ODOO_URL = sb.url;
    process.env.ODOO_DB = SANDBOX_DEFAULTS.database;
    process.env.ODOO_API_KEY = SANDBOX_DEFAULTS.apiKey;
  });
  after(() => {
    delete process.env.ODOO_URL;
    delete process.env.ODOO_DB;
    delete process.env.ODOO_API_KEY;
  });

  it('odoo-read.json reads companies', async () => {
    const flow = example('odoo-read.json');
    const connection = flow.find((n) => n.type === 'odoo-connection') as FlowNode;
    assert.equal(connection.credentials, undefined, 'the example carries no credentials');
    await helper.load([connectionNode, readNode, injectNode, commentNode], flow, {});
    const got = first('7d1f0a2b3c4d5e06');
    helper.getNode('7d1f0a2b3c4d5e04').receive({});
    const msg = await got;
    const records = msg.payload as Array<{ name: string }>;
    assert.ok(records.length > 0);
    assert.ok(records.every((r) => typeof r.name === 'string'));
  });

  it('odoo-write.json creates 2 partners and reports the invalid one on the failed output', async () => {
    const flow = example('odoo-write.json');
    const connection = flow.find((n) => n.type === 'odoo-connection') as FlowNode;
    assert.equal(connection.apiKeyEnv, 'ODOO_API_KEY', 'the example names the variable holding the API key');
    await helper.load([connectionNode, writeNode, injectNode, commentNode], flow, {});
    const written = first('8e2a1b3c4d5e6f06');
    const failed = first('8e2a1b3c4d5e6f07');
    helper.getNode('8e2a1b3c4d5e6f04').receive({});
    const [ok, bad] = await Promise.all([written, failed]);
    assert.equal((ok.payload as Array<number | null>).filter((id) => id !== null).length, 2);
    assert.deepEqual((bad.payload as Array<{ index: number }>).map((f) => f.index), [1]);
  });
});
