/**
 * Dotted paths with array indices (`lines[0].sku`), parsed once at compile time into segments so reading and
 * writing a field per message is a plain loop over pre-split keys.
 */
export type PathSegment = string | number;

const IDENTIFIER = /^[^.[\]\s]+/;
const INDEX = /^\[(\d+)\]/;

/** Parses `a.b[0].c`; throws a plain Error naming the problem (the compiler adds which rule). */
export function parsePath(path: string): PathSegment[] {
  if (typeof path !== 'string' || path.trim() === '') throw new Error('path must be a non-empty string');
  const text = path.trim();
  const segments: PathSegment[] = [];
  let rest = text;
  while (rest !== '') {
    const at = text.length - rest.length;
    const index = INDEX.exec(rest);
    if (index) {
      segments.push(Number(index[1]));
      rest = rest.slice(index[0].length);
      continue;
    }
    if (segments.length > 0) {
      if (rest[0] !== '.') throw new Error(`invalid path '${path}': expected '.' or '[' at position ${at}`);
      rest = rest.slice(1);
    }
    const name = IDENTIFIER.exec(rest);
    if (!name) throw new Error(`invalid path '${path}': expected a field name at position ${text.length - rest.length}`);
    segments.push(name[0]);
    rest = rest.slice(name[0].length);
  }
  return segments;
}

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : out === '' ? s : `.${s}`;
  return out;
}

export type Getter = (value: unknown) => unknown;

export function makeGetter(segments: readonly PathSegment[]): Getter {
  const keys = segments.slice();
  const n = keys.length;
  if (n === 1) {
    const k = keys[0];
    return (v) => (v !== null && typeof v === 'object' ? (v as Record<PathSegment, unknown>)[k] : undefined);
  }
  return (v) => {
    let cur = v;
    for (let i = 0; i < n; i++) {
      if (cur === null || typeof cur !== 'object') return undefined;
      cur = (cur as Record<PathSegment, unknown>)[keys[i]];
    }
    return cur;
  };
}

export type Setter = (target: Record<string, unknown>, value: unknown) => void;

/** Creates intermediate objects (or arrays before a numeric segment) as needed. */
export function makeSetter(segments: readonly PathSegment[]): Setter {
  const keys = segments.slice();
  const last = keys.length - 1;
  if (last === 0) {
    const k = keys[0];
    return (t, value) => {
      (t as Record<PathSegment, unknown>)[k] = value;
    };
  }
  const containers = keys.map((_, i) => (i < last && typeof keys[i + 1] === 'number' ? 'array' : 'object'));
  return (t, value) => {
    let cur = t as Record<PathSegment, unknown>;
    for (let i = 0; i < last; i++) {
      const k = keys[i];
      let next = cur[k];
      if (next === null || typeof next !== 'object') {
        next = containers[i] === 'array' ? [] : {};
        cur[k] = next;
      }
      cur = next as Record<PathSegment, unknown>;
    }
    cur[keys[last]] = value;
  };
}
