import { strict as assert } from 'node:assert';
import { Readable } from 'node:stream';
import { compileSchema, isAllowedType, ReceiveOutcome, ReceiverOptions, WebhookReceiver } from '../../../nodes/lib/webhook/receiver';
import { MemoryReplayGuard, StoreReplayGuard } from '../../../nodes/lib/webhook/replay';
import { signStripe } from '../../../nodes/lib/webhook/signatures';
import type { ClaimOutcome, ClaimRequest, MiddlewareStore } from '../../../nodes/lib/store/types';

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const base: ReceiverOptions = { signature: { scheme: 'none', secrets: [] }, maxBodyBytes: 1024, contentTypes: ['application/json'], clock: () => NOW };

function request(body: string | Buffer, headers: Record<string, string> = {}) {
  return { headers: { 'content-type': 'application/json', ...headers }, body: Readable.from([Buffer.from(body)]) };
}

function rejected(outcome: ReceiveOutcome): { status: number; code: string; message: string } {
  assert.equal(outcome.kind, 'rejected', JSON.stringify(outcome));
  if (outcome.kind !== 'rejected') throw new Error('unreachable');
  return { status: outcome.error.status, code: outcome.error.code, message: outcome.error.message };
}

describe('webhook receiver', () => {
  it('accepts JSON and reports scheme, delivery id and correlation id', async () => {
    const receiver = new WebhookReceiver({ ...base, deliveryIdHeader: 'X-Delivery' });
    const outcome = await receiver.receive(request('{"a":1}', { 'x-delivery': 'd-1', 'x-request-id': 'req-9' }));
    assert.equal(outcome.kind, 'accepted');
    if (outcome.kind !== 'accepted') return;
    assert.deepEqual(outcome.payload, { a: 1 });
    assert.equal(outcome.rawBody.toString(), '{"a":1}');
    assert.equal(outcome.correlationId, 'req-9');
    assert.deepEqual(outcome.webhook, { scheme: 'none', verified: false, deliveryId: 'd-1', receivedAt: new Date(NOW).toISOString() });
  });
  it('prefers X-Correlation-ID and ignores unusable ids', async () => {
    const receiver = new WebhookReceiver(base);
    const a = await receiver.receive(request('{}', { 'x-correlation-id': 'corr-1', 'x-request-id': 'req-1' }));
    assert.ok(a.kind === 'accepted' && a.correlationId === 'corr-1');
    const b = await receiver.receive(request('{}', { 'x-correlation-id': 'has spaces\n' }));
    assert.ok(b.kind === 'accepted' && /^[0-9a-f-]{36}$/.test(b.correlationId));
  });
  it('413 from Content-Length before reading, and from the stream when the header lies', async () => {
    const receiver = new WebhookReceiver(base);
    assert.equal(rejected(await receiver.receive(request('{}', { 'content-length': '5000' }))).status, 413);
    const big = rejected(await receiver.receive(request(`"${'x'.repeat(2000)}"`)));
    assert.equal(big.status, 413);
    assert.equal(big.code, 'WEBHOOK_BODY_TOO_LARGE');
  });
  it('415 for a missing, wrong or compressed content type', async () => {
    const receiver = new WebhookReceiver(base);
    assert.equal(rejected(await receiver.receive(request('{}', { 'content-type': 'text/plain' }))).code, 'WEBHOOK_UNSUPPORTED_MEDIA_TYPE');
    assert.equal(rejected(await receiver.receive({ headers: {}, body: Readable.from([Buffer.from('{}')]) })).status, 415);
    assert.equal(rejected(await receiver.receive(request('{}', { 'content-encoding': 'gzip' }))).status, 415);
    const ok = await receiver.receive(request('{}', { 'content-type': 'Application/JSON; charset=utf-8' }));
    assert.equal(ok.kind, 'accepted');
  });
  it('content type patterns', () => {
    assert.ok(isAllowedType('application/json', ['application/*']));
    assert.ok(isAllowedType('text/plain', ['*/*']));
    assert.ok(!isAllowedType('text/plain', ['application/json', 'application/*']));
  });
  it('400 with the parser message for bad JSON', async () => {
    const r = rejected(await new WebhookReceiver(base).receive(request('{"a":')));
    assert.equal(r.status, 400);
    assert.equal(r.code, 'WEBHOOK_INVALID_JSON');
    assert.match(r.message, /not valid JSON: .+/);
  });
  it('400 WEBHOOK_JSON_TOO_DEEP past the depth limit (default 100), before parsing', async () => {
    const nested = (levels: number): string => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    const receiver = new WebhookReceiver({ ...base, maxBodyBytes: 8192 });
    const deep = rejected(await receiver.receive(request(nested(2000))));
    assert.deepEqual([deep.status, deep.code], [400, 'WEBHOOK_JSON_TOO_DEEP']);
    assert.match(deep.message, /deeper than 100 levels/);
    assert.equal((await receiver.receive(request(nested(100)))).kind, 'accepted');
    const shallow = new WebhookReceiver({ ...base, maxJsonDepth: 2 });
    assert.equal(rejected(await shallow.receive(request('{"a":{"b":[1]}}'))).code, 'WEBHOOK_JSON_TOO_DEEP');
    assert.equal((await shallow.receive(request('{"a":{"b":1}}'))).kind, 'accepted');
  });
  it('422 listing schema errors', async () => {
    const validate = compileSchema({ type: 'object', required: ['id'], properties: { id: { type: 'string' }, qty: { type: 'integer', minimum: 1 } } });
    const receiver = new WebhookReceiver({ ...base, validate });
    const r = rejected(await receiver.receive(request('{"qty":0}')));
    assert.equal(r.status, 422);
    assert.match(r.message, /required property 'id'/);
    assert.match(r.message, /\/qty must be >= 1/);
    assert.equal((await receiver.receive(request('{"id":"a","qty":2}'))).kind, 'accepted');
  });
  it('checks the signature before parsing: 401, not 400, for an unsigned bad body', async () => {
    const receiver = new WebhookReceiver({ ...base, signature: { scheme: 'github', secrets: ['s'] } });
    const r = rejected(await receiver.receive(request('{"a":')));
    assert.equal(r.status, 401);
    assert.equal(r.code, 'WEBHOOK_SIGNATURE_MISSING');
  });
  it('stripe takes the delivery id from the event id in the body', async () => {
    const body = '{"id":"evt_123","type":"charge.succeeded"}';
    const receiver = new WebhookReceiver({ ...base, signature: { scheme: 'stripe', secrets: ['whsec'] }, replay: new MemoryReplayGuard(60_000) });
    const headers = { 'stripe-signature': signStripe('whsec', body, Math.floor(NOW / 1000)) };
    const first = await receiver.receive(request(body, headers));
    assert.ok(first.kind === 'accepted' && first.webhook.deliveryId === 'evt_123' && first.webhook.verified);
    const inFlight = rejected(await receiver.receive(request(body, headers)));
    assert.equal(inFlight.status, 503, 'a resend while the first is being handled is asked to come back');
    assert.equal(inFlight.code, 'WEBHOOK_DELIVERY_IN_PROGRESS');
    await first.claim?.done(NOW);
    assert.equal((await receiver.receive(request(body, headers))).kind, 'duplicate');
  });
  it('replay on: a missing delivery id is a 400', async () => {
    const receiver = new WebhookReceiver({ ...base, signature: { scheme: 'none', secrets: [] }, deliveryIdHeader: 'X-Webhook-Id', replay: new MemoryReplayGuard(60_000) });
    const r = rejected(await receiver.receive(request('{}')));
    assert.equal(r.status, 400);
    assert.equal(r.code, 'WEBHOOK_DELIVERY_ID_MISSING');
  });
  it('a failing replay store answers 503 so the sender retries', async () => {
    const receiver = new WebhookReceiver({ ...base, deliveryIdHeader: 'X-Id', replay: { claim: () => Promise.reject(new Error('redis down')) } });
    const r = rejected(await receiver.receive(request('{}', { 'x-id': '1' })));
    assert.equal(r.status, 503);
    assert.match(r.message, /redis down/);
  });
});

describe('replay guards', () => {
  const claimed = async (guard: MemoryReplayGuard | StoreReplayGuard, id: string, now: number, leaseMs = 500) => {
    const r = await guard.claim(id, 'f', now, leaseMs);
    assert.equal(r.outcome, 'claimed');
    return (r as Extract<typeof r, { outcome: 'claimed' }>).claim;
  };

  it('memory guard: a claim holds for its lease, a done id is a duplicate for the TTL, bounded size', async () => {
    const guard = new MemoryReplayGuard(1000, 3);
    const first = await claimed(guard, 'a', 0);
    assert.equal((await guard.claim('a', 'f', 100, 500)).outcome, 'in_progress');
    await first.done(200);
    assert.equal((await guard.claim('a', 'f', 1199, 500)).outcome, 'duplicate');
    await claimed(guard, 'a', 1200);
    for (const id of ['b', 'c', 'd']) await claimed(guard, id, 1300);
    assert.equal(guard.size, 3);
    await claimed(guard, 'a', 1301);
  });
  it('memory guard: a released claim lets the resend through; a lapsed one is taken over and its late done is ignored', async () => {
    const guard = new MemoryReplayGuard(10_000);
    const failed = await claimed(guard, 'x', 0);
    await failed.release();
    const lapsed = await claimed(guard, 'x', 10);
    const takeover = await claimed(guard, 'x', 600, 500);
    await lapsed.done(700);
    assert.equal((await guard.claim('x', 'f', 800, 500)).outcome, 'in_progress', 'the late done of the lapsed claim changed nothing');
    await takeover.done(900);
    assert.equal((await guard.claim('x', 'f', 1000, 500)).outcome, 'duplicate');
  });
  it('store guard: claims with the lease in the node namespace; done completes, release frees the id', async () => {
    const calls: string[] = [];
    const state = new Map<string, 'in_progress' | 'completed'>();
    const store = {
      async claim(req: ClaimRequest): Promise<ClaimOutcome> {
        calls.push(`claim ${req.namespace} ${req.key} ${req.leaseMs}`);
        const record = { namespace: req.namespace, key: req.key, status: 'in_progress' as const, fingerprint: req.fingerprint, leaseToken: req.leaseToken, leaseExpiresAt: req.now + req.leaseMs, firstSeenAt: req.now };
        const status = state.get(req.key);
        if (status === 'completed') return { outcome: 'completed', record: { ...record, status } };
        if (status === 'in_progress') return { outcome: 'in_progress', record };
        state.set(req.key, 'in_progress');
        return { outcome: 'claimed', record };
      },
      async complete(namespace: string, key: string, _token: string, _result: unknown, ttlMs: number) {
        calls.push(`complete ${namespace} ${key} ${ttlMs}`);
        state.set(key, 'completed');
        return true;
      },
      async release(namespace: string, key: string) {
        calls.push(`release ${namespace} ${key}`);
        state.delete(key);
        return true;
      },
    } as unknown as MiddlewareStore;
    const guard = new StoreReplayGuard(store, 'webhook:n1', 5000);
    const failed = await claimed(guard, 'd1', NOW, 30_000);
    assert.equal((await guard.claim('d1', 'f', NOW, 30_000)).outcome, 'in_progress');
    await failed.release();
    const ok = await claimed(guard, 'd1', NOW, 30_000);
    await ok.done(NOW);
    assert.equal((await guard.claim('d1', 'f', NOW, 30_000)).outcome, 'duplicate');
    assert.deepEqual(calls, [
      'claim webhook:n1 d1 30000', 'claim webhook:n1 d1 30000', 'release webhook:n1 d1',
      'claim webhook:n1 d1 30000', 'complete webhook:n1 d1 5000', 'claim webhook:n1 d1 30000',
    ]);
  });
});
