/**
 * odoo-write's Delivery tab in a real runtime against the sandbox: exactly once by key, durable retry, dead letter
 * and replay back through the same node, on a SQLite and a Redis store.
 */
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { adminKey, callSandbox, caught, collect, connection, recordStatuses, tab, useSandbox, type Msg } from '../helpers/odoo';
import { REDIS_URL, deleteKeys, requireRedis, uniqueKeyPrefix } from '../helpers/redis';
import { helper, initRuntime } from '../helpers/runtime';
import type { Sandbox } from '../../sandbox';
import { fingerprint } from '../../nodes/lib/idempotency';
import type { MiddlewareStore } from '../../nodes/lib/store/types';
import connectionNode = require('../../nodes/odoo-connection');
import writeNode = require('../../nodes/odoo-write');
import storeNode = require('../../nodes/middleware-store');
// eslint-disable-next-line @typescript-eslint/no-require-imports -- Node-RED's core catch node ships as CommonJS without types
const catchNode = require('@node-red/nodes/core/common/25-catch.js');

initRuntime();

const NODES = [connectionNode, writeNode, storeNode, catchNode];
const outputs = [
  { id: 'ok', type: 'helper', z: 'f1' },
  { id: 'bad', type: 'helper', z: 'f1' },
];

async function until<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

for (const backend of ['sqlite', 'redis'] as const) describe(`odoo-write Delivery tab (real runtime, sandbox, ${backend} store)`, function () {
  this.timeout(20_000);
  let sb: Sandbox;
  let dir: string;
  let prefix: string;
  useSandbox((started) => (sb = started));
  before(async function () {
    if (backend === 'redis') await requireRedis(this);
  });
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mw-delivery-'));
    prefix = uniqueKeyPrefix('delivery');
  });
  afterEach(async () => {
    sb.setFaults({});
    fs.rmSync(dir, { recursive: true, force: true });
    if (backend === 'redis') await deleteKeys(prefix);
  });

  const store = () =>
    backend === 'sqlite'
      ? { id: 'store1', type: 'middleware-store', backend, path: path.join(dir, 'store.sqlite') }
      : { id: 'store1', type: 'middleware-store', backend, url: REDIS_URL, db: 0, keyPrefix: prefix };
  const storeOf = (): MiddlewareStore => (helper.getNode('store1') as unknown as { getStore(): MiddlewareStore }).getStore();
  function write(over: Record<string, unknown>) {
    return {
      id: 'write', type: 'odoo-write', z: 'f1', name: 'create partner', connection: 'conn', operation: 'create', model: 'res.partner', modelType: 'str',
      chunkSize: 100, keyType: 'none', deliveryStore: 'store1', once: true, onceNamespace: 'partners', onceKey: 'payload.ref', onceKeyType: 'msg',
      onceLeaseSeconds: 60, onceCompareFingerprint: true, wires: [['ok'], ['bad']], ...over,
    };
  }
  const load = (over: Record<string, unknown> = {}) =>
    helper.load(NODES, [tab, connection(sb.url), store(), write(over), ...outputs, ...caught], adminKey);
  const partnersWithRef = (ref: string) => callSandbox<Array<{ id: number; name: string }>>(sb, 'res.partner', 'search_read', { domain: [['ref', '=', ref]], fields: ['name'] });
  const send = (payload: Record<string, unknown>, extra: Record<string, unknown> = {}) => helper.getNode('write').receive({ payload, ...extra } as Msg);

  it('writes on first sight and answers a resend from the stored result without calling Odoo', async () => {
    await load();
    const ref = `once-${Date.now()}`;
    const first = collect('ok', 1);
    send({ name: 'Once Ltd', ref });
    const [written] = await first;
    assert.equal(typeof written.payload, 'number');
    assert.equal((written.idempotency as Record<string, unknown>).status, 'completed');
    assert.equal((written.odoo as Record<string, unknown>).created, 1);

    // Calls on res.partner only: the connection reads its key's expiry on its own schedule.
    const partnerCalls = () => Object.entries(sb.stats.byMethod).reduce((sum, [method, n]) => (method.startsWith('res.partner.') ? sum + n : sum), 0);
    const callsBefore = partnerCalls();
    assert.ok(callsBefore > 0, 'the first write was counted');
    const second = collect('ok', 1);
    send({ name: 'Once Ltd', ref }, { topic: 'resend' });
    const [resent] = await second;
    assert.equal(partnerCalls(), callsBefore, 'the resend made no Odoo call');
    assert.equal(resent.topic, 'resend');
    assert.equal(resent.payload, written.payload);
    const info = resent.idempotency as Record<string, unknown>;
    assert.equal(info.status, 'completed');
    assert.deepEqual(info.result, { payload: written.payload, odoo: { model: 'res.partner', method: 'create', ids: [written.payload] } });
    assert.deepEqual(resent.odoo, { model: 'res.partner', method: 'create', ids: [written.payload], fromStore: true });
    assert.equal((await partnersWithRef(ref)).length, 1);
  });

  it('sends a key claimed by another live delivery to output 2 with reason in_progress, writing nothing', async () => {
    await load();
    const ref = `busy-${Date.now()}`;
    const payload = { name: 'Busy Ltd', ref };
    await storeOf().claim({ namespace: 'partners', key: ref, fingerprint: fingerprint(payload), leaseToken: 'someone-else', leaseMs: 60_000, now: Date.now() });
    const bad = collect('bad', 1);
    send(payload);
    const [msg] = await bad;
    const info = msg.idempotency as Record<string, unknown>;
    assert.equal(info.reason, 'in_progress');
    assert.equal(typeof info.leaseExpiresAt, 'number');
    assert.match(String(info.message), /being processed by another message/);
    assert.deepEqual(msg.payload, { name: 'Busy Ltd', ref });
    assert.equal((await partnersWithRef(ref)).length, 0);
  });

  it('refuses a reused key with another payload (fingerprint_mismatch) on output 2', async () => {
    await load();
    const ref = `fp-${Date.now()}`;
    const ok = collect('ok', 1);
    send({ name: 'First Ltd', ref });
    await ok;
    const bad = collect('bad', 1);
    send({ name: 'Second Ltd', ref });
    const [msg] = await bad;
    assert.equal((msg.idempotency as Record<string, unknown>).reason, 'fingerprint_mismatch');
    assert.deepEqual((await partnersWithRef(ref)).map((p) => p.name), ['First Ltd']);
  });

  it('a concurrent double send makes one record', async () => {
    await load();
    const ref = `double-${Date.now()}`;
    const ok = collect('ok', 1);
    const bad = collect('bad', 1);
    send({ name: 'Double Ltd', ref });
    send({ name: 'Double Ltd', ref });
    const [[written], [refused]] = await Promise.all([ok, bad]);
    assert.equal(typeof written.payload, 'number');
    assert.equal((refused.idempotency as Record<string, unknown>).reason, 'in_progress');
    assert.deepEqual((await partnersWithRef(ref)).map((p) => p.id), [written.payload]);
  });

  it('a pending retry survives a runtime restart and writes once Odoo is back', async () => {
    const over = { retry: true, retryMaxAttempts: 5, retryBaseDelayMs: 1500, retryMaxDelayMs: 1500, retryMultiplier: 1, retryMaxTotalMs: 60_000 };
    await load(over);
    const statuses = recordStatuses('write');
    // Retry-After: 2 s outweighs the jittered delay (at most 1.5 s), so the retry is still pending at the restart.
    sb.setFaults({ unavailableRate: 1, unavailableRetryAfter: 2, faultModels: ['res.partner'] });
    const ref = `restart-${Date.now()}`;
    let early = 0;
    helper.getNode('ok').on('input', () => early++);
    send({ name: 'Restart Ltd', ref });
    await until(async () => (await storeOf().listRetries('write')).length === 1, 'the retry to be stored');
    await until(() => statuses.some((s) => s.fill === 'yellow' && /1 retrying/.test(String(s.text))), 'a yellow "1 retrying" status');
    const [entry] = await storeOf().listRetries('write');
    assert.ok(entry.dueAt - entry.createdAt >= 2000, `due ${entry.dueAt - entry.createdAt} ms after the failure, as Retry-After asked`);
    // The claim was released on failure, so the retry (or a resend) can proceed.
    assert.equal(await storeOf().getIdempotency('partners', ref, Date.now()), undefined);
    await helper.unload();
    sb.setFaults({});
    assert.equal(early, 0);

    await load(over);
    const [msg] = await collect('ok', 1);
    assert.equal((msg.retry as { attempt: number }).attempt, 2);
    assert.equal((msg.retry as { history: Array<{ error: { code: string } }> }).history[0].error.code, 'ODOO_UNAVAILABLE');
    assert.equal((msg.idempotency as Record<string, unknown>).status, 'completed');
    assert.deepEqual((await partnersWithRef(ref)).map((p) => p.id), [msg.payload]);
    assert.deepEqual(await storeOf().listRetries('write'), []);
  });

  it('deleting the node parks its pending retry as a dead letter; a redeploy keeps it pending', async () => {
    const over = { retry: true, deadLetter: true };
    await load(over);
    sb.setFaults({ unavailableRate: 1, unavailableRetryAfter: 30, faultModels: ['res.partner'] });
    send({ name: 'Removed Ltd', ref: `removed-${Date.now()}` });
    await until(async () => (await storeOf().listRetries('write')).length === 1, 'the retry to be stored');
    const flow = [tab, connection(sb.url), store(), write(over), ...outputs, ...caught];
    await helper.setFlows(flow.map((n) => (n.id === 'write' ? { ...n, name: 'renamed' } : n)) as never, 'nodes');
    assert.equal((await storeOf().listRetries('write')).length, 1, 'a redeploy (removed=false) keeps it');
    await helper.setFlows(flow.filter((n) => n.id !== 'write') as never, 'nodes');
    assert.deepEqual(await storeOf().listRetries('write'), []);
    const { items } = await storeOf().listDeadLetters({ nodeId: 'write' });
    assert.deepEqual(items.map((l) => [l.error.reason, (l.message.payload as { name: string }).name]), [['node_removed', 'Removed Ltd']]);
  });

  it('reconciles an unknown outcome (committed, answer lost) instead of creating twice', async () => {
    await load({ keyType: 'field', keyField: 'ref', retry: true, retryBaseDelayMs: 300, retryMaxDelayMs: 300, retryMultiplier: 1 });
    sb.setFaults({ commitThenDropRate: 1, faultModels: ['res.partner'], faultMethods: ['create'] });
    const ref = `unknown-${Date.now()}`;
    const ok = collect('ok', 1);
    // Every create commits and loses its answer; the retry looks the record up (not faulted) instead of creating.
    send({ name: 'Unknown Ltd', ref });
    const [msg] = await ok;
    assert.equal((msg.retry as { outcomeUnknown: boolean }).outcomeUnknown, true);
    assert.equal((msg.odoo as { reconciled: number }).reconciled, 1);
    assert.deepEqual((await partnersWithRef(ref)).map((p) => p.id), [msg.payload]);
  });

  it('parks a non-retryable failure at once, with this node as its replay point', async () => {
    await load({ retry: true, deadLetter: true });
    const bad = collect('bad', 1);
    const ref = `invalid-${Date.now()}`;
    send({ email: 'nameless@example.com', ref }, { correlationId: `corr-${ref}` });
    const [msg] = await bad;
    const letter = msg.deadLetter as { id: string; reason: string; kind: string };
    assert.deepEqual([letter.reason, letter.kind], ['not_retryable', 'validation']);
    assert.equal(msg.error, undefined);
    const list = await helper.request().get('/odoo-middleware/dead-letters').query({ correlationId: `corr-${ref}` }).expect(200);
    assert.deepEqual(list.body.items.map((i: { id: string; nodeId: string }) => [i.id, i.nodeId]), [[letter.id, 'write']]);
    assert.match(list.body.items[0].errorMessage, /require a name/);
    assert.equal(await storeOf().getIdempotency('partners', ref, Date.now()), undefined, 'claim released');
  });

  it('dead-letters when Odoo stays down, and the replay goes back through the same node and its guard', async () => {
    await load({ deadLetter: true });
    const statuses = recordStatuses('write');
    sb.setFaults({ unavailableRate: 1, faultModels: ['res.partner'] });
    const ref = `parked-${Date.now()}`;
    const bad = collect('bad', 1);
    send({ name: 'Parked Ltd', ref });
    const [parked] = await bad;
    const letterId = (parked.deadLetter as { id: string; reason: string }).id;
    assert.equal((parked.deadLetter as { reason: string }).reason, 'max_attempts');
    await until(() => statuses.some((s) => s.fill === 'red' && /1 dead letter/.test(String(s.text))), 'a red "1 dead letter" status');
    sb.setFaults({});

    const replayed = collect('ok', 1);
    await helper.request().post('/odoo-middleware/dead-letters/replay').send({ ids: [letterId] }).expect(200);
    const [msg] = await replayed;
    await until(() => statuses.at(-1)?.fill === 'green', 'the status to turn green once the letter was replayed');
    assert.doesNotMatch(String(statuses.at(-1)?.text), /dead letter/);
    assert.equal((msg.retry as { replayOf: string }).replayOf, letterId);
    assert.equal((msg.idempotency as Record<string, unknown>).status, 'completed');
    const partners = await partnersWithRef(ref);
    assert.deepEqual(partners.map((p) => p.id), [msg.payload]);

    // A second letter of the same key, parked before the first replay wrote it, is answered from the store on replay.
    const now = Date.now();
    await storeOf().addDeadLetter({
      id: 'second-copy', message: { payload: { name: 'Parked Ltd', ref } }, droppedPaths: [], error: { message: 'Error: down' }, history: [],
      nodeId: 'write', createdAt: now, updatedAt: now, status: 'dead',
    });
    const again = collect('ok', 1);
    await helper.request().post('/odoo-middleware/dead-letters/replay').send({ ids: ['second-copy'] }).expect(200);
    const [copy] = await again;
    assert.equal((copy.odoo as { fromStore: boolean }).fromStore, true);
    assert.equal((await partnersWithRef(ref)).length, 1);
  });

  it('after a restart the status still shows the letters this node parked', async () => {
    await load({ deadLetter: true });
    sb.setFaults({ unavailableRate: 1, faultModels: ['res.partner'] });
    const bad = collect('bad', 1);
    send({ name: 'Parked before restart', ref: `restart-dl-${Date.now()}` });
    await bad;
    await helper.unload();
    sb.setFaults({});
    await load({ deadLetter: true });
    const statuses = recordStatuses('write');
    const ok = collect('ok', 1);
    send({ name: 'Written after restart', ref: `restart-ok-${Date.now()}` });
    await ok;
    await until(() => statuses.some((s) => s.fill === 'red' && s.text === '1 written · 1 dead letter'), 'a red "1 written · 1 dead letter" status after the restart');
  });

  it('without retry or dead letter, a failure still reaches a Catch node, and the claim is released', async () => {
    await load();
    const errors = collect('errors', 1);
    const ref = `catch-${Date.now()}`;
    send({ email: 'x@example.com', ref });
    const [msg] = await errors;
    assert.equal((msg.error as { code: string }).code, 'ODOO_VALIDATION');
    assert.equal((msg.idempotency as Record<string, unknown>).status, 'released');
    assert.equal(await storeOf().getIdempotency('partners', ref, Date.now()), undefined);
  });

  it('a message without its key goes to a Catch node (MW_VALIDATION), not to the dead-letter queue', async () => {
    await load({ retry: true, deadLetter: true });
    const errors = collect('errors', 1);
    send({ name: 'Keyless Ltd' });
    const [msg] = await errors;
    assert.equal((msg.error as { code: string }).code, 'MW_VALIDATION');
    assert.match((msg.error as { message: string }).message, /msg\.payload\.ref is missing/);
    assert.equal((await storeOf().listDeadLetters({})).total, 0);
  });

  it('names the bad setting: a missing store, a bad retry policy', async () => {
    await helper.load(NODES, [tab, connection(sb.url), write({ deliveryStore: '' }), ...outputs, ...caught], adminKey);
    const errors = collect('errors', 1);
    send({ name: 'x', ref: 'y' });
    const [msg] = await errors;
    assert.match((msg.error as { message: string }).message, /odoo-write: property store must name a middleware-store config node/);
    await helper.unload();
    await load({ once: false, retry: true, retryMaxAttempts: 0 });
    const again = collect('errors', 1);
    send({ name: 'x', ref: 'y' });
    const [bad] = await again;
    assert.match((bad.error as { message: string }).message, /property retryMaxAttempts must be an integer >= 1/);
  });
});
