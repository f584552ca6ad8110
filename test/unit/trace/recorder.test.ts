import { strict as assert } from 'node:assert';
import { IdGenerator } from '../../../nodes/lib/trace/context';
import { correlate, withTraceHeaders } from '../../../nodes/lib/trace/correlate';
import { HopSpan, HopTracer, SpanRing } from '../../../nodes/lib/trace/recorder';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('span ring buffer', () => {
  const span = (i: number, correlationId = 'c'): HopSpan => ({ correlationId, spanId: String(i), sampled: true, nodeId: `n${i}`, nodeType: 't', start: i });
  it('keeps only the last `capacity` spans, oldest first', () => {
    const ring = new SpanRing(3);
    for (let i = 1; i <= 5; i++) ring.push(span(i));
    assert.equal(ring.size, 3);
    assert.deepEqual(ring.all().map((s) => s.start), [3, 4, 5]);
  });
  it('looks up one correlation id and lists recent ones newest first', () => {
    const ring = new SpanRing(10);
    ring.push(span(2, 'a'));
    ring.push(span(1, 'b'));
    ring.push(span(3, 'a'));
    assert.deepEqual(ring.byCorrelation('a').map((s) => s.start), [2, 3]);
    assert.deepEqual(ring.recent(5).map((r) => [r.correlationId, r.hops]), [['a', 2], ['b', 1]]);
  });
});

describe('hop tracer', () => {
  let now = 1000;
  const clock = () => now;
  it('opens on receive and closes on complete, per message and node, with the error text', () => {
    const ring = new SpanRing(10);
    const ended: HopSpan[] = [];
    const tracer = new HopTracer({ ring, ids: new IdGenerator(), clock, onEnd: (s) => ended.push(s) });
    const msg = { correlationId: 'c-1', trace: { traceId: TRACE, spanId: SPAN, sampled: true } };
    const node = { id: 'n1', type: 'change', name: 'set', z: 'flow1' };
    tracer.receive({ msg, destination: { id: 'n1', node } });
    now = 1005;
    tracer.complete({ msg, node: { id: 'n1', node }, error: new Error('boom') });
    assert.equal(ended.length, 1);
    assert.deepEqual({ ...ended[0], spanId: 'x' }, {
      correlationId: 'c-1', traceId: TRACE, spanId: 'x', parentSpanId: SPAN, sampled: true,
      nodeId: 'n1', nodeType: 'change', nodeName: 'set', flowId: 'flow1', start: 1000, end: 1005, durationMs: 5, error: 'boom',
    });
    assert.equal(ring.size, 1);
  });
  it('ignores untraced messages entirely', () => {
    const ring = new SpanRing(10);
    const tracer = new HopTracer({ ring, ids: new IdGenerator(), clock });
    tracer.receive({ msg: { payload: 1 }, destination: { id: 'n1' } });
    tracer.complete({ msg: { payload: 1 }, node: { id: 'n1' } });
    assert.equal(ring.size, 0);
  });
  it('a completion for a node that never received the message changes nothing', () => {
    const ring = new SpanRing(10);
    const ended: HopSpan[] = [];
    const tracer = new HopTracer({ ring, ids: new IdGenerator(), clock, onEnd: (s) => ended.push(s) });
    const msg = { correlationId: 'c' };
    tracer.receive({ msg, destination: { id: 'a' } });
    tracer.complete({ msg, node: { id: 'b' } });
    assert.equal(ended.length, 0);
    assert.equal(ring.all()[0].end, undefined);
  });
});

describe('correlate', () => {
  const ids = new IdGenerator();
  it('keeps an existing msg.correlationId and continues an incoming traceparent as a child', () => {
    const result = correlate({ correlationId: 'order-1', req: { headers: { traceparent: `00-${TRACE}-${SPAN}-01`, 'x-correlation-id': 'other' } } }, ids);
    assert.equal(result.correlationId, 'order-1');
    assert.equal(result.correlationSource, 'message');
    assert.equal(result.trace.traceId, TRACE);
    assert.equal(result.trace.parentSpanId, SPAN);
    assert.notEqual(result.trace.spanId, SPAN);
    assert.equal(result.trace.traceparent, `00-${TRACE}-${result.trace.spanId}-01`);
  });
  it('header precedence: X-Correlation-ID, X-Request-ID, traceparent, then generated', () => {
    assert.equal(correlate({ headers: { 'X-Correlation-ID': 'a', 'X-Request-ID': 'b' } }, ids).correlationId, 'a');
    assert.equal(correlate({ req: { headers: { 'x-request-id': 'b' } } }, ids).correlationSource, 'x-request-id');
    const fromTrace = correlate({ headers: { traceparent: `00-${TRACE}-${SPAN}-00` } }, ids);
    assert.equal(fromTrace.correlationId, TRACE);
    assert.equal(fromTrace.trace.sampled, false);
    const fresh = correlate({}, ids);
    assert.equal(fresh.correlationSource, 'generated');
    assert.equal(fresh.trace.traceId, fresh.correlationId.replace(/-/g, ''), 'a generated UUID doubles as the trace id');
    assert.equal(fresh.trace.parentSpanId, undefined);
  });
  it('an invalid incoming traceparent starts a new trace', () => {
    const result = correlate({ headers: { traceparent: `00-${'0'.repeat(32)}-${SPAN}-01` } }, ids);
    assert.notEqual(result.trace.traceId, '0'.repeat(32));
    assert.equal(result.trace.parentSpanId, undefined);
  });
  it('withTraceHeaders replaces other spellings and keeps the rest', () => {
    const out = withTraceHeaders({ 'x-correlation-id': 'old', Traceparent: 'old', Accept: 'application/json' }, 'c', 'tp');
    assert.deepEqual(out, { Accept: 'application/json', 'X-Correlation-ID': 'c', traceparent: 'tp' });
  });
});
