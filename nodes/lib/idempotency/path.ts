/** Reads `a.b[0]["c.d"]`-style property paths (an optional leading `msg.` is ignored) without Node-RED. */
import { ValidationError } from '../errors';

const cache = new Map<string, string[]>();

export function parsePath(path: string): string[] {
  const cached = cache.get(path);
  if (cached) return cached;
  const source = path.trim().replace(/^msg\./, '');
  const parts: string[] = [];
  let i = 0;
  const fail = (): never => {
    throw new ValidationError(`Invalid property path "${path}": expected names separated by dots, [index] or ["name"]`, { path });
  };
  while (i < source.length) {
    const ch = source[i];
    if (ch === '[') {
      const quote = source[i + 1];
      if (quote === '"' || quote === "'") {
        const end = source.indexOf(`${quote}]`, i + 2);
        if (end < 0) fail();
        parts.push(source.slice(i + 2, end));
        i = end + 2;
      } else {
        const end = source.indexOf(']', i);
        if (end < 0) fail();
        const index = source.slice(i + 1, end).trim();
        if (!/^\d+$/.test(index)) fail();
        parts.push(index);
        i = end + 1;
      }
      if (source[i] === '.') i += 1;
    } else {
      let end = i;
      while (end < source.length && source[end] !== '.' && source[end] !== '[') end += 1;
      if (end === i) fail();
      parts.push(source.slice(i, end));
      i = end;
      if (source[i] === '.') {
        i += 1;
        if (i >= source.length) fail();
      }
    }
  }
  if (parts.length === 0) fail();
  if (cache.size > 1000) cache.clear();
  cache.set(path, parts);
  return parts;
}

export function readPath(target: unknown, path: string): unknown {
  let current: unknown = target;
  for (const part of parsePath(path)) {
    if (current === null || current === undefined || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}
