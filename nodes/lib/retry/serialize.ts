/**
 * Turns a message into plain JSON for the dead-letter queue and the retry schedule. Parts that cannot survive a
 * restart (functions, sockets, `msg.req`/`msg.res`, class instances, circular references) are dropped and their
 * paths listed, so an operator sees what a replay will lack. Buffers are kept as base64 and revived on replay.
 * Credential-bearing headers (Authorization, Cookie, signatures, API keys) in any `headers` object are dropped too.
 */
import { isCredentialHeader } from '../credential-headers';

export interface JsonSafeResult {
  value: Record<string, unknown>;
  droppedPaths: string[];
}

/** The http-in request/response objects: live sockets, never data. */
const TOP_LEVEL_DROPPED = new Set(['req', 'res']);
const BUFFER_TAG = '$type';
const BUFFER_TYPE = 'Buffer';

function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_$][\w$]*$/.test(key)) return parent === '' ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  // A function node builds objects in its own vm context: their prototype is that realm's Object.prototype.
  return proto === null || Object.getPrototypeOf(proto) === null;
}

const DROP = Symbol('drop');

function copy(value: unknown, path: string, ancestors: Set<object>, dropped: string[]): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (value === undefined) return DROP;
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
    dropped.push(path);
    return DROP;
  }
  const obj = value as object;
  if (Buffer.isBuffer(obj)) return { [BUFFER_TAG]: BUFFER_TYPE, base64: obj.toString('base64') };
  if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? null : obj.toISOString();
  if (ancestors.has(obj)) {
    dropped.push(path);
    return DROP;
  }
  if (Array.isArray(obj)) {
    ancestors.add(obj);
    const out = obj.map((item, i) => {
      const c = copy(item, childPath(path, i), ancestors, dropped);
      return c === DROP ? null : c;
    });
    ancestors.delete(obj);
    return out;
  }
  if (!isPlainObject(obj)) {
    dropped.push(path);
    return DROP;
  }
  ancestors.add(obj);
  const out: Record<string, unknown> = {};
  const isHeaders = /(^|\.)headers$/.test(path);
  for (const [key, item] of Object.entries(obj)) {
    if (isHeaders && isCredentialHeader(key)) {
      dropped.push(childPath(path, key));
      continue;
    }
    const c = copy(item, childPath(path, key), ancestors, dropped);
    if (c !== DROP) out[key] = c;
  }
  ancestors.delete(obj);
  return out;
}

export function toJsonSafe(msg: Record<string, unknown>): JsonSafeResult {
  const droppedPaths: string[] = [];
  const value: Record<string, unknown> = {};
  const ancestors = new Set<object>([msg]);
  for (const [key, item] of Object.entries(msg)) {
    if (TOP_LEVEL_DROPPED.has(key)) {
      if (item !== undefined) droppedPaths.push(key);
      continue;
    }
    const c = copy(item, childPath('', key), ancestors, droppedPaths);
    if (c !== DROP) value[key] = c;
  }
  return { value, droppedPaths };
}

/** Inverse of the Buffer encoding: returns a fresh message with `{$type:'Buffer', base64}` turned back into Buffers. */
export function reviveMessage(value: Record<string, unknown>): Record<string, unknown> {
  return revive(value) as Record<string, unknown>;
}

function revive(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(revive);
  if (typeof value !== 'object' || value === null) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  if (keys.length === 2 && obj[BUFFER_TAG] === BUFFER_TYPE && typeof obj.base64 === 'string') return Buffer.from(obj.base64, 'base64');
  const out: Record<string, unknown> = {};
  for (const key of keys) out[key] = revive(obj[key]);
  return out;
}
