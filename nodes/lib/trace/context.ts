/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) `traceparent` handling and id generation.
 * Pure: no Node-RED import; randomness is injectable so tests can pin ids.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface TraceContext {
  /** 32 lowercase hex characters, never all zeros. */
  traceId: string;
  /** 16 lowercase hex characters, never all zeros: the span this context points at. */
  spanId: string;
  sampled: boolean;
  /** The full trace-flags byte (sampled is bit 0); other bits are kept when a context is continued. */
  flags: number;
}

export type ParseResult = { ok: true; context: TraceContext; version: string } | { ok: false; reason: string };

export type RandomBytes = (size: number) => Buffer;

const HEX2 = /^[0-9a-f]{2}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const HEX32 = /^[0-9a-f]{32}$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);
/** version(2) + '-' + trace-id(32) + '-' + parent-id(16) + '-' + flags(2) */
const V00_LENGTH = 55;

export function isValidTraceId(id: unknown): id is string {
  return typeof id === 'string' && HEX32.test(id) && id !== ZERO_TRACE;
}

export function isValidSpanId(id: unknown): id is string {
  return typeof id === 'string' && HEX16.test(id) && id !== ZERO_SPAN;
}

/**
 * Parses a traceparent header. Version 00 must be exactly 55 characters; a higher (future) version is read by
 * its first four fields as the spec asks, provided anything after them starts with '-'. Version ff is invalid.
 */
export function parseTraceparent(header: unknown): ParseResult {
  if (typeof header !== 'string') return { ok: false, reason: 'traceparent must be a string' };
  const value = header.trim();
  if (value.length < V00_LENGTH) return { ok: false, reason: `traceparent must be at least ${V00_LENGTH} characters, got ${value.length}` };
  const version = value.slice(0, 2);
  if (!HEX2.test(version)) return { ok: false, reason: 'traceparent version must be 2 lowercase hex characters' };
  if (version === 'ff') return { ok: false, reason: 'traceparent version ff is invalid' };
  if (version === '00' && value.length !== V00_LENGTH) {
    return { ok: false, reason: `traceparent version 00 must be exactly ${V00_LENGTH} characters, got ${value.length}` };
  }
  if (value.length > V00_LENGTH && value[V00_LENGTH] !== '-') {
    return { ok: false, reason: 'traceparent fields after trace-flags must be separated by "-"' };
  }
  if (value[2] !== '-' || value[35] !== '-' || value[52] !== '-') return { ok: false, reason: 'traceparent fields must be separated by "-"' };
  const traceId = value.slice(3, 35);
  const spanId = value.slice(36, 52);
  const flagsHex = value.slice(53, 55);
  if (!HEX32.test(traceId)) return { ok: false, reason: 'traceparent trace-id must be 32 lowercase hex characters' };
  if (traceId === ZERO_TRACE) return { ok: false, reason: 'traceparent trace-id must not be all zeros' };
  if (!HEX16.test(spanId)) return { ok: false, reason: 'traceparent parent-id must be 16 lowercase hex characters' };
  if (spanId === ZERO_SPAN) return { ok: false, reason: 'traceparent parent-id must not be all zeros' };
  if (!HEX2.test(flagsHex)) return { ok: false, reason: 'traceparent trace-flags must be 2 lowercase hex characters' };
  const flags = parseInt(flagsHex, 16);
  return { ok: true, version, context: { traceId, spanId, flags, sampled: (flags & 1) === 1 } };
}

/** Always writes version 00, whatever version was read (the spec's rule for a continuing participant). */
export function formatTraceparent(context: Pick<TraceContext, 'traceId' | 'spanId' | 'flags'>): string {
  if (!isValidTraceId(context.traceId)) throw new TypeError('traceId must be 32 lowercase hex characters, not all zeros');
  if (!isValidSpanId(context.spanId)) throw new TypeError('spanId must be 16 lowercase hex characters, not all zeros');
  const flags = (context.flags & 0xff).toString(16).padStart(2, '0');
  return `00-${context.traceId}-${context.spanId}-${flags}`;
}

/** Ids from a pooled buffer of random bytes: one crypto call per 512 ids rather than per id. */
export class IdGenerator {
  private pool: Buffer = Buffer.alloc(0);
  private offset = 0;

  constructor(private readonly random: RandomBytes = randomBytes) {}

  traceId(): string {
    return this.nonZero(16);
  }

  spanId(): string {
    return this.nonZero(8);
  }

  private nonZero(size: number): string {
    for (;;) {
      const hex = this.take(size);
      if (!/^0+$/.test(hex)) return hex;
    }
  }

  private take(size: number): string {
    if (this.offset + size > this.pool.length) {
      this.pool = this.random(4096);
      this.offset = 0;
    }
    const hex = this.pool.toString('hex', this.offset, this.offset + size);
    this.offset += size;
    return hex;
  }
}

/** A new root context; a correlation id that is a UUID becomes the trace id so both ids line up in tools. */
export function newRootContext(ids: IdGenerator, correlationId?: string, sampled = true): TraceContext {
  const fromUuid = typeof correlationId === 'string' ? correlationId.replace(/-/g, '').toLowerCase() : '';
  const traceId = isValidTraceId(fromUuid) ? fromUuid : ids.traceId();
  return { traceId, spanId: ids.spanId(), sampled, flags: sampled ? 1 : 0 };
}

/** Same trace, new span: what a participant does when it continues an incoming context. */
export function childContext(parent: TraceContext, ids: IdGenerator): TraceContext {
  return { traceId: parent.traceId, spanId: ids.spanId(), sampled: parent.sampled, flags: parent.flags };
}

const CORRELATION_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** A caller-supplied correlation id is kept only when it is short and printable, so it is safe in logs and headers. */
export function isUsableCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && CORRELATION_ID.test(value);
}

export function newCorrelationId(): string {
  return randomUUID();
}
