import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { reviveMessage, toJsonSafe } from '../../../nodes/lib/retry/serialize';

describe('toJsonSafe', () => {
  it('keeps plain data and returns a deep copy', () => {
    const msg = { _msgid: 'm1', payload: { a: [1, 'two', null, true], nested: { x: 1 } }, topic: 't' };
    const { value, droppedPaths } = toJsonSafe(msg);
    assert.deepEqual(value, msg);
    assert.deepEqual(droppedPaths, []);
    (value.payload as { a: unknown[] }).a.push(9);
    assert.equal(msg.payload.a.length, 4, 'the original is untouched');
  });

  it('drops functions, req/res, class instances and circular references, listing their paths', () => {
    const payload: Record<string, unknown> = { keep: 1, fn: () => 1, socket: new EventEmitter(), list: [1, () => 2] };
    payload.self = payload;
    const msg = { payload, req: { headers: {} }, res: { _res: {} }, 'odd key': { back: null as unknown } };
    msg['odd key'].back = msg;
    const { value, droppedPaths } = toJsonSafe(msg);
    assert.deepEqual(value, { payload: { keep: 1, list: [1, null] }, 'odd key': {} });
    assert.deepEqual(droppedPaths.sort(), ['["odd key"].back', 'payload.fn', 'payload.list[1]', 'payload.self', 'payload.socket', 'req', 'res'].sort());
    assert.doesNotThrow(() => JSON.stringify(value));
  });

  it('a shared (non-circular) object is copied twice, not dropped', () => {
    const shared = { v: 1 };
    const { value, droppedPaths } = toJsonSafe({ a: shared, b: shared });
    assert.deepEqual(value, { a: { v: 1 }, b: { v: 1 } });
    assert.deepEqual(droppedPaths, []);
  });

  it('dates become ISO strings, non-finite numbers null, undefined vanishes', () => {
    const { value } = toJsonSafe({ d: new Date(0), n: Number.NaN, i: Infinity, u: undefined, big: 10n });
    assert.deepEqual(value, { d: '1970-01-01T00:00:00.000Z', n: null, i: null });
  });

  it('buffers survive as base64 and are revived as Buffers', () => {
    const msg = { payload: Buffer.from('héllo'), parts: [Buffer.from([0, 255])] };
    const { value, droppedPaths } = toJsonSafe(msg);
    assert.deepEqual(droppedPaths, []);
    const round = reviveMessage(JSON.parse(JSON.stringify(value)) as Record<string, unknown>);
    assert.ok(Buffer.isBuffer(round.payload));
    assert.equal((round.payload as Buffer).toString(), 'héllo');
    assert.deepEqual([...((round.parts as Buffer[])[0])], [0, 255]);
  });
});
