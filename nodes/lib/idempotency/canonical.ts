/** Canonical JSON (object keys sorted, JSON semantics otherwise) and its SHA-256: equal data, equal fingerprint. */
import * as crypto from 'node:crypto';
import { ValidationError } from '../errors';

/** Runs on every guarded message: built by concatenation, with the path of a circular reference worked out only when one is found. */
export function canonicalJson(value: unknown): string {
  return write(value, [], []);
}

/** `ancestors` are the objects being written, `keys` the key or index under which each was reached. */
function write(value: unknown, ancestors: object[], keys: Array<string | number>): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      // String() and JSON.stringify() agree on finite numbers (-0 included).
      return Number.isFinite(value) ? String(value) : 'null';
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return 'null';
  }
  const withToJson = value as { toJSON?: () => unknown };
  if (typeof withToJson.toJSON === 'function') return write(withToJson.toJSON(), ancestors, keys);
  if (ancestors.includes(value)) {
    const at = pathOf(keys);
    throw new ValidationError(`Cannot fingerprint a circular structure (at ${at || 'the root'})`, { path: at });
  }
  ancestors.push(value);
  let out: string;
  if (Array.isArray(value)) {
    out = '[';
    for (let i = 0; i < value.length; i += 1) {
      keys.push(i);
      out += (i === 0 ? '' : ',') + write(value[i], ancestors, keys);
      keys.pop();
    }
    out += ']';
  } else {
    const record = value as Record<string, unknown>;
    const names = Object.keys(record).sort();
    out = '{';
    let first = true;
    for (const key of names) {
      const item = record[key];
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
      keys.push(key);
      out += (first ? '' : ',') + JSON.stringify(key) + ':' + write(item, ancestors, keys);
      keys.pop();
      first = false;
    }
    out += '}';
  }
  ancestors.pop();
  return out;
}

/** `a.b[0].c`, as the error has always named it. */
function pathOf(keys: ReadonlyArray<string | number>): string {
  let at = '';
  for (const key of keys) at = typeof key === 'number' ? `${at}[${key}]` : at ? `${at}.${key}` : key;
  return at;
}

/** crypto.hash (Node 20.12+) hashes in one call, at about a third of the cost of a Hash object for short texts. */
const hasOneShot = typeof crypto.hash === 'function';

export function sha256Hex(text: string): string {
  return hasOneShot ? crypto.hash('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');
}

/** SHA-256 (hex) of the canonical JSON of a value. */
export function fingerprint(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
