/** Canonical JSON (object keys sorted, JSON semantics otherwise) and its SHA-256: equal data, equal fingerprint. */
import { createHash } from 'node:crypto';
import { ValidationError } from '../errors';

export function canonicalJson(value: unknown): string {
  return write(value, new Set<object>(), '');
}

function write(value: unknown, seen: Set<object>, at: string): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : 'null';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return 'null';
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return write(withToJson.toJSON(), seen, at);
  if (seen.has(value)) throw new ValidationError(`Cannot fingerprint a circular structure (at ${at || 'the root'})`, { path: at });
  seen.add(value);
  let out: string;
  if (Array.isArray(value)) {
    out = `[${value.map((item, i) => write(item, seen, `${at}[${i}]`)).join(',')}]`;
  } else {
    const record = value as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of Object.keys(record).sort()) {
      const item = record[key];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      parts.push(`${JSON.stringify(key)}:${write(item, seen, at ? `${at}.${key}` : key)}`);
    }
    out = `{${parts.join(',')}}`;
  }
  seen.delete(value);
  return out;
}

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** SHA-256 (hex) of the canonical JSON of a value. */
export function fingerprint(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
