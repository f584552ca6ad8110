import { strict as assert } from 'node:assert';
import { IdGenerator } from '../../../nodes/lib/trace/context';
import { correlate, withTraceHeaders } from '../../../nodes/lib/trace/correlate';
import { HopSpan, HopTracer, SpanRing } from '../../../nodes/lib/trace/recorder';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

const node = (id: string, type = 't') => ({ nodeId: id, nodeType: type, nodeName: undefined, flowId: undefined });

describe('span ring buffer', () => {
  const open = (ring: SpanRing, start: number, correlationId = 'c') => ring.open(correlationId, undefined, undefined, true, node(`n${start}`), `m${start}`, start);
  it('keeps only the last `capacity` spans, oldest first', () => {
    const ring = new SpanRing(3);
    for (let i = 1; i <= 5; i++) open(ring, i);
    assert.equal(ring.size, 3);
    assert.deepEqual(ring.all().map((s) => s.start), [3, 4, 5]);
  });
  it('looks up one correlation id and lists recent ones newest first', () => {
    const ring = new SpanRing(10);
    open(ring, 2, 'a');
    open(ring, 1, 'b');
    open(ring, 3, 'a');
    assert.deepEqual(ring.byCorrelation('a').map((s) => s.start), [2, 3]);
    assert.deepEqual(ring.recent(5).map((r) => [r.correlationId, r.hops]), [['a', 2], ['b', 1]]);
  });
  it("names each recent trace's first hop: the node and flow it came in by", () => {
    const ring = new SpanRing(10);
    ring.open('a', undefined, undefined, true, { nodeId: 'second', nodeType: 'switch', nodeName: undefined, flowId: 'f1' }, 'm2', 5);
    ring.open('a', undefined, undefined, true, { nodeId: 'entry', nodeType: 'webhook-in', nodeName: undefined, flowId: 'f1' }, 'm1', 4);
    assert.deepEqual(ring.recent(1), [{ correlationId: 'a', traceId: undefined, start: 4, hops: 2, errors: 0, nodeId: 'entry', flowId: 'f1' }]);
  });
  it('tells who tracks open hops when a still-open hop is overwritten, not a closed one', () => {
    const ring = new SpanRing(2);
    const evicted: string[] = [];
    const onEvict = (nodeId: string, messageId: string) => evicted.push(`${nodeId}/${messageId}`);
    const first = ring.open('c', undefined, undefined, true, node('a'), 'm1', 1, onEvict);
    ring.open('c', undefined, undefined, true, node('b'), 'm2', 2, onEvict);
    ring.close(first, 1.5);
    ring.open('c', undefined, undefined, true, node('c'), 'm3', 3, onEvict);
    ring.open('c', undefined, undefined, true, node('d'), 'm4', 4, onEvict);
    assert.deepEqual(evicted, ['b/m2']);
  });
  it('a slot taken over after the ring wraps keeps nothing of the span it replaces, nor of its neighbours', () => {
    const ring = new SpanRing(2);
    const failed = ring.open('old', TRACE, SPAN, false, { nodeId: 'a', nodeType: 'change', nodeName: 'first', flowId: 'f' }, 'm1', 1);
    ring.close(failed, 3, 'boom');
    const neighbour = ring.open('next', TRACE, undefined, true, node('b'), undefined, 2);
    ring.close(neighbour, 2.5);
    ring.open('new', undefined, undefined, true, node('c'), 'm3', 4);
    assert.deepEqual(
      ring.all().map(({ spanId, ...rest }) => rest),
      [
        { correlationId: 'next', traceId: TRACE, sampled: true, nodeId: 'b', nodeType: 't', start: 2, end: 2.5, durationMs: 0.5 },
        { correlationId: 'new', sampled: true, nodeId: 'c', nodeType: 't', messageId: 'm3', start: 4 },
      ],
    );
  });
  it('span ids are 16 lowercase hex characters, distinct per hop', () => {
    const ring = new SpanRing(10);
    for (let i = 0; i < 5; i++) open(ring, i);
    const ids = ring.all().map((s) => s.spanId);
    assert.equal(new Set(ids).size, 5);
    for (const id of ids) assert.match(id, /^[0-9a-f]{16}$/);
  });
});

describe('hop tracer', () => {
  let now = 1000;
  const clock = () => now;
  const TRACED = { correlationId: 'c-1', trace: { traceId: TRACE, spanId: SPAN, sampled: true } };
  it('opens on receive and closes on complete, with node details and the error text', () => {
    const ring = new SpanRing(10);
    const ended: HopSpan[] = [];
    const tracer = new HopTracer({ ring, clock, onEnd: (s) => ended.push(s) });
    const msg = { _msgid: 'm-1', ...TRACED };
    const n1 = { id: 'n1', type: 'change', name: 'set', z: 'flow1' };
    now = 1000;
    tracer.receive({ msg, destination: { id: 'n1', node: n1 } });
    now = 1005;
    tracer.complete({ msg, node: { id: 'n1', node: n1 }, error: new Error('boom') });
    assert.equal(ended.length, 1);
    assert.deepEqual({ ...ended[0], spanId: 'x' }, {
      correlationId: 'c-1', traceId: TRACE, spanId: 'x', parentSpanId: SPAN, sampled: true, messageId: 'm-1',
      nodeId: 'n1', nodeType: 'change', nodeName: 'set', flowId: 'flow1', start: 1000, end: 1005, durationMs: 5, error: 'boom',
    });
    assert.equal(tracer.openCount, 0);
  });
  it('matches interleaved hops by node and message id (asynchronous nodes)', () => {
    const ring = new SpanRing(10);
    const tracer = new HopTracer({ ring, clock });
    const a = { _msgid: 'a', ...TRACED };
    const b = { _msgid: 'b', ...TRACED };
    now = 1;
    tracer.receive({ msg: a, destination: { id: 'slow' } });
    now = 2;
    tracer.receive({ msg: b, destination: { id: 'slow' } });
    now = 3;
    tracer.receive({ msg: { ...a }, destination: { id: 'other' } });
    assert.equal(tracer.openCount, 3);
    now = 10;
    tracer.complete({ msg: { ...a }, node: { id: 'slow' } });
    now = 20;
    tracer.complete({ msg: b, node: { id: 'slow' } });
    const spans = ring.all();
    assert.deepEqual(spans.map((s) => [s.nodeId, s.messageId, s.end]), [['slow', 'a', 10], ['slow', 'b', 20], ['other', 'a', undefined]]);
    assert.equal(tracer.openCount, 1);
  });
  it('ignores untraced messages entirely', () => {
    const ring = new SpanRing(10);
    const tracer = new HopTracer({ ring, clock });
    tracer.receive({ msg: { _msgid: 'x', payload: 1 }, destination: { id: 'n1' } });
    tracer.complete({ msg: { _msgid: 'x', payload: 1 }, node: { id: 'n1' } });
    assert.equal(ring.size, 0);
  });
  it('a completion for a node that never received the message changes nothing', () => {
    const ring = new SpanRing(10);
    const ended: HopSpan[] = [];
    const tracer = new HopTracer({ ring, clock, onEnd: (s) => ended.push(s) });
    const msg = { _msgid: 'm', correlationId: 'c' };
    tracer.receive({ msg, destination: { id: 'a' } });
    tracer.complete({ msg, node: { id: 'b' } });
    assert.equal(ended.length, 0);
    assert.equal(ring.all()[0].end, undefined);
  });
  it('a message received again by a node still busy with it keeps one open hop there, closed by its completion', () => {
    const ring = new SpanRing(10);
    const tracer = new HopTracer({ ring, clock });
    const msg = { _msgid: 'loop', ...TRACED };
    now = 1;
    tracer.receive({ msg, destination: { id: 'busy' } });
    now = 2;
    tracer.receive({ msg: { ...TRACED, _msgid: 'other' }, destination: { id: 'elsewhere' } });
    now = 3;
    tracer.receive({ msg: { ...msg }, destination: { id: 'busy' } });
    now = 4;
    tracer.receive({ msg: { ...TRACED, _msgid: 'third' }, destination: { id: 'elsewhere' } });
    assert.equal(tracer.openCount, 3);
    now = 9;
    tracer.complete({ msg: { ...msg }, node: { id: 'busy' } });
    assert.equal(tracer.openCount, 2);
    assert.deepEqual(ring.all().filter((s) => s.nodeId === 'busy').map((s) => [s.start, s.end]), [[1, undefined], [3, 9]]);
    tracer.complete({ msg: { ...msg }, node: { id: 'busy' } });
    assert.equal(tracer.openCount, 2, 'a second completion finds nothing left to close');
  });
  it('still closes a waiting hop after completions of untraced messages and of hops evicted from the ring', () => {
    const ring = new SpanRing(3);
    const tracer = new HopTracer({ ring, clock });
    now = 1;
    tracer.receive({ msg: { _msgid: 'gone', ...TRACED }, destination: { id: 'slow' } });
    tracer.receive({ msg: { _msgid: 'kept', ...TRACED }, destination: { id: 'slow' } });
    for (const id of ['x', 'y']) {
      const msg = { _msgid: id, ...TRACED };
      tracer.receive({ msg, destination: { id: 'sync' } });
      tracer.complete({ msg, node: { id: 'sync' } });
    }
    assert.equal(tracer.openCount, 1, 'the hop of "gone" was overwritten');
    tracer.complete({ msg: { _msgid: 'u', payload: 1 }, node: { id: 'slow' } });
    tracer.complete({ msg: { _msgid: 'gone', ...TRACED }, node: { id: 'slow' } });
    now = 7;
    tracer.complete({ msg: { _msgid: 'kept', ...TRACED }, node: { id: 'slow' } });
    assert.equal(tracer.openCount, 0);
    assert.deepEqual(ring.all().map((s) => [s.messageId, s.end]), [['kept', 7], ['x', 1], ['y', 1]]);
  });
  it('open hops overwritten in the ring are forgotten, so tracking stays bounded', () => {
    const ring = new SpanRing(4);
    const tracer = new HopTracer({ ring, clock });
    for (let i = 0; i < 50; i++) tracer.receive({ msg: { _msgid: `m${i}`, correlationId: 'c' }, destination: { id: 'never-done' } });
    assert.ok(tracer.openCount <= 4, `openCount ${tracer.openCount}`);
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
