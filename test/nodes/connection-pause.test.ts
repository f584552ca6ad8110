import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SANDBOX_UIDS, type Sandbox } from '../../sandbox';
import connectionNode = require('../../nodes/odoo-connection');
import readNode = require('../../nodes/odoo-read');
import storeNode = require('../../nodes/middleware-store');
import retryNode = require('../../nodes/middleware-retry');
import { connectionOptions } from '../../nodes/lib/runtime/connection';
import { instruments } from '../../nodes/lib/ops/instruments';
import { createSqliteStore } from '../../nodes/lib/store';
import { caught, collect, connection, recordStatuses, tab, useSandbox, type Msg } from '../helpers/odoo';
import { parseExposition, valueOf } from '../helpers/metrics';
import { helper } from '../helpers/runtime';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

type CaughtError = { message: string; code: string; cause: Record<string, unknown> };

describe('odoo-connection pauses after repeated authentication failures', function () {
  let sb: Sandbox;
  let dir = '';
  useSandbox((started) => (sb = started));
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'connection-pause-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const flow = () => [
    tab,
    { ...connection(sb.url), name: 'paused erp', pauseAfterAuthFailures: 3 },
    { id: 'reader', type: 'odoo-read', z: 'f1', connection: 'conn', operation: 'search_count', model: 'res.partner', modelType: 'str', domain: '[]', domainType: 'json', output: 'all', wires: [['ok']] },
    { id: 'ok', type: 'helper', z: 'f1' },
    ...caught,
  ];

  /** Sends one message to the reader; resolves with its result or its caught error. */
  function read(): Promise<{ ok?: Msg; error?: CaughtError }> {
    const done = new Promise<{ ok?: Msg; error?: CaughtError }>((resolve) => {
      void collect('ok', 1).then(([m]) => resolve({ ok: m }));
      void collect('errors', 1).then(([m]) => resolve({ error: m.error as CaughtError }));
    });
    helper.getNode('reader').receive({ payload: 1 } as Msg);
    return done;
  }

  const sentCalls = () => sb.requests.filter((r) => r.odooMethod === 'search_count').length;

  const errorLines = () =>
    (helper.log().args as unknown[][]).map((a) => a[0] as { level: number; msg: unknown }).filter((e) => e.level === 20).map((e) => String(e.msg));

  it('after N auth failures calls fail at once with kind paused, every node shows it, an error is logged; resume lets calls through', async () => {
    const key = sb.addApiKey({ uid: SANDBOX_UIDS.admin, name: 'to revoke' });
    await helper.load([connectionNode, readNode, catchNode], flow(), { conn: { apiKey: key.key } });
    const statuses = recordStatuses('reader');
    assert.equal(typeof (await read()).ok?.payload, 'number');
    sb.revokeApiKey(key.key);
    sb.clearRequests();
    for (let i = 0; i < 3; i++) assert.equal((await read()).error?.cause.kind, 'auth', `call ${i} refused by Odoo`);
    assert.equal(sentCalls(), 3);

    const paused = await read();
    assert.equal(paused.error?.code, 'ODOO_PAUSED');
    assert.equal(paused.error?.cause.kind, 'paused');
    assert.equal(paused.error?.cause.retryable, true);
    assert.match(String(paused.error?.message), /paused since .*3 consecutive authentication failures/);
    assert.equal(sentCalls(), 3, 'the paused call never left');
    assert.ok(statuses.some((s) => s.fill === 'red' && s.text === 'paused: credentials'), JSON.stringify(statuses));
    assert.ok(errorLines().some((line) => /Odoo connection paused erp paused: 3 consecutive authentication failures/.test(line)), errorLines().join('\n'));
    const scraped = parseExposition(await instruments.metrics.metrics());
    assert.equal(valueOf(scraped, 'odoo_middleware_connection_paused', { connection: 'paused erp' }), 1);

    const state = await helper.request().get('/odoo-connection/conn/state').expect(200);
    assert.equal(typeof state.body.paused.since, 'number');
    const resumed = await helper.request().post('/odoo-connection/conn/resume').expect(200);
    assert.equal(resumed.body.resumed, true);
    assert.equal((await helper.request().get('/odoo-connection/conn/state').expect(200)).body.paused, null);
    assert.equal(statuses.at(-1)?.fill, undefined, 'the paused badge is cleared');
    // Resumed: the next call reaches Odoo again (and is refused again, the key is still revoked).
    assert.equal((await read()).error?.cause.kind, 'auth');
    assert.equal(sentCalls(), 4);
  });

  it('a redeploy with the same credentials stays paused; one with a changed credential runs', async () => {
    const key = sb.addApiKey({ uid: SANDBOX_UIDS.admin, name: 'revoked before deploy' });
    sb.revokeApiKey(key.key);
    await helper.load([connectionNode, readNode, catchNode], flow(), { conn: { apiKey: key.key } });
    for (let i = 0; i < 3; i++) await read();
    assert.equal((await read()).error?.cause.kind, 'paused');
    await helper.unload();
    await helper.load([connectionNode, readNode, catchNode], flow(), { conn: { apiKey: key.key } });
    const statuses = recordStatuses('reader');
    sb.clearRequests();
    assert.equal((await read()).error?.cause.kind, 'paused');
    assert.equal(sb.requests.length, 0);
    assert.ok(statuses.some((s) => s.text === 'paused: credentials'));
    await helper.unload();
    const fresh = sb.addApiKey({ uid: SANDBOX_UIDS.admin, name: 'replacement' });
    await helper.load([connectionNode, readNode, catchNode], flow(), { conn: { apiKey: fresh.key } });
    assert.equal(typeof (await read()).ok?.payload, 'number');
  });

  it('a paused call waits in the retry node instead of being lost', async () => {
    const key = sb.addApiKey({ uid: SANDBOX_UIDS.admin, name: 'retry' });
    sb.revokeApiKey(key.key);
    const file = path.join(dir, 'retry.sqlite');
    await helper.load([connectionNode, readNode, catchNode, storeNode, retryNode], [
      tab,
      { ...connection(sb.url), pauseAfterAuthFailures: 1 },
      { id: 'reader', type: 'odoo-read', z: 'f1', connection: 'conn', operation: 'search_count', model: 'res.partner', modelType: 'str', domain: '[]', domainType: 'json', output: 'all', wires: [['ok']] },
      { id: 'ok', type: 'helper', z: 'f1' },
      { id: 'catcher', type: 'catch', z: 'f1', scope: ['reader'], uncaught: false, wires: [['retrier']] },
      { id: 'store1', type: 'middleware-store', backend: 'sqlite', path: file },
      { id: 'retrier', type: 'middleware-retry', z: 'f1', store: 'store1', maxAttempts: 5, baseDelayMs: 600000, maxDelayMs: 600000, multiplier: 2, maxTotalMs: 3600000, retryOn: '', deadLetterOn: 'auth', unknownErrors: 'retry', replayRate: 10, wires: [['reader'], ['dead']] },
      { id: 'dead', type: 'helper', z: 'f1' },
    ] as never, { conn: { apiKey: key.key } });
    const parked = collect('dead', 1);
    helper.getNode('reader').receive({ payload: 'first' } as Msg);
    assert.equal(((await parked)[0].deadLetter as { kind: string }).kind, 'auth');
    helper.getNode('reader').receive({ payload: 'second' } as Msg);
    const store = createSqliteStore({ path: file });
    try {
      let waiting: Awaited<ReturnType<typeof store.listRetries>> = [];
      for (let i = 0; i < 100 && waiting.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
        waiting = await store.listRetries('retrier');
      }
      assert.equal(waiting.length, 1);
      assert.equal(waiting[0].message.payload, 'second');
      assert.equal((waiting[0].message.retry as { history: Array<{ error: { cause: { kind: string } } }> }).history[0].error.cause.kind, 'paused');
    } finally {
      await store.close();
    }
  });

  it('pauses after 20 failures unless the connection says otherwise; 0 never pauses', () => {
    const lookup = () => undefined;
    assert.equal(connectionOptions({ url: 'http://odoo' }, {}, lookup).pauseAfterAuthFailures, 20);
    assert.equal(connectionOptions({ url: 'http://odoo', pauseAfterAuthFailures: '5' }, {}, lookup).pauseAfterAuthFailures, 5);
    assert.equal(connectionOptions({ url: 'http://odoo', pauseAfterAuthFailures: 0 }, {}, lookup).pauseAfterAuthFailures, 0);
  });
});
