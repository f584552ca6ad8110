import { strict as assert } from 'node:assert';
import { childContext, formatTraceparent, IdGenerator, isValidSpanId, isValidTraceId, newRootContext, parseTraceparent } from '../../../nodes/lib/trace/context';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';
const VALID = `00-${TRACE}-${SPAN}-01`;

function reason(value: unknown): string {
  const result = parseTraceparent(value);
  assert.equal(result.ok, false, `expected ${String(value)} to be rejected`);
  return result.ok ? '' : result.reason;
}

describe('trace context (W3C traceparent)', () => {
  it('parses the example from the spec', () => {
    const result = parseTraceparent(VALID);
    assert.deepEqual(result, { ok: true, version: '00', context: { traceId: TRACE, spanId: SPAN, flags: 1, sampled: true } });
  });
  it('reads sampled from bit 0 of the flags', () => {
    const result = parseTraceparent(`00-${TRACE}-${SPAN}-00`);
    assert.ok(result.ok && !result.context.sampled);
    const other = parseTraceparent(`00-${TRACE}-${SPAN}-03`);
    assert.ok(other.ok && other.context.sampled && other.context.flags === 3);
  });
  it('rejects version ff and non-hex versions', () => {
    assert.match(reason(`ff-${TRACE}-${SPAN}-01`), /version ff/);
    assert.match(reason(`0g-${TRACE}-${SPAN}-01`), /version/);
  });
  it('rejects all-zero trace-id and parent-id', () => {
    assert.match(reason(`00-${'0'.repeat(32)}-${SPAN}-01`), /trace-id must not be all zeros/);
    assert.match(reason(`00-${TRACE}-${'0'.repeat(16)}-01`), /parent-id must not be all zeros/);
  });
  it('rejects uppercase hex', () => {
    assert.match(reason(`00-${TRACE.toUpperCase()}-${SPAN}-01`), /trace-id/);
    assert.match(reason(`00-${TRACE}-${SPAN.toUpperCase()}-01`), /parent-id/);
    assert.match(reason(`00-${TRACE}-${SPAN}-0A`), /trace-flags/);
  });
  it('rejects wrong lengths', () => {
    assert.match(reason(`00-${TRACE.slice(1)}-${SPAN}-01`), /at least 55/);
    assert.match(reason(`00-${TRACE}a-${SPAN}-01`), /exactly 55/);
    assert.match(reason(`00-${TRACE}-${SPAN}-01-extra`), /exactly 55/);
    assert.match(reason(`00-${TRACE}0-${SPAN.slice(1)}-01`), /separated/);
    assert.match(reason(''), /at least 55/);
    assert.match(reason(undefined), /string/);
  });
  it('tolerates a future version with extra fields, but not junk glued to the flags', () => {
    const future = parseTraceparent(`01-${TRACE}-${SPAN}-01-what-ever`);
    assert.ok(future.ok && future.version === '01' && future.context.traceId === TRACE);
    assert.ok(parseTraceparent(`cc-${TRACE}-${SPAN}-01`).ok);
    assert.match(reason(`01-${TRACE}-${SPAN}-01x`), /separated/);
  });
  it('formats version 00 and round-trips', () => {
    assert.equal(formatTraceparent({ traceId: TRACE, spanId: SPAN, flags: 1 }), VALID);
    assert.throws(() => formatTraceparent({ traceId: '0'.repeat(32), spanId: SPAN, flags: 1 }), /traceId/);
  });
  it('generates valid, distinct ids and never all zeros', () => {
    const ids = new IdGenerator();
    const traceIds = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const t = ids.traceId();
      assert.ok(isValidTraceId(t));
      assert.ok(isValidSpanId(ids.spanId()));
      traceIds.add(t);
    }
    assert.equal(traceIds.size, 1000);
    let calls = 0;
    const zerosFirst = new IdGenerator((size) => (calls++ === 0 ? Buffer.alloc(size) : Buffer.alloc(size, 7)));
    assert.equal(zerosFirst.spanId(), '0707070707070707');
  });
  it('a child keeps the trace id and flags with a new span id', () => {
    const ids = new IdGenerator();
    const child = childContext({ traceId: TRACE, spanId: SPAN, flags: 1, sampled: true }, ids);
    assert.equal(child.traceId, TRACE);
    assert.notEqual(child.spanId, SPAN);
    assert.equal(child.sampled, true);
  });
  it('a new root takes a UUID correlation id as its trace id', () => {
    const root = newRootContext(new IdGenerator(), '4BF92F35-77B3-4DA6-A3CE-929D0E0E4736');
    assert.equal(root.traceId, TRACE);
    assert.ok(isValidTraceId(newRootContext(new IdGenerator(), 'order-17').traceId));
  });
});
