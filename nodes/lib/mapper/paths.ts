/**
 * Dotted paths with array indices (`lines[0].sku`), parsed once at compile time into segments, from which the
 * mapping compiler writes literal property reads and writes.
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
