/**
 * How deeply a JSON document nests, measured without recursion. Node-RED deep-clones a message for every extra
 * wire and for every Catch node, recursively: a small body nested a few thousand levels deep overflows the stack
 * inside a promise callback and takes the whole runtime down. Business documents nest a handful of levels, so
 * bodies deeper than a limit are refused at the HTTP entry, before any message exists.
 */
import { MiddlewareError } from '../errors';

export const DEFAULT_MAX_JSON_DEPTH = 100;

const OPEN_OBJECT = 0x7b; // {
const OPEN_ARRAY = 0x5b; // [
const CLOSE_OBJECT = 0x7d; // }
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \

/** A body nested deeper than allowed: answered 400, code `MW_JSON_TOO_DEEP`. */
export class JsonDepthError extends MiddlewareError {
  readonly status = 400;
  constructor(maxDepth: number) {
    super('json_too_deep', `request body is nested deeper than ${maxDepth} levels of objects and arrays`, { details: { maxDepth } });
    this.name = 'JsonDepthError';
  }
}

/**
 * True when JSON text opens more than `maxDepth` objects/arrays inside each other. Brackets inside strings do
 * not count. Works on UTF-8 bytes as well as on a string: the bytes it looks for never occur inside a multi-byte
 * character. Invalid JSON is left to the parser.
 */
export function jsonTextTooDeep(text: string | Uint8Array, maxDepth: number): boolean {
  const bytes = typeof text !== 'string';
  const length = text.length;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < length; i++) {
    const c = bytes ? (text as Uint8Array)[i] : (text as string).charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
    }
  }
  return false;
}

/**
 * True when a value holds objects/arrays nested more than `maxDepth` levels (a scalar is depth 0, `[]` is 1).
 * For bodies another parser already turned into objects; walks with an explicit stack, never recursing.
 */
export function valueTooDeep(value: unknown, maxDepth: number): boolean {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return false;
  const stack: Array<[object, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [object, number];
    if (depth > maxDepth) return true;
    const children: unknown[] = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) {
      // Buffers and typed arrays are flat data, not nesting.
      if (child !== null && typeof child === 'object' && !ArrayBuffer.isView(child)) stack.push([child, depth + 1]);
    }
  }
  return false;
}
